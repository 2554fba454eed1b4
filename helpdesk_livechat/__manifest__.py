{
    "name": "Helpdesk Live Chat",
    "summary": "Turn a live chat conversation into a helpdesk ticket with the /ticket command",
    "version": "18.0.1.0.0",
    "category": "Services/Helpdesk",
    "license": "LGPL-3",
    "author": "Odoo Helpdesk",
    "website": "https://github.com/odoo-helpdesk/odoo-helpdesk",
    "depends": ["helpdesk_ticket", "im_livechat"],
    "data": [
        "views/im_livechat_channel_views.xml",
        "views/helpdesk_ticket_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "helpdesk_livechat/static/src/core/*",
        ],
    },
    "auto_install": True,
    "installable": True,
}
