from odoo import fields, models


class HelpdeskMailHeldAttach(models.TransientModel):
    _name = "helpdesk.mail.held.attach"
    _description = "Attach Held Mail to a Ticket"

    held_ids = fields.Many2many("helpdesk.mail.held", string="Held Mail", required=True)
    ticket_id = fields.Many2one("helpdesk.ticket", string="Ticket", required=True)

    def action_attach(self):
        self.ensure_one()
        return self.held_ids.action_attach_to_ticket(self.ticket_id)
