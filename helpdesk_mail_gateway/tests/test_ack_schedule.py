from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import MailGatewayCommon


@tagged("post_install", "-at_install")
class TestScheduledTicketAcknowledgement(MailGatewayCommon):
    """A ticket a schedule opens for a customer is acknowledged like a customer's ticket."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["helpdesk.ticket.schedule"].search([]).active = False
        cls.Schedule = cls.env["helpdesk.ticket.schedule"]

    def _acknowledgements(self, ticket):
        ticket.invalidate_recordset(["message_ids"])
        return ticket.message_ids.filtered(
            lambda m: m.message_type == "auto_comment" and ticket.number in (m.subject or "")
        )

    def test_scheduled_ticket_for_a_customer_is_acknowledged_once(self):
        self.Schedule.create({
            "name": "Yearly maintenance visit", "department_id": self.department_a.id,
            "partner_id": self.customer.id, "next_date": fields.Date.today(),
        })
        ticket = self.Schedule._cron_create_due_tickets()
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.channel, "internal")
        self.assertTrue(ticket.ack_pending)
        self.Ticket._cron_send_acknowledgements()
        ack = self._acknowledgements(ticket)
        self.assertEqual(len(ack), 1)
        self.assertIn(self.customer, ack.partner_ids)
        self.assertIn("access_token=", ack.body, "the customer can follow the ticket")
        self.Ticket._cron_send_acknowledgements()
        self.assertEqual(len(self._acknowledgements(ticket)), 1, "never sent twice")

    def test_scheduled_ticket_without_customer_sends_nothing(self):
        self.Schedule.create({
            "name": "Check the backups", "department_id": self.department_a.id,
            "next_date": fields.Date.today(),
        })
        ticket = self.Schedule._cron_create_due_tickets()
        self.assertFalse(ticket.ack_pending)
        self.Ticket._cron_send_acknowledgements()
        self.assertFalse(self._acknowledgements(ticket))

    def test_date_driven_ticket_is_acknowledged_to_the_record_contact(self):
        """A schedule driven by a date field (an opportunity's expected closing stands for
        a contract end date) acknowledges the record's contact."""
        lead = self.env["crm.lead"].create({
            "name": "Maintenance contract", "partner_id": self.customer_company.id,
            "date_deadline": fields.Date.today() + timedelta(days=30),
        })
        self.Schedule.create({
            "name": "Contract ends soon", "department_id": self.department_a.id,
            "trigger": "date_field", "res_model_id": self.env["ir.model"]._get_id("crm.lead"),
            "date_field_id": self.env["ir.model.fields"]._get("crm.lead", "date_deadline").id,
            "partner_field_id": self.env["ir.model.fields"]._get("crm.lead", "partner_id").id,
            "record_domain": repr([("id", "=", lead.id)]),
            "offset_number": 30, "offset_unit": "days", "offset_direction": "before",
        })
        ticket = self.Schedule._cron_create_due_tickets()
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.partner_id, self.customer_company, "the record's customer field")
        self.assertTrue(ticket.ack_pending)
        self.Ticket._cron_send_acknowledgements()
        self.assertEqual(len(self._acknowledgements(ticket)), 1)
