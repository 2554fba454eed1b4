from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import HelpdeskCommon


@tagged("post_install", "-at_install")
class TestTicketScheduleDateField(HelpdeskCommon):
    """Schedules driven by a date of a record (an opportunity's expected closing date
    stands for a contract end date here) with an offset."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["helpdesk.ticket.schedule"].search([]).active = False
        cls.today = fields.Date.today()
        cls.contracts = cls.env["crm.lead"].create([
            {"name": "Contract ends in 10 days", "date_deadline": cls.today + timedelta(days=10), "referred": "HDSCHED"},
            {"name": "Contract ends in 60 days", "date_deadline": cls.today + timedelta(days=60), "referred": "HDSCHED"},
            {"name": "Contract ended a year ago", "date_deadline": cls.today - timedelta(days=365), "referred": "HDSCHED"},
            {"name": "Other kind", "date_deadline": cls.today, "referred": "OTHER"},
        ])

    def _schedule(self, **values):
        return self.env["helpdesk.ticket.schedule"].create(dict({
            "name": "Renewal call",
            "department_id": self.department_a.id,
            "partner_id": self.customer.id,
            "trigger": "date_field",
            "res_model_id": self.env["ir.model"]._get_id("crm.lead"),
            "date_field_id": self.env["ir.model.fields"]._get("crm.lead", "date_deadline").id,
            "record_domain": repr([("referred", "=", "HDSCHED")]),
            "offset_number": 30, "offset_unit": "days", "offset_direction": "before",
        }, **values))

    def _run(self):
        return self.env["helpdesk.ticket.schedule"]._cron_create_due_tickets()

    def test_ticket_offset_before_the_date_once_per_record(self):
        schedule = self._schedule()
        tickets = self._run()
        self.assertEqual(len(tickets), 1, "only the contract ending within 30 days (the old one is before date_from)")
        self.assertEqual(tickets.name, "Renewal call - Contract ends in 10 days")
        self.assertEqual(tickets.partner_id, self.customer)
        self.assertTrue(tickets.number.startswith("HD-"))
        self.assertEqual(schedule.occurrence_ids.res_id, self.contracts[0].id)
        self.assertEqual(schedule.occurrence_ids.date, self.contracts[0].date_deadline)
        self.assertFalse(self._run(), "never twice for the same record and date")
        # the contract is renewed: its new end date gets its own ticket when due
        self.contracts[0].date_deadline = self.today + timedelta(days=20)
        self.assertEqual(len(self._run()), 1)
        self.assertEqual(len(schedule.ticket_ids), 2)

    def test_offset_after_and_partner_field(self):
        self.contracts[0].partner_id = self.customer_company
        self._schedule(
            offset_direction="after", offset_number=0, partner_field_id=self.env["ir.model.fields"]._get(
                "crm.lead", "partner_id").id,
            record_domain=repr([("id", "=", self.contracts[0].id)]),
        )
        self.assertFalse(self._run(), "the date is in 10 days")
        self.contracts[0].date_deadline = self.today
        ticket = self._run()
        self.assertEqual(ticket.partner_id, self.customer_company, "the record's customer")

    def test_interval_schedules_unchanged(self):
        self._schedule(trigger="interval", next_date=self.today + timedelta(days=1))
        self.assertFalse(self._run())

    def test_invalid_configuration_is_refused(self):
        with self.assertRaises(ValidationError):
            self._schedule(date_field_id=False)
        with self.assertRaises(ValidationError):
            self._schedule(record_domain="__import__('os').system('id')")
        with self.assertRaises(ValidationError):
            self._schedule(date_field_id=self.env["ir.model.fields"]._get("helpdesk.ticket", "date_closed").id)

    def test_agents_cannot_create_date_schedules(self):
        with self.assertRaises(AccessError):
            self._schedule().with_user(self.agent_a).write({"offset_number": 1})

    def test_manager_cannot_read_other_tables_through_a_schedule(self):
        """Attacker: a helpdesk manager who may manage access rights (reading the models'
        fields, which a date-driven schedule needs) but is no administrator points a
        schedule at a model they may not read (the system parameters, the database secret
        among them) with a filter on its value: the job, running as superuser, would open
        one ticket per matching record, named after it. Refused when the schedule is saved."""
        manager = new_test_user(
            self.env, login="hd_sched_rights_manager",
            groups="helpdesk_ticket.group_helpdesk_manager,base.group_erp_manager",
        )
        self.assertFalse(self.env["ir.config_parameter"].with_user(manager).has_access("read"))
        Schedule = self.env["helpdesk.ticket.schedule"].with_user(manager)
        values = {
            "name": "Leak", "department_id": self.department_a.id, "trigger": "date_field",
            "res_model_id": self.env["ir.model"]._get_id("ir.config_parameter"),
            "date_field_id": self.env["ir.model.fields"]._get("ir.config_parameter", "create_date").id,
            "record_domain": repr([("key", "=", "database.secret"), ("value", "=like", "a%")]),
            "offset_number": 0,
        }
        with self.assertRaises(AccessError):
            Schedule.create(values)
        # a model the manager reads is accepted
        schedule = Schedule.create(dict(values, res_model_id=self.env["ir.model"]._get_id("res.partner"),
                                        date_field_id=self.env["ir.model.fields"]._get("res.partner", "create_date").id,
                                        record_domain=repr([("is_company", "=", True)])))
        self.assertEqual(schedule.res_model, "res.partner")

    def test_records_of_another_company_open_no_ticket(self):
        """A schedule of company A never opens tickets for company B's records (their names
        would show in company A's tickets)."""
        other_company = self.env["res.company"].create({"name": "Other Co (schedules)"})
        self.env["crm.lead"].create({
            "name": "Contract of Other Co", "date_deadline": self.today + timedelta(days=5), "referred": "HDSCHED",
            "company_id": other_company.id, "team_id": False, "user_id": False,
        })
        self._schedule()
        tickets = self._run()
        self.assertEqual(tickets.mapped("name"), ["Renewal call - Contract ends in 10 days"])
        self.assertEqual(tickets.company_id, self.company)

    def test_a_batch_at_a_time_and_the_rest_at_once(self):
        """More due records than a batch: the job opens a batch and tells the cron framework
        that work remains (it runs again at once); the next run opens the rest, each record
        once (the job reads only the records still without their ticket)."""
        self.env["crm.lead"].create([
            {"name": f"Batch contract {i}", "date_deadline": self.today + timedelta(days=3), "referred": "HDBATCH"}
            for i in range(3)
        ])
        self._schedule(record_domain=repr([("referred", "=", "HDBATCH")]))
        cron = self.env.ref("helpdesk_ticket.ir_cron_helpdesk_ticket_schedule")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id, "remaining": 0, "done": 0})
        Schedule = self.env["helpdesk.ticket.schedule"].with_context(ir_cron_progress_id=progress.id)
        self.assertEqual(len(Schedule._cron_create_due_tickets(limit=2)), 2)
        self.assertEqual(progress.done, 2)
        self.assertGreaterEqual(progress.remaining, 1, "the cron framework runs the next batch at once")
        last = Schedule._cron_create_due_tickets(limit=2)
        self.assertEqual(last.mapped("name"), ["Renewal call - Batch contract 2"])
        self.assertEqual(progress.remaining, 0)
        self.assertFalse(Schedule._cron_create_due_tickets(limit=2))
