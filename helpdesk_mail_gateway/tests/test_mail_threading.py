"""Replies: by headers, by [HD-xxxxx] in the subject (customer / follower only), waiting on
the customer, reopening within the window and follow-up tickets after it."""
from datetime import timedelta, timezone
from email.message import EmailMessage
from email.utils import formatdate


from odoo import fields
from odoo.tests import tagged

from .common import MailGatewayCommon


@tagged("post_install", "-at_install", "helpdesk_mail")
class TestMailThreading(MailGatewayCommon):

    def _mail_ticket(self):
        """A ticket created by mail from Carla, acknowledged."""
        ticket = self.Ticket.browse(self.process("02_html_only.eml"))
        ack = self.ack_messages(ticket)
        self.assertEqual(len(ack), 1)
        return ticket, ack

    def _count(self):
        return self.Ticket.with_context(active_test=False).search_count([])

    def _carla_mail(self, message_id, subject, date, body, in_reply_to=None):
        """A mail of Carla to the support address, dated ``date`` (naive UTC), raw."""
        mail = EmailMessage()
        mail["Message-ID"] = message_id
        mail["From"] = f"Carla <{self.customer.email}>"
        mail["To"] = "hd-support@hd-test.example"
        mail["Subject"] = subject
        if in_reply_to:
            mail["In-Reply-To"] = in_reply_to
        mail["Date"] = formatdate(date.replace(tzinfo=timezone.utc).timestamp())
        mail.set_content(body)
        return mail.as_bytes()

    # ------------------------------------------------------------------
    # Headers
    # ------------------------------------------------------------------
    def test_19_reply_to_acknowledgement_outlook(self):
        ticket, ack = self._mail_ticket()
        count = self._count()
        result = self.process("19_reply_outlook.eml", in_reply_to=ack.message_id, number=ticket.number)
        self.assertEqual(result, ticket.id)
        self.assertEqual(self._count(), count, "no new ticket")
        reply = ticket.message_ids.filtered(lambda m: m.message_id == "<fx19@customer-corp.example>")
        self.assertEqual(reply.message_type, "email")
        self.assertEqual(reply.subtype_id, self.env.ref("mail.mt_comment"), "a public message, not a note")
        self.assertEqual(reply.author_id, self.customer)
        self.assertEqual(ticket.date_last_customer_message, reply.date)
        self.assertEqual(len(self.ack_messages(ticket)), 1, "replies are never acknowledged")

    def test_mail_delayed_on_its_way_is_not_the_last_message(self):
        """A reply that spent a day in a mail queue is threaded, but the date of the
        customer's last message stays the one of their latest mail."""
        ticket, ack = self._mail_ticket()
        latest = ticket.date_last_customer_message
        self.assertTrue(latest, "a ticket made from a mail has the date of that mail")
        delayed = self._carla_mail(
            "<delayed-reply@customer-corp.example>", f"Re: [{ticket.number}] late", latest - timedelta(days=1),
            "Written yesterday, delivered today.\n", in_reply_to=ack.message_id,
        )
        self.assertEqual(self.env["mail.thread"].message_process(False, delayed), ticket.id)
        self.assertEqual(ticket.date_last_customer_message, latest)

    def test_mail_dated_in_the_future_does_not_hold_the_last_message_date(self):
        """A mail whose Date header is years ahead (a sender's wrong clock, a forged
        header) counts as received now: the customer's next mails still move the
        date of their last message, and the SLA and reports read it right."""
        future = self._carla_mail(
            "<from-the-future@customer-corp.example>", "Printer jammed",
            fields.Datetime.now() + timedelta(days=3650), "My clock is wrong.\n",
        )
        ticket = self.Ticket.browse(self.env["mail.thread"].message_process(False, future))
        self.assertLessEqual(ticket.date_last_customer_message, fields.Datetime.now())
        ack = self.ack_messages(ticket)
        # a date recorded in the future earlier (before this fix) is replaced too
        ticket.sudo().date_last_customer_message = fields.Datetime.now() + timedelta(days=3650)
        reply = self._carla_mail(
            "<back-to-now@customer-corp.example>", f"Re: [{ticket.number}] Printer jammed",
            fields.Datetime.now(), "Any news?\n", in_reply_to=ack.message_id,
        )
        self.assertEqual(self.env["mail.thread"].message_process(False, reply), ticket.id)
        self.assertLessEqual(ticket.date_last_customer_message, fields.Datetime.now())
        self.assertGreater(ticket.date_last_customer_message, fields.Datetime.now() - timedelta(minutes=5))

    def test_20_reply_references_only(self):
        ticket, agent_message = self.make_reply_target()
        result = self.process(
            "20_reply_references_only.eml", in_reply_to=agent_message.message_id, number=ticket.number
        )
        self.assertEqual(result, ticket.id)
        self.assertEqual(self.ticket_of("<fx20@customer-corp.example>"), ticket)

    def test_21_reply_thunderbird_moves_waiting_ticket_back(self):
        ticket, agent_message = self.make_reply_target()
        ticket.stage_id = self.stage_progress
        ticket.stage_id = self.stage_waiting
        self.assertEqual(ticket.stage_before_waiting_id, self.stage_progress)
        self.process("21_reply_thunderbird_de.eml", in_reply_to=agent_message.message_id, number=ticket.number)
        self.assertEqual(self.ticket_of("<fx21@customer-corp.example>"), ticket)
        self.assertEqual(ticket.stage_id, self.stage_progress, "back to the stage before waiting")
        self.assertTrue(ticket.date_last_customer_message)

    def test_49_waiting_from_new_goes_back_to_new(self):
        ticket, agent_message = self.make_reply_target()
        self.assertEqual(ticket.stage_id, self.stage_new)
        ticket.stage_id = self.stage_waiting
        self.process("49_reply_waiting_customer.eml", in_reply_to=agent_message.message_id, number=ticket.number)
        self.assertEqual(ticket.stage_id, self.stage_new)

    def test_followers_told_of_a_reply_by_the_notification_job(self):
        """The fetch renders no e-mail: the agent and the colleague following the ticket
        get the customer's answer from the notification job, woken at commit; the
        answer is in the chatter at once. Odoo's own scheduled notifications are
        not involved."""
        ticket, agent_message = self.make_reply_target(user_id=self.agent_a.id)
        self.agent_a.notification_type = "email"
        job = self.env.ref("helpdesk_mail_gateway.ir_cron_helpdesk_notify_received")
        queue = self.env.ref("mail.ir_cron_mail_scheduler_action")
        Trigger = self.env["ir.cron.trigger"].sudo()
        # one transaction with the set-up, which woke the crons already: start from none
        Trigger.search([("cron_id", "in", (job | queue).ids)]).unlink()
        self.process("21_reply_thunderbird_de.eml", in_reply_to=agent_message.message_id, number=ticket.number)
        reply = ticket.message_ids.filtered(lambda m: m.message_id == "<fx21@customer-corp.example>")
        self.assertEqual(len(reply), 1, "the answer is in the chatter")
        Mail = self.env["mail.mail"].sudo()
        self.assertFalse(Mail.search([("mail_message_id", "=", reply.id)]), "no e-mail rendered by the fetch")
        self.assertFalse(reply.notification_ids, "nobody told yet")
        self.assertTrue(ticket.notify_pending)
        self.assertEqual(ticket.notify_message_ids, reply)
        self.assertFalse(self.env["mail.message.schedule"].sudo().search([("mail_message_id", "=", reply.id)]))
        self.cr.flush()  # commit-time hooks of the fetch
        self.assertEqual(Trigger.search_count([("cron_id", "=", job.id)]), 1, "the job is woken at commit")
        Trigger.search([("cron_id", "=", queue.id)]).unlink()
        self.assertEqual(self.Ticket._cron_notify_received_mails(), 1)
        mails = Mail.search([("mail_message_id", "=", reply.id)])
        self.assertEqual(mails.recipient_ids, self.agent_a.partner_id | self.customer_colleague)
        self.assertEqual(set(mails.mapped("state")), {"outgoing"}, "queued for the mail scheduler")
        self.cr.flush()  # commit-time hooks of the job: it wakes the mail scheduler
        self.assertEqual(Trigger.search_count([("cron_id", "=", queue.id)]), 1)
        self.assertNotIn(self.customer, mails.recipient_ids, "the author is not sent their own mail")
        self.assertIn(ticket.number, mails[0].subject)
        self.assertFalse(ticket.notify_pending)
        self.assertFalse(ticket.notify_message_ids)
        # once only
        self.assertEqual(self.Ticket._cron_notify_received_mails(), 0)
        self.assertEqual(len(Mail.search([("mail_message_id", "=", reply.id)])), len(mails))

    def test_agent_reply_by_mail_keeps_waiting(self):
        ticket, agent_message = self.make_reply_target()
        ticket.stage_id = self.stage_waiting
        raw = (
            "From: Alice Agent <alice@example.com>\nTo: hd-support@hd-test.example\n"
            f"Subject: Re: [{ticket.number}] note\nMessage-ID: <agent-1@example.com>\n"
            f"In-Reply-To: {agent_message.message_id}\n\nI will call the customer tomorrow.\n"
        )
        self.assertEqual(self.env["mail.thread"].message_process(False, raw), ticket.id)
        self.assertEqual(ticket.stage_id, self.stage_waiting, "only the customer's answer resumes the ticket")

    # ------------------------------------------------------------------
    # Subject token
    # ------------------------------------------------------------------
    def test_22_subject_token_from_customer(self):
        ticket, _message = self.make_reply_target()
        count = self._count()
        self.assertEqual(self.process("22_subject_token_customer.eml", number=ticket.number), ticket.id)
        self.assertEqual(self._count(), count)
        message = ticket.message_ids.filtered(lambda m: m.message_id == "<fx22@customer-corp.example>")
        self.assertEqual(message.author_id, self.customer)
        self.assertFalse(self.ack_messages(ticket), "no acknowledgement on a reply")

    def test_23_subject_token_refused_for_stranger(self):
        ticket, _message = self.make_reply_target()
        messages_before = ticket.message_ids
        new_id = self.process("23_subject_token_stranger.eml", number=ticket.number)
        self.assertNotEqual(new_id, ticket.id)
        new_ticket = self.Ticket.browse(new_id)
        self.assertEqual(new_ticket.partner_id.email_normalized, "mallory@attacker.example")
        self.assertEqual(new_ticket.name, "Printer is on fire", "the quoted number is not kept in the name")
        self.assertNotEqual(new_ticket.number, ticket.number)
        self.assertEqual(ticket.message_ids, messages_before, "nothing written into the guessed ticket")
        self.assertNotIn(new_ticket.partner_id, ticket.message_partner_ids)

    def test_24_subject_token_from_follower(self):
        ticket, _message = self.make_reply_target()
        self.assertIn(self.customer_colleague, ticket.message_partner_ids)
        self.assertEqual(self.process("24_subject_token_follower.eml", number=ticket.number), ticket.id)

    def test_subject_token_other_company_ignored(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        other_department = self.env["helpdesk.department"].create(
            {"name": "Other Dept", "company_id": other_company.id}
        )
        foreign = self.Ticket.with_company(other_company).create({
            "name": "Foreign", "department_id": other_department.id, "partner_id": self.customer.id,
        })
        new_id = self.process("22_subject_token_customer.eml", number=foreign.number)
        # same number may exist in both companies: only the department's company is searched
        self.assertNotEqual(new_id, foreign.id)

    # ------------------------------------------------------------------
    # Closed tickets
    # ------------------------------------------------------------------
    def test_48_reply_within_window_reopens(self):
        ticket, agent_message = self.make_reply_target()
        ticket.action_close()
        self.assertTrue(ticket.closed)
        count = self._count()
        self.assertEqual(
            self.process("48_reply_closed_ticket.eml", in_reply_to=agent_message.message_id, number=ticket.number),
            ticket.id,
        )
        self.assertEqual(self._count(), count)
        self.assertFalse(ticket.closed)
        self.assertEqual(ticket.stage_id, self.stage_new)
        self.assertEqual(ticket.reopen_count, 1)
        self.assertFalse(ticket.date_closed)

    def test_48_reply_after_window_opens_linked_ticket(self):
        ticket, agent_message = self.make_reply_target()
        ticket.action_close()
        self._age_closing(ticket, days=self.department_a.reopen_days + 1)
        new_id = self.process("48_reply_closed_ticket.eml", in_reply_to=agent_message.message_id, number=ticket.number)
        self.assertNotEqual(new_id, ticket.id)
        followup = self.Ticket.browse(new_id)
        self.assertEqual(followup.parent_ticket_id, ticket)
        self.assertEqual(ticket.followup_ticket_ids, followup)
        self.assertEqual(ticket.followup_ticket_count, 1)
        self.assertEqual(followup.partner_id, self.customer)
        self.assertEqual(followup.department_id, ticket.department_id)
        self.assertEqual(followup.name, "Printer is on fire")
        self.assertEqual(followup.channel, "email")
        self.assertFalse(followup.closed)
        self.assertTrue(ticket.closed, "the old ticket stays closed")
        self.assertEqual(ticket.reopen_count, 0)
        self.assertEqual(self.ticket_of("<fx48@customer-corp.example>"), followup)
        self.assertAcknowledged(followup)
        self.assertTrue(ticket.message_ids.filtered(lambda m: followup.number in (m.body or "")))

    def test_48_subject_token_after_window_opens_linked_ticket(self):
        ticket, _message = self.make_reply_target()
        ticket.action_close()
        self._age_closing(ticket, days=30)
        new_id = self.process("22_subject_token_customer.eml", number=ticket.number)
        self.assertEqual(self.Ticket.browse(new_id).parent_ticket_id, ticket)

    def test_reopen_days_zero_always_new_ticket(self):
        self.department_a.reopen_days = 0
        ticket, agent_message = self.make_reply_target()
        ticket.action_close()
        new_id = self.process("48_reply_closed_ticket.eml", in_reply_to=agent_message.message_id, number=ticket.number)
        self.assertEqual(self.Ticket.browse(new_id).parent_ticket_id, ticket)

    def test_reply_to_merged_ticket_goes_to_target(self):
        target, _message = self.make_reply_target(name="Target")
        merged, merged_message = self.make_reply_target()
        merged.write({"merged_into_id": target.id, "active": False})
        result = self.process("48_reply_closed_ticket.eml", in_reply_to=merged_message.message_id, number=merged.number)
        self.assertEqual(result, target.id)

    def test_reply_to_ticket_merged_into_another_customers_is_agents_only(self):
        """Merged across customers: the other customer's later answer lands on the
        kept ticket as an internal note, never on its customer's portal or mailbox."""
        target, _message = self.make_reply_target(name="Target")
        target.partner_id = self.other_customer
        merged, merged_message = self.make_reply_target()
        merged.write({"merged_into_id": target.id, "active": False})
        result = self.process("48_reply_closed_ticket.eml", in_reply_to=merged_message.message_id, number=merged.number)
        self.assertEqual(result, target.id)
        answer = target.message_ids.filtered(lambda m: m.message_type == "email")[:1]
        self.assertEqual(answer.subtype_id, self.env.ref("mail.mt_note"), "agents only")
        self.assertNotIn(self.other_customer.id, answer.partner_ids.ids)

    def _age_closing(self, ticket, days):
        closed_on = fields.Datetime.now() - timedelta(days=days)
        # pending values (the closing date computed by action_close) first, or they
        # would overwrite the back-dated one
        self.env.flush_all()
        self.env.cr.execute("UPDATE helpdesk_ticket SET date_closed = %s WHERE id = %s", [closed_on, ticket.id])
        ticket.invalidate_recordset(["date_closed"])

    # ------------------------------------------------------------------
    # Departments and the ordinary creation path
    # ------------------------------------------------------------------
    def test_each_department_address_feeds_its_department(self):
        raw = self.env["mail.thread"].message_process(
            False,
            "From: carla@customer-corp.example\nTo: hd-billing@hd-test.example\nSubject: Refund\n"
            "Message-ID: <dept-b@customer-corp.example>\n\nPlease refund.\n",
        )
        ticket = self.Ticket.browse(raw)
        self.assertEqual(ticket.department_id, self.department_b)
        self.assertEqual(ticket.company_id, self.department_b.company_id)
        ack = self.assertAcknowledged(ticket)
        self.assertIn("hd-billing@hd-test.example", ack.reply_to)

    def test_routing_rules_apply_to_mail_tickets(self):
        if "helpdesk.routing.rule" not in self.env:
            self.skipTest("routing rules not available")
        self.env["helpdesk.routing.rule"].create({
            "name": "Refunds to billing",
            "keywords": "refund",
            "set_department_id": self.department_b.id,
            "set_priority": "2",
        })
        ticket = self.Ticket.browse(self.process("43_two_department_aliases.eml"))
        self.assertEqual(ticket.department_id, self.department_b, "the ordinary create path routed the ticket")
        self.assertEqual(ticket.priority, "2")
