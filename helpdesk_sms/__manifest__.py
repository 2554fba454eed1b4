{
    "name": "Helpdesk SMS",
    "summary": "Text the customer when their ticket enters a stage (e.g. resolved)",
    "version": "18.0.1.0.0",
    "category": "Services/Helpdesk",
    "license": "LGPL-3",
    "author": "Odoo Helpdesk",
    "website": "https://github.com/odoo-helpdesk/odoo-helpdesk",
    "depends": ["helpdesk_ticket", "sms"],
    "data": [
        "data/sms_template_data.xml",
        "views/helpdesk_stage_views.xml",
    ],
    "demo": [
        "demo/helpdesk_sms_demo.xml",
    ],
    "auto_install": True,
    "installable": True,
}
