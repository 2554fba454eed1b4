"""LINE end to end through the bridge (mail_gateway_line's API base URLs point to a
loopback server standing in for LINE): a chat becomes a ticket with the user's profile
name and language, an image sent by the user is downloaded into the chatter, the agent's
reply is pushed as LINE documents it, a LINE outage marks the message failed with
LINE's reason and the resend delivers it."""
import base64
import hashlib
import hmac
import json
import time

from markupsafe import Markup

from odoo.tests import tagged

from odoo.addons.helpdesk_ticket.tests.common import activate_languages

from .common import GatewayCommon
from .test_gateway_webhooks import PNG

LINE_USER = "U4af4980629" + "0" * 22
CHANNEL_SECRET = "line-channel-secret"


@tagged("post_install", "-at_install")
class TestGatewayLine(GatewayCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line = cls.create_line_gateway("Support LINE OA", "line-hd-test", CHANNEL_SECRET)
        activate_languages(cls.env, ["helpdesk_gateway"], ["th_TH"])

    def setUp(self):
        super().setUp()
        self.require(self.line)
        self.stub.profiles[LINE_USER] = {"displayName": "น้องนก", "language": "th", "userId": LINE_USER}

    def line_event(self, message):
        self._counter_line = getattr(self, "_counter_line", 0) + 1
        return {"type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
                "webhookEventId": f"01H810YECXQQZ37VAXPF6H9E{self._next_id()}",
                "deliveryContext": {"isRedelivery": False},
                "source": {"type": "user", "userId": LINE_USER}, "replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA",
                "message": {"quoteToken": "q", **message}}

    def post_line(self, events, secret=CHANNEL_SECRET):
        raw = json.dumps({"destination": "U" + "1" * 32, "events": events}).encode()
        headers = {}
        if secret:
            digest = hmac.new(secret.encode(), raw, hashlib.sha256).digest()
            headers["X-Line-Signature"] = base64.b64encode(digest).decode()
        return self.post_update(self.line, raw, headers)

    def test_line_conversation(self):
        text = self.line_event({"type": "text", "id": str(self._next_id()), "text": "สั่งของไปแล้วยังไม่ได้รับค่ะ"})
        self.assertEqual(self.post_line([text]).status_code, 200)
        ticket = self.tickets_of(self.line, LINE_USER)
        self.assertEqual(ticket.channel, "line")
        self.assertEqual(ticket.partner_id.name, "น้องนก", "the LINE profile name")
        self.assertEqual(ticket.partner_id.lang, "th_TH", "the LINE profile language")
        self.assertEqual(self.stub.requests[0]["path"], f"/v2/bot/profile/{LINE_USER}")

        # an image: downloaded from the data endpoint into the ticket's chatter
        image_id = str(self._next_id())
        self.stub.contents[image_id] = (PNG, "image/png")
        self.assertEqual(self.post_line([self.line_event({
            "type": "image", "id": image_id, "contentProvider": {"type": "line"}})]).status_code, 200)
        self.assertEqual(self.tickets_of(self.line, LINE_USER), ticket)
        image_message = self.customer_messages(ticket)[-1]
        self.assertEqual(image_message.attachment_ids.raw, PNG)

        # a bad signature: 403, nothing created
        count = len(ticket.message_ids)
        refused = self.post_line([self.line_event({"type": "text", "id": "1", "text": "forged"})], secret="x")
        self.assertEqual(refused.status_code, 403)
        self.assertEqual(len(ticket.message_ids), count)

        # the acknowledgement (in the customer's language, Thai) and the agent's reply are pushed
        self.env["helpdesk.ticket"]._cron_gateway_acknowledge()
        reply = ticket.with_user(self.agent_a).message_post(
            body=Markup("<p>We found your parcel</p>"), message_type="comment", subtype_xmlid="mail.mt_comment")
        self.stub.requests.clear()
        self.env["helpdesk.ticket"]._cron_gateway_outbox()
        pushes = self.stub.pushes()
        self.assertEqual(len(pushes), 2, "acknowledgement and reply")
        push = pushes[-1]
        self.assertEqual(push["method"], "POST")
        self.assertEqual(push["headers"]["Authorization"], "Bearer line-channel-access-token")
        self.assertTrue(push["headers"].get("X-Line-Retry-Key"))
        self.assertEqual(push["json"],
                         {"to": LINE_USER, "messages": [{"type": "text", "text": "We found your parcel"}]})
        ack = pushes[0]["json"]["messages"][0]["text"]
        self.assertIn(ticket.number, ack)
        self.assertIn("ขอบคุณสำหรับข้อความของคุณ", ack)
        self.assertIn(f"/my/tickets/{ticket.id}?access_token=", ack)
        notification = reply.notification_ids.filtered(lambda n: n.notification_type == "gateway")
        self.assertEqual(notification.notification_status, "sent")
        self.assertEqual(notification.gateway_message_id, f"4612309668420{self.stub.push_count:05d}")
        # the Discuss conversation shows the reply too, linked to the ticket's message
        chat = self.chat_of(self.line, LINE_USER)
        self.assertTrue(chat.message_ids.filtered(lambda m: m.gateway_message_id == reply))

        # an internal note: no request at all
        self.stub.requests.clear()
        ticket.with_user(self.agent_a).message_post(
            body="Courier is slow", message_type="comment", subtype_xmlid="mail.mt_note")
        self.env["helpdesk.ticket"]._cron_gateway_outbox()
        self.assertFalse(self.stub.requests)

        # LINE down: failed with LINE's reason, kept; resent once LINE is back
        self.stub.fail("POST", "/v2/bot/message/push", 500, "The system is temporarily unavailable")
        down = ticket.with_user(self.agent_a).message_post(
            body="Delivery tomorrow", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.env["helpdesk.ticket"]._cron_gateway_outbox()
        failed = down.notification_ids.filtered(lambda n: n.notification_type == "gateway")
        self.assertEqual(failed.notification_status, "exception")
        self.assertIn("temporarily unavailable", failed.failure_reason)
        # tried again by the outbox job (helpdesk_gateway's retries), not by LINE's own cron
        self.assertTrue(failed.gateway_retry_date)
        self.assertEqual(failed.gateway_attempt_count, 1)
        self.assertFalse(failed.line_retry_transient)
        self.assertNotIn(failed, self.env["mail.notification"]._cron_line_retry())
        self.stub.answers.clear()
        wizard = self.env["mail.resend.message"].with_user(self.agent_a).with_context(
            mail_message_to_resend=down.id).create({})
        wizard.resend_mail_action()
        self.env["helpdesk.ticket"]._cron_gateway_outbox()
        self.assertEqual(failed.notification_status, "sent")
        self.assertEqual(self.stub.pushes()[-1]["json"]["messages"][0]["text"], "Delivery tomorrow")

    def test_line_duplicate_event_gives_one_message(self):
        event = self.line_event({"type": "text", "id": str(self._next_id()), "text": "hello twice"})
        self.assertEqual(self.post_line([event]).status_code, 200)
        event["deliveryContext"]["isRedelivery"] = True
        self.assertEqual(self.post_line([event]).status_code, 200)
        ticket = self.tickets_of(self.line, LINE_USER)
        self.assertEqual(len(self.customer_messages(ticket).filtered(lambda m: "hello twice" in m.body)), 1)

    def test_line_agent_attachments_are_pushed(self):
        text = self.line_event({"type": "text", "id": str(self._next_id()), "text": "ขอใบเสร็จด้วยค่ะ"})
        self.post_line([text])
        ticket = self.tickets_of(self.line, LINE_USER)
        ticket.gateway_ack_pending = False
        ticket.with_user(self.agent_a).message_post(
            body=Markup("<p>Here is your receipt</p>"), message_type="comment", subtype_xmlid="mail.mt_comment",
            attachments=[("receipt.png", PNG), ("receipt.pdf", b"%PDF-1.4 receipt")],
        )
        self.stub.requests.clear()
        self.env["helpdesk.ticket"]._cron_gateway_outbox()
        [push] = [r["json"] for r in self.stub.pushes()]
        kinds = [message["type"] for message in push["messages"]]
        self.assertEqual(kinds, ["text", "image"], "LINE takes images by URL and files as links")
        self.assertIn("receipt.pdf: ", push["messages"][0]["text"])
        self.assertIn("/web/image/", push["messages"][1]["originalContentUrl"])
