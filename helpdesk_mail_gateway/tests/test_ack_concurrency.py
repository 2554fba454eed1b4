"""The acknowledgement job on two cron workers at once, and next to an agent saving a
ticket, in real, separate transactions. The records are committed (a test
transaction is invisible to another connection) and removed at the end."""

from datetime import timedelta

from odoo import fields
from odoo.tests.common import tagged

from odoo.addons.helpdesk_ticket.tests.common import CommittedCase


@tagged("post_install", "-at_install")
class TestAcknowledgementConcurrency(CommittedCase):
    def _job(self, cr, **kwargs):
        return self._env(cr)["helpdesk.ticket"]._cron_send_acknowledgements(**kwargs)

    def setUp(self):
        super().setUp()
        self.started = fields.Datetime.now()
        self._drain()
        with self._cursor() as cr:
            env = self._env(cr)
            partners = env["res.partner"].create([
                {"name": f"Ack Concurrency {i}", "email": f"ack.concurrency.{i}@example.com"} for i in range(4)
            ])
            department = env["helpdesk.department"].create({"name": "Ack concurrency"})
            tickets = env["helpdesk.ticket"].create([
                {"name": f"Ack concurrency {i}", "channel": "api", "department_id": department.id,
                 "partner_id": partner.id}
                for i, partner in enumerate(partners)
            ])
            self.ids = {"partners": partners.ids, "department": department.id, "tickets": tickets.ids}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self._cursor() as cr:
            env = self._env(cr)
            # the wake-ups the committed runs asked for: no cron thread of this process
            # must pick them up during the next tests
            env["ir.cron.trigger"].search([
                ("cron_id", "in", [env.ref("helpdesk_mail_gateway.ir_cron_helpdesk_acknowledge").id,
                                   env.ref("mail.ir_cron_mail_scheduler_action").id]),
                ("create_date", ">=", self.started),
            ]).unlink()
            tickets = env["helpdesk.ticket"].browse(self.ids["tickets"])
            env["mail.mail"].search([("model", "=", "helpdesk.ticket"), ("res_id", "in", tickets.ids)]).unlink()
            tickets.unlink()
            env["helpdesk.department"].browse(self.ids["department"]).unlink()
            env["res.partner"].browse(self.ids["partners"]).unlink()

    def _acks(self):
        """Acknowledgements posted per ticket, and the tickets still waiting."""
        with self._cursor() as cr:
            cr.execute("""
                SELECT t.id, count(m.id), bool_or(t.ack_pending)
                  FROM helpdesk_ticket t
                  LEFT JOIN mail_message m
                    ON m.model = 'helpdesk.ticket' AND m.res_id = t.id AND m.message_type = 'auto_comment'
                 WHERE t.id IN %s
                 GROUP BY t.id ORDER BY t.id
            """, [tuple(self.ids["tickets"])])
            rows = cr.fetchall()
        return [count for _id, count, _pending in rows], [pending for _id, _count, pending in rows]

    def test_two_workers_share_the_tickets(self):
        with self._cursor() as cr1, self._cursor() as cr2:
            # worker 1 takes a batch of two and is still working (not committed)
            self.assertEqual(self._job(cr1, batch_size=2), 2)
            # worker 2 at the same moment: the two others, without waiting for worker 1
            cr2.execute("SET LOCAL lock_timeout = '5s'")
            self.assertEqual(self._job(cr2), 2)
            cr2.commit()
            cr1.commit()
            self.assertEqual(self._job(cr2), 0, "nothing left, nothing sent twice")
            cr2.commit()
        self.assertEqual(self._acks(), ([1, 1, 1, 1], [False] * 4))

    def test_customer_locked_elsewhere_is_left_for_the_next_run(self):
        """A concurrency error is not a broken template: that ticket stays flagged,
        without a note, and the others are acknowledged."""
        with self._cursor() as other, self._cursor() as worker:
            # another transaction is updating the customer of the first ticket
            other.execute("UPDATE res_partner SET comment = 'busy' WHERE id = %s", [self.ids["partners"][0]])
            worker.execute("SET LOCAL lock_timeout = '1s'")
            self.assertEqual(self._job(worker), 3)
            worker.commit()
            other.rollback()
        self.assertEqual(self._acks(), ([0, 1, 1, 1], [True, False, False, False]))
        with self._cursor() as cr:
            notes = self._env(cr)["mail.message"].search_count([
                ("model", "=", "helpdesk.ticket"), ("res_id", "=", self.ids["tickets"][0]),
                ("body", "ilike", "could not be sent"),
            ])
        self.assertFalse(notes)
        with self._cursor() as worker:
            self.assertEqual(self._job(worker), 1)
        self.assertEqual(self._acks(), ([1, 1, 1, 1], [False] * 4))

    def test_ticket_being_saved_is_left_for_later(self):
        first = self.ids["tickets"][0]
        with self._cursor() as agent, self._cursor() as worker:
            # an agent saves the first ticket: its row is locked until their commit
            agent.execute("UPDATE helpdesk_ticket SET priority = '2' WHERE id = %s", [first])
            worker.execute("SET LOCAL lock_timeout = '5s'")
            self.assertEqual(self._job(worker), 3, "the others are acknowledged without waiting")
            worker.commit()
            self.assertEqual(self._acks(), ([0, 1, 1, 1], [True, False, False, False]))
            # only the locked ticket is left: the job looks again a minute later
            cron = self._env(worker).ref("helpdesk_mail_gateway.ir_cron_helpdesk_acknowledge")
            before = fields.Datetime.now()
            self.assertEqual(self._job(worker), 0)
            worker.commit()
            triggers = self._env(worker)["ir.cron.trigger"].search([
                ("cron_id", "=", cron.id), ("call_at", ">=", before + timedelta(seconds=50)),
            ])
            self.assertTrue(triggers, "a new run is planned")
            triggers.unlink()
            worker.commit()
            agent.commit()
            self.assertEqual(self._job(worker), 1)
            worker.commit()
        self.assertEqual(self._acks(), ([1, 1, 1, 1], [False] * 4))
