"""The outbox job sending a due retry and an agent resending the same message at that
moment, in real, separate, committed transactions (a test transaction is invisible to
another connection): the records are committed and removed at the end. LINE's connector
(its API URL a field) pushes to the loopback LINE API."""
from datetime import timedelta

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api, fields
from odoo.sql_db import db_connect
from odoo.tests.common import BaseCase, get_db_name, tagged

from odoo.addons.mail_gateway_line.tests.common import LineApiStub

LINE_USER = "U" + "c0ffee" * 5 + "00"


@tagged("post_install", "-at_install")
class TestRetryResendConcurrency(BaseCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stub = LineApiStub().start()
        cls.addClassCleanup(cls.stub.stop)

    def _cursor(self):
        return db_connect(get_db_name()).cursor()

    def _env(self, cr, uid=SUPERUSER_ID):
        return api.Environment(cr, uid, {"tracking_disable": True})

    def setUp(self):
        super().setUp()
        with self._cursor() as cr:
            env = self._env(cr)
            if "line" not in dict(env["mail.gateway"]._fields["gateway_type"].selection):
                self.skipTest("mail_gateway_line not installed")
            self.start = fields.Datetime.now()
            agent = env["res.users"].create({
                "name": "Retry concurrency agent", "login": "retry_concurrency_agent",
                "email": "retry.concurrency.agent@example.com",
                "groups_id": [(6, 0, [env.ref("helpdesk_ticket.group_helpdesk_agent").id])],
            })
            department = env["helpdesk.department"].create({
                "name": "Retry concurrency", "member_ids": [(6, 0, agent.ids)],
            })
            gateway = env["mail.gateway"].create({
                "name": "Retry concurrency LINE", "gateway_type": "line", "token": "retry-token",
                "webhook_key": "retry-concurrency", "webhook_secret": "retry-secret",
                "integrated_webhook_state": "integrated", "helpdesk_department_id": department.id,
                "line_api_url": self.stub.url, "line_api_data_url": self.stub.url,
            })
            customer = env["res.partner"].create({"name": "Retry concurrency customer"})
            env["res.partner.gateway.channel"].create({
                "name": "LINE", "partner_id": customer.id, "gateway_id": gateway.id, "gateway_token": LINE_USER,
            })
            chat = env["discuss.channel"].create({
                "name": "Retry concurrency chat", "channel_type": "gateway",
                "gateway_id": gateway.id, "gateway_channel_token": LINE_USER,
            })
            ticket = env["helpdesk.ticket"].create({
                "name": "Retry concurrency", "department_id": department.id, "partner_id": customer.id,
                "gateway_channel_id": chat.id, "channel": "line",
            })
            reply = ticket.with_user(agent).message_post(
                body=Markup("<p>Sent once</p>"), message_type="comment", subtype_xmlid="mail.mt_comment",
                partner_ids=customer.ids,
            )
            notification = reply.sudo().notification_ids.filtered(lambda n: n.notification_type == "gateway")
            self.assertEqual(len(notification), 1, "queued for the chat")
            # a first attempt failed for a transient reason; the next one is due
            notification.write({
                "notification_status": "exception", "failure_type": "unknown",
                "failure_reason": "LINE API 503: Service Unavailable", "gateway_attempt_count": 1,
                "gateway_retry_date": self.start - timedelta(minutes=1),
            })
            ticket.gateway_outbox_pending = False
            self.ids = {"agent": agent.id, "department": department.id, "gateway": gateway.id,
                        "customer": customer.id, "chat": chat.id, "ticket": ticket.id,
                        "reply": reply.id, "notification": notification.id}
        self.addCleanup(self._cleanup)
        self.stub.requests.clear()
        self.stub.answers.clear()

    def _cleanup(self):
        with self._cursor() as cr:
            env = self._env(cr)
            ticket = env["helpdesk.ticket"].browse(self.ids["ticket"])
            chat = env["discuss.channel"].browse(self.ids["chat"])
            env["mail.message"].search([
                "|", "&", ("model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id),
                "&", ("model", "=", "discuss.channel"), ("res_id", "=", chat.id),
            ]).unlink()
            ticket.unlink()
            chat.unlink()
            env["mail.gateway"].browse(self.ids["gateway"]).unlink()
            env["res.partner"].browse(self.ids["customer"]).unlink()
            env["helpdesk.department"].browse(self.ids["department"]).unlink()
            agent = env["res.users"].browse(self.ids["agent"])
            agent_partner = agent.partner_id
            agent.unlink()
            agent_partner.unlink()
            # the jobs' runs planned by this test (the outbox job's, and those the new ticket
            # and message woke): no cron thread must run them during the next tests
            env["ir.cron.trigger"].search([("create_date", ">=", self.start)]).unlink()

    def _resend(self, cr):
        """The agent's *Resend* (the failure icon's wizard, then *Send & close*)."""
        env = self._env(cr, self.ids["agent"])
        wizard = env["mail.resend.message"].with_context(mail_message_to_resend=self.ids["reply"]).create({})
        wizard.resend_mail_action()
        env.flush_all()
        return wizard

    def _status(self, cr):
        notification = self._env(cr)["mail.notification"].browse(self.ids["notification"])
        return notification.notification_status, notification.gateway_retry_date

    def test_resend_while_the_job_sends_the_retry(self):
        with self._cursor() as job_cr, self._cursor() as agent_cr, self._cursor() as waiting_cr:
            # the agent's transaction began before the job's run committed (the wizard read
            # the failed delivery)
            agent_env = self._env(agent_cr, self.ids["agent"])
            wizard = agent_env["mail.resend.message"].with_context(
                mail_message_to_resend=self.ids["reply"]).create({})
            self.assertEqual(wizard.gateway_notification_ids.ids, [self.ids["notification"]])
            # the job's run: the due retry queued again, pushed to LINE, not committed yet
            self._env(job_cr)["helpdesk.ticket"]._cron_gateway_outbox()
            self.assertEqual(len(self.stub.pushes()), 1)
            # an agent's resend meanwhile waits for the job's lock on the notification
            waiting_cr.execute("SET LOCAL lock_timeout = '2s'")
            with self.assertRaises(pg_errors.LockNotAvailable):
                self._resend(waiting_cr)
            waiting_cr.rollback()
            job_cr.commit()
            # once the run committed, the waiting resend fails on its outcome (Odoo runs the
            # request again) ...
            with self.assertRaises(pg_errors.SerializationFailure):
                wizard.resend_mail_action()
                agent_env.flush_all()
            agent_cr.rollback()
            # ... and the request run again finds the message sent: nothing to resend
            self.assertFalse(self._resend(agent_cr).gateway_notification_ids)
            agent_cr.commit()
            self.assertEqual(self._status(agent_cr), ("sent", False))
            self._env(job_cr)["helpdesk.ticket"]._cron_gateway_outbox()
            job_cr.commit()
        self.assertEqual(len(self.stub.pushes()), 1, "sent once")
        self.assertEqual(self.stub.pushes()[0]["json"]["messages"], [{"type": "text", "text": "Sent once"}])
