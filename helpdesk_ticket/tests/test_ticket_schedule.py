from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import HelpdeskCommon


@tagged("post_install", "-at_install")
class TestTicketSchedule(HelpdeskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # only the schedules of these tests are due
        cls.env["helpdesk.ticket.schedule"].search([]).active = False

    def _schedule(self, **values):
        vals = {
            "name": "Subscription renewal check",
            "description": "<p>Check the renewal with the customer.</p>",
            "department_id": self.department_a.id,
            "partner_id": self.customer.id,
            "next_date": fields.Date.today(),
            "interval_number": 1,
            "interval_type": "months",
        }
        vals.update(values)
        return self.env["helpdesk.ticket.schedule"].create(vals)

    def _run_cron(self):
        return self.env["helpdesk.ticket.schedule"]._cron_create_due_tickets()

    def test_due_schedule_opens_one_ticket_through_create(self):
        today = fields.Date.today()
        self.department_a.assignment_method = "round_robin"
        schedule = self._schedule()
        not_due = self._schedule(name="Later", next_date=today + timedelta(days=3))
        tickets = self._run_cron()
        self.assertEqual(len(tickets), 1)
        ticket = tickets
        self.assertEqual(ticket.name, "Subscription renewal check")
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.department_id, self.department_a)
        self.assertTrue(ticket.number.startswith("HD-"), "numbered by the ordinary create path")
        self.assertIn(ticket.user_id, self.department_a.member_ids, "assigned by the department's method")
        self.assertIn(self.customer, ticket.message_partner_ids)
        self.assertEqual(schedule.next_date, today + relativedelta(months=1))
        self.assertEqual(schedule.last_date, today)
        self.assertEqual(schedule.ticket_ids, ticket)
        self.assertFalse(not_due.ticket_ids)

    def test_cron_twice_creates_once(self):
        schedule = self._schedule()
        self._run_cron()
        self.assertFalse(self._run_cron(), "second run on the same day opens nothing")
        self.assertEqual(len(schedule.ticket_ids), 1)

    def test_missed_periods_are_not_piled_up(self):
        today = fields.Date.today()
        schedule = self._schedule(next_date=today - timedelta(days=10), interval_type="days", interval_number=3)
        self.assertEqual(len(self._run_cron()), 1)
        self.assertGreater(schedule.next_date, today)
        self.assertLessEqual(schedule.next_date, today + timedelta(days=3))
        self.assertFalse(self._run_cron())

    def test_routing_rules_apply(self):
        self.env["helpdesk.routing.rule"].create({
            "name": "Renewals are urgent", "keywords": "renewal", "set_priority": "3",
        })
        schedule = self._schedule(priority="1")
        ticket = self._run_cron()
        self.assertEqual(ticket.priority, "3")
        self.assertEqual(schedule.ticket_ids, ticket)

    def test_archived_schedule_does_nothing(self):
        self._schedule(active=False)
        self.assertFalse(self._run_cron())

    def test_agents_cannot_edit_schedules(self):
        schedule = self._schedule()
        with self.assertRaises(AccessError):
            schedule.with_user(self.agent_a).write({"next_date": date(2000, 1, 1)})

    def test_second_worker_skips_locked_schedule(self):
        """Two workers at once: the one that locked the schedule opens the ticket, the other skips it."""
        with self.registry.cursor() as setup_cr:
            env = self.env(cr=setup_cr)
            schedule_id = env["helpdesk.ticket.schedule"].create({
                "name": "Concurrent schedule", "next_date": fields.Date.today(),
            }).id
            setup_cr.commit()
        try:
            with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
                tickets1 = self.env(cr=cr1)["helpdesk.ticket.schedule"]._cron_create_due_tickets()
                self.assertIn(schedule_id, self.env(cr=cr1)["helpdesk.ticket.schedule"].search(
                    [("ticket_ids", "in", tickets1.ids)]).ids)
                tickets2 = self.env(cr=cr2)["helpdesk.ticket.schedule"]._cron_create_due_tickets()
                schedule2 = self.env(cr=cr2)["helpdesk.ticket.schedule"].browse(schedule_id)
                self.assertFalse(tickets2.filtered(lambda t: t.name == "Concurrent schedule"))
                self.assertFalse(schedule2.ticket_ids)
                cr2.rollback()
                cr1.rollback()
        finally:
            with self.registry.cursor() as cleanup_cr:
                cleanup_cr.execute("DELETE FROM helpdesk_ticket_schedule WHERE id = %s", [schedule_id])

    def test_schedule_changed_since_the_run_began(self):
        """A due schedule edited and saved by someone after the run's transaction
        began (locking it would be a serialization failure): the run does not fail,
        it plans a new run a few seconds later, which opens the ticket."""
        with self.registry.cursor() as setup_cr:
            schedule_id = self.env(cr=setup_cr)["helpdesk.ticket.schedule"].create({
                "name": "Edited schedule", "next_date": fields.Date.today(),
            }).id
            setup_cr.commit()
        try:
            with self.registry.cursor() as cron_cr, self.registry.cursor() as user_cr:
                cron_cr.execute("SELECT 1")  # the run's snapshot is taken
                user_cr.execute("UPDATE helpdesk_ticket_schedule SET name = 'Edited schedule (renamed)' "
                                "WHERE id = %s", [schedule_id])
                user_cr.commit()
                env = self.env(cr=cron_cr)
                cron = env.ref("helpdesk_ticket.ir_cron_helpdesk_ticket_schedule")
                before = fields.Datetime.now()
                self.assertFalse(env["helpdesk.ticket.schedule"]._cron_create_due_tickets())
                self.assertTrue(env["ir.cron.trigger"].search([("cron_id", "=", cron.id), ("call_at", ">", before)]),
                                "a new run is planned")
                cron_cr.rollback()
            with self.registry.cursor() as cr:
                tickets = self.env(cr=cr)["helpdesk.ticket.schedule"]._cron_create_due_tickets()
                self.assertIn("Edited schedule (renamed)", tickets.mapped("name"))
                cr.rollback()
        finally:
            with self.registry.cursor() as cleanup_cr:
                cleanup_cr.execute("DELETE FROM helpdesk_ticket_schedule WHERE id = %s", [schedule_id])
