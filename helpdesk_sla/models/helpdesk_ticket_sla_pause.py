from odoo import api, fields, models


class HelpdeskTicketSlaPause(models.Model):
    """When a ticket's clocks were stopped: waiting on the customer, closed or
    archived. One row per continuous stop (``date_end`` empty while it lasts).

    The SLA lines keep their own ``paused_hours``; this log lets a clock added
    later (a policy that starts matching after a priority change, for example)
    know the pauses the ticket had since its start, in the working hours of
    any calendar."""

    _name = "helpdesk.ticket.sla.pause"
    _description = "Helpdesk Ticket SLA Pause"
    _order = "ticket_id, date_start, id"
    _rec_name = "ticket_id"

    ticket_id = fields.Many2one("helpdesk.ticket", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="ticket_id.company_id", store=True, index=True)
    date_start = fields.Datetime("Stopped on", required=True)
    date_end = fields.Datetime("Restarted on", help="Empty while the ticket's clocks are stopped.")

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

    @api.model
    def _intervals_by_ticket(self, tickets):
        """{ticket id: [(start, end or None), ...]} (one query)."""
        result = {ticket_id: [] for ticket_id in tickets.ids}
        for pause in self.search_fetch([("ticket_id", "in", tickets.ids)], ["ticket_id", "date_start", "date_end"]):
            result[pause.ticket_id.id].append((pause.date_start, pause.date_end or None))
        return result
