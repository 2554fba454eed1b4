from odoo import models


class HelpdeskTicketSchedule(models.Model):
    _inherit = "helpdesk.ticket.schedule"

    def _prepare_ticket_values(self, due_date, record=None):
        """A ticket a schedule opens for a customer is acknowledged like any customer
        ticket (its channel stays ``internal``: no agent nor customer typed it, and
        internal tickets are otherwise never acknowledged); without a customer, nothing
        is sent."""
        values = super()._prepare_ticket_values(due_date, record=record)
        values["ack_pending"] = bool(values.get("partner_id"))
        return values
