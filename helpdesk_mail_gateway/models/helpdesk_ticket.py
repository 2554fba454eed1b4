"""Tickets from mail: a new mail makes a ticket (customer matched or created, people in
copy following), a reply joins it."""
import logging

from odoo import api, fields, models, tools
from odoo.tools.mail import email_split_and_format

from ..mail_tools import AUTO_REASON_KEY, AUTO_REPLY_LOCALPARTS, clean_subject

_logger = logging.getLogger(__name__)

#: addresses in copy of one mail that may become followers (system parameter)
MAX_CC_PARAM = "helpdesk_mail_gateway.max_cc_followers"
DEFAULT_MAX_CC = 10

class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    mail_gateway_from = fields.Char(
        "Department Sender", compute="_compute_mail_gateway_from",
        help="Sender of the automatic mails of the ticket: the department's address.",
    )

    @api.depends("department_id", "company_id")
    def _compute_mail_gateway_from(self):
        for ticket in self:
            department = ticket.department_id.sudo()
            if department.alias_email:
                ticket.mail_gateway_from = tools.formataddr(
                    (f"{ticket.company_id.name} {department.name}".strip(), department.alias_email)
                )
            else:
                ticket.mail_gateway_from = ticket.company_id.email_formatted or False

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        values = dict(custom_values or {})
        email_from = msg_dict.get("email_from") or ""
        normalized = tools.email_normalize(email_from)
        partner = self.env["res.partner"]
        if normalized:
            partner = self.env["res.partner"]._helpdesk_find_or_create_partner(email_from)
        values.setdefault("name", clean_subject(msg_dict.get("subject")) or self.env._("(no subject)"))
        values.setdefault("description", msg_dict.get("body"))
        values["channel"] = "email"
        # an automatic mail (auto-reply, bounce, list) makes a ticket but is not
        # acknowledged: _helpdesk_rewrite_routes put the reason in the route's values
        auto_reason = values.pop(AUTO_REASON_KEY, False)
        values.setdefault("ack_pending", not auto_reason)
        if msg_dict.get("date"):
            # the mail posted next is the customer's last message (_on_customer_message;
            # a Date header in the future counts as now, as there)
            values.setdefault("date_last_customer_message", min(
                fields.Datetime.to_datetime(msg_dict["date"]), fields.Datetime.now(),
            ))
        if partner:
            values["partner_id"] = partner.id
            msg_dict["author_id"] = partner.id
        # a sender that is no valid address is kept as written
        values["partner_email"] = partner.email_normalized or normalized or email_from or False
        if "email_cc" not in values:
            # as mail.thread.cc keeps them
            values["email_cc"] = ", ".join(self._mail_cc_sanitized_raw_dict(msg_dict.get("cc")).values())
        # created here, with complete values: Odoo's generic mail.thread.message_new
        # would only add what is set above (the name from the subject, the sender as
        # partner_email) and read the description of every field of the model to do
        # it (fields_get: a tenth of the intake of a mail)
        ticket = self.create(values)
        if auto_reason:
            ticket._helpdesk_log_no_acknowledgement(self.env._("automatic message (%s)", auto_reason))
        ticket._helpdesk_subscribe_cc(msg_dict, new_ticket=True)
        ticket._helpdesk_log_followup()
        return ticket

    def message_update(self, msg_dict, update_vals=None):
        # the reply itself is posted next (message_post): a customer's reaches
        # _on_customer_message (waiting stage back, reopening), an automatic one is
        # posted as an internal note and reaches no hook (see mail.thread)
        res = super().message_update(msg_dict, update_vals=update_vals)
        self._helpdesk_subscribe_cc(msg_dict)
        return res

    def _helpdesk_subscribe_cc(self, msg_dict, new_ticket=False):
        """Addresses in copy follow the ticket (new contacts only when the department
        allows): on a new ticket, or on a reply whose sender is the customer or a
        follower (a stranger writing to a ticket cannot add followers to it), at
        most ``helpdesk_mail_gateway.max_cc_followers`` per mail (default 10); the
        others are listed in a note."""
        emails = email_split_and_format(msg_dict.get("cc") or "")
        if not emails:
            return
        own = self._helpdesk_own_addresses()
        limit = int(self.env["ir.config_parameter"].sudo().get_param(MAX_CC_PARAM, DEFAULT_MAX_CC) or 0)
        sender = tools.email_normalize(msg_dict.get("email_from") or "")
        Partner = self.env["res.partner"]
        for ticket in self:
            if not new_ticket and not (sender and ticket._helpdesk_is_correspondent(sender)):
                _logger.info("Mail %s: %s is neither the customer nor a follower of %s: its Cc add no followers",
                             msg_dict.get("message_id"), sender or "an unknown sender", ticket.number)
                continue
            addresses = []
            for address in emails:
                normalized = tools.email_normalize(address)
                if not normalized or normalized in own or normalized.split("@", 1)[0] in AUTO_REPLY_LOCALPARTS:
                    continue
                if normalized not in {tools.email_normalize(a) for a in addresses}:
                    addresses.append(address)
            followers = set(ticket.message_partner_ids.mapped("email_normalized"))
            addresses = [a for a in addresses if tools.email_normalize(a) not in followers]
            kept, left = (addresses[:limit], addresses[limit:]) if limit > 0 else (addresses, [])
            create = ticket.department_id.cc_create_partners
            partners = Partner
            for address in kept:
                partners |= (
                    Partner._helpdesk_find_or_create_partner(address) if create
                    else Partner._helpdesk_find_partner(address)
                )
            partners -= ticket.message_partner_ids
            if partners:
                ticket.message_subscribe(partner_ids=partners.ids)
            if left:
                ticket._message_log(body=self.env._(
                    "%(count)s more addresses in copy of the mail %(message_id)s were not added as "
                    "followers (at most %(limit)s per mail): %(addresses)s",
                    count=len(left), message_id=msg_dict.get("message_id") or "", limit=limit,
                    addresses=", ".join(left),
                ))

    def _helpdesk_is_correspondent(self, email_normalized):
        """Whether the address is the ticket's customer or one of its followers."""
        self.ensure_one()
        ticket = self.sudo()
        addresses = {
            ticket.partner_id.email_normalized,
            tools.email_normalize(ticket.partner_email or ""),
        } | set(ticket.message_partner_ids.mapped("email_normalized"))
        return email_normalized in addresses - {False, None, ""}

    @api.model
    def _helpdesk_is_internal_email(self, email):
        normalized = tools.email_normalize(email or "")
        if not normalized:
            return False
        return bool(self.env["res.users"].sudo().search_count(
            [("partner_id.email_normalized", "=", normalized), ("share", "=", False)], limit=1
        ))

    @api.model
    def _helpdesk_own_addresses(self):
        """Addresses of our own mailboxes: aliases and alias domains' technical addresses."""
        addresses = set()
        aliases = self.env["mail.alias"].sudo().search([("alias_name", "!=", False)])
        addresses.update(tools.email_normalize(name) for name in aliases.mapped("alias_full_name"))
        for domain in self.env["mail.alias.domain"].sudo().search([]):
            addresses.update(
                tools.email_normalize(addr or "")
                for addr in (domain.catchall_email, domain.bounce_email, domain.default_from_email)
            )
        addresses.update(
            tools.email_normalize(email) for email in self.env["res.company"].sudo().search([]).mapped("email") if email
        )
        addresses.discard(False)
        addresses.discard(None)
        return addresses
