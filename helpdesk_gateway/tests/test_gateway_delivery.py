"""What the customer is sent from a Telegram or WhatsApp ticket reaches the provider's API as
the provider documents it. OCA's connectors run unchanged and make their real HTTPS calls
to api.telegram.org and graph.facebook.com; the test's CONNECT proxy on loopback
(``common.GatewayCommon``) terminates them with a certificate of a CA made for the run and
hands them to the loopback API, which records path, headers and body."""
from urllib.parse import quote

import certifi
import httpx
import requests
from markupsafe import Markup

from odoo.tests import tagged

from odoo.addons.base.models.ir_mail_server import MailDeliveryException
from odoo.addons.helpdesk_gateway.models.helpdesk_ticket import gateway_failure_reason

from odoo.addons.mail_gateway_line.tests.loopback import form_fields

from .common import GRAPH_HOST, TELEGRAM_HOST, WHATSAPP_MEDIA_HOST, GatewayCommon, graph_error
from .test_gateway_webhooks import PNG

PDF = b"%PDF-1.4 receipt 2026-0042"


class DeliveryCase(GatewayCommon):
    app = None  # the gateway_type, and the class attribute of the app's gateway

    def setUp(self):
        super().setUp()
        self.gateway = getattr(self, self.app)
        self.require(self.gateway)

    def _ticket(self, token, text):
        """The ticket of chat ``token`` after its first message ``text`` (the app's webhook
        payload, e.g. ``post_telegram(telegram_update(...))``)."""
        update = getattr(self, f"{self.app}_update")(token, text)
        self.assertEqual(getattr(self, f"post_{self.app}")(update).status_code, 200)
        ticket = self.tickets_of(self.gateway, token)
        self.assertEqual(len(ticket), 1)
        return ticket

    def _gateway_notification(self, message):
        return message.notification_ids.filtered(lambda n: n.notification_type == "gateway")

    def _reply(self, ticket, body, attachments=None, note=False):
        return ticket.with_user(self.agent_a).message_post(
            body=body, message_type="comment", attachments=attachments or [],
            subtype_xmlid="mail.mt_note" if note else "mail.mt_comment",
        )

    def _deliver(self):
        self.env["helpdesk.ticket"]._cron_gateway_outbox()

    def _resend(self, message):
        wizard = self.env["mail.resend.message"].with_user(self.agent_a).with_context(
            mail_message_to_resend=message.id).create({})
        self.assertEqual(wizard.gateway_notification_ids, self._gateway_notification(message))
        wizard.resend_mail_action()

    def _refused_then_resent(self, ticket, text, path, status, body):
        """The agent replies ``text`` while the provider answers ``POST path`` with
        ``status`` and ``body``: the message is kept, failed (Odoo's failure icon); resent
        when the provider accepts it again. Returns the failure reason shown."""
        self.stub.answer("POST", path, status, body)
        reply = self._reply(ticket, text)
        with self.assertLogs("odoo.addons", "ERROR"):  # the connector's and the job's
            self._deliver()
        notification = self._gateway_notification(reply)
        self.assertEqual(notification.notification_status, "exception")
        self.assertEqual(notification.failure_type, "unknown")
        self.assertIn(notification, reply.notification_ids._filtered_for_web_client(), "the failure icon")
        self.assertFalse(ticket.gateway_outbox_pending)
        self.assertIn(text, reply.body, "the message is kept")
        reason = notification.failure_reason
        self.stub.reset()
        self._resend(reply)
        self.assertEqual(notification.notification_status, "ready")
        self.assertTrue(ticket.gateway_outbox_pending)
        self._deliver()
        self.assertEqual(notification.notification_status, "sent")
        self.assertFalse(notification.failure_reason)
        return reason


@tagged("post_install", "-at_install")
class TestTelegramDelivery(DeliveryCase):
    """Telegram Bot API: ``POST https://api.telegram.org/bot<token>/<method>``, parameters
    form-encoded (files as multipart/form-data), answers ``{"ok": ..., "result": ...}`` or
    ``{"ok": false, "error_code": ..., "description": ...}``."""

    app = "telegram"

    def setUp(self):
        super().setUp()
        self.bot_path = f"/bot{self.telegram.token}"

    def _sent_texts(self, chat_id):
        return [form_fields(r)["text"] for r in self.stub.telegram_calls("sendMessage")
                if form_fields(r)["chat_id"] == str(chat_id)]

    def test_acknowledgement_and_reply_are_sent_internal_note_is_not(self):
        ticket = self._ticket(710001, "My router blinks red")
        self.assertFalse(self.stub.requests, "receiving a text calls nothing")

        self.env["helpdesk.ticket"]._cron_gateway_acknowledge()
        self._deliver()
        [ack] = self.stub.telegram_calls("sendMessage")
        self.assertEqual(ack["method"], "POST")
        self.assertEqual(ack["host"], TELEGRAM_HOST)
        self.assertEqual(ack["path"], f"{self.bot_path}/sendMessage")
        self.assertEqual(ack["headers"]["Content-Type"], "application/x-www-form-urlencoded")
        fields = form_fields(ack)
        self.assertEqual(fields["chat_id"], "710001")
        self.assertEqual(fields["parse_mode"], "HTML")
        self.assertIn(ticket.number, fields["text"])
        self.assertIn(f"/my/tickets/{ticket.id}?access_token={ticket.access_token}", fields["text"])
        # the connector's calls, in order: the bot (getMe), the chat (getChat), the message
        self.assertEqual([r["path"].rsplit("/", 1)[1] for r in self.stub.requests],
                         ["getMe", "getChat", "sendMessage"])
        self.assertEqual(form_fields(self.stub.telegram_calls("getChat")[0]), {"chat_id": "710001"})

        self.stub.reset()
        note = self._reply(ticket, "Internal: the line card is faulty", note=True)
        self._deliver()
        self.assertFalse(self._gateway_notification(note))
        self.assertFalse(self.stub.requests, "an internal note calls nothing")

        reply = self._reply(ticket, Markup("<p>We are <b>resetting</b> your line</p>"))
        self._deliver()
        self.assertEqual(self._sent_texts(710001), ["We are *resetting* your line"])
        notification = self._gateway_notification(reply)
        self.assertEqual(notification.notification_status, "sent")
        sent_id = self.stub.sent  # the message_id Telegram gave
        self.assertEqual(notification.gateway_message_id, str(sent_id))
        self.assertEqual(ticket.date_first_response, reply.date)

    def test_attachments_are_sent_as_photo_and_document(self):
        ticket = self._ticket(710002, "I need the receipt")
        ticket.gateway_ack_pending = False
        self._reply(ticket, Markup("<p>Your receipt and the photo</p>"),
                    attachments=[("photo.png", PNG), ("receipt.pdf", PDF)])
        self._deliver()
        self.assertEqual(self._sent_texts(710002), ["Your receipt and the photo"])
        [photo] = self.stub.telegram_calls("sendPhoto")
        [document] = self.stub.telegram_calls("sendDocument")
        self.assertEqual(photo["path"], f"{self.bot_path}/sendPhoto")
        self.assertTrue(photo["headers"]["Content-Type"].startswith("multipart/form-data; boundary="))
        fields = form_fields(photo)
        self.assertEqual(fields["chat_id"], "710002")
        self.assertEqual(fields["photo"][1], PNG)
        fields = form_fields(document)
        self.assertEqual(fields["chat_id"], "710002")
        self.assertEqual(fields["document"][:2], ("receipt.pdf", PDF))

    def test_refused_message_fails_with_telegrams_reason_and_is_resent(self):
        ticket = self._ticket(710003, "My router blinks red")
        ticket.gateway_ack_pending = False
        reason = self._refused_then_resent(
            ticket, "Could you restart the router?", f"{self.bot_path}/sendMessage", 403,
            {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
        self.assertIn("bot was blocked by the user", reason, "Telegram's description")
        # resent once the customer unblocked the bot
        self.assertEqual(self._sent_texts(710003), ["Could you restart the router?"])

    def test_integrate_webhook_registers_url_and_secret(self):
        """*Integrate Webhook*: ``setWebhook`` with the gateway's URL and the secret Telegram
        then sends in ``X-Telegram-Bot-Api-Secret-Token``."""
        self.telegram.set_webhook()
        [call] = self.stub.telegram_calls("setWebhook")
        self.assertEqual(call["path"], f"{self.bot_path}/setWebhook")
        self.assertEqual(form_fields(call), {
            "url": self.telegram.webhook_url, "secret_token": "tg-secret-token"})
        self.assertTrue(self.telegram.webhook_url.endswith("/gateway/telegram/tg-hd-test/update"))

    def test_customer_photo_is_downloaded_into_the_ticket(self):
        """An incoming photo: ``getFile`` then the download from ``/file/bot<token>/<path>``."""
        self.stub.telegram_files["AgACAgQAAxkBAAIBb2"] = (PNG, "image/png")
        update = self.telegram_update(710004, None, caption="The red light", photo=[
            {"file_id": "AgACAgQAAxkBAAIBb2", "file_unique_id": "AQADsrgxG4", "width": 90, "height": 51,
             "file_size": len(PNG)},
        ])
        self.assertEqual(self.post_telegram(update).status_code, 200)
        ticket = self.tickets_of(self.telegram, 710004)
        self.assertEqual(len(ticket), 1)
        [get_file] = self.stub.telegram_calls("getFile")
        self.assertEqual(form_fields(get_file), {"file_id": "AgACAgQAAxkBAAIBb2"})
        [download] = self.stub.requests_to("GET", prefix=f"/file{quote(self.bot_path)}/")
        self.assertEqual(download["host"], TELEGRAM_HOST)
        self.assertEqual(self.customer_messages(ticket).attachment_ids.raw, PNG)


@tagged("post_install", "-at_install")
class TestWhatsappDelivery(DeliveryCase):
    """WhatsApp Cloud API: ``POST https://graph.facebook.com/v<version>/<phone number
    id>/messages`` with ``Authorization: Bearer <access token>`` and a JSON body; media
    uploaded first to ``/<phone number id>/media`` (multipart/form-data); errors as Graph
    API error objects."""

    app = "whatsapp"

    def setUp(self):
        super().setUp()
        self.api_path = f"/v{self.whatsapp.whatsapp_version}/{self.whatsapp.whatsapp_from_phone}"

    def _messages(self):
        return self.stub.requests_to("POST", f"{self.api_path}/messages", host=GRAPH_HOST)

    def _assert_graph_headers(self, request):
        self.assertEqual(request["headers"]["Authorization"], "Bearer wa-access-token")

    def test_acknowledgement_and_reply_are_sent_internal_note_is_not(self):
        ticket = self._ticket("989121110001", "سلام، اینترنت قطع است")
        self.assertFalse(self.stub.requests, "receiving a text calls nothing")
        self.env["helpdesk.ticket"]._cron_gateway_acknowledge()
        reply = self._reply(ticket, Markup("<p>We are <b>resetting</b> your line</p>"))
        note = self._reply(ticket, "Internal: the line card is faulty", note=True)
        self._deliver()
        ack, sent = self._messages()
        self.assertEqual(len(self.stub.requests), 2, "one request per message, none for the note")
        self.assertFalse(self._gateway_notification(note))
        for request in (ack, sent):
            self._assert_graph_headers(request)
            self.assertEqual(request["headers"]["Content-Type"], "application/json")
        self.assertIn(ticket.number, ack["json"]["text"]["body"])
        self.assertIn(f"/my/tickets/{ticket.id}?access_token=", ack["json"]["text"]["body"])
        self.assertEqual(sent["json"], {
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "989121110001",
            "type": "text", "text": {"preview_url": False, "body": "We are *resetting* your line"},
        })
        notification = self._gateway_notification(reply)
        self.assertEqual(notification.notification_status, "sent")
        self.assertTrue(notification.gateway_message_id.startswith("wamid."))

    def test_attachments_are_uploaded_then_sent_as_media(self):
        ticket = self._ticket("989121110002", "رسید را بفرستید")
        ticket.gateway_ack_pending = False
        self._reply(ticket, "Your receipt", attachments=[("receipt.pdf", PDF), ("photo.png", PNG)])
        self._deliver()
        uploads = self.stub.requests_to("POST", f"{self.api_path}/media", host=GRAPH_HOST)
        self.assertEqual(len(uploads), 2)
        files = {}
        for upload in uploads:
            self._assert_graph_headers(upload)
            self.assertTrue(upload["headers"]["Content-Type"].startswith("multipart/form-data; boundary="))
            fields = form_fields(upload)
            self.assertEqual(fields["messaging_product"], "whatsapp")
            files[fields["file"][0]] = fields["file"][1:]
        self.assertEqual(files, {"receipt.pdf": (PDF, "application/pdf"), "photo.png": (PNG, "image/png")})
        bodies = [r["json"] for r in self._messages()]
        self.assertEqual([b["type"] for b in bodies], ["document", "image", "text"])
        document, image, text = bodies
        self.assertEqual(document["document"]["filename"], "receipt.pdf")
        self.assertTrue(document["document"]["id"].isdigit(), "the id the media upload answered")
        self.assertEqual(set(image["image"]), {"id"})
        self.assertEqual(text["text"]["body"], "Your receipt")
        self.assertEqual({b["to"] for b in bodies}, {"989121110002"})

    def test_refused_or_down_fails_with_the_answer_and_is_resent(self):
        """Meta refusing the message (400, outside the 24-hour window) or down (503)."""
        cases = [
            ("989121110003", 400, graph_error("(#131047) Re-engagement message", 131047), "400 Client Error"),
            ("989121110004", 503, graph_error("Service temporarily unavailable", 2), "503 Server Error"),
        ]
        for wa_id, status, error, shown in cases:
            with self.subTest(status=status):
                ticket = self._ticket(wa_id, "سلام، اینترنت قطع است")
                ticket.gateway_ack_pending = False
                reason = self._refused_then_resent(
                    ticket, f"Is it working now? ({status})", f"{self.api_path}/messages", status, error)
                # Meta's message, then the HTTP status and the URL
                self.assertTrue(reason.startswith(error["error"]["message"]), reason)
                self.assertIn(shown, reason)
                self.assertIn(f"{GRAPH_HOST}{self.api_path}/messages", reason)
                [sent] = self._messages()
                self.assertEqual(sent["json"]["text"]["body"], f"Is it working now? ({status})")
                self.assertEqual(sent["json"]["to"], wa_id)

    def test_failure_reason_without_an_answer(self):
        """The provider unreachable: the connector's error and its cause."""
        try:
            try:
                raise requests.ConnectionError("Connection refused")
            except requests.ConnectionError as exc:
                raise MailDeliveryException("Unable to send the whatsapp message") from exc
        except MailDeliveryException as error:
            self.assertEqual(gateway_failure_reason(error), "Unable to send the whatsapp message: Connection refused")

    def test_customer_image_is_downloaded_into_the_ticket(self):
        """An incoming image: its URL from ``GET /v<version>/<media id>``, then the file from
        that URL, both with the access token."""
        self.stub.whatsapp_media["1029384756"] = (PNG, "image/png")
        update = self.whatsapp_update("989121110005", "x")
        message = update["entry"][0]["changes"][0]["value"]["messages"][0]
        del message["text"]
        message.update(type="image", image={"id": "1029384756", "mime_type": "image/png", "caption": "the modem"})
        self.assertEqual(self.post_whatsapp(update).status_code, 200)
        ticket = self.tickets_of(self.whatsapp, "989121110005")
        self.assertEqual(len(ticket), 1)
        info, download = self.stub.requests
        self.assertEqual((info["method"], info["host"], info["path"]),
                         ("GET", GRAPH_HOST, f"/v{self.whatsapp.whatsapp_version}/1029384756"))
        self.assertEqual((download["method"], download["host"]), ("GET", WHATSAPP_MEDIA_HOST))
        self._assert_graph_headers(info)
        self._assert_graph_headers(download)
        message = self.customer_messages(ticket)
        self.assertEqual(message.attachment_ids.raw, PNG)
        self.assertIn("the modem", message.body)


@tagged("post_install", "-at_install")
class TestProviderInterception(GatewayCommon):
    """The test's proxy stands in for the providers' hosts only, over TLS that a client
    verifies with the test CA (the environment the class sets)."""

    def test_only_the_providers_hosts_are_answered(self):
        with self.assertRaises(httpx.ProxyError):
            httpx.get("https://www.example.org/", timeout=10)
        self.assertEqual(len(self.interceptor.refused), 1)
        self.assertIn("CONNECT www.example.org:443", self.interceptor.refused[0])
        self.interceptor.refused.clear()

        answer = httpx.post(f"https://{TELEGRAM_HOST}/bot1:x/getMe", timeout=10)
        self.assertEqual(answer.json()["result"]["username"], "support_test_bot")
        with self.assertRaises(httpx.ConnectError):  # the public CAs do not know the test CA
            httpx.post(f"https://{TELEGRAM_HOST}/bot1:x/getMe", verify=certifi.where(), timeout=10)
        self.assertIn("TLS handshake failed", self.interceptor.refused[0])
        self.interceptor.refused.clear()
        self.assertEqual(len(self.stub.requests), 1)
