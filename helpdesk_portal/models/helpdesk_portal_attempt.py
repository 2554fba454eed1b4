import logging

from odoo import api, fields, models

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

    The counting (database rows for several workers, keyed hashes, advisory lock
    per key) is ``helpdesk.rate.limit.mixin``'s; old rows are removed by a cron."""

    _name = "helpdesk.portal.attempt"
    _inherit = ["helpdesk.rate.limit.mixin"]
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
    def _rate_limits(self):
        return LIMITS

    @api.model
    def _gc_attempts(self):
        """Cron: drop attempts older than the longest window (they no longer count)."""
        deleted = self._delete_expired_attempts()
        _logger.info("helpdesk_portal: removed %s expired rate-limit attempts", deleted)
        return True
