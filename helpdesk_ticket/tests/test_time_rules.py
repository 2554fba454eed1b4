from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from .common import HelpdeskCommon


@tagged("post_install", "-at_install")
class TestTimeRules(HelpdeskCommon):
    """The automation rules shipped as data, run by base_automation's scheduler on
    tickets whose dates were set in the past."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["helpdesk.routing.rule"].search([]).active = False
        cls.automations = (
            cls.env.ref("helpdesk_ticket.automation_rating_request")
            | cls.env.ref("helpdesk_ticket.automation_close_waiting")
            | cls.env.ref("helpdesk_ticket.automation_agent_reminder")
        )
        # as if the scheduler last ran a month ago
        cls.automations.last_run = fields.Datetime.now() - timedelta(days=30)

    def _set_dates(self, tickets, **dates):
        self.env.flush_all()
        for column, value in dates.items():
            self.env.cr.execute(
                f"UPDATE helpdesk_ticket SET {column} = %s WHERE id = ANY(%s)",  # noqa: S608 (test column names)
                [value, tickets.ids],
            )
        self.env.invalidate_all()

    def _run_scheduler(self):
        self.env["base.automation"]._check()
        self.env.invalidate_all()

    def _ago(self, **delta):
        return fields.Datetime.now() - timedelta(**delta)

    def test_rules_are_editable_data(self):
        for automation in self.automations:
            self.assertEqual(automation.trigger, "on_time")
            self.assertTrue(automation.action_server_ids)
        data = self.env["ir.model.data"].search([
            ("module", "=", "helpdesk_ticket"), ("model", "=", "base.automation"),
        ])
        self.assertTrue(data)
        self.assertTrue(all(data.mapped("noupdate")), "managers' edits survive module updates")

    def test_rating_request_24h_after_resolution(self):
        resolved = self._create_ticket(name="Resolved yesterday")
        recent = self._create_ticket(name="Resolved an hour ago")
        cancelled = self._create_ticket(name="Cancelled yesterday")
        no_customer = self._create_ticket(name="Internal", partner_id=False)
        (resolved | recent | no_customer).action_close()
        cancelled.stage_id = self.stage_cancelled
        self._set_dates(resolved | cancelled | no_customer, date_closed=self._ago(hours=25))
        self._set_dates(recent, date_closed=self._ago(hours=1))
        self._run_scheduler()

        rating = self.env["rating.rating"].search([("res_model", "=", "helpdesk.ticket"), ("res_id", "=", resolved.id)])
        self.assertEqual(len(rating), 1)
        self.assertEqual(rating.partner_id, self.customer)
        self.assertFalse(rating.consumed)
        request = resolved.message_ids.filtered(lambda m: rating.access_token in (m.body or ""))
        self.assertEqual(len(request), 1)
        self.assertIn(self.customer, request.partner_ids, "sent to the customer")
        self.assertIn(resolved.number, request.subject)
        self.assertTrue(self.env["mail.mail"].search([("mail_message_id", "=", request.id)]), "queued email")
        for ticket in (recent, cancelled, no_customer):
            self.assertFalse(
                self.env["rating.rating"].search([("res_model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id)]),
                ticket.name,
            )
        # the scheduler does not ask twice
        self._run_scheduler()
        self.assertEqual(len(resolved.message_ids.filtered(lambda m: rating.access_token in (m.body or ""))), 1)

    def test_positive_rating_adds_praise(self):
        praise = self.env.ref("helpdesk_ticket.tag_praise")
        happy = self._create_ticket(name="Happy")
        unhappy = self._create_ticket(name="Unhappy")
        (happy | unhappy).action_close()
        happy.rating_apply(5, token=happy._rating_get_access_token())
        unhappy.rating_apply(1, token=unhappy._rating_get_access_token())
        self.assertIn(praise, happy.tag_ids)
        self.assertNotIn(praise, unhappy.tag_ids)
        # a rating posted from the chatter (portal path) counts as well
        other = self._create_ticket(name="Rated from the portal")
        other.message_post(body="Great job", rating_value=4, author_id=self.customer.id)
        self.assertIn(praise, other.tag_ids)
        # a rating out of the 1-5 scale (Odoo's live chat feedback route stores any
        # number a visitor sends) is no praise
        forged = self._create_ticket(name="Forged rating")
        token = forged._rating_get_access_token()
        forged.rating_ids.filtered(lambda r: r.access_token == token).sudo().write(
            {"rating": 1e9, "consumed": True}
        )
        self.assertNotIn(praise, forged.tag_ids)

    def test_close_tickets_waiting_on_customer_for_7_days(self):
        stale = self._create_ticket(name="No answer for 8 days", stage_id=self.stage_waiting.id)
        fresh = self._create_ticket(name="Waiting since 3 days", stage_id=self.stage_waiting.id)
        working = self._create_ticket(name="In progress for 8 days", stage_id=self.stage_progress.id)
        self._set_dates(stale | working, date_last_stage_update=self._ago(days=8))
        self._set_dates(fresh, date_last_stage_update=self._ago(days=3))
        self._run_scheduler()

        self.assertTrue(stale.closed)
        self.assertEqual(stale.stage_id, self.stage_resolved)
        self.assertTrue(stale.date_closed)
        notice = stale.message_ids.filtered(lambda m: "we are closing it" in (m.body or ""))
        self.assertEqual(len(notice), 1)
        self.assertFalse(notice.subtype_id.internal, "a public message")
        self.assertIn(self.customer, notice.notified_partner_ids, "the customer is told")
        self.assertFalse(fresh.closed)
        self.assertFalse(working.closed)
        # a reopened ticket starts again from its new stage date
        stale.action_reopen()
        self.assertGreater(stale.date_last_stage_update, self._ago(minutes=5))

    def test_stage_date_follows_stage_changes(self):
        ticket = self._create_ticket()
        self._set_dates(ticket, date_last_stage_update=self._ago(days=10))
        ticket.stage_id = self.stage_waiting
        self.assertGreater(ticket.date_last_stage_update, self._ago(minutes=5))

    def test_remind_assignee_after_2_working_days_without_agent_message(self):
        todo = self.env.ref("mail.mail_activity_data_todo")
        # Monday 23 November 2026, 11:00 in Brussels (the department's calendar)
        with freeze_time("2026-11-23 10:00:00"):
            self.automations.last_run = fields.Datetime.now() - timedelta(days=30)
            idle = self._create_ticket(name="Nobody answered", user_id=self.agent_a.id)
            weekend = self._create_ticket(name="Idle over the weekend", user_id=self.agent_a2.id)
            answered = self._create_ticket(name="Answered this morning", user_id=self.agent_a2.id)
            unassigned = self._create_ticket(name="Unassigned")
            waiting = self._create_ticket(
                name="Waiting on customer", user_id=self.agent_a.id, stage_id=self.stage_waiting.id
            )
            closed = self._create_ticket(name="Closed", user_id=self.agent_a.id)
            closed.action_close()
            wednesday = fields.Datetime.to_datetime("2026-11-18 10:00:00")
            self._set_dates(idle | waiting | closed | unassigned, date_agent_idle_since=wednesday)
            # Friday at 17:00: nearly three calendar days, but Monday is only the next working day
            self._set_dates(weekend, date_agent_idle_since=fields.Datetime.to_datetime("2026-11-20 16:00:00"))
            self._set_dates(answered, date_agent_idle_since=fields.Datetime.to_datetime("2026-11-23 08:00:00"))
            self._run_scheduler()

        reminder = idle.activity_ids
        self.assertEqual(len(reminder), 1)
        self.assertEqual(reminder.user_id, self.agent_a)
        self.assertEqual(reminder.activity_type_id, todo)
        for ticket in (weekend, answered, unassigned, waiting, closed):
            self.assertFalse(ticket.activity_ids, ticket.name)

    def test_reminder_counts_the_department_holidays(self):
        """A public holiday of the department's own calendar is no working day
        (the rule's calendar, the company's, has no such holiday)."""
        calendar = self.env["resource.calendar"].create({"name": "Support hours (reminder test)", "tz": "Europe/Brussels"})
        self.department_a.resource_calendar_id = calendar
        self.env["resource.calendar.leaves"].create({
            "name": "Public holiday (reminder test)", "calendar_id": calendar.id, "resource_id": False,
            "date_from": "2026-11-19 00:00:00", "date_to": "2026-11-20 23:00:00",
        })
        with freeze_time("2026-11-23 10:00:00"):
            self.automations.last_run = fields.Datetime.now() - timedelta(days=30)
            ticket = self._create_ticket(name="Idle across the holiday", user_id=self.agent_a.id)
            # Wednesday evening: Thursday and Friday are holidays, Monday is the next working day
            self._set_dates(ticket, date_agent_idle_since=fields.Datetime.to_datetime("2026-11-18 16:00:00"))
            self._run_scheduler()
        self.assertFalse(ticket.activity_ids, "without the holidays, the reminder would be due since Friday")

    def test_agent_idle_date(self):
        ticket = self._create_ticket()
        self.assertFalse(ticket.date_agent_idle_since)
        ticket.user_id = self.agent_a
        self.assertEqual(ticket.date_agent_idle_since, ticket.date_assigned)
        self._set_dates(ticket, date_assigned=self._ago(days=5), date_agent_idle_since=self._ago(days=5))
        # a customer message does not reset it, an agent reply does
        ticket.message_post(
            body="Hello?", author_id=self.customer.id, message_type="email", subtype_xmlid="mail.mt_comment",
        )
        self.assertLess(ticket.date_agent_idle_since, self._ago(days=4))
        ticket.with_user(self.agent_a).message_post(
            body="On it", message_type="comment", subtype_xmlid="mail.mt_comment",
        )
        self.assertGreater(ticket.date_agent_idle_since, self._ago(minutes=5))
