import logging
import unicodedata
from datetime import timedelta

from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.http import request
from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, clean_context, email_normalize, email_split, html2plaintext, sql

_logger = logging.getLogger(__name__)

TICKET_COMMAND = "/ticket"
SUBJECT_MAX_LENGTH = 120
#: a conversation nobody answered, silent this long, is a missed chat
MISSED_CHAT_SILENCE = timedelta(minutes=15)
#: conversations older than this are not looked at (an install on a database with years of chats)
MISSED_CHAT_WINDOW = timedelta(days=2)
MISSED_CHAT_BATCH_SIZE = 100


def has_visible_text(text):
    """Whether ``text`` shows something: a text of zero-width spaces and direction
    marks only would give a ticket a blank-looking subject."""
    return any(unicodedata.category(char)[0] not in "CZ" for char in text or "")


class DiscussChannel(models.Model):
    _name = "discuss.channel"
    _inherit = ["discuss.channel", "helpdesk.job.mixin"]

    helpdesk_missed_pending = fields.Boolean(
        "Missed Chat Check Pending", copy=False, readonly=True,
        help="The visitor left or the conversation went silent: the missed chat job looks at it "
        "within seconds (a ticket if nobody answered and the visitor gave an email).",
    )
    helpdesk_missed_done = fields.Boolean(
        "Missed Chat Checked", copy=False, readonly=True,
        help="The missed chat job looked at this conversation (it never looks twice).",
    )

    def init(self):
        super().init()
        # the missed chat job reads the (few) flagged conversations only
        sql.create_index(self.env.cr, "discuss_channel_helpdesk_missed_pending_index", self._table, ["id"],
                         where="helpdesk_missed_pending")

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
            if from_visitor and has_visible_text(text):
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
        self._helpdesk_lock()
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

    # ------------------------------------------------------------------
    # Tickets the conversation files by itself: the chatbot's *Create Ticket*
    # step and missed chats. At most one per conversation.
    # ------------------------------------------------------------------
    def _helpdesk_lock(self):
        """A ticket is being made from these conversations: mark them looked at by the
        missed chat job, which locks their rows until the transaction ends.

        The race: the missed chat job files a conversation nobody answered while an
        operator types ``/ticket`` in it or the chatbot reaches its *Create Ticket*
        step, in another transaction; neither sees the other's uncommitted ticket and
        the chat would get two. The job takes its conversations ``FOR NO KEY UPDATE
        SKIP LOCKED`` (``_job_take``):

        - a conversation updated here and not committed yet is skipped by the job,
          whose next run sees the ticket;
        - committed after the job's transaction began, the update makes the job's lock
          a serialization failure (REPEATABLE READ): the job takes nothing and runs
          again in a new transaction (``_job_lock``), which sees the ticket;
        - a conversation the job holds makes this update wait for the job's commit and
          fail the same way: Odoo retries the request, and the retry sees the job's
          ticket (the chatbot's step then gives its number)."""
        self.env.cr.execute(SQL(
            "UPDATE discuss_channel SET helpdesk_missed_done = TRUE WHERE id IN %s", tuple(self.ids),
        ))
        self.invalidate_recordset(["helpdesk_missed_done"])

    def _helpdesk_tickets(self):
        self.ensure_one()
        return self.env["helpdesk.ticket"].sudo().with_context(active_test=False).search(
            [("livechat_channel_id", "=", self.id)], order="id",
        )

    def _helpdesk_bot_partners(self):
        """The partners the chatbot of this conversation writes as."""
        self.ensure_one()
        channel = self.sudo()
        return channel.chatbot_current_step_id.chatbot_script_id.operator_partner_id | (
            channel.livechat_operator_id if not channel.livechat_operator_id.user_ids else channel.env["res.partner"]
        )

    def _helpdesk_visitor_messages(self):
        """The comments the visitor wrote (a guest or a contact who is not an internal
        user), oldest first: neither the chatbot's nor an operator's."""
        self.ensure_one()
        bots = self._helpdesk_bot_partners()
        return self.sudo().message_ids.filtered(
            lambda m: m.message_type == "comment"
            and m.author_id not in bots
            and not m.author_id.user_ids.filtered(lambda u: not u.share)
        ).sorted("id")

    def _helpdesk_answered(self):
        """Whether an operator (an internal user) wrote in the conversation."""
        self.ensure_one()
        return any(
            m.message_type == "comment" and m.author_id.user_ids.filtered(lambda u: not u.share)
            for m in self.sudo().message_ids
        )

    def _helpdesk_visitor_email(self):
        """The visitor's email: the answer to the chatbot's *Email* step, else the email
        of the visitor's contact (a signed-in customer), else the first address the
        visitor wrote in a message. Normalized; '' when there is none."""
        self.ensure_one()
        values = self.sudo()._chatbot_find_customer_values_in_messages({"question_email": "email"})
        email = email_normalize(values.get("email") or "")
        if email:
            return email
        customer = self.sudo()._helpdesk_customer()
        if customer.email_normalized:
            return customer.email_normalized
        for message in self._helpdesk_visitor_messages():
            for candidate in email_split(html2plaintext(message.body or "")):
                if email := email_normalize(candidate):
                    return email
        return ""

    def _helpdesk_visitor_description(self):
        """What the visitor answered to the chatbot's first free input step (a
        multi-line input may take several messages)."""
        self.ensure_one()
        bots = self._helpdesk_bot_partners()
        answers = self.sudo().chatbot_message_ids.filtered(
            lambda m: m.script_step_id.step_type in ("free_input_single", "free_input_multi")
            and m.mail_message_id.message_type == "comment"
            and m.mail_message_id.author_id not in bots
        ).sorted("id")
        first_step = answers[:1].script_step_id
        texts = (html2plaintext(m.mail_message_id.body or "") for m in answers if m.script_step_id == first_step)
        description = " ".join(" ".join(texts).split())
        return description if has_visible_text(description) else ""

    def _helpdesk_file_ticket(self, email, department, note):
        """Create the conversation's ticket for the visitor (the chatbot's step, a missed
        chat): through the ordinary creation, as superuser (a visitor or a cron has no
        helpdesk rights; the chatbot's step runs in the visitor's request).

        The customer is the visitor's contact when the visitor is signed in; else
        ``email`` is the ticket's customer email, as typed in the chat (matched to a
        contact by the ordinary creation, like the sender of a mail). The email is
        never written on a contact, nothing about that contact is told in the chat."""
        self.ensure_one()
        # superuser without default_* keys: a request's context must not choose values of
        # the ticket or of what its creation makes (contacts, followers, messages)
        channel = self.with_user(SUPERUSER_ID).with_context(clean_context(self.env.context))
        vals = channel._helpdesk_prepare_ticket_values(channel._helpdesk_visitor_description())
        if department:
            vals["department_id"] = department.id
        if not vals.get("partner_id") and email:
            vals["partner_email"] = email
        ticket = channel.env["helpdesk.ticket"].create(vals)
        ticket.message_post(body=note, subtype_xmlid="mail.mt_note", author_id=self.env.ref("base.partner_root").id)
        last = channel._helpdesk_last_visitor_message()
        if last:
            ticket._on_customer_message(last)
        return ticket

    def _helpdesk_chatbot_ticket(self, step):
        """The ticket of the chatbot's *Create Ticket* ``step``: the conversation's
        ticket if it has one already (the visitor restarted the script, the missed
        chat job was first), else a new one."""
        self.ensure_one()
        self._helpdesk_lock()
        ticket = self._helpdesk_tickets()[:1]
        if ticket:
            return ticket
        email = self._helpdesk_visitor_email()
        # any anonymous visitor can reach this step: the same limits as the portal's
        # public form, per address (IPv6 /64) and per email, held in the database
        Attempt = self.env["helpdesk.livechat.attempt"].sudo()
        checks = [("chatbot_ip", self._helpdesk_visitor_address()), ("chatbot_email", email)]
        if Attempt._is_blocked(checks):
            return ticket
        ticket = self._helpdesk_file_ticket(
            email,
            step.helpdesk_department_id,
            self.env._("Created by the chatbot %s of a live chat. The email address was typed by the visitor "
                       "and is not verified.", step.chatbot_script_id.title),
        )
        Attempt._record_attempts(checks)
        return ticket

    def _helpdesk_visitor_address(self):
        """Rate-limit key of the address of the visitor's request (IPv6 by /64), False
        outside a request. Behind a reverse proxy, Odoo reads X-Forwarded-For only with
        ``--proxy-mode``."""
        if not request or not getattr(request, "httprequest", None):
            return False
        return self.env["helpdesk.livechat.attempt"]._client_key(request.httprequest.remote_addr)

    # ------------------------------------------------------------------
    # Missed chats (job of helpdesk.job.mixin)
    # ------------------------------------------------------------------
    @api.model
    def _job_crons(self):
        return dict(
            super()._job_crons(),
            helpdesk_missed_pending="helpdesk_livechat.ir_cron_helpdesk_livechat_missed_chats",
        )

    def _close_livechat_session(self, **kwargs):
        """The visitor left: the conversation is looked at by the missed chat job."""
        res = super()._close_livechat_session(**kwargs)
        if self.channel_type == "livechat":
            self.sudo()._helpdesk_flag_missed()
        return res

    def _helpdesk_flag_missed(self):
        """Have the missed chat job look at these conversations (once each)."""
        todo = self.filtered(lambda c: not c.helpdesk_missed_done and not c.helpdesk_missed_pending)
        if todo:
            todo.write({"helpdesk_missed_pending": True})
            self._job_wake("helpdesk_missed_pending")

    @api.model
    def _helpdesk_flag_silent_chats(self, batch_size):
        """Flag the live chats silent for ``MISSED_CHAT_SILENCE`` (the visitor closed
        the tab without leaving, nobody answered a chatbot's fallback...) that the job
        has not looked at. Skips the conversations a user transaction holds (a message
        being posted): the next run sees them."""
        now = fields.Datetime.now()
        ids = self._job_lock("helpdesk_missed_pending", SQL(
            """SELECT id FROM discuss_channel
                WHERE channel_type = 'livechat'
                  AND last_interest_dt >= %s AND last_interest_dt < %s
                  AND helpdesk_missed_done IS NOT TRUE AND helpdesk_missed_pending IS NOT TRUE
                ORDER BY id LIMIT %s FOR NO KEY UPDATE SKIP LOCKED""",
            now - MISSED_CHAT_WINDOW, now - MISSED_CHAT_SILENCE, batch_size,
        ))
        self.browse(ids).write({"helpdesk_missed_pending": True})

    @api.model
    def _cron_helpdesk_missed_chats(self, batch_size=MISSED_CHAT_BATCH_SIZE):
        """File a ticket for each conversation no operator answered, once the visitor
        left or the chat went silent, when the visitor gave an email and wrote
        something. A conversation is looked at once (``helpdesk_missed_done``), and
        gets no ticket if it has one (``/ticket``, the chatbot's step).

        The visitor leaving and this cron's sweep may both flag a conversation: the
        flag is a boolean, and the tickets are created by this job only, which
        ``ir.cron`` never runs twice at once, on conversations locked by
        ``_job_take``; ``_helpdesk_lock`` says how the other ticket creators wait."""
        self._helpdesk_flag_silent_chats(batch_size)
        channels = self._job_take("helpdesk_missed_pending", batch_size)
        retry = self.browse()
        for channel in channels:
            error = self._job_step(channel._helpdesk_file_missed_chat)
            if isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                retry |= channel
            elif error:
                _logger.error("Missed live chat %s could not become a ticket: %s", channel.id, error)
        (channels - retry).write({"helpdesk_missed_done": True})
        return self._job_done("helpdesk_missed_pending", channels, retry)

    def _helpdesk_file_missed_chat(self):
        """The missed chat's ticket, or nothing: a chat with a ticket already, an
        answered one, an empty one (the visitor wrote nothing) or one without the
        visitor's email gets none."""
        self.ensure_one()
        if self.channel_type != "livechat" or self._helpdesk_tickets() or self._helpdesk_answered():
            return self.env["helpdesk.ticket"]
        if not self._helpdesk_visitor_messages():
            return self.env["helpdesk.ticket"]
        email = self._helpdesk_visitor_email()
        if not email:
            return self.env["helpdesk.ticket"]
        return self._helpdesk_file_ticket(
            email,
            self.env["helpdesk.department"],
            self.env._("Created from a live chat that no operator answered. The email address was given by the "
                       "visitor and is not verified."),
        )
