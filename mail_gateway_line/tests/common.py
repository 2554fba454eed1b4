"""A LINE gateway on the test Odoo, LINE's documented webhook payloads signed with the
channel secret, and LINE's Messaging API on loopback (push, content, profile, webhook
endpoint; ``loopback.LoopbackApi``): it records each request's method, path, headers and
JSON body and answers like LINE (or with the error a test sets)."""
import base64
import hashlib
import hmac
import json
import time
import uuid

from odoo.tests import HttpCase, new_test_user

from .loopback import LoopbackApi, json_answer

CHANNEL_SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"
ACCESS_TOKEN = "line-channel-access-token-TEST"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


class LineApiStub(LoopbackApi):
    """LINE's Messaging API on 127.0.0.1 (the gateway's API URL fields point to ``url``):
    push, profile, content and webhook endpoint answered as LINE documents them.
    ``profiles[userId]`` and ``contents[messageId]`` = (content, content type) are what
    LINE knows; ``fail`` sets an error answer."""

    def __init__(self):
        super().__init__()
        self.profiles = {}
        self.contents = {}
        self.push_count = 0

    def route(self, request):
        method, path = request["method"], request["path"]
        if method == "POST" and path == "/v2/bot/message/push":
            self.push_count += 1
            return json_answer(200, {"sentMessages": [
                {"id": f"4612309668420{self.push_count:05d}", "quoteToken": "IStG5h1Tz7b..."}
            ]})
        if method == "GET" and path.startswith("/v2/bot/profile/"):
            user_id = path.rsplit("/", 1)[1]
            if user_id in self.profiles:
                return json_answer(200, self.profiles[user_id])
        elif method == "GET" and path.startswith("/v2/bot/message/") and path.endswith("/content"):
            message_id = path.split("/")[4]
            if message_id in self.contents:
                content, ctype = self.contents[message_id]
                return 200, content, ctype, {}
        elif method == "PUT" and path == "/v2/bot/channel/webhook/endpoint":
            return json_answer(200, {})
        return super().route(request)

    def fail(self, method, path, status, message, details=None, extra=None):
        """Answer ``method path`` with LINE's error body (``message``, ``details``)."""
        body = {"message": message}
        if details:
            body["details"] = details
        self.answer(method, path, status, body, headers=extra)

    def pushes(self):
        return self.requests_to("POST", "/v2/bot/message/push")


class LineCase(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stub = LineApiStub().start()
        cls.addClassCleanup(cls.stub.stop)
        cls.agent = new_test_user(
            cls.env, login="line_agent", name="Line Agent",
            groups="base.group_user,mail_gateway.gateway_user",
        )
        cls.gateway = cls.env["mail.gateway"].create({
            "name": "LINE OA", "gateway_type": "line", "token": ACCESS_TOKEN,
            "webhook_key": "line-test-key", "webhook_secret": CHANNEL_SECRET,
            "line_api_url": cls.stub.url, "line_api_data_url": cls.stub.url,
            "member_ids": [(6, 0, cls.agent.ids)],
        })
        cls.gateway.set_webhook()
        cls._seq = int(time.time() * 1000)

    def setUp(self):
        super().setUp()
        self.stub.requests.clear()
        self.stub.answers.clear()

    # -- LINE webhook payloads (Messaging API reference, webhook event objects) ----------
    def next_id(self):
        type(self)._seq += 1
        return self._seq

    def user_id(self):
        return "U" + uuid.uuid4().hex

    def event(self, user_id, kind="message", message=None, event_id=None, redelivery=False, **extra):
        event = {
            "type": kind,
            "mode": "active",
            "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user_id},
            "webhookEventId": event_id or f"01H810YECXQQZ37VAXPF{self.next_id()}",
            "deliveryContext": {"isRedelivery": redelivery},
            **extra,
        }
        if kind in ("message", "follow"):
            event["replyToken"] = uuid.uuid4().hex
        if message is not None:
            event["message"] = message
        return event

    def text_event(self, user_id, text, **kwargs):
        message = {"type": "text", "id": str(self.next_id()), "quoteToken": "q3Plxr4AgKd...", "text": text}
        return self.event(user_id, message=message, **kwargs)

    def body(self, *events):
        return {"destination": "U" + "0" * 32, "events": list(events)}

    def sign(self, raw, secret=CHANNEL_SECRET):
        return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()

    def post_webhook(self, body, signature=True, key="line-test-key", secret=CHANNEL_SECRET):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if signature is True:
            headers["X-Line-Signature"] = self.sign(raw, secret)
        elif signature:
            headers["X-Line-Signature"] = signature
        return self.url_open(f"/gateway/line/{key}/update", data=raw, headers=headers)

    # -- what a user sees ------------------------------------------------------------
    def chat_of(self, user_id):
        return self.env["discuss.channel"].search([
            ("gateway_id", "=", self.gateway.id), ("gateway_channel_token", "=", user_id)])

    def comments(self, chat):
        return chat.message_ids.filtered(lambda m: m.message_type == "comment").sorted("id")
