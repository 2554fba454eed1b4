from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ReportsCommon


@tagged("post_install", "-at_install")
class TestAnalysisSecurity(ReportsCommon):
    """Record rules of helpdesk.ticket.analysis mirror those of helpdesk.ticket."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket_a = cls._create_ticket(name="A ticket", user_id=cls.agent_a.id)
        cls.ticket_a_followed = cls._create_ticket(name="A ticket followed by Bob")
        cls.ticket_a_followed.message_subscribe(partner_ids=cls.agent_b.partner_id.ids)
        cls.ticket_b = cls._create_ticket(name="B ticket", department_id=cls.department_b.id)
        cls.ticket_b_assigned_a = cls._create_ticket(
            name="B ticket assigned to Alice", department_id=cls.department_b.id, user_id=cls.agent_a.id,
        )
        cls.ticket_open_dep = cls._create_ticket(
            name="Open department",
            department_id=cls.env["helpdesk.department"].create({
                "name": "Everybody's", "visibility": "all_agents",
            }).id,
        )
        cls.ticket_no_dep = cls._create_ticket(name="No department", department_id=False)
        cls.company_2 = cls.env["res.company"].create({"name": "Other Helpdesk Company"})
        department_2 = cls.env["helpdesk.department"].create({
            "name": "Other company support", "company_id": cls.company_2.id, "visibility": "all_agents",
        })
        cls.ticket_company_2 = cls._create_ticket(
            name="Other company", department_id=department_2.id, partner_id=cls.other_customer.id,
        )
        cls.all_tickets = (
            cls.ticket_a | cls.ticket_a_followed | cls.ticket_b | cls.ticket_b_assigned_a
            | cls.ticket_open_dep | cls.ticket_no_dep | cls.ticket_company_2
        )
        cls.env.flush_all()

    def _visible_rows(self, user):
        Analysis = self.env["helpdesk.ticket.analysis"].with_user(user)
        return Analysis.search([("ticket_id", "in", self.all_tickets.ids)]).ticket_id.sudo()

    def _visible_tickets(self, user):
        return self.env["helpdesk.ticket"].with_user(user).search([("id", "in", self.all_tickets.ids)]).sudo()

    def test_agent_of_other_department_does_not_see_rows(self):
        rows_b = self._visible_rows(self.agent_b)
        self.assertNotIn(self.ticket_a, rows_b)
        self.assertIn(self.ticket_b, rows_b)
        self.assertIn(self.ticket_a_followed, rows_b, "followers may read the ticket, hence its row")
        rows_a = self._visible_rows(self.agent_a)
        self.assertIn(self.ticket_a, rows_a)
        self.assertNotIn(self.ticket_b, rows_a)
        self.assertIn(self.ticket_b_assigned_a, rows_a, "the assignee may read the ticket")
        # aggregated figures obey the same rules
        [(count,)] = self.env["helpdesk.ticket.analysis"].with_user(self.agent_b)._read_group(
            [("department_id", "=", self.department_a.id)], [], ["__count"]
        )
        self.assertEqual(count, 1, "only the followed ticket of department A")
        with self.assertRaises(AccessError):
            self.env["helpdesk.ticket.analysis"].with_user(self.agent_b).browse(self.ticket_a.id).read(["name"])

    def test_rows_mirror_ticket_rules(self):
        for user in (self.agent_a, self.agent_a2, self.agent_b, self.manager):
            self.assertEqual(
                self._visible_rows(user), self._visible_tickets(user),
                f"{user.name} sees exactly the rows of the tickets they may read",
            )

    def test_manager_sees_all_rows_of_allowed_companies(self):
        rows = self._visible_rows(self.manager)
        self.assertEqual(rows, self.all_tickets - self.ticket_company_2)
        self.manager.company_ids |= self.company_2
        Analysis = self.env["helpdesk.ticket.analysis"].with_user(self.manager).with_context(
            allowed_company_ids=[self.company.id, self.company_2.id]
        )
        self.assertIn(self.ticket_company_2, Analysis.search([]).ticket_id.sudo())

    def test_portal_user_has_no_access(self):
        portal = self._portal_user(self.customer, "hd_reports_portal")
        with self.assertRaises(AccessError):
            self.env["helpdesk.ticket.analysis"].with_user(portal).search([])
