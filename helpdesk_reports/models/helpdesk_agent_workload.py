from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.helpdesk_ticket.tools.sql_view import create_view


class HelpdeskAgentWorkload(models.Model):
    """Open tickets per agent and priority against the agent's capacity (SQL view, one
    row per agent of a helpdesk department and company of their departments, counting
    the tickets of that company only: a manager of one company never sees counts of
    another's tickets, and sees the agents of their departments whatever the agents'
    main company): who is over capacity. (``res_users`` is
    imported before this model: its ``helpdesk_capacity`` column must exist when the
    view is created.) Tickets are moved
    between agents on the workload board (tickets kanban grouped by agent)."""

    _name = "helpdesk.agent.workload"
    _description = "Helpdesk Agent Workload"
    _auto = False
    _order = "load_percent desc, open_count desc, id"
    _rec_name = "user_id"

    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    company_id = fields.Many2one("res.company", string="Company", readonly=True)
    open_count = fields.Integer("Open Tickets", readonly=True)
    urgent_count = fields.Integer("Urgent", readonly=True)
    high_count = fields.Integer("High", readonly=True)
    normal_count = fields.Integer("Normal", readonly=True)
    low_count = fields.Integer("Low", readonly=True)
    capacity = fields.Integer("Capacity", readonly=True, aggregator="sum")
    load_percent = fields.Float(
        "Load (%)", readonly=True, aggregator="avg",
        help="Open tickets as a share of the capacity (empty without a capacity).",
    )
    over_capacity = fields.Boolean("Over Capacity", readonly=True)

    def _query(self):
        return SQL(
            """
            WITH agents AS (
                SELECT DISTINCT u.id AS user_id, a.company_id, u.helpdesk_capacity AS capacity
                  FROM res_users u
                  JOIN (
                        SELECT m.user_id, d.company_id
                          FROM helpdesk_department_member_rel m
                          JOIN helpdesk_department d ON d.id = m.department_id AND d.active
                         UNION
                        SELECT d.manager_id, d.company_id
                          FROM helpdesk_department d WHERE d.active AND d.manager_id IS NOT NULL
                  ) a ON a.user_id = u.id
                 WHERE u.active AND NOT u.share
            ), load AS (
                SELECT t.user_id, t.company_id,
                       count(*) AS open_count,
                       count(*) FILTER (WHERE t.priority = '3') AS urgent_count,
                       count(*) FILTER (WHERE t.priority = '2') AS high_count,
                       count(*) FILTER (WHERE t.priority = '1') AS normal_count,
                       count(*) FILTER (WHERE t.priority = '0') AS low_count
                  FROM helpdesk_ticket t
                 WHERE t.active AND NOT coalesce(t.closed, false) AND t.user_id IS NOT NULL
              GROUP BY t.user_id, t.company_id
            )
            SELECT row_number() OVER (ORDER BY a.user_id, a.company_id) AS id, a.user_id, a.company_id,
                   coalesce(l.open_count, 0) AS open_count,
                   coalesce(l.urgent_count, 0) AS urgent_count,
                   coalesce(l.high_count, 0) AS high_count,
                   coalesce(l.normal_count, 0) AS normal_count,
                   coalesce(l.low_count, 0) AS low_count,
                   coalesce(a.capacity, 0) AS capacity,
                   CASE WHEN coalesce(a.capacity, 0) > 0
                        THEN 100.0 * coalesce(l.open_count, 0) / a.capacity END AS load_percent,
                   coalesce(a.capacity, 0) > 0 AND coalesce(l.open_count, 0) > a.capacity AS over_capacity
              FROM agents a
              LEFT JOIN load l ON l.user_id = a.user_id AND l.company_id IS NOT DISTINCT FROM a.company_id
            """
        )

    def init(self):
        create_view(self.env.cr, self._table, self._query())

    def action_open_tickets(self):
        """The agent's open tickets of the row's company on the workload board."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_reports.helpdesk_workload_board_action")
        action["domain"] = [
            ("closed", "=", False), ("user_id", "=", self.user_id.id), ("company_id", "=", self.company_id.id),
        ]
        return action
