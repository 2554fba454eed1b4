"""What leaves: the acknowledgement and the agents' replies (subject token, Reply-To,
threading headers)."""
import ast

from odoo.tests import tagged

from .common import MailGatewayCommon


@tagged("post_install", "-at_install", "helpdesk_mail")
class TestMailOutgoing(MailGatewayCommon):

    def test_acknowledgement_content(self):
        ticket = self.Ticket.browse(self.process("01_plain_text.eml"))
        ack = self.assertAcknowledged(ticket)
        self.assertEqual(ack.subject, f"[{ticket.number}] Cannot log in to the portal")
        self.assertIn(ticket.number, ack.body_html)
        self.assertIn(self.department_a.name, ack.body_html)
        self.assertIn(f"/my/tickets/{ticket.id}?access_token={ticket.access_token}", ack.body_html)
        self.assertTrue(ticket.access_token)
        self.assertIn("hd-support@hd-test.example", ack.reply_to, "Reply-To is the department address")
        self.assertIn("hd-support@hd-test.example", ack.email_from)
        headers = ast.literal_eval(ack.headers or "{}")
        self.assertEqual(headers.get("In-Reply-To"), "<fx01@newcorp.example>", "threads with the customer's mail")
        self.assertIn("<fx01@newcorp.example>", ack.references)
        if not ticket.ack_first_response_text:
            self.assertNotIn("first answer is expected", ack.body_html)

    def test_acknowledgement_shows_sla_first_response(self):
        if "sla_ids" not in self.Ticket._fields or "helpdesk.sla.policy" not in self.env:
            self.skipTest("helpdesk_sla is not installed")
        self.env["helpdesk.sla.policy"].create({
            "name": "Support 4h",
            "department_id": self.department_a.id,
            "first_response_hours": 4,
            "resolution_hours": 40,
        })
        ticket = self.Ticket.browse(self.process("01_plain_text.eml"))
        self.assertTrue(ticket.sla_ids.filtered(lambda line: line.target == "first_response"))
        self.assertIn("4", ticket.ack_first_response_text)
        ack = self.assertAcknowledged(ticket)
        self.assertIn("first answer is expected", ack.body_html)
        self.assertIn(ticket.ack_first_response_text, ack.body_html)

    def test_no_acknowledgement_template(self):
        self.department_a.ack_template_id = False
        ticket = self.Ticket.browse(self.process("01_plain_text.eml"))
        self.assertFalse(self.ack_messages(ticket))

    def test_agent_reply_subject_and_threading(self):
        ticket = self.Ticket.browse(self.process("01_plain_text.eml"))
        self.env["mail.mail"].search([]).unlink()
        reply = ticket.with_user(self.agent_a).message_post(
            body="Please try again now.", message_type="comment", subtype_xmlid="mail.mt_comment",
        )
        mail = self.env["mail.mail"].search([("mail_message_id", "=", reply.id)])
        self.assertTrue(mail, "the customer follows the ticket and gets the reply")
        self.assertEqual(mail.subject, f"[{ticket.number}] Cannot log in to the portal")
        self.assertIn("hd-support@hd-test.example", mail.reply_to)
        headers = ast.literal_eval(mail.headers or "{}")
        self.assertEqual(headers.get("In-Reply-To"), "<fx01@newcorp.example>")
        references = mail.references.split()
        self.assertIn("<fx01@newcorp.example>", references)
        self.assertEqual(references[-1], reply.message_id)
        self.assertEqual(ticket.date_first_response, reply.date, "the agent's reply is the first response")

    def test_agent_reply_with_own_subject_keeps_token(self):
        ticket = self.Ticket.browse(self.process("01_plain_text.eml"))
        reply = ticket.with_user(self.agent_a).message_post(
            body="Done.", subject="Password reset", message_type="comment", subtype_xmlid="mail.mt_comment",
        )
        mail = self.env["mail.mail"].search([("mail_message_id", "=", reply.id)])
        self.assertEqual(mail.subject, f"[{ticket.number}] Password reset")

    def test_reply_to_without_alias_falls_back(self):
        ticket = self._create_ticket(department_id=self.department_b.id)
        self.department_b.alias_name = False
        reply_to = ticket._notify_get_reply_to()[ticket.id]
        self.assertNotIn("hd-billing@", reply_to)
        self.assertIn("catchall@hd-test.example", reply_to)
