from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class HelpdeskTicketMerge(models.TransientModel):
    _name = "helpdesk.ticket.merge"
    _description = "Merge Duplicate Helpdesk Tickets"

    ticket_ids = fields.Many2many(
        "helpdesk.ticket", string="Tickets to Merge", domain="[('merged_into_id', '=', False)]",
    )
    target_ticket_id = fields.Many2one(
        "helpdesk.ticket", string="Keep", compute="_compute_target_ticket_id", store=True, readonly=False,
        domain="[('id', 'in', ticket_ids)]",
        help="The ticket that receives the messages, attachments and followers of the others. "
        "The others are archived.",
    )
    suggested_ticket_ids = fields.Many2many(
        "helpdesk.ticket", compute="_compute_suggested_ticket_ids", string="Possible Duplicates",
        help="Open tickets of the same customer.",
    )

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if "ticket_ids" in fields_list and not res.get("ticket_ids"):
            if self.env.context.get("active_model") == "helpdesk.ticket" and self.env.context.get("active_ids"):
                res["ticket_ids"] = [Command.set(self.env.context["active_ids"])]
        return res

    @api.depends("ticket_ids")
    def _compute_target_ticket_id(self):
        for wizard in self:
            if wizard.target_ticket_id not in wizard.ticket_ids:
                wizard.target_ticket_id = wizard.ticket_ids.sorted("id")[:1]

    @api.depends("ticket_ids")
    def _compute_suggested_ticket_ids(self):
        Ticket = self.env["helpdesk.ticket"]
        for wizard in self:
            tickets = wizard.ticket_ids
            partners = tickets.commercial_partner_id
            emails = [email for email in tickets.filtered(lambda t: not t.partner_id).mapped("partner_email") if email]
            if not partners and not emails:
                wizard.suggested_ticket_ids = False
                continue
            domain = [("commercial_partner_id", "in", partners.ids)] if partners else []
            for email in emails:
                domain = ["|", ("partner_email", "=ilike", email)] + domain if domain else [("partner_email", "=ilike", email)]
            wizard.suggested_ticket_ids = Ticket.search(
                [("id", "not in", tickets._origin.ids), ("closed", "=", False), ("merged_into_id", "=", False)] + domain,
                order="id desc", limit=20,
            )

    def action_add_suggestions(self):
        self.ensure_one()
        self.ticket_ids = [Command.link(ticket.id) for ticket in self.suggested_ticket_ids]
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Merge Tickets"),
        }

    def action_merge(self):
        self.ensure_one()
        target = self.target_ticket_id
        sources = self.ticket_ids - target
        if not target or not sources:
            raise UserError(self.env._("Choose at least two tickets and the one to keep."))
        if target not in self.ticket_ids:
            raise UserError(self.env._("The ticket to keep must be one of the tickets to merge."))
        if any(ticket.merged_into_id for ticket in self.ticket_ids):
            raise UserError(self.env._("A ticket that was already merged cannot be merged again."))
        if len(self.ticket_ids.company_id) > 1:
            raise UserError(self.env._("Only tickets of the same company can be merged."))
        self.ticket_ids.check_access("write")
        self._merge(target, sources)
        return self.env["helpdesk.ticket"]._record_form_action(target)

    @api.model
    def _merge(self, target, sources):
        """Move the messages, attachments, activities and followers of ``sources`` to
        ``target``, then archive ``sources`` with a link both ways.

        Callers check write access on every ticket first: moving other authors'
        messages and attachments needs superuser rights."""
        source_ids = sources.ids
        target_sudo = target.sudo()
        domain = [("model", "=", "helpdesk.ticket"), ("res_id", "in", source_ids)]
        self.env["mail.message"].sudo().search(domain).write({"res_id": target.id})
        self.env["mail.activity"].sudo().search(
            [("res_model", "=", "helpdesk.ticket"), ("res_id", "in", source_ids)]
        ).write({"res_id": target.id})
        self.env["ir.attachment"].sudo().search(
            [("res_model", "=", "helpdesk.ticket"), ("res_id", "in", source_ids)]
        ).write({"res_id": target.id})
        followers = sources.sudo().message_follower_ids
        partners = followers.partner_id - target_sudo.message_partner_ids
        if partners:
            target_sudo.message_subscribe(partner_ids=partners.ids)
        sources_sudo = sources.sudo()
        if followers.partner_id:
            sources_sudo.message_unsubscribe(partner_ids=followers.partner_id.ids)
        target_values = {}
        extra_tags = sources.tag_ids - target.tag_ids
        if extra_tags:
            target_values["tag_ids"] = [Command.link(tag.id) for tag in extra_tags]
        top_priority = max(sources.mapped("priority") + [target.priority])
        if top_priority != target.priority:
            target_values["priority"] = top_priority
        if target_values:
            target_sudo.write(target_values)
        sources_sudo.write({"merged_into_id": target.id, "active": False})
        target_link = target._get_html_link(title=target.display_name)
        for source in sources_sudo:
            source.message_post(
                body=self.env._("Merged into %s.", target_link), subtype_xmlid="mail.mt_note",
            )
        links = Markup(", ").join(source._get_html_link(title=source.display_name) for source in sources)
        target_sudo.message_post(
            body=self.env._("Merged %s into this ticket.", links), subtype_xmlid="mail.mt_note",
        )
        return True
