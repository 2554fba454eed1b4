"""A customer's reply in the portal chatter, and the portal's reopen button, reach
the ticket through ``_on_customer_message`` like a message of every other channel."""
from odoo.tests import tagged

from odoo.addons.helpdesk_ticket.tests.lifecycle_common import CustomerMessageChannelCase

from .common import HelpdeskPortalCommon


@tagged("post_install", "-at_install")
class TestPortalCustomerMessage(HelpdeskPortalCommon, CustomerMessageChannelCase):

    def _channel_ticket(self):
        return self.ticket_a

    def _customer_writes(self, ticket, text):
        self.login(self.user_a)
        self.make_jsonrpc_request("/mail/message/post", {
            "thread_model": "helpdesk.ticket",
            "thread_id": ticket.id,
            "post_data": {"body": text, "message_type": "comment", "subtype_xmlid": "mail.mt_comment"},
        })
        return ticket.message_ids.filtered(lambda m: text in (m.body or ""))

    def test_reopen_button_is_a_customer_message(self):
        ticket = self.ticket_a
        self.close_ticket(ticket)
        self.login(self.user_a)
        with self.spy_hook("_on_customer_message") as calls:
            response = self.post(f"/my/tickets/{ticket.id}/reopen")
        self.assertIn("message=reopened", response.headers["Location"])
        self.assertEqual(len(calls), 1)
        message = self.env["mail.message"].browse(calls[0][1].id)  # read in the test's environment
        self.assertEqual(message.author_id, self.customer)
        self.assertFalse(message.subtype_id.internal, "the agents are told")
        ticket.invalidate_recordset()
        self.assertFalse(ticket.closed)
        self.assertEqual(ticket.reopen_count, 1)
        self.assertEqual(ticket.date_last_customer_message, message.date)
