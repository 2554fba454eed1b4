from datetime import timedelta

from odoo import api, fields, models

#: a LINE delivery that failed for a transient reason (LINE down, 5xx, 429, network) is
#: tried again by the cron, at most this many times, at least this long after the last try
LINE_RETRY_MAX = 5
LINE_RETRY_DELAY = timedelta(minutes=5)


class MailNotification(models.Model):
    _inherit = "mail.notification"

    line_retry_count = fields.Integer(string="LINE Delivery Attempts Failed", readonly=True, default=0)
    line_retry_transient = fields.Boolean(
        string="LINE Failure Is Transient", readonly=True,
        help="The last delivery failed because LINE or the network was unavailable: it is tried again.",
    )
    line_retry_date = fields.Datetime(string="LINE Delivery Last Failed", readonly=True)

    @api.model
    def _cron_line_retry(self, limit=50):
        """Push again the LINE messages whose delivery failed for a transient reason (the
        mail queue's job for LINE). A message still failing after LINE_RETRY_MAX tries
        keeps its failure icon and reason for the agents (resend by hand)."""
        failed = self.sudo().search([
            ("notification_type", "=", "gateway"),
            ("gateway_type", "=", "line"),
            ("notification_status", "=", "exception"),
            ("line_retry_transient", "=", True),
            ("line_retry_count", "<", LINE_RETRY_MAX),
            ("line_retry_date", "<", fields.Datetime.now() - LINE_RETRY_DELAY),
        ], order="id", limit=limit)
        for notification in failed:
            notification.send_gateway()
            if notification.notification_status == "sent":
                notification.mail_message_id._notify_message_notification_update()
        return failed
