"""The helpdesk changes nothing for mail that is not the helpdesk's.

Each mail below is sent twice to a CRM team's alias: once through the gateway as
installed (every helpdesk addon present), once through Odoo's own
``mail.thread.message_process`` called directly, which is what a database without
the helpdesk runs. Both must give the same lead, the same messages and the same
notifications, including for the mails the helpdesk refuses for itself (defective
MIME, no sender, oversize) and for a duplicate."""

import re

from odoo.addons.mail.models.mail_thread import MailThread as OdooMailThread
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import MailGatewayCommon, read_fixture

CRM_ALIAS = "sales-leads"


@tagged("post_install", "-at_install")
class TestHostUntouched(MailGatewayCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sales_team = cls.env["crm.team"].create({
            "name": "Direct Sales",
            "alias_name": CRM_ALIAS,
            "alias_domain_id": cls.alias_domain.id,
            "alias_contact": "everyone",
        })
        cls.Lead = cls.env["crm.lead"].with_context(active_test=False)
        cls.salesman = new_test_user(cls.env, login="hd_test_salesman", name="Sam Sales",
                                     groups="sales_team.group_sale_salesman")

    # ------------------------------------------------------------------
    def _crm_mail(self, fixture, tag):
        """The fixture addressed to the CRM alias, with its own Message-Id."""
        raw = read_fixture(fixture).replace(b"hd-support@hd-test.example", f"{CRM_ALIAS}@hd-test.example".encode())
        return re.sub(rb"(?im)^(Message-ID:\s*<)([^>]*)>", lambda m: m.group(1) + m.group(2) + f"-{tag}>".encode(), raw)

    def _deliver(self, raw, vanilla):
        """Outcome of one delivery: the error's type or the created/updated record id."""
        thread = self.env["mail.thread"]
        try:
            with self.env.cr.savepoint():
                if vanilla:
                    return OdooMailThread.message_process(thread, False, raw)
                return thread.message_process(False, raw)
        except Exception as error:  # noqa: BLE001 - the outcome is compared
            return type(error)

    def _summary(self, result):
        """What a user of the lead sees: its values, its chatter, who was told."""
        if not isinstance(result, int) or not result:
            return result if not isinstance(result, int) else bool(result)
        lead = self.Lead.browse(result)
        messages = lead.message_ids.sorted("id")
        return {
            "lead": (lead.name, lead.email_from, lead.partner_id.id, lead.team_id.id, lead.type,
                     re.sub(r"fx\d+@[^<\s]*", "", lead.description or "")),
            "messages": [
                (m.message_type, m.subtype_id.id, m.author_id.id, m.email_from, m.subject,
                 sorted(m.attachment_ids.mapped("name")),
                 sorted((n.res_partner_id.id, n.notification_type, n.notification_status) for n in m.notification_ids))
                for m in messages
            ],
            "followers": sorted(lead.message_partner_ids.ids),
        }

    def assertSameAsOdoo(self, fixture, expect_lead=True):
        ours = self._deliver(self._crm_mail(fixture, "ours"), vanilla=False)
        odoo = self._deliver(self._crm_mail(fixture, "odoo"), vanilla=True)
        self.assertEqual(self._summary(ours), self._summary(odoo), f"{fixture}: not what Odoo alone does")
        if expect_lead:
            self.assertTrue(isinstance(ours, int) and ours, f"{fixture}: Odoo makes a lead of it, so must we")
            self.assertEqual(self.Lead.browse(ours).team_id, self.sales_team)
        receipts = self.env["helpdesk.mail.receipt"].sudo().search([("message_id", "ilike", "-ours>")])
        self.assertFalse(receipts, "no helpdesk receipt for a mail that is not the helpdesk's")
        self.assertFalse(self.Ticket.search([("id", ">", self.last_ticket_id)]), "no ticket")
        return ours

    # ------------------------------------------------------------------
    def test_ordinary_mail(self):
        self.assertSameAsOdoo("01_plain_text.eml")

    def test_defective_mime_the_helpdesk_refuses(self):
        """A start boundary missing: the helpdesk refuses it for a ticket, Odoo
        makes a lead of it."""
        self.assertSameAsOdoo("38_boundary_not_found.eml")

    def test_invalid_base64(self):
        self.assertSameAsOdoo("41_invalid_base64.eml", expect_lead=False)

    def test_unknown_charset(self):
        self.assertSameAsOdoo("39_undecodable_charset.eml", expect_lead=False)

    def test_no_sender_at_all(self):
        self.assertSameAsOdoo("16_missing_from_all.eml")

    def test_sender_only_in_sender_header(self):
        """The helpdesk takes the Sender header when From is missing; Odoo does not."""
        self.assertSameAsOdoo("15_missing_from_sender.eml", expect_lead=True)

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_duplicate_message_id(self):
        raw = self._crm_mail("01_plain_text.eml", "dup")
        first = self._deliver(raw, vanilla=False)
        self.assertTrue(first)
        self.assertFalse(self._deliver(raw, vanilla=False), "Odoo ignores the second delivery")
        self.assertEqual(self.Lead.search_count([("name", "=", self.Lead.browse(first).name)]), 1)

    def test_oversize_for_the_helpdesk_is_fine_for_the_crm(self):
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_mail_gateway.max_message_size", 200 * 1024)
        lead_id = self.assertSameAsOdoo("36_oversize.eml")
        self.assertEqual(self.Lead.browse(lead_id).message_ids.attachment_ids.mapped("name"), ["problem.mp4"])

    def test_the_same_mail_to_the_helpdesk_is_still_held(self):
        """The contrast: the helpdesk's own checks still apply to its own mail."""
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_mail_gateway.max_message_size", 200 * 1024)
        with mute_logger("odoo.addons.helpdesk_mail_gateway.models.helpdesk_mail_held"):
            self.assertFalse(self._deliver(read_fixture("36_oversize.eml"), vanilla=False))
        held = self.env["helpdesk.mail.held"].search([("message_id", "=", "<fx36@customer-corp.example>")])
        self.assertIn("message too large", held.reason)

    # ------------------------------------------------------------------
    def test_lead_mail_flow(self):
        """Incoming mail, a salesman's reply in the chatter, the customer's answer:
        the same messages and notifications as Odoo alone, and the salesman's
        e-mail sent by Odoo as usual (not queued as the helpdesk queues its own)."""
        salesman = self.salesman
        self.sales_team.user_id = salesman
        summaries = []
        for tag, vanilla in (("ours", False), ("odoo", True)):
            lead = self.Lead.browse(self._deliver(self._crm_mail("01_plain_text.eml", tag), vanilla=vanilla))
            lead.user_id = salesman
            reply = lead.with_user(salesman).message_post(
                body="Thanks, we will call you tomorrow.", message_type="comment", subtype_xmlid="mail.mt_comment",
                partner_ids=lead.partner_id.ids,
            )
            self.assertEqual(set(reply.notification_ids.mapped("notification_status")) - {"sent"}, set(),
                             "Odoo sends the lead's e-mails itself, at once in tests")
            answer = read_fixture("19_reply_outlook.eml")
            answer = re.sub(rb"(?im)^(In-Reply-To|References):.*$", b"In-Reply-To: " + reply.message_id.encode(), answer)
            answer = re.sub(rb"(?im)^Message-ID:\s*<([^>]*)>", f"Message-ID: <answer-{tag}@customer-corp.example>".encode(),
                            answer)
            answer = answer.replace(b"hd-support@hd-test.example", b"catchall@hd-test.example")
            self.assertEqual(self._deliver(answer, vanilla=vanilla), lead.id, "the answer threads on the lead")
            summary = self._summary(lead.id)
            summaries.append(summary)
        self.assertEqual(summaries[0], summaries[1])

    def test_ticket_mail_is_queued_lead_mail_is_not(self):
        ticket = self.Ticket.create({
            "name": "Printer", "department_id": self.department_a.id, "partner_id": self.customer.id,
            "channel": "phone", "ack_pending": False,
        })
        message = ticket.with_user(self.agent_a).message_post(
            body="We are on it.", message_type="comment", subtype_xmlid="mail.mt_comment",
        )
        self.assertEqual(message.notification_ids.filtered(lambda n: n.res_partner_id == self.customer)
                         .notification_status, "ready", "the helpdesk queues its e-mails for the mail scheduler")
        self.assertEqual(message.notification_ids.mail_mail_id.mapped("state"), ["outgoing"])
