"""Auto-replies, bounces, own addresses, mail loops and duplicate deliveries."""
import email.policy
from email.message import EmailMessage

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import MailGatewayCommon, read_fixture


@tagged("post_install", "-at_install", "helpdesk_mail")
class TestMailLoops(MailGatewayCommon):

    # ------------------------------------------------------------------
    # Automatic messages: kept, never acknowledged
    # ------------------------------------------------------------------
    def test_25_auto_submitted_new_mail(self):
        ticket = self.Ticket.browse(self.process("25_auto_submitted.eml"))
        self.assertEqual(ticket.name, "Out of office: Monday")
        self.assertNotAcknowledged(ticket, "Auto-Submitted: auto-replied")

    def test_26_autoreply_on_ticket_is_a_note_and_changes_nothing(self):
        ticket, agent_message = self.make_reply_target()
        ticket.stage_id = self.stage_waiting
        last_customer = ticket.date_last_customer_message
        self.assertEqual(
            self.process("26_x_autoreply_reply.eml", in_reply_to=agent_message.message_id, number=ticket.number),
            ticket.id,
        )
        message = ticket.message_ids.filtered(lambda m: m.message_id == "<fx26@customer-corp.example>")
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_note"), "kept as an internal note")
        self.assertEqual(ticket.stage_id, self.stage_waiting, "an out-of-office is no answer")
        self.assertEqual(ticket.date_last_customer_message, last_customer)

    def test_26_autoreply_never_reopens(self):
        ticket, agent_message = self.make_reply_target()
        ticket.action_close()
        self.process("26_x_autoreply_reply.eml", in_reply_to=agent_message.message_id, number=ticket.number)
        self.assertTrue(ticket.closed)
        self.assertEqual(ticket.reopen_count, 0)

    def test_27_precedence_bulk(self):
        ticket = self.Ticket.browse(self.process("27_precedence_bulk.eml"))
        self.assertNotAcknowledged(ticket, "Precedence: bulk")

    def test_28_precedence_junk(self):
        ticket = self.Ticket.browse(self.process("28_precedence_junk.eml"))
        self.assertNotAcknowledged(ticket, "Precedence: junk")

    def test_29_mailing_list(self):
        ticket = self.Ticket.browse(self.process("29_mailing_list.eml"))
        self.assertEqual(ticket.name, "[dev] Release 2.0 planning")
        self.assertNotAcknowledged(ticket, "Precedence: list")

    def test_32_postmaster_sender(self):
        ticket = self.Ticket.browse(self.process("32_postmaster_sender.eml"))
        self.assertNotAcknowledged(ticket, "mailer daemon")

    def test_33_noreply_sender(self):
        ticket = self.Ticket.browse(self.process("33_noreply_sender.eml"))
        self.assertNotAcknowledged(ticket, "no-reply@shop.example")

    def test_34_own_alias_sender(self):
        ticket = self.Ticket.browse(self.process("34_own_alias_sender.eml"))
        self.assertEqual(ticket.department_id, self.department_a)
        self.assertNotAcknowledged(ticket, "one of our own addresses")

    # ------------------------------------------------------------------
    # Bounces: never a ticket
    # ------------------------------------------------------------------
    def test_30_dsn_bounce_ignored(self):
        count = self.Ticket.search_count([])
        self.assertFalse(self.process("30_dsn_bounce.eml"))
        self.assertEqual(self.Ticket.search_count([]), count)
        self.assertFalse(self.env["mail.message"].search([("message_id", "=", "<fx30@mx.customer-corp.example>")]))

    def test_30_dsn_bounce_of_acknowledgement_marks_notification(self):
        ticket = self.Ticket.browse(self.process("02_html_only.eml"))
        ack = self.ack_messages(ticket)
        raw = read_fixture("30_dsn_bounce.eml").replace(b"<unknown-30@hd-test.example>", ack.message_id.encode())
        raw = raw.replace(b"gone@customer-corp.example", b"carla@customer-corp.example")
        count = self.Ticket.search_count([])
        self.assertFalse(self.env["mail.thread"].message_process(False, raw))
        self.assertEqual(self.Ticket.search_count([]), count)
        notification = ack.notification_ids.filtered(lambda n: n.res_partner_id == self.customer)
        self.assertEqual(notification.notification_status, "bounce")

    def test_31_mailer_daemon_ignored(self):
        count = self.Ticket.search_count([])
        self.assertFalse(self.process("31_mailer_daemon_plain.eml"))
        self.assertEqual(self.Ticket.search_count([]), count)

    # ------------------------------------------------------------------
    # Loops and duplicates
    # ------------------------------------------------------------------
    def test_same_message_twice_one_ticket_one_message(self):
        first = self.process("03_multipart_alternative.eml")
        self.assertTrue(first)
        self.assertFalse(self.process("03_multipart_alternative.eml"))
        # delivered again through another department address: still the same message
        raw = read_fixture("03_multipart_alternative.eml").replace(b"hd-support@", b"hd-billing@")
        self.assertFalse(self.env["mail.thread"].message_process(False, raw))
        self.assertEqual(self.Ticket.search_count(self.new_tickets_domain("Printer offline")), 1)
        self.assertEqual(
            self.env["mail.message"].search_count([("message_id", "=", "<fx03@customer-corp.example>")]), 1
        )
        self.assertEqual(len(self.ack_messages(self.Ticket.browse(first))), 1)

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_loop_detection_stays_on(self):
        self.env["ir.config_parameter"].sudo().set_param("mail.gateway.loop.threshold", 3)
        template = read_fixture("01_plain_text.eml")
        results = []
        for index in range(5):
            raw = template.replace(b"<fx01@newcorp.example>", b"<loop-%d@newcorp.example>" % index)
            results.append(self.env["mail.thread"].message_process(False, raw))
        tickets = self.Ticket.search(
            [("partner_email", "=", "nina.new@newcorp.example"), ("id", ">", self.last_ticket_id)]
        )
        self.assertEqual(len(tickets), 3, "Odoo's loop detection stops the flood")
        self.assertEqual(results[3:], [None, None])
        bounce = self.env["mail.mail"].search([("email_to", "ilike", "nina.new@newcorp.example"),
                                                ("references", "ilike", "loop-detection-bounce-email")])
        self.assertTrue(bounce, "the sender is told once per refused mail")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_loop_bounce_only_to_a_valid_sender_with_a_one_line_subject(self):
        """The loop-detection bounce: none to a sender without a valid address (it
        could only fail in the queue); to a valid one, sendable whatever line breaks
        (vertical tab, form feed, NEL) the refused mail's subject held."""
        self.env["ir.config_parameter"].sudo().set_param("mail.gateway.loop.threshold", 2)
        Mail = self.env["mail.mail"].sudo()
        before = Mail.search([], order="id desc", limit=1).id or 0
        for sender in ("no-at-sign", "Vera Valid <vera@newcorp.example>"):
            for index in range(3):
                raw = (
                    f"From: {sender}\r\nTo: hd-support@hd-test.example\r\n"
                    f"Subject: a b c\x85d\x0be\x0cf {index}\r\n"
                    f"Message-ID: <bounce-{index}-{len(sender)}@newcorp.example>\r\n"
                    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
                ).encode()
                self.env["mail.thread"].message_process(False, raw)
        bounces = Mail.search([("id", ">", before), ("references", "ilike", "loop-detection-bounce-email")])
        self.assertEqual(len(bounces), 1, "one bounce, to the valid sender only")
        self.assertIn("vera@newcorp.example", bounces.email_to)
        self.assertEqual(bounces.subject, "Re: a b c d e f 2")
        header_check = EmailMessage(policy=email.policy.SMTP)
        header_check["Subject"] = bounces.subject  # raises on a line break
        self.assertIn(b"Subject: Re: a b c d e f 2", header_check.as_bytes())

    def test_reply_to_loop_bounce_ignored(self):
        raw = (
            "From: nina@newcorp.example\nTo: hd-support@hd-test.example\nSubject: Re: limit\n"
            "Message-ID: <reply-bounce@newcorp.example>\n"
            "In-Reply-To: <123.456-loop-detection-bounce-email@hd-test.example>\n\nauto\n"
        )
        count = self.Ticket.search_count([])
        self.assertFalse(self.env["mail.thread"].message_process(False, raw))
        self.assertEqual(self.Ticket.search_count([]), count)

    def test_acknowledgement_of_acknowledgement_impossible(self):
        """Our own acknowledgement coming back (e.g. a forwarding rule of the customer)
        creates no new ticket and no new acknowledgement."""
        ticket = self.Ticket.browse(self.process("01_plain_text.eml"))
        ack_mail = self.ack_mails(ticket)
        raw = (
            f"From: {ack_mail.email_from}\nTo: hd-support@hd-test.example\n"
            f"Subject: {ack_mail.subject}\nMessage-ID: {ack_mail.message_id}\n"
            "Auto-Submitted: auto-generated\n\nbounced back\n"
        )
        self.assertFalse(self.env["mail.thread"].message_process(False, raw), "known Message-Id: duplicate")
        self.assertEqual(len(self.ack_messages(ticket)), 1)

    def test_blacklisted_sender_not_acknowledged(self):
        self.env["mail.blacklist"].sudo()._add("carla@customer-corp.example")
        ticket = self.Ticket.browse(self.process("02_html_only.eml"))
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertNotAcknowledged(ticket, "blacklisted")

    def test_unknown_address_falls_back_on_server_model(self):
        """A mailbox fetched with "Create a New Record = Helpdesk Ticket" may receive mail
        for an address that is no department: it still becomes a ticket."""
        raw = read_fixture("01_plain_text.eml").replace(b"hd-support@hd-test.example", b"info@elsewhere.example")
        ticket = self.Ticket.browse(self.env["mail.thread"].message_process("helpdesk.ticket", raw))
        self.assertEqual(ticket.name, "Cannot log in to the portal")
        self.assertFalse(ticket.department_id)
        self.assertEqual(ticket.channel, "email")
