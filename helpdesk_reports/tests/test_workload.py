from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import ReportsCommon


@tagged("post_install", "-at_install")
class TestManagerMeasures(ReportsCommon):
    """First-contact resolution, answered vs unanswered, backlog over time."""

    def _ticket(self, name, **values):
        return self.env["helpdesk.ticket"].create(dict({
            "name": name, "department_id": self.department_a.id, "partner_id": self.customer.id,
        }, **values))

    def _agent_reply(self, ticket, agent=None):
        ticket.with_user(agent or self.agent_a).message_post(
            body="<p>Answer</p>", message_type="comment", subtype_xmlid="mail.mt_comment",
        )

    def _row(self, ticket):
        self.env.flush_all()
        return self.env["helpdesk.ticket.analysis"].search([("ticket_id", "=", ticket.id)])

    def test_first_contact_resolution(self):
        one_reply = self._ticket("One reply")
        self._agent_reply(one_reply)
        one_reply.action_close()
        two_replies = self._ticket("Two replies")
        self._agent_reply(two_replies)
        self._agent_reply(two_replies)
        two_replies.action_close()
        reopened = self._ticket("Reopened")
        self._agent_reply(reopened)
        reopened.action_close()
        reopened.action_reopen()
        reopened.action_close()
        still_open = self._ticket("Open")
        self._agent_reply(still_open)
        self.assertEqual(self._row(one_reply).first_contact_resolution, 1)
        self.assertEqual(self._row(two_replies).first_contact_resolution, 0)
        self.assertEqual(self._row(reopened).first_contact_resolution, 0, "reopened once")
        self.assertFalse(self._row(still_open).first_contact_resolution, "not measured while open")
        tickets = one_reply | two_replies | reopened | still_open
        [[rate]] = self.env["helpdesk.ticket.analysis"]._read_group(
            [("ticket_id", "in", tickets.ids)], aggregates=["first_contact_resolution:avg"],
        )
        self.assertAlmostEqual(rate, 1 / 3)

    def test_answered_and_unanswered_volume(self):
        answered = self._ticket("Answered")
        self._agent_reply(answered)
        unanswered = self._ticket("Unanswered")
        unanswered.message_post(body="<p>Hello?</p>", message_type="comment", author_id=self.customer.id,
                                subtype_xmlid="mail.mt_comment")
        unanswered.with_user(self.agent_a).message_post(body="<p>internal</p>", subtype_xmlid="mail.mt_note")
        self.env.flush_all()
        groups = dict(self.env["helpdesk.ticket.analysis"]._read_group(
            [("ticket_id", "in", (answered | unanswered).ids)], ["answer_status"], ["__count"],
        ))
        self.assertEqual(groups, {"answered": 1, "unanswered": 1})

    def test_backlog_per_day(self):
        now = self._db_now()
        today = now.date()
        old_closed = self._ticket("Created 5 days ago, closed 2 days ago")
        self._backdate(old_closed, now - timedelta(days=5), closed=now - timedelta(days=2))
        old_open = self._ticket("Created 3 days ago, open")
        self._backdate(old_open, now - timedelta(days=3))
        self.env.flush_all()
        rows = self.env["helpdesk.ticket.backlog"]._read_group(
            [("department_id", "=", self.department_a.id), ("date", ">=", today - timedelta(days=6))],
            ["date:day"], ["open_count:sum"],
        )
        by_day = {fields.Date.to_date(day): count for day, count in rows}
        self.assertNotIn(today - timedelta(days=6), by_day)
        self.assertEqual(by_day[today - timedelta(days=5)], 1)
        self.assertEqual(by_day[today - timedelta(days=3)], 2)
        self.assertEqual(by_day[today - timedelta(days=2)], 1, "closed during that day: not open at its end")
        self.assertEqual(by_day[today], 1)

    def test_agents_do_not_read_manager_boards(self):
        for model in ("helpdesk.ticket.backlog", "helpdesk.agent.workload"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(self.agent_a).search([])


@tagged("post_install", "-at_install")
class TestWorkloadBoard(ReportsCommon):
    """Open tickets by agent and priority against the capacity, and the board (tickets
    kanban grouped by agent) in a constant number of queries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_a.helpdesk_capacity = 2
        cls.agent_a2.helpdesk_capacity = 10
        Ticket = cls.env["helpdesk.ticket"]
        Ticket.create([
            {"name": f"A {i}", "department_id": cls.department_a.id, "user_id": cls.agent_a.id, "priority": p}
            for i, p in enumerate(["3", "2", "1"])
        ])
        Ticket.create({"name": "A2", "department_id": cls.department_a.id, "user_id": cls.agent_a2.id, "priority": "0"})

    def _workload(self, user):
        self.env.flush_all()
        return self.env["helpdesk.agent.workload"].search([("user_id", "=", user.id)])

    def test_counts_capacity_and_over(self):
        row = self._workload(self.agent_a)
        self.assertEqual((row.open_count, row.urgent_count, row.high_count, row.normal_count), (3, 1, 1, 1))
        self.assertEqual(row.capacity, 2)
        self.assertTrue(row.over_capacity)
        self.assertAlmostEqual(row.load_percent, 150.0)
        other = self._workload(self.agent_a2)
        self.assertEqual((other.open_count, other.low_count, other.over_capacity), (1, 1, False))
        manager = self._workload(self.manager)
        self.assertEqual(manager.open_count, 0, "department managers are on the board too")
        over = self.env["helpdesk.agent.workload"].search([("over_capacity", "=", True)])
        self.assertIn(self.agent_a, over.user_id)
        self.assertNotIn(self.agent_a2, over.user_id)

    def test_rows_per_company_of_the_departments(self):
        """An agent working for two companies has a row per company, counting that
        company's tickets: company A's manager sees the agent's A tickets only (nothing
        of B's), and an agent whose main company is B is on A's board too."""
        company_b = self.env["res.company"].create({"name": "Workload B"})
        both = new_test_user(self.env, login="wl_both", groups="helpdesk_ticket.group_helpdesk_agent",
                             company_id=company_b.id, company_ids=[Command.set((company_b | self.env.company).ids)])
        both.helpdesk_capacity = 3
        department_b = self.env["helpdesk.department"].with_company(company_b).create({
            "name": "Workload B support", "company_id": company_b.id, "member_ids": [Command.set(both.ids)],
        })
        self.department_a.member_ids = [Command.link(both.id)]
        Ticket = self.env["helpdesk.ticket"].sudo()
        Ticket.create([{"name": f"B {i}", "department_id": department_b.id, "user_id": both.id} for i in range(5)])
        Ticket.create({"name": "A", "department_id": self.department_a.id, "user_id": both.id})
        self.env.flush_all()
        rows = self.env["helpdesk.agent.workload"].search([("user_id", "=", both.id)])
        self.assertEqual({(r.company_id, r.open_count) for r in rows}, {(self.env.company, 1), (company_b, 5)})
        self.assertEqual(rows.filtered(lambda r: r.company_id == company_b).over_capacity, True)
        self.assertIn(self.env.company, self.manager.company_ids)
        self.assertNotIn(company_b, self.manager.company_ids)
        seen = self.env["helpdesk.agent.workload"].with_user(self.manager).search([("user_id", "=", both.id)])
        self.assertEqual(seen.mapped("open_count"), [1], "company A's manager sees A's count only")
        action = seen.action_open_tickets()
        self.assertEqual(self.env["helpdesk.ticket"].with_user(self.manager).search(action["domain"]).mapped("name"),
                         ["A"])

    def test_drag_and_drop_reassigns(self):
        """The board's drop writes the column's user_id on the ticket (as the kanban does)."""
        ticket = self.env["helpdesk.ticket"].search([("user_id", "=", self.agent_a.id)], limit=1)
        ticket.with_user(self.manager).write({"user_id": self.agent_a2.id})
        self.assertEqual(self._workload(self.agent_a).open_count, 2)
        self.assertFalse(self._workload(self.agent_a).over_capacity)
        self.assertEqual(self._workload(self.agent_a2).open_count, 2)

    def test_board_action(self):
        action = self.env.ref("helpdesk_reports.helpdesk_workload_board_action")
        kanban = self.env.ref("helpdesk_reports.helpdesk_ticket_view_kanban_workload")
        self.assertEqual(action.view_ids[0].view_id, kanban)
        self.assertIn('default_group_by="user_id"', kanban.arch_db)
        self.assertIn("closed", action.domain)

    def _agents(self, count, prefix):
        users = self.env["res.users"]
        for i in range(count):
            users |= new_test_user(self.env, login=f"{prefix}{i}", groups="helpdesk_ticket.group_helpdesk_agent")
        department = self.env["helpdesk.department"].create({
            "name": f"Load {prefix}", "member_ids": [Command.set(users.ids)],
        })
        self.env["helpdesk.ticket"].create([
            {"name": f"{prefix} {user.login} {p}", "department_id": department.id, "user_id": user.id, "priority": p}
            for user in users for p in ("0", "3")
        ])
        self.env.flush_all()
        return department

    def _open_board(self, department):
        """What the web client reads to show the board and the capacity list of a department."""
        env = self.env(user=self.manager)
        Ticket = env["helpdesk.ticket"]
        domain = [("closed", "=", False), ("department_id", "=", department.id)]
        Ticket.web_read_group(domain, ["user_id"], ["user_id"], lazy=False)
        Ticket.read_progress_bar(domain, "user_id", {"field": "priority", "colors": {"3": "danger"}})
        Ticket.web_search_read(domain, {
            "number": {}, "name": {}, "stage_id": {"fields": {"display_name": {}}}, "priority": {},
            "department_id": {"fields": {"display_name": {}}}, "partner_id": {"fields": {"display_name": {}}},
            "user_id": {"fields": {"display_name": {}}},
        }, limit=200)
        env["helpdesk.agent.workload"].web_search_read([("user_id", "in", department.member_ids.ids)], {
            "user_id": {"fields": {"display_name": {}}}, "open_count": {}, "urgent_count": {}, "high_count": {},
            "normal_count": {}, "low_count": {}, "capacity": {}, "load_percent": {}, "over_capacity": {},
        })

    def _count_queries(self, func):
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        func()
        return self.cr.sql_log_count - before

    def test_board_queries_do_not_grow_with_agents(self):
        small = self._agents(2, "wl_small_")
        large = self._agents(20, "wl_large_")
        # warm up (ormcache of rules, views)
        self._open_board(small)
        self._open_board(large)
        queries = self._count_queries(lambda: self._open_board(small))
        self.env.invalidate_all()
        with self.assertQueryCount(queries):
            self._open_board(large)
