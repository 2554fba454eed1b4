import logging

from odoo import api, fields, models
from odoo.tools.misc import hmac

_logger = logging.getLogger(__name__)

ATTEMPT_KINDS = [
    ("track_ip", "Tracking lookup (per IP address)"),
    ("track_number", "Tracking lookup (per ticket number)"),
    ("submit_ip", "Public form submission (per IP address)"),
    ("submit_email", "Public form submission (per email)"),
    ("link_mail", "Link mailed by the status page (per ticket)"),
]

# kind -> (config parameter of the limit, default limit, config parameter of the window, default minutes)
LIMITS = {
    "track_ip": ("helpdesk_portal.track_limit_ip", 10, "helpdesk_portal.track_window_minutes", 15),
    "track_number": ("helpdesk_portal.track_limit_number", 5, "helpdesk_portal.track_window_minutes", 15),
    "submit_ip": ("helpdesk_portal.submit_limit_ip", 5, "helpdesk_portal.submit_window_minutes", 60),
    "submit_email": ("helpdesk_portal.submit_limit_email", 3, "helpdesk_portal.submit_window_minutes", 60),
    # a ticket's customer gets at most this many link mails per window, however many
    # visitors ask for one (the status page answers the same either way)
    "link_mail": ("helpdesk_portal.link_mail_limit", 3, "helpdesk_portal.link_mail_window_minutes", 60),
}


class HelpdeskPortalAttempt(models.Model):
    """One row per counted attempt of a rate-limited public action.

    Kept in the database (not in worker memory) so that the limits hold with
    several Odoo workers; keys are stored as keyed hashes, never as raw IP
    addresses or email addresses. Old rows are removed by a cron."""

    _name = "helpdesk.portal.attempt"
    _description = "Helpdesk Portal Rate-Limited Attempt"
    _order = "create_date desc, id desc"
    _log_access = True

    kind = fields.Selection(ATTEMPT_KINDS, required=True, readonly=True)
    key = fields.Char(required=True, readonly=True, help="Keyed hash of the IP address, email or ticket number.")

    def init(self):
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS helpdesk_portal_attempt_kind_key_date_idx
               ON helpdesk_portal_attempt (kind, key, create_date)"""
        )

    @api.model
    def _hash_key(self, kind, value):
        value = (value or "").strip().lower()
        return hmac(self.env(su=True), "helpdesk_portal_attempt", f"{kind}:{value}")

    @api.model
    def _limit_for(self, kind):
        limit_param, limit_default, window_param, window_default = LIMITS[kind]
        params = self.env["ir.config_parameter"].sudo()
        try:
            limit = int(params.get_param(limit_param, limit_default))
        except ValueError:
            limit = limit_default
        try:
            window = int(params.get_param(window_param, window_default))
        except ValueError:
            window = window_default
        return limit, window

    @api.model
    def _is_blocked(self, checks):
        """Whether any ``(kind, value)`` of ``checks`` reached its limit within its window.

        Takes a transaction-level advisory lock per key so that two workers checking
        the same key at once are serialized until the attempt is recorded (commit)."""
        cr = self.env.cr
        for kind, value in checks:
            if not value:
                continue
            key = self._hash_key(kind, value)
            cr.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"helpdesk_portal:{kind}:{key}"])
        for kind, value in checks:
            if not value:
                continue
            limit, window = self._limit_for(kind)
            if limit <= 0:
                continue
            cr.execute(
                """SELECT count(*) FROM helpdesk_portal_attempt
                    WHERE kind = %s AND key = %s
                      AND create_date > (now() AT TIME ZONE 'UTC') - make_interval(mins => %s)""",
                [kind, self._hash_key(kind, value), window],
            )
            if cr.fetchone()[0] >= limit:
                return True
        return False

    @api.model
    def _record_attempts(self, checks):
        """Count one attempt for each ``(kind, value)`` of ``checks``."""
        vals_list = [
            {"kind": kind, "key": self._hash_key(kind, value)} for kind, value in checks if value
        ]
        return self.sudo().create(vals_list)

    @api.model
    def _gc_attempts(self):
        """Cron: drop attempts older than the longest window (they no longer count)."""
        longest = max(self._limit_for(kind)[1] for kind in LIMITS)
        self.env.cr.execute(
            """DELETE FROM helpdesk_portal_attempt
                WHERE create_date < (now() AT TIME ZONE 'UTC') - make_interval(mins => %s)""",
            [longest],
        )
        _logger.info("helpdesk_portal: removed %s expired rate-limit attempts", self.env.cr.rowcount)
        return True
