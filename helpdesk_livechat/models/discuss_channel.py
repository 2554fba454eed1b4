from markupsafe import Markup

from odoo import models
from odoo.exceptions import AccessError, UserError
from odoo.tools import html2plaintext

TICKET_COMMAND = "/ticket"
SUBJECT_MAX_LENGTH = 120


class DiscussChannel(models.Model):
    _inherit = "discuss.channel"

    def execute_command_ticket(self, **kwargs):
        """``/ticket [subject]`` typed by the operator in a live chat conversation: create a
        helpdesk ticket for the visitor, with the transcript, through the ordinary ticket
        creation (routing rules and assignment apply). Answers the operator with a
        transient message (the visitor sees nothing)."""
        self.ensure_one()
        _ = self.env._
        if self.channel_type != "livechat":
            msg = _("The /ticket command only works in live chat conversations.")
        else:
            body = html2plaintext(kwargs.get("body") or "").strip()
            subject = body[len(TICKET_COMMAND):].strip() if body.startswith(TICKET_COMMAND) else body
            try:
                with self.env.cr.savepoint():
                    ticket = self._helpdesk_create_ticket(subject)
            except (AccessError, UserError) as error:
                msg = _("The ticket could not be created: %s", error)
            else:
                msg = _("Created the ticket %s.", ticket._get_html_link(title=ticket.display_name))
        self.env.user._bus_send_transient_message(self, msg)

    def _message_post_after_hook(self, message, msg_vals):
        """A message of a live chat conversation is a message of the tickets created from
        it: the visitor's reach ``_on_customer_message`` (the same path as a mail or a
        portal reply), an operator's ``_on_agent_message``. Chatbot messages are
        neither side's."""
        res = super()._message_post_after_hook(message, msg_vals)
        if self.channel_type == "livechat":
            self._helpdesk_deliver_message(message)
        return res

    def _helpdesk_deliver_message(self, message):
        self.ensure_one()
        Ticket = self.env["helpdesk.ticket"].sudo()
        if not Ticket._is_public_message(message):
            return
        tickets = Ticket.search([("livechat_channel_id", "=", self.id)])
        if not tickets:
            return
        if Ticket._is_agent_message(message):
            tickets._on_agent_message(message)
        elif not message.author_id or message.author_id != self.sudo().livechat_operator_id:
            tickets._on_customer_message(message)

    def _helpdesk_customer(self):
        """The visitor's partner, if the visitor is a known contact (not the operator, not
        an internal user, not the public user)."""
        self.ensure_one()
        operator = self.livechat_operator_id | self.env.user.partner_id
        customers = self.with_context(active_test=False).channel_member_ids.partner_id.filtered(
            lambda p: p not in operator and p.partner_share and not p.is_public
        )
        return customers[:1]

    def _helpdesk_visitor_name(self):
        self.ensure_one()
        guests = self.channel_member_ids.guest_id
        return guests[:1].name or self.anonymous_name or self.env._("Live chat visitor")

    def _helpdesk_default_subject(self, customer):
        """First message of the visitor, else a generic subject."""
        self.ensure_one()
        for message in self.message_ids.sorted("id"):
            if message.message_type != "comment":
                continue
            from_visitor = (
                message.author_guest_id
                or (customer and message.author_id == customer)
            )
            text = " ".join(html2plaintext(message.body or "").split())
            if from_visitor and text:
                return text[:SUBJECT_MAX_LENGTH]
        return self.env._("Live chat with %s", customer.name or self._helpdesk_visitor_name())

    def _helpdesk_prepare_ticket_values(self, subject):
        self.ensure_one()
        customer = self._helpdesk_customer()
        transcript = self._get_channel_history()
        vals = {
            "name": (subject or self._helpdesk_default_subject(customer))[:SUBJECT_MAX_LENGTH],
            "description": Markup("<p><strong>%s</strong></p><p>%s</p>") % (
                self.env._("Live chat transcript"), transcript,
            ),
            "channel": "chat",
            "livechat_channel_id": self.id,
        }
        if customer:
            vals["partner_id"] = customer.id
        else:
            vals["partner_name"] = self._helpdesk_visitor_name()
        department = self.livechat_channel_id.helpdesk_department_id
        if department:
            vals["department_id"] = department.id
        return vals

    def _helpdesk_create_ticket(self, subject=None):
        """Create the ticket if the operator may create tickets (a helpdesk agent).

        Created as superuser after that check (the operator stays the author): routing
        rules may send the ticket to a department the operator is not a member of."""
        self.ensure_one()
        self.env["helpdesk.ticket"].check_access("create")
        self.check_access("write")
        ticket = self.env["helpdesk.ticket"].sudo().create(self._helpdesk_prepare_ticket_values(subject))
        ticket.message_post(
            body=self.env._("Created from a live chat conversation by %s.", self.env.user.name),
            subtype_xmlid="mail.mt_note",
        )
        # the conversation so far is the customer's first message
        last = self._helpdesk_last_visitor_message()
        if last:
            ticket._on_customer_message(last)
        return ticket

    def _helpdesk_last_visitor_message(self):
        """The last message the visitor wrote in the conversation, if any."""
        self.ensure_one()
        operator = self.sudo().livechat_operator_id
        for message in self.sudo().message_ids.sorted("id", reverse=True):
            if message.message_type != "comment" or (message.author_id and message.author_id == operator):
                continue
            if self.env["helpdesk.ticket"]._is_agent_message(message):
                continue
            return message
        return self.env["mail.message"]
