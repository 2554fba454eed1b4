from odoo import api, fields, models, tools

from odoo.addons.helpdesk_sla.tools import business_time as bt


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    def init(self):
        super().init()
        # the analysis pivot by department and month (with the report's company rule)
        # reads the tickets from this index alone; ``id`` is the key of the joins
        # PostgreSQL drops, which it still wants in the scan's output
        tools.create_index(
            self.env.cr, "helpdesk_ticket_analysis_department_date_index", self._table,
            ["department_id", "create_date", "company_id", "id"], where="active",
        )

    first_response_working_hours = fields.Float(
        "Working Hours to First Response",
        compute="_compute_working_hours", store=True, readonly=True, aggregator="avg",
        help="Working hours between the creation of the ticket and the first public reply of an "
        "agent, on the department's calendar (holidays excluded), as the SLA clocks count them.",
    )
    close_working_hours = fields.Float(
        "Working Hours to Close",
        compute="_compute_working_hours", store=True, readonly=True, aggregator="avg",
        help="Working hours between the creation of the ticket and its (last) closing, on the "
        "department's calendar (holidays excluded), as the SLA clocks count them.",
    )

    @api.depends("create_date", "date_first_response", "date_closed", "department_id.resource_calendar_id")
    def _compute_working_hours(self):
        """Business time on the department's calendar, with the SLA engine (same
        calendar, timezone and global leaves as the SLA deadlines)."""
        measured = self.filtered(lambda t: t.create_date and (t.date_first_response or t.date_closed))
        # no calendar read for the tickets that have nothing to measure (e.g. on creation)
        calendars = self.env["helpdesk.ticket.sla"]._calendars(measured.department_id) if measured else {}
        for ticket in self:
            cal = calendars.get(ticket.department_id.id, bt.ALWAYS_OPEN)
            start = ticket.create_date
            ticket.first_response_working_hours = (
                bt.working_hours_between(cal, start, ticket.date_first_response)
                if start and ticket.date_first_response else 0.0
            )
            ticket.close_working_hours = (
                bt.working_hours_between(cal, start, ticket.date_closed)
                if start and ticket.date_closed else 0.0
            )

    def _rating_get_parent_field_name(self):
        # ratings of tickets are grouped by department in the ratings analysis
        return "department_id"
