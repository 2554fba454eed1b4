from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.helpdesk_ticket.models.helpdesk_ticket import PRIORITIES
from odoo.addons.helpdesk_ticket.tools.sql_view import create_view

#: days of history the backlog covers
BACKLOG_DAYS = 365


class HelpdeskTicketBacklog(models.Model):
    """Open tickets per day (the backlog over time), computed from the tickets' creation
    and closing dates: a ticket counts on every day from its creation until the day
    before it was closed (today if still open). A reopened ticket counts from its
    creation to its last closing (its earlier closed days are not remembered).

    One row per day, department, company, agent and priority (SQL view), so that the
    record rules can follow the ticket rules on those columns (see
    ``security/helpdesk_reports_security.xml``)."""

    _name = "helpdesk.ticket.backlog"
    _description = "Helpdesk Backlog per Day"
    _auto = False
    _order = "date desc"
    _rec_name = "date"

    date = fields.Date("Day", readonly=True)
    department_id = fields.Many2one("helpdesk.department", string="Department", readonly=True)
    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    priority = fields.Selection(PRIORITIES, readonly=True)
    company_id = fields.Many2one("res.company", string="Company", readonly=True)
    open_count = fields.Integer("Open Tickets", readonly=True, aggregator="sum")

    def _query(self):
        return SQL(
            """
            SELECT row_number() OVER (ORDER BY d.day, t.department_id, t.company_id, t.user_id, t.priority) AS id,
                   d.day::date AS date,
                   t.department_id, t.company_id, t.user_id, t.priority,
                   count(*) AS open_count
              FROM helpdesk_ticket t
              CROSS JOIN LATERAL generate_series(
                    GREATEST(t.create_date::date, current_date - %(days)s),
                    CASE WHEN t.date_closed IS NULL THEN current_date
                         ELSE LEAST(t.date_closed::date - 1, current_date) END,
                    interval '1 day'
              ) AS d(day)
             WHERE t.active AND t.create_date IS NOT NULL
          GROUP BY d.day, t.department_id, t.company_id, t.user_id, t.priority
            """,
            days=BACKLOG_DAYS,
        )

    def init(self):
        create_view(self.env.cr, self._table, self._query())
