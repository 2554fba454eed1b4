from odoo import models
from odoo.exceptions import UserError
from odoo.osv import expression


class HelpdeskPhoneSearchMixin(models.AbstractModel):
    """Search by a phone number however it is written (tickets, contacts): the model
    gives the domain of a number (``_helpdesk_phone_domain``), this mixin the search
    method of its non-stored "Phone (any format)" field."""

    _name = "helpdesk.phone.search.mixin"
    _description = "Helpdesk Search by Phone Number"

    def _helpdesk_phone_domain(self, number, country=None):
        """The records whose number is ``number`` in any written form."""
        raise NotImplementedError

    def _search_helpdesk_phone(self, operator, value):
        if operator not in ("=", "ilike", "like", "=ilike", "!=", "not ilike", "not like") or not isinstance(value, str):
            raise UserError(self.env._("Search a phone number with its digits."))
        domain = self._helpdesk_phone_domain(value)
        if operator in expression.NEGATIVE_TERM_OPERATORS:
            return [("id", "not in", self._search(domain))]
        return domain
