from odoo import models


class MailResendMessage(models.TransientModel):
    _inherit = "mail.resend.message"

    def resend_mail_action(self):
        """OCA's wizard lists the failed gateway notifications of the message (the
        failure icon opens it); pushing them again is each connector's: LINE's here, for
        the failures LINE's ``_send`` recorded itself (``line_retry_date``). A sender that
        asks the connector to raise records and resends its own failures
        (helpdesk_gateway's outbox job: a ticket's message goes back to its queue)."""
        for wizard in self:
            failed = wizard.gateway_notification_ids.filtered(
                lambda notif: notif.gateway_type == "line" and notif.notification_status == "exception"
                and notif.line_retry_date
            )
            if failed:
                failed.send_gateway()
                wizard.mail_message_id._notify_message_notification_update()
        return super().resend_mail_action()
