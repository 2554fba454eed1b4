{
    "name": "Helpdesk Live Chat",
    "summary": "Live chats become helpdesk tickets: the /ticket command, a chatbot step, missed chats",
    "version": "18.0.1.0.0",
    "category": "Services/Helpdesk",
    "license": "LGPL-3",
    "author": "Odoo Helpdesk",
    "website": "https://github.com/odoo-helpdesk/odoo-helpdesk",
    "depends": ["helpdesk_ticket", "im_livechat"],
    "data": [
        "security/ir.model.access.csv",
        "data/helpdesk_livechat_cron.xml",
        "data/helpdesk_livechat_automation_data.xml",
        "views/im_livechat_channel_views.xml",
        "views/helpdesk_ticket_views.xml",
        "views/chatbot_script_step_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "helpdesk_livechat/static/src/core/*",
        ],
        "web.assets_tests": [
            "helpdesk_livechat/static/tests/tours/*",
        ],
    },
    "auto_install": True,
    "installable": True,
}
