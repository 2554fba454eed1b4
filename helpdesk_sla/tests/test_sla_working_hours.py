from datetime import datetime

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests.common import new_test_user, tagged

from .common import MONDAY_9, SlaCommon, local

#: Monday 24 June 2024, the whole day in Brussels
WHIT_MONDAY = (datetime(2024, 6, 23, 22, 0), datetime(2024, 6, 24, 22, 0))


@tagged("post_install", "-at_install")
class TestSlaWorkingHoursChange(SlaCommon):
    """Running clocks follow changes of their department's working hours and
    holidays; stopped clocks (reached, failed) keep their dates."""

    def setUp(self):
        super().setUp()
        self.triggers().unlink()

    def triggers(self, cron=None):
        return self.env["ir.cron.trigger"].search([("cron_id", "=", (cron or self.cron).id)], order="call_at")

    def replan(self, moment):
        """The change's transaction commits (waking the re-planning job once),
        then the job runs at ``moment``."""
        job = self.env.ref("helpdesk_sla.ir_cron_helpdesk_sla_replan")
        self.triggers(job).unlink()
        with self.at(moment):
            self.env.cr.flush()  # the commit: its precommit hooks run
            self.assertEqual(len(self.triggers(job)), 1, "the re-planning job is woken at the commit")
            self.env["helpdesk.ticket"]._cron_sla_replan()
        self.assertFalse(
            self.env["helpdesk.ticket"].search_count([("sla_replan_pending", "=", True)]), "every ticket re-planned"
        )

    def resolution(self, ticket, policy=None):
        return self.line(ticket, policy or self.policy_normal, "resolution")

    def test_public_holiday_moves_running_deadlines(self):
        running = self.create_ticket_at(MONDAY_9, priority="1")
        paused = self.create_ticket_at(MONDAY_9, priority="1")
        self.agent_reply(paused, local(17, 9, 30))
        self.set_stage(paused, self.stage_waiting, local(17, 10))
        late = self.create_ticket_at(MONDAY_9, priority="3")
        self.run_cron(local(17, 10, 1))
        late_first = self.line(late, self.policy_urgent, "first_response")
        self.assertEqual(late_first.status, "failed")
        # 40 working hours from Monday 9:00: the next Monday 9:00
        self.assertEqual(self.resolution(running).deadline, local(24, 9))
        self.assertEqual(self.resolution(paused).deadline, local(24, 9))

        # an administrator without helpdesk rights records a public holiday:
        # the clocks move although they cannot read them
        employee = new_test_user(self.env, login="sla_employee", groups="base.group_user,base.group_erp_manager")
        with self.assertRaises(AccessError):
            self.resolution(running).with_user(employee).read(["deadline"])
        with self.at(local(17, 11)):
            holiday = self.env["resource.calendar.leaves"].with_user(employee).create({
                "name": "Whit Monday", "date_from": WHIT_MONDAY[0], "date_to": WHIT_MONDAY[1],
                "company_id": self.company.id,
            })
        self.assertFalse(holiday.calendar_id, "a public holiday of every calendar of the company")
        self.assertEqual(self.resolution(running).deadline, local(24, 9), "the job re-plans, not the change")
        self.assertTrue(running.sla_replan_pending)
        self.replan(local(17, 11))
        self.assertEqual(self.resolution(running).deadline, local(25, 9), "one working day later")
        self.assertEqual(self.resolution(paused).deadline, local(25, 9))
        self.assertEqual(self.resolution(paused).status, "paused")
        self.assertEqual(self.resolution(paused).pause_start, local(17, 10), "the pause goes on")
        self.assertEqual(self.resolution(running).start_date, MONDAY_9)
        self.assertEqual(self.line(running, self.policy_normal, "first_response").deadline, local(18, 9))
        # moved to another day, then removed: back to normal
        with self.at(local(17, 11, 5)):
            holiday.write({"date_from": datetime(2024, 6, 20, 22, 0), "date_to": datetime(2024, 6, 21, 22, 0)})
        self.replan(local(17, 11, 5))
        self.assertEqual(self.resolution(running).deadline, local(25, 9), "Friday off instead")
        with self.at(local(17, 11, 10)):
            holiday.unlink()
        self.replan(local(17, 11, 10))
        self.assertEqual(self.resolution(running).deadline, local(24, 9))
        self.assertEqual(self.resolution(paused).deadline, local(24, 9))

        # the office closed on Monday morning (recorded afterwards, on this calendar only)
        first = self.line(running, self.policy_normal, "first_response")
        reached = self.line(paused, self.policy_normal, "first_response")
        self.assertEqual(reached.status, "reached")
        with self.at(local(17, 12)):
            self.env["resource.calendar.leaves"].create({
                "name": "Power cut", "calendar_id": self.calendar.id,
                "date_from": local(17, 9), "date_to": local(17, 12),
            })
        self.replan(local(17, 12))
        # 8 h: Monday 13-17, Tuesday 8-12
        self.assertEqual(first.deadline, local(18, 12))
        self.assertEqual(self.resolution(late, self.policy_urgent).deadline, local(18, 12))
        self.assertEqual((reached.status, reached.deadline), ("reached", local(18, 9)), "a reached clock stays")
        self.assertEqual((late_first.status, late_first.deadline), ("failed", local(17, 10)),
                         "a failed clock stays")

    def test_leaves_of_other_calendars_and_people_are_ignored(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        other = self.env["resource.calendar"].create({"name": "Warehouse", "tz": "Europe/Brussels"})
        alice = self.env["resource.resource"].create({"name": "Alice", "calendar_id": self.calendar.id})
        with self.at(local(17, 11)):
            self.env["resource.calendar.leaves"].create([
                {"name": "Warehouse inventory", "calendar_id": other.id,
                 "date_from": WHIT_MONDAY[0], "date_to": WHIT_MONDAY[1]},
                {"name": "Alice's day off", "resource_id": alice.id,
                 "date_from": WHIT_MONDAY[0], "date_to": WHIT_MONDAY[1]},
                {"name": "Team event", "calendar_id": self.calendar.id, "time_type": "other",
                 "date_from": WHIT_MONDAY[0], "date_to": WHIT_MONDAY[1]},
            ])
        self.assertFalse(ticket.sla_replan_pending, "nothing to re-plan")
        self.assertEqual(self.resolution(ticket).deadline, local(24, 9))

    def test_department_calendar_change(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        first = self.line(ticket, self.policy_normal, "first_response")
        self.assertEqual(self.triggers().mapped("call_at"), [local(17, 14)], "the 50 % warning of 8 h")
        self.set_stage(ticket, self.stage_waiting, local(17, 10))
        self.set_stage(ticket, self.stage_progress, local(17, 11))
        self.assertEqual(first.paused_hours, 1)
        self.assertEqual(first.warning_date, local(17, 15))
        self.triggers().unlink()
        # the department now works around the clock
        with self.at(local(17, 12)):
            self.department_a.with_user(self.manager).resource_calendar_id = False
        self.replan(local(17, 12))
        self.assertEqual(first.start_date, MONDAY_9)
        self.assertEqual(first.paused_hours, 1, "the paused hours are kept")
        # 8 + 1 hours from Monday 9:00, warning at 4 + 1 hours
        self.assertEqual(first.deadline, local(17, 18))
        self.assertEqual(first.warning_date, local(17, 14))
        self.assertEqual(self.resolution(ticket).deadline, datetime(2024, 6, 19, 0, 0))
        self.assertEqual(self.triggers().mapped("call_at"), [local(17, 14)], "the cron follows")
        # back to office hours; then Monday afternoon extended to 18:00
        with self.at(local(17, 12)):
            self.department_a.resource_calendar_id = self.calendar
        self.replan(local(17, 12))
        self.assertEqual(first.deadline, local(18, 10))
        monday_afternoon = self.calendar.attendance_ids.filtered(
            lambda a: a.dayofweek == "0" and a.day_period == "afternoon"
        )
        with self.at(local(17, 12)):
            self.calendar.write({"attendance_ids": [Command.update(monday_afternoon.id, {"hour_to": 18})]})
        self.replan(local(17, 12))
        self.assertEqual(first.deadline, local(18, 9))
        # a working Saturday morning moves the resolution from Monday 9:00 (40 h + 1 paused)
        self.assertEqual(self.resolution(ticket).deadline, local(24, 9))
        with self.at(local(17, 12)):
            self.calendar.write({"attendance_ids": [Command.create({
                "name": "Saturday", "dayofweek": "5", "hour_from": 9, "hour_to": 11, "day_period": "morning",
            })]})
        self.replan(local(17, 12))
        self.assertEqual(self.resolution(ticket).deadline, local(22, 10))
        with self.at(local(17, 12)):
            self.calendar.attendance_ids.filtered(lambda a: a.dayofweek == "5").unlink()
        self.replan(local(17, 12))
        self.assertEqual(self.resolution(ticket).deadline, local(24, 9))
        # another timezone (one hour behind): Monday 9:00 in Brussels is 8:00 in
        # London, Monday counts 9 working hours and the 41st ends on Friday 17:00 London
        with self.at(local(17, 12)):
            self.calendar.tz = "Europe/London"
        self.replan(local(17, 12))
        self.assertEqual(self.resolution(ticket).deadline, local(21, 18))
        # the calendar deleted: the department counts 24/7 (41 h from Monday 9:00)
        with self.at(local(17, 12)):
            self.calendar.unlink()
        self.replan(local(17, 12))
        self.assertFalse(self.department_a.resource_calendar_id)
        self.assertEqual(self.resolution(ticket).deadline, datetime(2024, 6, 19, 0, 0))

    def test_replan_job_in_batches_with_constant_queries(self):
        Ticket = self.env["helpdesk.ticket"].with_context(tracking_disable=True, mail_create_nolog=True)

        def make(count):
            with self.at(MONDAY_9):
                return Ticket.create([
                    {"name": f"Replan {i}", "department_id": self.department_a.id, "priority": "1"}
                    for i in range(count)
                ])

        def holiday(day):
            with self.at(local(17, 11)):
                self.env["resource.calendar.leaves"].create({
                    "name": f"Closed on the {day}", "calendar_id": self.calendar.id,
                    "date_from": datetime(2024, 6, day - 1, 22, 0), "date_to": datetime(2024, 6, day, 22, 0),
                })

        def run_job(batch_size):
            self.env.flush_all()
            self.env.invalidate_all()
            with self.at(local(17, 11)):
                return self.env["helpdesk.ticket"]._cron_sla_replan(batch_size=batch_size)

        few = make(3)
        holiday(20)  # Thursday
        self.assertEqual(few.mapped("sla_replan_pending"), [True] * 3, "flagged, not re-planned")
        self.assertEqual(set(few.sla_ids.mapped("deadline")), {local(18, 9), local(24, 9)})
        before = self.cr.sql_log_count
        self.assertEqual(run_job(100), 3)
        queries_3 = self.cr.sql_log_count - before
        self.assertEqual(set(few.sla_ids.mapped("deadline")), {local(18, 9), local(25, 9)})
        many = make(40)
        holiday(21)  # Friday too
        with self.assertQueryCount(queries_3):
            self.assertEqual(run_job(100), 43, "the same queries for 43 tickets as for 3")
        self.assertEqual(set((few | many).sla_ids.mapped("deadline")), {local(18, 9), local(26, 9)})
        # batches: the framework runs the next one at once
        holiday(19)
        self.assertEqual([run_job(20), run_job(20), run_job(20), run_job(20)], [20, 20, 3, 0])
        self.assertEqual(set((few | many).sla_ids.mapped("deadline")), {local(18, 9), local(27, 9)})

    def test_ticket_moved_to_another_department_follows_its_hours(self):
        company_wide = self.Policy.create({"name": "Everyone", "priority": "0", "resolution_hours": 10})
        ticket = self.create_ticket_at(MONDAY_9, priority="0")
        line = self.line(ticket, company_wide, "resolution")
        self.assertEqual(line.deadline, local(18, 11), "office hours: Monday 7, Tuesday 8-11")
        self.set_stage(ticket, self.stage_waiting, local(17, 10))
        self.set_stage(ticket, self.stage_progress, local(17, 12))
        # to a department working around the clock: 10 + 2 hours from Monday 9:00
        with self.at(local(17, 13)):
            ticket.department_id = self.department_b
        self.assertEqual((line.paused_hours, line.deadline), (2, local(17, 21)))
