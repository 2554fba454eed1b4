from odoo.tests import tagged, users

from .common import HelpdeskCommon


@tagged("post_install", "-at_install")
class TestPerformance(HelpdeskCommon):
    """Query counts of the paths agents hit all day: constant, whatever the volume."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls.env["res.partner"].create([
            {"name": f"Perf customer {i}", "email": f"perf{i}@example.com"} for i in range(50)
        ])
        cls.tags = cls.env["helpdesk.tag"].create([{"name": f"perf tag {i}"} for i in range(3)])
        cls.tickets = cls.env["helpdesk.ticket"].create([
            {
                "name": f"Perf ticket {i}",
                "department_id": cls.department_a.id,
                "partner_id": cls.partners[i % 50].id,
                "user_id": (cls.agent_a if i % 2 else cls.agent_a2).id,
                "tag_ids": [(6, 0, cls.tags[: i % 3].ids)],
                "priority": str(i % 4),
            }
            for i in range(80)
        ])
        cls.env.flush_all()

    def _count_queries(self, func):
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        func()  # warm caches (ormcache, view compilation)
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        func()
        return self.cr.sql_log_count - before

    def test_partner_ticket_counter_constant(self):
        def count(partners):
            return self._count_queries(lambda: partners.mapped("helpdesk_ticket_count"))

        one = count(self.partners[:1])
        fifty = count(self.partners)
        self.assertEqual(one, fifty, "the partner counter must not issue one query per partner")
        with self.assertQueryCount(3):
            self.env.invalidate_all()
            self.partners.mapped("helpdesk_ticket_count")

    @users("hd_test_agent_a")
    def test_kanban_and_list_read_bounded(self):
        Ticket = self.env["helpdesk.ticket"]
        kanban_fields = {
            "number": {}, "name": {}, "partner_id": {"fields": {"display_name": {}}},
            "department_id": {"fields": {"display_name": {}}}, "channel": {}, "color": {}, "closed": {},
            "priority": {}, "user_id": {"fields": {"display_name": {}}},
            "tag_ids": {"fields": {"display_name": {}, "color": {}}},
            "activity_ids": {}, "stage_id": {"fields": {"display_name": {}}},
        }

        def read_80():
            Ticket.web_search_read([("department_id", "=", self.department_a.id)], kanban_fields, limit=80)

        def read_8():
            Ticket.web_search_read([("department_id", "=", self.department_a.id)], kanban_fields, limit=8)

        small = self._count_queries(read_8)
        large = self._count_queries(read_80)
        self.assertEqual(small, large, "reading 80 tickets must cost the same number of queries as 8")
        self.assertLessEqual(large, 16)

    @users("hd_test_agent_a")
    def test_overview_counters_constant(self):
        more = self.env["helpdesk.department"].sudo().create([{"name": f"Perf dep {i}"} for i in range(8)])
        self.env["helpdesk.ticket"].sudo().create([{"name": f"t{i}", "department_id": d.id} for i, d in enumerate(more)])
        Department = self.env["helpdesk.department"]
        one = Department.browse(self.department_a.ids)
        ten = Department.browse((self.department_a | self.department_b | more).ids)
        cost_one = self._count_queries(lambda: one.mapped("open_ticket_count"))
        cost_ten = self._count_queries(lambda: ten.mapped("open_ticket_count"))
        self.assertEqual(cost_one, cost_ten, "overview counters must not cost a query per department")
