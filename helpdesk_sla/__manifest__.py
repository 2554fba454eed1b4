{
    "name": "Helpdesk SLA",
    "summary": "SLA policies on business hours: first response, next response and resolution "
    "timers, pauses, warnings and escalations",
    "version": "18.0.1.0.0",
    "category": "Services/Helpdesk",
    "license": "LGPL-3",
    "author": "Odoo Helpdesk",
    "website": "https://github.com/odoo-helpdesk/odoo-helpdesk",
    "depends": ["helpdesk_ticket"],
    "data": [],
    "demo": [],
    "installable": True,
}
