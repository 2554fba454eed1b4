from odoo.tests import new_test_user, tagged

from .common import HelpdeskPortalCommon


@tagged("post_install", "-at_install", "is_query_count")
class TestPortalQueryCount(HelpdeskPortalCommon):
    """/my/tickets renders a page of tickets with a number of queries that does not
    depend on how many tickets the customer has."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.small_customer = Partner.create({"name": "Small Customer", "email": "small@example.org"})
        cls.big_customer = Partner.create({"name": "Big Customer", "email": "big@example.org"})
        cls.user_small = new_test_user(
            cls.env, login="hdportal_small", password="hdportal_small",
            groups="base.group_portal", partner_id=cls.small_customer.id, email="small@example.org",
            name="Small Customer",
        )
        cls.user_big = new_test_user(
            cls.env, login="hdportal_big", password="hdportal_big",
            groups="base.group_portal", partner_id=cls.big_customer.id, email="big@example.org",
            name="Big Customer",
        )
        Ticket = cls.env["helpdesk.ticket"].with_context(tracking_disable=True, mail_create_nolog=True)
        agents = [cls.agent_a, cls.agent_a2, cls.agent_b]
        departments = [cls.department_a, cls.department_b]
        stages = [cls.stage_new, cls.stage_progress, cls.stage_waiting, cls.stage_resolved]

        def values(partner, count):
            return [
                {
                    "name": f"Ticket {index} of {partner.name}",
                    "partner_id": partner.id,
                    "department_id": departments[index % 2].id,
                    "user_id": agents[index % 3].id,
                    "stage_id": stages[index % 4].id,
                    "priority": str(index % 4),
                    "channel": "portal",
                }
                for index in range(count)
            ]

        Ticket.create(values(cls.small_customer, 20))
        Ticket.create(values(cls.big_customer, 500))

    def _queries_for(self, user, url):
        self.authenticate(user.login, user.login)
        for _warm in range(2):  # fill the caches (templates, rules, translations)
            self.assertEqual(self.url_open(url).status_code, 200)
        self.env.flush_all()
        before = self.cr.sql_log_count
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return self.cr.sql_log_count - before, response

    def test_my_tickets_query_count_independent_of_ticket_count(self):
        for url in ("/my/tickets", "/my/tickets?groupby=department&sortby=status",
                    "/my/tickets?groupby=status&filterby=open&sortby=priority"):
            small_count, small_response = self._queries_for(self.user_small, url)
            self.assertIn("Ticket", small_response.text)
            self.authenticate(self.user_big.login, self.user_big.login)
            for _warm in range(2):
                self.url_open(url)
            with self.assertQueryCount(small_count):
                response = self.url_open(url)
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.text.count("o_helpdesk_ticket_row"), 20, "one page of 20 tickets")
            self.assertIn("Big Customer", response.text)
