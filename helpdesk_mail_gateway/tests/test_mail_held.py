"""Held mail: a helpdesk mail that cannot become a ticket or a message is kept for the
managers with its reason, never dropped, never retried forever out of sight."""
import base64
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import MailGatewayCommon, read_fixture

HELD_LOGGERS = (
    "odoo.addons.helpdesk_mail_gateway.models.mail_thread",
    "odoo.addons.helpdesk_mail_gateway.models.helpdesk_mail_held",
    "odoo.addons.mail.models.mail_thread",
)



@tagged("post_install", "-at_install", "helpdesk_mail")
class TestMailHeld(MailGatewayCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Held = cls.env["helpdesk.mail.held"]

    def held(self, message_id):
        return self.Held.search([("message_id", "=", message_id)])

    @mute_logger(*HELD_LOGGERS)
    def hold_fixture(self, name="16_missing_from_all.eml", message_id="<fx16@nowhere.example>"):
        self.assertFalse(self.process(name))
        held = self.held(message_id)
        self.assertEqual(len(held), 1)
        return held

    # ------------------------------------------------------------------
    def test_held_mail_keeps_everything_a_manager_needs(self):
        held = self.hold_fixture()
        self.assertEqual(held.email_to, "Support <hd-support@hd-test.example>")
        self.assertEqual(held.subject, "Who sent this?")
        self.assertIn("no sender address", held.reason)
        self.assertEqual(held.department_id, self.department_a, "found from the address it was sent to")
        self.assertEqual(base64.b64decode(held.raw_eml), read_fixture("16_missing_from_all.eml"))
        self.assertEqual(self.department_a.held_mail_count, 1, "counted on the overview")

    def test_same_mail_again_counts_a_delivery(self):
        held = self.hold_fixture()
        self.hold_fixture()
        self.assertEqual(held.delivery_count, 2)

    def test_dmarc_failure_of_the_sender_domain_is_held(self):
        held = self.hold_fixture("51_dmarc_fail.eml", "<fx51@bank.example>")
        self.assertIn("DMARC", held.reason)
        self.assertIn("bank.example", held.reason)
        self.assertFalse(self.Ticket.search(self.new_tickets_domain("Urgent: confirm your password")))
        # a pass is no reason to hold
        passing = read_fixture("51_dmarc_fail.eml").replace(b"dmarc=fail", b"dmarc=pass").replace(
            b"<fx51@", b"<fx51-pass@")
        self.assertTrue(self.env["mail.thread"].message_process(False, passing))

    def test_loop_detection_holds(self):
        """Odoo's loop detection: the mails beyond the threshold are held, not dropped."""
        self.env["ir.config_parameter"].sudo().set_param("mail.gateway.loop.threshold", 2)
        results = []
        with mute_logger(*HELD_LOGGERS):
            for index in range(4):
                raw = read_fixture("01_plain_text.eml").replace(b"<fx01@", f"<loop{index}-fx01@".encode())
                raw = raw.replace(b"Subject: ", f"Subject: Loop {index} ".encode(), 1)
                results.append(self.process_raw(raw))
        self.assertTrue(all(results[:2]))
        held = self.Held.search([("message_id", "like", "loop%-fx01@")])
        self.assertEqual(len(held), 2)
        self.assertIn("loop detection", held[0].reason)

    def process_raw(self, raw):
        return self.env["mail.thread"].message_process(False, raw)

    # ------------------------------------------------------------------
    # Managers' actions
    # ------------------------------------------------------------------
    def test_create_ticket_anyway(self):
        held = self.hold_fixture()
        held.with_user(self.manager).action_create_ticket()
        self.assertEqual(held.state, "ticket")
        ticket = held.ticket_id
        self.assertEqual(ticket.name, "Who sent this?")
        self.assertEqual(ticket.department_id, self.department_a)
        self.assertIn("Created from a held mail", " ".join(ticket.message_ids.mapped("body")))
        with self.assertRaises(UserError):
            held.action_create_ticket()

    def test_oversize_ticket_anyway_keeps_the_attachment(self):
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_mail_gateway.max_message_size", 200 * 1024)
        held = self.hold_fixture("36_oversize.eml", "<fx36@customer-corp.example>")
        held.action_create_ticket()
        self.assertIn("problem.mp4", held.ticket_id.message_ids.attachment_ids.mapped("name"))

    def test_attach_to_a_ticket(self):
        ticket = self.Ticket.create({"name": "Existing", "department_id": self.department_a.id,
                                     "partner_id": self.customer.id, "ack_pending": False})
        held = self.hold_fixture()
        wizard = self.env["helpdesk.mail.held.attach"].with_user(self.manager).create({
            "held_ids": [(6, 0, held.ids)], "ticket_id": ticket.id,
        })
        wizard.action_attach()
        self.assertEqual(held.state, "attached")
        self.assertEqual(held.ticket_id, ticket)
        self.assertTrue(ticket.message_ids.filtered(lambda m: m.message_id == "<fx16@nowhere.example>"))

    def test_bounce_and_discard(self):
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_mail_gateway.max_message_size", 200 * 1024)
        held = self.hold_fixture("36_oversize.eml", "<fx36@customer-corp.example>")
        held.action_bounce()
        self.assertEqual(held.state, "bounced")
        bounce = self.env["mail.mail"].search([("email_to", "ilike", "carla@customer-corp.example")],
                                              order="id desc", limit=1)
        self.assertIn("message too large", bounce.body_html)
        nobody = self.hold_fixture()
        with self.assertRaises(UserError, msg="no address to bounce to"):
            nobody.action_bounce()
        nobody.action_discard()
        self.assertEqual(nobody.state, "discarded")
        self.assertEqual(self.department_a.held_mail_count, 0)

    # ------------------------------------------------------------------
    # Security, retention
    # ------------------------------------------------------------------
    def test_only_managers_see_held_mail(self):
        self.hold_fixture()
        with self.assertRaises(AccessError):
            self.Held.with_user(self.agent_a).search([])
        portal = new_test_user(self.env, login="hd_held_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.Held.with_user(portal).search([])
        self.assertEqual(len(self.Held.with_user(self.manager).search([])), 1)

    def test_managers_of_another_company_do_not_see_it(self):
        self.hold_fixture()
        other = self.env["res.company"].create({"name": "Other Helpdesk Co"})
        manager = new_test_user(self.env, login="hd_held_other_manager", company_id=other.id,
                                company_ids=[(6, 0, other.ids)], groups="helpdesk_ticket.group_helpdesk_manager")
        self.assertFalse(self.Held.with_user(manager).search([]))

    def test_retention(self):
        held = self.hold_fixture()
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_mail_gateway.held_retention_days", 30)
        held.date = fields.Datetime.now() - timedelta(days=29)
        self.Held._gc_held_mail()
        self.assertTrue(held.exists())
        held.date = fields.Datetime.now() - timedelta(days=31)
        self.Held._gc_held_mail()
        self.assertFalse(held.exists())

    # ------------------------------------------------------------------
    # Property: whatever the bytes, a ticket, a message or a held mail
    # ------------------------------------------------------------------
    @mute_logger(*HELD_LOGGERS, "odoo.addons.helpdesk_mail_gateway.models.helpdesk_ticket_acknowledgement")
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        headers=st.lists(st.sampled_from([
            b"From: Pat Sender <pat@customer-corp.example>", b"From: <>", b"From: =?x-bogus?q?Pat?= <p@x>",
            b"To: hd-support@hd-test.example", b"Subject: =?utf-8?b?4Li\xff?=", b"Subject: Help",
            b"Content-Type: multipart/mixed; boundary=\"b\"", b"Content-Type: text/plain; charset=x-none",
            b"Content-Transfer-Encoding: base64", b"MIME-Version: 1.0", b"Message-ID: <prop@x>",
            b"Authentication-Results: mx; dmarc=fail header.from=customer-corp.example",
        ]), max_size=8),
        body=st.binary(max_size=300),
    )
    def test_any_bytes_end_somewhere(self, headers, body):
        raw = b"\r\n".join(headers) + b"\r\n\r\n" + body
        before_messages = self.env["mail.message"].search_count([])
        before_held = self.Held.search_count([])
        with self.env.cr.savepoint() as savepoint:
            result = self.env["mail.thread"].message_process("helpdesk.ticket", raw)
            if result:
                self.assertTrue(self.Ticket.browse(result).exists(), "a ticket")
            else:
                grew = self.Held.search_count([]) > before_held
                duplicate = self.env["mail.message"].search_count([]) == before_messages and any(
                    line.lower().startswith(b"message-id") for line in headers
                )
                self.assertTrue(grew or duplicate, f"neither ticket nor held mail for {raw[:200]!r}")
            savepoint.rollback()
