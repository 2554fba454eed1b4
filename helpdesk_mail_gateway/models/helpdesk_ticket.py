import ast
import logging

from markupsafe import Markup

from odoo import Command, api, fields, models, tools
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools.mail import email_split_and_format
from odoo.tools.misc import format_datetime

from ..mail_tools import AUTO_REPLY_LOCALPARTS, auto_submitted_reason, clean_subject, find_ticket_tokens

_logger = logging.getLogger(__name__)

# Channels whose new tickets are acknowledged (email tickets only when the gateway
# creates them, internal ones never).
ACK_ON_CREATE_CHANNELS = ("portal", "web", "phone", "chat", "api")
MAIL_QUEUE_CRON_XMLID = "mail.ir_cron_mail_scheduler_action"
#: tickets whose received mails are notified per transaction of the notification job
NOTIFY_BATCH_SIZE = 50
#: addresses in copy of one mail that may become followers (system parameter)
MAX_CC_PARAM = "helpdesk_mail_gateway.max_cc_followers"
DEFAULT_MAX_CC = 10
#: key of a new ticket's route values (message_route -> message_new) carrying why
#: the mail creating it is automatic
AUTO_REASON_KEY = "helpdesk_auto_reason"
#: tickets acknowledged per transaction of the job (their rows stay locked until it commits)
ACK_BATCH_SIZE = 50


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    parent_ticket_id = fields.Many2one(
        "helpdesk.ticket", string="Follow-up of", index="btree_not_null", copy=False, readonly=True,
        help="Closed ticket this one continues: the customer answered it after its reopen window.",
    )
    followup_ticket_ids = fields.One2many("helpdesk.ticket", "parent_ticket_id", string="Follow-up Tickets")
    followup_ticket_count = fields.Integer(compute="_compute_followup_ticket_count")
    mail_gateway_from = fields.Char(
        "Department Sender", compute="_compute_mail_gateway_from",
        help="Sender of the automatic mails of the ticket: the department's address.",
    )
    ack_pending = fields.Boolean(
        "Acknowledgement Pending", copy=False, readonly=True,
        help="The acknowledgement of this new ticket waits for the acknowledgement job.",
    )
    notify_pending = fields.Boolean(
        "Notification Pending", copy=False, readonly=True,
        help="Mails received on this ticket wait for the notification job to tell its followers.",
    )
    notify_message_ids = fields.Many2many(
        "mail.message", "helpdesk_ticket_notify_message_rel", "ticket_id", "message_id",
        string="Mails to Notify", copy=False, readonly=True,
    )
    ack_first_response_text = fields.Char(
        "Expected First Response", compute="_compute_ack_first_response_text",
        help="Expected first-response time from the SLA applying to the ticket (empty without SLA).",
    )

    def init(self):
        super().init()
        # the acknowledgement job reads the (few) flagged tickets only
        tools.create_index(
            self.env.cr, "helpdesk_ticket_ack_pending_index", self._table, ["id"], where="ack_pending",
        )
        tools.create_index(
            self.env.cr, "helpdesk_ticket_notify_pending_index", self._table, ["id"], where="notify_pending",
        )

    def _compute_followup_ticket_count(self):
        counts = dict(
            self.with_context(active_test=False)._read_group(
                [("parent_ticket_id", "in", self.ids)], ["parent_ticket_id"], ["__count"]
            )
        ) if self.ids else {}
        for ticket in self:
            ticket.followup_ticket_count = counts.get(ticket, 0)

    def action_open_followup_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_ticket.helpdesk_ticket_action")
        action.update(
            name=self.env._("Follow-ups of %s", self.display_name),
            domain=[("parent_ticket_id", "=", self.id)],
            context={"active_test": False},
        )
        return action

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

    def _compute_ack_first_response_text(self):
        """Text of the expected first response ('' when no SLA applies or helpdesk_sla is absent)."""
        for ticket in self:
            ticket.ack_first_response_text = ticket._helpdesk_first_response_text()

    def _helpdesk_first_response_text(self):
        self.ensure_one()
        if "sla_ids" not in self._fields:
            return ""
        lines = self.sudo().sla_ids.filtered(
            lambda line: getattr(line, "target", False) == "first_response" and getattr(line, "deadline", False)
        )
        if not lines:
            return ""
        line = min(lines, key=lambda line: line.deadline)
        tz = self.partner_id.tz or self.department_id.resource_calendar_id.tz or "UTC"
        deadline = format_datetime(self.env, line.deadline, tz=tz, dt_format="medium")
        hours = getattr(getattr(line, "policy_id", False), "first_response_hours", 0)
        if hours:
            return self.env._("within %(hours)s working hours (by %(deadline)s)", hours=hours, deadline=deadline)
        return self.env._("by %(deadline)s", deadline=deadline)

    # ------------------------------------------------------------------
    # Routing (called from mail.thread.message_route)
    # ------------------------------------------------------------------
    @api.model
    def _helpdesk_rewrite_routes(self, message, message_dict, routes):
        """Adjust the gateway routes targeting tickets.

        * one mail gives at most one ticket, even when sent to several department addresses;
        * a new mail quoting ``[HD-xxxxx]`` in its subject joins that ticket when its sender
          is the ticket's customer or a follower (never for a stranger);
        * a mail for a merged ticket goes to the ticket it was merged into;
        * a customer reply to a ticket closed for longer than its department's reopen window
          opens a new ticket linked to the old one.
        """
        ticket_routes = [route for route in routes if route[0] == self._name]
        # the department addressed first (To before Cc, in header order) receives the ticket
        header_addresses = ",".join(
            [str(message.get(header, "") or "") for header in ("To", "Cc")] + [message_dict.get("recipients") or ""]
        )
        raw_order = [tools.email_normalize(address) for address in email_split_and_format(header_addresses)]

        def position(route):
            alias = route[4]
            full_name = alias.alias_full_name if alias else False
            return raw_order.index(full_name) if full_name in raw_order else len(raw_order)

        ticket_routes.sort(key=position)
        chosen = next((route for route in ticket_routes if route[1]), ticket_routes[0])
        for route in ticket_routes:
            if route is not chosen:
                _logger.info(
                    "Mail %s: route %s dropped, one mail makes one ticket (kept %s)",
                    message_dict.get("message_id"), route[:2], chosen[:2],
                )
        model, thread_id, custom_values, user_id, alias = chosen
        email_from = message_dict.get("email_from")
        if not thread_id:
            ticket = self._helpdesk_ticket_from_subject(message_dict, alias)
            if ticket:
                thread_id = ticket.id
                message_dict.pop("parent_id", None)
        if thread_id:
            ticket = self.sudo().with_context(active_test=False).browse(thread_id)
            seen = set()
            while ticket.merged_into_id and ticket.id not in seen:
                seen.add(ticket.id)
                ticket = ticket.merged_into_id
            thread_id = ticket.id
            if (
                ticket.closed
                and not ticket._helpdesk_in_reopen_window()
                and not auto_submitted_reason(message)
                and not self._helpdesk_is_internal_email(email_from)
            ):
                _logger.info(
                    "Mail %s from %s answers %s closed since %s (reopen window passed): new follow-up ticket",
                    message_dict.get("message_id"), email_from, ticket.number, ticket.date_closed,
                )
                custom_values = dict(custom_values or {})
                custom_values.update(
                    department_id=ticket.department_id.id,
                    company_id=ticket.company_id.id,
                    parent_ticket_id=ticket.id,
                )
                if ticket.department_id.alias_id and not alias:
                    alias = ticket.department_id.alias_id
                thread_id = 0
                message_dict.pop("parent_id", None)
        if not thread_id:
            reason = auto_submitted_reason(message)
            if reason:
                custom_values = dict(custom_values or {}, **{AUTO_REASON_KEY: reason})
        new_route = (model, thread_id, custom_values, user_id, alias)
        return [route for route in routes if route[0] != self._name] + [new_route]

    @api.model
    def _helpdesk_ticket_from_subject(self, message_dict, alias):
        """Ticket quoted as ``[HD-xxxxx]`` in the subject whose customer or follower sent the
        mail, or an empty recordset."""
        tokens = find_ticket_tokens(message_dict.get("subject"))
        if not tokens:
            return self.browse()
        domain = [("number", "in", tokens)]
        if alias and alias.alias_parent_model_id.model == "helpdesk.department" and alias.alias_parent_thread_id:
            department = self.env["helpdesk.department"].sudo().browse(alias.alias_parent_thread_id)
            domain.append(("company_id", "=", department.company_id.id))
        tickets = self.sudo().with_context(active_test=False).search(domain)
        sender = tools.email_normalize(message_dict.get("email_from") or "")
        for token in tokens:
            for ticket in tickets.filtered(lambda t, token=token: t.number == token):
                if sender and ticket._helpdesk_is_correspondent(sender):
                    _logger.info(
                        "Mail %s from %s attached to %s by the number in its subject",
                        message_dict.get("message_id"), sender, ticket.number,
                    )
                    return ticket
                _logger.info(
                    "Mail %s: %s quotes %s but is neither its customer nor a follower: new ticket",
                    message_dict.get("message_id"), sender or "an unknown sender", ticket.number,
                )
        return self.browse()

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

    # ------------------------------------------------------------------
    # Gateway: new mail, reply
    # ------------------------------------------------------------------
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
        if partner:
            values["partner_id"] = partner.id
            msg_dict["author_id"] = partner.id
        values["partner_email"] = partner.email_normalized or normalized or False
        # the generic implementation writes the formatted sender in partner_email
        ticket = super().message_new(dict(msg_dict, email_from=values["partner_email"] or email_from), values)
        if auto_reason:
            ticket._helpdesk_log_no_acknowledgement(self.env._("automatic message (%s)", auto_reason))
        ticket._helpdesk_subscribe_cc(msg_dict, new_ticket=True)
        if ticket.parent_ticket_id:
            parent = ticket.parent_ticket_id
            ticket._message_log(body=Markup(self.env._(
                "Follow-up of %(ticket)s, closed on %(date)s: the customer wrote after its reopen window.",
                ticket=parent._get_html_link(title=parent.display_name),
                date=format_datetime(self.env, parent.date_closed, dt_format="short"),
            )))
            parent._message_log(body=Markup(self.env._(
                "The customer wrote again after the reopen window: follow-up ticket %(ticket)s.",
                ticket=ticket._get_html_link(title=ticket.display_name),
            )))
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

    # ------------------------------------------------------------------
    # Acknowledgement
    # ------------------------------------------------------------------
    @api.model
    def _helpdesk_acknowledges_channel(self, channel):
        """Whether new tickets of this channel are acknowledged to their customer by
        default (mail: only the tickets the gateway creates, which say so with an
        explicit ``ack_pending``)."""
        return channel in ACK_ON_CREATE_CHANNELS

    @api.model_create_multi
    def create(self, vals_list):
        """New tickets to acknowledge are flagged ``ack_pending`` (unless the caller
        says otherwise with an explicit ``ack_pending``) and the acknowledgement job
        is woken at commit: the request creating the ticket (a mail being fetched, a
        portal form, an API call) does not render nor send it."""
        default_channel = self.default_get(["channel"]).get("channel")
        vals_list = [
            dict(vals, ack_pending=True)
            if "ack_pending" not in vals and self._helpdesk_acknowledges_channel(vals.get("channel") or default_channel)
            else vals
            for vals in vals_list
        ]
        tickets = super().create(vals_list)
        if any(vals.get("ack_pending") for vals in vals_list):
            self._job_wake("ack_pending")
        return tickets

    @api.model
    def _job_crons(self):
        return dict(
            super()._job_crons(),
            ack_pending="helpdesk_mail_gateway.ir_cron_helpdesk_acknowledge",
            notify_pending="helpdesk_mail_gateway.ir_cron_helpdesk_notify_received",
        )

    @api.model
    def _cron_send_acknowledgements(self, batch_size=ACK_BATCH_SIZE):
        """Acknowledge the new tickets flagged ``ack_pending``, once each.

        The batch skips the tickets locked by a user transaction (``_job_take``):
        an agent saving the new ticket, or the customer's next mail being posted
        on it. A ticket whose acknowledgement meets a concurrency error (its
        customer being updated by a mail intake) stays flagged for the next run;
        one whose acknowledgement fails (a broken template) gets a note saying
        why. Neither holds back the others."""
        tickets = self._job_take("ack_pending", batch_size)
        retry = self.browse()
        if tickets:
            own = self._helpdesk_own_addresses()
            for ticket in tickets.filtered("active"):
                error = self._job_step(lambda: ticket._helpdesk_acknowledge(own_addresses=own))
                if isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                    retry |= ticket
                elif error:
                    _logger.error("Ticket %s: the acknowledgement failed: %s", ticket.number, error)
                    ticket._message_log(body=self.env._("The acknowledgement could not be sent: %s", error))
            self._job_wake_cron(MAIL_QUEUE_CRON_XMLID)
        return self._job_done("ack_pending", tickets, retry)

    def _helpdesk_ack_skip_reason(self, own_addresses=None):
        """Why no acknowledgement may be sent for this new ticket, or ''.
        ``own_addresses``: ``_helpdesk_own_addresses()`` when the caller has it."""
        self.ensure_one()
        address = tools.email_normalize(self.partner_id.email or self.partner_email or "")
        if not address:
            return self.env._("no valid sender address")
        if address.split("@", 1)[0] in AUTO_REPLY_LOCALPARTS:
            return self.env._("the sender %s is a mailer daemon or a no-reply address", address)
        if own_addresses is None:
            own_addresses = self._helpdesk_own_addresses()
        if address in own_addresses:
            return self.env._("the sender %s is one of our own addresses", address)
        if "is_blacklisted" in self.partner_id._fields and self.partner_id.sudo().is_blacklisted:
            return self.env._("the sender %s is blacklisted", address)
        return ""

    def _helpdesk_log_no_acknowledgement(self, reason):
        self.ensure_one()
        _logger.info("Ticket %s: no acknowledgement sent: %s", self.number, reason)
        self.sudo()._message_log(body=self.env._("No acknowledgement sent: %s.", reason))

    def _helpdesk_acknowledge(self, own_addresses=None):
        """Acknowledge the new ticket to its customer (run by the acknowledgement job).

        The mail is queued and the mail scheduler woken at commit: no SMTP
        conversation happens in the job either."""
        self.ensure_one()
        template = self.department_id.ack_template_id
        if not template:
            return
        reason = self._helpdesk_ack_skip_reason(own_addresses)
        if reason:
            self._helpdesk_log_no_acknowledgement(reason)
            return
        ticket = self.sudo().with_context(from_alias=False, lang=self.partner_id.lang or self.env.lang)
        ticket.message_post_with_source(
            template,
            message_type="auto_comment",
            subtype_xmlid="mail.mt_note",
            partner_ids=self.partner_id.ids,
            email_layout_xmlid="mail.mail_notification_light",
            force_send=False,
        )

    def _notify_thread(self, message, msg_vals=False, **kwargs):
        """The followers of a ticket (its agent, the people in copy) are told about a
        mail the gateway received by the notification job, woken when the mail's
        transaction commits: the mail fetch stores the message (in the chatter at
        once), flags the ticket ``notify_pending`` and reads the next mail instead
        of rendering e-mails. A received mail is the message of type ``email`` the
        gateway posts; every other message is notified as usual."""
        message_type = (msg_vals or {}).get("message_type") or message.message_type
        if message_type != "email" or len(self) != 1:
            return super()._notify_thread(message, msg_vals=msg_vals, **kwargs)
        self.sudo().write({"notify_pending": True, "notify_message_ids": [Command.link(message.id)]})
        self._job_wake("notify_pending")
        return []

    @api.model
    def _cron_notify_received_mails(self, batch_size=NOTIFY_BATCH_SIZE):
        """Tell the followers of the tickets flagged ``notify_pending`` about the
        mails they received, oldest first, each once (Odoo's notification, e-mails
        queued for the mail scheduler).

        The batch skips the tickets locked by a user transaction (``_job_take``):
        an agent saving the ticket, or the next mail of the customer being posted
        on it. A notification in conflict with another transaction (the customer's
        portal signup data written by the acknowledgement job) leaves its ticket
        flagged for the next run, a few seconds later; one that fails otherwise is
        logged and dropped, without holding back the others."""
        tickets = self._job_take("notify_pending", batch_size)
        retry = self.browse()
        for ticket in tickets:
            for message in ticket.notify_message_ids.sorted("id"):
                error = self._job_step(lambda: ticket._helpdesk_notify_received(message))
                if isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                    retry |= ticket
                    break
                if error:
                    _logger.error("Ticket %s: the followers could not be told of message %s: %s",
                                  ticket.number, message.id, error)
                    ticket.notify_message_ids = [Command.unlink(message.id)]
        if tickets:
            self._job_wake_cron(MAIL_QUEUE_CRON_XMLID)
        return self._job_done("notify_pending", tickets, retry)

    def _helpdesk_notify_received(self, message):
        """Notify the received mail ``message`` of this ticket now (Odoo's own
        notification, the deferral above skipped), and take it off the list."""
        self.ensure_one()
        super()._notify_thread(message, msg_vals=False, skip_existing=True)
        self.notify_message_ids = [Command.unlink(message.id)]

    def _notify_thread_by_email(self, message, recipients_data, msg_vals=False, **kwargs):
        """E-mails about tickets are queued, never sent in the request that posts
        the message: the mail scheduler (one cron, which never runs twice at once)
        sends them, woken when the transaction commits (without it Odoo's scheduler
        only runs every hour), and retries them on SMTP errors. Sending them after
        the commit of the request as Odoo does by default would race with that
        scheduler for the same mails."""
        res = super()._notify_thread_by_email(message, recipients_data, msg_vals=msg_vals, **dict(
            kwargs, force_send=False,
        ))
        if any(recipient.get("notif") == "email" for recipient in recipients_data):
            self._job_wake_cron(MAIL_QUEUE_CRON_XMLID)
        return res

    # ------------------------------------------------------------------
    # Outgoing mail: reply-to, subject token, threading headers
    # ------------------------------------------------------------------
    def _notify_get_reply_to(self, default=None):
        """Replies go to the department's address (which threads them back here)."""
        departments = self.sudo().department_id
        by_department = departments._notify_get_reply_to(default=default) if departments else {}
        res = {}
        leftover = self.browse()
        for ticket in self:
            department = ticket.sudo().department_id
            if department and department.alias_email and by_department.get(department.id):
                res[ticket.id] = by_department[department.id]
            else:
                leftover |= ticket
        if leftover or not self:
            res.update(super(HelpdeskTicket, leftover)._notify_get_reply_to(default=default))
        return res

    def _notify_by_email_get_base_mail_values(self, message, additional_values=None):
        values = super()._notify_by_email_get_base_mail_values(message, additional_values=additional_values)
        if len(self) != 1 or not self.number:
            return values
        token = f"[{self.number}]"
        subject = values.get("subject") or message.subject or ""
        if token not in subject:
            values["subject"] = f"{token} {subject}".strip()
        previous = self.env["mail.message"].sudo().search([
            ("model", "=", self._name),
            ("res_id", "=", self.id),
            ("message_type", "=", "email"),
            ("message_id", "!=", False),
            ("id", "<", message.id),
        ], order="id desc", limit=1)
        if previous:
            headers = ast.literal_eval(values.get("headers") or "{}")
            headers["In-Reply-To"] = previous.message_id
            values["headers"] = repr(headers)
            references = (values.get("references") or "").split()
            if previous.message_id not in references:
                references.insert(max(len(references) - 1, 0), previous.message_id)
                values["references"] = " ".join(references)
        return values
