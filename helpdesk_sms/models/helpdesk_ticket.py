from odoo import models


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    def _phone_get_number_fields(self):
        """Number used when the ticket has no customer contact (e.g. a phone ticket)."""
        return ["partner_phone"]

    def _on_created(self):
        super()._on_created()
        self._helpdesk_send_stage_sms()

    def _on_stage_changed(self, previous_stages):
        # only the tickets that really changed stage: writing the same stage again sends nothing
        super()._on_stage_changed(previous_stages)
        self._helpdesk_send_stage_sms()

    def _helpdesk_send_stage_sms(self):
        """Text the customer the SMS template of the stage the tickets just entered.

        Runs as superuser: the stage change was allowed by the caller's rights (agent,
        portal customer closing their ticket, cron), and sms templates and sms records are
        restricted models. Tickets without any number get nothing (no failed SMS noise)."""
        tickets = self.sudo().filtered(lambda t: t.stage_id.sms_template_id)
        if not tickets:
            return
        recipients = tickets._sms_get_recipients_info()
        for ticket in tickets:
            info = recipients.get(ticket.id) or {}
            if not (info.get("sanitized") or info.get("number")):
                continue
            ticket._message_sms_with_template(template=ticket.stage_id.sms_template_id, partner_ids=False)
