"""The analysis summary's job and user transactions at once, in real, separate, committed
transactions (two workers): no change of a ticket is lost from the summary.

The records are committed (a test transaction is invisible to another connection) and
removed at the end."""
import threading
import time
from datetime import datetime, timedelta

import psycopg2.errors

from odoo.tests.common import tagged

from odoo.addons.helpdesk_ticket.tests.common import CommittedCase

HOUR = datetime(2025, 3, 4, 10, 0)
PIVOT = (["department_id", "create_date:month"],
         ["__count", "first_response_hours:avg", "close_hours:avg", "sla_met:avg", "rating_satisfied:avg"])


@tagged("post_install", "-at_install")
class TestAnalysisSummaryConcurrency(CommittedCase):

    def _job(self, cr, **kwargs):
        env = self._env(cr)
        before = env["helpdesk.ticket"].search_count([("report_summary_pending", "=", True)])
        env["helpdesk.ticket"]._cron_report_summary(**kwargs)
        env.flush_all()
        after = env["helpdesk.ticket"].search_count([("report_summary_pending", "=", True)])
        return before - after

    def setUp(self):
        super().setUp()
        self._drain()
        with self._cursor() as cr:
            env = self._env(cr)
            department = env["helpdesk.department"].create({"name": "Summary concurrency"})
            tickets = env["helpdesk.ticket"].create([
                {"name": f"Summary concurrent {i}", "department_id": department.id} for i in range(3)
            ])
            env.flush_all()
            cr.execute("UPDATE helpdesk_ticket SET create_date = %s WHERE id = ANY(%s)",
                       [HOUR + timedelta(minutes=5), tickets.ids])
            self.ids = {"department": department.id, "tickets": tickets.ids}
        self._drain()
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self._cursor() as cr:
            env = self._env(cr)
            env["helpdesk.ticket"].browse(self.ids["tickets"]).unlink()
            env["helpdesk.department"].browse(self.ids["department"]).unlink()
        self._drain()

    def _assert_summary_is_view(self):
        with self._cursor() as cr:
            env = self._env(cr)
            self.assertFalse(env["helpdesk.ticket"].search_count([("report_summary_pending", "=", True)]))
            Analysis = env["helpdesk.ticket.analysis"]
            domain = [("department_id", "=", self.ids["department"])]
            summary = env["helpdesk.ticket.summary"]._analysis_read_group(Analysis, domain, *PIVOT, (), 0, None, None)
            self.assertIsNotNone(summary)
            view = Analysis._read_group([*domain, ("ticket_id", "!=", 0)], *PIVOT)
            self.assertEqual([row[:3] for row in summary], [row[:3] for row in view])
            self.assertEqual(summary[0][5:], view[0][5:], "SLA met and satisfaction")
            for index in (3, 4):  # averages of double precision values
                self.assertAlmostEqual(summary[0][index] or 0, view[0][index] or 0, places=9)

    def test_ticket_saved_while_the_job_recounts(self):
        """An agent answers a ticket of the hour the job is recounting: the job skips the
        ticket it holds (SKIP LOCKED) and recounts without the answer; the ticket stays
        flagged and the next run counts it."""
        first, second, _third = self.ids["tickets"]
        with self._cursor() as cr:
            self._env(cr)["helpdesk.ticket"].browse(second).write({"date_closed": HOUR + timedelta(hours=5)})
        with self._cursor() as agent_cr, self._cursor() as job_cr:
            agent = self._env(agent_cr)["helpdesk.ticket"].browse(first)
            agent.write({"date_first_response": HOUR + timedelta(hours=2)})
            agent.env.flush_all()  # the agent's transaction holds the row, not committed
            job_cr.execute("SET LOCAL lock_timeout = '5s'")
            self.assertEqual(self._job(job_cr), 1, "the closed ticket is recounted, the answered one skipped")
            job_cr.commit()
            agent_cr.commit()
        self.assertEqual(self._job_once(), 1, "the answer is counted by the next run")
        self._assert_summary_is_view()

    def test_ticket_flagged_while_the_job_holds_it(self):
        """A rating arrives for a ticket the job has taken and not committed yet: the user
        transaction waits for the job's row, then fails with a serialization error that
        Odoo retries; the retry flags the ticket again and the next run counts it."""
        first = self.ids["tickets"][0]
        with self._cursor() as cr:
            self._env(cr)["helpdesk.ticket"].browse(first).write({"date_closed": HOUR + timedelta(hours=1)})
        outcome = []

        def rate():
            with self._cursor() as cr:
                env = self._env(cr)
                try:
                    ticket = env["helpdesk.ticket"].browse(first)
                    env["rating.rating"].create({
                        "res_model_id": env["ir.model"]._get_id("helpdesk.ticket"), "res_id": ticket.id,
                        "rating": 5, "consumed": True,
                    })
                    env.flush_all()
                    cr.commit()
                    outcome.append("committed")
                except psycopg2.errors.SerializationFailure:
                    cr.rollback()
                    outcome.append("serialization failure")

        with self._cursor() as job_cr:
            self.assertEqual(self._job(job_cr), 1)  # the ticket's row is held until the commit
            thread = threading.Thread(target=rate)
            thread.start()
            self._wait_for_lock_wait(job_cr)
            job_cr.commit()
        thread.join(30)
        self.assertEqual(outcome, ["serialization failure"])
        rate()  # Odoo's retry of the request
        self.assertEqual(outcome[-1], "committed")
        self.assertEqual(self._job_once(), 1)
        self._assert_summary_is_view()

    def _job_once(self):
        with self._cursor() as cr:
            done = self._job(cr)
            cr.commit()
        return done

    def _wait_for_lock_wait(self, cr, timeout=20):
        """Wait until another connection waits for a lock held by ``cr``."""
        cr.execute("SELECT pg_backend_pid()")
        pid = cr.fetchone()[0]
        deadline = time.monotonic() + timeout
        with self._cursor() as probe:
            while time.monotonic() < deadline:
                probe.execute("SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid])
                if probe.fetchone()[0]:
                    return
                probe.rollback()
                time.sleep(0.1)
        self.fail("the user transaction never waited for the job's lock")
