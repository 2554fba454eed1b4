from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    helpdesk_ticket_ids = fields.One2many("helpdesk.ticket", "lead_id", string="Helpdesk Tickets")
    helpdesk_ticket_count = fields.Integer("Tickets", compute="_compute_helpdesk_ticket_count")

    def _compute_helpdesk_ticket_count(self):
        self.helpdesk_ticket_count = 0
        if not self.ids or not self.env["helpdesk.ticket"].has_access("read"):
            return
        counts = dict(
            self.env["helpdesk.ticket"]._read_group(
                [("lead_id", "in", self.ids)], groupby=["lead_id"], aggregates=["__count"]
            )
        )
        for lead in self:
            lead.helpdesk_ticket_count = counts.get(lead, 0)

    def action_open_helpdesk_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_ticket.helpdesk_ticket_action")
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {"default_lead_id": self.id, "default_partner_id": self.partner_id.id}
        action["name"] = self.env._("Tickets of %s", self.name)
        return action
