from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import PhoneCommon


@tagged("post_install", "-at_install")
class TestPhoneCallLog(PhoneCommon):
    def _log(self, user, **values):
        return self.env["helpdesk.phone.call"].with_user(user).create(values)

    def test_call_outgoing_is_first_response_internal_note(self):
        ticket = self._create_ticket()
        self.assertFalse(ticket.date_first_response)
        call = self._log(self.agent_a, ticket_id=ticket.id, direction="out", outcome="answered", duration=4.5,
                         notes="Restarted the printer\nwith the customer")
        message = call.message_id
        self.assertTrue(message)
        self.assertEqual(message.model, "helpdesk.ticket")
        self.assertEqual(message.res_id, ticket.id)
        self.assertEqual(message.subtype_id, self.env.ref("helpdesk_phone.mt_call"))
        self.assertTrue(message.subtype_id.internal, "an internal note: agents only")
        self.assertEqual(message.author_id, self.agent_a.partner_id)
        self.assertNotIn(self.customer, message.partner_ids | message.notified_partner_ids)
        self.assertIn("Restarted the printer", message.body)
        self.assertIn("4:30", message.body)
        self.assertEqual(ticket.date_first_response, message.date)
        self.assertEqual(ticket.date_last_agent_message, message.date)
        self.assertEqual(call.user_id, self.agent_a)
        self.assertEqual(ticket.call_count, 1)
        # the portal never shows it
        self.assertNotIn(message, ticket.message_ids.filtered(lambda m: not m.subtype_id.internal))

    def test_call_incoming_or_unanswered_is_no_first_response(self):
        ticket = self._create_ticket()
        self._log(self.agent_a, ticket_id=ticket.id, direction="in", outcome="answered")
        self._log(self.agent_a, ticket_id=ticket.id, direction="out", outcome="no_answer")
        self._log(self.agent_a, ticket_id=ticket.id, direction="out", outcome="busy")
        self.assertFalse(ticket.date_first_response)
        self.assertEqual(len(ticket.call_ids), 3)
        self.assertEqual(
            len(ticket.message_ids.filtered(lambda m: m.subtype_id == self.env.ref("helpdesk_phone.mt_call"))), 3
        )
        self._log(self.agent_a, ticket_id=ticket.id, direction="out", outcome="voicemail")
        self.assertTrue(ticket.date_first_response, "a voicemail left is a response")

    def test_call_by_the_customer_user_is_no_response(self):
        """An internal user who is the ticket's customer (not an agent of its
        department) calling out is not the helpdesk answering."""
        employee = new_test_user(self.env, login="hd_phone_employee", groups="base.group_user,helpdesk_ticket.group_helpdesk_agent")
        ticket = self._create_ticket(partner_id=employee.partner_id.id)
        self._log(employee, ticket_id=ticket.id, direction="out", outcome="answered")
        self.assertFalse(ticket.date_first_response)

    def test_call_sent_to_customer(self):
        ticket = self._create_ticket()
        call = self._log(self.agent_a, ticket_id=ticket.id, direction="out", outcome="answered",
                         share_with_customer=True, notes="We will replace the fuser")
        message = call.message_id
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"), "shown in the portal's conversation")
        self.assertFalse(message.subtype_id.internal)
        self.assertIn(self.customer, message.partner_ids)
        self.assertEqual(ticket.date_first_response, message.date, "a public agent message, as any reply")

    def test_call_on_contact(self):
        call = self._log(self.agent_a, partner_id=self.customer.id, direction="in", outcome="answered",
                         notes="Asked about opening hours")
        message = call.message_id
        self.assertEqual((message.model, message.res_id), ("res.partner", self.customer.id))
        self.assertEqual(message.subtype_id, self.env.ref("helpdesk_phone.mt_call"))
        self.assertEqual(message.author_id, self.agent_a.partner_id)
        self.assertEqual(self.customer.with_user(self.agent_a).helpdesk_call_count, 1)
        with self.assertRaises(ValidationError):
            self._log(self.agent_a, direction="in")

    def test_call_form_defaults_from_ticket(self):
        ticket = self._create_ticket()
        action = ticket.with_user(self.agent_a).action_helpdesk_log_call()
        self.assertEqual(action["res_model"], "helpdesk.phone.call")
        self.assertEqual(action["target"], "new")
        call = self.env["helpdesk.phone.call"].with_user(self.agent_a).with_context(action["context"]).create({})
        self.assertEqual(call.ticket_id, ticket)
        self.assertEqual(call.partner_id, self.customer)
        self.assertEqual(call.direction, "out")
        self.assertEqual(call.phone_sanitized, "+66812345678")
        action = self.customer.with_user(self.agent_a).action_helpdesk_log_call()
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)

    def test_call_security(self):
        ticket_b = self._create_ticket(department_id=self.department_b.id)
        call_b = self._log(self.agent_b, ticket_id=ticket_b.id, direction="out", notes="Secret billing talk")
        # agent A does not see department B (members only): not its calls, nor logging on it
        self.assertFalse(self.env["helpdesk.phone.call"].with_user(self.agent_a).search([("id", "=", call_b.id)]))
        with self.assertRaises(AccessError):
            call_b.with_user(self.agent_a).read(["notes"])
        with self.assertRaises(AccessError):
            self._log(self.agent_a, ticket_id=ticket_b.id, direction="out")
        # agents cannot rewrite or delete a logged call; managers can
        with self.assertRaises(AccessError):
            call_b.with_user(self.agent_b).write({"notes": "changed"})
        with self.assertRaises(AccessError):
            call_b.with_user(self.agent_b).unlink()
        call_b.with_user(self.manager).write({"notes": "corrected"})
        # portal users and plain employees: nothing
        portal = new_test_user(self.env, login="hd_phone_portal", groups="base.group_portal")
        employee = new_test_user(self.env, login="hd_phone_plain", groups="base.group_user")
        for user in (portal, employee):
            with self.assertRaises(AccessError):
                self.env["helpdesk.phone.call"].with_user(user).search([])
            with self.assertRaises(AccessError):
                self._log(user, partner_id=self.customer.id, direction="in")
        # another company
        other_company = self.env["res.company"].create({"name": "Other Helpdesk Co"})
        call_b.sudo().company_id = other_company
        self.assertFalse(self.env["helpdesk.phone.call"].with_user(self.manager).search([("id", "=", call_b.id)]))

    def test_call_reaches_sla_first_response(self):
        if "helpdesk.sla.policy" not in self.env:
            self.skipTest("helpdesk_sla is not installed")
        self.env["helpdesk.sla.policy"].create({
            "name": "Phone first response", "department_id": self.department_a.id,
            "first_response_hours": 8, "resolution_hours": 0,
        })
        ticket = self._create_ticket()
        line = ticket.sla_ids.filtered(lambda l: l.target == "first_response")
        self.assertEqual(len(line), 1)
        self.assertEqual(line.status, "ongoing")
        self._log(self.agent_a, ticket_id=ticket.id, direction="in", outcome="answered")
        self.assertEqual(line.status, "ongoing", "an incoming call is not the helpdesk answering")
        call = self._log(self.agent_a, ticket_id=ticket.id, direction="out", outcome="answered")
        self.assertEqual(line.status, "reached")
        self.assertEqual(line.reached_date, call.message_id.date)
        self.assertLessEqual(line.reached_date, fields.Datetime.now() + timedelta(seconds=1))
