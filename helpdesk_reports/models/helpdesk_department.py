from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.rating.models.rating_data import RATING_LIMIT_SATISFIED


class HelpdeskDepartment(models.Model):
    _inherit = "helpdesk.department"

    sla_failed_ticket_count = fields.Integer("SLA Failed", compute="_compute_report_kpis")
    sla_at_risk_ticket_count = fields.Integer("SLA at Risk", compute="_compute_report_kpis")
    avg_first_response_hours_7d = fields.Float(
        "Average First Response (7 days)", compute="_compute_report_kpis",
        help="Average working hours to the first response of the tickets answered in the last 7 days.",
    )
    answered_ticket_count_7d = fields.Integer(compute="_compute_report_kpis")
    satisfaction_percent_30d = fields.Float(
        "Satisfaction (30 days)", compute="_compute_report_kpis",
        help="Share of the ratings of the last 30 days that are 4 or 5 out of 5.",
    )
    rating_count_30d = fields.Integer(compute="_compute_report_kpis")

    def write(self, vals):
        res = super().write(vals)
        if "resource_calendar_id" in vals:
            # the tickets' working hours are recomputed on the new calendar (no write on the
            # tickets): every hour of these departments is recounted in the analysis summary
            self.env["helpdesk.ticket.summary"].sudo()._mark_recount(departments=self)
            self.env["helpdesk.ticket"]._job_wake("report_summary_pending")
        return res

    def _report_period_start(self, days):
        return fields.Datetime.now() - timedelta(days=days)

    def _compute_report_kpis(self):
        """KPIs of the overview cards, with the user's access rights (ticket record
        rules): three grouped queries whatever the number of departments."""
        kpis = {dep_id: {} for dep_id in self.ids}
        if self.ids:
            Ticket = self.env["helpdesk.ticket"]
            for department, status, count in Ticket._read_group(
                [
                    ("department_id", "in", self.ids),
                    ("closed", "=", False),
                    ("sla_status", "in", ("failed", "at_risk")),
                ],
                groupby=["department_id", "sla_status"],
                aggregates=["__count"],
            ):
                kpis[department.id][status] = count
            for department, count, hours in Ticket._read_group(
                [
                    ("department_id", "in", self.ids),
                    ("date_first_response", ">=", self._report_period_start(7)),
                ],
                groupby=["department_id"],
                aggregates=["__count", "first_response_working_hours:avg"],
            ):
                kpis[department.id].update(answered=count, first_response=hours or 0.0)
            # every rating given in the last 30 days on a ticket the user may read
            tickets = Ticket._search([("department_id", "in", self.ids)])
            self.env["rating.rating"].flush_model(["res_model", "res_id", "rating", "consumed"])
            Ticket.flush_model(["department_id"])
            self.env.cr.execute(SQL(
                """
                SELECT t.department_id, count(*), count(*) FILTER (WHERE r.rating >= %s)
                  FROM rating_rating r
                  JOIN helpdesk_ticket t ON t.id = r.res_id
                 WHERE r.res_model = 'helpdesk.ticket' AND r.consumed AND r.rating > 0
                   AND r.write_date >= %s AND r.res_id IN %s
                 GROUP BY t.department_id
                """,
                RATING_LIMIT_SATISFIED, self._report_period_start(30), tickets.subselect(),
            ))
            for department_id, count, satisfied in self.env.cr.fetchall():
                kpis[department_id].update(rated=count, satisfied=satisfied)
        for department in self:
            values = kpis.get(department.id, {})
            department.sla_failed_ticket_count = values.get("failed", 0)
            department.sla_at_risk_ticket_count = values.get("at_risk", 0)
            department.answered_ticket_count_7d = values.get("answered", 0)
            department.avg_first_response_hours_7d = values.get("first_response", 0.0)
            rated = values.get("rated", 0)
            department.rating_count_30d = rated
            department.satisfaction_percent_30d = 100.0 * values.get("satisfied", 0) / rated if rated else 0.0

    # overview buttons only read (the action and the tickets' ids): with db_replica_host
    # Odoo runs them on the replica (call_button of a method marked @api.readonly)
    @api.readonly
    def action_sla_failed_tickets(self):
        self.ensure_one()
        return self._action_tickets(
            [("closed", "=", False), ("sla_status", "=", "failed")],
            self.env._("Tickets of %s with a failed SLA", self.name),
        )

    @api.readonly
    def action_sla_at_risk_tickets(self):
        self.ensure_one()
        return self._action_tickets(
            [("closed", "=", False), ("sla_status", "=", "at_risk")],
            self.env._("Tickets of %s with an SLA at risk", self.name),
        )

    @api.readonly
    def action_first_response_tickets(self):
        self.ensure_one()
        action = self._action_tickets(
            [("date_first_response", ">=", fields.Datetime.to_string(self._report_period_start(7)))],
            self.env._("Tickets of %s answered in the last 7 days", self.name),
        )
        action["view_mode"] = "list,form"
        action["views"] = [(False, "list"), (False, "form")]
        return action

    @api.readonly
    def action_ratings_30d(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_reports.rating_rating_action_helpdesk")
        tickets = self.env["helpdesk.ticket"].with_context(active_test=False).search(
            [("department_id", "=", self.id)]
        ).ids
        action.update(
            name=self.env._("Ratings of %s (last 30 days)", self.name),
            domain=[
                ("res_model", "=", "helpdesk.ticket"),
                ("res_id", "in", tickets),
                ("consumed", "=", True),
                ("rating", ">", 0),
                ("write_date", ">=", fields.Datetime.to_string(self._report_period_start(30))),
            ],
            view_mode="list,form",
            views=[(False, "list"), (False, "form")],
        )
        return action
