import email
import email.policy

import psycopg2.errors

from unittest.mock import patch

from odoo.tests import tagged

from .common import MailGatewayCommon, read_fixture


@tagged("post_install", "-at_install")
class TestTransientErrors(MailGatewayCommon):
    """A delivery that fails on a transient database error is retried by the sender
    (Odoo's request retry, the MTA, the next IMAP fetch): the customer must not get
    a bounce for it, and the department's alias must not be marked invalid."""

    def _bounce_after(self, error):
        alias = self.department_a.alias_id
        message = email.message_from_bytes(read_fixture("01_plain_text.eml"), policy=email.policy.SMTP)
        message_dict = self.env["mail.thread"].message_parse(message)
        try:
            raise error
        except Exception:  # noqa: BLE001 - the gateway bounces from inside its handler
            alias._alias_bounce_incoming_email(message, message_dict, set_invalid=True)
        alias.invalidate_recordset(["alias_status"])
        return alias.alias_status

    def test_serialization_failure_is_not_bounced(self):
        for error in (
            psycopg2.errors.SerializationFailure("could not serialize access"),
            psycopg2.errors.DeadlockDetected("deadlock detected"),
        ):
            with self.subTest(error=type(error).__name__):
                self.assertNotEqual(self._bounce_after(error), "invalid")

    def test_real_error_is_held_not_bounced(self):
        """Any other error: the mail is held for the managers (who may bounce it);
        the department's address stays valid."""
        self.assertNotEqual(self._bounce_after(ValueError("broken")), "invalid")
        timeout = psycopg2.errors.QueryCanceled("canceling statement due to statement timeout")
        self.assertNotEqual(self._bounce_after(timeout), "invalid")
        self.assertFalse(self.env["mail.mail"].search([("email_to", "ilike", "nina.new@newcorp.example")]))

    def test_transient_error_while_processing_is_raised_for_a_retry(self):
        """A conflict while routing the mail: nothing is kept, nothing held, the
        error reaches the mail server so that the same delivery is tried again."""
        Thread = type(self.env["mail.thread"])

        def conflict(records, *args, **kwargs):
            raise psycopg2.errors.SerializationFailure("could not serialize access")

        with self.assertRaises(psycopg2.errors.SerializationFailure), \
                patch.object(Thread, "_helpdesk_rewrite_routes", conflict):
            self.process("01_plain_text.eml")
        self.assertFalse(self.env["helpdesk.mail.held"].search([("message_id", "=", "<fx01@newcorp.example>")]))
        self.assertFalse(self.env["mail.message"].search([("message_id", "=", "<fx01@newcorp.example>")]))
