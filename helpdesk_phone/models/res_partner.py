from odoo import api, fields, models
from odoo.osv import expression

from odoo.addons.helpdesk_phone.tools import phone as hd_phone


class ResPartner(models.Model):
    # Odoo's phone mixin, as the sms addon adds it: a stored E.164 number
    # (phone_sanitized) and the separator-blind search (phone_mobile_search)
    _name = "res.partner"
    _inherit = ["mail.thread.phone", "res.partner", "helpdesk.phone.search.mixin"]

    helpdesk_phone_search = fields.Char(
        "Phone (any format)", store=False, search="_search_helpdesk_phone",
        help="Finds a contact by its phone or mobile however it is written (081-234-5678, +66 81 234 5678).",
    )
    helpdesk_phone_invalid = fields.Boolean(
        "Unreadable Phone Number", compute="_compute_helpdesk_phone_invalid",
        help="A phone or mobile number of the contact is not a valid number for its country: "
        "it is kept as written and found by text search only.",
    )
    helpdesk_call_ids = fields.One2many("helpdesk.phone.call", "partner_id", string="Call Log")
    helpdesk_call_count = fields.Integer("Calls", compute="_compute_helpdesk_call_count")

    @api.depends("phone", "mobile", "country_id")
    def _compute_helpdesk_phone_invalid(self):
        for partner in self:
            # the country Odoo's phone_sanitized reads the contact's numbers in
            country = partner.country_id or self.env.company.country_id
            partner.helpdesk_phone_invalid = any(
                number and not hd_phone.normalize_phone(number, country.code)
                for number in (partner.phone, partner.mobile)
            )

    def _compute_helpdesk_call_count(self):
        counts = dict(self.env["helpdesk.phone.call"]._read_group(
            [("partner_id", "in", self.ids)], ["partner_id"], ["__count"],
        )) if self.ids else {}
        for partner in self:
            partner.helpdesk_call_count = counts.get(partner._origin, 0)

    @api.model
    def _helpdesk_phone_domain(self, number, country=None):
        """Domain of the contacts whose phone or mobile is ``number`` however either
        is written: its E.164 form (``phone_sanitized``) or its digits once the
        separators are removed (+66..., 0066..., 081...). ``country``: where a
        national number is read (default: the company's). A number that cannot be
        read is searched as text (at least 3 characters, else nothing matches)."""
        country = country or self.env.company.country_id
        e164, forms = hd_phone.search_forms(number, country.code)
        if e164:
            return expression.OR(
                [[("phone_sanitized", "=", e164)]]
                + [[("phone_mobile_search", "=", form)] for form in sorted(forms)]
            )
        text = hd_phone.text_search_term(number)
        if len(hd_phone.strip_separators(text)) < self._phone_search_min_length:
            return expression.FALSE_DOMAIN
        return [("phone_mobile_search", "ilike", text)]

    def action_helpdesk_log_call(self):
        """Log a call with this contact (not tied to a ticket)."""
        self.ensure_one()
        return self.env["helpdesk.phone.call"]._action_log_form({
            "default_partner_id": self.id,
            "default_phone": self.mobile or self.phone or False,
            "default_direction": "out",
        })

    def action_helpdesk_open_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_phone.helpdesk_phone_call_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
