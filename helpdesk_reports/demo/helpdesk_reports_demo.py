"""Demo data of the reports: three months of ticket history (called from
demo/helpdesk_reports_demo.xml, never by the production code)."""
import random
from datetime import timedelta

from odoo import api, fields, models


class HelpdeskReportsDemo(models.AbstractModel):
    _name = "helpdesk.reports.demo"
    _description = "Helpdesk Reports Demo Data"

    @api.model
    def _generate_history(self, count=40, seed=7):
        """Give the demo a past worth analysing: ``count`` more tickets spread over
        the last three months, and first responses, closings and ratings at
        plausible moments (deterministic)."""
        rng = random.Random(seed)
        Ticket = self.env["helpdesk.ticket"]
        now = fields.Datetime.now().replace(microsecond=0)
        Line = self.env["helpdesk.ticket.sla"].sudo()
        departments = self.env["helpdesk.department"].search([])
        partners = Ticket.search([("partner_id", "!=", False)]).partner_id
        if not departments or not partners:
            return False
        types = self.env["helpdesk.ticket.type"].search([])
        tags = self.env["helpdesk.tag"].search([])
        subjects = [
            "Cannot log in", "Invoice amount is wrong", "Printer offline", "Refund request",
            "VPN drops every hour", "Upgrade our plan", "Password reset link expired",
            "Delivery is late", "Export to Excel fails", "Question about the contract",
        ]
        channels = ["email"] * 5 + ["portal"] * 3 + ["web"] * 2 + ["phone"] * 2 + ["chat", "api"]
        new = Ticket.create([
            {
                "name": rng.choice(subjects),
                "department_id": rng.choice(departments).id,
                "partner_id": rng.choice(partners).id,
                "channel": rng.choice(channels),
                "priority": rng.choice("0111112223"),
                "type_id": rng.choice(types).id if types else False,
                "tag_ids": [(6, 0, rng.sample(tags.ids, k=min(len(tags), rng.choice([0, 1, 1, 2]))))],
            }
            for _index in range(count)
        ])
        for ticket in new:
            created = now - timedelta(days=rng.randint(1, 90), hours=rng.randint(0, 9), minutes=rng.randint(0, 59))
            self.env.cr.execute("UPDATE helpdesk_ticket SET create_date = %s WHERE id = %s", [created, ticket.id])
        new.invalidate_recordset(["create_date"])
        # the SLA clocks start at the (new) creation date
        new.sla_ids.unlink()
        new.invalidate_recordset(["sla_ids"])
        new._sla_apply()
        closing_stage = self.env.ref("helpdesk_ticket.stage_resolved")
        demo_tickets = Ticket.browse(
            self.env["ir.model.data"].sudo().search(
                [("module", "=", "helpdesk_ticket"), ("model", "=", "helpdesk.ticket")]
            ).mapped("res_id")
        ).exists()
        for ticket in (demo_tickets | new).sorted("id"):
            if ticket in new:
                if rng.random() < 0.1:
                    continue  # not answered yet
            elif ticket.stage_id.sequence <= 1 and not ticket.closed and rng.random() < 0.5:
                continue
            latest = now - timedelta(hours=1)
            answered = ticket.date_first_response or min(
                ticket.create_date + timedelta(hours=rng.choice([0.5, 1, 2, 3, 5, 8, 20, 30])), latest
            )
            if not ticket.date_first_response:
                ticket.date_first_response = answered
            old_enough = ticket.create_date < now - timedelta(days=3)
            if not ticket.closed and not (ticket in new and old_enough and rng.random() < 0.8):
                continue
            closed = min(answered + timedelta(hours=rng.choice([2, 4, 8, 16, 30, 60, 120])), latest)
            Line.search([("ticket_id", "=", ticket.id), ("status", "in", ("ongoing", "paused"))])._reach(closed)
            if not ticket.closed:
                ticket.stage_id = closing_stage
            ticket.date_closed = closed
            if ticket.stage_id == closing_stage and rng.random() < 0.8:
                rating = self.env["rating.rating"].sudo().create({
                    "res_model_id": self.env["ir.model"]._get_id(Ticket._name),
                    "res_id": ticket.id,
                    "partner_id": ticket.partner_id.id,
                    "rated_partner_id": ticket.user_id.partner_id.id,
                    "rating": rng.choice([5, 5, 5, 4, 4, 4, 3, 2, 1, 5]),
                    "consumed": True,
                })
                rated = min(closed + timedelta(hours=rng.randint(2, 30)), latest)
                rating.flush_recordset()
                self.env.cr.execute(
                    "UPDATE rating_rating SET create_date = %s, write_date = %s WHERE id = %s",
                    [rated, rated, rating.id],
                )
        return True
