from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests.common import tagged

from .common import MONDAY_9, SlaCommon, local


@tagged("post_install", "-at_install")
class TestSlaMatching(SlaCommon):
    def test_every_matching_policy_applies(self):
        normal = self.create_ticket_at(MONDAY_9, priority="1")
        self.assertEqual(normal.sla_ids.policy_id, self.policy_normal)
        self.assertEqual(sorted(normal.sla_ids.mapped("target")), ["first_response", "resolution"])
        first = self.line(normal, self.policy_normal, "first_response")
        # 8 working hours from Monday 9:00 (7 left on Monday): Tuesday 9:00
        self.assertEqual(first.deadline, local(18, 9))
        self.assertEqual(first.warning_date, local(17, 14))  # 50 %: 4 hours, over lunch
        # 40 working hours: 7 on Monday, 32 from Tuesday to Friday, 1 the next Monday
        self.assertEqual(self.line(normal, self.policy_normal, "resolution").deadline, local(24, 9))
        self.assertEqual(normal.sla_status, "on_track")
        self.assertEqual(normal.sla_deadline, local(18, 9))

        urgent = self.create_ticket_at(MONDAY_9, priority="3")
        self.assertEqual(urgent.sla_ids.policy_id, self.policy_normal | self.policy_urgent)
        self.assertEqual(len(urgent.sla_ids), 4)
        self.assertEqual(self.line(urgent, self.policy_urgent, "first_response").deadline, local(17, 10))
        self.assertEqual(urgent.sla_deadline, local(17, 10))

        low = self.create_ticket_at(MONDAY_9, priority="0")
        self.assertFalse(low.sla_ids)
        self.assertEqual(low.sla_status, "none")
        other_department = self.create_ticket_at(MONDAY_9, department_id=self.department_b.id)
        self.assertFalse(other_department.sla_ids)

    def test_conditions(self):
        bug = self.env["helpdesk.tag"].create({"name": "SLA bug"})
        incident = self.env["helpdesk.ticket.type"].create({"name": "SLA incident"})
        policy = self.Policy.create({
            "name": "Key account incidents by phone",
            "priority": "0",
            "type_ids": [Command.set(incident.ids)],
            "tag_ids": [Command.set(bug.ids)],
            "partner_ids": [Command.set(self.customer_company.ids)],
            "channel": "phone",
            "resolution_hours": 4,
        })
        values = {
            "department_id": self.department_b.id, "type_id": incident.id, "tag_ids": [Command.set(bug.ids)],
            "partner_id": self.customer_colleague.id, "channel": "phone",
        }
        matching = self.create_ticket_at(MONDAY_9, **values)
        self.assertEqual(matching.sla_ids.policy_id, policy)
        # 24/7 department (no working hours): 4 hours later
        self.assertEqual(matching.sla_ids.deadline, local(17, 13))
        for field, value in [
            ("type_id", False), ("tag_ids", [Command.clear()]), ("partner_id", self.other_customer.id),
            ("channel", "email"),
        ]:
            ticket = self.create_ticket_at(MONDAY_9, **dict(values, **{field: value}))
            self.assertFalse(ticket.sla_ids, f"the policy should not match without {field}")
        # the policies are kept per worker as plain values: deleting the tag they name
        # lifts that condition there too, as it does on the policy
        bug.unlink()
        self.assertFalse(policy.tag_ids)
        untagged = self.create_ticket_at(MONDAY_9, **dict(values, tag_ids=[Command.clear()]))
        self.assertEqual(untagged.sla_ids.policy_id, policy)
        incident.unlink()
        untyped = self.create_ticket_at(MONDAY_9, **dict(values, tag_ids=[Command.clear()], type_id=False))
        self.assertEqual(untyped.sla_ids.policy_id, policy)

    def test_policy_follows_merged_customers(self):
        """A policy naming a customer that is merged into another contact (Odoo's merge
        moves the link in SQL) applies to the kept contact's tickets at once."""
        duplicate = self.env["res.partner"].create({"name": "Key Account (duplicate)", "is_company": True})
        kept = self.env["res.partner"].create({"name": "Key Account", "is_company": True})
        policy = self.Policy.create({
            "name": "Key account", "priority": "0", "partner_ids": [Command.set(duplicate.ids)],
            "resolution_hours": 4,
        })
        before = self.create_ticket_at(MONDAY_9, department_id=self.department_b.id, partner_id=kept.id)
        self.assertFalse(before.sla_ids, "the policy names the duplicate only")
        self.env["base.partner.merge.automatic.wizard"]._merge((duplicate | kept).ids, kept)
        self.assertEqual(policy.partner_ids, kept)
        after = self.create_ticket_at(MONDAY_9, department_id=self.department_b.id, partner_id=kept.id)
        self.assertEqual(after.sla_ids.policy_id, policy)

    def test_rematch_on_change(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        # Monday 9:30: escalated to urgent by hand: the urgent clocks start at the creation
        with self.at(local(17, 9, 30)):
            ticket.priority = "3"
        urgent_first = self.line(ticket, self.policy_urgent, "first_response")
        self.assertEqual(urgent_first.start_date, MONDAY_9)
        self.assertEqual(urgent_first.deadline, local(17, 10))
        # the agent answers, then the priority goes back to normal: the reached urgent
        # line is kept, the running urgent resolution line is removed
        self.agent_reply(ticket, local(17, 9, 45))
        self.assertEqual(urgent_first.status, "reached")
        with self.at(local(17, 10)):
            ticket.priority = "1"
        self.assertEqual(ticket.sla_ids.filtered(lambda l: l.policy_id == self.policy_urgent), urgent_first)
        # moved to another department: the running lines of department A's policies go
        with self.at(local(17, 11)):
            ticket.department_id = self.department_b
        self.assertEqual(ticket.sla_ids, urgent_first | self.line(ticket, self.policy_normal, "first_response"))
        self.assertEqual(ticket.sla_ids.mapped("status"), ["reached", "reached"])

    def test_policy_needs_a_target(self):
        with self.assertRaises(ValidationError):
            self.Policy.create({"name": "Nothing", "department_id": self.department_a.id})

    def test_policy_target_change_moves_open_deadlines(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        first = self.line(ticket, self.policy_normal, "first_response")
        with self.at(local(17, 10)):
            self.policy_normal.first_response_hours = 2
        self.assertEqual(first.target_hours, 2)
        self.assertEqual(first.deadline, local(17, 11))

    def test_access(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="3")
        # an agent of department A sees the clocks of the ticket, an agent of B sees nothing
        self.assertEqual(len(ticket.with_user(self.agent_a).sla_ids), 4)
        lines = self.Line.with_user(self.agent_b).search([("ticket_id", "=", ticket.id)])
        self.assertFalse(lines)
        with self.assertRaises(AccessError):
            ticket.sla_ids.with_user(self.agent_b).read(["deadline"])
        # agents can read policies but not change them or the lines
        with self.assertRaises(AccessError):
            self.policy_normal.with_user(self.agent_a).write({"resolution_hours": 400})
        with self.assertRaises(AccessError):
            ticket.sla_ids.with_user(self.agent_a).write({"status": "reached"})
        portal = self._portal_user(self.customer, "sla_portal_customer")
        with self.assertRaises(AccessError):
            self.Line.with_user(portal).search([])
        # ... while the agent's own ticket actions still drive the clocks
        self.agent_reply(ticket, local(17, 9, 30))
        self.assertEqual(self.line(ticket, self.policy_urgent, "first_response").status, "reached")

    def test_apply_policy_to_existing_tickets(self):
        ticket = self.create_ticket_at(MONDAY_9, department_id=self.department_b.id)
        policy = self.Policy.create({
            "name": "Billing", "department_id": self.department_b.id, "resolution_hours": 24,
        })
        self.assertFalse(ticket.sla_ids, "a new policy does not touch existing tickets by itself")
        with self.assertRaises(AccessError):
            policy.with_user(self.agent_b).action_apply_open_tickets()
        policy.with_user(self.manager).action_apply_open_tickets()
        self.assertEqual(ticket.sla_ids.policy_id, policy)
        self.assertEqual(ticket.sla_ids.start_date, ticket.create_date)


@tagged("post_install", "-at_install")
class TestSlaLateClocks(SlaCommon):
    """A clock added when a policy starts matching later starts at the ticket's
    start and knows the pauses the ticket had since then (pause log)."""

    def test_late_clock_counts_earlier_pauses(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        self.set_stage(ticket, self.stage_waiting, local(17, 10))
        self.set_stage(ticket, self.stage_progress, local(17, 12))
        pauses = self.env["helpdesk.ticket.sla.pause"].search([("ticket_id", "=", ticket.id)])
        self.assertEqual([(p.date_start, p.date_end) for p in pauses], [(local(17, 10), local(17, 12))])
        self.assertEqual(self.line(ticket, self.policy_normal, "resolution").paused_hours, 2)
        with self.at(local(17, 14)):
            ticket.priority = "3"
        resolution = self.line(ticket, self.policy_urgent, "resolution")
        self.assertEqual(resolution.start_date, MONDAY_9)
        self.assertEqual(resolution.paused_hours, 2)
        # 8 + 2 working hours from Monday 9:00: Monday 7, Tuesday 8-11
        self.assertEqual(resolution.deadline, local(18, 11))
        self.assertEqual(resolution.warning_date, local(18, 9), "75 % of 8 h + 2 h paused")
        self.assertEqual(resolution.status, "ongoing")
        # the urgent first response (1 h) was already due at 10:00 when the pause began
        first = self.line(ticket, self.policy_urgent, "first_response")
        self.assertEqual((first.paused_hours, first.deadline), (0, local(17, 10)))
        self.run_cron(local(17, 14, 1))
        self.assertEqual(first.status, "failed")
        self.assertEqual(resolution.status, "ongoing")

    def test_late_clock_while_paused_and_after_reopen(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        self.set_stage(ticket, self.stage_waiting, local(17, 10))
        self.set_stage(ticket, self.stage_progress, local(17, 12))
        self.set_stage(ticket, self.stage_waiting, local(17, 13))
        # raised while waiting on the customer: the new clock waits too, since 13:00
        with self.at(local(17, 14)):
            ticket.priority = "3"
        resolution = self.line(ticket, self.policy_urgent, "resolution")
        normal = self.line(ticket, self.policy_normal, "resolution")
        self.assertEqual((resolution.status, resolution.pause_start, resolution.paused_hours),
                         ("paused", local(17, 13), 2))
        self.set_stage(ticket, self.stage_progress, local(17, 15))
        self.assertEqual(resolution.paused_hours, 4)
        self.assertEqual(normal.paused_hours, 4, "the same pauses as the clocks that ran from the start")
        # 8 + 4 working hours: Monday 7, Tuesday 8-12 and 13-14
        self.assertEqual(resolution.deadline, local(18, 14))
        # closed and reopened: the closed time is a pause for the clocks added afterwards
        with self.at(local(17, 15)):
            ticket.priority = "1"
        self.assertFalse(ticket.sla_ids.filtered(lambda l: l.policy_id == self.policy_urgent))
        with self.at(local(17, 15)):
            ticket.action_close()
        with self.at(local(19, 10)):
            ticket.action_reopen()
        # closed from Monday 15:00 to Wednesday 10:00: 12 working hours
        self.assertEqual(normal.paused_hours, 16)
        with self.at(local(19, 11)):
            ticket.priority = "3"
        resolution = self.line(ticket, self.policy_urgent, "resolution")
        self.assertEqual(resolution.paused_hours, 16)
        # 8 + 16 working hours from Monday 9:00: Monday 7, Tuesday 8, Wednesday 8, Thursday 8-9
        self.assertEqual(resolution.deadline, local(20, 9))

    def test_pause_log_access(self):
        ticket = self.create_ticket_at(MONDAY_9, priority="1")
        self.set_stage(ticket, self.stage_waiting, local(17, 10))
        Pause = self.env["helpdesk.ticket.sla.pause"]
        self.assertEqual(len(Pause.with_user(self.agent_a).search([("ticket_id", "=", ticket.id)])), 1)
        self.assertFalse(Pause.with_user(self.agent_b).search([("ticket_id", "=", ticket.id)]))
        with self.assertRaises(AccessError):
            Pause.with_user(self.agent_a).create({"ticket_id": ticket.id, "date_start": local(17, 8)})
        portal = self._portal_user(self.customer, "sla_pause_portal")
        with self.assertRaises(AccessError):
            Pause.with_user(portal).search([])
