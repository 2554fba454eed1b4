from odoo.tests import tagged
from odoo.tools import format_datetime

from .common import HelpdeskPortalCommon


@tagged("post_install", "-at_install")
class TestPortalLinkedTickets(HelpdeskPortalCommon):
    """The customer sees the parent ticket only: never a sub-ticket (list, page, even
    with its token), nothing of a problem behind their incident."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        wizard = cls.env["helpdesk.ticket.handoff"].with_user(cls.agent_a).create({
            "ticket_id": cls.ticket_a.id, "department_id": cls.department_b.id,
            "note": "Finance: check the invoice numbering",
        })
        wizard.action_handoff()
        cls.child = cls.ticket_a.child_ids
        # worst case: somebody set the customer on the sub-ticket by hand
        cls.child.write({"partner_id": cls.customer.id})
        cls.child._portal_ensure_token()
        cls.problem = cls._create_ticket(
            name="Print server crashed (internal analysis)", is_problem=True, partner_id=False,
        )
        cls.ticket_a.problem_id = cls.problem

    def test_sub_ticket_is_not_listed_nor_shown(self):
        self.login(self.user_a)
        listing = self.url_open("/my/tickets").text
        self.assertIn(self.ticket_a.number, listing)
        self.assertNotIn(self.child.number, listing)
        self.assertNotIn("Finance: check the invoice numbering", listing)
        page = self.url_open(f"/my/tickets/{self.child.id}", allow_redirects=False)
        self.assertEqual(page.status_code, 303)
        self.assertNotIn(self.child.number, page.text)
        # the page of the parent says nothing of the sub-ticket nor of the problem
        parent = self.url_open(f"/my/tickets/{self.ticket_a.id}").text
        for secret in (self.child.number, "Finance: check", self.problem.number, "internal analysis"):
            self.assertNotIn(secret, parent)

    def test_sub_ticket_token_opens_nothing(self):
        self.authenticate(None, None)
        response = self.url_open(f"/my/tickets/{self.child.id}?access_token={self.child.access_token}")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("Finance: check", response.text)
        # the parent's token does not open the sub-ticket either
        response = self.url_open(f"/my/tickets/{self.child.id}?access_token={self.ticket_a.access_token}")
        self.assertEqual(response.status_code, 404)

    def test_portal_json_read_refuses_links(self):
        self.login(self.user_a)
        result = self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": "helpdesk.ticket", "method": "search_read",
            "args": [[]], "kwargs": {"fields": ["number"]},
        })
        numbers = {row["number"] for row in result}
        self.assertIn(self.ticket_a.number, numbers)
        self.assertNotIn(self.child.number, numbers)
        self.assertNotIn(self.problem.number, numbers)
        with self.assertRaises(Exception):
            self.make_jsonrpc_request("/web/dataset/call_kw", {
                "model": "helpdesk.ticket", "method": "read",
                "args": [[self.ticket_a.id], ["problem_id", "parent_id"]], "kwargs": {},
            })


@tagged("post_install", "-at_install")
class TestPortalSlaExpectations(HelpdeskPortalCommon):
    """The ticket page tells the customer when to expect the first answer and the
    resolution (the SLA addon's clocks, through ``_customer_expectations``), in their
    time zone, on hold while waiting on them, without the policy's name."""

    def setUp(self):
        super().setUp()
        if "helpdesk.sla.policy" not in self.env:
            self.skipTest("helpdesk_sla is not installed")

    def test_page_shows_expected_dates(self):
        self.department_a.resource_calendar_id = False  # around the clock
        self.env["helpdesk.sla.policy"].create({
            "name": "Gold contract internal policy", "department_id": self.department_a.id,
            "first_response_hours": 4, "resolution_hours": 24,
        })
        self.customer.tz = "Asia/Bangkok"
        ticket = self._create_ticket(name="Expectations ticket", channel="portal")
        lines = ticket.sla_ids
        first = lines.filtered(lambda line: line.target == "first_response")
        self.login(self.user_a)
        page = self.url_open(f"/my/tickets/{ticket.id}").text
        self.assertIn("First answer expected", page)
        self.assertIn("Resolution expected", page)
        self.assertNotIn("Gold contract", page)
        # in the customer's time zone (UTC+7)
        expected = format_datetime(self.env, first.deadline, tz="Asia/Bangkok", dt_format="medium")
        self.assertIn(expected, page)

        ticket.stage_id = self.stage_waiting
        page = self.url_open(f"/my/tickets/{ticket.id}").text
        self.assertIn("on hold while we wait for your reply", page)
        self.assertNotIn(expected, page)

        ticket.action_close()
        page = self.url_open(f"/my/tickets/{ticket.id}").text
        self.assertNotIn("First answer expected", page)
        self.assertNotIn("Resolution expected", page)

    def test_no_sla_no_promise(self):
        self.assertFalse(self.ticket_a.sla_ids)
        self.login(self.user_a)
        page = self.url_open(f"/my/tickets/{self.ticket_a.id}").text
        self.assertNotIn("o_helpdesk_expectations", page)
