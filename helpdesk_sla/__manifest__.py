{
    "name": "Helpdesk SLA",
    "summary": "SLA policies on business hours: first response, next response and resolution "
    "timers, pauses, warnings and escalations",
    "version": "18.0.1.0.0",
    "description": """
SLA policies on business hours for helpdesk tickets: first response, next response
and resolution timers following each department's working hours, holidays and
timezone; clocks paused while waiting on the customer; warnings, breaches and
escalations handled once by a cron triggered at the nearest deadline.
See README.md.
""",
    "category": "Services/Helpdesk",
    "license": "LGPL-3",
    "author": "Odoo Helpdesk",
    "website": "https://github.com/odoo-helpdesk/odoo-helpdesk",
    "depends": ["helpdesk_ticket"],
    "data": [
        "security/helpdesk_sla_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/helpdesk_sla_policy_views.xml",
        "views/helpdesk_ticket_sla_views.xml",
        "views/helpdesk_ticket_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/helpdesk_sla_demo.xml",
    ],
    "installable": True,
}
