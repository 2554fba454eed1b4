"""What the helpdesk adds to every connector of OCA's mail_gateway (WhatsApp, Telegram,
Instagram, LINE): the provider's id of each update (duplicate deliveries) and one chat
per sender even when two workers receive its first messages at once."""
from odoo import models


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
        same ids. Empty when the update carries none (status updates)."""
        gateway_type = self._name.rpartition(".")[2]
        keys = []
        if gateway_type == "telegram" and isinstance(update, dict) and update.get("update_id") is not None:
            keys.append(f"update:{update['update_id']}")
        elif gateway_type in ("whatsapp", "instagram"):
            payloads = update if isinstance(update, list) else [update]
            for payload in payloads:
                for entry in (payload.get("entry") or []) if isinstance(payload, dict) else []:
                    for change in entry.get("changes") or []:
                        for message in (change.get("value") or {}).get("messages") or []:
                            keys.append(f"update:{message.get('id')}")
                    for item in entry.get("messaging") or []:
                        mid = (item.get("message") or {}).get("mid")
                        if mid:
                            keys.append(f"update:{mid}")
        elif gateway_type == "line" and isinstance(update, dict):
            for event in update.get("events") or []:
                event_id = event.get("webhookEventId") or (event.get("message") or {}).get("id")
                if event_id:
                    keys.append(f"update:{event_id}")
        return keys

    def _helpdesk_is_malformed(self, update):
        """Whether ``update`` (parsed JSON) is not the shape this app sends at all."""
        gateway_type = self._name.rpartition(".")[2]
        if gateway_type == "telegram":
            return not isinstance(update, dict) or not isinstance(update.get("update_id"), int)
        if gateway_type in ("whatsapp", "instagram"):
            return not isinstance(update, dict) or not isinstance(update.get("entry"), list)
        if gateway_type == "line":
            return not isinstance(update, dict) or not isinstance(update.get("events"), list)
        return not isinstance(update, (dict, list))

    def _helpdesk_is_ignored(self, update):
        """An update the app does send but that carries no customer message for the
        connector (a Telegram edited message, a channel post): answered 200, nothing done."""
        gateway_type = self._name.rpartition(".")[2]
        if gateway_type == "telegram":
            return not isinstance(update.get("message"), dict)
        return False
