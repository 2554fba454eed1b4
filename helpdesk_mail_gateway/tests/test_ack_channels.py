from odoo.tests import tagged

from .common import MailGatewayCommon


@tagged("post_install", "-at_install")
class TestAcknowledgementChannels(MailGatewayCommon):
    """Tickets of every customer-facing channel get the same acknowledgement as mail."""

    def _acknowledgements(self, ticket):
        ticket.invalidate_recordset(["message_ids"])
        return ticket.message_ids.filtered(
            lambda m: m.message_type == "auto_comment" and ticket.number in (m.subject or "")
        )

    def test_portal_web_phone_chat_api_tickets_are_acknowledged_once(self):
        for channel in ("portal", "web", "phone", "chat", "api"):
            with self.subTest(channel=channel):
                ticket = self.Ticket.create({
                    "name": f"Help via {channel}", "channel": channel,
                    "department_id": self.department_a.id, "partner_id": self.customer.id,
                })
                self.assertFalse(self._acknowledgements(ticket), "sent when the transaction commits")
                self.cr.flush()  # runs the pre-commit hooks, as a real commit does
                ack = self._acknowledgements(ticket)
                self.assertEqual(len(ack), 1)
                self.assertIn(self.customer, ack.partner_ids)
                self.assertIn("access_token=", ack.body)
                self.assertFalse(ticket.date_first_response, "an acknowledgement is not a response")
                self.cr.flush()
                self.assertEqual(len(self._acknowledgements(ticket)), 1, "never sent twice")

    def test_acknowledgement_is_queued_and_wakes_the_mail_scheduler(self):
        """The creating request never waits for SMTP: the mail is queued and the
        scheduler triggered once for the transaction."""
        scheduler = self.env.ref("mail.ir_cron_mail_scheduler_action")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", scheduler.id)])
        tickets = self.Ticket.create([{
            "name": f"Queued {i}", "channel": "portal", "department_id": self.department_a.id,
            "partner_id": self.customer.id,
        } for i in range(3)])
        self.cr.flush()
        mails = self.env["mail.mail"].search([("mail_message_id", "in", tickets.message_ids.ids)])
        acks = mails.filtered(lambda m: m.message_type == "auto_comment")
        self.assertEqual(len(acks), 3)
        self.assertEqual(set(acks.mapped("state")), {"outgoing"})
        new_triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", scheduler.id)]) - triggers
        self.assertEqual(len(new_triggers), 1, "one wake-up for the transaction")

    def test_internal_tickets_and_opt_out_are_not_acknowledged(self):
        internal = self.Ticket.create({
            "name": "Note to self", "channel": "internal", "department_id": self.department_a.id,
            "partner_id": self.customer.id,
        })
        imported = self.Ticket.with_context(helpdesk_no_acknowledgement=True).create({
            "name": "Imported", "channel": "api", "department_id": self.department_a.id,
            "partner_id": self.customer.id,
        })
        self.cr.flush()
        self.assertFalse(self._acknowledgements(internal))
        self.assertFalse(self._acknowledgements(imported))

    def test_customer_without_address_gets_nothing_and_a_note_says_why(self):
        nobody = self.env["res.partner"].create({"name": "No Mail"})
        ticket = self.Ticket.create({
            "name": "Walk-in", "channel": "phone", "department_id": self.department_a.id,
            "partner_id": nobody.id,
        })
        self.cr.flush()
        self.assertFalse(self._acknowledgements(ticket))
        self.assertTrue(any("No acknowledgement sent" in (m.body or "") for m in ticket.message_ids))
