from odoo import api, fields, models

# kind -> (config parameter of the limit, default limit, config parameter of the window, default minutes);
# the defaults are those of the portal's public form (helpdesk_portal): one anonymous visitor,
# whatever the channel, files at most as many tickets
LIMITS = {
    "chatbot_ip": ("helpdesk_livechat.chatbot_limit_ip", 5, "helpdesk_livechat.chatbot_window_minutes", 60),
    "chatbot_email": ("helpdesk_livechat.chatbot_limit_email", 3, "helpdesk_livechat.chatbot_window_minutes", 60),
}


class HelpdeskLivechatAttempt(models.Model):
    """One row per ticket the chatbot's *Create Ticket* step filed for a visitor, keyed
    by the visitor's address (IPv6 /64) and by the email typed in the chat.

    The same kind of limit as the portal's public form, counted by
    ``helpdesk.rate.limit.mixin`` (helpdesk_ticket) in a table of its own:
    helpdesk_livechat is a bridge of helpdesk_ticket and im_livechat and must not pull
    the portal in. A key's rows older than its window are deleted when the key is
    counted again (no cron needed)."""

    _name = "helpdesk.livechat.attempt"
    _inherit = ["helpdesk.rate.limit.mixin"]
    _description = "Helpdesk Live Chat Rate-Limited Attempt"
    _order = "create_date desc, id desc"

    kind = fields.Selection(
        [("chatbot_ip", "Chatbot ticket (per IP address)"), ("chatbot_email", "Chatbot ticket (per email)")],
        required=True, readonly=True,
    )
    key = fields.Char(required=True, readonly=True, index=True, help="Keyed hash of the address or email.")

    @api.model
    def _rate_limits(self):
        return LIMITS

    @api.model
    def _limit_for(self, kind):
        # a window configured to 0 or less is read as one minute
        limit, window = super()._limit_for(kind)
        return limit, max(window, 1)

    @api.model
    def _record_attempts(self, checks):
        """Count one attempt for each ``(kind, value)`` of ``checks`` (and forget the
        same keys' expired attempts)."""
        self._delete_expired_attempts(checks)
        return super()._record_attempts(checks)
