from odoo.tests import tagged

from .common import HelpdeskCommon, activate_languages


@tagged("post_install", "-at_install")
class TestStageTemplateLanguage(HelpdeskCommon):
    """The mail template of a stage is rendered in the customer's language (``lang`` of the
    template), with the translations of the addon's i18n/th.po and fa.po."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_languages(cls.env, ["helpdesk_ticket"])
        cls.template = cls.env.ref("helpdesk_ticket.mail_template_ticket_resolved")
        cls.stage_resolved.mail_template_id = cls.template

    def _resolve(self, lang):
        partner = self.env["res.partner"].create({
            "name": f"Customer {lang}", "email": f"customer.{lang.lower()}@example.com", "lang": lang,
        })
        ticket = self._create_ticket(partner_id=partner.id)
        self.cr.flush()
        ticket.stage_id = self.stage_resolved
        self.cr.flush()  # tracking, and the stage template, at commit
        ticket.invalidate_recordset(["message_ids"])
        message = ticket.message_ids.filtered(lambda m: ticket.number in (m.subject or "") and m.body
                                              and "HD-" in m.body)
        self.assertEqual(len(message), 1, "the stage template posts one message")
        return ticket, message

    def test_templates_speak_the_customers_language(self):
        for xmlid in ("mail_template_ticket_resolved", "mail_template_ticket_closed_no_reply"):
            self.assertEqual(self.env.ref(f"helpdesk_ticket.{xmlid}").lang, "{{ object.partner_id.lang }}")

    def test_thai_customer(self):
        ticket, message = self._resolve("th_TH")
        self.assertIn("ของคุณได้รับการแก้ไขแล้ว", message.body)
        self.assertIn(ticket.number, message.body)
        self.assertNotIn("is resolved", message.body)

    def test_persian_customer(self):
        ticket, message = self._resolve("fa_IR")
        self.assertIn("شما حل شد", message.body)
        self.assertIn(ticket.number, message.body)
        self.assertNotIn("is resolved", message.body)

    def test_english_customer(self):
        _ticket, message = self._resolve("en_US")
        self.assertIn("is resolved", message.body)

    def test_translated_name_and_description(self):
        self.assertEqual(self.template.with_context(lang="th_TH").name, "เฮลพ์เดสก์: ตั๋วได้รับการแก้ไขแล้ว")
        self.assertEqual(self.template.with_context(lang="fa_IR").name, "میز خدمت: تیکت حل شد")
