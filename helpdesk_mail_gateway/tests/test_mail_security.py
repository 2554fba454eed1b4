"""Who may see and change the gateway's configuration and records."""
from odoo.exceptions import AccessError
from odoo.tests import tagged, new_test_user
from odoo.tools import mute_logger

from .common import MailGatewayCommon


@tagged("post_install", "-at_install", "helpdesk_mail")
class TestMailSecurity(MailGatewayCommon):

    def test_manager_configures_department_address(self):
        department = self.env["helpdesk.department"].with_user(self.manager).create({
            "name": "Returns", "alias_name": "hd-returns", "alias_domain_id": self.alias_domain.id,
        })
        self.assertEqual(department.alias_email, "hd-returns@hd-test.example")
        self.assertEqual(department.alias_id.sudo().alias_model_id.model, "helpdesk.ticket")
        department.with_user(self.manager).alias_name = "hd-rma"
        self.assertEqual(department.alias_email, "hd-rma@hd-test.example")
        ticket = self.Ticket.browse(self.env["mail.thread"].message_process(
            False, "From: carla@customer-corp.example\nTo: hd-rma@hd-test.example\nSubject: RMA\n"
            "Message-ID: <rma-1@customer-corp.example>\n\nBroken on arrival.\n",
        ))
        self.assertEqual(ticket.department_id, department)

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_model")
    def test_agent_cannot_change_department_address(self):
        with self.assertRaises(AccessError):
            self.department_a.with_user(self.agent_a).write({"alias_name": "hijacked"})
        self.assertEqual(self.department_a.alias_name, "hd-support")

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_model")
    def test_receipts_hidden_from_agents_and_portal(self):
        self.process("01_plain_text.eml")
        receipts = self.env["helpdesk.mail.receipt"].search([("message_id", "=", "<fx01@newcorp.example>")])
        self.assertEqual(len(receipts), 1)
        as_manager = receipts.with_user(self.manager).read(["message_id"])
        self.assertEqual(as_manager[0]["message_id"], "<fx01@newcorp.example>")
        portal = new_test_user(self.env, login="hd_mail_portal", groups="base.group_portal")
        for user in (self.agent_a, portal):
            with self.assertRaises(AccessError):
                receipts.with_user(user).read(["message_id"])
        with self.assertRaises(AccessError):
            receipts.with_user(self.manager).unlink()

    def test_agent_reads_department_with_address(self):
        department = self.department_a.with_user(self.agent_a)
        self.assertEqual(department.alias_email, "hd-support@hd-test.example")

    def test_stranger_cannot_read_ticket_through_subject(self):
        """The subject token gives a stranger neither a message in the ticket nor a link to
        it: the new ticket has its own number and access token."""
        ticket, _message = self.make_reply_target()
        ticket._portal_ensure_token()
        new_ticket = self.Ticket.browse(self.process("23_subject_token_stranger.eml", number=ticket.number))
        ack = self.assertAcknowledged(new_ticket)
        self.assertNotIn(ticket.access_token, ack.body_html)
        self.assertNotIn(f"/my/tickets/{ticket.id}?", ack.body_html)
