from odoo.tests import tagged

from odoo.addons.helpdesk_ticket.tests.common import HelpdeskCommon
from odoo.addons.sms.tests.common import SMSCommon


@tagged("post_install", "-at_install")
class TestStageSms(HelpdeskCommon, SMSCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.mobile = "+32456010203"
        cls.sms_template = cls.env["sms.template"].create({
            "name": "Resolved",
            "model_id": cls.env["ir.model"]._get_id("helpdesk.ticket"),
            "body": "Ticket {{ object.number }} is resolved",
        })
        cls.stage_resolved.sms_template_id = cls.sms_template
        cls.stage_progress.sms_template_id = False
        cls.stage_new.sms_template_id = False

    def test_sms_sent_once_on_entering_stage(self):
        ticket = self._create_ticket()
        with self.mockSMSGateway():
            ticket.with_user(self.agent_a).write({"stage_id": self.stage_progress.id})
        self.assertFalse(self._sms, "no template on this stage: no SMS")
        with self.mockSMSGateway():
            ticket.with_user(self.agent_a).action_close()
        self.assertEqual(ticket.stage_id, self.stage_resolved)
        self.assertSMSIapSent(["+32456010203"], content=f"Ticket {ticket.number} is resolved")
        self.assertEqual(len(self._sms), 1)
        sms_message = ticket.message_ids.filtered(lambda m: m.message_type == "sms")
        self.assertEqual(len(sms_message), 1, "the SMS is logged in the chatter")
        # staying in the stage sends nothing more
        with self.mockSMSGateway():
            ticket.with_user(self.agent_a).write({"stage_id": self.stage_resolved.id, "priority": "2"})
            ticket.with_user(self.agent_a).write({"name": "Printer was on fire"})
            ticket.with_user(self.agent_a).action_close()
        self.assertFalse(self._sms)
        self.assertEqual(len(ticket.message_ids.filtered(lambda m: m.message_type == "sms")), 1)

    def test_sms_on_creation_in_stage(self):
        self.stage_new.sms_template_id = self.sms_template
        with self.mockSMSGateway():
            ticket = self._create_ticket()
        self.assertEqual(ticket.stage_id, self.stage_new)
        self.assertSMSIapSent(["+32456010203"], content=ticket.number)
        self.assertEqual(len(self._sms), 1)

    def test_no_number_no_sms(self):
        ticket = self._create_ticket(partner_id=self.other_customer.id)
        self.assertFalse(self.other_customer.mobile or self.other_customer.phone)
        with self.mockSMSGateway():
            ticket.action_close()
        self.assertFalse(self._sms)
        self.assertFalse(self.env["sms.sms"].sudo().search([("partner_id", "=", self.other_customer.id)]))

    def test_phone_ticket_without_partner_uses_ticket_number(self):
        ticket = self.env["helpdesk.ticket"].create({
            "name": "Called about the invoice", "department_id": self.department_a.id,
            "partner_phone": "+32456070809", "channel": "phone",
        })
        with self.mockSMSGateway():
            ticket.action_close()
        self.assertSMSIapSent(["+32456070809"], content=ticket.number)

    def test_batch_stage_change(self):
        tickets = self._create_ticket() | self._create_ticket(name="Second")
        with self.mockSMSGateway():
            tickets.write({"stage_id": self.stage_resolved.id})
        self.assertEqual(len(self._sms), 2)
