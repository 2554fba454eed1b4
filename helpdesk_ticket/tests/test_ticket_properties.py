from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import HelpdeskCommon


@tagged("post_install", "-at_install")
class TestTicketProperties(HelpdeskCommon):
    """Custom fields per department: Odoo's Properties, definition on the department
    (``ticket_properties_definition``), values on the ticket (``ticket_properties``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.department_b.ticket_properties_definition = [
            {"name": "account_no", "string": "Account number", "type": "char"},
            {"name": "invoice_count", "string": "Invoices", "type": "integer"},
            {"name": "plan", "string": "Plan", "type": "selection",
             "selection": [["basic", "Basic"], ["pro", "Pro"]]},
        ]
        cls.department_a.ticket_properties_definition = [
            {"name": "serial_no", "string": "Serial number", "type": "char"},
        ]

    def _billing_ticket(self, **properties):
        return self._create_ticket(department_id=self.department_b.id, ticket_properties=properties)

    def test_values_follow_the_department_definition(self):
        ticket = self._billing_ticket(account_no="ACC-42", invoice_count=3, plan="pro")
        self.assertEqual(ticket.ticket_properties, {"account_no": "ACC-42", "invoice_count": 3, "plan": "pro"})
        support = self._create_ticket(ticket_properties={"serial_no": "SN-1"})
        self.assertEqual(support.ticket_properties, {"serial_no": "SN-1"})
        # the definition, with the values, for the web client
        [read] = support.read(["ticket_properties"])
        self.assertEqual([(p["name"], p["value"]) for p in read["ticket_properties"]], [("serial_no", "SN-1")])

    def test_search_filter_and_group_by(self):
        first = self._billing_ticket(account_no="ACC-1", plan="pro")
        second = self._billing_ticket(account_no="ACC-2", plan="pro")
        third = self._billing_ticket(account_no="ACC-3", plan="basic")
        Ticket = self.env["helpdesk.ticket"]
        self.assertEqual(Ticket.search([("ticket_properties.account_no", "=", "ACC-2")]), second)
        groups = dict(
            (plan, count) for plan, count in Ticket._read_group(
                [("id", "in", (first | second | third).ids)], ["ticket_properties.plan"], ["__count"],
            )
        )
        self.assertEqual(groups, {"pro": 2, "basic": 1})

    def test_copy_keeps_values(self):
        ticket = self._billing_ticket(account_no="ACC-9")
        copy = ticket.copy()
        self.assertEqual(copy.ticket_properties["account_no"], "ACC-9")

    def test_agents_of_another_department_do_not_see_the_values(self):
        ticket = self._billing_ticket(account_no="ACC-SECRET")
        self.env.flush_all()
        self.assertFalse(
            self.env["helpdesk.ticket"].with_user(self.agent_a).search(
                [("ticket_properties.account_no", "=", "ACC-SECRET")]
            )
        )
        with self.assertRaises(AccessError):
            ticket.with_user(self.agent_a).read(["ticket_properties"])
        # the department's own agent reads and edits them
        ticket.with_user(self.agent_b).ticket_properties = {"account_no": "ACC-NEW"}
        self.assertEqual(ticket.ticket_properties["account_no"], "ACC-NEW")

    def test_only_managers_change_the_definition(self):
        with self.assertRaises(AccessError):
            self.department_b.with_user(self.agent_b).ticket_properties_definition = []
        self.department_b.with_user(self.manager).ticket_properties_definition = [
            {"name": "account_no", "string": "Account number", "type": "char"},
        ]
        self.assertEqual(len(self.department_b.ticket_properties_definition), 1)

    def test_views_show_properties(self):
        """Form, list and search views carry the field (filter and group by)."""
        Ticket = self.env["helpdesk.ticket"].with_user(self.agent_b)
        for view_type in ("form", "list", "search"):
            arch = Ticket.get_views([(False, view_type)])["views"][view_type]["arch"]
            self.assertIn('name="ticket_properties"', arch, view_type)
        search = Ticket.get_views([(False, "search")])["views"]["search"]["arch"]
        self.assertIn("'group_by': 'ticket_properties'", search)
