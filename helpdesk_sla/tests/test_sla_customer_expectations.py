from odoo.tests import tagged

from .common import MONDAY_9, SlaCommon, local


@tagged("post_install", "-at_install")
class TestSlaCustomerExpectations(SlaCommon):
    """What the customer is told to expect (``_customer_expectations``, shown on the
    portal): the running first-response and resolution clocks, paused while waiting
    on the customer, never a policy."""

    def test_expectations_follow_the_clocks(self):
        ticket = self.create_ticket_at(MONDAY_9)
        first = self.line(ticket, self.policy_normal, "first_response")
        resolution = self.line(ticket, self.policy_normal, "resolution")
        expectations = ticket._customer_expectations()
        self.assertEqual(expectations, [
            {"target": "first_response", "deadline": first.deadline, "paused": False},
            {"target": "resolution", "deadline": resolution.deadline, "paused": False},
        ])
        # 8 working hours from Monday 9:00: Tuesday 9:00 (Brussels)
        self.assertEqual(first.deadline, local(18, 9))

        resolution_before = resolution.deadline
        with self.at(local(17, 10)):
            ticket.stage_id = self.stage_waiting
        self.assertEqual(ticket._customer_expectations(), [
            {"target": "first_response", "deadline": False, "paused": True},
            {"target": "resolution", "deadline": False, "paused": True},
        ])

        with self.at(local(17, 11)):
            ticket.stage_id = self.stage_progress
            ticket.with_user(self.agent_a).message_post(
                body="On it", message_type="comment", subtype_xmlid="mail.mt_comment",
            )
        expectations = ticket._customer_expectations()
        self.assertEqual([e["target"] for e in expectations], ["resolution"], "the first answer was given")
        # the hour spent waiting on the customer moved the resolution deadline
        self.assertGreater(expectations[0]["deadline"], resolution_before)

        with self.at(local(17, 12)):
            ticket.action_close()
        self.assertEqual(ticket._customer_expectations(), [])

    def test_earliest_clock_of_several_policies_and_no_names(self):
        self.Policy.create({
            "name": "VIP customers (internal)", "department_id": self.department_a.id,
            "partner_ids": [(4, self.customer_company.id)], "first_response_hours": 2,
        })
        ticket = self.create_ticket_at(MONDAY_9)
        expectations = ticket._customer_expectations()
        self.assertEqual(expectations[0]["deadline"], local(17, 11), "the earliest first-response clock")
        for expectation in expectations:
            self.assertEqual(set(expectation), {"target", "deadline", "paused"})

    def test_ticket_without_sla(self):
        ticket = self.create_ticket_at(MONDAY_9, department_id=self.department_b.id)
        self.assertEqual(ticket._customer_expectations(), [])
