from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from .common import HelpdeskCommon


@tagged("post_install", "-at_install")
class TestTicketSecurity(HelpdeskCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket_a = cls._create_ticket(name="Ticket of department A")
        cls.ticket_b = cls._create_ticket(
            name="Ticket of department B", department_id=cls.department_b.id, partner_id=cls.other_customer.id,
        )
        cls.portal_carla = cls._portal_user(cls.customer, "hd_portal_carla")
        cls.portal_colin = cls._portal_user(cls.customer_colleague, "hd_portal_colin")
        cls.portal_oscar = cls._portal_user(cls.other_customer, "hd_portal_oscar")
        cls.internal_user = new_test_user(cls.env, login="hd_plain_employee", groups="base.group_user")

    def _visible(self, user):
        return self.env["helpdesk.ticket"].with_user(user).search([("id", "in", (self.ticket_a | self.ticket_b).ids)])

    def test_agent_sees_only_own_departments(self):
        self.assertEqual(self._visible(self.agent_a), self.ticket_a)
        self.assertEqual(self._visible(self.agent_b), self.ticket_b)
        with self.assertRaises(AccessError):
            self.ticket_b.with_user(self.agent_a).read(["name"])
        with self.assertRaises(AccessError):
            self.ticket_b.with_user(self.agent_a).write({"priority": "3"})

    def test_all_agents_visibility(self):
        self.department_b.visibility = "all_agents"
        self.assertEqual(self._visible(self.agent_a), self.ticket_a | self.ticket_b)

    def test_agent_sees_assigned_and_followed(self):
        self.ticket_b.user_id = self.agent_a
        self.assertIn(self.ticket_b, self._visible(self.agent_a))
        self.ticket_b.user_id = False
        self.ticket_b.message_unsubscribe(partner_ids=self.agent_a.partner_id.ids)
        self.assertNotIn(self.ticket_b, self._visible(self.agent_a))
        self.ticket_b.message_subscribe(partner_ids=self.agent_a.partner_id.ids)
        self.assertIn(self.ticket_b, self._visible(self.agent_a))

    def test_manager_sees_all(self):
        self.assertEqual(self._visible(self.manager), self.ticket_a | self.ticket_b)
        self.ticket_b.with_user(self.manager).unlink()

    def test_agent_cannot_delete_or_configure(self):
        with self.assertRaises(AccessError):
            self.ticket_a.with_user(self.agent_a).unlink()
        with self.assertRaises(AccessError):
            self.department_a.with_user(self.agent_a).write({"visibility": "all_agents"})
        with self.assertRaises(AccessError):
            self.env["helpdesk.stage"].with_user(self.agent_a).create({"name": "Hacked"})

    def test_plain_employee_sees_nothing(self):
        with self.assertRaises(AccessError):
            self.env["helpdesk.ticket"].with_user(self.internal_user).search([])

    def test_portal_own_and_company_tickets(self):
        self.assertEqual(self._visible(self.portal_carla), self.ticket_a)
        # a colleague of the same company sees the company's tickets
        self.assertEqual(self._visible(self.portal_colin), self.ticket_a)
        # another customer sees only their own
        self.assertEqual(self._visible(self.portal_oscar), self.ticket_b)
        with self.assertRaises(AccessError):
            self.ticket_a.with_user(self.portal_oscar).read(["name"])

    def test_portal_is_read_only(self):
        with self.assertRaises(AccessError):
            self.ticket_a.with_user(self.portal_carla).write({"priority": "3"})
        with self.assertRaises(AccessError):
            self.env["helpdesk.ticket"].with_user(self.portal_carla).create({"name": "Direct create"})

    def test_multi_company_isolation(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        department_other = self.env["helpdesk.department"].create({
            "name": "Other Co support",
            "company_id": other_company.id,
            "visibility": "all_agents",
        })
        ticket_other = self._create_ticket(department_id=department_other.id, partner_id=self.other_customer.id)
        self.assertEqual(ticket_other.company_id, other_company)
        # the manager is not in the other company: does not see it
        self.assertFalse(self.env["helpdesk.ticket"].with_user(self.manager).search([("id", "=", ticket_other.id)]))
        self.assertFalse(
            self.env["helpdesk.department"].with_user(self.manager).search([("id", "=", department_other.id)])
        )
        # once allowed in that company, they do
        self.manager.write({"company_ids": [Command.link(other_company.id)]})
        found = self.env["helpdesk.ticket"].with_user(self.manager).with_context(
            allowed_company_ids=[self.company.id, other_company.id]
        ).search([("id", "=", ticket_other.id)])
        self.assertEqual(found, ticket_other)
        # numbers are unique per company
        self.assertTrue(ticket_other.number)
