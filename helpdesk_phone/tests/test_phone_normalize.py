from odoo.tests import tagged

from odoo.addons.helpdesk_phone.tools import phone as hd_phone

from .common import PhoneCommon


@tagged("post_install", "-at_install")
class TestPhoneNormalize(PhoneCommon):
    def test_phone_thai_numbers(self):
        for written, e164 in [
            ("081-234-5678", "+66812345678"),
            ("0812345678", "+66812345678"),
            ("+66 81 234 5678", "+66812345678"),
            ("(081) 234.5678", "+66812345678"),
            ("091-234-5678", "+66912345678"),
            ("061 234 5678", "+66612345678"),
            ("02-123-4567", "+6621234567"),
            ("0066 81 234 5678", "+66812345678"),  # 00 although Thailand dials 001
            ("001 66 81 234 5678", "+66812345678"),
        ]:
            with self.subTest(written=written):
                self.assertEqual(hd_phone.normalize_phone(written, "TH"), e164)

    def test_phone_iranian_numbers(self):
        for written, e164 in [
            ("0912 345 6789", "+989123456789"),
            ("09123456789", "+989123456789"),
            ("+98 912 345 6789", "+989123456789"),
            ("0098 912 345 6789", "+989123456789"),
            ("021-8888-7777", "+982188887777"),
            ("+98 21 8888 7777", "+982188887777"),
        ]:
            with self.subTest(written=written):
                self.assertEqual(hd_phone.normalize_phone(written, "IR"), e164)
        # an international number reads the same whatever the country
        self.assertEqual(hd_phone.normalize_phone("+98 912 345 6789", "TH"), "+989123456789")
        self.assertEqual(hd_phone.normalize_phone("0098 912 345 6789", "TH"), "+989123456789")
        self.assertEqual(hd_phone.normalize_phone("+66 81 234 5678", "IR"), "+66812345678")

    def test_phone_unreadable_never_raises(self):
        for written in [False, None, "", "   ", "12", "call me", "+", "00", "0912 345 6789 ext", "9" * 40,
                        "081-234-5678-999-999", "<script>", "٠٩١٢٣٤٥٦٧٨٩٠٠٠"]:
            with self.subTest(written=written):
                self.assertFalse(hd_phone.normalize_phone(written, "TH"))
                self.assertEqual(hd_phone.search_forms(written, "TH"), (False, set()))
        # an Iranian national number is not a Thai one
        self.assertFalse(hd_phone.normalize_phone("0912 345 6789", "TH"))
        self.assertEqual(
            hd_phone.search_forms("081-234-5678", "TH"), ("+66812345678", {"+66812345678", "0812345678"})
        )

    def test_phone_sanitized_on_contacts_and_tickets(self):
        self.assertEqual(self.customer.phone_sanitized, "+66812345678")
        # the contact's country reads its national numbers; which of mobile and phone
        # Odoo keeps is its number fields' order (OCA's WhatsApp connector makes it a set)
        self.assertIn(self.persian_customer.phone_sanitized, {"+989123456789", "+982188887777"})
        ticket = self._create_ticket()
        self.assertEqual(ticket.partner_phone, "081-234-5678", "kept as written")
        self.assertEqual(ticket.phone_sanitized, "+66812345678")
        self.assertFalse(ticket.phone_invalid)
        persian_ticket = self._create_ticket(partner_id=self.persian_customer.id)
        self.assertEqual(persian_ticket.phone_sanitized, "+982188887777")
        # no customer: the ticket's company's country
        anonymous = self._create_ticket(partner_id=False, partner_phone="02 123 4567")
        self.assertEqual(anonymous.phone_sanitized, "+6621234567")
        anonymous.partner_phone = "0066 2 123 4567"
        self.assertEqual(anonymous.phone_sanitized, "+6621234567")
        # the customer's country changes the reading
        ticket.partner_phone = "0912 345 6789"
        self.assertFalse(ticket.phone_sanitized)
        self.assertTrue(ticket.phone_invalid)
        self.customer.country_id = self.iran
        self.assertEqual(ticket.phone_sanitized, "+989123456789")
        self.assertFalse(ticket.phone_invalid)

    def test_phone_search_any_written_form(self):
        Partner = self.env["res.partner"].with_user(self.agent_a)
        Ticket = self.env["helpdesk.ticket"].with_user(self.agent_a)
        same_as_customer = Partner.sudo().create({"name": "Mobile Carla", "mobile": "+66 81 234 5678"})
        written_00 = Partner.sudo().create({"name": "Zero Zero", "phone": "0066812345678"})
        ticket = self._create_ticket()
        phone_only_ticket = self._create_ticket(partner_id=False, partner_phone="0812345678")
        other = Partner.sudo().create({"name": "Other Number", "phone": "081-234-5679"})
        ours = self.customer | same_as_customer | written_00 | other | self.persian_customer
        expected = self.customer | same_as_customer | written_00
        for written in ("081-234-5678", "+66 81 234 5678", "0812345678", "0066 81 234 5678", "+66-81-234-5678"):
            with self.subTest(written=written):
                self.assertEqual(Partner.search([("helpdesk_phone_search", "=", written)]) & ours, expected)
                self.assertEqual(
                    Ticket.search([("helpdesk_phone_search", "=", written), ("id", "in", (ticket | phone_only_ticket).ids)]),
                    ticket | phone_only_ticket,
                )
        # Iranian numbers, found from a Thai company by their international form
        self.assertEqual(
            Partner.search([("helpdesk_phone_search", "=", "+98 21 8888 7777")]), self.persian_customer
        )
        self.assertEqual(Partner.search([("helpdesk_phone_search", "=", "+989123456789")]), self.persian_customer)
        # a negative search excludes them
        found = Partner.search([("helpdesk_phone_search", "!=", "081 234 5678")])
        self.assertNotIn(self.customer, found)
        self.assertIn(other, found)

    def test_phone_unparseable_kept_flagged_and_searchable(self):
        ticket = self._create_ticket(partner_id=False, partner_phone="ext. 4412 reception")
        self.assertEqual(ticket.partner_phone, "ext. 4412 reception")
        self.assertFalse(ticket.phone_sanitized)
        self.assertTrue(ticket.phone_invalid)
        Ticket = self.env["helpdesk.ticket"].with_user(self.agent_a)
        self.assertEqual(Ticket.search([("helpdesk_phone_search", "ilike", "4412 recep")]), ticket)
        self.assertFalse(Ticket.search([("helpdesk_phone_search", "ilike", "44")]), "too short: nothing, no error")
        partner = self.env["res.partner"].create({"name": "Odd", "phone": "ask for Somchai", "country_id": self.thailand.id})
        self.assertFalse(partner.phone_sanitized)
        self.assertTrue(partner.helpdesk_phone_invalid)
        self.assertFalse(self.customer.helpdesk_phone_invalid)
        self.assertEqual(
            self.env["res.partner"].with_user(self.agent_a).search([("helpdesk_phone_search", "ilike", "somchai")]),
            partner,
        )
        # the form of a ticket with such a number opens
        ticket.with_user(self.agent_a).web_read({"partner_phone": {}, "phone_invalid": {}, "phone_sanitized": {}})
