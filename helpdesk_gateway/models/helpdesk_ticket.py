"""Tickets of messaging-app chats: the channel, the acknowledgement and everything the
customer is sent (agents' public replies, stage messages, rating requests) delivered in
the chat by jobs of helpdesk.job.mixin, after the commit of the transaction that made it."""
import logging

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..channels import GATEWAY_CHANNELS, channels_ondelete

_logger = logging.getLogger(__name__)

#: tickets handled per transaction of each job
GATEWAY_ACK_BATCH_SIZE = 50
GATEWAY_OUTBOX_BATCH_SIZE = 20
#: connectors that record a refusal as ``requests``' "400 Client Error: ... for url" only,
#: dropping the provider's error message (OCA's WhatsApp and Instagram, Meta's Graph API):
#: asked to raise, their error carries the provider's answer (``gateway_failure_reason``)
GATEWAY_TYPES_REASON_FROM_ERROR = ("whatsapp", "instagram")


def gateway_failure_reason(error):
    """The reason a failed delivery shows for ``error`` (a connector's error and the errors
    it was raised from): the provider's own message when an HTTP answer in the chain
    carries one (Graph API ``{"error": {"message": ...}}``, Telegram ``description``, LINE
    ``message``), followed by the HTTP error; else the chain's texts."""
    chain = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__
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
    return ": ".join(str(link) for link in chain if str(link))


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
        ``gateway_outbox_pending``, oldest first, each once: a failure (the provider
        down or refusing) marks the message failed with the provider's reason (Odoo's
        failure icon), which the agent can resend.

        The batch skips the tickets locked by a user transaction (``_job_take``): an
        agent's next reply being posted on the ticket, which queues its own message."""
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
            for notification in notifications:
                error = self._job_step(lambda: ticket._helpdesk_gateway_deliver(notification))
                if isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                    retry |= ticket
                    break
                if error:
                    reason = gateway_failure_reason(error)
                    _logger.error("Ticket %s: message %s not delivered in the chat: %s",
                                  ticket.number, notification.mail_message_id.id, reason)
                    notification.write({
                        "notification_status": "exception", "failure_type": "unknown",
                        "failure_reason": reason,
                    })
                    notification.mail_message_id._notify_message_notification_update()
        return self._job_done("gateway_outbox_pending", tickets, retry)

    def _helpdesk_gateway_deliver(self, notification):
        """Send one queued message through the gateway's connector (OCA's ``send_gateway``,
        which records the provider's id, or the failure and its reason, on the
        notification), then show it in the chat's Discuss conversation, linked to the
        ticket's message as OCA links them. The connectors of
        ``GATEWAY_TYPES_REASON_FROM_ERROR`` raise instead: ``_cron_gateway_outbox``
        records the failure with the provider's message."""
        self.ensure_one()
        message = notification.mail_message_id
        gateway_type = notification.gateway_channel_id.gateway_id.gateway_type
        notification.send_gateway(raise_exception=gateway_type in GATEWAY_TYPES_REASON_FROM_ERROR)
        if notification.notification_status == "ready":
            # the connector neither raised nor returned a message id (nothing to send)
            notification.notification_status = "sent"
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
