from odoo import api, fields, models

PAUSE_REASONS = [
    ("waiting", "Waiting on the Customer"),
    ("closed", "Closed"),
    ("archived", "Archived"),
]


class HelpdeskTicketSlaPause(models.Model):
    """When a ticket's clocks were stopped: waiting on the customer, closed or
    archived. One row per continuous stop for one reason (``date_end`` empty
    while it lasts).

    The single record of pauses: the SLA lines derive their deadline, warning
    date, paused hours and running pause from it (``helpdesk.ticket.sla``
    ``_compute_schedule``), so a clock added later (a policy that starts
    matching after a priority change) knows the pauses the ticket had since its
    start, and a manager correcting the log moves the deadlines."""

    _name = "helpdesk.ticket.sla.pause"
    _description = "Helpdesk Ticket SLA Pause"
    _order = "ticket_id, date_start, id"
    _rec_name = "ticket_id"

    ticket_id = fields.Many2one("helpdesk.ticket", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="ticket_id.company_id", store=True, index=True)
    date_start = fields.Datetime("Stopped on", required=True)
    date_end = fields.Datetime("Restarted on", help="Empty while the ticket's clocks are stopped.")
    reason = fields.Selection(PAUSE_REASONS, required=True, default="waiting")

    _sql_constraints = [
        ("dates_ordered", "CHECK(date_end IS NULL OR date_end >= date_start)",
         "A pause cannot end before it starts."),
    ]

    def init(self):
        # at most one running pause per ticket, also with concurrent workers
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS helpdesk_ticket_sla_pause_open
                ON helpdesk_ticket_sla_pause (ticket_id) WHERE date_end IS NULL
        """)

    # the lines recompute from the log (ORM dependencies); the cron follows
    # their new deadlines
    @api.model_create_multi
    def create(self, vals_list):
        pauses = super().create(vals_list)
        pauses.ticket_id.sudo().sla_ids._schedule_cron()
        return pauses

    def write(self, vals):
        tickets = self.ticket_id
        res = super().write(vals)
        (tickets | self.ticket_id).sudo().sla_ids._schedule_cron()
        return res

    def unlink(self):
        tickets = self.ticket_id
        res = super().unlink()
        tickets.exists().sudo().sla_ids._schedule_cron()
        return res

    @api.model
    def _open_by_ticket(self, tickets):
        """{ticket id: running pause} (one query)."""
        pauses = self.search([("ticket_id", "in", tickets.ids), ("date_end", "=", False)])
        return {pause.ticket_id.id: pause for pause in pauses}
