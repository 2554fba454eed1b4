from odoo import fields, models


class MailNotification(models.Model):
    """A ticket message's delivery in its chat (OCA's gateway notification) retried by the
    outbox job after a transient failure (``helpdesk.ticket._cron_gateway_outbox``)."""

    _inherit = "mail.notification"

    gateway_attempt_count = fields.Integer(
        "Failed Delivery Attempts", readonly=True, default=0,
        help="Attempts to deliver this message in the chat that failed, since it was queued or resent.",
    )
    gateway_retry_date = fields.Datetime(
        "Next Delivery Attempt", readonly=True, index="btree_not_null",
        help="The messaging app or the network was unavailable: the message is sent again "
             "automatically at this time. Empty when no automatic attempt is left.",
    )
