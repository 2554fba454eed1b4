from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

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
