"""The job mixin (helpdesk.job.mixin) next to user transactions, in real,
separate PostgreSQL transactions, with the assignment notice job of
helpdesk.ticket. The records are committed (a test transaction is invisible to
another connection) and removed at the end."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests.common import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import CommittedCase

JOB = "assignment_notice_pending"
CRON = "helpdesk_ticket.ir_cron_helpdesk_assignment_notice"


@tagged("post_install", "-at_install")
class TestJobMixinConcurrency(CommittedCase):
    def _job(self, cr, **kwargs):
        return self._env(cr)["helpdesk.ticket"]._cron_send_assignment_notices(**kwargs)

    def setUp(self):
        super().setUp()
        self.started = fields.Datetime.now()
        self._drain()
        with self._cursor() as cr:
            env = self._env(cr)
            agent = env.ref("base.user_admin")
            tickets = env["helpdesk.ticket"].create([
                {"name": f"Job mixin {i}", "user_id": agent.id, "channel": "internal", JOB: True}
                for i in range(3)
            ])
            self.ticket_ids = tickets.ids
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self._cursor() as cr:
            env = self._env(cr)
            # the runs planned by the committed transactions: no cron thread of this
            # process must pick them up during the next tests
            env["ir.cron.trigger"].search([
                ("cron_id", "=", env.ref(CRON).id), ("create_date", ">=", self.started),
            ]).unlink()
            env["helpdesk.ticket"].browse(self.ticket_ids).unlink()

    def _flags(self):
        with self._cursor() as cr:
            cr.execute(f"SELECT {JOB} FROM helpdesk_ticket WHERE id IN %s ORDER BY id", [tuple(self.ticket_ids)])
            return [row[0] for row in cr.fetchall()]

    def _planned_runs(self, cr, after):
        env = self._env(cr)
        return env["ir.cron.trigger"].search([("cron_id", "=", env.ref(CRON).id), ("call_at", ">=", after)])

    def test_row_held_by_a_user_transaction_is_skipped(self):
        first = self.ticket_ids[0]
        with self._cursor() as agent, self._cursor() as worker:
            # an agent saves the first ticket: its row is locked until their commit
            agent.execute("UPDATE helpdesk_ticket SET priority = '2' WHERE id = %s", [first])
            worker.execute("SET LOCAL lock_timeout = '5s'")
            self.assertEqual(self._job(worker), 2, "the others are done without waiting")
            worker.commit()
            self.assertEqual(self._flags(), [True, False, False], "the held ticket stays flagged")
            # only the held ticket is left: the job looks again a minute later
            before = fields.Datetime.now()
            self.assertEqual(self._job(worker), 0)
            worker.commit()
            self.assertTrue(self._planned_runs(worker, before + timedelta(seconds=50)), "a new run is planned")
            worker.rollback()
            agent.commit()
            self.assertEqual(self._job(worker), 1, "a new transaction takes it once the agent committed")
            worker.commit()
        self.assertEqual(self._flags(), [False] * 3)

    def test_row_changed_since_the_run_began(self):
        """A flagged ticket saved (and committed) by a user after the run's
        transaction began: locking it is a serialization failure in REPEATABLE
        READ. The run does not fail: nothing is taken, the transaction stays usable
        and a new run is planned a few seconds later, which does the work."""
        with self._cursor() as worker, self._cursor() as agent:
            worker.execute("SELECT 1")  # the run's snapshot is taken
            agent.execute("UPDATE helpdesk_ticket SET priority = '2' WHERE id = %s", [self.ticket_ids[1]])
            agent.commit()
            before = fields.Datetime.now()
            with mute_logger("odoo.sql_db"):
                self.assertEqual(self._job(worker), 0)
            runs = self._planned_runs(worker, before)
            self.assertTrue(runs.filtered(lambda run: run.call_at <= before + timedelta(seconds=30)),
                            "a new run in a few seconds")
            worker.commit()
        self.assertEqual(self._flags(), [True] * 3, "nothing half done")
        with self._cursor() as worker:
            self.assertEqual(self._job(worker), 3)
        self.assertEqual(self._flags(), [False] * 3)

    def test_the_cron_framework_never_runs_a_job_twice(self):
        """Why the mixin takes no lock against a second run of the same job: the
        cron worker running the job holds its ir.cron row, and a second run (a
        manual one here; another worker skips a held job) cannot start."""
        with self._cursor() as running, self._cursor() as second:
            self._env(running).ref(CRON)._try_lock()  # what the running worker holds
            with self.assertRaises(UserError), mute_logger("odoo.sql_db"):
                self._env(second).ref(CRON).method_direct_trigger()
            second.rollback()
            running.rollback()
        self.assertEqual(self._flags(), [True] * 3)


@tagged("post_install", "-at_install")
class TestJobMixinWake(TransactionCase):
    def _runs(self, xmlid):
        return self.env["ir.cron.trigger"].search([("cron_id", "=", self.env.ref(xmlid).id)])

    def test_one_wake_up_per_transaction_at_commit(self):
        Ticket = self.env["helpdesk.ticket"]
        before = self._runs(CRON)
        Ticket._job_wake(JOB)
        Ticket._job_wake(JOB)
        Ticket._job_wake_cron(CRON)
        self.assertEqual(self._runs(CRON), before, "nothing before the commit")
        self.cr.flush()  # the commit's first step (precommit hooks)
        self.assertEqual(len(self._runs(CRON) - before), 1, "one wake-up for the transaction")
        # a job's steps are flushing savepoints, which run the precommit hooks too:
        # still one wake-up for the transaction
        for _step in range(3):
            with self.cr.savepoint():
                Ticket._job_wake(JOB)
        self.cr.flush()
        self.assertEqual(len(self._runs(CRON) - before), 1, "one wake-up across the savepoints")

    def test_every_cron_woken_by_a_transaction_in_one_go(self):
        """A new ticket wakes several jobs (its acknowledgement, the notification of
        its mail, its assignment notice, the mail queue): their triggers are made
        together and the cron workers are told once, after the commit."""
        Ticket = self.env["helpdesk.ticket"]
        crons = [CRON, "helpdesk_ticket.ir_cron_helpdesk_ticket_schedule", "mail.ir_cron_mail_scheduler_action"]
        before = {xmlid: self._runs(xmlid) for xmlid in crons}
        notifications = len(self.cr.postcommit._funcs)
        for xmlid in crons:
            Ticket._job_wake_cron(xmlid)
        inactive = self.env.ref(crons[1])
        inactive.active = False  # an inactive cron ignores a trigger due now (as Odoo's _trigger)
        self.env.flush_all()
        self.cr.flush()
        self.assertEqual(len(self._runs(crons[0]) - before[crons[0]]), 1)
        self.assertEqual(len(self._runs(crons[2]) - before[crons[2]]), 1)
        self.assertFalse(self._runs(crons[1]) - before[crons[1]], "no run of an inactive cron")
        self.assertEqual(len(self.cr.postcommit._funcs) - notifications, 1, "the cron workers are told once")

    def test_wake_up_undone_with_its_savepoint_is_made_again(self):
        Ticket = self.env["helpdesk.ticket"]
        before = self._runs(CRON)
        with self.assertRaises(ZeroDivisionError), self.cr.savepoint():
            Ticket._job_wake(JOB)
            with self.cr.savepoint():
                pass  # runs the precommit hooks: the trigger is made inside the outer savepoint
            self.assertEqual(len(self._runs(CRON) - before), 1)
            1 / 0  # noqa: B018 - the step fails: its work and its wake-up are undone
        self.assertEqual(self._runs(CRON), before, "undone with the step")
        Ticket._job_wake(JOB)
        self.cr.flush()
        self.assertEqual(len(self._runs(CRON) - before), 1)

    def test_retry_is_not_mistaken_for_a_wake_up(self):
        Ticket = self.env["helpdesk.ticket"]
        before = self._runs(CRON)
        Ticket._job_retry_soon(JOB)
        Ticket._job_wake(JOB)
        self.cr.flush()
        new = self._runs(CRON) - before
        self.assertEqual(len(new), 2, "a run in a few seconds and one at once")
        self.assertEqual(len(new.filtered(lambda run: run.call_at <= fields.Datetime.now())), 1)

    def test_each_model_declares_its_jobs(self):
        self.assertEqual(self.env["helpdesk.ticket"]._job_crons()[JOB], CRON)
        self.assertEqual(
            self.env["helpdesk.ticket.schedule"]._job_crons(),
            {"open_due_tickets": "helpdesk_ticket.ir_cron_helpdesk_ticket_schedule"},
        )
        with self.assertRaises(KeyError):
            self.env["helpdesk.ticket.schedule"]._job_wake(JOB)
