from odoo.tests import tagged

from .common import HelpdeskCommon, activate_languages


@tagged("post_install", "-at_install")
class TestPoorRatingFollowUp(HelpdeskCommon):
    """A rating of 1 or 2 tags the ticket, gives the manager an activity quoting the
    customer, and lists the ticket on the overview until the activity is done."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tag = cls.env.ref("helpdesk_ticket.tag_needs_follow_up")
        cls.activity_type = cls.env.ref("helpdesk_ticket.mail_activity_type_poor_rating")

    def _rated_ticket(self, rate, feedback=None, department=None, **values):
        ticket = self.env["helpdesk.ticket"].create(dict({
            "name": "Slow answer", "department_id": (department or self.department_a).id,
            "partner_id": self.customer.id, "user_id": self.agent_a.id,
        }, **values))
        token = ticket._rating_get_access_token()
        # as the public rating page does (sudo after checking the token)
        ticket.sudo().rating_apply(rate, token=token, feedback=feedback)
        return ticket

    def _follow_ups(self, ticket):
        return ticket.activity_ids.filtered(lambda a: a.activity_type_id == self.activity_type)

    def test_poor_rating_tags_and_assigns_the_department_manager(self):
        ticket = self._rated_ticket(1, feedback="Nobody answered for 3 days <b>at all</b>")
        self.assertIn(self.tag, ticket.tag_ids)
        activity = self._follow_ups(ticket)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.manager)
        self.assertIn("<blockquote", activity.note)
        self.assertIn("Nobody answered for 3 days &lt;b&gt;at all&lt;/b&gt;</blockquote>", activity.note,
                      "the customer's comment is quoted, escaped")
        self.assertIn("1/5", activity.summary)
        self.assertEqual(self.department_a.poor_rating_ticket_count, 1)
        action = self.department_a.action_poor_rating_tickets()
        self.assertEqual(self.env["helpdesk.ticket"].search(action["domain"]), ticket)

    def test_good_and_average_ratings_do_nothing(self):
        for rate in (3, 5):
            ticket = self._rated_ticket(rate, feedback="fine")
            self.assertNotIn(self.tag, ticket.tag_ids)
            self.assertFalse(self._follow_ups(ticket))

    def test_feedback_given_later_updates_the_one_activity(self):
        ticket = self._rated_ticket(2)
        self.assertIn("No comment given", self._follow_ups(ticket).note)
        rating = ticket.rating_ids[:1]
        ticket.sudo().rating_apply(2, token=rating.access_token, feedback="The fix did not work")
        activity = self._follow_ups(ticket)
        self.assertEqual(len(activity), 1, "never a second activity for the same ticket")
        self.assertIn("The fix did not work", activity.note)

    def test_listed_until_the_activity_is_done(self):
        ticket = self._rated_ticket(1, feedback="bad")
        self._follow_ups(ticket).with_user(self.manager).action_feedback(feedback="Called the customer")
        self.assertNotIn(self.tag, ticket.tag_ids)
        self.assertEqual(self.department_a.poor_rating_ticket_count, 0)
        # other activities being done leave the tag alone
        ticket2 = self._rated_ticket(2, feedback="bad")
        todo = ticket2.activity_schedule("mail.mail_activity_data_todo", user_id=self.agent_a.id)
        todo.action_feedback()
        self.assertIn(self.tag, ticket2.tag_ids)

    def test_agents_manager_without_department_manager(self):
        """No manager on the ticket's department: the manager of a department the agent
        works in follows it up."""
        ticket = self._rated_ticket(1, department=self.department_b, user_id=self.agent_a.id)
        self.assertEqual(self._follow_ups(ticket).user_id, self.manager)

    def test_handler_reusable_for_a_rating_of_another_record(self):
        """A bridge (live chat) maps its rating to the ticket with _helpdesk_rated_ticket;
        the follow-up is the same."""
        ticket = self.env["helpdesk.ticket"].create({
            "name": "Chat", "department_id": self.department_a.id, "partner_id": self.customer.id,
        })
        rating = self.env["rating.rating"].create({
            "res_model_id": self.env["ir.model"]._get_id("res.partner"), "res_id": self.customer.id,
            "rating": 1, "consumed": True, "feedback": "rude chat",
        })
        rating._helpdesk_follow_up(ticket)
        self.assertIn(self.tag, ticket.tag_ids)
        self.assertIn("rude chat", self._follow_ups(ticket).note)

    def test_rating_of_another_model_is_left_alone(self):
        tickets_before = self.env["helpdesk.ticket"].search_count([("tag_ids", "in", self.tag.ids)])
        self.env["rating.rating"].create({
            "res_model_id": self.env["ir.model"]._get_id("res.partner"), "res_id": self.customer.id,
            "rating": 1, "consumed": True,
        })
        self.assertEqual(self.env["helpdesk.ticket"].search_count([("tag_ids", "in", self.tag.ids)]), tickets_before)

    def test_overview_count_bounded_queries(self):
        """The overview's count of poor ratings: one grouped query whatever the number of
        departments."""
        departments = self.department_a | self.department_b | self.env["helpdesk.department"].create([
            {"name": f"Poor ratings {i}"} for i in range(5)
        ])
        self._rated_ticket(1)
        self._rated_ticket(2, department=self.department_b)

        def count(records):
            self.env.invalidate_all()
            return {d.id: d.poor_rating_ticket_count for d in records.with_user(self.manager)}

        count(departments)  # warm the caches (rules, xmlids)
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        self.assertEqual(count(self.department_a), {self.department_a.id: 1})
        queries = self.cr.sql_log_count - before
        self.env.invalidate_all()
        with self.assertQueryCount(queries):
            counts = count(departments)
        self.assertEqual(counts[self.department_b.id], 1)
        self.assertEqual(sum(counts.values()), 2)

    def test_follow_up_terms_in_thai_and_persian(self):
        activate_languages(self.env, ["helpdesk_ticket"])
        self.assertEqual(self.tag.with_context(lang="th_TH").name, "ต้องติดตามผล")
        self.assertEqual(self.tag.with_context(lang="fa_IR").name, "نیاز به پیگیری")
        self.assertEqual(self.activity_type.with_context(lang="fa_IR").name, "پیگیری امتیاز پایین")
