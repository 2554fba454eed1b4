import ipaddress

from odoo import api, fields, models
from odoo.tools.misc import hmac

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

    The same kind of limit as the portal's public form (``helpdesk.portal.attempt``),
    held here rather than reused: helpdesk_livechat is a bridge of helpdesk_ticket and
    im_livechat and must not pull the portal in. Held in the database (several
    workers); keys are keyed hashes, never raw addresses. A key's rows older than its
    window are deleted when the key is counted again (no cron needed)."""

    _name = "helpdesk.livechat.attempt"
    _description = "Helpdesk Live Chat Rate-Limited Attempt"
    _order = "create_date desc, id desc"

    kind = fields.Selection(
        [("chatbot_ip", "Chatbot ticket (per IP address)"), ("chatbot_email", "Chatbot ticket (per email)")],
        required=True, readonly=True,
    )
    key = fields.Char(required=True, readonly=True, index=True, help="Keyed hash of the address or email.")

    @api.model
    def _client_key(self, address):
        """Rate-limit key of a client address: IPv4 as is, IPv6 by its /64 network (a
        subscriber usually gets a whole /64), an IPv4-mapped IPv6 address as its IPv4."""
        try:
            ip = ipaddress.ip_address((address or "").split("%", 1)[0])
        except ValueError:
            return (address or "unknown")[:64]
        if ip.version == 6:
            if ip.ipv4_mapped:
                return str(ip.ipv4_mapped)
            return str(ipaddress.ip_network(f"{ip}/64", strict=False))
        return str(ip)

    @api.model
    def _hash_key(self, kind, value):
        value = (value or "").strip().lower()
        return hmac(self.env(su=True), "helpdesk_livechat_attempt", f"{kind}:{value}")

    @api.model
    def _limit_for(self, kind):
        limit_param, limit_default, window_param, window_default = LIMITS[kind]
        params = self.env["ir.config_parameter"].sudo()
        try:
            limit = int(params.get_param(limit_param, limit_default))
        except ValueError:
            limit = limit_default
        try:
            window = max(int(params.get_param(window_param, window_default)), 1)
        except ValueError:
            window = window_default
        return limit, window

    @api.model
    def _is_blocked(self, checks):
        """Whether any ``(kind, value)`` of ``checks`` reached its limit in its window.

        Race: two workers filing tickets for the same visitor at once would both see
        the count under the limit; a transaction-level advisory lock per key makes the
        second wait until the first recorded its attempt (commit)."""
        cr = self.env.cr
        checks = [(kind, self._hash_key(kind, value)) for kind, value in checks if value]
        for kind, key in sorted(checks):
            cr.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"helpdesk_livechat:{kind}:{key}"])
        for kind, key in checks:
            limit, window = self._limit_for(kind)
            if limit <= 0:
                continue
            cr.execute(
                """SELECT count(*) FROM helpdesk_livechat_attempt
                    WHERE kind = %s AND key = %s
                      AND create_date > (now() AT TIME ZONE 'UTC') - make_interval(mins => %s)""",
                [kind, key, window],
            )
            if cr.fetchone()[0] >= limit:
                return True
        return False

    @api.model
    def _record_attempts(self, checks):
        """Count one attempt for each ``(kind, value)`` of ``checks`` (and forget the
        same keys' expired attempts)."""
        vals_list = [{"kind": kind, "key": self._hash_key(kind, value)} for kind, value in checks if value]
        for vals in vals_list:
            self.env.cr.execute(
                """DELETE FROM helpdesk_livechat_attempt
                    WHERE kind = %s AND key = %s
                      AND create_date < (now() AT TIME ZONE 'UTC') - make_interval(mins => %s)""",
                [vals["kind"], vals["key"], self._limit_for(vals["kind"])[1]],
            )
        return self.sudo().create(vals_list)
