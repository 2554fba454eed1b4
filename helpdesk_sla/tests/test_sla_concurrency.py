"""Two cron workers at once, in real, separate transactions.

The records are committed (a test transaction is invisible to another
connection) and removed at the end."""

from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.sql_db import db_connect
from odoo.tests.common import BaseCase, get_db_name, tagged


@tagged("post_install", "-at_install")
class TestSlaConcurrency(BaseCase):
    def _cursor(self):
        return db_connect(get_db_name()).cursor()

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

    def setUp(self):
        super().setUp()
        with self._cursor() as cr:
            # lines already due in the database (demo data) are handled first
            while self._env(cr)["helpdesk.ticket.sla"]._cron_check() != (0, 0):
                cr.commit()
        with self._cursor() as cr:
            env = self._env(cr)
            self.manager = env["res.users"].create({
                "name": "SLA concurrency manager", "login": "sla_concurrency_manager",
                "groups_id": [(6, 0, [env.ref("helpdesk_ticket.group_helpdesk_manager").id])],
            })
            department = env["helpdesk.department"].create({
                "name": "SLA concurrency", "resource_calendar_id": False, "manager_id": self.manager.id,
            })
            policy = env["helpdesk.sla.policy"].create({
                "name": "SLA concurrency", "department_id": department.id, "priority": "0",
                "first_response_hours": 1, "resolution_hours": 10, "warning_percent": 50,
            })
            tickets = env["helpdesk.ticket"].create([
                {"name": f"Concurrent {i}", "department_id": department.id} for i in range(4)
            ])
            past = fields.Datetime.now() - timedelta(hours=2)
            # first response: past its deadline; resolution: past its warning only
            lines = tickets.sla_ids
            lines.filtered(lambda l: l.target == "first_response").write({"deadline": past, "warning_date": past})
            lines.filtered(lambda l: l.target == "resolution").write({"warning_date": past})
            self.ids = {"department": department.id, "policy": policy.id, "tickets": tickets.ids,
                        "user": self.manager.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self._cursor() as cr:
            env = self._env(cr)
            tickets = env["helpdesk.ticket"].browse(self.ids["tickets"])
            env["mail.message"].search([
                ("model", "=", "helpdesk.department"), ("res_id", "=", self.ids["department"]),
            ]).unlink()
            tickets.unlink()
            env["helpdesk.sla.policy"].browse(self.ids["policy"]).unlink()
            env["helpdesk.department"].browse(self.ids["department"]).unlink()
            env["res.users"].browse(self.ids["user"]).unlink()

    def _state(self, cr):
        env = self._env(cr)
        lines = env["helpdesk.ticket.sla"].search([("ticket_id", "in", self.ids["tickets"])])
        failed_notes = env["mail.message"].search_count([
            ("model", "=", "helpdesk.ticket"), ("res_id", "in", self.ids["tickets"]), ("body", "ilike", "SLA failed"),
        ])
        warning_notes = env["mail.message"].search_count([
            ("model", "=", "helpdesk.ticket"), ("res_id", "in", self.ids["tickets"]), ("body", "ilike", "SLA at risk"),
        ])
        return sorted(lines.mapped("status")), sum(lines.mapped("warning_sent")), failed_notes, warning_notes

    def test_two_workers(self):
        with self._cursor() as cr1, self._cursor() as cr2:
            # worker 1 takes the due lines and is still working (not committed)
            self.assertEqual(self._env(cr1)["helpdesk.ticket.sla"]._cron_check(), (4, 4))
            # worker 2 at the same moment: the locked lines are skipped, it does not wait
            cr2.execute("SET LOCAL lock_timeout = '5s'")
            self.assertEqual(self._env(cr2)["helpdesk.ticket.sla"]._cron_check(), (0, 0))
            cr2.rollback()
            cr1.commit()
            # worker 2 again, after worker 1 committed: nothing left to do
            self.assertEqual(self._env(cr2)["helpdesk.ticket.sla"]._cron_check(), (0, 0))
            cr2.commit()
        with self._cursor() as cr:
            statuses, warned, failed_notes, warning_notes = self._state(cr)
        self.assertEqual(statuses, ["failed"] * 4 + ["ongoing"] * 4)
        self.assertEqual(warned, 8)
        self.assertEqual(failed_notes, 4, "each failure handled once")
        self.assertEqual(warning_notes, 4, "each warning sent once")

    def _run_after_concurrent_change(self, change, params):
        """A cron run whose transaction began before another one ran ``change`` and
        committed; returns what the run did, after checking that it planned a new
        run a few seconds later (for what it had to leave)."""
        with self._cursor() as cron_cr, self._cursor() as agent_cr:
            cron_cr.execute("SELECT 1")  # the cron's snapshot is taken
            agent_cr.execute(change, params)
            agent_cr.commit()
            env = self._env(cron_cr)
            cron = env.ref("helpdesk_sla.ir_cron_helpdesk_sla_check")
            before = fields.Datetime.now()
            done = env["helpdesk.ticket.sla"]._cron_check()
            retry = env["ir.cron.trigger"].search([("cron_id", "=", cron.id), ("call_at", ">", before)])
            self.assertTrue(retry, "a new run is planned")
            retry.unlink()  # no cron thread of this process must run it during the next tests
            cron_cr.commit()
        return done

    def test_ticket_changed_by_another_transaction(self):
        """A ticket of the batch saved by someone else after the cron's transaction
        began: no error, nothing half done, the batch is handled by a new run a few
        seconds later."""
        self.assertEqual(self._run_after_concurrent_change(
            "UPDATE helpdesk_ticket SET priority = '1' WHERE id = %s", [self.ids["tickets"][0]],
        ), (0, 0))
        with self._cursor() as cr:
            statuses, warned, failed_notes, _warning_notes = self._state(cr)
        self.assertEqual(statuses, ["ongoing"] * 8, "nothing of the batch kept")
        self.assertEqual((warned, failed_notes), (0, 0))
        with self._cursor() as cr:
            self.assertEqual(self._env(cr)["helpdesk.ticket.sla"]._cron_check(), (4, 4))
        with self._cursor() as cr:
            statuses, warned, failed_notes, warning_notes = self._state(cr)
        self.assertEqual(statuses, ["failed"] * 4 + ["ongoing"] * 4)
        self.assertEqual((failed_notes, warning_notes), (4, 4))

    def test_due_line_changed_by_another_transaction(self):
        """A due line itself changed and committed by someone else after the cron's
        transaction began: locking it would be a serialization failure. The run does
        not fail: the lines it could lock are handled, the others by a new run a few
        seconds later."""
        # the failures (first response lines) are handled, the warnings are not
        self.assertEqual(self._run_after_concurrent_change(
            "UPDATE helpdesk_ticket_sla SET write_date = now() WHERE ticket_id = %s AND target = 'resolution'",
            [self.ids["tickets"][0]],
        ), (4, 0))
        with self._cursor() as cr:
            self.assertEqual(self._env(cr)["helpdesk.ticket.sla"]._cron_check(), (0, 4))
        with self._cursor() as cr:
            statuses, warned, failed_notes, warning_notes = self._state(cr)
        self.assertEqual(statuses, ["failed"] * 4 + ["ongoing"] * 4)
        self.assertEqual((warned, failed_notes, warning_notes), (8, 4, 4))
