"""What the helpdesk adds to every connector of OCA's mail_gateway (WhatsApp, Telegram,
Instagram, LINE): the provider's id of each update (duplicate deliveries) and one chat
per sender even when two workers receive its first messages at once."""
from odoo import models

# the most entries, changes, messages or events one webhook delivery may carry: Meta
# batches up to 1000 changes per delivery; more is no delivery of the app
MAX_UPDATE_ITEMS = 1000


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_id(value):
    """A provider's id: a non-empty string or an integer."""
    return (isinstance(value, str) and bool(value)) or _is_int(value)


def _is_list_of_dicts(value, limit):
    return isinstance(value, list) and len(value) <= limit and all(isinstance(item, dict) for item in value)


def _is_whatsapp_message(message):
    """A message of the WhatsApp Cloud API as the connector reads it: ids, a text's
    body and a media's id and caption are strings."""
    if not _is_id(message.get("id")) or not _is_id(message.get("from")):
        return False
    text = message.get("text")
    if text and not (isinstance(text, dict) and isinstance(text.get("body", ""), str)):
        return False
    for kind in ("image", "audio", "video", "document", "sticker"):
        media = message.get(kind)
        if media and not (isinstance(media, dict) and isinstance(media.get("caption", ""), str)
                          and isinstance(media.get("id", ""), str) and isinstance(media.get("url", ""), str)):
            return False
    return True


def _dicts(value):
    """The objects of a JSON list (nothing when ``value`` is no list)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


class MailGatewayAbstract(models.AbstractModel):
    _inherit = "mail.gateway.abstract"

    def _get_channel(self, gateway, token, update, force_create=False):
        """OCA searches the chat's Discuss channel and creates it when missing. Race: two
        workers receiving the first two messages of a new chat at once would both miss it
        and create two channels (and two tickets). For a helpdesk gateway the creation is
        claimed first on the unique key ``chat:<token>``: the second worker waits for
        the first, gets a serialization failure and its request runs again, finding
        the channel (``helpdesk.gateway.receipt._claim``)."""
        if gateway.helpdesk_department_id and token and not gateway._get_channel_id(token):
            self.env["helpdesk.gateway.receipt"].sudo()._claim(gateway, [f"chat:{token}"])
        return super()._get_channel(gateway, token, update, force_create=force_create)

    def _helpdesk_delivery_keys(self, update):
        """The provider's ids of the messages in ``update`` (the parsed webhook body):
        a provider delivers an update again when it got no answer in time, with the
        same ids. Empty when the update carries none (status updates). Reads only what
        ``_helpdesk_is_malformed`` accepted, and skips any other shape."""
        gateway_type = self._name.rpartition(".")[2]
        keys = []
        if not isinstance(update, dict):
            return keys
        if gateway_type == "telegram" and _is_id(update.get("update_id")):
            keys.append(f"update:{update['update_id']}")
        elif gateway_type in ("whatsapp", "instagram"):
            for entry in _dicts(update.get("entry")):
                for change in _dicts(entry.get("changes")):
                    value = change.get("value")
                    for message in _dicts(value.get("messages") if isinstance(value, dict) else None):
                        if _is_id(message.get("id")):
                            keys.append(f"update:{message['id']}")
                for item in _dicts(entry.get("messaging")):
                    message = item.get("message")
                    if isinstance(message, dict) and _is_id(message.get("mid")):
                        keys.append(f"update:{message['mid']}")
        elif gateway_type == "line":
            for event in _dicts(update.get("events")):
                message = event.get("message")
                event_id = event.get("webhookEventId")
                if not _is_id(event_id) and isinstance(message, dict):
                    event_id = message.get("id")
                if _is_id(event_id):
                    keys.append(f"update:{event_id}")
        return keys

    def _helpdesk_is_malformed(self, update):
        """Whether ``update`` (parsed JSON) is not the shape this app sends: the
        containers the connectors walk (entries, changes, messages, events) are lists
        of objects, the ids are strings or numbers, and an update carries at most
        ``MAX_UPDATE_ITEMS`` of them (Meta batches up to 1000 changes per delivery)."""
        gateway_type = self._name.rpartition(".")[2]
        if not isinstance(update, dict):
            return True
        if gateway_type == "telegram":
            message = update.get("message")
            return not _is_int(update.get("update_id")) or (message is not None and not isinstance(message, dict))
        if gateway_type in ("whatsapp", "instagram"):
            return not self._helpdesk_meta_is_wellformed(update, gateway_type)
        if gateway_type == "line":
            return not self._helpdesk_line_is_wellformed(update)
        return False

    def _helpdesk_meta_is_wellformed(self, update, gateway_type):
        entries = update.get("entry")
        if not _is_list_of_dicts(entries, MAX_UPDATE_ITEMS):
            return False
        items = 0
        for entry in entries:
            changes, messaging = entry.get("changes", []), entry.get("messaging", [])
            if gateway_type == "whatsapp" and "changes" not in entry:
                return False
            if not _is_list_of_dicts(changes, MAX_UPDATE_ITEMS) or not _is_list_of_dicts(messaging, MAX_UPDATE_ITEMS):
                return False
            for change in changes:
                value = change.get("value")
                if change.get("field") == "messages" and not isinstance(value, dict):
                    return False
                if not isinstance(value, dict):
                    continue
                for key in ("messages", "statuses", "contacts"):
                    if not _is_list_of_dicts(value.get(key, []), MAX_UPDATE_ITEMS):
                        return False
                messages = value.get("messages", [])
                if not all(_is_whatsapp_message(message) for message in messages):
                    return False
                items += len(messages) + len(value.get("statuses", []))
            for item in messaging:
                message = item.get("message")
                if message is not None and (not isinstance(message, dict) or not _is_id(message.get("mid"))):
                    return False
                sender = item.get("sender")
                if sender is not None and not isinstance(sender, dict):
                    return False
            items += len(messaging)
            if items > MAX_UPDATE_ITEMS:
                return False
        return True

    def _helpdesk_line_is_wellformed(self, update):
        events = update.get("events")
        if not _is_list_of_dicts(events, MAX_UPDATE_ITEMS):
            return False
        for event in events:
            if not isinstance(event.get("type"), str):
                return False
            if "message" in event and not isinstance(event["message"], dict):
                return False
            if "webhookEventId" in event and not _is_id(event["webhookEventId"]):
                return False
            if "source" in event and not isinstance(event["source"], dict):
                return False
        # the connector's own check of the events it processes (message, follow, unfollow)
        check = getattr(self, "_line_check_update", None)
        return not (check and check(update))

    def _helpdesk_is_ignored(self, update):
        """An update the app does send but that carries no customer message for the
        connector (a Telegram edited message, a channel post): answered 200, nothing done."""
        gateway_type = self._name.rpartition(".")[2]
        if gateway_type == "telegram":
            return not isinstance(update.get("message"), dict)
        return False
