from datetime import datetime

from odoo.tests import tagged
from odoo.tests.common import new_test_user
from odoo.tools import SQL

from .common import ReportsCommon

FIGURES = [
    "sla_status", "sla_failed_count", "sla_met", "rating", "rating_date", "rating_satisfied",
    "customer_message_count", "agent_message_count",
]


@tagged("post_install", "-at_install")
class TestAnalysisPerTicketFigures(ReportsCommon):
    """The SLA, rating and message figures of a ticket come from its own rows, each once:
    the view joins one pre-aggregated row per ticket for each of them."""

    def _figures(self, ticket):
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "SELECT %s FROM helpdesk_ticket_analysis WHERE ticket_id = %s",
            SQL(", ").join(SQL.identifier(name) for name in FIGURES), ticket.id,
        ))
        rows = self.env.cr.fetchall()
        self.assertEqual(len(rows), 1, "one row per ticket")
        return dict(zip(FIGURES, rows[0]))

    def _bare_ticket(self, **values):
        """A ticket without SLA line, rating nor message."""
        ticket = self._create_ticket(**values)
        ticket.sla_ids.sudo().unlink()
        self.env["mail.message"].sudo().search([("model", "=", ticket._name), ("res_id", "=", ticket.id)]).unlink()
        return ticket

    def _set_write_date(self, rating, when):
        rating.flush_recordset()
        self.env.cr.execute("UPDATE rating_rating SET write_date = %s WHERE id = %s", [when, rating.id])
        rating.invalidate_recordset(["write_date"])

    def test_ticket_without_anything(self):
        """Counts are 0 (not empty) and the other figures are empty, as before any activity."""
        ticket = self._bare_ticket(name="Nothing yet")
        self.assertEqual(self._figures(ticket), {
            "sla_status": "none", "sla_failed_count": 0, "sla_met": None, "rating": None,
            "rating_date": None, "rating_satisfied": None,
            "customer_message_count": 0, "agent_message_count": 0,
        })

    def test_figures_are_not_multiplied(self):
        """Two SLA lines, three ratings and three messages on one ticket: each figure counts
        its own rows once."""
        ticket = self._bare_ticket(name="Busy", user_id=self.agent_a.id)
        self._sla_line(ticket, "first_response", "failed")
        self._sla_line(ticket, "resolution", "reached")
        for value in (1, 2, 5):
            self._rate(ticket, value)
        ticket.message_post(body="1", author_id=self.customer.id, message_type="email",
                            subtype_xmlid="mail.mt_comment")
        ticket.message_post(body="2", author_id=self.customer.id, message_type="comment",
                            subtype_xmlid="mail.mt_comment")
        ticket.with_user(self.agent_a).message_post(body="3", message_type="comment",
                                                    subtype_xmlid="mail.mt_comment")
        figures = self._figures(ticket)
        self.assertEqual(
            (figures["sla_status"], figures["sla_failed_count"], figures["sla_met"]), ("failed", 1, 0)
        )
        self.assertEqual((figures["customer_message_count"], figures["agent_message_count"]), (2, 1))
        self.assertEqual((figures["rating"], figures["rating_satisfied"]), (5.0, 1), "the last of three")
        other = self._bare_ticket(name="Quiet neighbour")
        self.assertEqual(self._figures(other)["sla_failed_count"], 0, "nothing leaks to other tickets")

    def test_last_rating(self):
        """The last rating is the latest written one (then the highest id); ratings not given
        (not consumed, or 0) are ignored."""
        ticket = self._bare_ticket(name="Rated twice")
        later, earlier = self._rate(ticket, 5), self._rate(ticket, 1)
        self._set_write_date(later, datetime(2025, 3, 2, 10, 0))
        self._set_write_date(earlier, datetime(2025, 3, 1, 10, 0))
        pending = self._rate(ticket, 2)
        pending.consumed = False
        self._set_write_date(pending, datetime(2025, 3, 3, 10, 0))
        zero = self._rate(ticket, 0)
        self._set_write_date(zero, datetime(2025, 3, 4, 10, 0))
        figures = self._figures(ticket)
        self.assertEqual(
            (figures["rating"], figures["rating_date"], figures["rating_satisfied"]),
            (5.0, datetime(2025, 3, 2, 10, 0), 1),
        )
        # same moment: the highest id wins
        self._set_write_date(earlier, datetime(2025, 3, 2, 10, 0))
        self.assertEqual(self._figures(ticket)["rating"], 1.0)

    def test_agents_are_active_internal_users(self):
        """A message is an agent's when its author has an active internal user; a partner
        with two internal users counts once, an archived user or a portal user is a customer."""
        ticket = self._bare_ticket(name="Who wrote")
        twin_partner = self.env["res.partner"].create({"name": "Twin Agent", "email": "twin@example.com"})
        for login in ("hd_twin_1", "hd_twin_2"):
            new_test_user(self.env, login=login, groups="helpdesk_ticket.group_helpdesk_agent",
                          partner_id=twin_partner.id, name=twin_partner.name, email=twin_partner.email)
        former = new_test_user(self.env, login="hd_former_agent", groups="helpdesk_ticket.group_helpdesk_agent",
                               email="former@example.com")
        former.active = False
        portal = self._portal_user(self.other_customer, "hd_reports_portal")
        for author in (twin_partner, former.partner_id, portal.partner_id):
            ticket.message_post(body="hello", author_id=author.id, message_type="comment",
                                subtype_xmlid="mail.mt_comment")
        figures = self._figures(ticket)
        self.assertEqual((figures["agent_message_count"], figures["customer_message_count"]), (1, 2))

    def test_pivot_reads_the_tickets_only(self):
        """Counting tickets by department and month does not touch SLA lines, ratings or
        messages (PostgreSQL drops the joins it does not need)."""
        self.env.cr.execute("""
            EXPLAIN SELECT department_id, date_trunc('month', create_date), count(*)
              FROM helpdesk_ticket_analysis WHERE active GROUP BY 1, 2
        """)
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        for table in ("helpdesk_ticket_sla", "rating_rating", "mail_message", "res_users"):
            self.assertNotIn(table, plan)
        self.assertIn("helpdesk_ticket", plan)
