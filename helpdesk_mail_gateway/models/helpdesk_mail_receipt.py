from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models


class HelpdeskMailReceipt(models.Model):
    """One row per incoming Message-Id being or having been processed by the gateway.

    The unique index makes two workers receiving the same mail at the same moment (the MTA
    piping one copy per department address, two mailboxes fetched in parallel) wait for
    each other: the second one gets a conflict and treats the mail as a duplicate, where
    Odoo's own search for an existing message could not see the first worker's
    uncommitted (or, in REPEATABLE READ, not yet visible) message."""

    _name = "helpdesk.mail.receipt"
    _description = "Incoming Mail Receipt"
    _log_access = False
    _order = "id desc"
    _rec_name = "message_id"

    message_id = fields.Char("Message-Id", required=True, readonly=True)
    received_on = fields.Datetime("Received on", required=True, readonly=True, default=fields.Datetime.now)

    _sql_constraints = [
        ("message_id_uniq", "unique (message_id)", "A Message-Id is received once."),
    ]

    @api.model
    def _claim(self, message_id):
        """Record the Message-Id for this transaction; False when another transaction
        processed it concurrently (that transaction's result wins).

        The caller runs it first in the savepoint of the mail's processing: a
        concurrent claim is a database error that aborts that savepoint, which the
        caller then rolls back before anything else of the mail was done (no
        savepoint of its own, two queries less per mail)."""
        try:
            self.env.cr.execute(
                """INSERT INTO helpdesk_mail_receipt (message_id, received_on)
                   VALUES (%s, NOW() AT TIME ZONE 'UTC')
                   ON CONFLICT (message_id) DO NOTHING""",
                [message_id],
                log_exceptions=False,
            )
        except (pg_errors.SerializationFailure, pg_errors.UniqueViolation):
            return False
        return True

    @api.autovacuum
    def _gc_old_receipts(self):
        """Receipts only matter while a duplicate may still be in flight."""
        limit = fields.Datetime.now() - timedelta(days=90)
        self.env.cr.execute("DELETE FROM helpdesk_mail_receipt WHERE received_on < %s", [limit])
