from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError


class HelpdeskTicketTransfer(models.TransientModel):
    _name = "helpdesk.ticket.transfer"
    _description = "Transfer Helpdesk Tickets to Another Department"

    ticket_ids = fields.Many2many("helpdesk.ticket", string="Tickets", required=True)
    department_id = fields.Many2one("helpdesk.department", string="Transfer to", required=True)
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if "ticket_ids" in fields_list and not res.get("ticket_ids"):
            if self.env.context.get("active_model") == "helpdesk.ticket" and self.env.context.get("active_ids"):
                res["ticket_ids"] = [(6, 0, self.env.context["active_ids"])]
        return res

    def action_transfer(self):
        self.ensure_one()
        tickets = self.ticket_ids
        target = self.department_id
        tickets.check_access("write")
        target.check_access("read")
        if any(ticket.company_id != target.company_id for ticket in tickets):
            raise UserError(self.env._("Tickets can only be transferred to a department of their own company."))
        if any(ticket.merged_into_id for ticket in tickets):
            raise UserError(self.env._("Merged tickets cannot be transferred."))
        # Access was checked above. Once moved, the ticket may leave the agent's
        # departments (hence his read access) before it is re-assigned and logged.
        notified = (target.member_ids | target.manager_id).partner_id
        moved = tickets.sudo().filtered(lambda t: t.department_id != target)
        sources = {ticket.id: ticket.department_id for ticket in moved}
        moved.write({"department_id": target.id, "user_id": False})
        # one assignment batch: one summary per agent
        moved.filtered(lambda t: not t.closed)._auto_assign()
        for ticket in moved:
            source = sources[ticket.id]
            body = Markup("<p>%s</p><p>%s</p>") % (
                self.env._(
                    "Transferred from %(origin)s to %(destination)s.",
                    origin=source.display_name or self.env._("no department"), destination=target.display_name,
                ),
                self.env._("Reason: %s", self.reason),
            )
            if ticket.user_id:
                body += Markup("<p>%s</p>") % self.env._("Assigned to %s.", ticket.user_id.display_name)
            ticket.message_post(body=body, subtype_xmlid="mail.mt_note", partner_ids=notified.ids)
        return {"type": "ir.actions.act_window_close"}
