"""A LINE gateway on the test Odoo, LINE's documented webhook payloads signed with the
channel secret, and a small HTTP server on loopback standing in for LINE's Messaging API
(push, content, profile, webhook endpoint): it records each request's method, path,
headers and JSON body and answers like LINE (or with the error a test sets)."""
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests import HttpCase, new_test_user

CHANNEL_SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"
ACCESS_TOKEN = "line-channel-access-token-TEST"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


class LineApiStub:
    """LINE's Messaging API on 127.0.0.1. ``answers[(method, path)]`` = (status, body,
    content type, extra headers) overrides the default answer of a request."""

    def __init__(self):
        self.requests = []
        self.answers = {}
        self.profiles = {}
        self.contents = {}
        self.push_count = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                stub.requests.append({"method": self.command, "path": self.path,
                                      "headers": dict(self.headers), "json": body})
                status, payload, ctype, extra = stub._reply(self.command, self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _answer  # noqa: N815 - http.server's names

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _reply(self, method, path):
        if (method, path) in self.answers:
            status, body, ctype, extra = self.answers[(method, path)]
            return status, body if isinstance(body, bytes) else json.dumps(body).encode(), ctype, extra
        if method == "POST" and path == "/v2/bot/message/push":
            self.push_count += 1
            return 200, json.dumps({"sentMessages": [
                {"id": f"4612309668420{self.push_count:05d}", "quoteToken": "IStG5h1Tz7b..."}
            ]}).encode(), "application/json", {}
        if method == "GET" and path.startswith("/v2/bot/profile/"):
            user_id = path.rsplit("/", 1)[1]
            if user_id in self.profiles:
                return 200, json.dumps(self.profiles[user_id]).encode(), "application/json", {}
            return 404, b'{"message":"Not found"}', "application/json", {}
        if method == "GET" and path.startswith("/v2/bot/message/") and path.endswith("/content"):
            message_id = path.split("/")[4]
            if message_id in self.contents:
                content, ctype = self.contents[message_id]
                return 200, content, ctype, {}
            return 404, b'{"message":"Not found"}', "application/json", {}
        if method == "PUT" and path == "/v2/bot/channel/webhook/endpoint":
            return 200, b"{}", "application/json", {}
        return 404, b'{"message":"Not found"}', "application/json", {}

    def fail(self, method, path, status, message, details=None, extra=None):
        body = {"message": message}
        if details:
            body["details"] = details
        self.answers[(method, path)] = (status, body, "application/json", extra or {})

    def pushes(self):
        return [r for r in self.requests if r["method"] == "POST" and r["path"] == "/v2/bot/message/push"]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


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
