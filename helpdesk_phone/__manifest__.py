{
    "name": "Helpdesk Phone",
    "summary": "Phone as a real channel: numbers in E.164, caller lookup, call log, phone tickets",
    "version": "18.0.1.0.0",
    "description": """
Phone as a helpdesk channel: ticket and contact numbers in E.164 (phone_validation),
found by any written form; Log a Call on tickets and contacts; a New Call page for
agents and PBX links showing the caller, their open tickets and history; phone
tickets with channel Phone.
See README.md.
""",
    "category": "Services/Helpdesk",
    "license": "LGPL-3",
    "author": "Odoo Helpdesk",
    "website": "https://github.com/odoo-helpdesk/odoo-helpdesk",
    "depends": ["helpdesk_ticket", "phone_validation"],
    "data": [
        "security/helpdesk_phone_security.xml",
        "security/ir.model.access.csv",
        "data/mail_message_subtype_data.xml",
        "views/helpdesk_phone_call_views.xml",
        "views/helpdesk_ticket_views.xml",
        "views/res_partner_views.xml",
        "wizard/helpdesk_new_call_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/helpdesk_phone_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "helpdesk_phone/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
