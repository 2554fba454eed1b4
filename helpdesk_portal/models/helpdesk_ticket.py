from datetime import timedelta

from odoo import api, fields, models, tools


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    # ------------------------------------------------------------------
    # What a customer may do from the portal (the caller checks access first)
    # ------------------------------------------------------------------
    def _portal_can_close(self):
        """Open, not merged, and the department has a resolution stage to close it in."""
        self.ensure_one()
        return bool(self.active and not self.closed and not self.merged_into_id and self._closing_stage())

    def _portal_reopen_deadline(self):
        self.ensure_one()
        if not self.closed or not self.date_closed:
            return False
        return self.date_closed + timedelta(days=max(self.department_id.reopen_days or 0, 0))

    def _portal_can_reopen(self):
        """Closed within the reopen window, and the department has an open stage to reopen it in."""
        self.ensure_one()
        deadline = self._portal_reopen_deadline()
        return bool(
            self.active and deadline and fields.Datetime.now() <= deadline
            and self.env["helpdesk.stage"]._first_open_stage(self.department_id)
        )

    def _portal_rating_partner(self, visitor_partner=None):
        """The partner who rates: the logged-in visitor, else the ticket's customer."""
        self.ensure_one()
        return visitor_partner or self._rating_get_partner()

    def _portal_last_rating(self):
        """The last submitted (consumed) rating of the ticket, if any."""
        self.ensure_one()
        return self.sudo().rating_ids.filtered("consumed").sorted("write_date", reverse=True)[:1]

    def _portal_can_rate(self):
        self.ensure_one()
        return bool(self.closed and self.partner_id and not self._portal_last_rating())

    def _portal_attachments(self):
        """Attachments of the ticket itself (those of the submission form), without the
        attachments of messages: those are shown in the chatter, and internal notes' ones
        must never be shown to the customer."""
        self.ensure_one()
        Attachment = self.env["ir.attachment"].sudo()
        message_attachment_ids = self.sudo().message_ids.attachment_ids.ids
        return Attachment.search(
            [
                ("res_model", "=", self._name),
                ("res_id", "=", self.id),
                ("id", "not in", message_attachment_ids),
            ],
            order="id",
        )

    # ------------------------------------------------------------------
    # Guest tracking
    # ------------------------------------------------------------------
    @api.model
    def _portal_find_for_tracking(self, number, email):
        """The ticket with this number whose customer has this email, else an empty recordset.

        Same result (empty) whether the number or the email is wrong."""
        number = (number or "").strip()
        normalized = tools.email_normalize(email or "")
        if not number or not normalized:
            return self.browse()
        # exact comparison only: a pattern (ilike, wildcards) would let a visitor who
        # knows an email address reach that customer's tickets without their number
        candidates = self.sudo().search([("number", "in", list({number, number.upper()}))])
        for ticket in candidates:
            emails = {tools.email_normalize(ticket.partner_email or "")}
            if ticket.partner_id:
                emails.add(ticket.partner_id.email_normalized)
            if normalized in emails:
                return ticket
        return self.browse()
