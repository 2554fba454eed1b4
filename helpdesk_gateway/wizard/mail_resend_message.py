from odoo import models


class MailResendMessage(models.TransientModel):
    _inherit = "mail.resend.message"

    def resend_mail_action(self):
        """Resend also the failed chat deliveries OCA's wizard lists
        (``gateway_notification_ids``) of a ticket's message: queued again for the
        outbox job, which sends them after this transaction commits."""
        for wizard in self:
            message = wizard.mail_message_id
            failed = wizard.gateway_notification_ids.filtered(
                lambda notification: notification.notification_status == "exception"
            )
            if failed and message.model == "helpdesk.ticket":
                ticket = self.env["helpdesk.ticket"].browse(message.res_id)
                ticket.check_access("write")
                failed.sudo().write({"notification_status": "ready", "failure_type": False, "failure_reason": False})
                ticket.sudo().gateway_outbox_pending = True
                ticket._job_wake("gateway_outbox_pending")
                message._notify_message_notification_update()
        if any(self.mapped("notification_ids")):
            return super().resend_mail_action()
        return {"type": "ir.actions.act_window_close"}
