from odoo.tests import tagged

from odoo.addons.helpdesk_ticket.tests.common import activate_languages

from .common import MailGatewayCommon


@tagged("post_install", "-at_install")
class TestAcknowledgementLanguage(MailGatewayCommon):
    """The acknowledgement is written in the customer's language (``lang`` of the template:
    the customer's), with the translations of the addon's i18n/th.po and fa.po."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_languages(cls.env, ["helpdesk_ticket", "helpdesk_mail_gateway"])
        cls.thai = cls.env["res.partner"].create({
            "name": "สมศรี ทดสอบ", "email": "somsri@example.co.th", "lang": "th_TH",
        })
        cls.persian = cls.env["res.partner"].create({
            "name": "سارا آزمون", "email": "sara@example.ir", "lang": "fa_IR",
        })
        cls.english = cls.env["res.partner"].create({
            "name": "Emma Example", "email": "emma@example.com", "lang": "en_US",
        })

    def _acknowledge(self, partner, channel="portal"):
        ticket = self.Ticket.create({
            "name": "Printer", "channel": channel, "department_id": self.department_a.id,
            "partner_id": partner.id,
        })
        ack = self.ack_messages(ticket)
        self.assertEqual(len(ack), 1)
        mail = self.ack_mails(ticket).filtered(lambda m: m.mail_message_id == ack)
        self.assertEqual(len(mail), 1)
        return ticket, ack, mail

    def test_template_speaks_the_customers_language(self):
        self.assertEqual(self.ack_template.lang, "{{ object.partner_id.lang }}")

    def test_thai_customer_gets_a_thai_acknowledgement(self):
        ticket, ack, mail = self._acknowledge(self.thai)
        for body in (ack.body, mail.body_html):
            self.assertIn("เราได้รับคำขอของคุณและสร้างตั๋ว", body)
            self.assertIn("ติดตามตั๋วของคุณ", body)
            self.assertIn(ticket.number, body)
            self.assertNotIn("We have received your request", body)
        self.assertIn(self.thai, ack.partner_ids)

    def test_persian_customer_gets_a_persian_acknowledgement(self):
        ticket, ack, mail = self._acknowledge(self.persian, channel="web")
        for body in (ack.body, mail.body_html):
            self.assertIn("درخواست شما را دریافت کردیم", body)
            self.assertIn("پیگیری تیکت شما", body)
            self.assertIn(ticket.number, body)
            self.assertNotIn("We have received your request", body)
        self.assertIn(self.persian, ack.partner_ids)

    def test_english_customer_still_gets_english(self):
        _ticket, ack, _mail = self._acknowledge(self.english)
        self.assertIn("We have received your request", ack.body)

    def test_mixed_batch_each_in_its_language(self):
        # one job run acknowledges tickets of customers of different languages
        tickets = self.Ticket.create([
            {"name": f"Batch {partner.name}", "channel": "api", "department_id": self.department_a.id,
             "partner_id": partner.id}
            for partner in (self.thai, self.persian, self.english)
        ])
        self.run_acknowledgements()
        expected = ["เราได้รับคำขอของคุณ", "درخواست شما را دریافت کردیم", "We have received your request"]
        for ticket, text in zip(tickets, expected):
            ticket.invalidate_recordset(["message_ids"])
            ack = ticket.message_ids.filtered(lambda m: m.message_type == "auto_comment")
            self.assertEqual(len(ack), 1)
            self.assertIn(text, ack.body)
