import secrets

from odoo import api, fields, models

LINE_API_URL = "https://api.line.me"
LINE_API_DATA_URL = "https://api-data.line.me"


class MailGateway(models.Model):
    """A LINE official account (a Messaging API channel) as a gateway.

    As for OCA's other connectors the gateway's ``token`` is the credential used to call the
    provider (here the *channel access token*, long-lived) and ``webhook_secret`` the key
    that signs the webhooks (here the *channel secret*)."""

    _inherit = "mail.gateway"

    gateway_type = fields.Selection(selection_add=[("line", "LINE")], ondelete={"line": "cascade"})
    # Gateway users (agents answering the chats) read the gateway of their chats (OCA's
    # discuss.channel.message_post and _to_store read its type and name as the user:
    # security/ir.model.access.csv), never its credentials: only administrators manage them.
    token = fields.Char(groups="base.group_system")
    webhook_secret = fields.Char(groups="base.group_system")
    line_api_url = fields.Char(
        string="LINE API URL",
        default=LINE_API_URL,
        groups="base.group_system",
        help="Base URL of the Messaging API (push, profile, webhook endpoint).",
    )
    line_api_data_url = fields.Char(
        string="LINE API Data URL",
        default=LINE_API_DATA_URL,
        groups="base.group_system",
        help="Base URL of the Messaging API's data endpoint (content of images and files sent by users).",
    )

    @api.onchange("gateway_type")
    def _onchange_gateway_type_line(self):
        for gateway in self.filtered(lambda g: g.gateway_type == "line"):
            gateway.line_api_url = gateway.line_api_url or LINE_API_URL
            gateway.line_api_data_url = gateway.line_api_data_url or LINE_API_DATA_URL
            # part of the webhook URL: unguessable, so that only LINE knows where to post
            gateway.webhook_key = gateway.webhook_key or secrets.token_urlsafe(18)

    def _line_url(self, path, data=False):
        """``path`` on the gateway's API (or data) endpoint."""
        self.ensure_one()
        base = (self.sudo().line_api_data_url if data else self.sudo().line_api_url) or (
            LINE_API_DATA_URL if data else LINE_API_URL
        )
        return base.rstrip("/") + path
