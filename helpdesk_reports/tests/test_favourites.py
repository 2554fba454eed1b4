from odoo.tests import TransactionCase, tagged
from odoo.tools import safe_eval as safe_eval_tools
from odoo.tools.safe_eval import safe_eval


@tagged("post_install", "-at_install")
class TestFavourites(TransactionCase):
    """The shipped favourites are valid: their domain evaluates (as the web client
    does) and their groupings and measures run on the analysis model."""

    def test_shipped_favourites_run(self):
        for action_xmlid, model in [
            ("helpdesk_reports.helpdesk_ticket_analysis_action", "helpdesk.ticket.analysis"),
            ("helpdesk_reports.rating_rating_action_helpdesk", "rating.rating"),
        ]:
            action = self.env.ref(action_xmlid)
            filters = self.env["ir.filters"].search([("action_id", "=", action.id), ("user_id", "=", False)])
            self.assertTrue(filters, action_xmlid)
            Model = self.env[model]
            for favourite in filters:
                domain = safe_eval(favourite.domain, {
                    "datetime": safe_eval_tools.datetime,
                    "relativedelta": safe_eval_tools.dateutil.relativedelta.relativedelta,
                    "context_today": safe_eval_tools.datetime.date.today,
                })
                context = safe_eval(favourite.context)
                aggregates = [
                    "__count" if measure == "__count" else f"{measure}:{Model._fields[measure].aggregator}"
                    for measure in context.get("pivot_measures", ["__count"])
                ]
                Model._read_group(domain + safe_eval(action.domain or "[]"), context["group_by"], aggregates)
        self.assertEqual(
            len(self.env["ir.filters"].search([
                ("action_id", "=", self.env.ref("helpdesk_reports.helpdesk_ticket_analysis_action").id),
            ])), 7,
        )
