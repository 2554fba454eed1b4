from odoo.tests.common import tagged

from .common import MONDAY_9, SlaCommon, local


@tagged("post_install", "-at_install")
class TestSlaClock(SlaCommon):
    def test_pause_moves_deadline_by_working_hours_paused(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        first = self.line(ticket, self.policy_normal, "first_response")
        resolution = self.line(ticket, self.policy_normal, "resolution")
        self.assertEqual(first.deadline, local(18, 9))
        # Monday 11:00 waiting on the customer until Tuesday 10:00
        self.set_stage(ticket, self.stage_waiting, local(17, 11))
        self.assertEqual((first | resolution).mapped("status"), ["paused", "paused"])
        self.assertEqual(first.pause_start, local(17, 11))
        self.assertFalse(ticket.sla_deadline, "paused clocks have no running deadline")
        with self.at(local(17, 16)):
            first.invalidate_recordset(["remaining_hours"])
            self.assertEqual(first.remaining_hours, 6, "a paused clock keeps its remaining time")
        self.set_stage(ticket, self.stage_progress, local(18, 10))
        # paused: Monday 11-12 and 13-17, Tuesday 8-10 = 7 working hours
        self.assertEqual(first.status, "ongoing")
        self.assertEqual(first.paused_hours, 7)
        self.assertFalse(first.pause_start)
        self.assertEqual(first.deadline, local(18, 17))
        self.assertEqual(resolution.paused_hours, 7)
        self.assertEqual(resolution.deadline, local(24, 17))
        self.assertEqual(ticket.sla_deadline, local(18, 17))
        with self.at(local(18, 10)):
            first.invalidate_recordset(["remaining_hours"])
            self.assertEqual(first.remaining_hours, 6)
        # a second pause over the weekend: Friday 16:00 to Monday 9:00 = 2 working hours
        self.set_stage(ticket, self.stage_waiting, local(21, 16))
        self.set_stage(ticket, self.stage_progress, local(24, 9))
        self.assertEqual(resolution.paused_hours, 9)
        self.assertEqual(resolution.deadline, local(25, 10))

    def test_first_and_next_response(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1", user_id=self.agent_a.id)
        first = self.line(ticket, self.policy_normal, "first_response")
        # an internal note and a customer message do not answer the customer
        with self.at(local(17, 9, 30)):
            ticket.with_user(self.agent_a).message_post(body="Looking", subtype_xmlid="mail.mt_note")
        self.customer_message(ticket, local(17, 9, 40))
        self.assertEqual(first.status, "ongoing")
        self.assertFalse(ticket.sla_ids.filtered(lambda l: l.target == "next_response"),
                         "before the first response, the first-response clock covers the customer")
        self.agent_reply(ticket, local(17, 10))
        self.assertEqual(first.status, "reached")
        self.assertEqual(first.reached_date, local(17, 10))
        # each customer message waiting for an answer starts a next-response clock
        self.customer_message(ticket, local(17, 11))
        self.customer_message(ticket, local(17, 11, 30))
        next_line = ticket.sla_ids.filtered(lambda l: l.target == "next_response")
        self.assertEqual(len(next_line), 1, "one clock for consecutive customer messages")
        self.assertEqual(next_line.start_date, local(17, 11))
        self.assertEqual(next_line.deadline, local(17, 16))  # 4 h: 11-12, 13-16
        self.agent_reply(ticket, local(17, 14))
        self.assertEqual(next_line.status, "reached")
        self.assertEqual(next_line.reached_date, local(17, 14))
        self.customer_message(ticket, local(18, 9))
        second = ticket.sla_ids.filtered(lambda l: l.target == "next_response") - next_line
        self.assertEqual(second.start_date, local(18, 9))
        self.assertEqual(second.status, "ongoing")
        # resolution when the ticket enters a closed stage; every running clock stops
        self.set_stage(ticket, self.stage_resolved, local(18, 10))
        resolution = self.line(ticket, self.policy_normal, "resolution")
        self.assertEqual(resolution.status, "reached")
        self.assertEqual(resolution.reached_date, local(18, 10))
        self.assertEqual(second.status, "reached")
        self.assertEqual(ticket.sla_status, "on_track")
        self.assertFalse(ticket.sla_deadline)

    def test_reopen_resumes_resolution_with_remaining_time(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        resolution = self.line(ticket, self.policy_normal, "resolution")
        self.assertEqual(resolution.deadline, local(24, 9))
        with self.at(local(17, 15)):
            ticket.action_close()
        self.assertEqual(resolution.status, "reached")
        with self.at(local(19, 10)):
            ticket.action_reopen()
        # closed from Monday 15:00 to Wednesday 10:00: 2 + 8 + 2 working hours
        self.assertEqual(resolution.status, "ongoing")
        self.assertFalse(resolution.reached_date)
        self.assertEqual(resolution.paused_hours, 12)
        self.assertEqual(resolution.deadline, local(25, 14))
        with self.at(local(19, 10)):
            resolution.invalidate_recordset(["remaining_hours"])
            self.assertEqual(resolution.remaining_hours, 35, "40 h minus the 5 h used before closing")
        # the first response line, stopped by the closing, stays reached
        self.assertEqual(self.line(ticket, self.policy_normal, "first_response").status, "reached")

    def test_failed_stays_failed(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="3")
        urgent_first = self.line(ticket, self.policy_urgent, "first_response")
        urgent_resolution = self.line(ticket, self.policy_urgent, "resolution")
        self.run_cron(local(17, 10, 1))
        self.assertEqual(urgent_first.status, "failed")
        self.assertEqual(ticket.sla_status, "failed")
        self.agent_reply(ticket, local(17, 10, 30))
        self.assertEqual(urgent_first.status, "failed")
        self.assertEqual(urgent_first.reached_date, local(17, 10, 30), "the late answer is still recorded")
        self.assertEqual(self.line(ticket, self.policy_normal, "first_response").status, "reached")
        # resolution missed too, then closed and reopened: still failed
        self.run_cron(local(18, 9, 1))
        self.assertEqual(urgent_resolution.status, "failed")
        with self.at(local(18, 10)):
            ticket.action_close()
        self.assertEqual(urgent_resolution.status, "failed")
        self.assertEqual(urgent_resolution.reached_date, local(18, 10))
        with self.at(local(18, 11)):
            ticket.action_reopen()
        self.assertEqual(urgent_resolution.status, "failed")
        self.assertEqual(ticket.sla_status, "failed")

    def test_late_reach_without_cron_is_failed(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="3")
        self.agent_reply(ticket, local(17, 10, 30))
        self.assertEqual(self.line(ticket, self.policy_urgent, "first_response").status, "failed")
        self.assertEqual(self.line(ticket, self.policy_normal, "first_response").status, "reached")

    def closed_after_answer(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        self.agent_reply(ticket, local(17, 10))
        with self.at(local(17, 11)):
            ticket.action_close()
        return ticket

    def next_response(self, ticket):
        return ticket.sla_ids.filtered(lambda l: l.target == "next_response")

    def customer_email(self, ticket, sent):
        """A customer message dated ``sent`` (its Date header), received now."""
        return ticket.message_post(
            body="It broke again", author_id=self.customer.id, message_type="email",
            subtype_xmlid="mail.mt_comment", date=sent,
        )

    def test_customer_reply_reopening_starts_next_response_at_the_message(self):
        # the customer's reply reopens the ticket (within the reopen window): the
        # clock starts at the message, as if the ticket had been open when it came.
        # The reopening and the message are recorded together (here received 5
        # minutes after it was sent), in either order: the gateway reopens before
        # posting, the core reopens on the customer's message
        for reopen_first in (False, True):
            ticket = self.closed_after_answer()
            with self.at(local(18, 9, 5)):
                if reopen_first:
                    ticket.action_reopen()
                self.customer_email(ticket, local(18, 9))
                ticket.action_reopen()  # nothing when the message reopened it
            next_line = self.next_response(ticket)
            self.assertEqual(next_line.status, "ongoing")
            self.assertEqual(next_line.start_date, local(18, 9), f"reopen first: {reopen_first}")
            self.assertEqual(next_line.deadline, local(18, 14), "4 h: 9-12, 13-14")

    def test_reply_to_closed_ticket_reopened_later_starts_next_response_at_the_reply(self):
        # the customer wrote to the closed ticket outside its reopen window; an
        # agent reopens it the next day: the customer has been waiting since the
        # reply, the clock starts there (the time the ticket stayed closed before
        # the reply is not counted)
        self.department_a.reopen_days = 0
        ticket = self.closed_after_answer()
        self.customer_message(ticket, local(18, 9))
        self.assertFalse(self.next_response(ticket), "no clock while closed")
        with self.at(local(19, 10)):
            ticket.with_user(self.agent_a).action_reopen()
        next_line = self.next_response(ticket)
        self.assertEqual(next_line.start_date, local(18, 9))
        self.assertEqual((next_line.paused_hours, next_line.deadline), (0, local(18, 14)), "4 h: 9-12, 13-14")
        self.assertEqual(next_line.status, "ongoing", "late: the cron marks it failed")
        self.run_cron(local(19, 10, 1))
        self.assertEqual(next_line.status, "failed")
        # the resolution clock resumes with the closed time as a pause
        resolution = self.line(ticket, self.policy_normal, "resolution")
        self.assertEqual((resolution.status, resolution.paused_hours), ("ongoing", 5 + 8 + 2))

    def test_agent_reopening_starts_next_response_at_the_reopening(self):
        # the unanswered message came before the closing
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        self.agent_reply(ticket, local(17, 10))
        self.customer_message(ticket, local(17, 10, 30))
        with self.at(local(17, 11)):
            ticket.action_close()
        self.assertEqual(self.next_response(ticket).status, "reached", "the closing stops it")
        with self.at(local(18, 9)):
            ticket.action_reopen()
        self.assertEqual(len(self.next_response(ticket)), 2)
        self.assertEqual(self.next_response(ticket).filtered(lambda l: l.status == "ongoing").start_date,
                         local(18, 9))

    def test_archived_ticket_stops_its_clocks(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        with self.at(local(17, 10)):
            ticket.active = False
        self.assertEqual(set(ticket.sla_ids.mapped("status")), {"paused"})
        self.run_cron(local(20, 10))
        self.assertEqual(set(ticket.sla_ids.mapped("status")), {"paused"})
        with self.at(local(17, 11)):
            ticket.active = True
        first = self.line(ticket, self.policy_normal, "first_response")
        self.assertEqual(first.status, "ongoing")
        self.assertEqual(first.paused_hours, 1)
