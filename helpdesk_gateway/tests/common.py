"""Webhook payloads as each provider documents them, posted to the test Odoo, and the
providers' APIs on loopback (``MessagingApis``): LINE's at the gateway's API URL, and
Telegram's Bot API, the WhatsApp Cloud API and Instagram's Messaging API, whose hosts OCA's
connectors hard-code, reached through a TLS-intercepting CONNECT proxy on loopback
(``TlsInterceptor``, set in the process environment for the test class). Every request is
recorded; a request to any other host is refused and fails the test."""
import hashlib
import hmac
import json
import re
import time
from urllib.parse import urlsplit

from odoo.tests import HttpCase
from odoo.tests import common as odoo_test_common

from odoo.addons.helpdesk_ticket.tests.common import HelpdeskCommon
from odoo.addons.mail_gateway_line.tests.common import LineApiStub
from odoo.addons.mail_gateway_line.tests.loopback import (
    TlsInterceptor,
    form_fields,
    json_answer,
    query_of,
    set_environ,
)

TELEGRAM_HOST = "api.telegram.org"
GRAPH_HOST = "graph.facebook.com"
WHATSAPP_MEDIA_HOST = "lookaside.fbsbx.com"
INSTAGRAM_HOST = "graph.instagram.com"
INTERCEPTED_HOSTS = (TELEGRAM_HOST, GRAPH_HOST, WHATSAPP_MEDIA_HOST, INSTAGRAM_HOST)
TELEGRAM_BOT = {"id": 7012345678, "is_bot": True, "first_name": "Support", "username": "support_test_bot"}


def graph_error(message, code, error_type="OAuthException", subcode=None):
    """An error body of Meta's Graph API (WhatsApp Cloud API, Instagram)."""
    error = {"message": message, "type": error_type, "code": code, "fbtrace_id": "AbCdEfGhIjKlMnOp"}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


class MessagingApis(LineApiStub):
    """The providers' APIs on loopback, told apart by the request's host: LINE (its
    gateway's URL fields point to ``url``), Telegram's Bot API (``/bot<token>/<method>``,
    ``/file/bot<token>/<path>``), the WhatsApp Cloud API (``/v<version>/<phone id>/messages``,
    ``/media``, a media id's URL, the media download host) and Instagram's Messaging API
    (``/v<version>/<account>/messages``, a profile). ``whatsapp_media[media id]`` and
    ``telegram_files[file_id]`` = (content, mimetype) are media the provider holds."""

    def __init__(self):
        super().__init__()
        self.sent = 0
        self.whatsapp_media = {}
        self.telegram_files = {}
        self.instagram_profiles = {}

    def reset(self):
        super().reset()
        self.whatsapp_media.clear()
        self.telegram_files.clear()
        self.instagram_profiles.clear()

    def route(self, request):
        host = request["host"]
        if host == TELEGRAM_HOST:
            return self._telegram(request)
        if host in (GRAPH_HOST, WHATSAPP_MEDIA_HOST):
            return self._whatsapp(request)
        if host == INSTAGRAM_HOST:
            return self._instagram(request)
        return super().route(request)

    def _next(self):
        self.sent += 1
        return self.sent

    # -- Telegram Bot API (https://core.telegram.org/bots/api) ---------------------------
    def _telegram(self, request):
        path = urlsplit(request["path"]).path
        download = re.fullmatch(r"/file/bot[^/]+/(.+)", path)
        if download and request["method"] == "GET":
            file_id = download.group(1).rsplit("/", 1)[-1].split(".")[0]
            if file_id in self.telegram_files:
                content, mimetype = self.telegram_files[file_id]
                return 200, content, mimetype, {}
            return json_answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        method = re.fullmatch(r"/bot[^/]+/(\w+)", path)
        if not method:
            return json_answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        method = method.group(1)
        params = form_fields(request) or request["json"] or {}
        chat = {"id": int(params.get("chat_id") or 0), "type": "private"}
        message = {"message_id": self._next(), "date": int(time.time()), "chat": chat, "from": TELEGRAM_BOT}
        if method == "getMe":
            result = TELEGRAM_BOT
        elif method == "getChat":
            result = {**chat, "first_name": "Customer", "accent_color_id": 0, "max_reaction_count": 11,
                      "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                              "premium_subscription": False, "gifts_from_channels": False}}
        elif method == "sendMessage":
            result = {**message, "text": params.get("text")}
        elif method == "sendPhoto":
            result = {**message, "photo": [
                {"file_id": f"AgACAgQ{self.sent}", "file_unique_id": f"AQAD{self.sent}", "width": 1, "height": 1}]}
        elif method == "sendDocument":
            name = params["document"][0] if isinstance(params.get("document"), tuple) else "file"
            result = {**message, "document": {"file_id": f"BQACAgQ{self.sent}", "file_unique_id": f"AgAD{self.sent}",
                                              "file_name": name}}
        elif method == "getFile":
            file_id = params.get("file_id")
            if file_id not in self.telegram_files:
                return json_answer(400, {"ok": False, "error_code": 400,
                                         "description": "Bad Request: invalid file_id"})
            content, _mimetype = self.telegram_files[file_id]
            result = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(content),
                      "file_path": f"photos/{file_id}.bin"}
        elif method in ("setWebhook", "deleteWebhook"):
            result = True
        else:
            return json_answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        return json_answer(200, {"ok": True, "result": result})

    def telegram_calls(self, method):
        """The recorded calls of the Bot API method ``method`` (e.g. ``sendMessage``)."""
        return [r for r in self.requests
                if r["host"] == TELEGRAM_HOST and urlsplit(r["path"]).path.endswith(f"/{method}")]

    # -- WhatsApp Cloud API (https://developers.facebook.com/docs/whatsapp/cloud-api) ------
    def _whatsapp(self, request):
        path = urlsplit(request["path"]).path
        if request["host"] == WHATSAPP_MEDIA_HOST:
            media_id = query_of(request).get("mid")
            if media_id in self.whatsapp_media and request["headers"].get("Authorization"):
                content, mimetype = self.whatsapp_media[media_id]
                return 200, content, mimetype, {}
            return json_answer(404, graph_error("Media not found", 100))
        parts = path.strip("/").split("/")
        if request["method"] == "POST" and len(parts) == 3 and parts[2] == "messages":
            to = (request["json"] or {}).get("to")
            return json_answer(200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                                     "messages": [{"id": f"wamid.HBgMOTg5MTIxMjM0NTY3FQIAERgS{self._next():06d}"}]})
        if request["method"] == "POST" and len(parts) == 3 and parts[2] == "media":
            return json_answer(200, {"id": f"1{self._next():015d}"})
        if request["method"] == "GET" and len(parts) == 2 and parts[1] in self.whatsapp_media:
            content, mimetype = self.whatsapp_media[parts[1]]
            return json_answer(200, {
                "messaging_product": "whatsapp", "id": parts[1], "mime_type": mimetype,
                "sha256": hashlib.sha256(content).hexdigest(), "file_size": len(content),
                "url": f"https://{WHATSAPP_MEDIA_HOST}/whatsapp_business/attachments/?mid={parts[1]}&ext=1&hash=ATs",
            })
        return json_answer(400, graph_error("Unsupported request", 100, subcode=33))

    # -- Instagram Messaging API ------------------------------------------------------------
    def _instagram(self, request):
        parts = urlsplit(request["path"]).path.strip("/").split("/")
        if request["method"] == "POST" and len(parts) == 3 and parts[2] == "messages":
            recipient = ((request["json"] or {}).get("recipient") or {}).get("id")
            return json_answer(200, {"recipient_id": recipient,
                                     "message_id": f"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE{self._next()}"})
        if request["method"] == "GET" and len(parts) == 2 and parts[1] in self.instagram_profiles:
            return json_answer(200, {"id": parts[1], **self.instagram_profiles[parts[1]]})
        return json_answer(400, graph_error("Unsupported get request", 100, "GraphMethodException", 33))


class GatewayCommon(HttpCase, HelpdeskCommon):
    """A department fed by gateways of each app; payload builders and a poster."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stub = MessagingApis().start()
        cls.addClassCleanup(cls.stub.stop)
        cls.interceptor = TlsInterceptor(cls.stub, INTERCEPTED_HOSTS).start()
        cls.addClassCleanup(cls.interceptor.stop)
        cls.addClassCleanup(set_environ(cls.interceptor.environ()))
        cls.department_a.reopen_days = 7
        Gateway = cls.env["mail.gateway"]
        gateway_types = dict(Gateway._fields["gateway_type"].selection)
        apps = {
            "telegram": {"name": "Support Telegram", "token": "123456:TEST-telegram-token",
                         "webhook_key": "tg-hd-test", "webhook_secret": "tg-secret-token"},
            "whatsapp": {"name": "Support WhatsApp", "token": "wa-access-token",
                         "webhook_key": "wa-hd-test", "webhook_secret": "wa-app-secret",
                         "whatsapp_security_key": "wa-verify-token", "whatsapp_from_phone": "1098765"},
            "instagram": {"name": "Support Instagram", "token": "ig-access-token",
                          "webhook_key": "ig-hd-test", "webhook_secret": "ig-app-secret",
                          "instagram_security_key": "ig-verify-token", "instagram_account_id": "17841400000000"},
        }
        for app, values in apps.items():
            # cls.telegram, cls.whatsapp, cls.instagram: empty when the connector is not installed
            setattr(cls, app, Gateway.create({
                **values, "gateway_type": app, "integrated_webhook_state": "integrated",
                "helpdesk_department_id": cls.department_a.id,
            }) if app in gateway_types else Gateway)
        cls._counter = int(time.time())

    @classmethod
    def create_line_gateway(cls, name, key, secret, token="line-channel-access-token"):
        """A LINE gateway of department A on the loopback LINE API (an empty recordset
        when mail_gateway_line is not installed)."""
        Gateway = cls.env["mail.gateway"]
        if "line" not in dict(Gateway._fields["gateway_type"].selection):
            return Gateway
        return Gateway.create({
            "name": name, "gateway_type": "line", "token": token,
            "webhook_key": key, "webhook_secret": secret,
            "integrated_webhook_state": "integrated", "helpdesk_department_id": cls.department_a.id,
            "line_api_url": cls.stub.url, "line_api_data_url": cls.stub.url,
        })

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        """Odoo's test framework refuses every ``requests`` call to a host other than the
        test server; a call to an intercepted provider host that goes through the test's
        proxy (``HTTPS_PROXY``) is sent as is: it reaches the loopback API."""
        if (urlsplit(r.url).hostname in cls.interceptor.hosts
                and (kw.get("proxies") or {}).get("https") == cls.interceptor.url):
            return odoo_test_common._super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    def setUp(self):
        super().setUp()
        self.stub.reset()
        self.interceptor.refused.clear()
        self.addCleanup(lambda: self.assertFalse(
            self.interceptor.refused, "a request for a host the test does not stand in for"))

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
