import math
import random
from datetime import datetime, timedelta

from odoo import Command
from odoo.tests import tagged

from .common import ReportsCommon

PIVOT = (["department_id", "create_date:month"], ["__count"])


@tagged("post_install", "-at_install")
class TestAnalysisSummary(ReportsCommon):
    """The pivot's default shape (count by department and month) is read from the hourly
    summary the ticket model keeps; the answer is the view's, once the job has run."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # start from a summary matching the tickets already there (demo data, other setups)
        cls.env["helpdesk.ticket.summary"]._rebuild()
        cls.jan = cls._create_ticket(name="Summary January", department_id=cls.department_a.id)
        cls.jan_b = cls._create_ticket(name="Summary January B", department_id=cls.department_b.id)
        cls.feb = cls._create_ticket(name="Summary February", department_id=cls.department_a.id)
        cls._set_create_date(cls.jan | cls.jan_b, datetime(2025, 1, 31, 22, 30))
        cls._set_create_date(cls.feb, datetime(2025, 2, 1, 0, 10))

    def _view(self, Analysis, groupby=PIVOT[0], aggregates=PIVOT[1]):
        """The same question answered by the analysis view (a filter the summary cannot take)."""
        return Analysis._read_group([("ticket_id", "!=", 0)], groupby, aggregates)

    def _pivot(self, Analysis):
        return Analysis._read_group([], *PIVOT)

    def _run_job(self):
        self.env["helpdesk.ticket"]._cron_report_summary()
        self.env.invalidate_all()

    def test_pivot_from_summary_equals_view(self):
        self._run_job()
        Analysis = self.env["helpdesk.ticket.analysis"]
        for user in (self.env.user, self.manager):
            with self.subTest(user=user.login):
                as_user = Analysis.with_user(user)
                self.assertEqual(self._pivot(as_user), self._view(as_user))
        for tz in ("Europe/Brussels", "America/New_York", "Asia/Bangkok", "Asia/Tehran"):
            with self.subTest(tz=tz):
                as_tz = Analysis.with_context(tz=tz)
                self.assertEqual(self._pivot(as_tz), self._view(as_tz))
        for groupby in (["create_date:year"], ["company_id", "create_date:quarter"], ["department_id"],
                        ["create_date:day", "department_id"]):
            with self.subTest(groupby=groupby):
                self.assertEqual(Analysis._read_group([], groupby, ["__count"]), self._view(Analysis, groupby))
        # agents' rules go beyond department and company: the view answers
        as_agent = Analysis.with_user(self.agent_a)
        self.assertEqual(self._pivot(as_agent), self._view(as_agent))

    def test_summary_is_used_and_kept(self):
        """Counts follow creations, moves, archiving and deletions once the job has run; the
        lag before it runs shows the answer is the summary's."""
        Analysis = self.env["helpdesk.ticket.analysis"]
        self._run_job()
        before = {(dept, month): count for dept, month, count in self._pivot(Analysis)}
        january = datetime(2025, 1, 1)
        self.assertEqual(before[(self.department_a, january)], 1)
        self.assertEqual(before[(self.department_b, january)], 1)
        late = self._create_ticket(name="Summary late", department_id=self.department_a.id)
        self._set_create_date(late, datetime(2025, 1, 31, 22, 50))
        self.assertEqual({(d, m): c for d, m, c in self._pivot(Analysis)}[(self.department_a, january)], 1,
                         "not recounted yet: the summary answers")
        self._run_job()
        self.assertEqual(self._pivot(Analysis), self._view(Analysis))
        self.jan.department_id = self.department_b
        self.assertTrue(self.jan.report_summary_pending)
        self._run_job()
        self.assertEqual(self._pivot(Analysis), self._view(Analysis))
        self.jan_b.action_archive() if hasattr(self.jan_b, "action_archive") else self.jan_b.write({"active": False})
        self._run_job()
        self.assertEqual(self._pivot(Analysis), self._view(Analysis))
        self.feb.unlink()
        self._run_job()
        self.assertEqual(self._pivot(Analysis), self._view(Analysis))
        self.assertFalse(self.env["helpdesk.ticket.summary"].search([("recount", "=", True)]))

    def test_other_shapes_from_the_view(self):
        Summary = self.env["helpdesk.ticket.summary"]
        Analysis = self.env["helpdesk.ticket.analysis"]
        for args in (
            ([], ["department_id"], ["rating:avg"]),  # another measure
            ([], ["department_id"], ["first_response_hours:sum"]),  # another aggregate of a held one
            ([], ["channel"], ["__count"]),  # another dimension
            ([("priority", "=", "2")], ["department_id"], ["__count"]),  # a filter on another field
            ([], ["create_date:hour"], ["__count"]),
        ):
            with self.subTest(args=args):
                self.assertIsNone(Summary._analysis_read_group(Analysis, *args, (), 0, None, None))
        self.assertIsNone(Summary._analysis_read_group(
            Analysis.with_context(tz="Asia/Kolkata"), [], *PIVOT, (), 0, None, None), "half-hour offset")
        self.assertIsNone(Summary._analysis_read_group(
            Analysis.with_context(active_test=False), [], *PIVOT, (), 0, None, None))


#: the measures of the analysis' default pivot (views/helpdesk_ticket_analysis_views.xml)
DEFAULT_MEASURES = ["__count", "ticket_count:sum", "first_response_hours:avg", "close_hours:avg",
                    "sla_met:avg", "rating_satisfied:avg"]
#: the averages of double precision values: the summary adds partial sums, the view every
#: value, so the last bits of the sum may differ
FLOAT_AVERAGES = {"first_response_hours:avg", "close_hours:avg"}


@tagged("post_install", "-at_install")
class TestAnalysisSummaryMeasures(ReportsCommon):
    """The default pivot's measures (counts and averages) from the summary equal the view's
    on varied data: tickets of two companies over three years, answered or not, closed or
    not, with SLA results and ratings, for several users, groupings and timezones."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rng = random.Random(21)
        cls.company_2 = cls.env["res.company"].create({"name": "Summary Other Company"})
        cls.department_2 = cls.env["helpdesk.department"].create({
            "name": "Summary other company", "company_id": cls.company_2.id, "visibility": "all_agents",
        })
        cls.manager_2 = cls.env["res.users"].create({
            "name": "Manager of both", "login": "summary_manager_both",
            "company_id": cls.company.id, "company_ids": [Command.set([cls.company.id, cls.company_2.id])],
            "groups_id": [Command.set(cls.manager.groups_id.ids)],
        })
        departments = [cls.department_a, cls.department_b, cls.department_2, False]
        cls.tickets = cls.env["helpdesk.ticket"]
        start = datetime(2024, 1, 1)
        for index in range(48):
            department = departments[index % len(departments)]
            ticket = cls._create_ticket(
                name=f"Summary varied {index}", department_id=department.id if department else False,
            )
            created = start + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
            answered = created + timedelta(hours=rng.uniform(0.1, 60)) if rng.random() < 0.7 else None
            closed = (answered or created) + timedelta(hours=rng.uniform(1, 200)) if rng.random() < 0.5 else None
            cls._backdate(ticket, created, answered=answered, closed=closed)
            for target in ("first_response", "resolution")[:rng.randrange(3)]:
                status = rng.choice(["reached", "failed", "ongoing", "paused"])
                values = {"reached_date": answered or created} if status in ("reached", "failed") else {}
                cls._sla_line(ticket, target, status, **values)
            for _rating in range(rng.choice([0, 0, 1, 2])):
                cls._rate(ticket, rng.randint(1, 5))
            cls.tickets |= ticket
        cls.env["helpdesk.ticket"]._cron_report_summary(batch_size=10_000)
        cls.env.invalidate_all()

    def _assert_same(self, summary_rows, view_rows, aggregates):
        self.assertEqual(len(summary_rows), len(view_rows))
        for summary_row, view_row in zip(summary_rows, view_rows):
            ngroups = len(summary_row) - len(aggregates)
            self.assertEqual(summary_row[:ngroups], view_row[:ngroups])
            for spec, got, expected in zip(aggregates, summary_row[ngroups:], view_row[ngroups:]):
                if spec in FLOAT_AVERAGES and got and expected:
                    self.assertTrue(math.isclose(got, expected, rel_tol=1e-12), f"{spec}: {got} != {expected}")
                else:
                    self.assertEqual(got, expected, spec)

    def _compare(self, Analysis, groupby, aggregates=DEFAULT_MEASURES, domain=()):
        Summary = self.env["helpdesk.ticket.summary"]
        answer = Summary._analysis_read_group(Analysis, list(domain), groupby, aggregates, (), 0, None, None)
        self.assertIsNotNone(answer, f"the summary answers {groupby}")
        # the same question, asked of the view (a filter the summary cannot take)
        view = Analysis._read_group([*domain, ("ticket_id", "!=", 0)], groupby, aggregates)
        self._assert_same(answer, view, aggregates)
        self._assert_same(Analysis._read_group(list(domain), groupby, aggregates), view, aggregates)
        return answer

    def test_default_measures_equal_view(self):
        Analysis = self.env["helpdesk.ticket.analysis"]
        groupbys = [
            ["department_id", "create_date:month"], ["create_date:month", "department_id"],
            ["department_id"], ["company_id", "create_date:year"], ["create_date:quarter"],
            ["create_date:week", "department_id"], ["create_date:day"],
        ]
        users = {"superuser": Analysis, "manager": Analysis.with_user(self.manager),
                 "manager of both": Analysis.with_user(self.manager_2).with_context(
                     allowed_company_ids=[self.company.id, self.company_2.id])}
        for name, as_user in users.items():
            for groupby in groupbys:
                with self.subTest(user=name, groupby=groupby):
                    self._compare(as_user, groupby)
        for tz in ("Europe/Brussels", "America/New_York", "Asia/Bangkok"):
            with self.subTest(tz=tz):
                self._compare(Analysis.with_context(tz=tz), ["department_id", "create_date:month"])
        with self.subTest(domain="department"):
            self._compare(Analysis, ["create_date:month"], domain=[("department_id", "=", self.department_a.id)])
        # through the web client's read_group too (lazy, ordered)
        web = Analysis.read_group([], ["first_response_hours:avg", "sla_met:avg"], ["department_id"])
        view = Analysis.read_group([("ticket_id", "!=", 0)], ["first_response_hours:avg", "sla_met:avg"],
                                   ["department_id"])
        self.assertEqual([row["department_id_count"] for row in web], [row["department_id_count"] for row in view])
        self.assertEqual([row["sla_met"] for row in web], [row["sla_met"] for row in view])

    def test_other_company_never_seen_through_summary(self):
        """A manager of company A reads no figure of company B from the summary."""
        Analysis = self.env["helpdesk.ticket.analysis"].with_user(self.manager)
        rows = self._compare(Analysis, ["company_id", "department_id"])
        self.assertTrue(rows)
        self.assertNotIn(self.company_2, [row[0] for row in rows])
        self.assertNotIn(self.department_2, [row[1] for row in rows])
        total = sum(row[2] for row in rows)
        self.assertEqual(total, self.env["helpdesk.ticket"].search_count([("company_id", "=", self.company.id)]))
        # even when asking for company B explicitly
        self.assertEqual(self._compare(Analysis, ["department_id"], domain=[("company_id", "=", self.company_2.id)]),
                         [])
        both = self._compare(self.env["helpdesk.ticket.analysis"].with_user(self.manager_2).with_context(
            allowed_company_ids=[self.company.id, self.company_2.id]), ["company_id"])
        self.assertIn(self.company_2, [row[0] for row in both])

    def test_measure_changes_are_recounted(self):
        """An answer, a closing, an SLA result and a rating flag the ticket; the job's run
        brings the averages back to the view's."""
        Analysis = self.env["helpdesk.ticket.analysis"]
        ticket = self.tickets.filtered(lambda t: not t.date_first_response and t.department_id and not t.sla_ids)[:1]
        self.assertTrue(ticket)
        self.assertFalse(ticket.report_summary_pending)
        ticket.write({"date_first_response": ticket.create_date + timedelta(hours=3)})
        self.assertTrue(ticket.report_summary_pending, "answered")
        self._run_and_compare(Analysis)
        line = self._sla_line(ticket, "first_response", "ongoing")
        self._run_and_compare(Analysis)
        line.write({"reached_date": ticket.date_first_response})
        self.env.flush_all()  # the SLA status is computed at the flush
        self.assertTrue(ticket.report_summary_pending, "SLA reached")
        self._run_and_compare(Analysis)
        line.write({"status": "failed"})
        self.env.flush_all()  # the SLA status is computed at the flush
        self.assertTrue(ticket.report_summary_pending, "SLA failed by the cron")
        self._run_and_compare(Analysis)
        rating = self._rate(ticket, 5)
        self.env.flush_all()  # the SLA status is computed at the flush
        self.assertTrue(ticket.report_summary_pending, "rated")
        self._run_and_compare(Analysis)
        rating.write({"rating": 1})
        self.env.flush_all()  # the SLA status is computed at the flush
        self.assertTrue(ticket.report_summary_pending, "rating changed")
        self._run_and_compare(Analysis)
        ticket.write({"date_closed": ticket.create_date + timedelta(hours=30)})
        self.assertTrue(ticket.report_summary_pending, "closed")
        self._run_and_compare(Analysis)
        # reopened and closed again through the stage (the closing date is computed from it)
        ticket.stage_id = self.stage_progress
        self.assertFalse(ticket.date_closed)
        self.assertTrue(ticket.report_summary_pending, "reopened")
        self._run_and_compare(Analysis)
        ticket.stage_id = self.stage_resolved
        self.assertTrue(ticket.date_closed)
        self.assertTrue(ticket.report_summary_pending, "closed by its stage")
        self._run_and_compare(Analysis)
        line.unlink()
        rating.unlink()
        self._run_and_compare(Analysis)
        # a new calendar: the working hours of the department's tickets are recomputed
        ticket.department_id.resource_calendar_id = self._calendar_9_to_5()
        self.assertTrue(self.env["helpdesk.ticket.summary"].search([("recount", "=", True)]))
        self._run_and_compare(Analysis)

    def _job_queries(self, tickets):
        """The queries of one run of the job recounting the hours of ``tickets``."""
        self.env.flush_all()
        self.env.cr.execute("UPDATE helpdesk_ticket SET report_summary_pending = true WHERE id = ANY(%s)",
                            [tickets.ids])
        # the commit-time hooks of the previous run (mail's tracking of its unflagging write)
        # run now, not inside the measured run: each run of the job is its own transaction
        self.env.cr.flush()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.env["helpdesk.ticket"]._cron_report_summary(batch_size=10_000)
        return self.env.cr.sql_log_count - before

    def test_recount_is_set_based(self):
        """Recounting 48 hours of two companies takes the queries of recounting two."""
        self._job_queries(self.tickets[:2])  # warm-up (caches of the cron and its record)
        self.assertEqual(self._job_queries(self.tickets), self._job_queries(self.tickets[:2]))
        self._run_and_compare(self.env["helpdesk.ticket.analysis"])

    def _run_and_compare(self, Analysis):
        self.env["helpdesk.ticket"]._cron_report_summary(batch_size=10_000)
        self.env.invalidate_all()
        self.assertFalse(self.env["helpdesk.ticket"].search_count([("report_summary_pending", "=", True)]))
        self._compare(Analysis, ["department_id", "create_date:month"])
