"""Notifications of received mails and of every ticket message: followers are told of
a received mail by the notification job (helpdesk.job.mixin), not in the mail fetch;
every e-mail about a ticket is queued for the mail scheduler, never sent in the request."""
import logging

from odoo import Command, api, fields, models, tools
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..mail_tools import MAIL_QUEUE_CRON_XMLID

_logger = logging.getLogger(__name__)

#: tickets whose received mails are notified per transaction of the notification job
NOTIFY_BATCH_SIZE = 50

class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    notify_pending = fields.Boolean(
        "Notification Pending", copy=False, readonly=True,
        help="Mails received on this ticket wait for the notification job to tell its followers.",
    )
    notify_message_ids = fields.Many2many(
        "mail.message", "helpdesk_ticket_notify_message_rel", "ticket_id", "message_id",
        string="Mails to Notify", copy=False, readonly=True,
    )

    def init(self):
        super().init()
        # the notification job reads the (few) flagged tickets only
        tools.create_index(
            self.env.cr, "helpdesk_ticket_notify_pending_index", self._table, ["id"], where="notify_pending",
        )

    @api.model
    def _job_crons(self):
        return dict(
            super()._job_crons(),
            notify_pending="helpdesk_mail_gateway.ir_cron_helpdesk_notify_received",
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
        # a job flag, not a change of the ticket (no write date, no automation, no
        # tracking): one statement links the mail and flags the ticket
        self.flush_recordset(["notify_pending", "notify_message_ids"])
        self.env.cr.execute(SQL(
            """WITH linked AS (
                   INSERT INTO helpdesk_ticket_notify_message_rel (ticket_id, message_id)
                   VALUES (%(ticket)s, %(message)s) ON CONFLICT DO NOTHING
               )
               UPDATE helpdesk_ticket SET notify_pending = true WHERE id = %(ticket)s""",
            ticket=self.id, message=message.id,
        ))
        self.invalidate_recordset(["notify_pending", "notify_message_ids"])
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
