"""Keys already taken on a messaging gateway: the provider's id of each delivered
update (a provider delivering the same update twice gives one message) and the claims
that make two workers agree on one chat and one ticket per chat."""
from odoo import api, fields, models
from odoo.tools import SQL


class HelpdeskGatewayReceipt(models.Model):
    _name = "helpdesk.gateway.receipt"
    _description = "Helpdesk Messaging Gateway Receipt"
    _order = "id desc"
    _log_access = False

    gateway_id = fields.Many2one("mail.gateway", required=True, ondelete="cascade", index=False)
    key = fields.Char(required=True)
    date = fields.Datetime(default=fields.Datetime.now, required=True)
    company_id = fields.Many2one(related="gateway_id.company_id", store=True)

    _sql_constraints = [
        ("gateway_key_unique", "UNIQUE(gateway_id, key)", "A gateway receives each key once."),
    ]

    @api.model
    def _claim(self, gateway, keys):
        """Insert the ``keys`` of ``gateway``; return the keys that were new.

        ``INSERT ... ON CONFLICT DO NOTHING`` on the unique index: a transaction
        inserting a key another one inserted and has not committed yet waits for it.
        When that one commits, PostgreSQL reports a serialization failure to the
        waiting one (Odoo's REPEATABLE READ: the conflicting row is not in its
        snapshot) and Odoo runs the request again, in a new transaction that sees the
        key and treats it as taken. So of two workers receiving the same update (or
        the first messages of one chat) at once, exactly one goes on."""
        keys = list(dict.fromkeys(str(key) for key in keys if key))
        if not keys:
            return []
        self.env.cr.execute(SQL(
            """
            INSERT INTO helpdesk_gateway_receipt (gateway_id, key, date, company_id)
            SELECT %(gateway)s, key, now() at time zone 'UTC', %(company)s FROM unnest(%(keys)s::varchar[]) AS key
            ON CONFLICT (gateway_id, key) DO NOTHING
            RETURNING key
            """,
            gateway=gateway.id, company=gateway.company_id.id or None, keys=keys,
        ))
        return [row[0] for row in self.env.cr.fetchall()]

    @api.autovacuum
    def _gc_receipts(self):
        """Delivery receipts serve while a provider may retry (hours); claims of chats
        and tickets (``chat:`` / ``ticket:`` keys) stay."""
        self.env.cr.execute(SQL(
            "DELETE FROM helpdesk_gateway_receipt WHERE key LIKE %s AND date < now() at time zone 'UTC' - interval '30 days'",
            "update:%",
        ))
