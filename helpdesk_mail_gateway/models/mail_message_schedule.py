import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

SCHEDULE_CRON_XMLID = "mail.ir_cron_send_scheduled_message"
#: scheduled notifications sent per transaction of the job
NOTIFY_BATCH_SIZE = 200
#: a notification that failed (not a conflict) is tried again by the job's hourly run
BROKEN_RETRY_DELAY = timedelta(hours=1)


class MailMessageSchedule(models.Model):
    _inherit = "mail.message.schedule"

    @api.model
    def _send_notifications_cron(self):
        """Odoo's scheduled-notification job, which tells the followers of every mail
        received by the helpdesk, made safe under several workers:

        * the due notifications are taken in batches (oldest first) and locked
          (``FOR UPDATE SKIP LOCKED``): a message edited (hence notified) by a user
          at the same moment is not notified twice;
        * each one is sent in its own savepoint: one in conflict with another
          transaction (a serialization failure on a customer whose portal access
          another job is writing) is sent again a few seconds later, in a new
          transaction, instead of failing the whole run, whose triggers would be
          spent (the rest would wait for the hourly run);
        * one that fails for another reason is logged and kept, without holding
          back the others, and postponed by an hour (the job's hourly run tries it
          again) rather than left due, which would keep a cron worker busy
          retrying it."""
        self.env.flush_all()
        Ticket = self.env["helpdesk.ticket"]
        schedules = self.browse(Ticket._helpdesk_job_lock(SQL(
            """
            SELECT id FROM mail_message_schedule
             WHERE scheduled_datetime <= %s
             ORDER BY scheduled_datetime, id
             LIMIT %s
               FOR UPDATE SKIP LOCKED
            """,
            fields.Datetime.now(), NOTIFY_BATCH_SIZE,
        ), SCHEDULE_CRON_XMLID))
        if not schedules:
            return
        _logger.info("Send %s scheduled messages", len(schedules))
        retry = False
        broken = self.browse()
        for schedule in schedules:
            error = Ticket._helpdesk_job_step(schedule._send_notifications)
            if isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                retry = True
            elif error:
                _logger.error("The notification of message %s could not be sent: %s",
                              schedule.mail_message_id.id, error)
                broken |= schedule
        broken.write({"scheduled_datetime": fields.Datetime.now() + BROKEN_RETRY_DELAY})
        if retry:
            Ticket._helpdesk_job_retry_soon(SCHEDULE_CRON_XMLID)
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "SELECT count(*) FROM mail_message_schedule WHERE scheduled_datetime <= %s", fields.Datetime.now()
        ))
        remaining = self.env.cr.fetchone()[0]
        # the framework runs the next batch at once while due notifications remain
        self.env["ir.cron"]._notify_progress(done=len(schedules - broken), remaining=0 if retry else remaining)
