"""Webhook payloads as each provider documents them, posted to the test Odoo, and a small
HTTP server on loopback standing in for a provider's API (it records every request)."""
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests import HttpCase

from odoo.addons.helpdesk_ticket.tests.common import HelpdeskCommon


class ProviderStub:
    """Loopback HTTP server: records (method, path, headers, body) of each request and
    answers with ``self.status`` and ``self.reply`` (JSON), or a file for GET paths in
    ``self.files``."""

    def __init__(self):
        self.requests = []
        self.status = 200
        self.reply = {}
        self.files = {}
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.requests.append({
                    "method": self.command, "path": self.path, "headers": dict(self.headers), "body": body,
                })
                if self.command == "GET" and self.path in stub.files:
                    content, mimetype = stub.files[self.path]
                    self.send_response(200)
                    self.send_header("Content-Type", mimetype)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                    return
                payload = json.dumps(stub.reply).encode()
                self.send_response(stub.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _answer  # noqa: N815 - http.server's names

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class GatewayCommon(HttpCase, HelpdeskCommon):
    """A department fed by gateways of each app; payload builders and a poster."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stub = ProviderStub().start()
        cls.addClassCleanup(cls.stub.stop)
        cls.department_a.reopen_days = 7
        Gateway = cls.env["mail.gateway"]
        gateway_types = dict(Gateway._fields["gateway_type"].selection)
        cls.telegram = cls.whatsapp = cls.instagram = Gateway
        if "telegram" in gateway_types:
            cls.telegram = Gateway.create({
                "name": "Support Telegram", "gateway_type": "telegram", "token": "123456:TEST-telegram-token",
                "webhook_key": "tg-hd-test", "webhook_secret": "tg-secret-token",
                "integrated_webhook_state": "integrated", "helpdesk_department_id": cls.department_a.id,
            })
        if "whatsapp" in gateway_types:
            cls.whatsapp = Gateway.create({
                "name": "Support WhatsApp", "gateway_type": "whatsapp", "token": "wa-access-token",
                "webhook_key": "wa-hd-test", "webhook_secret": "wa-app-secret",
                "whatsapp_security_key": "wa-verify-token", "whatsapp_from_phone": "1098765",
                "integrated_webhook_state": "integrated", "helpdesk_department_id": cls.department_a.id,
            })
        if "instagram" in gateway_types:
            cls.instagram = Gateway.create({
                "name": "Support Instagram", "gateway_type": "instagram", "token": "ig-access-token",
                "webhook_key": "ig-hd-test", "webhook_secret": "ig-app-secret",
                "instagram_security_key": "ig-verify-token", "instagram_account_id": "17841400000000",
                "integrated_webhook_state": "integrated", "helpdesk_department_id": cls.department_a.id,
            })
        cls._counter = int(time.time())

    def _next_id(self):
        type(self)._counter += 1
        return self._counter

    def require(self, gateway):
        if not gateway:
            self.skipTest("connector not installed")

    # -- posting -----------------------------------------------------------
    def post_update(self, gateway, body, headers=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.url_open(
            f"/gateway/{gateway.gateway_type}/{gateway.webhook_key}/update",
            data=raw, headers={"Content-Type": "application/json", **(headers or {})},
        )

    # -- Telegram Bot API: Update with a Message --------------------------
    def telegram_update(self, chat_id, text, first_name="Somchai", last_name="Jaidee", update_id=None, **message):
        update_id = update_id or self._next_id()
        user = {"id": chat_id, "is_bot": False, "first_name": first_name, "last_name": last_name,
                "language_code": "th"}
        values = {
            "message_id": update_id % 100000, "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": first_name, "last_name": last_name},
            "from": user, **message,
        }
        if text is not None:
            values["text"] = text
        return {"update_id": update_id, "message": values}

    def post_telegram(self, update, secret="tg-secret-token"):
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        return self.post_update(self.telegram, update, headers)

    # -- WhatsApp Cloud API: webhook notification of a message --------------
    def whatsapp_update(self, wa_id, text, name="Reza Ahmadi", wamid=None):
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": "1098765"},
                "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                "messages": [{
                    "from": wa_id, "id": wamid or f"wamid.HBgL{self._next_id()}", "timestamp": str(int(time.time())),
                    "type": "text", "text": {"body": text},
                }],
            }}]}],
        }

    def post_whatsapp(self, update, secret="wa-app-secret"):
        raw = json.dumps(update).encode()
        headers = {}
        if secret:
            headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        return self.post_update(self.whatsapp, raw, headers)

    # -- Instagram Messaging: webhook with messaging[] -------------------------
    def instagram_update(self, igsid, text=None, attachments=None, mid=None):
        message = {"mid": mid or f"aWdfZAG1faXRlbToxOklH{self._next_id()}"}
        if text:
            message["text"] = text
        if attachments:
            message["attachments"] = attachments
        now = int(time.time() * 1000)
        return {"object": "instagram", "entry": [{"id": "17841400000000", "time": now, "messaging": [{
            "sender": {"id": igsid}, "recipient": {"id": "17841400000000"}, "timestamp": now, "message": message,
        }]}]}

    def post_instagram(self, update, secret="ig-app-secret"):
        raw = json.dumps(update).encode()
        headers = {}
        if secret:
            headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        return self.post_update(self.instagram, raw, headers)

    # -- reading -------------------------------------------------------------
    def chat_of(self, gateway, token):
        return self.env["discuss.channel"].search([
            ("gateway_id", "=", gateway.id), ("gateway_channel_token", "=", str(token)),
        ])

    def tickets_of(self, gateway, token):
        return self.env["helpdesk.ticket"].with_context(active_test=False).search(
            [("gateway_channel_id", "in", self.chat_of(gateway, token).ids)], order="id")

    def customer_messages(self, ticket):
        return ticket.message_ids.filtered(
            lambda m: m.message_type == "comment" and m.author_id == ticket.partner_id
        ).sorted("id")
