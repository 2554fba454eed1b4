from datetime import timedelta

from odoo.tests.common import tagged

from .common import MONDAY_9, SlaCommon, local


@tagged("post_install", "-at_install")
class TestSlaCron(SlaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # leave only this test's lines and triggers to the cron
        cls.env["helpdesk.ticket.sla"].search([]).write({"status": "reached"})

    def setUp(self):
        super().setUp()
        self.triggers().unlink()

    def triggers(self):
        return self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)], order="call_at")

    def ticket_notes(self, ticket, text):
        return ticket.message_ids.filtered(lambda m: text in (m.body or ""))

    def department_messages(self, partner):
        return self.env["mail.message"].search([
            ("model", "=", "helpdesk.department"), ("res_id", "=", self.department_a.id),
            ("partner_ids", "in", partner.ids),
        ])

    def test_warning_then_failure_once_each(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1", user_id=self.agent_a.id)
        first = self.line(ticket, self.policy_normal, "first_response")
        self.assertEqual(self.run_cron(local(17, 13, 59)), (0, 0))
        self.assertFalse(first.warning_sent)
        # 50 % of 8 h reached at 14:00
        self.assertEqual(self.run_cron(local(17, 14, 1)), (0, 1))
        self.assertTrue(first.warning_sent)
        self.assertEqual(first.status, "ongoing")
        self.assertEqual(ticket.sla_status, "at_risk")
        self.assertEqual(len(self.ticket_notes(ticket, "SLA at risk")), 1)
        self.assertEqual(len(self.department_messages(self.agent_a.partner_id)), 1, "the assignee is warned")
        self.assertEqual(self.run_cron(local(17, 14, 5)), (0, 0))
        self.assertEqual(len(self.ticket_notes(ticket, "SLA at risk")), 1, "warned once")
        self.assertEqual(len(self.department_messages(self.agent_a.partner_id)), 1)
        # deadline Tuesday 9:00: failed, escalated (priority raised), the manager notified
        self.assertEqual(self.run_cron(local(18, 9, 0, )), (1, 0))
        self.assertEqual(first.status, "failed")
        self.assertTrue(first.escalated)
        self.assertEqual(ticket.priority, "2")
        self.assertEqual(ticket.sla_status, "failed")
        self.assertEqual(len(self.ticket_notes(ticket, "SLA failed")), 1)
        self.assertEqual(len(self.department_messages(self.manager.partner_id)), 1)
        self.assertEqual(self.run_cron(local(18, 9, 5)), (0, 0))
        self.assertEqual(len(self.ticket_notes(ticket, "SLA failed")), 1, "escalated once")
        self.assertEqual(len(self.department_messages(self.manager.partner_id)), 1)
        # the priority raise re-matched the policies: still only the normal policy (high < urgent)
        self.assertEqual(ticket.sla_ids.policy_id, self.policy_normal)

    def test_escalation_reassigns(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="3", user_id=self.agent_a.id)
        self.run_cron(local(17, 10, 1))
        self.assertEqual(self.line(ticket, self.policy_urgent, "first_response").status, "failed")
        self.assertEqual(ticket.user_id, self.agent_a2)
        # a paused clock never fails
        paused = self.create_ticket_at(MONDAY_9, priority="3", user_id=self.agent_a.id)
        self.set_stage(paused, self.stage_waiting, local(17, 9, 30))
        self.run_cron(local(17, 12))
        self.assertEqual(self.line(paused, self.policy_urgent, "first_response").status, "paused")
        self.assertEqual(paused.user_id, self.agent_a)

    def test_trigger_at_nearest_event(self):
        self.create_ticket_at(MONDAY_9, priority="1")
        # nearest event: the first-response warning at 50 % (Monday 14:00)
        self.assertEqual(self.triggers().mapped("call_at"), [local(17, 14)])
        # a later event does not add a trigger, an earlier one does
        self.create_ticket_at(local(17, 10), priority="1")
        self.assertEqual(self.triggers().mapped("call_at"), [local(17, 14)])
        self.create_ticket_at(local(17, 9, 30), priority="3")
        # urgent first response: 1 h, warning at 75 % = 10:15
        self.assertEqual(self.triggers().mapped("call_at"), [local(17, 10, 15), local(17, 14)])
        # the run at 10:15 warns, then schedules itself for the urgent deadline at 10:30
        self.triggers().unlink()
        self.assertEqual(self.run_cron(local(17, 10, 15)), (0, 1))
        self.assertEqual(self.triggers().mapped("call_at"), [local(17, 10, 30)])

    def test_trigger_after_resume(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        self.set_stage(ticket, self.stage_waiting, local(17, 9, 30))
        self.triggers().unlink()
        self.set_stage(ticket, self.stage_progress, local(18, 10))
        # paused 8.5 working hours: the 4 h warning moves from Monday 14:00 to Tuesday 14:30
        first = self.line(ticket, self.policy_normal, "first_response")
        self.assertEqual(first.warning_date, local(18, 14, 30))
        self.assertEqual(self.triggers().mapped("call_at"), [local(18, 14, 30)])

    def test_cron_query_count_independent_of_lines(self):
        Ticket = self.env["helpdesk.ticket"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        )
        policy = self.Policy.create({
            "name": "Bulk", "department_id": self.department_b.id, "priority": "0",
            "resolution_hours": 1, "warning_percent": 0,
            "escalate_priority": "3", "escalate_user_id": self.agent_b.id, "escalate_notify_manager": True,
        })
        self.department_b.manager_id = self.manager

        def make(count, moment):
            with self.at(moment):
                return Ticket.create([
                    {"name": f"Bulk {i}", "department_id": self.department_b.id, "priority": "0",
                     "partner_id": self.customer.id}
                    for i in range(count)
                ])

        def run(moment):
            self.env.flush_all()
            self.env.invalidate_all()
            return self.run_cron(moment)

        monday = MONDAY_9
        make(3, monday)
        run(monday + timedelta(hours=2))  # warm-up: caches, first trigger
        make(10, monday + timedelta(hours=2))
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        self.assertEqual(self.run_cron(monday + timedelta(hours=4)), (10, 0))
        queries_10 = self.cr.sql_log_count - before
        tickets_500 = make(500, monday + timedelta(hours=4))
        self.env.flush_all()
        self.env.invalidate_all()
        # a run handles a full batch (100 lines) with the same queries as 10 lines
        with self.assertQueryCount(queries_10):
            self.assertEqual(self.run_cron(monday + timedelta(hours=6)), (100, 0))
        # the next batches (chained by the cron framework) finish the job, once each
        runs = [self.run_cron(monday + timedelta(hours=6)) for _i in range(5)]
        self.assertEqual(runs, [(100, 0)] * 4 + [(0, 0)])
        self.assertEqual(set(tickets_500.sla_ids.mapped("status")), {"failed"})
        self.assertEqual(set(tickets_500.mapped("priority")), {"3"})
        self.assertEqual(tickets_500.user_id, self.agent_b)
        self.assertEqual(policy.line_ids.filtered(lambda l: l.status != "failed"), self.Line)
        notes = self.env["mail.message"].search_count([
            ("model", "=", "helpdesk.ticket"), ("res_id", "in", tickets_500.ids), ("body", "ilike", "SLA failed"),
        ])
        self.assertEqual(notes, 500)

    def test_search_filters(self):
        on_track = self.create_ticket_at(MONDAY_9, priority="1", user_id=self.agent_a.id)
        at_risk = self.create_ticket_at(local(17, 8), priority="1", user_id=self.agent_a.id)
        failed = self.create_ticket_at(MONDAY_9, priority="3", user_id=self.agent_a.id)
        none = self.create_ticket_at(MONDAY_9, priority="0")
        self.agent_reply(on_track, local(17, 9, 10))
        self.run_cron(local(17, 13, 30))
        arch = self.env["helpdesk.ticket"].get_views([(False, "search")])["views"]["search"]["arch"]
        tickets = on_track | at_risk | failed | none
        for name, expected in [("sla_failed", failed), ("sla_at_risk", at_risk), ("sla_on_track", on_track)]:
            self.assertIn(f'name="{name}"', arch)
            status = name.removeprefix("sla_")
            self.assertEqual(tickets.search([("id", "in", tickets.ids), ("sla_status", "=", status)]), expected)
        self.assertEqual(none.sla_status, "none")
        # sorted by the nearest running deadline: Monday 17:00 (first response),
        # Tuesday 9:00 (the failed ticket's other clocks), next Monday (resolution)
        ordered = tickets.search([("id", "in", tickets.ids), ("sla_deadline", "!=", False)], order="sla_deadline")
        self.assertEqual(ordered.ids, [at_risk.id, failed.id, on_track.id])
        self.assertEqual(at_risk.sla_deadline, local(17, 17))
