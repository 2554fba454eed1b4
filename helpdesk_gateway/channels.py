"""The ticket channels of the messaging apps, added to every selection of channels
(tickets, routing rules and their test wizard)."""

GATEWAY_CHANNELS = [
    ("whatsapp", "WhatsApp"),
    ("telegram", "Telegram"),
    ("instagram", "Instagram"),
    ("line", "LINE"),
]


def channels_ondelete(policy):
    return {key: policy for key, _label in GATEWAY_CHANNELS}
