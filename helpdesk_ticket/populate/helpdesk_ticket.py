"""Fill a database with tickets at ``small`` / ``medium`` / ``large`` scale.

Odoo 18 dropped the factory-based populate framework of earlier versions: its
``odoo-bin populate --models M --factors N`` duplicates existing records with one
``INSERT ... SELECT`` per table (``odoo.tools.populate``). Tickets are therefore
made in two steps:

1. a seed of up to ``_populate_orm_limit`` tickets is created through
   ``helpdesk.ticket.create`` from ``_populate_factories``, so routing rules,
   assignment, SLA lines and chatter are the real ones, and most are closed;
2. when the size asks for more, the seed is multiplied with Odoo's own
   duplication engine (creation dates spread over the past years), and the
   copies get their customer message and agent reply (and SLA lines, see
   ``_populate_after_duplicate``) in set-based SQL.

Run with ``python3 -m bench.populate -c odoo.conf -d DB --size large`` (see
BENCHMARKS.md), or duplicate what a database holds with Odoo's command:
``python3 -m odoo populate -c odoo.conf -d DB --models helpdesk.ticket --factors 10``."""
import logging
import math
import random

from odoo import api, models
from odoo.tools import SQL
from odoo.tools.populate import populate_models

_logger = logging.getLogger(__name__)


def restore_duplicated_emails(cr, table, column):
    """Odoo's duplication engine makes searchable char columns unique by appending
    ``_<copy>`` (``x@example.com_3``): give the copies their real address back,
    so that lookups by email mean something. Only that suffix is removed (an
    address never ends with ``_<digits>``; ``john_doe@x.com`` is left intact)."""
    cr.execute(SQL(
        "UPDATE %(table)s SET %(column)s = regexp_replace(%(column)s, '(_[0-9]*)+$', '') "
        "WHERE %(column)s ~ '_[0-9]*$'",
        table=SQL.identifier(table), column=SQL.identifier(column),
    ))

SUBJECTS = [
    "Cannot log in to my account",
    "Invoice {i} shows the wrong amount",
    "Password reset link expired",
    "Printer on floor {i} does not print",
    "Delivery {i} arrived damaged",
    "How do I export my data?",
    "Application crashes when saving",
    "Request for a refund of order {i}",
]


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    _populate_sizes = {"small": 1_000, "medium": 100_000, "large": 1_000_000}
    _populate_dependencies = ["res.partner", "helpdesk.department"]
    _populate_orm_limit = 1_000  # tickets created through the ORM before duplication takes over

    @api.model
    def _populate_customers(self, count=200):
        Partner = self.env["res.partner"]
        partners = Partner.search([("email", "!=", False), ("user_ids", "=", False)], limit=count)
        missing = count - len(partners)
        if missing > 0:
            partners |= Partner.create([
                {"name": f"Populated Customer {i}", "email": f"populated.customer{i}@example.com"}
                for i in range(len(partners), count)
            ])
        return partners

    @api.model
    def _populate_factories(self):
        departments = self.env["helpdesk.department"].search([])
        customers = self._populate_customers()
        channels = [c for c, _label in self._fields["channel"].selection]
        rnd = random.Random("helpdesk.ticket")
        return [
            ("name", lambda i: rnd.choice(SUBJECTS).format(i=i)),
            ("description", lambda i: f"<p>Generated ticket {i}. It stopped working this morning.</p>"),
            ("partner_id", lambda i: customers[i % len(customers)].id),
            ("department_id", lambda i: departments[i % len(departments)].id if departments else False),
            ("priority", lambda i: rnd.choices(["0", "1", "2", "3"], weights=[20, 55, 20, 5])[0]),
            ("channel", lambda i: rnd.choice(channels)),
        ]

    @api.model
    def _populate(self, size):
        target = self._populate_sizes[size]
        seed_count = min(target, self._populate_orm_limit)
        factories = self._populate_factories()
        tickets = self.browse()
        for start in range(0, seed_count, 500):
            batch = [{field: gen(i) for field, gen in factories}
                     for i in range(start, min(seed_count, start + 500))]
            tickets |= self.create(batch)
            self._populate_conversation(tickets[-len(batch):])
            self.env.flush_all()
            _logger.info("populate helpdesk.ticket: %s/%s created through the ORM", len(tickets), seed_count)
        # most tickets of a helpdesk with history are closed
        rnd = random.Random("helpdesk.ticket.closing")
        to_close = tickets.filtered(lambda t: rnd.random() < 0.8)
        for department in to_close.department_id:
            batch = to_close.filtered(lambda t, d=department: t.department_id == d)
            stage = batch[:1]._closing_stage()
            if stage:
                batch.write({"stage_id": stage.id})
        self.env.flush_all()
        self.env.cr.execute("SELECT count(*) FROM helpdesk_ticket")
        total = self.env.cr.fetchone()[0]
        if target > total:
            self._populate_duplicate(tickets, math.ceil(target / total) - 1)
        return tickets

    def _populate_conversation(self, tickets):
        """A customer message and an agent reply on each ticket (batch create)."""
        comment = self.env.ref("mail.mt_comment").id
        vals = []
        for ticket in tickets:
            vals.append({"model": self._name, "res_id": ticket.id, "message_type": "comment",
                         "subtype_id": comment, "author_id": ticket.partner_id.id,
                         "body": "<p>Any news? It still does not work.</p>"})
            if ticket.user_id:
                vals.append({"model": self._name, "res_id": ticket.id, "message_type": "comment",
                             "subtype_id": comment, "author_id": ticket.user_id.partner_id.id,
                             "body": "<p>We are looking into it and will come back to you.</p>"})
        self.env["mail.message"].create(vals)

    def _populate_duplicate(self, seed, factor):
        """Multiply the ticket table ``factor`` times with Odoo's duplication engine, then
        give the copies their conversation in SQL."""
        self.env.cr.execute("SELECT coalesce(max(id), 0) FROM helpdesk_ticket")
        last_id = self.env.cr.fetchone()[0]
        populate_models({self.with_context(active_test=False): factor}, ord("_"))
        self.env.flush_all()
        self.env.invalidate_all()
        cr = self.env.cr
        restore_duplicated_emails(cr, "helpdesk_ticket", "partner_email")
        comment = self.env.ref("mail.mt_comment").id
        cr.execute("""
            INSERT INTO mail_message (model, res_id, message_type, subtype_id, author_id, body, date,
                                      create_uid, create_date, write_uid, write_date)
            SELECT 'helpdesk.ticket', t.id, 'comment', %(comment)s, t.partner_id,
                   '<p>Any news? It still does not work.</p>', t.create_date + interval '1 hour',
                   1, t.create_date, 1, t.create_date
              FROM helpdesk_ticket t WHERE t.id > %(last)s
            UNION ALL
            SELECT 'helpdesk.ticket', t.id, 'comment', %(comment)s, u.partner_id,
                   '<p>We are looking into it and will come back to you.</p>', t.create_date + interval '3 hours',
                   1, t.create_date, 1, t.create_date
              FROM helpdesk_ticket t JOIN res_users u ON u.id = t.user_id WHERE t.id > %(last)s
        """, {"comment": comment, "last": last_id})
        self._populate_after_duplicate(last_id)
        cr.execute("ANALYZE helpdesk_ticket")
        cr.execute("ANALYZE mail_message")
        _logger.info("populate helpdesk.ticket: duplicated %s tickets %s times", len(seed), factor)

    @api.model
    def _populate_after_duplicate(self, last_id):
        """Hook: complete the tickets with ``id > last_id`` made by duplication (SLA lines...)."""
        return True
