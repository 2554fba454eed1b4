import threading
from collections import Counter
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import Command, SUPERUSER_ID, api, fields, sql_db
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import HelpdeskCommon


@tagged("post_install", "-at_install")
class TestAssignment(HelpdeskCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["helpdesk.routing.rule"].search([]).active = False
        cls.agents = cls.env["res.users"]
        for name in ("Xena", "Yuri", "Zoe"):
            cls.agents |= new_test_user(
                cls.env, login=f"hd_assign_{name.lower()}", name=f"{name} Agent",
                groups="helpdesk_ticket.group_helpdesk_agent", email=f"{name.lower()}@example.com",
            )
        cls.xena, cls.yuri, cls.zoe = cls.agents
        cls.team = cls.env["helpdesk.department"].create({
            "name": "Assignment Team",
            "member_ids": [Command.set(cls.agents.ids)],
            "assignment_method": "round_robin",
        })
        cls.other_team = cls.env["helpdesk.department"].create({"name": "Other Team (assignment)"})

    def setUp(self):
        super().setUp()
        # the round-robin position is an ir.sequence, not transactional: every
        # test starts a fresh rotation of the team
        self.team.round_robin_sequence_id.number_next = 1

    def _tickets(self, count, department=None, **values):
        return self.env["helpdesk.ticket"].create([
            dict({"name": f"Assignment ticket {i}", "department_id": (department or self.team).id}, **values)
            for i in range(count)
        ])

    def _set_presence(self, user, status):
        presence = self.env["bus.presence"].search([("user_id", "=", user.id)])
        if presence:
            presence.status = status
        else:
            self.env["bus.presence"].create({"user_id": user.id, "status": status})

    def _age_assignments(self, user, days):
        """Pretend the tickets of ``user`` were assigned ``days`` ago."""
        tickets = self.env["helpdesk.ticket"].search([("user_id", "=", user.id)])
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET date_assigned = %s WHERE id = ANY(%s)",
            [fields.Datetime.now() - timedelta(days=days), tickets.ids],
        )
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    def test_manual_leaves_tickets_unassigned(self):
        self.team.assignment_method = "manual"
        tickets = self._tickets(3)
        self.assertFalse(tickets.user_id)

    def test_round_robin_30_tickets_over_3_agents(self):
        tickets = self._tickets(30)
        self.assertEqual(Counter(ticket.user_id.login for ticket in tickets), {
            "hd_assign_xena": 10, "hd_assign_yuri": 10, "hd_assign_zoe": 10,
        })
        # strict rotation, continued by single creations (another request, another worker)
        self.assertEqual(tickets[:3].mapped("user_id"), self.agents)
        self.assertEqual(self._tickets(1).user_id, self.xena)
        self.assertEqual(self._tickets(1).user_id, self.yuri)

    def test_round_robin_skips_removed_and_archived_members(self):
        self.assertEqual(self._tickets(1).user_id, self.xena)
        self.team.member_ids = [Command.unlink(self.yuri.id)]
        self.assertEqual(self._tickets(1).user_id, self.zoe)
        self.zoe.active = False
        self.assertEqual(self._tickets(1).user_id, self.xena)

    def test_round_robin_skips_members_no_longer_agents(self):
        self.assertEqual(self._tickets(1).user_id, self.xena)
        self.yuri.groups_id = [Command.unlink(self.env.ref("helpdesk_ticket.group_helpdesk_agent").id)]
        self.assertEqual(self._tickets(2).user_id, self.zoe | self.xena, "Yuri is skipped")

    def test_round_robin_position_is_an_ir_sequence_per_department(self):
        """Each department has its own standard ir.sequence (created with it, through
        the ORM: no DDL of the helpdesk at run time) and removed with it."""
        sequence = self.team.round_robin_sequence_id
        self.assertEqual(sequence.implementation, "standard")
        self.assertNotEqual(sequence, self.other_team.round_robin_sequence_id)
        copy = self.team.copy({"name": "Assignment Team (copy)"})
        self.assertTrue(copy.round_robin_sequence_id)
        self.assertNotEqual(copy.round_robin_sequence_id, sequence)
        # the copy starts its own rotation, the original continues its one
        self.assertEqual(self._tickets(2).user_id, self.xena | self.yuri)
        self.assertEqual(self._tickets(1, department=copy).user_id, self.xena)
        self.assertEqual(self._tickets(1).user_id, self.zoe)
        self.assertEqual(sequence.number_next_actual, 4)
        self.cr.execute("SELECT count(*) FROM pg_class WHERE relkind = 'S' AND relname LIKE 'helpdesk_department_rr%%'")
        self.assertEqual(self.cr.fetchone()[0], 0, "no sequence of the helpdesk's own")
        removed = self.env["helpdesk.department"].create({"name": "Removed (assignment)"})
        removed_sequence = removed.round_robin_sequence_id
        removed.unlink()
        self.assertFalse(removed_sequence.exists())

    def test_balanced_picks_least_loaded(self):
        self.team.assignment_method = "manual"
        self._tickets(3, user_id=self.xena.id)
        self._tickets(1, user_id=self.yuri.id)
        self._tickets(2, user_id=self.zoe.id)
        # closed tickets are no workload
        self._tickets(5, user_id=self.yuri.id).action_close()
        self.team.assignment_method = "balanced"
        first = self._tickets(1)
        self.assertEqual(first.user_id, self.yuri)
        # now yuri and zoe have 2 each: the one idle the longest (zoe) wins the tie
        self._age_assignments(self.zoe, 3)
        self.assertEqual(self._tickets(1).user_id, self.zoe)
        # workload counts the agent's open tickets of every department
        self._tickets(4, department=self.other_team, user_id=self.yuri.id)
        self.assertEqual(self._tickets(1).user_id, self.xena)

    def test_longest_idle(self):
        self.team.assignment_method = "manual"
        self._tickets(1, user_id=self.xena.id)
        self._tickets(1, user_id=self.yuri.id)
        self._tickets(1, user_id=self.zoe.id)
        self._age_assignments(self.xena, 1)
        self._age_assignments(self.yuri, 5)
        self._age_assignments(self.zoe, 3)
        self.team.assignment_method = "longest_idle"
        self.assertEqual(self._tickets(1).user_id, self.yuri)
        # yuri just got one: zoe is now the longest idle, then xena
        self.assertEqual(self._tickets(1).user_id, self.zoe)
        self.assertEqual(self._tickets(1).user_id, self.xena)
        # a new member who never received a ticket is the most idle of all
        newbie = new_test_user(self.env, login="hd_assign_newbie", groups="helpdesk_ticket.group_helpdesk_agent")
        self.team.member_ids = [Command.link(newbie.id)]
        self.assertEqual(self._tickets(1).user_id, newbie)

    def test_sticky_same_customer_company(self):
        self.team.assignment_method = "sticky"
        self._tickets(1, partner_id=self.customer_colleague.id, user_id=self.zoe.id)
        # another contact of the same company gets the same agent
        ticket = self._tickets(1, partner_id=self.customer.id)
        self.assertEqual(ticket.user_id, self.zoe)
        # it also works across departments, as long as the agent is a member here
        self.other_team.write({"assignment_method": "sticky", "member_ids": [Command.set(self.xena.ids)]})
        other = self._tickets(1, department=self.other_team, partner_id=self.customer.id)
        self.assertEqual(other.user_id, self.xena, "zoe is no member of the other team")
        # the latest handler (xena) left the team: fallback to balanced (yuri has the fewest tickets)
        self.team.member_ids = [Command.unlink(self.xena.id)]
        self._tickets(2, user_id=self.zoe.id, partner_id=self.other_customer.id)
        self._tickets(1, user_id=self.yuri.id, partner_id=self.other_customer.id)
        fallback = self._tickets(1, partner_id=self.customer.id)
        self.assertEqual(fallback.user_id, self.yuri)

    def test_sticky_falls_back_to_balanced_for_new_customers(self):
        self.team.assignment_method = "manual"
        self._tickets(2, user_id=self.xena.id)
        self._tickets(1, user_id=self.zoe.id)
        self.team.assignment_method = "sticky"
        ticket = self._tickets(1, partner_id=self.other_customer.id)
        self.assertEqual(ticket.user_id, self.yuri)
        no_partner = self._tickets(1)
        self.assertEqual(no_partner.user_id, self.zoe)

    def test_balanced_batch_spreads_over_agents(self):
        """One create() of many tickets (an import, a mail fetch) counts the choices
        it makes: the batch is spread, not given to the least-loaded agent."""
        self.team.assignment_method = "manual"
        self._tickets(2, user_id=self.xena.id)
        self.team.assignment_method = "balanced"
        tickets = self._tickets(7)
        counts = Counter(ticket.user_id for ticket in tickets)
        # xena had 2: the other two get 2 each first, then one each in turn
        self.assertEqual(counts, {self.yuri: 3, self.zoe: 3, self.xena: 1})
        self.team.assignment_method = "longest_idle"
        self.assertEqual(len(self._tickets(3).user_id), 3, "longest idle rotates within a batch")

    def test_sticky_batch_keeps_one_agent_per_company(self):
        self.team.assignment_method = "sticky"
        tickets = self._tickets(4, partner_id=self.customer.id) | self._tickets(1, partner_id=self.customer_colleague.id)
        self.assertEqual(len(tickets.user_id), 1, "every ticket of the company goes to one agent")
        batch = self.env["helpdesk.ticket"].create([
            {"name": f"Mixed {i}", "department_id": self.team.id,
             "partner_id": (self.customer if i % 2 else self.other_customer).id}
            for i in range(6)
        ])
        for partner in (self.customer, self.other_customer):
            self.assertEqual(len(batch.filtered(lambda t: t.partner_id == partner).user_id), 1)
        self.assertEqual(batch.filtered(lambda t: t.partner_id == self.customer).user_id, tickets.user_id)

    def test_assignment_queries_do_not_grow_with_the_batch(self):
        for method in ("round_robin", "balanced", "longest_idle", "sticky"):
            with self.subTest(method=method):
                self.team.assignment_method = method
                counts = []
                for size in (3, 30):
                    tickets = self.env["helpdesk.ticket"].with_context(tracking_disable=True).create([
                        {"name": f"Query count {i}", "department_id": self.other_team.id,
                         "partner_id": self.customer.id}
                        for i in range(size)
                    ])
                    self.env.flush_all()
                    self.env.invalidate_all()
                    tickets = tickets.browse(tickets.ids)
                    tickets.mapped("commercial_partner_id")
                    tickets.mapped("company_id")
                    # warm up: the first assignment creates the round-robin sequence
                    # and reads the members
                    self.team._assign_tickets(tickets[:1])
                    queries = self.cr.sql_log_count
                    agents = self.team._assign_tickets(tickets)
                    counts.append(self.cr.sql_log_count - queries)
                    self.assertEqual(len(agents), size)
                self.assertEqual(counts[0], counts[1], f"{method}: queries for 3 and 30 tickets")

    def test_agents_told_by_the_notice_job(self):
        def assignment_messages(agent):
            return self.env["mail.message"].search([
                ("partner_ids", "in", agent.partner_id.ids), ("subject", "ilike", "assigned"),
            ])

        job = self.env.ref("helpdesk_ticket.ir_cron_helpdesk_assignment_notice")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", job.id)])
        self.run_assignment_notices()  # earlier assignments (demo data, fixtures)
        before = {agent: assignment_messages(agent) for agent in self.agents}
        single = self._tickets(1)
        self.assertTrue(single.assignment_notice_pending)
        self.assertEqual(assignment_messages(single.user_id), before[single.user_id], "not in the creating request")
        self.cr.flush()
        self.assertEqual(len(self.env["ir.cron.trigger"].search([("cron_id", "=", job.id)]) - triggers), 1,
                         "the job is woken when the transaction commits")
        self.assertEqual(self.run_assignment_notices(), 1)
        got = assignment_messages(single.user_id) - before[single.user_id]
        self.assertEqual(len(got), 1)
        self.assertEqual((got.model, got.res_id), ("helpdesk.ticket", single.id), "Odoo's usual notification")
        self.assertFalse(single.assignment_notice_pending)
        self.assertEqual(self.run_assignment_notices(), 0, "told once")
        # two batches before the job runs: one summary per agent for all their tickets
        before = {agent: assignment_messages(agent) for agent in self.agents}
        batch = self._tickets(6) | self._tickets(3)
        self.run_assignment_notices()
        for agent in self.agents:
            got = assignment_messages(agent) - before[agent]
            self.assertEqual(len(got), 1, "one summary per agent")
            for ticket in batch.filtered(lambda t: t.user_id == agent):
                self.assertIn(ticket.number, got.body)
        # reassigned by hand before the job ran: Odoo tells the new agent, the job nobody
        ticket = self._tickets(1)
        first = ticket.user_id
        before = {agent: assignment_messages(agent) for agent in self.agents}
        ticket.user_id = (self.agents - first)[0]
        self.assertFalse(ticket.assignment_notice_pending)
        self.run_assignment_notices()
        self.assertEqual(assignment_messages(first), before[first], "the former agent is not told")
        # nobody is told about their own assignment: zoe creates a ticket of a
        # department where the assignment can only pick her
        solo = self.env["helpdesk.department"].create({
            "name": "Solo (assignment)", "member_ids": [Command.set(self.zoe.ids)], "assignment_method": "round_robin",
        })
        before = assignment_messages(self.zoe)
        own = self.env["helpdesk.ticket"].with_user(self.zoe).create([
            {"name": f"Own {i}", "department_id": solo.id} for i in range(2)
        ])
        self.assertEqual(own.user_id, self.zoe)
        self.assertFalse(any(own.mapped("assignment_notice_pending")))
        self.run_assignment_notices()
        self.assertEqual(assignment_messages(self.zoe), before)
        # ... while somebody else's creation notifies her
        other = self.env["helpdesk.ticket"].create({"name": "Theirs", "department_id": solo.id})
        self.assertEqual(other.user_id, self.zoe)
        self.run_assignment_notices()
        self.assertEqual(len(assignment_messages(self.zoe) - before), 1)

    def test_assignment_summary_mail_queued_for_the_scheduler(self):
        """The summary mail of several tickets is queued and the mail scheduler woken,
        never sent by the job's own transaction after its commit (the scheduler, woken
        by the other jobs, would take the same mail: two senders of one mail)."""
        self.run_assignment_notices()
        self.agents.write({"notification_type": "email"})
        scheduler = self.env.ref("mail.ir_cron_mail_scheduler_action")
        tickets = self._tickets(2 * len(self.agents))
        self.cr.flush()
        # the wake-ups of this (test) transaction so far: gone, as if committed and run
        self.env["ir.cron.trigger"].search([("cron_id", "=", scheduler.id)]).unlink()
        self.run_assignment_notices()
        for agent in tickets.user_id:
            mails = self.env["mail.mail"].sudo().search([
                ("recipient_ids", "in", agent.partner_id.ids), ("subject", "ilike", "helpdesk tickets"),
            ])
            self.assertEqual(len(mails), 1, "one summary mail per agent")
            self.assertEqual(mails.state, "outgoing", "queued, not sent by the job")
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", scheduler.id)]),
            "the mail scheduler is woken when the job commits",
        )

    def test_random_online_never_picks_offline_agents(self):
        self.team.assignment_method = "random_online"
        self._set_presence(self.xena, "online")
        self._set_presence(self.yuri, "offline")
        self._set_presence(self.zoe, "away")
        tickets = self._tickets(20)
        self.assertEqual(tickets.user_id, self.xena)
        self._set_presence(self.zoe, "online")
        tickets = self._tickets(20)
        self.assertEqual(set(tickets.user_id.ids) - {self.xena.id, self.zoe.id}, set())
        self.assertNotIn(self.yuri, tickets.user_id)

    def test_random_online_nobody_online(self):
        self.team.assignment_method = "random_online"
        ticket = self._tickets(1)
        self.assertFalse(ticket.user_id)

    def test_assign_only_online_restricts_every_method(self):
        self._set_presence(self.xena, "offline")
        self._set_presence(self.yuri, "online")
        self._set_presence(self.zoe, "online")
        for method in ("round_robin", "balanced", "longest_idle", "sticky"):
            with self.subTest(method=method):
                self.team.write({"assignment_method": method, "assign_only_online": True})
                tickets = self._tickets(6, partner_id=self.customer.id)
                self.assertTrue(all(tickets.mapped("user_id")))
                self.assertNotIn(self.xena, tickets.user_id)

    def test_assign_only_online_nobody_online_stays_unassigned(self):
        self.team.write({"assignment_method": "round_robin", "assign_only_online": True})
        self._set_presence(self.xena, "away")
        ticket = self._tickets(1)
        self.assertFalse(ticket.user_id)
        unassigned = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_ticket.helpdesk_ticket_action_unassigned")
        self.assertIn("search_default_unassigned", unassigned["context"])
        visible = self.env["helpdesk.ticket"].with_user(self.xena).search(
            [("user_id", "=", False), ("closed", "=", False), ("department_id", "=", self.team.id)]
        )
        self.assertIn(ticket, visible, "the unassigned ticket waits in the members' Unassigned queue")
        # once someone comes online, the next ticket is assigned again
        self._set_presence(self.yuri, "online")
        self.assertEqual(self._tickets(1).user_id, self.yuri)

    def test_department_change_reassigns(self):
        self.team.assignment_method = "manual"
        ticket = self._tickets(1, department=self.other_team)
        self.assertFalse(ticket.user_id)
        self.team.assignment_method = "round_robin"
        ticket.department_id = self.team
        self.assertEqual(ticket.user_id, self.xena)

    def test_members_of_other_company_are_not_candidates(self):
        other_company = self.env["res.company"].create({"name": "Elsewhere Ltd (assignment)"})
        outsider = new_test_user(
            self.env, login="hd_assign_outsider", groups="helpdesk_ticket.group_helpdesk_agent",
            company_id=other_company.id, company_ids=[Command.set(other_company.ids)],
        )
        self.team.member_ids = [Command.set(outsider.ids)]
        self.assertFalse(self._tickets(1).user_id)


@tagged("post_install", "-at_install")
class TestAssignmentConcurrency(TransactionCase):
    """Two workers creating tickets in the same round-robin department at the same time.

    Uses two real, independent database transactions (committed data, cleaned up
    afterwards): the second one waits on the department row lock, and when the first
    commits it must neither hand the same "next" agent out again nor fail with a
    serialization error."""

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(self.env.cr.dbname)
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # routing rules of the database (demo data) must not move the tickets elsewhere
            rules = env["helpdesk.routing.rule"].search([])
            rules.active = False
            self.disabled_rule_ids = rules.ids
            users = env["res.users"]
            for name in ("rr_one", "rr_two", "rr_three"):
                users |= new_test_user(env, login=f"hd_conc_{name}", groups="helpdesk_ticket.group_helpdesk_agent")
            department = env["helpdesk.department"].create({
                "name": "Concurrent Round Robin",
                "assignment_method": "round_robin",
                "member_ids": [Command.set(users.ids)],
            })
            self.user_ids = users.ids
            self.department_id = department.id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tickets = env["helpdesk.ticket"].with_context(active_test=False).search(
                [("department_id", "=", self.department_id)]
            )
            tickets.unlink()
            env["helpdesk.department"].browse(self.department_id).unlink()
            users = env["res.users"].browse(self.user_ids)
            partners = users.partner_id
            users.unlink()
            partners.unlink()
            env["helpdesk.routing.rule"].browse(self.disabled_rule_ids).active = True

    def _create_ticket(self, cr, name):
        env = api.Environment(cr, SUPERUSER_ID, {})
        ticket = env["helpdesk.ticket"].create({"name": name, "department_id": self.department_id})
        env.flush_all()
        return ticket.user_id.id

    def test_concurrent_round_robin_does_not_repeat_the_next_agent(self):
        cr1 = self.db.cursor()
        cr2 = self.db.cursor()
        results = {}
        try:
            # both transactions start before either has assigned anything
            cr1.execute("SELECT 1")
            cr2.execute("SELECT 1")
            cr2.execute("SELECT pg_backend_pid()")
            cr2_pid = cr2.fetchone()[0]
            results["first"] = self._create_ticket(cr1, "first worker")

            def second_worker():
                attempts = 0
                while True:
                    attempts += 1
                    try:
                        results["second"] = self._create_ticket(cr2, "second worker")
                        cr2.commit()
                        break
                    except (pg_errors.SerializationFailure, pg_errors.LockNotAvailable):
                        # what Odoo's request retry does
                        cr2.rollback()
                        if attempts > 5:
                            raise
                results["attempts"] = attempts

            with mute_logger("odoo.sql_db"):
                worker = threading.Thread(target=second_worker)
                worker.start()
                blocked = self._wait_for_lock(cr2_pid)
                cr1.commit()
                worker.join(timeout=60)
            self.assertFalse(worker.is_alive())
            self.assertTrue(blocked, "the second transaction waited for the department lock")
        finally:
            cr1.close()
            cr2.close()
        self.assertTrue(results.get("first"))
        self.assertTrue(results.get("second"))
        self.assertNotEqual(results["first"], results["second"], "both workers picked the same agent")
        self.assertEqual(results["attempts"], 1, "no serialization error reaches the second worker")
        self.assertEqual(results["first"], self.user_ids[0])
        self.assertEqual(results["second"], self.user_ids[1])

    def _wait_for_lock(self, pid):
        event = threading.Event()
        with self.db.cursor() as watcher:
            for _attempt in range(1200):
                watcher.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
                row = watcher.fetchone()
                watcher.rollback()
                if row and row[0] == "Lock":
                    return True
                event.wait(0.05)
        return False
