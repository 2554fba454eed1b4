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

    def _to_store(self, store, /):
        """OCA's mail_gateway adds to each gateway notification its chat's name, read as the
        reader: an agent answering from the ticket, neither a member of the chat nor in
        OCA's *Gateway / User* group, may not read the chat, and each update of the
        message's notifications sent to them (the resend wizard, a delivery's outcome)
        failed with an AccessError. The notifications given here are those of messages the
        reader may read (their ticket's customer is the chat's): they are read as superuser."""
        gateway = self.filtered(lambda notification: notification.notification_type == "gateway")
        super(MailNotification, self - gateway)._to_store(store)
        return super(MailNotification, gateway.sudo())._to_store(store)
