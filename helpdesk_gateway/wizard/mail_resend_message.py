from odoo import models


class MailResendMessage(models.TransientModel):
    _inherit = "mail.resend.message"

    def resend_mail_action(self):
        """Resend also the failed chat deliveries OCA's wizard lists
        (``gateway_notification_ids``) of a ticket's message: queued again for the
        outbox job, which sends them after this transaction commits. A resend starts a
        new series of attempts: its automatic retry pending, if any, is dropped (the job
        sends the message once; ``helpdesk.ticket._helpdesk_gateway_lock`` for a run
        sending it at this moment)."""
        for wizard in self:
            message = wizard.mail_message_id
            failed = wizard.gateway_notification_ids.filtered(
                lambda notification: notification.notification_status == "exception"
            )
            if failed and message.model == "helpdesk.ticket":
                ticket = self.env["helpdesk.ticket"].browse(message.res_id)
                ticket.check_access("write")
                failed.sudo().write({
                    "notification_status": "ready", "failure_type": False, "failure_reason": False,
                    "gateway_attempt_count": 0, "gateway_retry_date": False,
                })
                ticket.sudo().gateway_outbox_pending = True
                ticket._job_wake("gateway_outbox_pending")
                message._notify_message_notification_update()
        # always the whole chain: other addons resend their own deliveries (mail_gateway_line
        # a failed LINE push of a plain Discuss chat); core's action closes the wizard
        return super().resend_mail_action()
