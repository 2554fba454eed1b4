from datetime import datetime

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
            ([], ["department_id"], ["first_response_hours:avg"]),  # another measure
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
