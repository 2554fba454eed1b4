from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .common import ReportsCommon

KPI_FIELDS = [
    "open_ticket_count", "unassigned_ticket_count", "urgent_ticket_count",
    "sla_failed_ticket_count", "sla_at_risk_ticket_count",
    "avg_first_response_hours_7d", "answered_ticket_count_7d",
    "satisfaction_percent_30d", "rating_count_30d",
]


@tagged("post_install", "-at_install")
class TestOverviewKpis(ReportsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.departments = cls.env["helpdesk.department"].create([
            {
                "name": f"Overview {index}",
                "resource_calendar_id": False,  # 24/7: figures in wall-clock hours
                "assignment_method": "manual",
                "member_ids": [Command.set((cls.agent_a | cls.agent_a2).ids)],
            }
            for index in range(10)
        ])
        for department in cls.departments:
            cls._populate(department)
        cls.department = cls.departments[0]
        cls.env.flush_all()

    @classmethod
    def _populate(cls, department):
        now = cls.env.cr.now()
        create = lambda **vals: cls._create_ticket(department_id=department.id, **vals)  # noqa: E731
        # open: 6 (2 unassigned, 1 urgent), closed: 2
        failed = create(name="failed", user_id=cls.agent_a.id)
        cls._sla_line(failed, "resolution", "failed")
        at_risk = create(name="at risk", user_id=cls.agent_a.id, priority="3")
        cls._sla_line(at_risk, "resolution", "ongoing", warning_sent=True,
                      deadline=now + timedelta(hours=2))
        on_track = create(name="on track", user_id=cls.agent_a2.id)
        cls._sla_line(on_track, "resolution", "ongoing", deadline=now + timedelta(hours=20))
        create(name="unassigned 1")
        create(name="unassigned 2")
        answered_1 = create(name="answered 1", user_id=cls.agent_a.id)
        closed_failed = create(name="closed with failed SLA", user_id=cls.agent_a.id)
        cls._sla_line(closed_failed, "resolution", "failed")
        closed_failed.action_close()
        old_answer = create(name="answered long ago", user_id=cls.agent_a2.id)
        old_answer.action_close()
        # first responses: 24 h and 48 h in the last 7 days, one 10 days ago (ignored)
        cls._backdate(answered_1, now - timedelta(days=2), answered=now - timedelta(days=1))
        cls._backdate(closed_failed, now - timedelta(days=3), answered=now - timedelta(days=1))
        cls._backdate(old_answer, now - timedelta(days=12), answered=now - timedelta(days=10))
        # ratings of the last 30 days: 5, 4 and 1 (2 satisfied out of 3); one older
        cls._rate(closed_failed, 5)
        cls._rate(old_answer, 4)
        cls._rate(answered_1, 1)
        old = cls._rate(failed, 5)
        old.flush_recordset()
        cls.env.cr.execute(
            "UPDATE rating_rating SET write_date = %s WHERE id = %s", [now - timedelta(days=40), old.id]
        )

    def test_kpi_values(self):
        department = self.department.with_user(self.agent_a)
        self.assertEqual(department.open_ticket_count, 6)
        self.assertEqual(department.unassigned_ticket_count, 2)
        self.assertEqual(department.urgent_ticket_count, 1)
        self.assertEqual(department.sla_failed_ticket_count, 1, "open tickets only")
        self.assertEqual(department.sla_at_risk_ticket_count, 1)
        self.assertEqual(department.answered_ticket_count_7d, 2)
        self.assertAlmostEqual(department.avg_first_response_hours_7d, 36.0)
        self.assertEqual(department.rating_count_30d, 3)
        self.assertAlmostEqual(department.satisfaction_percent_30d, 200.0 / 3)

    def test_kpis_open_matching_lists(self):
        department = self.department.with_user(self.agent_a)
        for method, count_field in [
            ("action_open_tickets", "open_ticket_count"),
            ("action_unassigned_tickets", "unassigned_ticket_count"),
            ("action_urgent_tickets", "urgent_ticket_count"),
            ("action_sla_failed_tickets", "sla_failed_ticket_count"),
            ("action_sla_at_risk_tickets", "sla_at_risk_ticket_count"),
            ("action_first_response_tickets", "answered_ticket_count_7d"),
        ]:
            action = getattr(department, method)()
            self.assertEqual(action["res_model"], "helpdesk.ticket")
            found = self.env["helpdesk.ticket"].with_user(self.agent_a).search(action["domain"])
            self.assertEqual(len(found), department[count_field], method)
        action = department.action_ratings_30d()
        self.assertEqual(action["res_model"], "rating.rating")
        ratings = self.env["rating.rating"].with_user(self.agent_a).search(action["domain"])
        self.assertEqual(sorted(ratings.mapped("rating")), [1.0, 4.0, 5.0])

    def test_kpis_follow_access_rights(self):
        """The cards count what the user may read: nothing for an agent of another
        department, everything once the department is open to all agents."""
        figures = self.department.with_user(self.agent_b)
        self.assertEqual(figures.open_ticket_count, 0)
        self.assertEqual(figures.sla_failed_ticket_count, 0)
        self.assertEqual(figures.answered_ticket_count_7d, 0)
        self.assertEqual(figures.rating_count_30d, 0)
        self.department.visibility = "all_agents"
        self.env.invalidate_all()
        self.assertEqual(figures.open_ticket_count, 6)
        self.assertEqual(figures.sla_failed_ticket_count, 1)
        self.assertEqual(figures.rating_count_30d, 3)

    def test_kpis_bounded_queries(self):
        """Every card of the overview for 10 departments: as many queries as for one (the
        department read, the open-ticket counters, the SLA statuses, the first responses and
        the ratings)."""
        def read_kpis(departments, expected):
            self.env.invalidate_all()
            with self.assertQueryCount(expected):
                departments.with_user(self.agent_a).read(KPI_FIELDS)

        self.departments.with_user(self.agent_a).read(KPI_FIELDS)  # warm the caches (rules, fields)
        read_kpis(self.departments, 5)
        read_kpis(self.department, 5)
        read_kpis(self.departments[:5], 5)
