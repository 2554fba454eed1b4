"""What the customer is sent from a chat ticket goes to the chat, after the commit, by the
outbox job; internal notes never leave; a provider failure is kept with its reason and
can be resent. (Instagram's API, graph.instagram.com, is the loopback API reached through
the test's proxy: ``common.GatewayCommon``.)"""
from odoo.tests import tagged

from .common import INSTAGRAM_HOST, GatewayCommon, graph_error


@tagged("post_install", "-at_install")
class TestGatewayReplies(GatewayCommon):

    def _instagram_ticket(self, igsid="IGSID-7001"):
        self.require(self.instagram)
        self.post_instagram(self.instagram_update(igsid, text="My parcel did not arrive"))
        ticket = self.tickets_of(self.instagram, igsid)
        self.assertEqual(len(ticket), 1)
        return ticket

    def _gateway_notifications(self, ticket):
        return self.env["mail.notification"].search([
            ("mail_message_id", "in", ticket.message_ids.ids), ("notification_type", "=", "gateway"),
        ], order="id")

    def test_acknowledgement_is_queued_for_the_chat(self):
        ticket = self._instagram_ticket()
        self.assertTrue(ticket.gateway_ack_pending)
        self.env["helpdesk.ticket"]._cron_gateway_acknowledge()
        self.assertFalse(ticket.gateway_ack_pending)
        notification = self._gateway_notifications(ticket)
        self.assertEqual(len(notification), 1)
        self.assertEqual(notification.gateway_channel_id, ticket.gateway_channel_id)
        self.assertEqual(notification.notification_status, "ready")
        body = notification.mail_message_id.body
        self.assertIn(ticket.number, body)
        self.assertIn(f"/my/tickets/{ticket.id}?access_token={ticket.access_token}", body)
        self.assertTrue(ticket.gateway_outbox_pending)
        # no mail for a chat customer
        self.assertFalse(self.env["mail.mail"].search([("mail_message_id", "=", notification.mail_message_id.id)]))

    def test_agent_reply_queued_internal_note_never_leaves(self):
        ticket = self._instagram_ticket("IGSID-7002")
        ticket.gateway_ack_pending = False
        ticket.with_user(self.agent_a).message_post(
            body="Internal: courier lost it", message_type="comment", subtype_xmlid="mail.mt_note",
            partner_ids=ticket.partner_id.ids,
        )
        self.assertFalse(self._gateway_notifications(ticket), "an internal note never goes to the chat")
        reply = ticket.with_user(self.agent_a).message_post(
            body="We are sending a new parcel today", message_type="comment", subtype_xmlid="mail.mt_comment",
        )
        notification = self._gateway_notifications(ticket)
        self.assertEqual(notification.mail_message_id, reply)
        self.assertEqual(notification.notification_status, "ready", "sent after the commit, by the job")
        self.assertTrue(ticket.gateway_outbox_pending)
        self.assertEqual(ticket.date_first_response, reply.date)

    def test_provider_down_marks_failed_with_reason_and_resend_requeues(self):
        ticket = self._instagram_ticket("IGSID-7003")
        ticket.gateway_ack_pending = False
        messages_path = f"/v{self.instagram.instagram_version}/{self.instagram.instagram_account_id}/messages"
        self.stub.answer("POST", messages_path, 503, graph_error("Service temporarily unavailable", 2))
        reply = ticket.with_user(self.agent_a).message_post(
            body="Could you send your order number?", message_type="comment", subtype_xmlid="mail.mt_comment",
        )
        with self.assertLogs("odoo.addons", "ERROR"):  # the connector's and the job's
            self.env["helpdesk.ticket"]._cron_gateway_outbox()
        notification = self._gateway_notifications(ticket)
        self.assertEqual(notification.notification_status, "exception")
        self.assertEqual(notification.failure_type, "unknown")
        self.assertTrue(notification.failure_reason.startswith("Service temporarily unavailable"),
                        "Instagram's message is kept")
        self.assertIn("503 Server Error", notification.failure_reason)
        self.assertIn(f"{INSTAGRAM_HOST}{messages_path}", notification.failure_reason)
        self.assertFalse(ticket.gateway_outbox_pending)
        self.assertTrue(reply.exists(), "the message is kept")
        # the failure is what the chatter shows (Odoo's failure icon)
        self.assertIn(notification, reply.notification_ids._filtered_for_web_client())
        wizard = self.env["mail.resend.message"].with_user(self.agent_a).with_context(
            mail_message_to_resend=reply.id).create({})
        self.assertEqual(wizard.gateway_notification_ids, notification)
        wizard.resend_mail_action()
        self.assertEqual(notification.notification_status, "ready")
        self.assertTrue(ticket.gateway_outbox_pending)
        # Instagram is back: sent as Instagram's Send API documents it
        self.stub.reset()
        self.env["helpdesk.ticket"]._cron_gateway_outbox()
        self.assertEqual(notification.notification_status, "sent")
        [sent] = self.stub.requests_to("POST", messages_path, host=INSTAGRAM_HOST)
        self.assertEqual(sent["headers"]["Authorization"], "Bearer ig-access-token")
        self.assertEqual(sent["json"], {"recipient": {"id": "IGSID-7003"},
                                        "message": {"text": "Could you send your order number?"}})

    def test_stage_template_goes_to_the_chat(self):
        ticket = self._instagram_ticket("IGSID-7004")
        ticket.gateway_ack_pending = False
        template = self.env.ref("helpdesk_ticket.mail_template_ticket_resolved")
        self.stage_resolved.mail_template_id = template
        self.cr.flush()
        ticket.stage_id = self.stage_resolved
        self.env.flush_all()
        self.cr.flush()  # tracking (and its templates) is processed before commit
        ticket.invalidate_recordset(["message_ids"])
        notifications = self._gateway_notifications(ticket)
        self.assertTrue(notifications, "the resolution message goes to the chat")
        self.assertEqual(notifications[-1].mail_message_id.message_type, "auto_comment")

    def test_link_chat_to_existing_contact(self):
        ticket = self._instagram_ticket("IGSID-7005")
        made = ticket.partner_id
        self.env["helpdesk.gateway.link"].with_user(self.agent_a).create({
            "ticket_id": ticket.id, "partner_id": self.customer.id,
        }).action_link()
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(self.customer_messages(ticket).author_id, self.customer)
        identity = self.env["res.partner.gateway.channel"].search([
            ("gateway_id", "=", self.instagram.id), ("gateway_token", "=", "IGSID-7005")])
        self.assertEqual(identity.partner_id, self.customer)
        self.assertNotEqual(made, self.customer)
        # the next message of the chat comes from the contact, and the customer's history
        # shows the tickets of every channel
        email_ticket = self._create_ticket(name="By mail", channel="email")
        self.post_instagram(self.instagram_update("IGSID-7005", text="Any news?"))
        self.assertEqual(self.customer_messages(ticket)[-1].author_id, self.customer)
        ticket.invalidate_recordset()
        self.assertIn(email_ticket, ticket.partner_ticket_ids)

    def test_agent_answer_in_discuss_is_the_tickets_agent_message(self):
        ticket = self._instagram_ticket("IGSID-7006")
        chat = ticket.gateway_channel_id
        self.assertFalse(ticket.date_first_response)
        # the agent answers in the Discuss conversation (OCA sends it to Instagram)
        answer = chat.with_user(self.agent_a).sudo().message_post(
            body="Hello from Discuss", author_id=self.agent_a.partner_id.id,
            message_type="comment", subtype_xmlid="mail.mt_comment")
        [sent] = self.stub.requests_to("POST", host=INSTAGRAM_HOST)
        self.assertEqual(sent["json"]["message"], {"text": "Hello from Discuss"})
        self.assertEqual(ticket.date_first_response, answer.date)
        self.assertFalse(self.customer_messages(ticket).filtered(lambda m: "from Discuss" in m.body))
