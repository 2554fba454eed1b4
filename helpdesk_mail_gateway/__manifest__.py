{
    "name": "Helpdesk Mail Gateway",
    "summary": "Email-to-ticket: department addresses, acknowledgements, threading, reopening, "
    "loop and bounce protection",
    "description": "Department email addresses turn mails into helpdesk tickets: intake, "
    "acknowledgement, threading by headers and ticket number, reopening, follow-up tickets, "
    "loop and bounce protection, loss-free IMAP fetching. See README.md.",
    "version": "18.0.1.1.0",
    "category": "Services/Helpdesk",
    "license": "LGPL-3",
    "author": "Odoo Helpdesk",
    "website": "https://github.com/odoo-helpdesk/odoo-helpdesk",
    "depends": ["helpdesk_ticket"],
    "data": [
        "security/ir.model.access.csv",
        "security/helpdesk_mail_gateway_security.xml",
        "data/mail_template_data.xml",
        "data/ir_cron_data.xml",
        "views/helpdesk_department_views.xml",
        "views/helpdesk_ticket_views.xml",
        "views/helpdesk_mail_held_views.xml",
        "wizard/helpdesk_mail_held_attach_views.xml",
    ],
    "demo": [
        "demo/helpdesk_mail_gateway_demo.xml",
    ],
    "installable": True,
}
