"""Every fixture mail of tests/mails has an asserted outcome: ticket created with these
fields, attached to ticket X, ignored, or held for the managers with a reason.

The threading fixtures (19-24, 26, 48, 49) are asserted in test_mail_threading and
test_mail_loops, the loop and auto-reply ones (25-34) in test_mail_loops, the DMARC
failure (51) in test_mail_held."""
import base64
import os

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import MAILS_DIR, MailGatewayCommon, read_fixture


@tagged("post_install", "-at_install", "helpdesk_mail")
class TestMailCorpus(MailGatewayCommon):

    def assertHeld(self, message_id, reason):
        """The mail is held for the managers, with its reason and the raw mail."""
        held = self.env["helpdesk.mail.held"].search([("message_id", "=", message_id)])
        self.assertEqual(len(held), 1, f"{message_id} is held once")
        self.assertEqual(held.state, "held")
        self.assertIn(reason, held.reason)
        self.assertTrue(held.raw_eml, "the raw mail is kept")
        return held

    def assertBestEffort(self, ticket, defect):
        """Read into a normal ticket; the original is kept for the agents on an
        internal note naming the defect, never on the customer's message (no
        notification nor portal page carries the raw mail)."""
        note = ticket.message_ids.filtered(lambda m: "was malformed" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn(defect, note.body)
        self.assertEqual(note.message_type, "notification")
        self.assertEqual(note.attachment_ids.mapped("name"), ["original-mail.eml"])
        message = ticket.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertNotIn("original-mail.eml", message.attachment_ids.mapped("name"))

    def test_corpus_size(self):
        mails = [name for name in os.listdir(MAILS_DIR) if name.endswith(".eml")]
        self.assertGreaterEqual(len(mails), 40)

    # ------------------------------------------------------------------
    # Plain, HTML, alternative, attachments
    # ------------------------------------------------------------------
    def test_01_plain_text_unknown_sender(self):
        self.assertFalse(self.env["res.partner"].search([("email_normalized", "=", "nina.new@newcorp.example")]))
        ticket_id = self.process("01_plain_text.eml")
        ticket = self.Ticket.browse(ticket_id)
        self.assertEqual(ticket, self.ticket_of("<fx01@newcorp.example>"))
        self.assertEqual(ticket.name, "Cannot log in to the portal")
        self.assertEqual(ticket.channel, "email")
        self.assertEqual(ticket.department_id, self.department_a)
        self.assertTrue(ticket.number.startswith("HD-"))
        self.assertIn("invalid password", ticket.description)
        partner = ticket.partner_id
        self.assertEqual(partner.name, "Nina New", "contact created with the display name")
        self.assertEqual(partner.email_normalized, "nina.new@newcorp.example")
        self.assertEqual(ticket.partner_email, partner.email_normalized)
        self.assertIn(partner, ticket.message_partner_ids)
        first = ticket.message_ids.filtered(lambda m: m.message_id == "<fx01@newcorp.example>")
        self.assertEqual(first.author_id, partner)
        self.assertEqual(ticket.date_last_customer_message, first.date)
        self.assertFalse(ticket.date_first_response, "the acknowledgement is no first response")
        self.assertAcknowledged(ticket)

    def test_02_html_only_is_sanitized(self):
        ticket = self.Ticket.browse(self.process("02_html_only.eml"))
        self.assertEqual(ticket.partner_id, self.customer, "existing contact matched")
        self.assertIn("<b>invoice layout</b>", ticket.description)
        self.assertNotIn("<script", ticket.description)
        self.assertNotIn("alert(", ticket.description)
        self.assertNotIn("onclick", ticket.description)

    def test_03_multipart_alternative_keeps_html(self):
        ticket = self.Ticket.browse(self.process("03_multipart_alternative.eml"))
        self.assertIn("<i>offline</i>", ticket.description)
        self.assertNotIn("plain part", ticket.description)

    def test_04_attached_pdf(self):
        ticket = self.Ticket.browse(self.process("04_attachment_pdf.eml"))
        self.assertEqual(ticket.name, "Wrong amount on invoice INV/2026/0042")
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id)]
        )
        self.assertEqual(attachment.mapped("name"), ["INV-2026-0042.pdf"])
        self.assertTrue(base64.b64decode(attachment.datas).startswith(b"%PDF-1.4"))
        self.assertEqual(self.ticket_of("<fx04@customer-corp.example>").message_ids.attachment_ids, attachment)

    def test_05_inline_image(self):
        ticket = self.Ticket.browse(self.process("05_inline_image.eml"))
        message = ticket.message_ids.filtered(lambda m: m.message_id == "<fx05@customer-corp.example>")
        self.assertEqual(message.attachment_ids.mapped("name"), ["screenshot.png"])
        self.assertEqual(message.attachment_ids.mimetype, "image/png")
        self.assertIn("/web/image/", message.body, "cid reference rewritten to the stored image")

    def test_06_multiple_attachments_rfc2231_name(self):
        ticket = self.Ticket.browse(self.process("06_multiple_attachments.eml"))
        names = sorted(ticket.message_ids.attachment_ids.mapped("name"))
        self.assertEqual(names, ["résumé config.cfg", "server.log"])
        cfg = ticket.message_ids.attachment_ids.filtered(lambda a: a.name.endswith(".cfg"))
        self.assertEqual(base64.b64decode(cfg.datas).decode(), "clé=valeur")

    # ------------------------------------------------------------------
    # Encodings
    # ------------------------------------------------------------------
    def test_07_utf8_quoted_printable(self):
        ticket = self.Ticket.browse(self.process("07_utf8_quoted_printable.eml"))
        self.assertEqual(ticket.name, "Mise à jour échouée")
        self.assertIn("la mise à jour a échoué : « erreur 42 »", ticket.description)
        self.assertEqual(ticket.partner_id.name, "Zoë Dubois")

    def test_08_utf8_base64(self):
        ticket = self.Ticket.browse(self.process("08_utf8_base64.eml"))
        self.assertEqual(ticket.name, "Экспорт не работает")
        self.assertIn("Не работает экспорт в Excel", ticket.description)

    def test_09_thai_tis620(self):
        ticket = self.Ticket.browse(self.process("09_thai_tis620.eml"))
        self.assertEqual(ticket.name, "ปัญหาการเข้าสู่ระบบ")
        self.assertIn("ผมไม่สามารถเข้าสู่ระบบได้", ticket.description)
        self.assertEqual(ticket.partner_id.name, "สมชาย ใจดี")

    def test_10_thai_windows874(self):
        ticket = self.Ticket.browse(self.process("10_thai_windows874.eml"))
        self.assertEqual(ticket.name, "ใบแจ้งหนี้ไม่ถูกต้อง")
        self.assertIn("ใบแจ้งหนี้เดือนนี้ไม่ถูกต้อง", ticket.description)

    def test_11_persian_windows1256(self):
        ticket = self.Ticket.browse(self.process("11_persian_windows1256.eml"))
        self.assertEqual(ticket.name, "مشکل در پرداخت")
        self.assertIn("پرداخت من انجام نشد", ticket.description)

    def test_12_japanese_iso2022jp(self):
        ticket = self.Ticket.browse(self.process("12_japanese_iso2022jp.eml"))
        self.assertEqual(ticket.name, "請求書について")
        self.assertIn("請求書の金額が違います", ticket.description)

    def test_13_encoded_word_subject(self):
        ticket = self.Ticket.browse(self.process("13_encoded_word_subject.eml"))
        self.assertEqual(ticket.name, "Grüße aus Köln - Drucker defekt")
        self.assertEqual(ticket.partner_id.name, "Jürgen Müller")
        self.assertIn("Drucker in Köln", ticket.description)

    def test_50_reply_prefixes_in_other_languages(self):
        ticket = self.Ticket.browse(self.process("50_reply_prefix_i18n.eml"))
        self.assertEqual(ticket.name, "سفارش")

    # ------------------------------------------------------------------
    # Missing headers, forwards, odd parts
    # ------------------------------------------------------------------
    def test_14_missing_message_id_deduplicated(self):
        ticket = self.Ticket.browse(self.process("14_missing_message_id.eml"))
        self.assertEqual(ticket.name, "Mail without message id")
        message = ticket.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertTrue(message.message_id.startswith("<helpdesk-nomsgid-"))
        # the same mail delivered again is recognised
        self.assertFalse(self.process("14_missing_message_id.eml"))
        self.assertEqual(self.Ticket.search_count(self.new_tickets_domain("Mail without message id")), 1)

    def test_15_missing_from_uses_sender(self):
        ticket = self.Ticket.browse(self.process("15_missing_from_sender.eml"))
        self.assertEqual(ticket.partner_id.email_normalized, "robot@scripts.example")
        self.assertEqual(ticket.partner_id.name, "Build Robot")

    @mute_logger("odoo.addons.helpdesk_mail_gateway.models.mail_thread", "odoo.addons.helpdesk_mail_gateway.models.helpdesk_mail_held")
    def test_16_missing_from_held(self):
        count = self.Ticket.search_count([])
        self.assertFalse(self.process("16_missing_from_all.eml"))
        self.assertEqual(self.Ticket.search_count([]), count)
        self.assertFalse(self.env["mail.message"].search([("message_id", "=", "<fx16@nowhere.example>")]))
        self.assertHeld("<fx16@nowhere.example>", "no sender address")

    def test_17_forwarded_inline(self):
        ticket = self.Ticket.browse(self.process("17_forwarded_inline.eml"))
        self.assertEqual(ticket.name, "Order 1234 never arrived")
        self.assertEqual(ticket.partner_id, self.customer_colleague, "the forwarder is the customer")
        self.assertIn("Order 1234 never arrived at the warehouse", ticket.description)

    def test_18_forwarded_as_attachment(self):
        ticket = self.Ticket.browse(self.process("18_forwarded_rfc822.eml"))
        self.assertEqual(ticket.name, "Strange message from your system")
        self.assertIn("See the attached message", ticket.description)
        self.assertEqual(ticket.partner_id, self.customer_colleague)

    def test_35_huge_body(self):
        ticket = self.Ticket.browse(self.process("35_huge_body.eml"))
        self.assertEqual(ticket.name, "Full debug log")
        self.assertIn("END OF LOG", ticket.description)

    @mute_logger("odoo.addons.helpdesk_mail_gateway.models.mail_thread", "odoo.addons.helpdesk_mail_gateway.models.helpdesk_mail_held")
    def test_36_oversize_held(self):
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_mail_gateway.max_message_size", 200 * 1024)
        self.assertFalse(self.process("36_oversize.eml"))
        self.assertHeld("<fx36@customer-corp.example>", "message too large")
        self.assertFalse(self.env["mail.message"].search([("message_id", "=", "<fx36@customer-corp.example>")]))
        self.assertFalse(self.Ticket.search(self.new_tickets_domain("Video of the problem")))
        # with the default limit the same mail is accepted, attachment included
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_mail_gateway.max_message_size", 0)
        ticket = self.Ticket.browse(self.process("36_oversize.eml"))
        self.assertEqual(ticket.message_ids.attachment_ids.mapped("name"), ["problem.mp4"])

    def test_37_boundary_not_closed_is_recovered(self):
        ticket = self.Ticket.browse(self.process("37_boundary_not_closed.eml"))
        self.assertIn("The app crashes", ticket.description)
        self.assertIn("crash.txt", ticket.message_ids.attachment_ids.mapped("name"))
        self.assertBestEffort(ticket, "CloseBoundaryNotFoundDefect")

    def test_38_boundary_not_found_read_best_effort(self):
        """A start boundary missing: Python reads the body as text; the ticket is
        made of it, the original attached and a note says so."""
        ticket = self.Ticket.browse(self.process("38_boundary_not_found.eml"))
        self.assertTrue(ticket, "a ticket, not a refusal")
        self.assertBestEffort(ticket, "StartBoundaryNotFoundDefect")

    def test_39_undecodable_charset_read_best_effort(self):
        ticket = self.Ticket.browse(self.process("39_undecodable_charset.eml"))
        self.assertEqual(ticket.name, "Strange charset")
        self.assertBestEffort(ticket, "x-klingon-8")

    def test_40_unknown_charset_label_with_utf8_text(self):
        ticket = self.Ticket.browse(self.process("40_unknown_charset_utf8.eml"))
        self.assertIn("Café crème, s'il vous plaît.", ticket.description)

    @mute_logger("odoo.addons.helpdesk_mail_gateway.models.mail_thread", "odoo.addons.helpdesk_mail_gateway.models.helpdesk_mail_held")
    def test_41_invalid_base64_held(self):
        self.assertFalse(self.process("41_invalid_base64.eml"))
        self.assertFalse(self.Ticket.search(self.new_tickets_domain("Corrupted attachment")))
        self.assertHeld("<fx41@customer-corp.example>", "corrupted base64")

    def test_44_binary_octet_stream_attachment(self):
        ticket = self.Ticket.browse(self.process("44_binary_octet_stream.eml"))
        attachment = ticket.message_ids.attachment_ids
        self.assertEqual(attachment.name, "export.bin")
        self.assertEqual(base64.b64decode(attachment.datas), bytes(range(64)))

    def test_45_calendar_invitation_kept(self):
        ticket = self.Ticket.browse(self.process("45_calendar_invite.eml"))
        self.assertEqual(ticket.message_ids.attachment_ids.mapped("name"), ["invite.ics"])

    def test_47_no_subject(self):
        ticket = self.Ticket.browse(self.process("47_no_subject.eml"))
        self.assertEqual(ticket.name, "(no subject)")
        self.assertIn("I forgot the subject", ticket.description)

    # ------------------------------------------------------------------
    # Partners and followers
    # ------------------------------------------------------------------
    def test_42_cc_become_followers(self):
        ticket = self.Ticket.browse(self.process("42_cc_followers.eml"))
        followers = ticket.message_partner_ids
        self.assertIn(self.customer, followers)
        self.assertIn(self.customer_colleague, followers)
        dora = self.env["res.partner"].search([("email_normalized", "=", "dora@customer-corp.example")])
        self.assertEqual(dora.name, "Dora Newcomer", "unknown CC created as a contact")
        self.assertIn(dora, followers)
        self.assertFalse(
            followers.filtered(lambda p: p.email_normalized == "hd-billing@hd-test.example"),
            "our own address never follows a ticket",
        )
        self.assertIn("dora@customer-corp.example", ticket.email_cc)

    def test_42_cc_without_partner_creation(self):
        self.department_a.cc_create_partners = False
        ticket = self.Ticket.browse(self.process("42_cc_followers.eml"))
        self.assertIn(self.customer_colleague, ticket.message_partner_ids, "known contacts still follow")
        self.assertFalse(self.env["res.partner"].search([("email_normalized", "=", "dora@customer-corp.example")]))

    def _cc_mail(self, message_id, sender, cc, extra=b""):
        return (
            b"From: " + sender + b"\r\nTo: hd-support@hd-test.example\r\nCc: " + cc + b"\r\n"
            b"Subject: Team problem\r\nMessage-ID: " + message_id + b"\r\n" + extra
            + b"Content-Type: text/plain; charset=utf-8\r\n\r\nAll of us are affected.\r\n"
        )

    def test_42_cc_at_most_the_limit_the_rest_in_a_note(self):
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_mail_gateway.max_cc_followers", 3)
        cc = b", ".join(b"colleague%d@customer-corp.example" % i for i in range(5))
        ticket = self.Ticket.browse(self.env["mail.thread"].message_process(
            False, self._cc_mail(b"<cc-limit@customer-corp.example>", b"carla@customer-corp.example", cc)))
        added = ticket.message_partner_ids.filtered(lambda p: p.email_normalized.startswith("colleague"))
        self.assertEqual(len(added), 3)
        note = " ".join(ticket.message_ids.mapped("body"))
        self.assertIn("2 more addresses in copy", note)
        self.assertIn("colleague4@customer-corp.example", note)

    def test_42_a_stranger_replying_adds_no_followers(self):
        ticket = self.Ticket.browse(self.env["mail.thread"].message_process(
            False, self._cc_mail(b"<cc-first@customer-corp.example>", b"carla@customer-corp.example", b"")))
        before = ticket.message_partner_ids
        reply = self._cc_mail(
            b"<cc-stranger@elsewhere.example>", b"mallory@elsewhere.example", b"eve@elsewhere.example",
            extra=b"In-Reply-To: <cc-first@customer-corp.example>\r\n",
        )
        self.assertEqual(self.env["mail.thread"].message_process(False, reply), ticket.id)
        self.assertFalse(ticket.message_partner_ids.filtered(lambda p: p.email_normalized == "eve@elsewhere.example"))
        self.assertEqual(ticket.message_partner_ids - before, self.env["res.partner"].browse(), "nobody added")
        # the customer's own reply with someone in copy does add them
        own = self._cc_mail(
            b"<cc-customer@customer-corp.example>", b"carla@customer-corp.example", b"boss@customer-corp.example",
            extra=b"In-Reply-To: <cc-first@customer-corp.example>\r\n",
        )
        self.env["mail.thread"].message_process(False, own)
        self.assertTrue(ticket.message_partner_ids.filtered(lambda p: p.email_normalized == "boss@customer-corp.example"))

    def test_43_two_department_addresses_one_ticket(self):
        self.process("43_two_department_aliases.eml")
        tickets = self.Ticket.search(self.new_tickets_domain("Who handles refunds of broken devices?"))
        self.assertEqual(len(tickets), 1, "one mail makes one ticket")
        self.assertEqual(tickets.department_id, self.department_a, "first addressed department")
        self.assertEqual(
            self.env["mail.message"].search_count([("message_id", "=", "<fx43@customer-corp.example>")]), 1
        )

    def test_46_shared_address_best_partner(self):
        Partner = self.env["res.partner"]
        lone = Partner.create({"name": "Shared (old contact)", "email": "shared.desk@customer-corp.example"})
        contact = Partner.create({
            "name": "Shared Desk", "email": "Shared.Desk@customer-corp.example", "parent_id": self.customer_company.id,
        })
        user_partner = self._portal_user(
            Partner.create({"name": "Shared Desk User", "email": "shared.desk@customer-corp.example"}),
            "hd_shared_portal",
        ).partner_id
        user_partner.email = "shared.desk@customer-corp.example"
        ticket = self.Ticket.browse(self.process("46_shared_address.eml"))
        self.assertEqual(ticket.partner_id, user_partner, "a contact with a user wins")
        user_partner.user_ids.active = False
        user_partner.active = False
        other = self.Ticket.browse(self.env["mail.thread"].message_process(
            False, read_fixture("46_shared_address.eml").replace(b"fx46@", b"fx46b@")
        ))
        self.assertEqual(other.partner_id, contact, "then a company contact")
        self.assertNotEqual(other.partner_id, lone)
