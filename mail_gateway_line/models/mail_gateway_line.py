"""LINE Messaging API connector of OCA's mail_gateway (``mail.gateway.line``).

Incoming: LINE posts webhooks to ``/gateway/line/<webhook key>/update`` (OCA's route, see
controllers/gateway.py), signed with ``X-Line-Signature``; each ``message`` event becomes a
comment in the Discuss channel of its chat (one channel per LINE user, group or room),
``follow``/``unfollow`` a notification line. Outgoing: a comment posted in such a channel is
pushed with ``POST /v2/bot/message/push`` (OCA's discuss.channel.message_post calls
``_send`` through ``mail.notification.send_gateway``).
"""
import base64
import hashlib
import hmac
import logging
import mimetypes
import re
import uuid
from datetime import datetime, timezone
from urllib.parse import quote

import requests
from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import html2plaintext, plaintext2html
from odoo.tools.mimetypes import guess_mimetype

from odoo.addons.base.models.ir_mail_server import MailDeliveryException

_logger = logging.getLogger(__name__)

#: every webhook event type LINE documents (Messaging API reference, "Webhook Event Objects")
LINE_EVENT_TYPES = frozenset({
    "message", "unsend", "follow", "unfollow", "join", "leave", "memberJoined", "memberLeft",
    "postback", "videoPlayComplete", "beacon", "accountLink", "things", "membership",
    "activated", "deactivated", "botSuspended", "botResumed", "delivery",
})
#: message types a LINE user can send
LINE_MESSAGE_TYPES = frozenset({"text", "image", "video", "audio", "file", "location", "sticker"})
#: message types whose content is downloaded from the data endpoint
LINE_CONTENT_TYPES = frozenset({"image", "video", "audio", "file"})
LINE_ID_PATTERNS = {
    "userId": re.compile(r"U[0-9a-f]{32}"),
    "groupId": re.compile(r"C[0-9a-f]{32}"),
    "roomId": re.compile(r"R[0-9a-f]{32}"),
}
LINE_MESSAGE_ID = re.compile(r"[0-9]{1,32}")
#: a push request carries at most 5 messages, a text message at most 5000 characters
LINE_PUSH_MAX_MESSAGES = 5
LINE_TEXT_MAX = 5000
#: image messages: JPEG or PNG, at most 10 MB (original), sent by URL
LINE_IMAGE_TYPES = ("image/jpeg", "image/png")
LINE_IMAGE_MAX_BYTES = 10 * 1024 * 1024
LINE_TIMEOUT = 10
#: namespace of the X-Line-Retry-Key UUIDs (uuid5 of database, message, chat and chunk)
LINE_RETRY_NAMESPACE = uuid.UUID("5f0d3c1e-8a41-4f7e-9a53-3c2b8f1d6e70")


class LineApiError(Exception):
    """The Messaging API answered with an error status: ``reason`` is LINE's own message
    (and its details), ``transient`` whether trying again later may succeed."""

    def __init__(self, status, reason):
        super().__init__(f"LINE API {status}: {reason}")
        self.status = status
        self.reason = reason
        self.transient = status >= 500 or status == 429

    @classmethod
    def from_response(cls, response):
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        reason = (payload.get("message") if isinstance(payload, dict) else None) or response.reason or ""
        details = payload.get("details") if isinstance(payload, dict) else None
        if isinstance(details, list) and details:
            reason += " (" + "; ".join(
                f"{detail.get('property', '')}: {detail.get('message', '')}".strip(": ")
                for detail in details if isinstance(detail, dict)
            ) + ")"
        return cls(response.status_code, reason)


class MailGatewayLine(models.AbstractModel):
    _name = "mail.gateway.line"
    _inherit = "mail.gateway.abstract"
    _description = "LINE Gateway services"

    # ------------------------------------------------------------------
    # Webhook integration (LINE Developers console: Messaging API > Webhook URL)
    # ------------------------------------------------------------------
    def _set_webhook(self, gateway):
        """Register the gateway's webhook URL as the channel's endpoint
        (``PUT /v2/bot/channel/webhook/endpoint``), then mark the gateway integrated."""
        try:
            response = self._line_request(
                gateway, "put", "/v2/bot/channel/webhook/endpoint", json={"endpoint": gateway.webhook_url}
            )
        except requests.RequestException as error:
            raise UserError(self.env._("LINE could not be reached: %(reason)s", reason=error)) from error
        if response.status_code >= 400:
            error = LineApiError.from_response(response)
            raise UserError(self.env._(
                "LINE refused the webhook URL %(url)s: %(reason)s\n"
                "The URL must be public and use HTTPS (check the base URL of this database).",
                url=gateway.webhook_url, reason=error.reason,
            ))
        return super()._set_webhook(gateway)

    def _verify_update(self, bot_data, kwargs):
        """``X-Line-Signature`` is base64(HMAC-SHA256(channel secret, raw body))."""
        signature = request.httprequest.headers.get("X-Line-Signature")
        secret = bot_data.get("webhook_secret")
        if not signature or not secret:
            return False
        digest = hmac.new(secret.encode(), request.httprequest.get_data(), hashlib.sha256).digest()
        return hmac.compare_digest(base64.b64encode(digest), signature.encode())

    # ------------------------------------------------------------------
    # Incoming
    # ------------------------------------------------------------------
    def _line_check_update(self, update):
        """Why ``update`` (a parsed webhook body) is not what LINE sends, or ``""``."""
        if not isinstance(update, dict) or not isinstance(update.get("events"), list):
            return "not a LINE webhook body (no events list)"
        for event in update["events"]:
            # isinstance first: a list or an object is no member of the set (unhashable)
            if not isinstance(event, dict) or not isinstance(event.get("type"), str) \
                    or event["type"] not in LINE_EVENT_TYPES:
                return "unknown event type"
            if event["type"] not in ("message", "follow", "unfollow"):
                continue
            source = event.get("source")
            if not isinstance(source, dict) or not self._line_chat_token(event):
                return f"{event['type']} event without a valid source"
            user_id = source.get("userId")
            if user_id is not None and not (isinstance(user_id, str) and LINE_ID_PATTERNS["userId"].fullmatch(user_id)):
                return f"{event['type']} event with an invalid userId"
            timestamp = event.get("timestamp")
            if not isinstance(timestamp, int) or isinstance(timestamp, bool) or not 0 < timestamp < 10**14:
                return f"{event['type']} event without a valid timestamp"
            if not isinstance(event.get("webhookEventId", ""), str):
                return f"{event['type']} event with an invalid webhookEventId"
            if event["type"] == "message":
                message = event.get("message")
                if not isinstance(message, dict) or not isinstance(message.get("type"), str) \
                        or message["type"] not in LINE_MESSAGE_TYPES:
                    return "unknown message type"
                if not isinstance(message.get("id"), str) or not LINE_MESSAGE_ID.fullmatch(message["id"]):
                    return "message without a valid id"
                if message["type"] == "text" and not isinstance(message.get("text"), str):
                    return "text message without text"
        return ""

    def _line_chat_token(self, event):
        """The chat an event belongs to: the user's, group's or room's id."""
        source = event.get("source")
        source_type = source.get("type") if isinstance(source, dict) else None
        if not isinstance(source_type, str):
            return False
        key = {"user": "userId", "group": "groupId", "room": "roomId"}.get(source_type)
        value = key and source.get(key)
        if isinstance(value, str) and LINE_ID_PATTERNS[key].fullmatch(value):
            return value
        return False

    def _line_event_key(self, gateway, event):
        """``message_id`` of the mail.message made from ``event``: LINE delivers an event
        again (``deliveryContext.isRedelivery``) with the same ``webhookEventId`` and
        message id, so a redelivered event finds its message and is skipped."""
        ident = (event.get("message") or {}).get("id") or event.get("webhookEventId")
        if not ident:
            return False
        return f"<line.{gateway.id}.{ident}@mail.gateway>"

    def _receive_update(self, gateway, update):
        problem = self._line_check_update(update)
        if problem:
            raise ValueError(problem)
        for event in update["events"]:
            handler = {
                "message": self._line_receive_message,
                "follow": self._line_receive_follow,
                "unfollow": self._line_receive_unfollow,
            }.get(event["type"])
            if not handler:
                continue
            key = self._line_event_key(gateway, event)
            # Redeliveries come after LINE got no 2xx answer in time. The first delivery
            # usually failed (rolled back); if it only answered late, both may run at once
            # and, neither seeing the other's uncommitted message, post twice: helpdesk_gateway
            # claims a unique receipt per event for that; a plain gateway accepts that rare case.
            if key and self.env["mail.message"].sudo().search_count([("message_id", "=", key)], limit=1):
                _logger.info("LINE gateway %s: event delivered again, ignored", gateway.id)
                continue
            handler(gateway, event, key)

    def _line_receive_message(self, gateway, event, key):
        chat = self._get_channel(gateway, self._line_chat_token(event), event, force_create=True)
        if not chat:
            return False
        message = event["message"]
        kind = message["type"]
        body = Markup()
        attachments = []
        if kind == "text":
            body = plaintext2html(message["text"])
        elif kind in LINE_CONTENT_TYPES:
            provider = message.get("contentProvider")
            provider = provider if isinstance(provider, dict) else {}
            if provider.get("type") == "external" and isinstance(provider.get("originalContentUrl"), str):
                # content hosted by the sender's service (LIFF): kept as a link
                body = Markup('<p><a href="%s" target="_blank" rel="noopener noreferrer">%s</a></p>') % (
                    provider["originalContentUrl"], self.env._("Shared %(type)s", type=kind))
            else:
                attachments.append(self._line_download_content(gateway, message))
        elif kind == "sticker":
            keywords = message.get("keywords")
            keywords = [word for word in keywords if isinstance(word, str)][:5] if isinstance(keywords, list) else []
            text = self.env._("Sticker")
            if keywords:
                text = f"{text}: {', '.join(keywords)}"
            body = Markup("<p>%s</p>") % text
        elif kind == "location":
            label = next((value for value in (message.get("title"), message.get("address"))
                          if isinstance(value, str) and value), self.env._("Location"))
            body = Markup(
                '<p><a href="https://www.google.com/maps/search/?api=1&amp;query=%s,%s" '
                'target="_blank" rel="noopener noreferrer">%s</a></p>'
            ) % (self._line_float(message.get("latitude")), self._line_float(message.get("longitude")), label)
        return self._line_post(chat, event, key, body, attachments, message_type="comment")

    def _line_float(self, value):
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0

    def _line_receive_follow(self, gateway, event, key):
        chat = self._get_channel(gateway, self._line_chat_token(event), event, force_create=True)
        if not chat:
            return False
        follow = event.get("follow")
        if isinstance(follow, dict) and follow.get("isUnblocked") is True:
            text = self.env._("unblocked the LINE official account.")
        else:
            text = self.env._("added the LINE official account as a friend.")
        return self._line_post(chat, event, key, Markup("<p>%s</p>") % text, [], message_type="notification")

    def _line_receive_unfollow(self, gateway, event, key):
        chat_id = gateway._get_channel_id(self._line_chat_token(event))
        if not chat_id:
            return False
        chat = self.env["discuss.channel"].sudo().browse(chat_id)
        text = self.env._("blocked the LINE official account: messages to this chat cannot be delivered any more.")
        return self._line_post(chat, event, key, Markup("<p>%s</p>") % text, [], message_type="notification")

    def _line_post(self, chat, event, key, body, attachments, message_type):
        author = self._get_author(chat.gateway_id, event)
        # never sent back to LINE (OCA's discuss.channel.message_post pushes other messages)
        poster = chat.with_context(no_gateway_notification=True)
        if author and author._name == "mail.guest":
            poster = poster.with_user(self.env.ref("base.public_user")).with_context(guest=author)
        new_message = poster.sudo().message_post(
            body=body,
            author_id=author and author._name == "res.partner" and author.id,
            gateway_type="line",
            date=datetime.fromtimestamp(event["timestamp"] / 1000, tz=timezone.utc).replace(tzinfo=None),
            message_id=key or None,
            subtype_xmlid="mail.mt_comment" if message_type == "comment" else "mail.mt_note",
            message_type=message_type,
            attachments=attachments,
        )
        self._post_process_message(new_message, chat)
        return new_message

    def _line_download_content(self, gateway, message):
        """(name, content, info) of an image, video, audio or file a user sent:
        ``GET /v2/bot/message/{messageId}/content`` on the data endpoint."""
        response = self._line_request(
            gateway, "get", f"/v2/bot/message/{quote(message['id'])}/content", data_endpoint=True, timeout=30
        )
        if response.status_code >= 400:
            raise LineApiError.from_response(response)
        content = response.content
        mimetype = (response.headers.get("Content-Type") or "").split(";")[0].strip() or guess_mimetype(content)
        name = message.get("fileName") if isinstance(message.get("fileName"), str) else ""
        name = name.replace("/", "_").replace("\\", "_").strip() or "{}{}".format(
            message["id"], mimetypes.guess_extension(mimetype) or "")
        info = {"voice": True} if message["type"] == "audio" else {}
        return (name, content, info)

    def _get_author(self, gateway, update):
        """The contact linked to the LINE user (OCA's res.partner.gateway.channel), else the
        gateway's guest for that user, created from the LINE profile when new."""
        user_id = (update.get("source") or {}).get("userId") or self._line_chat_token(update)
        if not user_id:
            return False
        identity = self.env["res.partner.gateway.channel"].sudo().search(
            [("gateway_id", "=", gateway.id), ("gateway_token", "=", user_id)], limit=1)
        if identity:
            return identity.partner_id
        Guest = self.env["mail.guest"].sudo()
        guest = Guest.search([("gateway_id", "=", gateway.id), ("gateway_token", "=", user_id)], limit=1)
        return guest or Guest.create(self._get_author_vals(gateway, user_id, update))

    def _get_author_vals(self, gateway, author_id, update):
        profile = self._line_get_profile(gateway, author_id) if author_id.startswith("U") else {}
        vals = {
            "name": (profile.get("displayName") or "").strip()[:128] or self.env._("LINE user"),
            "gateway_id": gateway.id,
            "gateway_token": author_id,
        }
        lang = self._line_lang(profile.get("language"))
        if lang:
            vals["lang"] = lang
        return vals

    def _line_get_profile(self, gateway, user_id):
        """LINE's profile of a user (``GET /v2/bot/profile/{userId}``): displayName,
        pictureUrl, statusMessage, language; ``{}`` when LINE does not give it (the user
        is not a friend of the account, the API is down)."""
        try:
            response = self._line_request(gateway, "get", f"/v2/bot/profile/{quote(user_id)}")
        except requests.RequestException as error:
            _logger.info("LINE gateway %s: profile unavailable (%s)", gateway.id, error)
            return {}
        if response.status_code >= 400:
            _logger.info("LINE gateway %s: profile unavailable (%s)", gateway.id, LineApiError.from_response(response))
            return {}
        try:
            profile = response.json()
        except ValueError:
            return {}
        return profile if isinstance(profile, dict) else {}

    def _line_lang(self, language):
        """The installed language matching a LINE language tag (``th``, ``en``, ``zh-Hant``)."""
        if not isinstance(language, str) or not language:
            return False
        tag = language.replace("-", "_").lower()
        codes = [code for code, _name in self.env["res.lang"].get_installed()]
        for code in codes:
            if code.lower() == tag:
                return code
        for code in codes:
            if code.lower().split("_")[0] == tag.split("_")[0]:
                return code
        return False

    def _get_channel_vals(self, gateway, token, update):
        vals = super()._get_channel_vals(gateway, token, update)
        author = self._get_author(gateway, update)
        source_type = (update.get("source") or {}).get("type")
        if source_type == "user" and author:
            name = author.name
        else:
            name = self.env._("LINE %(type)s %(id)s", type=source_type, id=token[-6:])
        vals["name"] = name
        vals["anonymous_name"] = name
        return vals

    # ------------------------------------------------------------------
    # Outgoing
    # ------------------------------------------------------------------
    def _send(self, gateway, record, auto_commit=False, raise_exception=False, parse_mode=False):
        """Push the message of notification ``record`` to its chat. On failure the
        notification keeps LINE's reason (Odoo shows the failure icon, the resend wizard
        and the retry cron send it again); the same X-Line-Retry-Key makes a retry of a
        request LINE had accepted a no-op (409) instead of a duplicate."""
        record = record.sudo()
        gateway = gateway.sudo()
        to = record.gateway_channel_id.gateway_channel_token
        sent_ids = []
        try:
            messages = self._line_outgoing_messages(gateway, record)
            for start in range(0, len(messages), LINE_PUSH_MAX_MESSAGES):
                sent_ids += self._line_push(
                    gateway, to, messages[start:start + LINE_PUSH_MAX_MESSAGES], self._line_retry_key(record, start)
                )
        except (LineApiError, requests.RequestException) as error:
            reason = str(error)
            transient = error.transient if isinstance(error, LineApiError) else True
            _logger.warning("LINE gateway %s: notification %s not delivered: %s", gateway.id, record.id, reason)
            if raise_exception:
                raise MailDeliveryException(self.env._("Unable to send the LINE message: %s", reason)) from error
            values = {
                "notification_status": "exception",
                "failure_type": "unknown",
                "failure_reason": reason,
                "line_retry_transient": transient,
                "line_retry_count": record.line_retry_count + 1,
                "line_retry_date": fields.Datetime.now(),
            }
        else:
            values = {
                "notification_status": "sent",
                "failure_type": False,
                "failure_reason": False,
                "line_retry_transient": False,
            }
            if sent_ids:
                values["gateway_message_id"] = sent_ids[0]
        (record | self._line_linked_notifications(record)).write(values)
        if auto_commit is True:
            # pylint: disable=invalid-commit
            self.env.cr.commit()

    def _line_linked_notifications(self, record):
        """The other notification of the same delivery: an agent's message written on a
        document is copied into the chat (OCA's _send_to_gateway_thread) and both carry a
        gateway notification for this chat; a resend from either updates both."""
        message = record.mail_message_id
        return self.env["mail.notification"].sudo().search([
            ("id", "!=", record.id),
            ("notification_type", "=", "gateway"),
            ("gateway_channel_id", "=", record.gateway_channel_id.id),
            ("mail_message_id", "in", (message.gateway_message_ids | message.gateway_message_id).ids),
        ])

    def _line_retry_key(self, record, start):
        """X-Line-Retry-Key of a push: one UUID per chat message and chunk (the chat's copy
        of a document message when there is one), the same on every retry."""
        message = record.mail_message_id
        chat = record.gateway_channel_id
        copies = message.gateway_message_ids.filtered(lambda m: m.model == "discuss.channel" and m.res_id == chat.id)
        root = copies[:1] or message
        dbuuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        return str(uuid.uuid5(LINE_RETRY_NAMESPACE, f"{dbuuid}/{root.id}/{chat.id}/{start}"))

    def _line_outgoing_messages(self, gateway, record):
        """LINE message objects for the notification's message: its text (split at 5000
        characters), JPEG/PNG images up to 10 MB as image messages, every other attachment
        as a link in the text.

        LINE's push API takes no file message (bots cannot send files) and takes images
        by URL only: the link points to the attachment in this database with the
        attachment's access token (``/web/content/<id>?access_token=...``), readable by
        whoever holds the link, i.e. the chat's participants, without an Odoo account.
        LINE fetches the URLs itself, so the database must be reachable over HTTPS."""
        message = record.mail_message_id
        text = html2plaintext(self._get_message_body(record) or "").strip()
        images, links = [], []
        base_url = gateway.get_base_url()
        for attachment in message.attachment_ids.sudo():
            token = attachment.generate_access_token()[0]
            if attachment.mimetype in LINE_IMAGE_TYPES and attachment.file_size <= LINE_IMAGE_MAX_BYTES:
                images.append({
                    "type": "image",
                    "originalContentUrl": f"{base_url}/web/image/{attachment.id}?access_token={token}",
                    "previewImageUrl": f"{base_url}/web/image/{attachment.id}/240x240?access_token={token}",
                })
            else:
                links.append(f"{attachment.name}: {base_url}/web/content/{attachment.id}"
                             f"?download=true&access_token={token}")
        text = "\n".join(part for part in [text, *links] if part)
        texts = [{"type": "text", "text": text[start:start + LINE_TEXT_MAX]}
                 for start in range(0, len(text), LINE_TEXT_MAX)]
        return texts + images

    def _line_push(self, gateway, to, messages, retry_key):
        """``POST /v2/bot/message/push``; the ids of the sent messages."""
        response = self._line_request(
            gateway, "post", "/v2/bot/message/push",
            json={"to": to, "messages": messages}, headers={"X-Line-Retry-Key": retry_key},
        )
        if response.status_code == 409 and response.headers.get("X-Line-Accepted-Request-Id"):
            return []  # LINE accepted this very request before (a retry after a lost answer)
        if response.status_code >= 400:
            raise LineApiError.from_response(response)
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        return [str(sent.get("id")) for sent in payload.get("sentMessages") or [] if isinstance(sent, dict)]

    def _line_request(self, gateway, method, path, data_endpoint=False, headers=None, timeout=LINE_TIMEOUT, **kwargs):
        gateway = gateway.sudo()
        return requests.request(
            method,
            gateway._line_url(path, data=data_endpoint),
            headers={"Authorization": f"Bearer {gateway.token}", **(headers or {})},
            timeout=timeout,
            **kwargs,
        )
