from odoo.tests import tagged

from .common import HelpdeskPortalCommon


@tagged("post_install", "-at_install")
class TestPortalFollowedTickets(HelpdeskPortalCommon):
    """/my/tickets lists the visitor's own tickets, their company's and the tickets they
    follow; the followed ones are read first, in one query whatever their number."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # tickets of other customers: Carla follows some of them
        cls.foreign = cls.env["helpdesk.ticket"].with_context(tracking_disable=True).create([
            {"name": f"Foreign ticket {index}", "partner_id": cls.other_customer.id,
             "department_id": cls.department_a.id}
            for index in range(12)
        ])

    def _listed_names(self, url="/my/tickets"):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return response.text

    def test_followed_tickets_listed(self):
        followed, not_followed = self.foreign[0], self.foreign[1]
        followed.message_subscribe(partner_ids=self.customer.ids)
        self.login(self.user_a)
        page = self._listed_names()
        self.assertIn(followed.name, page, "a followed ticket of another customer is listed")
        self.assertNotIn(not_followed.name, page)
        self.assertNotIn(self.ticket_b.name, page)
        self.assertIn(self.ticket_a.name, page, "own ticket")
        self.assertIn(self.ticket_a_colleague.name, page, "company's ticket")
        # the counter of the portal home counts the same tickets
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["helpdesk_ticket_count"]})
        self.assertEqual(counters["helpdesk_ticket_count"], 3)
        # unfollowed: gone
        followed.message_unsubscribe(partner_ids=self.customer.ids)
        self.assertNotIn(followed.name, self._listed_names())

    def test_followers_of_others_do_not_leak(self):
        """Oscar following his own tickets does not show them to Carla, and Carla's follows
        do not show anything to Oscar beyond his own tickets."""
        self.foreign[2].message_subscribe(partner_ids=self.customer.ids)
        self.login(self.user_b)
        page = self._listed_names()
        self.assertIn(self.ticket_b.name, page)
        self.assertNotIn(self.ticket_a.name, page)
        self.assertNotIn(self.ticket_a_colleague.name, page)

    def test_query_count_independent_of_followed_tickets(self):
        self.login(self.user_a)
        for _warm in range(2):
            self._listed_names()
        self.env.flush_all()
        before = self.cr.sql_log_count
        self._listed_names()
        without_follows = self.cr.sql_log_count - before
        self.foreign[:10].message_subscribe(partner_ids=self.customer.ids)
        self.env.flush_all()
        self._listed_names()
        with self.assertQueryCount(without_follows):
            page = self._listed_names()
        self.assertIn(self.foreign[9].name, page)
