{
    "name": "Mail Gateway LINE",
    "summary": "LINE Messaging API connector for OCA's mail_gateway: LINE chats in Discuss, replies pushed back",
    "version": "18.0.1.0.0",
    "description": """
LINE Messaging API connector of OCA's mail_gateway: signed webhooks become messages
in a Discuss chat per LINE user, replies are pushed back to LINE with images and
file links, failed pushes show LINE's reason and can be resent.
See README.md.
""",
    "category": "Discuss",
    "license": "AGPL-3",
    "author": "Odoo Helpdesk",
    "website": "https://github.com/odoo-helpdesk/odoo-helpdesk",
    "depends": ["mail_gateway"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/mail_gateway_views.xml",
    ],
    "installable": True,
}
