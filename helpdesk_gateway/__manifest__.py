{
    "name": "Helpdesk Messaging Apps",
    "summary": "WhatsApp, Telegram, Instagram and LINE chats become helpdesk tickets; agents answer from the ticket",
    "version": "18.0.1.0.0",
    "description": """
WhatsApp, Telegram, Instagram and LINE conversations of OCA's mail_gateway become
helpdesk tickets: a chat without an open ticket opens one, later messages go to it,
a WhatsApp sender is matched to a contact by phone number, agents answer from the
ticket and the reply goes back through the chat.
See README.md.
""",
    "category": "Services/Helpdesk",
    "license": "AGPL-3",
    "author": "Odoo Helpdesk",
    "website": "https://github.com/odoo-helpdesk/odoo-helpdesk",
    "depends": ["helpdesk_ticket", "mail_gateway", "phone_validation"],
    "data": [
        "security/ir.model.access.csv",
        "security/helpdesk_gateway_security.xml",
        "data/ir_cron_data.xml",
        "views/mail_gateway_views.xml",
        "views/mail_notification_views.xml",
        "views/helpdesk_ticket_views.xml",
        "wizard/helpdesk_gateway_link_views.xml",
    ],
    "auto_install": ["helpdesk_ticket", "mail_gateway"],
    "installable": True,
}
