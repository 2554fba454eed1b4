from datetime import timedelta

from odoo import api, fields, models

PERIODS = [("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days")]

#: (figure, how it is measured) shown side by side for the agent and the department
FIGURES = (
    "open_count",
    "closed_count",
    "first_response_hours",
    "close_hours",
    "sla_met",
    "rating",
    "rating_satisfied",
)


class HelpdeskPerformance(models.TransientModel):
    """"My performance": an agent's own figures next to their departments' average.

    Everything is read from ``helpdesk.ticket.analysis`` with the user's access
    rights: an agent compares themselves with the tickets they may read."""

    _name = "helpdesk.performance"
    _description = "Helpdesk Agent Performance"

    user_id = fields.Many2one("res.users", string="Agent", default=lambda self: self.env.user, readonly=True)
    period = fields.Selection(PERIODS, default="30", required=True)
    department_ids = fields.Many2many(
        "helpdesk.department", compute="_compute_figures", string="Departments",
        help="Departments of which the agent is a member or the manager.",
    )

    my_open_count = fields.Integer("Open Tickets", compute="_compute_figures")
    my_closed_count = fields.Integer("Tickets Closed", compute="_compute_figures")
    my_first_response_hours = fields.Float("Avg. First Response", compute="_compute_figures")
    my_close_hours = fields.Float("Avg. Time to Close", compute="_compute_figures")
    my_sla_met = fields.Float("SLA Compliance", compute="_compute_figures")
    my_rating = fields.Float("Avg. Rating", compute="_compute_figures")
    my_rating_satisfied = fields.Float("Satisfaction", compute="_compute_figures")

    dept_open_count = fields.Float("Open Tickets per Agent", compute="_compute_figures")
    dept_closed_count = fields.Float("Tickets Closed per Agent", compute="_compute_figures")
    dept_first_response_hours = fields.Float("Department Avg. First Response", compute="_compute_figures")
    dept_close_hours = fields.Float("Department Avg. Time to Close", compute="_compute_figures")
    dept_sla_met = fields.Float("Department SLA Compliance", compute="_compute_figures")
    dept_rating = fields.Float("Department Avg. Rating", compute="_compute_figures")
    dept_rating_satisfied = fields.Float("Department Satisfaction", compute="_compute_figures")

    @api.model
    def _scope_figures(self, scope, start):
        """Figures of the analysis rows matching ``scope`` (a domain), for the period
        starting at ``start``: four grouped queries."""
        Analysis = self.env["helpdesk.ticket.analysis"]

        def aggregate(domain, aggregates):
            return Analysis._read_group(scope + domain, [], aggregates)[0]

        (open_count,) = aggregate([("closed", "=", False)], ["__count"])
        closed_count, close_hours, sla_met = aggregate(
            [("close_date", ">=", start)], ["__count", "close_hours:avg", "sla_met:avg"]
        )
        (first_response_hours,) = aggregate([("first_response_date", ">=", start)], ["first_response_hours:avg"])
        rating, satisfied = aggregate([("rating_date", ">=", start)], ["rating:avg", "rating_satisfied:avg"])
        return {
            "open_count": open_count,
            "closed_count": closed_count,
            "first_response_hours": first_response_hours or 0.0,
            "close_hours": close_hours or 0.0,
            "sla_met": sla_met or 0.0,
            "rating": rating or 0.0,
            "rating_satisfied": satisfied or 0.0,
        }

    @api.depends("user_id", "period")
    def _compute_figures(self):
        Department = self.env["helpdesk.department"]
        is_manager = self.env.user.has_group("helpdesk_ticket.group_helpdesk_manager")
        for report in self:
            # agents only ever get their own report; managers may look at an agent's
            user = report.user_id if report.user_id and is_manager else self.env.user
            start = fields.Datetime.now() - timedelta(days=int(report.period or 30))
            departments = Department.search(["|", ("member_ids", "in", user.ids), ("manager_id", "=", user.id)])
            report.department_ids = departments
            mine = self._scope_figures([("user_id", "=", user.id)], start)
            for name in FIGURES:
                report[f"my_{name}"] = mine[name]
            if departments:
                team = self._scope_figures([("department_id", "in", departments.ids)], start)
                agents = len(departments.member_ids) or 1
                team["open_count"] /= agents
                team["closed_count"] /= agents
            else:
                team = dict.fromkeys(FIGURES, 0.0)
            for name in FIGURES:
                report[f"dept_{name}"] = team[name]

    @api.readonly
    def onchange(self, values, field_names, fields_spec):
        # the report is never saved for its figures: the form computes them in onchange
        # (opening it, changing the period), read-only, so Odoo runs it on the replica
        # when the server has db_replica_host (the web client's call_kw of an
        # @api.readonly method); computing writes nothing
        return super().onchange(values, field_names, fields_spec)

    @api.readonly
    def action_open_my_analysis(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "helpdesk_reports.helpdesk_ticket_analysis_action"
        )
        action["domain"] = [("user_id", "=", self.user_id.id)]
        action["name"] = self.env._("Tickets of %s", self.user_id.name)
        action["context"] = {"pivot_row_groupby": ["create_date:month"], "group_by": []}
        return action
