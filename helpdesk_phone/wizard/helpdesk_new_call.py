import math

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import clean_context

from odoo.addons.helpdesk_phone.models.helpdesk_phone_call import DIRECTIONS, OUTCOMES
from odoo.addons.helpdesk_phone.tools import phone as hd_phone

#: contacts listed for one number (a shared switchboard number may match many)
MAX_CALLERS = 20
#: open tickets, earlier tickets and earlier calls shown for the caller
MAX_OPEN_TICKETS = 20
MAX_HISTORY = 10
#: a contact made from the page: longest name and number the agent may type
MAX_NAME_LENGTH = 128
MAX_NUMBER_LENGTH = 64


class HelpdeskNewCall(models.TransientModel):
    """The *New call* page: who is calling (the contacts with that number), their
    open tickets and recent history; from there the agent opens a phone ticket or
    logs the call on an open ticket. Opened from the menu or by a PBX/softphone
    with ``/odoo/helpdesk-call?number=<number>``."""

    _name = "helpdesk.new.call"
    _description = "Helpdesk New Call"

    number = fields.Char("Number")
    number_e164 = fields.Char("Number (E.164)", compute="_compute_number_e164")
    number_invalid = fields.Boolean("Unreadable Number", compute="_compute_number_e164")
    caller_ids = fields.Many2many(
        "res.partner", string="Contacts with this Number", compute="_compute_caller_ids",
    )
    caller_count = fields.Integer("Matching Contacts", compute="_compute_caller_ids")
    partner_id = fields.Many2one(
        "res.partner", string="Caller", compute="_compute_partner_id", store=True, readonly=False,
    )
    new_partner_name = fields.Char("New Contact Name")
    open_ticket_ids = fields.Many2many("helpdesk.ticket", string="Open Tickets", compute="_compute_history")
    open_ticket_count = fields.Integer("Open Tickets Count", compute="_compute_history")
    recent_ticket_ids = fields.Many2many(
        "helpdesk.ticket", string="Recently Closed Tickets", compute="_compute_history",
    )
    recent_call_ids = fields.Many2many("helpdesk.phone.call", string="Recent Calls", compute="_compute_history")

    ticket_subject = fields.Char("Subject")
    department_id = fields.Many2one("helpdesk.department", string="Department")
    direction = fields.Selection(DIRECTIONS, string="Direction", required=True, default="in")
    duration = fields.Float("Duration", help="Length of the call, in minutes.")
    outcome = fields.Selection(OUTCOMES, string="Outcome", required=True, default="answered")
    notes = fields.Text("Notes")

    @api.depends("number")
    def _compute_display_name(self):
        for call in self:
            call.display_name = (
                self.env._("Call from %(number)s", number=call.number) if call.number else self.env._("New Call")
            )

    @api.depends("number")
    def _compute_number_e164(self):
        country = self.env.company.country_id
        for call in self:
            call.number_e164 = hd_phone.normalize_phone(call.number, country.code)
            call.number_invalid = bool((call.number or "").strip()) and not call.number_e164

    @api.depends("number")
    def _compute_caller_ids(self):
        Partner = self.env["res.partner"]
        for call in self:
            callers = Partner
            if (call.number or "").strip():
                callers = Partner.search(Partner._helpdesk_phone_domain(call.number), limit=MAX_CALLERS)
            call.caller_ids = callers
            call.caller_count = len(callers)

    @api.depends("number")
    def _compute_partner_id(self):
        for call in self:
            if len(call.caller_ids) == 1:
                call.partner_id = call.caller_ids
            elif call.partner_id not in call.caller_ids:
                call.partner_id = False

    @api.depends("partner_id")
    def _compute_history(self):
        """A fixed number of queries whatever the caller's history: limited
        searches and one count."""
        Ticket = self.env["helpdesk.ticket"]
        Call = self.env["helpdesk.phone.call"]
        for call in self:
            partner = call.partner_id
            if not partner:
                call.open_ticket_ids = call.recent_ticket_ids = Ticket
                call.recent_call_ids = Call
                call.open_ticket_count = 0
                continue
            open_domain = [("partner_id", "=", partner.id), ("closed", "=", False)]
            call.open_ticket_ids = Ticket.search(open_domain, limit=MAX_OPEN_TICKETS)
            call.open_ticket_count = Ticket.search_count(open_domain)
            call.recent_ticket_ids = Ticket.search(
                [("partner_id", "=", partner.id), ("closed", "=", True)], order="date_closed desc, id desc",
                limit=MAX_HISTORY,
            )
            call.recent_call_ids = Call.search([("partner_id", "=", partner.id)], limit=MAX_HISTORY)

    # ------------------------------------------------------------------
    # Opening the page (menu, or a PBX with ?number=)
    # ------------------------------------------------------------------
    @api.model
    def _number_from_url(self, value):
        """The number of a ``?number=`` URL parameter. The web client turns a
        digits-only value into a JSON number (``0812345678`` arrives as
        ``812345678``, ``+66812345678`` as ``66812345678``): still read as the
        national significant number, or retried with ``+`` (phone_validation), but
        links should carry an RFC 3966 ``tel:`` URI, which arrives as written (its
        ``phone-context`` and ``ext`` are kept, see ``hd_phone.tel_uri_number``).
        Control characters (NUL, which PostgreSQL refuses) are removed."""
        if isinstance(value, bool) or value is None:
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if isinstance(value, (int, float)):
            value = str(int(value))
        if not isinstance(value, str):
            return False
        value = hd_phone.tel_uri_number(hd_phone.CONTROL_CHARACTERS.sub("", value))
        return value[:MAX_NUMBER_LENGTH].strip() or False

    @api.model
    def _action_open(self, number=None):
        """A new call page for ``number`` (from the URL of a PBX or softphone, or
        empty from the menu)."""
        page = self.create({"number": self._number_from_url(number)})
        return dict(self._open(page), name=self.env._("New Call"))

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def _caller(self):
        """The chosen caller; an unknown number makes a new contact with it."""
        self.ensure_one()
        if self.partner_id:
            # partner_id is any id the agent's browser sends: a contact the agent may
            # not read (another company's) is refused before a ticket or a call is
            # made for it
            self.partner_id.check_access("read")
            return self.partner_id
        if self.caller_count > 1:
            raise UserError(self.env._("Several contacts have this number: choose the caller first."))
        if not (self.number or "").strip() and not (self.new_partner_name or "").strip():
            raise UserError(self.env._("Enter the caller's number or name."))
        name = (self.new_partner_name or "").strip()
        if len(name) > MAX_NAME_LENGTH:
            raise UserError(self.env._("The caller's name is limited to %(count)s characters.", count=MAX_NAME_LENGTH))
        if len((self.number or "").strip()) > MAX_NUMBER_LENGTH:
            raise UserError(self.env._("The number is limited to %(count)s characters.", count=MAX_NUMBER_LENGTH))
        number = self.number_e164 or (self.number or "").strip() or False
        if self.number_e164:
            number = self.env["res.partner"]._phone_format(
                number=self.number_e164, country=self.env.company.country_id, force_format="INTERNATIONAL",
            ) or self.number_e164
        # agents may not have the *Contact Creation* right: the caller's contact is
        # made like the mail gateway makes an unknown sender's, with these fields only.
        # The button's context comes from the agent's browser: without its default_*
        # keys, which sudo would otherwise apply to the contact and to what it creates
        # (default_user_ids would create a user with any groups)
        partner = self.env["res.partner"].with_context(clean_context(self.env.context)).sudo().create({
            "name": name or number,
            "phone": number,
            "company_id": False,
        }).sudo(False)
        self.partner_id = partner
        return partner

    def _call_values(self, ticket=False):
        partner = self._caller()
        return {
            "ticket_id": ticket.id if ticket else False,
            "partner_id": partner.id,
            "phone": (self.number or "").strip() or False,
            "direction": self.direction,
            "duration": self.duration,
            "outcome": self.outcome,
            "notes": self.notes,
        }

    def _without_defaults(self):
        """The page without the ``default_*`` keys of the button's context: they would
        reach every record its buttons create (ticket, call, message), whatever model
        they were meant for."""
        return self.with_context(clean_context(self.env.context))

    def action_create_ticket(self):
        """Open a phone ticket for the caller (created if unknown) and log the call on it."""
        self.ensure_one()
        self = self._without_defaults()
        partner = self._caller()
        subject = (self.ticket_subject or "").strip() or self.env._("Call from %(caller)s", caller=partner.name)
        ticket = self.env["helpdesk.ticket"].create({
            "name": subject,
            "partner_id": partner.id,
            "department_id": self.department_id.id,
            "channel": "phone",
        })
        self.env["helpdesk.phone.call"].create(self._call_values(ticket))
        return self._open(ticket)

    def _log_call_on_ticket(self, ticket):
        self.ensure_one()
        self = self._without_defaults()
        ticket.check_access("read")
        self.env["helpdesk.phone.call"].create(self._call_values(ticket))
        return self._open(ticket)

    def action_log_on_contact(self):
        """Log the call on the caller's contact only (no ticket needed)."""
        self.ensure_one()
        self = self._without_defaults()
        self.env["helpdesk.phone.call"].create(self._call_values())
        return self._open(self.partner_id)

    def _open(self, record):
        return self.env["helpdesk.ticket"]._record_form_action(record)
