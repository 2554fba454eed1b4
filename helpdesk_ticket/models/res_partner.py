from odoo import api, fields, models, tools


class ResPartner(models.Model):
    _inherit = "res.partner"

    helpdesk_ticket_count = fields.Integer("Tickets", compute="_compute_helpdesk_ticket_count")

    def _compute_helpdesk_ticket_count(self):
        """Tickets of each partner and of its contacts.

        Two queries whatever the number of partners: the partners' descendants,
        then one grouped count of their tickets."""
        self.helpdesk_ticket_count = 0
        if not self.ids or not self.env["helpdesk.ticket"].has_access("read"):
            return
        family = self.with_context(active_test=False).search_fetch(
            [("id", "child_of", self.ids)], ["parent_id"]
        )
        counts = self.env["helpdesk.ticket"].with_context(active_test=False)._read_group(
            [("partner_id", "in", family.ids)], groupby=["partner_id"], aggregates=["__count"]
        )
        own = {partner.id: count for partner, count in counts}
        wanted = set(self.ids)
        totals = dict.fromkeys(self.ids, 0)
        parent_of = {partner.id: partner.parent_id.id for partner in family}
        for partner_id, count in own.items():
            node_id, seen = partner_id, set()
            while node_id in parent_of and node_id not in seen:
                seen.add(node_id)
                if node_id in wanted:
                    totals[node_id] += count
                node_id = parent_of[node_id]
        for partner in self:
            partner.helpdesk_ticket_count = totals.get(partner.id, 0)

    def action_open_helpdesk_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_ticket.helpdesk_ticket_action")
        action["domain"] = [("partner_id", "child_of", self.id)]
        action["context"] = {"default_partner_id": self.id, "active_test": False}
        action["name"] = self.env._("Tickets of %s", self.display_name)
        return action

    @api.model
    def _helpdesk_find_partner(self, email):
        """Best existing partner for an email address (normalized comparison).

        When several partners share the address, prefer one with a user account,
        then a contact of a company, then the oldest."""
        normalized = tools.email_normalize(email or "")
        if not normalized:
            return self.browse()
        candidates = self.sudo().with_context(active_test=True).search(
            [("email_normalized", "=", normalized)], order="id"
        )
        if len(candidates) <= 1:
            return self.browse(candidates.ids)
        best = sorted(candidates, key=lambda p: (not p.user_ids, not p.parent_id, p.id))[0]
        return self.browse(best.id)

    @api.model
    def _helpdesk_find_or_create_partner(self, email, name=None):
        """Partner for an incoming request: the best match, or a new contact
        (no user is created). Returns an empty recordset for an invalid address."""
        partner = self._helpdesk_find_partner(email)
        if partner:
            return partner
        normalized = tools.email_normalize(email or "")
        if not normalized:
            return self.browse()
        parsed_name, parsed_email = tools.parse_contact_from_email(email)
        return self.browse(
            self.sudo().create({"name": name or parsed_name or parsed_email, "email": parsed_email or normalized}).id
        )
