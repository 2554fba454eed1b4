"""A customer's mail reaches the ticket through ``_on_customer_message`` with the
received message, like a message of every other channel; an automatic answer
(out-of-office) is posted as an internal note and reaches no hook."""
import uuid

from odoo.tests import tagged

from odoo.addons.helpdesk_ticket.tests.lifecycle_common import CustomerMessageChannelCase

from .common import MailGatewayCommon


@tagged("post_install", "-at_install", "helpdesk_mail")
class TestMailCustomerMessage(MailGatewayCommon, CustomerMessageChannelCase):

    def _channel_ticket(self):
        ticket, self.agent_message = self.make_reply_target()
        return ticket

    def _raw_reply(self, ticket, text, extra_headers=""):
        message_id = f"<hooks-{uuid.uuid4().hex}@customer-corp.example>"
        raw = (
            f"From: {self.customer.name} <{self.customer.email}>\nTo: hd-support@hd-test.example\n"
            f"Subject: Re: [{ticket.number}] Printer is on fire\nMessage-ID: {message_id}\n"
            f"In-Reply-To: {self.agent_message.message_id}\n{extra_headers}\n{text}\n"
        )
        return raw, message_id

    def _customer_writes(self, ticket, text):
        raw, message_id = self._raw_reply(ticket, text)
        self.assertEqual(self.env["mail.thread"].message_process(False, raw), ticket.id)
        return self.env["mail.message"].search([("message_id", "=", message_id)])

    def test_auto_reply_reaches_no_hook(self):
        ticket = self._channel_ticket()
        ticket.stage_id = self.stage_waiting
        raw, message_id = self._raw_reply(ticket, "I am out of the office.", "Auto-Submitted: auto-replied\n")
        with self.spy_hook("_on_customer_message") as calls, self.spy_hook("_on_agent_message") as agent_calls:
            self.assertEqual(self.env["mail.thread"].message_process(False, raw), ticket.id)
        note = self.env["mail.message"].search([("message_id", "=", message_id)])
        self.assertTrue(note.subtype_id.internal, "kept as an internal note")
        self.assertFalse(calls or agent_calls)
        self.assertEqual(ticket.stage_id, self.stage_waiting)
        self.assertFalse(ticket.date_last_customer_message)
