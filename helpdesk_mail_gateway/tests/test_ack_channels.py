from odoo.tests import tagged

from .common import MailGatewayCommon


@tagged("post_install", "-at_install")
class TestAcknowledgementChannels(MailGatewayCommon):
    """Tickets of every customer-facing channel get the same acknowledgement as mail,
    from the acknowledgement job woken when the creating transaction commits."""

    def _acknowledgements(self, ticket):
        ticket.invalidate_recordset(["message_ids"])
        return ticket.message_ids.filtered(
            lambda m: m.message_type == "auto_comment" and ticket.number in (m.subject or "")
        )

    def _triggers(self, xmlid):
        return self.env["ir.cron.trigger"].search([("cron_id", "=", self.env.ref(xmlid).id)])

    def test_portal_web_phone_chat_api_tickets_are_acknowledged_once(self):
        for channel in ("portal", "web", "phone", "chat", "api"):
            with self.subTest(channel=channel):
                ticket = self.Ticket.create({
                    "name": f"Help via {channel}", "channel": channel,
                    "department_id": self.department_a.id, "partner_id": self.customer.id,
                })
                self.cr.flush()  # the commit of the creating request
                self.assertTrue(ticket.ack_pending)
                self.assertFalse(self._acknowledgements(ticket), "rendered by the job, not by the request")
                self.Ticket._cron_send_acknowledgements()
                ack = self._acknowledgements(ticket)
                self.assertEqual(len(ack), 1)
                self.assertIn(self.customer, ack.partner_ids)
                self.assertIn("access_token=", ack.body)
                self.assertFalse(ticket.ack_pending)
                self.assertFalse(ticket.date_first_response, "an acknowledgement is not a response")
                self.Ticket._cron_send_acknowledgements()
                self.assertEqual(len(self._acknowledgements(ticket)), 1, "never sent twice")

    def test_job_is_woken_at_commit_and_queues_mails_waking_the_scheduler(self):
        """The creating request renders nothing and never waits for SMTP: it wakes the
        acknowledgement job once; the job queues the mails and wakes the scheduler once."""
        job = "helpdesk_mail_gateway.ir_cron_helpdesk_acknowledge"
        scheduler = "mail.ir_cron_mail_scheduler_action"
        # this test runs in one transaction with its set-up (which woke both crons
        # already): start from no pending wake-up
        (self._triggers(job) | self._triggers(scheduler)).unlink()
        tickets = self.Ticket.create([{
            "name": f"Queued {i}", "channel": "portal", "department_id": self.department_a.id,
            "partner_id": self.customer.id,
        } for i in range(3)])
        self.cr.flush()
        self.assertEqual(len(self._triggers(job)), 1, "one wake-up for the transaction")
        self._triggers(scheduler).unlink()
        self.assertEqual(self.Ticket._cron_send_acknowledgements(), 3)
        self.cr.flush()
        mails = self.env["mail.mail"].search([("mail_message_id", "in", tickets.message_ids.ids)])
        acks = mails.filtered(lambda m: m.message_type == "auto_comment")
        self.assertEqual(len(acks), 3)
        self.assertEqual(set(acks.mapped("state")), {"outgoing"})
        self.assertEqual(len(self._triggers(scheduler)), 1, "one wake-up for the job's batch")

    def test_job_works_in_batches(self):
        self.run_acknowledgements()  # tickets of the demo data, if any
        tickets = self.Ticket.create([{
            "name": f"Batch {i}", "channel": "api", "department_id": self.department_a.id,
            "partner_id": self.customer.id,
        } for i in range(5)])
        self.cr.flush()
        self.assertEqual(self.Ticket._cron_send_acknowledgements(batch_size=2), 2)
        self.assertEqual(tickets.mapped("ack_pending"), [False, False, True, True, True], "oldest first")
        self.assertEqual(self.Ticket._cron_send_acknowledgements(batch_size=2), 2)
        self.assertEqual(self.Ticket._cron_send_acknowledgements(batch_size=2), 1)
        self.assertEqual(self.Ticket._cron_send_acknowledgements(batch_size=2), 0)
        for ticket in tickets:
            self.assertEqual(len(self._acknowledgements(ticket)), 1)

    def test_broken_template_is_noted_and_does_not_hold_back_the_others(self):
        broken = self.ack_template.copy({"subject": "{{ 1/0 }}"})
        self.department_b.ack_template_id = broken
        bad = self.Ticket.create({
            "name": "Broken template", "channel": "web", "department_id": self.department_b.id,
            "partner_id": self.customer.id,
        })
        good = self.Ticket.create({
            "name": "Fine template", "channel": "web", "department_id": self.department_a.id,
            "partner_id": self.customer.id,
        })
        self.cr.flush()
        with self.assertLogs("odoo.addons.helpdesk_mail_gateway.models.helpdesk_ticket_acknowledgement", "ERROR"):
            self.assertEqual(self.Ticket._cron_send_acknowledgements(), 2)
        self.assertEqual(len(self._acknowledgements(good)), 1)
        self.assertFalse(self._acknowledgements(bad))
        self.assertFalse(bad.ack_pending, "not retried forever")
        self.assertTrue(any("could not be sent" in (m.body or "") for m in bad.message_ids))

    def test_internal_tickets_and_opt_out_are_not_acknowledged(self):
        internal = self.Ticket.create({
            "name": "Note to self", "channel": "internal", "department_id": self.department_a.id,
            "partner_id": self.customer.id,
        })
        imported = self.Ticket.create({
            "name": "Imported", "channel": "api", "department_id": self.department_a.id,
            "partner_id": self.customer.id, "ack_pending": False,
        })
        self.assertFalse(internal.ack_pending or imported.ack_pending)
        self.run_acknowledgements()
        self.assertFalse(self._acknowledgements(internal))
        self.assertFalse(self._acknowledgements(imported))

    def test_customer_without_address_gets_nothing_and_a_note_says_why(self):
        nobody = self.env["res.partner"].create({"name": "No Mail"})
        ticket = self.Ticket.create({
            "name": "Walk-in", "channel": "phone", "department_id": self.department_a.id,
            "partner_id": nobody.id,
        })
        self.run_acknowledgements()
        self.assertFalse(self._acknowledgements(ticket))
        self.assertTrue(any("No acknowledgement sent" in (m.body or "") for m in ticket.message_ids))
