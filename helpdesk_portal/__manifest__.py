{
    "name": "Helpdesk Portal",
    "summary": "Customer portal, public submission form and guest tracking for helpdesk tickets",
    "version": "18.0.1.0.0",
    "category": "Services/Helpdesk",
    "license": "LGPL-3",
    "author": "Odoo Helpdesk",
    "website": "https://github.com/odoo-helpdesk/odoo-helpdesk",
    "depends": ["helpdesk_ticket"],
    "data": [
        "security/helpdesk_portal_security.xml",
        "security/ir.model.access.csv",
        "security/helpdesk_kb_security.xml",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "views/helpdesk_portal_attempt_views.xml",
        "views/helpdesk_portal_templates.xml",
        "views/helpdesk_portal_public_templates.xml",
        "views/helpdesk_portal_mail_templates.xml",
        "views/helpdesk_ticket_views.xml",
        "views/helpdesk_kb_templates.xml",
        "views/helpdesk_kb_report_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/helpdesk_portal_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "helpdesk_portal/static/src/scss/helpdesk_portal.scss",
            "helpdesk_portal/static/src/js/helpdesk_kb_suggestions.js",
            "helpdesk_portal/static/src/js/helpdesk_ticket_properties.js",
        ],
        "web.assets_tests": [
            "helpdesk_portal/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
