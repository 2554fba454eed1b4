"""The acknowledgement of new tickets: flagged ``ack_pending`` at creation, sent by the
acknowledgement job (helpdesk.job.mixin) woken at commit, never to automatic senders."""
import logging

from odoo import api, fields, models, tools
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..mail_tools import AUTO_REPLY_LOCALPARTS, MAIL_QUEUE_CRON_XMLID

_logger = logging.getLogger(__name__)

# Channels whose new tickets are acknowledged by default (email tickets when the gateway
# creates them, with an explicit ack_pending; internal ones never).
ACK_ON_CREATE_CHANNELS = ("portal", "web", "phone", "chat", "api")
#: tickets acknowledged per transaction of the job (their rows stay locked until it commits)
ACK_BATCH_SIZE = 50

class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    ack_pending = fields.Boolean(
        "Acknowledgement Pending", copy=False, readonly=True,
        help="The acknowledgement of this new ticket waits for the acknowledgement job.",
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

    def _compute_ack_first_response_text(self):
        """The expected first response, as the acknowledgement quotes it ('' when
        nothing is promised): ``_expected_first_response_text`` of the core, which
        the SLA addon answers."""
        for ticket in self:
            ticket.ack_first_response_text = ticket._expected_first_response_text()

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
