"""Outgoing mail of tickets: replies go to the department's address, the subject carries
``[HD-xxxxx]`` and the threading headers point at the customer's last mail."""
import ast

from odoo import models


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    def _notify_get_reply_to(self, default=None):
        """Replies go to the department's address (which threads them back here)."""
        departments = self.sudo().department_id
        by_department = departments._notify_get_reply_to(default=default) if departments else {}
        res = {}
        leftover = self.browse()
        for ticket in self:
            department = ticket.sudo().department_id
            if department and department.alias_email and by_department.get(department.id):
                res[ticket.id] = by_department[department.id]
            else:
                leftover |= ticket
        if leftover or not self:
            res.update(super(HelpdeskTicket, leftover)._notify_get_reply_to(default=default))
        return res

    def _notify_by_email_get_base_mail_values(self, message, additional_values=None):
        values = super()._notify_by_email_get_base_mail_values(message, additional_values=additional_values)
        if len(self) != 1 or not self.number:
            return values
        token = f"[{self.number}]"
        subject = values.get("subject") or message.subject or ""
        if token not in subject:
            values["subject"] = f"{token} {subject}".strip()
        previous = self.env["mail.message"].sudo().search([
            ("model", "=", self._name),
            ("res_id", "=", self.id),
            ("message_type", "=", "email"),
            ("message_id", "!=", False),
            ("id", "<", message.id),
        ], order="id desc", limit=1)
        if previous:
            headers = ast.literal_eval(values.get("headers") or "{}")
            headers["In-Reply-To"] = previous.message_id
            values["headers"] = repr(headers)
            references = (values.get("references") or "").split()
            if previous.message_id not in references:
                references.insert(max(len(references) - 1, 0), previous.message_id)
                values["references"] = " ".join(references)
        return values
