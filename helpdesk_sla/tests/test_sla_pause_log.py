from odoo.exceptions import AccessError
from odoo.tests.common import tagged

from .common import MONDAY_9, SlaCommon, local


@tagged("post_install", "-at_install")
class TestSlaPauseLog(SlaCommon):
    """The pause log (helpdesk.ticket.sla.pause) is the record of the pauses: the
    lines' deadlines, warning dates and paused hours derive from it."""

    def setUp(self):
        super().setUp()
        self.Pause = self.env["helpdesk.ticket.sla.pause"]

    def log(self, ticket):
        return [(p.date_start, p.date_end, p.reason) for p in ticket.sla_pause_ids.sorted("date_start")]

    def test_stops_are_logged_with_their_reason(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        self.set_stage(ticket, self.stage_waiting, local(17, 10))
        # waiting, then closed: two rows, the clocks stay stopped
        with self.at(local(17, 11)):
            ticket.action_close()
        with self.at(local(17, 12)):
            ticket.action_reopen()
        with self.at(local(17, 13)):
            ticket.active = False
        with self.at(local(17, 14)):
            ticket.active = True
        self.assertEqual(self.log(ticket), [
            (local(17, 10), local(17, 11), "waiting"),
            (local(17, 11), local(17, 12), "closed"),
            (local(17, 13), local(17, 14), "archived"),
        ])
        resolution = self.line(ticket, self.policy_normal, "resolution")
        self.assertEqual((resolution.status, resolution.paused_hours), ("ongoing", 3))
        # a ticket created in a waiting stage is stopped from its creation
        waiting = self.create_ticket_at(MONDAY_9, priority="1", stage_id=self.stage_waiting.id)
        self.assertEqual(self.log(waiting), [(MONDAY_9, False, "waiting")])
        self.assertEqual(set(waiting.sla_ids.mapped("status")), {"paused"})
        self.assertEqual(set(waiting.sla_ids.mapped("pause_start")), {MONDAY_9})

    def test_editing_the_log_moves_deadlines_and_paused_hours(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        first = self.line(ticket, self.policy_normal, "first_response")
        resolution = self.line(ticket, self.policy_normal, "resolution")
        self.set_stage(ticket, self.stage_waiting, local(17, 10))
        self.set_stage(ticket, self.stage_progress, local(17, 12))
        pause = ticket.sla_pause_ids
        # 8 + 2 working hours from Monday 9:00: Monday 7, Tuesday 8-11
        self.assertEqual((first.paused_hours, first.deadline), (2, local(18, 11)))
        # a manager corrects the log: the customer was waited on since 9:30
        with self.at(local(17, 13)):
            pause.with_user(self.manager).date_start = local(17, 9, 30)
        self.assertEqual((first.paused_hours, first.deadline), (2.5, local(18, 11, 30)))
        self.assertEqual(first.warning_date, local(17, 16, 30), "50 % of 8 h + 2.5 h paused")
        self.assertEqual(resolution.paused_hours, 2.5)
        self.assertEqual(ticket.sla_deadline, local(18, 11, 30))
        # a forgotten pause recorded afterwards (Monday 14:00-16:00); the cron follows
        self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]).unlink()
        with self.at(local(17, 16, 30)):
            forgotten = self.Pause.with_user(self.manager).create({
                "ticket_id": ticket.id, "date_start": local(17, 14), "date_end": local(17, 16),
            })
        # 8 + 4.5 working hours: Monday 7, Tuesday 8-12 and 13-14:30
        self.assertEqual((first.paused_hours, first.deadline), (4.5, local(18, 14, 30)))
        self.assertEqual(first.warning_date, local(18, 9, 30))
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])
        self.assertEqual(triggers.mapped("call_at"), [local(18, 9, 30)])
        # removed again
        with self.at(local(17, 16, 30)):
            forgotten.with_user(self.manager).unlink()
        self.assertEqual((first.paused_hours, first.deadline), (2.5, local(18, 11, 30)))
        # a pause still open stops the clocks: the ticket waits since 16:00
        with self.at(local(17, 16, 30)):
            running = self.Pause.with_user(self.manager).create({"ticket_id": ticket.id, "date_start": local(17, 16)})
        self.assertEqual((first.status, first.pause_start), ("paused", local(17, 16)))
        self.assertFalse(ticket.sla_deadline, "no clock running")
        with self.at(local(17, 17)):
            running.with_user(self.manager).date_end = local(17, 17)
        self.assertEqual((first.status, first.paused_hours), ("ongoing", 3.5))
        # agents read the log but cannot change it
        with self.assertRaises(AccessError):
            pause.with_user(self.agent_a).date_end = local(17, 11)

    def test_reached_clock_keeps_what_it_had(self):
        # a pause recorded after a clock stopped does not move it
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        self.agent_reply(ticket, local(17, 10))
        first = self.line(ticket, self.policy_normal, "first_response")
        with self.at(local(17, 12)):
            self.Pause.create({"ticket_id": ticket.id, "date_start": local(17, 11), "date_end": local(17, 12)})
        self.assertEqual((first.status, first.paused_hours, first.deadline), ("reached", 0, local(18, 9)))

    def test_rematched_clocks_honour_earlier_pauses(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="3")
        self.set_stage(ticket, self.stage_waiting, local(17, 9, 30))
        self.set_stage(ticket, self.stage_progress, local(17, 10, 30))
        urgent = self.line(ticket, self.policy_urgent, "resolution")
        self.assertEqual((urgent.paused_hours, urgent.deadline), (1, local(18, 10)))
        # lowered to normal: the running urgent clocks go; raised again: they come
        # back from the ticket's start, with the pause it had
        with self.at(local(17, 11)):
            ticket.priority = "1"
        self.assertFalse(ticket.sla_ids.filtered(lambda l: l.policy_id == self.policy_urgent))
        with self.at(local(17, 14)):
            ticket.priority = "3"
        urgent = self.line(ticket, self.policy_urgent, "resolution")
        self.assertEqual((urgent.start_date, urgent.paused_hours), (MONDAY_9, 1))
        self.assertEqual(urgent.deadline, local(18, 10), "8 + 1 working hours from Monday 9:00")
        # the first response (1 h, due at 10:00) was stopped by the wait at 9:30:
        # due at 11:00, it is late now and fails at the next run
        first = self.line(ticket, self.policy_urgent, "first_response")
        self.assertEqual((first.paused_hours, first.deadline, first.status), (1, local(17, 11), "ongoing"))
        self.run_cron(local(17, 14, 1))
        self.assertEqual(first.status, "failed")
        self.assertEqual(urgent.status, "ongoing")
