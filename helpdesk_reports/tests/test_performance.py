from datetime import timedelta

from odoo.tests import tagged

from .common import ReportsCommon


@tagged("post_install", "-at_install")
class TestMyPerformance(ReportsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.department_a.write({"resource_calendar_id": False, "assignment_method": "manual"})
        now = cls.env.cr.now()
        cls.now = now

        def closed_ticket(user, created, answered, closed, sla=None, rating=None):
            ticket = cls._create_ticket(name="closed", user_id=user.id)
            ticket.action_close()
            cls._backdate(ticket, now - created, answered=now - answered, closed=now - closed)
            if sla:
                cls._sla_line(ticket, "resolution", sla)
            if rating:
                cls._rate(ticket, rating)
            return ticket

        day = timedelta(days=1)
        cls._create_ticket(name="open", user_id=cls.agent_a.id)
        cls._create_ticket(name="open", user_id=cls.agent_a2.id)
        cls._create_ticket(name="open", user_id=cls.agent_a2.id)
        # Alice: answered in 24 h, closed in 48 h, SLA met, rated 5
        closed_ticket(cls.agent_a, 3 * day, 2 * day, 1 * day, sla="reached", rating=5)
        # Alice, 40 days ago: answered in 24 h, closed in 120 h
        closed_ticket(cls.agent_a, 45 * day, 44 * day, 40 * day)
        # Arthur: answered in 12 h, closed in 48 h, SLA failed, rated 2
        closed_ticket(cls.agent_a2, 5 * day, timedelta(days=4, hours=12), 3 * day, sla="failed", rating=2)
        # another department: not in Alice's figures nor in her department's
        cls._create_ticket(name="elsewhere", department_id=cls.department_b.id, user_id=cls.agent_b.id)
        cls.env.flush_all()

    def _report(self, user, period="30"):
        return self.env["helpdesk.performance"].with_user(user).create({"period": period})

    def test_own_figures_and_department_average(self):
        report = self._report(self.agent_a)
        self.assertEqual(report.department_ids, self.department_a)
        self.assertEqual(report.my_open_count, 1)
        self.assertEqual(report.my_closed_count, 1)
        self.assertAlmostEqual(report.my_first_response_hours, 24.0)
        self.assertAlmostEqual(report.my_close_hours, 48.0)
        self.assertAlmostEqual(report.my_sla_met, 1.0)
        self.assertAlmostEqual(report.my_rating, 5.0)
        self.assertAlmostEqual(report.my_rating_satisfied, 1.0)
        # department A: 2 agents, 3 open and 2 closed tickets in the last 30 days
        self.assertAlmostEqual(report.dept_open_count, 1.5)
        self.assertAlmostEqual(report.dept_closed_count, 1.0)
        self.assertAlmostEqual(report.dept_first_response_hours, 18.0)
        self.assertAlmostEqual(report.dept_close_hours, 48.0)
        self.assertAlmostEqual(report.dept_sla_met, 0.5)
        self.assertAlmostEqual(report.dept_rating, 3.5)
        self.assertAlmostEqual(report.dept_rating_satisfied, 0.5)

    def test_period(self):
        report = self._report(self.agent_a, period="90")
        self.assertEqual(report.my_closed_count, 2)
        self.assertAlmostEqual(report.my_close_hours, (48.0 + 120.0) / 2)
        self.assertAlmostEqual(report.dept_closed_count, 1.5)
        report.period = "7"
        self.assertEqual(report.my_closed_count, 1)

    def test_other_department_agent(self):
        report = self._report(self.agent_b)
        self.assertEqual(report.department_ids, self.department_b)
        self.assertEqual(report.my_open_count, 1)
        self.assertEqual(report.dept_open_count, 1.0)
        self.assertEqual(report.dept_closed_count, 0.0)

    def test_reports_are_private(self):
        report = self._report(self.agent_a)
        self.assertFalse(self.env["helpdesk.performance"].with_user(self.agent_b).search([("id", "=", report.id)]))

    def test_open_analysis(self):
        action = self._report(self.agent_a).action_open_my_analysis()
        self.assertEqual(action["res_model"], "helpdesk.ticket.analysis")
        rows = self.env["helpdesk.ticket.analysis"].with_user(self.agent_a).search(action["domain"])
        self.assertEqual(set(rows.mapped("user_id")), {self.agent_a})
        self.assertEqual(len(rows), 3)

    def test_agent_cannot_report_on_someone_else(self):
        report = self.env["helpdesk.performance"].with_user(self.agent_b).create({"user_id": self.agent_a.id})
        self.assertEqual(report.department_ids, self.department_b, "agent_b's own figures")
        self.assertEqual(report.my_open_count, 1)
        managed = self.env["helpdesk.performance"].with_user(self.manager).create({"user_id": self.agent_a.id})
        self.assertEqual(managed.my_open_count, 1)
        self.assertEqual(managed.my_closed_count, 1)
