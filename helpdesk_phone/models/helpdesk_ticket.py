from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from odoo.addons.helpdesk_phone.tools import phone as hd_phone


class HelpdeskTicket(models.Model):
    # Odoo's phone mixin: ``phone_sanitized`` (E.164, stored, indexed by the mixin)
    # from ``partner_phone``, read in the country of the customer, else the
    # ticket's company
    _name = "helpdesk.ticket"
    _inherit = ["helpdesk.ticket", "mail.thread.phone", "helpdesk.phone.search.mixin"]

    phone_invalid = fields.Boolean(
        "Unreadable Phone Number", compute="_compute_phone_invalid",
        help="The customer phone is not a valid number for the customer's (or the company's) "
        "country: it is kept as written and found by text search only.",
    )
    helpdesk_phone_search = fields.Char(
        "Phone (any format)", store=False, search="_search_helpdesk_phone",
        help="Tickets whose phone, or whose customer's phone or mobile, is this number however it is written.",
    )
    call_ids = fields.One2many("helpdesk.phone.call", "ticket_id", string="Call Log")
    call_count = fields.Integer("Calls", compute="_compute_call_count")

    def _phone_get_number_fields(self):
        return ["partner_phone"]

    def _phone_get_country(self):
        return {
            ticket.id: ticket.partner_id.country_id or ticket.company_id.country_id or self.env.company.country_id
            for ticket in self
        }

    def _phone_get_sanitize_triggers(self):
        return super()._phone_get_sanitize_triggers() + ["partner_id.country_id", "company_id.country_id"]

    def _phone_format_number(self, number, country, force_format="E164", raise_exception=False):
        # E.164 through the helpdesk's reading (00 as the international prefix in
        # every country); other formats as Odoo does them
        if force_format != "E164" or raise_exception:
            return super()._phone_format_number(
                number, country, force_format=force_format, raise_exception=raise_exception
            )
        return hd_phone.normalize_phone(number, country.code)

    @api.depends("partner_phone", "phone_sanitized")
    def _compute_phone_invalid(self):
        for ticket in self:
            ticket.phone_invalid = bool(ticket.partner_phone and ticket.partner_phone.strip()) and not ticket.phone_sanitized

    def _compute_call_count(self):
        counts = dict(self.env["helpdesk.phone.call"]._read_group(
            [("ticket_id", "in", self.ids)], ["ticket_id"], ["__count"],
        )) if self.ids else {}
        for ticket in self:
            ticket.call_count = counts.get(ticket._origin, 0)

    @api.model
    def _helpdesk_phone_domain(self, number, country=None):
        """Tickets whose own phone is ``number`` in any written form, or whose
        customer's phone or mobile is (see ``res.partner._helpdesk_phone_domain``)."""
        country = country or self.env.company.country_id
        e164, forms = hd_phone.search_forms(number, country.code)
        partner_domain = self.env["res.partner"]._helpdesk_phone_domain(number, country)
        if e164:
            own = expression.OR(
                [[("phone_sanitized", "=", e164)]]
                + [[("phone_mobile_search", "=", form)] for form in sorted(forms)]
            )
        else:
            text = hd_phone.text_search_term(number)
            if len(hd_phone.strip_separators(text)) < self._phone_search_min_length:
                return expression.FALSE_DOMAIN
            own = [("partner_phone", "ilike", text)]
        partners = self.env["res.partner"].with_context(active_test=False)._search(partner_domain)
        return expression.OR([own, [("partner_id", "in", partners)]])

    def action_helpdesk_log_call(self):
        """Log a call about this ticket (by default an outgoing call to the customer)."""
        self.ensure_one()
        return self.env["helpdesk.phone.call"]._action_log_form({
            "default_ticket_id": self.id,
            "default_partner_id": self.partner_id.id,
            "default_phone": self.partner_phone or False,
            "default_direction": "out",
        })

    def action_helpdesk_open_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_phone.helpdesk_phone_call_action")
        action["domain"] = [("ticket_id", "=", self.id)]
        action["context"] = {"default_ticket_id": self.id, "default_partner_id": self.partner_id.id}
        return action

    def action_helpdesk_new_call_log_here(self):
        """From the *New call* page: log the call being taken on this open ticket."""
        self.ensure_one()
        page_id = self.env.context.get("helpdesk_new_call_id")
        call_page = self.env["helpdesk.new.call"].search(
            [("id", "=", page_id if isinstance(page_id, int) else 0), ("create_uid", "=", self.env.uid)]
        )
        if not call_page:
            raise UserError(self.env._("Open the New Call page again to log this call."))
        return call_page._log_call_on_ticket(self)
