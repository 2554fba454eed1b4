from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import plaintext2html


class HelpdeskTicketHandoff(models.TransientModel):
    _name = "helpdesk.ticket.handoff"
    _description = "Hand Off Part of a Helpdesk Ticket to Another Department"

    ticket_id = fields.Many2one("helpdesk.ticket", string="Ticket", required=True, ondelete="cascade")
    department_id = fields.Many2one(
        "helpdesk.department", string="Hand to", required=True,
        domain="[('id', '!=', current_department_id), ('company_id', '=', company_id)]",
    )
    # read as the user (related and stored computed fields are read as superuser by
    # default): ticket_id is an id from the client
    current_department_id = fields.Many2one(related="ticket_id.department_id", compute_sudo=False)
    company_id = fields.Many2one(related="ticket_id.company_id", compute_sudo=False)
    name = fields.Char("Subject", required=True, compute="_compute_name", store=True, readonly=False,
                       precompute=True, compute_sudo=False)
    note = fields.Text("What is asked", required=True)

    @api.depends("ticket_id")
    def _compute_name(self):
        for wizard in self:
            wizard.name = wizard.name or wizard.ticket_id.name

    def action_handoff(self):
        """Create the sub-ticket in the other department, linked to the ticket, which
        keeps its owner and its customer. The sub-ticket has no customer (nobody
        outside is told of it); its creator and the ticket's owner follow it."""
        self.ensure_one()
        ticket = self.ticket_id
        ticket.check_access("write")
        target = self.department_id
        target.check_access("read")
        if target == ticket.department_id:
            raise UserError(self.env._("Choose another department than the ticket's own."))
        if target.company_id != ticket.company_id:
            raise UserError(self.env._("A ticket can only be handed to a department of its own company."))
        customer = ticket.partner_id.display_name or ticket.partner_name or ticket.partner_email or ""
        description = plaintext2html(self.note)
        if customer:
            description += Markup("<p>%s</p>") % self.env._("Customer: %s", customer)
        # access was checked above: the agent may not see the other department's tickets
        # (its visibility), the creation is done as superuser on their behalf
        child = self.env["helpdesk.ticket"].sudo().create({
            "name": self.name,
            "description": description,
            "department_id": target.id,
            "parent_id": ticket.id,
            "priority": ticket.priority,
            "channel": "internal",
        })
        owners = (self.env.user | ticket.user_id).filtered(lambda user: not user.share).partner_id
        child.message_subscribe(partner_ids=owners.ids)
        ticket.message_post(
            body=Markup("<p>%s</p><p>%s</p>") % (
                self.env._("Handed to %(department)s as %(ticket)s.",
                           department=target.display_name, ticket=child._get_html_link(title=child.number)),
                self.note,
            ),
            subtype_xmlid="mail.mt_note",
        )
        if child.has_access("read"):
            return self.env["helpdesk.ticket"]._record_form_action(child)
        return {"type": "ir.actions.act_window_close"}
