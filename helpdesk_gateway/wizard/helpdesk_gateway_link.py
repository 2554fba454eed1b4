from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import AccessError, UserError


class HelpdeskGatewayLink(models.TransientModel):
    """Link the sender of a chat to an existing contact: the chat's identity (OCA's
    res.partner.gateway.channel), its tickets and its messages move to that contact,
    whose history then shows the tickets of every channel."""

    _name = "helpdesk.gateway.link"
    _description = "Link a Chat to a Contact"

    ticket_id = fields.Many2one("helpdesk.ticket", required=True, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Contact", required=True)

    def action_link(self):
        self.ensure_one()
        # The contact comes by id (the form, an RPC call): the user must be allowed to read
        # it before anything else, or another company's contact would be linked, its name
        # shown in the messages below and written as the chat's name. The error names
        # no record (Odoo's own access error shows the name to debug-mode users).
        target = self.partner_id
        if not target.has_access("read"):
            raise AccessError(self.env._("You may not link the chat to this contact."))
        ticket = self.ticket_id
        ticket.check_access("write")
        if target.sudo().company_id and target.sudo().company_id != ticket.sudo().company_id:
            # a user of both companies: the chat of one company's gateway stays with its contacts
            raise UserError(self.env._("The contact belongs to another company than the ticket."))
        channel = ticket.sudo().gateway_channel_id
        if not channel:
            raise UserError(self.env._("This ticket did not come from a chat."))
        gateway = channel.gateway_id
        Identity = self.env["res.partner.gateway.channel"].sudo()
        identity = Identity.search([
            ("gateway_id", "=", gateway.id), ("gateway_token", "=", channel.gateway_channel_token),
        ], limit=1)
        source = identity.partner_id or ticket.partner_id
        if source == target:
            return {"type": "ir.actions.act_window_close"}
        if Identity.search_count([("gateway_id", "=", gateway.id), ("partner_id", "=", target.id),
                                  ("id", "!=", identity.id)]):
            raise UserError(self.env._("%s already writes from another account of this app.", target.display_name))
        if identity:
            # readonly for the UI only: the identity moves to the chosen contact
            identity.write({"partner_id": target.id})
        else:
            Identity.create({"partner_id": target.id, "gateway_id": gateway.id,
                             "gateway_token": channel.gateway_channel_token})
        tickets = self.env["helpdesk.ticket"].sudo().with_context(active_test=False).search([
            ("gateway_channel_id", "=", channel.id), ("partner_id", "in", [source.id, False]),
        ])
        tickets.write({"partner_id": target.id})
        if source:
            channel.channel_member_ids.filtered(lambda member: member.partner_id == source).unlink()
            self.env["mail.message"].sudo().search([
                ("author_id", "=", source.id),
                "|", "&", ("model", "=", "discuss.channel"), ("res_id", "=", channel.id),
                "&", ("model", "=", "helpdesk.ticket"), ("res_id", "in", tickets.ids),
            ]).write({"author_id": target.id})
        if not channel.channel_member_ids.filtered(lambda member: member.partner_id == target):
            channel._add_members(partners=target, post_joined_message=False)
        channel.name = target.display_name
        ticket._message_log(body=Markup(self.env._("The chat was linked to the contact %s.")) % target._get_html_link())
        return {"type": "ir.actions.act_window_close"}
