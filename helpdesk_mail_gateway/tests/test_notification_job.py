"""The scheduled-notification job that tells followers about received mails: batches,
one broken notification holds back no other, nothing is lost."""
import json
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from .common import MailGatewayCommon


@tagged("post_install", "-at_install", "helpdesk_mail")
class TestNotificationJob(MailGatewayCommon):

    def _customer_reply(self, ticket, agent_message, fixture="21_reply_thunderbird_de.eml"):
        self.process(fixture, in_reply_to=agent_message.message_id, number=ticket.number)
        return self.env["mail.message.schedule"].sudo().search([("mail_message_id.res_id", "=", ticket.id)])

    def test_a_broken_notification_holds_back_no_other(self):
        self.agent_a.notification_type = "email"
        first, first_message = self.make_reply_target(user_id=self.agent_a.id)
        second, second_message = self.make_reply_target(user_id=self.agent_a.id, name="Second printer")
        broken = self._customer_reply(first, first_message)
        sound = self._customer_reply(second, second_message, fixture="20_reply_references_only.eml")
        self.assertEqual((len(broken), len(sound)), (1, 1))
        # a notification whose parameters no longer make sense (e.g. written by an old version)
        broken.notification_parameters = json.dumps({"no_such_parameter": True})
        sound_message = sound.mail_message_id

        later = fields.Datetime.now() + timedelta(seconds=2)
        logger = "odoo.addons.helpdesk_mail_gateway.models.mail_message_schedule"
        with freeze_time(later), self.assertLogs(logger, level="ERROR") as logs:
            self.env["mail.message.schedule"].sudo()._send_notifications_cron()
        self.assertIn(str(broken.mail_message_id.id), logs.output[0])
        self.assertFalse(sound.exists(), "the sound notification is sent")
        self.assertTrue(self.env["mail.mail"].sudo().search([("mail_message_id", "=", sound_message.id)]))
        self.assertTrue(broken.exists(), "the broken one is kept, not lost")
        # postponed to the job's hourly run: the next runs do not retry it at once
        self.assertGreaterEqual(broken.scheduled_datetime, later + timedelta(minutes=59))
        with freeze_time(later + timedelta(seconds=5)), self.assertNoLogs(logger, level="ERROR"):
            self.env["mail.message.schedule"].sudo()._send_notifications_cron()
        with freeze_time(later + timedelta(hours=1, seconds=1)), self.assertLogs(logger, level="ERROR"):
            self.env["mail.message.schedule"].sudo()._send_notifications_cron()
        self.assertTrue(broken.exists(), "still kept")

    def test_not_due_yet_is_left(self):
        ticket, agent_message = self.make_reply_target(user_id=self.agent_a.id)
        schedule = self._customer_reply(ticket, agent_message)
        self.env["mail.message.schedule"].sudo()._send_notifications_cron()
        self.assertTrue(schedule.exists(), "due one second after the mail")
