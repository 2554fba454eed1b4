import logging
import time
from email.message import EmailMessage
from email.utils import formatdate

from odoo.tests import tagged

from .common import MailGatewayCommon

_logger = logging.getLogger(__name__)

# SQL queries of the transaction of one mail (the gateway, then the flush and the
# commit-time hooks), all addons installed: routing, assignment, SLA lines,
# acknowledgement flag, deferred notifications. Keep them or lower them (were 80 and
# 52 before the per-worker caches of issue 16; 72 and 51 before the SLA policies kept
# as plain values, one trigger for every job a mail wakes, the notification flag and
# the Message-Id receipt without their own write or savepoint); measured with every addon
# of the repository installed (60 and 45 with the seven addons of issue 16).
NEW_MAIL_QUERIES = 61
REPLY_QUERIES = 46


@tagged("post_install", "-at_install", "helpdesk_mail", "is_query_count")
class TestMailIntakeQueries(MailGatewayCommon):
    """Query counts of the intake of a new mail and of a customer reply: the aliases,
    the routing rules, the first stage, the SLA policies and working hours are read
    from the per-worker caches, not searched again for each mail."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.department_a.assignment_method = "round_robin"

    def _mail(self, message_id, subject, reply_to=None):
        """A mail of the customer, dated two minutes ago; a reply one minute ago (it is
        their last message: the same work for the warm-up and the measured reply,
        whatever second the test runs in; a date in the future would count as now)."""
        msg = EmailMessage()
        msg["Message-ID"] = message_id
        msg["From"] = f"Carla Customer <{self.customer.email}>"
        msg["To"] = "hd-support@hd-test.example"
        msg["Subject"] = subject
        msg["Date"] = formatdate(time.time() - (60 if reply_to else 120), localtime=False)
        if reply_to:
            msg["In-Reply-To"] = reply_to
            msg["References"] = reply_to
        msg.set_content("Hello,\n\nThe printer of the second floor does not print.\n")
        return msg.as_bytes()

    def _intake(self, raw):
        before = self.cr.sql_log_count
        result = self.env["mail.thread"].message_process(False, raw)
        self.env.flush_all()
        self.cr.flush()  # commit-time hooks: the jobs woken
        return result, self.cr.sql_log_count - before

    def test_new_mail_and_reply_queries(self):
        # a first mail and its reply fill the per-worker caches
        first, _count = self._intake(self._mail("<perf-warm@client.example>", "Warm-up"))
        self._intake(self._mail("<perf-warm-re@client.example>", "Re: Warm-up", "<perf-warm@client.example>"))
        self.env.invalidate_all()
        with self.assertQueryCount(NEW_MAIL_QUERIES):
            ticket_id, count = self._intake(self._mail("<perf-new@client.example>", "Printer down"))
        _logger.info("intake of a new mail: %d queries", count)
        ticket = self.Ticket.browse(ticket_id)
        self.assertEqual(ticket.department_id, self.department_a)
        self.assertTrue(ticket.user_id, "assigned at intake")
        self.assertTrue(ticket.ack_pending, "acknowledged by the job")
        self.assertEqual(ticket.partner_id, self.customer)
        self.env.invalidate_all()
        with self.assertQueryCount(REPLY_QUERIES):
            reply_to, count = self._intake(
                self._mail("<perf-reply@client.example>", "Re: Printer down", "<perf-new@client.example>")
            )
        _logger.info("intake of a reply: %d queries", count)
        self.assertEqual(reply_to, ticket.id)
        self.assertEqual(self.ticket_of("<perf-reply@client.example>"), ticket)
