import base64
import re
import socket
from datetime import timedelta

from markupsafe import Markup

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import JPEG, LineCase

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@tagged("post_install", "-at_install")
class TestLineSend(LineCase):
    def setUp(self):
        super().setUp()
        self.customer = self.user_id()
        self.stub.profiles[self.customer] = {"displayName": "Malee", "userId": self.customer}
        self.assertEqual(self.post_webhook(self.body(self.text_event(self.customer, "help please"))).status_code, 200)
        self.chat = self.chat_of(self.customer)
        self.stub.requests.clear()

    def reply(self, body, attachments=()):
        attachment_ids = []
        for name, raw, mimetype in attachments:
            attachment_ids.append(self.env["ir.attachment"].with_user(self.agent).create({
                "name": name, "raw": raw, "mimetype": mimetype, "res_model": "mail.compose.message", "res_id": 0,
            }).id)
        return self.chat.with_user(self.agent).message_post(
            body=Markup(body), message_type="comment", subtype_xmlid="mail.mt_comment", attachment_ids=attachment_ids)

    def line_notification(self, message):
        return message.notification_ids.filtered(lambda n: n.notification_type == "gateway")

    def test_line_agent_reply_is_pushed(self):
        message = self.reply("<p>Hello <b>Malee</b>, we are on it.</p>")
        [push] = self.stub.pushes()
        self.assertEqual(push["headers"]["Authorization"], "Bearer line-channel-access-token-TEST")
        self.assertEqual(push["headers"]["Content-Type"], "application/json")
        self.assertTrue(UUID.fullmatch(push["headers"]["X-Line-Retry-Key"]))
        self.assertEqual(push["json"], {"to": self.customer,
                                        "messages": [{"type": "text", "text": "Hello *Malee*, we are on it."}]})
        notification = self.line_notification(message)
        self.assertEqual(notification.notification_status, "sent")
        self.assertTrue(notification.gateway_message_id.startswith("4612309668420"))
        self.assertFalse(message.has_error)

    def test_line_reply_with_image_and_file(self):
        message = self.reply("<p>See attached</p>", [
            ("screenshot.jpg", JPEG, "image/jpeg"),
            ("manual.pdf", b"%PDF-1.4 manual", "application/pdf"),
        ])
        [push] = self.stub.pushes()
        text, image = push["json"]["messages"]
        image_att = message.attachment_ids.filtered(lambda a: a.name == "screenshot.jpg")
        pdf_att = message.attachment_ids.filtered(lambda a: a.name == "manual.pdf")
        self.assertEqual(text["type"], "text")
        self.assertTrue(text["text"].startswith("See attached\nmanual.pdf: "))
        self.assertIn(f"/web/content/{pdf_att.id}?download=true&access_token={pdf_att.access_token}", text["text"])
        self.assertEqual(image["type"], "image")
        self.assertTrue(image["originalContentUrl"].endswith(
            f"/web/image/{image_att.id}?access_token={image_att.access_token}"))
        self.assertIn(f"/web/image/{image_att.id}/240x240?access_token=", image["previewImageUrl"])
        # what LINE fetches: readable without an Odoo session with the token, not without it
        self.assertEqual(self.url_open(f"/web/content/{pdf_att.id}?access_token={pdf_att.access_token}").content,
                         b"%PDF-1.4 manual")
        self.assertNotEqual(self.url_open(f"/web/content/{pdf_att.id}").status_code, 200)

    def test_line_long_text_split_in_messages(self):
        self.reply("<p>" + "x" * 12000 + "</p>")
        [push] = self.stub.pushes()
        self.assertEqual([len(m["text"]) for m in push["json"]["messages"]], [5000, 5000, 2000])

    def test_line_refused_then_resent_from_failure_icon(self):
        self.stub.fail("POST", "/v2/bot/message/push", 400, "The request body has 1 error(s)",
                       [{"message": "May not be empty", "property": "messages[0].text"}])
        message = self.reply("<p>Your ticket is solved</p>")
        notification = self.line_notification(message)
        self.assertEqual(notification.notification_status, "exception")
        self.assertEqual(notification.failure_type, "unknown")
        self.assertIn("LINE API 400: The request body has 1 error(s) (messages[0].text: May not be empty)",
                      notification.failure_reason)
        self.assertFalse(notification.line_retry_transient)
        self.assertTrue(message.with_user(self.agent).has_error)  # Odoo's failure icon
        first_key = self.stub.pushes()[0]["headers"]["X-Line-Retry-Key"]
        # the agent clicks the icon: OCA's resend wizard lists the failure, "Send & close"
        self.stub.answers.clear()
        wizard = self.env["mail.resend.message"].with_user(self.agent).with_context(
            mail_message_to_resend=message.id).create({})
        self.assertEqual(wizard.gateway_notification_ids, notification)
        wizard.resend_mail_action()
        self.assertEqual(notification.notification_status, "sent")
        self.assertFalse(notification.failure_reason)
        message.invalidate_recordset(["has_error"])
        self.assertFalse(message.with_user(self.agent).has_error)
        pushes = self.stub.pushes()
        self.assertEqual(len(pushes), 2)
        self.assertEqual(pushes[1]["headers"]["X-Line-Retry-Key"], first_key)
        self.assertEqual(pushes[1]["json"]["messages"], [{"type": "text", "text": "Your ticket is solved"}])

    def test_line_down_kept_failed_and_retried_by_cron(self):
        self.stub.fail("POST", "/v2/bot/message/push", 500, "Internal Server Error")
        message = self.reply("<p>We called you</p>")
        notification = self.line_notification(message)
        self.assertEqual(notification.notification_status, "exception")
        self.assertIn("LINE API 500", notification.failure_reason)
        self.assertTrue(notification.line_retry_transient)
        self.assertIn("We called you", message.body)  # the message is kept
        # not retried at once, then retried once the delay is over
        Notification = self.env["mail.notification"]
        self.assertNotIn(notification, Notification._cron_line_retry())
        notification.sudo().line_retry_date = fields.Datetime.now() - timedelta(minutes=10)
        self.assertIn(notification, Notification._cron_line_retry())  # LINE still down: still failed
        self.assertEqual(notification.line_retry_count, 2)
        self.assertEqual(notification.notification_status, "exception")
        self.stub.answers.clear()
        notification.sudo().line_retry_date = fields.Datetime.now() - timedelta(minutes=10)
        Notification._cron_line_retry()
        self.assertEqual(notification.notification_status, "sent")
        self.assertEqual(len(self.stub.pushes()), 3)
        self.assertEqual(len({p["headers"]["X-Line-Retry-Key"] for p in self.stub.pushes()}), 1)

    def test_line_request_accepted_before_is_not_sent_twice(self):
        # LINE accepted the request but its answer was lost: the retry with the same key gets 409
        self.stub.fail("POST", "/v2/bot/message/push", 409, "The retry key is already accepted",
                       extra={"X-Line-Accepted-Request-Id": "4e1f8c2a-accepted"})
        message = self.reply("<p>Once</p>")
        self.assertEqual(self.line_notification(message).notification_status, "sent")

    def test_line_unreachable_api(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        self.gateway.line_api_url = f"http://127.0.0.1:{closed_port}"
        message = self.reply("<p>Anyone there?</p>")
        notification = self.line_notification(message)
        self.assertEqual(notification.notification_status, "exception")
        self.assertTrue(notification.failure_reason)
        self.assertTrue(notification.line_retry_transient)


@tagged("post_install", "-at_install")
class TestLineGatewayConfig(LineCase):
    def test_line_set_webhook_registers_endpoint(self):
        gateway = self.env["mail.gateway"].create({
            "name": "LINE 2", "gateway_type": "line", "token": "token-2", "webhook_key": "line-key-2",
            "webhook_secret": "secret-2", "line_api_url": self.stub.url, "line_api_data_url": self.stub.url,
        })
        gateway.set_webhook()
        [put] = [r for r in self.stub.requests if r["method"] == "PUT"]
        self.assertEqual(put["path"], "/v2/bot/channel/webhook/endpoint")
        self.assertEqual(put["headers"]["Authorization"], "Bearer token-2")
        self.assertEqual(put["json"], {"endpoint": gateway.webhook_url})
        self.assertTrue(gateway.webhook_url.endswith("/gateway/line/line-key-2/update"))
        self.assertEqual(gateway.integrated_webhook_state, "integrated")

    def test_line_set_webhook_refused(self):
        self.stub.fail("PUT", "/v2/bot/channel/webhook/endpoint", 400, "Invalid webhook endpoint URL")
        gateway = self.env["mail.gateway"].create({
            "name": "LINE 3", "gateway_type": "line", "token": "token-3", "webhook_key": "line-key-3",
            "webhook_secret": "secret-3", "line_api_url": self.stub.url, "line_api_data_url": self.stub.url,
        })
        with self.assertRaisesRegex(UserError, "Invalid webhook endpoint URL"):
            gateway.set_webhook()
        self.assertFalse(gateway.integrated_webhook_state)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        gateway.line_api_url = f"http://127.0.0.1:{closed_port}"
        with self.assertRaisesRegex(UserError, "LINE could not be reached"):
            gateway.set_webhook()
        self.assertFalse(gateway.integrated_webhook_state)

    def test_line_form_shows_webhook_url(self):
        self.assertIn("/gateway/line/line-test-key/update", self.gateway.webhook_url)
        arch = self.env["mail.gateway"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="webhook_url"', arch)
        self.assertIn('name="line_api_url"', arch)

    def test_line_gateway_only_for_administrators(self):
        plain = new_test_user(self.env, login="line_plain_user", groups="base.group_user")
        # a gateway user sees which gateway a chat comes from, nothing else of it
        self.assertEqual(self.gateway.with_user(self.agent).read(["name", "gateway_type"])[0]["gateway_type"], "line")
        with self.assertRaises(AccessError):
            self.gateway.with_user(plain).read(["name"])
        for user in (self.agent, plain):
            for field in ("token", "webhook_secret", "line_api_url"):
                with self.assertRaises(AccessError):
                    self.gateway.with_user(user).read([field])
            with self.assertRaises(AccessError):
                self.gateway.with_user(user).write({"line_api_url": "http://attacker.example"})
            with self.assertRaises(AccessError):
                self.gateway.with_user(user).write({"name": "renamed"})
            with self.assertRaises(AccessError):
                self.env["mail.gateway"].with_user(user).create({
                    "name": "x", "gateway_type": "line", "token": "t", "webhook_key": "k-attacker"})
        # nor through the chat's related field
        user_id = self.user_id()
        self.post_webhook(self.body(self.text_event(user_id, "hi")))
        with self.assertRaises(AccessError):
            self.chat_of(user_id).with_user(self.agent).read(["gateway_token"])
        self.assertEqual(self.gateway.sudo().line_api_url, self.stub.url)

    def test_line_attachment_token_is_per_attachment(self):
        other = self.env["ir.attachment"].create({"name": "private.txt", "raw": base64.b64decode(b"c2VjcmV0"),
                                                  "res_model": "res.partner", "res_id": self.agent.partner_id.id})
        other.generate_access_token()
        response = self.url_open(f"/web/content/{other.id}?access_token=wrong-token")
        self.assertNotEqual(response.status_code, 200)
