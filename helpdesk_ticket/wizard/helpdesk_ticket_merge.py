from markupsafe import Markup

from odoo import Command, api, fields, models, tools
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
    other_customer_ticket_ids = fields.Many2many(
        "helpdesk.ticket", compute="_compute_other_customer_ticket_ids", string="Tickets of Other Customers",
        help="Tickets to merge whose customer is not the customer of the ticket kept.",
    )
    confirm_other_customers = fields.Boolean(
        "Merge tickets of different customers",
        help="The messages of the other customers' tickets move to the ticket kept but stay visible to "
        "agents only; each of these customers is told in their own ticket.",
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

    @api.model
    def _customer_key(self, ticket):
        """Who the customer of ``ticket`` is: its company (commercial partner), else its
        normalized address; None for a ticket without customer."""
        if ticket.partner_id:
            return ("partner", ticket.partner_id.commercial_partner_id.id)
        email = tools.email_normalize(ticket.partner_email or "")
        return ("email", email) if email else None

    @api.model
    def _other_customer_tickets(self, target, tickets):
        """The tickets of ``tickets`` whose customer is not the customer of ``target``
        (tickets without customer, or merged into a ticket without one, are not)."""
        target_key = self._customer_key(target)
        if not target_key:
            return tickets.browse()
        return tickets.filtered(lambda t: t != target and self._customer_key(t) not in (None, target_key))

    @api.depends("ticket_ids", "target_ticket_id")
    def _compute_other_customer_ticket_ids(self):
        for wizard in self:
            wizard.other_customer_ticket_ids = self._other_customer_tickets(
                wizard.target_ticket_id, wizard.ticket_ids
            )

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
        others = self._other_customer_tickets(target, sources)
        if others and not self.confirm_other_customers:
            raise UserError(self.env._(
                "%(tickets)s belong to another customer than %(target)s. Their messages would stay visible "
                "to agents only and their customers would be told in their own tickets: tick "
                "\"Merge tickets of different customers\" to confirm.",
                tickets=", ".join(others.mapped("display_name")), target=target.display_name,
            ))
        self.ticket_ids.check_access("write")
        self._merge(target, sources)
        return self.env["helpdesk.ticket"]._record_form_action(target)

    @api.model
    def _merge(self, target, sources):
        """Move the messages, attachments, activities and followers of ``sources`` to
        ``target``, then archive ``sources`` with a link both ways.

        A source of another customer (see ``_other_customer_tickets``; the caller had
        it confirmed) keeps its customer's conversation out of the target customer's
        portal: its messages move as agent-only messages (``is_internal``), its files
        that belong to no message move attached to an internal note, only internal
        followers move, and its customer is told in their own ticket.

        Callers check write access on every ticket first: moving other authors'
        messages and attachments needs superuser rights."""
        others = self._other_customer_tickets(target, sources)
        source_ids = sources.ids
        target_sudo = target.sudo()
        Message = self.env["mail.message"].sudo()
        Attachment = self.env["ir.attachment"].sudo()
        domain = [("model", "=", "helpdesk.ticket"), ("res_id", "in", source_ids)]
        messages = Message.search(domain)
        foreign_messages = messages.filtered(lambda m: m.res_id in others.ids)
        loose_foreign_files = Attachment.search([
            ("res_model", "=", "helpdesk.ticket"), ("res_id", "in", others.ids),
            ("id", "not in", messages.attachment_ids.ids),
        ]) if others else Attachment
        foreign_files = {source.id: loose_foreign_files.filtered(lambda a, s=source: a.res_id == s.id) for source in others}
        messages.write({"res_id": target.id})
        if foreign_messages:
            foreign_messages.write({"is_internal": True})
        self.env["mail.activity"].sudo().search(
            [("res_model", "=", "helpdesk.ticket"), ("res_id", "in", source_ids)]
        ).write({"res_id": target.id})
        Attachment.search(
            [("res_model", "=", "helpdesk.ticket"), ("res_id", "in", source_ids)]
        ).write({"res_id": target.id})
        followers = sources.sudo().message_follower_ids
        # followers of another customer's ticket are that customer's people: they do not
        # follow the target (they would receive its conversation), agents do
        moving = followers.filtered(
            lambda f: f.res_id not in others.ids or (f.partner_id.user_ids and not all(f.partner_id.user_ids.mapped("share")))
        )
        partners = moving.partner_id - target_sudo.message_partner_ids
        if partners:
            target_sudo.message_subscribe(partner_ids=partners.ids)
        sources_sudo = sources.sudo()
        leaving = {}
        for follower in moving:
            leaving.setdefault(follower.res_id, []).append(follower.partner_id.id)
        for source in sources_sudo:
            if leaving.get(source.id):
                source.message_unsubscribe(partner_ids=leaving[source.id])
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
        for source in sources_sudo.filtered(lambda s: s in others):
            # the other customer is told in their own thread, without the target's
            # number or subject (those belong to another customer)
            source.message_post(
                body=self.env._(
                    "Your request %(number)s has been merged with another request on the same matter. "
                    "Our team follows it up and will keep you informed.", number=source.number,
                ),
                message_type="comment", subtype_xmlid="mail.mt_comment",
                partner_ids=source.partner_id.ids,
            )
        links = Markup(", ").join(source._get_html_link(title=source.display_name) for source in sources)
        target_sudo.message_post(
            body=self.env._("Merged %s into this ticket.", links), subtype_xmlid="mail.mt_note",
        )
        for source in others:
            # an internal note holds the other customer's files that belonged to no
            # message: the target's customer neither lists nor downloads them
            target_sudo.message_post(
                body=self.env._(
                    "%(ticket)s belonged to another customer (%(customer)s): its messages and files are "
                    "visible to agents only.",
                    ticket=source._get_html_link(title=source.display_name),
                    customer=source.partner_id.display_name or source.partner_email or "",
                ),
                subtype_xmlid="mail.mt_note",
                attachment_ids=foreign_files[source.id].ids,
            )
        return True
