from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import clean_context, plaintext2html

from odoo.addons.helpdesk_phone.tools import phone as hd_phone

DIRECTIONS = [("in", "Incoming"), ("out", "Outgoing")]

OUTCOMES = [
    ("answered", "Answered"),
    ("voicemail", "Left a Voicemail"),
    ("no_answer", "No Answer"),
    ("busy", "Busy"),
    ("wrong_number", "Wrong Number"),
]

#: outcomes of an outgoing call that reached the customer: the ticket's first response
REACHED_OUTCOMES = ("answered", "voicemail")


class HelpdeskPhoneCall(models.Model):
    """A phone call with a customer, logged by an agent on a ticket or on a
    contact. Logging it posts a message of the *Call* subtype in the chatter of
    the ticket (else of the contact): an internal note, or a message sent to the
    customer when the agent chooses to."""

    _name = "helpdesk.phone.call"
    _description = "Helpdesk Phone Call"
    _order = "date desc, id desc"

    date = fields.Datetime("Date", default=fields.Datetime.now, required=True, index=True)
    user_id = fields.Many2one(
        "res.users", string="Agent", default=lambda self: self.env.user, required=True, index=True,
        readonly=True, ondelete="restrict",
    )
    direction = fields.Selection(DIRECTIONS, string="Direction", required=True, default="in")
    duration = fields.Float("Duration", help="Length of the call, in minutes.")
    outcome = fields.Selection(OUTCOMES, string="Outcome", required=True, default="answered")
    notes = fields.Text("Notes")
    phone = fields.Char("Number")
    phone_sanitized = fields.Char(
        "Number (E.164)", compute="_compute_phone_sanitized", store=True, index="btree_not_null",
    )
    partner_id = fields.Many2one("res.partner", string="Contact", index=True, ondelete="set null")
    ticket_id = fields.Many2one("helpdesk.ticket", string="Ticket", index="btree_not_null", ondelete="cascade")
    company_id = fields.Many2one(
        "res.company", string="Company", compute="_compute_company_id", store=True, precompute=True,
        readonly=False, required=True, index=True,
    )
    share_with_customer = fields.Boolean(
        "Send to the Customer",
        help="Post the call in the ticket's conversation and send it to the customer. "
        "Otherwise it is an internal note that only agents see.",
    )
    message_id = fields.Many2one("mail.message", string="Message", readonly=True, ondelete="set null", copy=False)

    @api.constrains("ticket_id", "partner_id")
    def _check_target(self):
        for call in self:
            if not call.ticket_id and not call.partner_id:
                raise ValidationError(self.env._("A call is logged on a ticket or on a contact."))

    @api.depends("ticket_id")
    def _compute_company_id(self):
        for call in self:
            if call.ticket_id:
                call.company_id = call.ticket_id.company_id
            elif not call.company_id:
                call.company_id = self.env.company

    @api.depends("phone", "partner_id.country_id", "ticket_id.partner_id.country_id", "company_id.country_id")
    def _compute_phone_sanitized(self):
        for call in self:
            country = call.partner_id.country_id or call.ticket_id.partner_id.country_id or call.company_id.country_id
            call.phone_sanitized = hd_phone.normalize_phone(call.phone, country.code)

    @api.depends("direction", "partner_id", "date")
    def _compute_display_name(self):
        labels = dict(self._fields["direction"]._description_selection(self.env))
        for call in self:
            parts = [labels.get(call.direction) or self.env._("Call")]
            if call.partner_id:
                parts.append(call.partner_id.name or "")
            call.display_name = " · ".join(parts)

    @api.onchange("ticket_id")
    def _onchange_ticket_id(self):
        if self.ticket_id and not self.partner_id:
            self.partner_id = self.ticket_id.partner_id
        if self.ticket_id and not self.phone:
            self.phone = self.ticket_id.partner_phone

    # ------------------------------------------------------------------
    # Logging: the chatter message, and the ticket's lifecycle
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        calls = super().create(vals_list)
        calls._post_call_messages()
        return calls

    def _post_call_messages(self):
        """Post each call in the chatter of its ticket (else of its contact) and
        tell the ticket when it is an agent's outgoing call that reached the
        customer: a response, through the lifecycle hook every answer goes through
        (``_on_agent_message``: first response date, SLA clocks). A call sent to
        the customer is a public message, which the core already treats as any
        agent reply; an internal call note reaches no hook by itself, so it is
        handed to the hook here."""
        self._check_target()
        for call in self:
            body = call._message_body()
            if call.ticket_id:
                ticket = call.ticket_id
                shared = call.share_with_customer
                message = ticket.message_post(
                    body=body,
                    message_type="comment",
                    # a call sent to the customer is a reply like any other: the portal's
                    # conversation shows only the Discussions subtype (mail.mt_comment)
                    subtype_xmlid="mail.mt_comment" if shared else "helpdesk_phone.mt_call",
                    partner_ids=ticket.partner_id.ids if shared else [],
                )
                if (
                    not shared and call.direction == "out" and call.outcome in REACHED_OUTCOMES
                    and ticket._is_agent_message(message)
                ):
                    ticket._on_agent_message(message)
            else:
                # an agent may log a call with any contact they can read (checked
                # here: the call's partner_id is any id the agent sends, e.g. a
                # contact of another company); the note itself needs no write access
                # on the contact (as a mail thread would require), its author is the
                # agent; sudo without the caller's default_* context keys
                call.partner_id.check_access("read")
                message = call.partner_id.with_context(clean_context(self.env.context)).sudo().message_post(
                    body=body,
                    message_type="comment",
                    subtype_xmlid="helpdesk_phone.mt_call",
                    author_id=self.env.user.partner_id.id,
                )
            # the link to its message is bookkeeping: agents may not edit a logged call
            call.sudo().message_id = message

    def _message_body(self):
        self.ensure_one()
        direction = dict(self._fields["direction"]._description_selection(self.env))[self.direction]
        outcome = dict(self._fields["outcome"]._description_selection(self.env))[self.outcome]
        minutes = int(self.duration or 0)
        seconds = round(((self.duration or 0) - minutes) * 60)
        if seconds == 60:
            minutes, seconds = minutes + 1, 0
        seconds = str(seconds).zfill(2)
        summary = [
            self.env._("%(direction)s call", direction=direction),
            outcome,
            self.env._("%(minutes)s:%(seconds)s min", minutes=minutes, seconds=seconds),
        ]
        if self.phone:
            summary.append(self.phone)
        body = Markup("<p><strong>%s</strong></p>") % " · ".join(summary)
        if self.notes:
            body += Markup(plaintext2html(self.notes))
        return body

    @api.model
    def _action_log_form(self, context):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log a Call"),
            "res_model": self._name,
            "view_mode": "form",
            "views": [[self.env.ref("helpdesk_phone.helpdesk_phone_call_view_form_log").id, "form"]],
            "target": "new",
            "context": context,
        }
