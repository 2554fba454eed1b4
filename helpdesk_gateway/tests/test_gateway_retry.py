"""A transient delivery failure (the provider down: HTTP 503, 429, no connection) is tried
again by the outbox job after a growing delay, at most GATEWAY_RETRY_MAX_ATTEMPTS times; a
refusal (400, 403) is not; an agent's resend meanwhile sends the message once. OCA's
Telegram and WhatsApp connectors make their real HTTPS calls to the loopback API
(``common.GatewayCommon``), which answers the errors the tests set; time passes with
freezegun (the job compares the next attempt with the clock)."""
from datetime import timedelta

import requests
from freezegun import freeze_time
from markupsafe import Markup

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.base.models.ir_mail_server import MailDeliveryException
from odoo.addons.helpdesk_gateway.models.helpdesk_ticket import (
    GATEWAY_RETRY_DELAYS,
    GATEWAY_RETRY_MAX_ATTEMPTS,
    gateway_failure_reason,
    gateway_failure_transient,
    gateway_retry_after,
)

from odoo.addons.mail_gateway_line.tests.loopback import form_fields

from .common import GRAPH_HOST, GatewayCommon, graph_error
from .test_gateway_delivery import DeliveryCase

try:
    from telegram import error as telegram_error
except ImportError:  # pragma: no cover
    telegram_error = None


class RetryTests:
    """The tests of every app (a mixin of a ``DeliveryCase``, not collected by itself). What
    each app's test class gives: ``send_path`` (the request sending a text), ``down`` (a 503
    answer's body), ``refusals`` ({status: body}), ``sent_texts()``."""

    send_path = down = refusals = None

    def sent_texts(self):
        raise NotImplementedError

    def setUp(self):
        super().setUp()
        self.cron = self.env.ref("helpdesk_gateway.ir_cron_helpdesk_gateway_outbox")

    def _chat_ticket(self, token, text):
        ticket = self._ticket(token, text)
        ticket.gateway_ack_pending = False
        return ticket

    def _run_at(self, moment):
        """A run of the outbox job at ``moment`` (the clock frozen there, ticking)."""
        with freeze_time(moment, tick=True):
            self._deliver()

    def _failing_run(self, moment=None):
        """A run of the job while the provider fails: the connector logs its error."""
        with self.assertLogs("odoo.addons", "WARNING"):
            if moment:
                self._run_at(moment)
            else:
                self._deliver()

    def _has_error(self, message):
        """Odoo's failure icon on ``message``, as the agent sees it."""
        message.invalidate_recordset(["has_error"])
        return message.with_user(self.agent_a).has_error

    def _triggers_at(self, moment):
        return self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", self.cron.id), ("call_at", "=", moment)])

    def _assert_retry_pending(self, notification, attempts, since):
        self.assertEqual(notification.notification_status, "exception", "failed, with Odoo's failure icon")
        self.assertEqual(notification.failure_type, "unknown")
        self.assertTrue(notification.failure_reason)
        self.assertEqual(notification.gateway_attempt_count, attempts)
        delay = GATEWAY_RETRY_DELAYS[attempts - 1]
        self.assertTrue(since + delay <= notification.gateway_retry_date <= since + delay + timedelta(seconds=30),
                        f"attempt {attempts + 1} {delay} after attempt {attempts}")
        self.assertTrue(self._triggers_at(notification.gateway_retry_date), "the job runs when it is due")

    def test_down_then_up_is_delivered_by_the_job_after_the_delay(self):
        ticket = self._chat_ticket(self.token(1), "The app says error 17")
        self.stub.answer("POST", self.send_path, 503, self.down)
        start = fields.Datetime.now()
        reply = self._reply(ticket, Markup("<p>Please try again <b>now</b></p>"))
        self._failing_run()
        notification = self._gateway_notification(reply)
        self._assert_retry_pending(notification, 1, start)
        self.assertTrue(self._has_error(reply), "the failure icon")
        self.assertFalse(ticket.gateway_outbox_pending)
        self.assertEqual(len(self.sent_texts()), 1, "the failed attempt")

        self.stub.answers.clear()  # the provider is back: 200
        self._deliver()
        self.assertEqual(len(self.sent_texts()), 1, "not before the delay")
        self.assertEqual(notification.notification_status, "exception")

        self._run_at(notification.gateway_retry_date)
        self.assertEqual(self.sent_texts(), ["Please try again *now*"] * 2, "503, then delivered once")
        self.assertEqual(notification.notification_status, "sent")
        self.assertFalse(notification.failure_reason)
        self.assertFalse(notification.failure_type)
        self.assertFalse(notification.gateway_retry_date)
        self.assertTrue(notification.gateway_message_id)
        self.assertFalse(self._has_error(reply), "no failure icon")
        chat = ticket.gateway_channel_id
        self.assertEqual(len(chat.message_ids.filtered(lambda m: m.gateway_message_id == reply)), 1,
                         "shown once in the chat's conversation")

        self._run_at(fields.Datetime.now() + timedelta(hours=3))
        self.assertEqual(len(self.sent_texts()), 2, "nothing more")

    def test_refusal_is_not_retried(self):
        for number, (status, body) in enumerate(self.refusals.items(), start=2):
            with self.subTest(status=status):
                ticket = self._chat_ticket(self.token(number), "Hello")
                self.stub.requests.clear()
                self.stub.answer("POST", self.send_path, status, body)
                reply = self._reply(ticket, f"Refused with {status}")
                with self.assertLogs("odoo.addons", "ERROR"):
                    self._deliver()
                notification = self._gateway_notification(reply)
                self.assertEqual(notification.notification_status, "exception")
                self.assertEqual(notification.gateway_attempt_count, 1)
                self.assertFalse(notification.gateway_retry_date, "no automatic attempt")
                self.assertTrue(notification.failure_reason)
                self.stub.answers.clear()
                self._run_at(fields.Datetime.now() + timedelta(hours=3))
                self.assertEqual(len(self.sent_texts()), 1, "tried once")
                self.assertEqual(notification.notification_status, "exception", "left for the agent to resend")

    def test_transient_failures_stop_after_the_last_attempt(self):
        ticket = self._chat_ticket(self.token(4), "Is anybody there?")
        self.stub.answer("POST", self.send_path, 503, self.down)
        reply = self._reply(ticket, "We are looking into it")
        notification = self._gateway_notification(reply)
        moment = fields.Datetime.now()
        self._failing_run()
        for attempt in range(1, GATEWAY_RETRY_MAX_ATTEMPTS):
            self._assert_retry_pending(notification, attempt, moment)
            moment = notification.gateway_retry_date
            self._failing_run(moment)
        self.assertEqual(len(self.sent_texts()), GATEWAY_RETRY_MAX_ATTEMPTS)
        self.assertEqual(notification.notification_status, "exception", "left failed")
        self.assertEqual(notification.gateway_attempt_count, GATEWAY_RETRY_MAX_ATTEMPTS, "the attempts shown")
        self.assertFalse(notification.gateway_retry_date, "no automatic attempt left")
        self.assertIn(self.down_reason, notification.failure_reason, "the provider's reason")
        self.assertTrue(self._has_error(reply), "the failure icon")
        self.assertIn("We are looking into it", reply.body, "the message is kept")

        self.stub.answers.clear()
        self._run_at(moment + timedelta(hours=6))
        self.assertEqual(len(self.sent_texts()), GATEWAY_RETRY_MAX_ATTEMPTS, "not tried again by itself")
        # the agent sees the attempts in the resend wizard (the failure icon), and resends
        wizard = self.env["mail.resend.message"].with_user(self.agent_a).with_context(
            mail_message_to_resend=reply.id).create({})
        self.assertEqual(wizard.gateway_notification_ids.gateway_attempt_count, GATEWAY_RETRY_MAX_ATTEMPTS)
        wizard.resend_mail_action()
        self._deliver()
        self.assertEqual(notification.notification_status, "sent")
        self.assertEqual(len(self.sent_texts()), GATEWAY_RETRY_MAX_ATTEMPTS + 1)

    def test_manual_resend_during_a_pending_retry_sends_once(self):
        ticket = self._chat_ticket(self.token(5), "Where is my order?")
        self.stub.answer("POST", self.send_path, 503, self.down)
        reply = self._reply(ticket, "It leaves today")
        self._failing_run()
        notification = self._gateway_notification(reply)
        retry_date = notification.gateway_retry_date
        self.assertTrue(retry_date)

        self.stub.answers.clear()
        self._resend(reply)  # before the automatic attempt
        self.assertEqual(notification.notification_status, "ready")
        self.assertEqual(notification.gateway_attempt_count, 0, "a new series of attempts")
        self.assertFalse(notification.gateway_retry_date, "the automatic attempt is dropped")
        self._deliver()
        self.assertEqual(notification.notification_status, "sent")
        self._run_at(retry_date)  # when the automatic attempt was due
        self._run_at(retry_date + timedelta(hours=2))
        self.assertEqual(self.sent_texts(), ["It leaves today"] * 2, "the failed attempt, then sent once")
        chat = ticket.gateway_channel_id
        self.assertEqual(len(chat.message_ids.filtered(lambda m: m.gateway_message_id == reply)), 1)

    def test_resend_while_requeued_or_sent_does_nothing_more(self):
        """The agent's resend saved after the job took the message (the wizard was opened on
        the failed message; Odoo runs the resend again after its serialization failure):
        the message is queued or sent, the resend leaves it."""
        ticket = self._chat_ticket(self.token(6), "Still waiting")
        self.stub.answer("POST", self.send_path, 503, self.down)
        reply = self._reply(ticket, "On its way")
        self._failing_run()
        notification = self._gateway_notification(reply)
        wizard = self.env["mail.resend.message"].with_user(self.agent_a).with_context(
            mail_message_to_resend=reply.id).create({})
        self.stub.answers.clear()
        self._run_at(notification.gateway_retry_date)
        self.assertEqual(notification.notification_status, "sent")
        wizard.resend_mail_action()
        self.assertEqual(notification.notification_status, "sent")
        self.assertFalse(ticket.gateway_outbox_pending)
        self._deliver()
        self.assertEqual(len(self.sent_texts()), 2, "the failed attempt, then sent once")

    def test_resend_needs_the_right_to_write_the_ticket(self):
        """An agent who may not write the ticket (another department's, members only, and
        not a follower) neither resends its failed delivery nor drops or resets its pending
        attempt."""
        ticket = self._chat_ticket(self.token(7), "Private matter")
        self.stub.answer("POST", self.send_path, 503, self.down)
        reply = self._reply(ticket, "We will call you")
        self._failing_run()
        notification = self._gateway_notification(reply)
        retry_date = notification.gateway_retry_date
        ticket.sudo().write({"department_id": self.department_b.id, "user_id": False})
        self.assertFalse(ticket.with_user(self.agent_a2).has_access("write"))
        with self.assertRaises(AccessError):
            wizard = self.env["mail.resend.message"].with_user(self.agent_a2).with_context(
                mail_message_to_resend=reply.id).create({})
            wizard.resend_mail_action()
        self.assertEqual(notification.notification_status, "exception")
        self.assertEqual(notification.gateway_attempt_count, 1)
        self.assertEqual(notification.gateway_retry_date, retry_date)
        self.assertFalse(ticket.gateway_outbox_pending)


@tagged("post_install", "-at_install")
class TestTelegramRetry(RetryTests, DeliveryCase):
    app = "telegram"
    down = {"ok": False, "error_code": 503, "description": "Service Unavailable"}
    down_reason = "Service Unavailable"
    refusals = {
        400: {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
        403: {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    }

    def setUp(self):
        super().setUp()
        self.send_path = f"/bot{self.telegram.token}/sendMessage"

    def token(self, number):
        return 720000 + number

    def sent_texts(self):
        return [form_fields(r)["text"] for r in self.stub.telegram_calls("sendMessage")]


@tagged("post_install", "-at_install")
class TestWhatsappRetry(RetryTests, DeliveryCase):
    app = "whatsapp"
    down = graph_error("Service temporarily unavailable", 2)
    down_reason = "Service temporarily unavailable"
    refusals = {
        400: graph_error("(#131047) Re-engagement message", 131047),
        403: graph_error("(#10) Application does not have permission for this action", 10),
    }

    def setUp(self):
        super().setUp()
        self.send_path = f"/v{self.whatsapp.whatsapp_version}/{self.whatsapp.whatsapp_from_phone}/messages"

    def token(self, number):
        return f"98912122{number:04d}"

    def sent_texts(self):
        return [r["json"]["text"]["body"] for r in self.stub.requests_to("POST", self.send_path, host=GRAPH_HOST)]


@tagged("post_install", "-at_install")
class TestFailureClassification(GatewayCommon):
    """Which errors of the connectors are transient (tried again) or refusals."""

    def _http_error(self, status):
        response = requests.Response()
        response.status_code = status
        response._content = b"{}"
        return requests.HTTPError(f"{status} Error", response=response)

    def _raised(self, error, text="Unable to send the message"):
        """``error`` as a connector raises it: a MailDeliveryException from it."""
        try:
            try:
                raise error
            except Exception as exc:
                raise MailDeliveryException(text) from exc
        except MailDeliveryException as raised:
            return raised

    def test_transient_or_refused(self):
        cases = [
            (requests.ConnectionError("Connection refused"), True),
            (requests.Timeout("Read timed out"), True),
            (self._http_error(429), True),
            (self._http_error(500), True),
            (self._http_error(503), True),
            (self._http_error(400), False),
            (self._http_error(401), False),
            (self._http_error(403), False),
            (self._http_error(404), False),
            (UserError("Mimetype is not valid"), False),
        ]
        for error, transient in cases:
            with self.subTest(error=repr(error)):
                self.assertIs(gateway_failure_transient(self._raised(error)), transient)
        busy = self._http_error(429)
        busy.response.headers["Retry-After"] = "120"
        self.assertEqual(gateway_retry_after(self._raised(busy)), timedelta(minutes=2))
        self.assertIsNone(gateway_retry_after(self._raised(self._http_error(503))))

    def test_telegram_errors(self):
        if not telegram_error:
            self.skipTest("python-telegram-bot not installed")
        cases = [
            (telegram_error.RetryAfter(5), True),
            (telegram_error.TimedOut(), True),
            (telegram_error.NetworkError("Service Unavailable (503)"), True),
            (telegram_error.BadRequest("Bad Request: chat not found"), False),
            (telegram_error.Forbidden("Forbidden: bot was blocked by the user"), False),
            (telegram_error.InvalidToken("Unauthorized"), False),
        ]
        for error, transient in cases:
            with self.subTest(error=repr(error)):
                # OCA's Telegram connector: MailDeliveryException(text, error) from None
                raised = MailDeliveryException("Unable to send the telegram message", error)
                self.assertIs(gateway_failure_transient(raised), transient)
        # Telegram's flood control: its delay when longer than the next attempt's
        raised = MailDeliveryException("Unable to send the telegram message", telegram_error.RetryAfter(600))
        self.assertEqual(gateway_retry_after(raised), timedelta(minutes=10))
        raised = MailDeliveryException("Unable to send the telegram message",
                                       telegram_error.Forbidden("Forbidden: bot was blocked by the user"))
        self.assertIsNone(gateway_retry_after(raised))
        self.assertEqual(gateway_failure_reason(raised),
                         "Unable to send the telegram message: Forbidden: bot was blocked by the user")
