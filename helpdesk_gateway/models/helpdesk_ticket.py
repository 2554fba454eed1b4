"""Tickets of messaging-app chats: the channel, the acknowledgement and everything the
customer is sent (agents' public replies, stage messages, rating requests) delivered in
the chat by jobs of helpdesk.job.mixin, after the commit of the transaction that made it."""
import logging
from datetime import timedelta
from functools import partial

import requests
from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from odoo.addons.base.models.ir_mail_server import MailDeliveryException

from ..channels import GATEWAY_CHANNELS, channels_ondelete

try:  # python-telegram-bot, the dependency of OCA's Telegram connector
    from telegram import error as telegram_error
except ImportError:  # pragma: no cover - the Telegram connector is not installed
    telegram_error = None

_logger = logging.getLogger(__name__)

#: tickets handled per transaction of each job
GATEWAY_ACK_BATCH_SIZE = 50
GATEWAY_OUTBOX_BATCH_SIZE = 20
#: a delivery that failed for a transient reason (the provider or the network down, HTTP 429
#: or 5xx) is tried again by the outbox job after these delays (the last one repeats), at most
#: GATEWAY_RETRY_MAX_ATTEMPTS attempts in all; then it stays failed for the agent to resend
GATEWAY_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=60))
GATEWAY_RETRY_MAX_ATTEMPTS = 5


def _error_chain(error):
    """``error`` and the errors it was raised from (``raise ... from``, and an error passed
    as an argument: OCA's Telegram connector raises ``MailDeliveryException(text, error)
    from None``), outermost first."""
    chain = []
    pending = [error]
    while pending:
        link = pending.pop(0)
        if link is None or any(link is seen for seen in chain):
            continue
        chain.append(link)
        nested = [arg for arg in getattr(link, "args", ()) if isinstance(arg, BaseException)]
        pending[:0] = [*nested, link.__cause__]
    return chain


def _error_text(error):
    """The text of one error (the message of an error raised with more arguments)."""
    args = getattr(error, "args", ())
    texts = [arg for arg in args if isinstance(arg, str)]
    return texts[0] if len(args) > 1 and texts else str(error)


def gateway_failure_transient(error):
    """Whether the delivery that failed with ``error`` (a connector's error and the errors it
    was raised from) may succeed when tried again later: the provider or the network
    unavailable (connection error, timeout, HTTP 429 or 5xx). A refusal (any other 4xx: a
    bad token, the bot blocked by the user, WhatsApp's re-engagement window) or an error of
    the message itself (an attachment type the app refuses) is not."""
    for link in _error_chain(error):
        transient = getattr(link, "transient", None)
        if isinstance(transient, bool):  # mail_gateway_line's LineApiError
            return transient
        status = getattr(getattr(link, "response", None), "status_code", None)
        if isinstance(status, int):  # requests' HTTPError (WhatsApp, Instagram)
            return status == 429 or status >= 500
        if isinstance(link, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)):
            return True
        if telegram_error and isinstance(link, telegram_error.TelegramError):
            # python-telegram-bot raises BadRequest (400), Forbidden (403), InvalidToken
            # (401, 404), Conflict (409) for Telegram's refusals, RetryAfter for a 429 with
            # its delay, NetworkError for everything else: no connection, a timeout
            # (TimedOut), a 429 without delay, a 5xx
            return isinstance(link, telegram_error.RetryAfter) or (
                isinstance(link, telegram_error.NetworkError) and not isinstance(link, telegram_error.BadRequest))
    return False


def gateway_retry_after(error):
    """How long the provider asked to wait before trying again (a ``timedelta``), or None:
    python-telegram-bot's ``RetryAfter`` (Telegram's ``retry_after`` of a 429), an HTTP
    answer's ``Retry-After`` header in seconds."""
    for link in _error_chain(error):
        value = getattr(link, "retry_after", None)
        if isinstance(value, timedelta):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return timedelta(seconds=value)
        headers = getattr(getattr(link, "response", None), "headers", None) or {}
        header = str(headers.get("Retry-After") or "").strip()
        if header.isdigit():
            return timedelta(seconds=int(header))
    return None


def gateway_failure_reason(error):
    """The reason a failed delivery shows for ``error`` (a connector's error and the errors
    it was raised from): the provider's own message when an HTTP answer in the chain
    carries one (Graph API ``{"error": {"message": ...}}``, Telegram ``description``, LINE
    ``message``), followed by the HTTP error; else the chain's texts."""
    chain = _error_chain(error)
    for link in chain:
        response = getattr(link, "response", None)
        if response is None or not hasattr(response, "json"):
            continue
        try:
            body = response.json()
        except ValueError:
            body = None
        message = None
        if isinstance(body, dict):
            detail = body.get("error")
            message = (detail.get("message") if isinstance(detail, dict) else None) \
                or body.get("description") or body.get("message")
        if message:
            return f"{message} ({link})"
        return str(link)
    texts = []
    for link in chain:
        text = _error_text(link)
        # LINE's connector repeats LINE's reason in the error it raises
        if text and not any(text in shown for shown in texts):
            texts.append(text)
    return ": ".join(texts)


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    channel = fields.Selection(selection_add=GATEWAY_CHANNELS, ondelete=channels_ondelete("set default"))
    gateway_channel_id = fields.Many2one(
        "discuss.channel", string="Chat", readonly=True, copy=False, index="btree_not_null",
        ondelete="set null", help="Conversation of the messaging app this ticket came from.",
    )
    gateway_ack_pending = fields.Boolean(
        "Chat Acknowledgement Pending", copy=False, readonly=True,
        help="The acknowledgement of this new ticket waits to be sent in the chat.",
    )
    gateway_outbox_pending = fields.Boolean(
        "Chat Messages Pending", copy=False, readonly=True,
        help="Messages of this ticket wait to be delivered in its chat.",
    )

    def init(self):
        super().init()
        for flag in ("gateway_ack_pending", "gateway_outbox_pending"):
            tools.create_index(self.env.cr, f"helpdesk_ticket_{flag}_index", self._table, ["id"], where=flag)

    @api.model
    def _job_crons(self):
        return dict(
            super()._job_crons(),
            gateway_ack_pending="helpdesk_gateway.ir_cron_helpdesk_gateway_acknowledge",
            gateway_outbox_pending="helpdesk_gateway.ir_cron_helpdesk_gateway_outbox",
        )

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        if any(vals.get("gateway_ack_pending") for vals in vals_list):
            self._job_wake("gateway_ack_pending")
        return tickets

    # ------------------------------------------------------------------
    # Follow-up of a closed ticket
    # ------------------------------------------------------------------
    def _helpdesk_gateway_log_followup(self, previous):
        self.ensure_one()
        self._message_log(body=Markup(self.env._(
            "Follow-up of %(ticket)s: the customer wrote in the chat after its reopen window.",
            ticket=previous._get_html_link(title=previous.display_name),
        )))
        previous._message_log(body=Markup(self.env._(
            "The customer wrote again in the chat after the reopen window: follow-up ticket %(ticket)s.",
            ticket=self._get_html_link(title=self.display_name),
        )))

    # ------------------------------------------------------------------
    # What the customer is sent goes to the chat
    # ------------------------------------------------------------------
    def _helpdesk_gateway_customer(self):
        """The customer reached in the chat, or nothing (no chat, or the ticket's customer
        was changed to someone else than the chat's sender)."""
        self.ensure_one()
        channel = self.sudo().gateway_channel_id
        if not channel or not channel.gateway_id or not self.partner_id:
            return self.env["res.partner"]
        identity = self.env["res.partner.gateway.channel"].sudo().search_count([
            ("partner_id", "=", self.partner_id.id),
            ("gateway_id", "=", channel.gateway_id.id),
            ("gateway_token", "=", channel.gateway_channel_token),
        ])
        return self.partner_id if identity else self.env["res.partner"]

    def _notify_get_recipients(self, message, msg_vals=False, **kwargs):
        """The chat's customer is reached in the chat instead of by e-mail: their entry
        gets the notification type ``gateway`` (OCA's), which Odoo does not mail, and
        ``_notify_thread`` queues the delivery. An agent's internal note never leaves,
        even when it mentions the customer."""
        recipients = super()._notify_get_recipients(message, msg_vals=msg_vals, **kwargs)
        if len(self) != 1 or not self.gateway_channel_id:
            return recipients
        customer = self._helpdesk_gateway_customer()
        if not customer:
            return recipients
        values = msg_vals or {}
        message_type = values.get("message_type") or message.message_type
        subtype = self.env["mail.message.subtype"].browse(values["subtype_id"]) if values.get("subtype_id") else message.subtype_id
        internal_comment = message_type == "comment" and (not subtype or subtype.internal)
        for recipient in recipients:
            if recipient["id"] == customer.id and recipient["notif"] == "email":
                if internal_comment:
                    recipient["notif"] = "helpdesk_gateway_skip"
                else:
                    recipient["notif"] = "gateway"
                    recipient["helpdesk_gateway"] = True
        return recipients

    def _notify_thread(self, message, msg_vals=False, **kwargs):
        recipients = super()._notify_thread(message, msg_vals=msg_vals, **kwargs)
        if len(self) == 1 and any(recipient.get("helpdesk_gateway") for recipient in recipients or []):
            self._helpdesk_gateway_queue(message)
        return recipients

    def _helpdesk_gateway_queue(self, message):
        """Queue ``message`` for the chat: a gateway notification (OCA's) waiting,
        delivered by the outbox job when this transaction has committed (the agent's
        request does not talk to the provider)."""
        self.ensure_one()
        channel = self.sudo().gateway_channel_id
        self.env["mail.notification"].sudo().create({
            "mail_message_id": message.id,
            "notification_type": "gateway",
            "notification_status": "ready",
            "gateway_channel_id": channel.id,
            "gateway_type": channel.gateway_id.gateway_type,
            "res_partner_id": self.partner_id.id,
            "is_read": True,
        })
        self.sudo().gateway_outbox_pending = True
        self._job_wake("gateway_outbox_pending")

    # ------------------------------------------------------------------
    # Jobs
    # ------------------------------------------------------------------
    @api.model
    def _cron_gateway_acknowledge(self, batch_size=GATEWAY_ACK_BATCH_SIZE):
        """Acknowledge in the chat the new tickets flagged ``gateway_ack_pending``.

        The batch skips the tickets locked by a user transaction (``_job_take``): the
        next message of the chat being posted on the ticket, an agent saving it."""
        tickets = self._job_take("gateway_ack_pending", batch_size)
        retry = self.browse()
        for ticket in tickets.filtered("active"):
            error = self._job_step(ticket._helpdesk_gateway_acknowledge)
            if isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                retry |= ticket
            elif error:
                _logger.error("Ticket %s: the chat acknowledgement failed: %s", ticket.number, error)
                ticket._message_log(body=self.env._("The acknowledgement could not be sent in the chat: %s", error))
        return self._job_done("gateway_ack_pending", tickets, retry)

    def _helpdesk_gateway_ack_text(self):
        """The acknowledgement, in the language of the ticket's ``env``: the ticket number
        and the tracking link (the portal link of the ticket, as the mail gateway's
        acknowledgement gives it)."""
        self.ensure_one()
        return self.env._(
            "Thank you for your message. Your request is registered as ticket %(number)s. "
            "You can follow it here: %(url)s",
            number=self.number, url=self.get_base_url() + self.get_portal_url(),
        )

    def _helpdesk_gateway_acknowledge(self):
        """Post the acknowledgement on the ticket for its customer (an automatic message,
        no hook): ``_notify_get_recipients`` sends it to the chat, in the customer's
        language when the contact has one."""
        self.ensure_one()
        if not self._helpdesk_gateway_customer():
            return
        self.sudo()._portal_ensure_token()
        lang = self.partner_id.lang or self.env.lang
        ticket = self.sudo().with_context(lang=lang)
        ticket.message_post(
            body=ticket._helpdesk_gateway_ack_text(),
            message_type="auto_comment",
            subtype_xmlid="mail.mt_note",
            partner_ids=self.partner_id.ids,
        )

    @api.model
    def _cron_gateway_outbox(self, batch_size=GATEWAY_OUTBOX_BATCH_SIZE):
        """Deliver in their chats the messages queued on the tickets flagged
        ``gateway_outbox_pending``, oldest first, each once.

        A failure marks the message failed with the provider's reason (Odoo's failure
        icon), which the agent can resend. A transient failure (``gateway_failure_transient``:
        the provider or the network down, HTTP 429 or 5xx) is also tried again by this job
        after a growing delay (``GATEWAY_RETRY_DELAYS``), at most
        ``GATEWAY_RETRY_MAX_ATTEMPTS`` attempts: each run first queues again the deliveries
        whose attempt is due (``_helpdesk_gateway_requeue_due``). Everything is in the
        database (the notification's attempts and next attempt, the cron's triggers): any
        worker runs the job.

        The batch skips the tickets locked by a user transaction (``_job_take``): an
        agent's next reply being posted on the ticket, which queues its own message, or an
        agent's resend (``_helpdesk_gateway_lock``)."""
        self._helpdesk_gateway_requeue_due()
        tickets = self._job_take("gateway_outbox_pending", batch_size)
        retry = self.browse()
        Notification = self.env["mail.notification"].sudo()
        for ticket in tickets:
            notifications = Notification.search([
                ("mail_message_id", "in", self.env["mail.message"].sudo()._search([
                    ("model", "=", self._name), ("res_id", "=", ticket.id),
                ])),
                ("notification_type", "=", "gateway"),
                ("notification_status", "=", "ready"),
            ], order="id")
            locked = ticket._helpdesk_gateway_lock(notifications)
            for notification in notifications:
                if notification not in locked:
                    # an agent's resend of it is being saved: the next run, in order
                    retry |= ticket
                    break
                error = self._job_step(partial(ticket._helpdesk_gateway_deliver, notification))
                if isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                    retry |= ticket
                    break
                if error:
                    ticket._helpdesk_gateway_failed(notification, error)
        return self._job_done("gateway_outbox_pending", tickets, retry)

    def _helpdesk_gateway_lock(self, notifications):
        """Lock the queued ``notifications`` of this ticket until the run commits; return
        those locked (none after a concurrency error).

        Race: an agent resends a failed delivery (``mail.resend.message``: status back to
        *ready*) while a run is sending it (a due retry). Without this lock, the run sends
        it, the agent's transaction writes the notification first and waits for the
        ticket's row (locked by the run), the run's write of the outcome deadlocks with it
        and is undone: the message was sent but stays queued, and is sent again. With it,
        the agent's write waits for the run, then fails on the run's committed outcome and
        Odoo runs the resend again, which finds the message sent; a notification the agent
        holds is left (``SKIP LOCKED``) to the next run. Taken outside the delivery's
        savepoint, whose rollback would release it."""
        self.ensure_one()
        if not notifications:
            return notifications
        ids = self._job_select(SQL(
            "SELECT id FROM mail_notification WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE SKIP LOCKED",
            notifications.ids,
        ))
        return notifications.browse(ids or [])

    @api.model
    def _helpdesk_gateway_requeue_due(self):
        """Queue again the deliveries whose automatic attempt is due (``gateway_retry_date``
        past, still failed): *ready* again and their tickets flagged, for this run.

        Race: the agent resending the same message meanwhile (it also makes it *ready*): the
        notifications and tickets are locked ``SKIP LOCKED`` (one the agent's transaction
        holds is left to it, one it changed since this run began is a serialization failure:
        the job runs again in a few seconds); the agent's write waiting for this run fails
        once it commits and Odoo runs the resend again, which finds it queued or sent. One
        *ready* notification is sent once (``_helpdesk_gateway_lock``)."""
        self.env.flush_all()
        now = fields.Datetime.now()
        self.env.cr.execute(SQL(
            """SELECT n.id, m.res_id FROM mail_notification n
                 JOIN mail_message m ON m.id = n.mail_message_id AND m.model = %s
                 JOIN helpdesk_ticket t ON t.id = m.res_id
                WHERE n.gateway_retry_date <= %s AND n.notification_type = 'gateway'
                  AND n.notification_status = 'exception'
                ORDER BY n.id""",
            self._name, now,
        ))
        due = self.env.cr.fetchall()
        if not due:
            return
        ticket_ids = self._job_select(SQL(
            "SELECT id FROM helpdesk_ticket WHERE id = ANY(%s) FOR NO KEY UPDATE SKIP LOCKED",
            sorted({ticket_id for _id, ticket_id in due}),
        ))
        locked_tickets = set(ticket_ids or ())
        notification_ids = ticket_ids and self._job_select(SQL(
            """SELECT id FROM mail_notification
                WHERE id = ANY(%s) AND notification_status = 'exception' AND gateway_retry_date <= %s
                ORDER BY id FOR NO KEY UPDATE SKIP LOCKED""",
            [notification_id for notification_id, ticket_id in due if ticket_id in locked_tickets], now,
        ))
        if ticket_ids is None or notification_ids is None:
            self._job_retry_soon("gateway_outbox_pending")
            return
        if len(notification_ids) < len(due):
            # some held by a user transaction: looked at again a minute later
            self._job_run_at("gateway_outbox_pending", now + self._job_wait_delay)
        if not notification_ids:
            return
        notifications = self.env["mail.notification"].sudo().browse(notification_ids)
        notifications.write({
            "notification_status": "ready", "failure_type": False, "failure_reason": False,
            "gateway_retry_date": False,
        })
        ticket_of = dict(due)
        self.browse(sorted({ticket_of[notification_id] for notification_id in notification_ids})).sudo().write(
            {"gateway_outbox_pending": True})

    def _helpdesk_gateway_failed(self, notification, error):
        """Record the failed delivery ``notification`` (``error``): failed with the
        provider's reason and the number of attempts; a transient failure with attempts
        left gets its next attempt, and the job runs then."""
        self.ensure_one()
        reason = gateway_failure_reason(error)
        attempts = notification.gateway_attempt_count + 1
        retry_date = False
        if gateway_failure_transient(error) and attempts < GATEWAY_RETRY_MAX_ATTEMPTS:
            delay = GATEWAY_RETRY_DELAYS[min(attempts, len(GATEWAY_RETRY_DELAYS)) - 1]
            delay = max(delay, gateway_retry_after(error) or delay)
            retry_date = fields.Datetime.now() + delay
            _logger.warning("Ticket %s: message %s not delivered in the chat (attempt %s of %s, next at %s): %s",
                            self.number, notification.mail_message_id.id, attempts, GATEWAY_RETRY_MAX_ATTEMPTS,
                            retry_date, reason)
            self._job_run_at("gateway_outbox_pending", retry_date)
        else:
            _logger.error("Ticket %s: message %s not delivered in the chat (attempt %s, not retried): %s",
                          self.number, notification.mail_message_id.id, attempts, reason)
        notification.write({
            "notification_status": "exception", "failure_type": "unknown", "failure_reason": reason,
            "gateway_attempt_count": attempts, "gateway_retry_date": retry_date,
        })
        notification.mail_message_id._notify_message_notification_update()

    def _helpdesk_gateway_deliver(self, notification):
        """Send one queued message through the gateway's connector (OCA's ``send_gateway``,
        which records the provider's id on the notification), then show it in the chat's
        Discuss conversation, linked to the ticket's message as OCA links them. The
        connectors are asked to raise on failure: ``_cron_gateway_outbox`` records the
        failure with the provider's message (OCA's WhatsApp and Instagram connectors keep
        only ``requests``' "400 Client Error: ... for url") and decides on a retry from
        the error (``_helpdesk_gateway_failed``)."""
        self.ensure_one()
        message = notification.mail_message_id
        notification.send_gateway(raise_exception=True)
        if notification.notification_status == "exception":
            # a connector that records its failure instead of raising
            raise MailDeliveryException(notification.failure_reason or "")
        # sent (or nothing to send: the connector neither raised nor returned a message id);
        # WhatsApp's and Instagram's connectors leave a former failure's type
        notification.write({
            "notification_status": "sent", "failure_type": False, "failure_reason": False,
            "gateway_retry_date": False,
        })
        channel = notification.gateway_channel_id
        channel.with_context(no_gateway_notification=True).message_post(
            body=message.body,
            author_id=message.author_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            gateway_message_id=message.id,
        )

    def action_open_gateway_chat(self):
        """Open the chat of the ticket in Discuss."""
        self.ensure_one()
        channel = self.gateway_channel_id
        return {
            "type": "ir.actions.client",
            "tag": "mail.action_discuss",
            "params": {"active_id": f"discuss.channel_{channel.id}"},
            "context": {"active_id": f"discuss.channel_{channel.id}"},
        }

    def action_open_gateway_link(self):
        """Link the chat's sender to an existing contact."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Link the Chat to a Contact"),
            "res_model": "helpdesk.gateway.link",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_ticket_id": self.id},
        }
