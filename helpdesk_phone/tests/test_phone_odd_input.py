"""The phone channel as a confused customer's number and as an attacker's input:
digits of every script, separators, RFC 3966 ``tel:`` URIs with parameters, empty,
huge, control characters, markup, a number shared by several contacts and a
contact of another company."""
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.helpdesk_phone.tools import phone as hd_phone

from .common import PhoneCommon

#: the ten digits of each script, in order
DIGIT_SYSTEMS = {
    "ascii": "0123456789",
    "arabic_indic": "٠١٢٣٤٥٦٧٨٩",
    "persian": "۰۱۲۳۴۵۶۷۸۹",
    "thai": "๐๑๒๓๔๕๖๗๘๙",
    "fullwidth": "０１２３４５６７８９",
}
#: what people and attackers type in a number field
JUNK_ALPHABET = (
    "0123456789+-()./ \t\u00a0*#;=,xet:" + "".join(DIGIT_SYSTEMS.values())
    + "²³¹\u0000\u200e\u202e<>'\"%\\" + "กขคابپ"
)
#: how people split a number: (left, separator, right) around its groups
LAYOUTS = [
    ("", "", ""), ("", " ", ""), ("", "-", ""), ("", ".", ""), ("", "\u00a0", ""), ("(", ") ", ""),
    (" ", " - ", "  "),
]


def _in_script(number, script):
    digits = DIGIT_SYSTEMS[script]
    return "".join(digits[int(char)] if char in "0123456789" else char for char in number)


def _written(groups, layout):
    left, separator, right = layout
    if left == "(":
        return f"({groups[0]}) " + "-".join(groups[1:])
    return left + separator.join(groups) + right


@tagged("post_install", "-at_install")
class TestPhoneNormalizeProperties(PhoneCommon):
    """Properties of ``normalize_phone`` / ``search_forms`` over generated numbers
    (a fixed seed: a failure names its input and replays)."""

    def _valid_numbers(self, rng, count, country, make):
        """``count`` valid numbers ``make(rng)`` gives (not every drawn range is
        allocated: the property is about writing numbers, not about the plan)."""
        found = 0
        while found < count:
            national, groups, e164 = make(rng)
            if hd_phone.normalize_phone(national, country) == e164:
                found += 1
                yield national, groups, e164

    def _thai_mobiles(self, rng, count):
        def make(rng):
            national = rng.choice(["08", "09", "06"]) + "".join(rng.choice("0123456789") for _j in range(8))
            return national, [national[:3], national[3:6], national[6:]], "+66" + national[1:]
        return self._valid_numbers(rng, count, "TH", make)

    def _iranian_mobiles(self, rng, count):
        def make(rng):
            national = "091" + "".join(rng.choice("0123456789") for _j in range(8))
            return national, [national[:4], national[4:7], national[7:]], "+98" + national[1:]
        return self._valid_numbers(rng, count, "IR", make)

    def test_phone_same_number_in_every_digit_system_and_layout(self):
        rng = random.Random(19)
        cases = [("TH", *case) for case in self._thai_mobiles(rng, 25)]
        cases += [("IR", *case) for case in self._iranian_mobiles(rng, 25)]
        for country, national, groups, e164 in cases:
            expected_forms = hd_phone.search_forms(national, country)
            international = ["+" + e164[1:3]] + [groups[0][1:]] + groups[1:]
            zero_zero = ["00" + e164[1:3]] + [groups[0][1:]] + groups[1:]
            for script in DIGIT_SYSTEMS:
                for layout in LAYOUTS:
                    for shape in (groups, international, zero_zero):
                        written = _in_script(_written(shape, layout), script)
                        with self.subTest(written=written, country=country):
                            self.assertEqual(hd_phone.normalize_phone(written, country), e164)
                            self.assertEqual(hd_phone.search_forms(written, country), expected_forms)
            # a number written with its country code reads the same in any country
            other = "IR" if country == "TH" else "TH"
            for script in DIGIT_SYSTEMS:
                written = _in_script(" ".join(international), script)
                self.assertEqual(hd_phone.normalize_phone(written, other), e164)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(written=st.text(alphabet=JUNK_ALPHABET, max_size=40), country=st.sampled_from(["TH", "IR", None]))
    def test_phone_normalize_results_are_e164_idempotent_and_never_raise(self, written, country):
        e164 = hd_phone.normalize_phone(written, country)
        forms = hd_phone.search_forms(written, country)
        if e164 is False:
            self.assertEqual(forms, (False, set()))
            return
        self.assertRegex(e164, r"^\+[1-9][0-9]{3,14}$", "E.164: + and at most 15 digits")
        self.assertEqual(hd_phone.normalize_phone(e164, country), e164, "idempotent")
        self.assertEqual(forms[0], e164)
        for form in forms[1]:
            self.assertRegex(form, r"^\+?[0-9]+$", "only digits: stored numbers are compared with them")
        # the same number in another script reads the same
        for digits in DIGIT_SYSTEMS.values():
            in_script = "".join(digits[int(char)] if char in "0123456789" else char for char in written)
            self.assertEqual(hd_phone.normalize_phone(in_script, country), e164)

    def test_phone_superscripts_and_long_input_are_no_number(self):
        for written in ("٠٨١²³⁴٥٦٧٨", "081²345678", "0" * 5000, "٠" * 5000, "+" + "9" * 300, "\x00" * 20):
            with self.subTest(written=written[:20]):
                self.assertFalse(hd_phone.normalize_phone(written, "TH"))
                self.assertEqual(hd_phone.search_forms(written, "TH"), (False, set()))

    def test_phone_extension_is_no_part_of_the_search_forms(self):
        for written in ("081-234-5678 ext. 12", "0812345678;ext=12", "+66 81 234 5678 ext 5", "tel:+66812345678;ext=9"):
            with self.subTest(written=written):
                self.assertEqual(
                    hd_phone.search_forms(written, "TH"), ("+66812345678", {"+66812345678", "0812345678"}),
                )

    def test_phone_tel_uri_number(self):
        for uri, number in [
            ("tel:+66-81-234-5678", "+66-81-234-5678"),
            ("TEL:+66812345678", "+66812345678"),
            ("tel:234-5678;phone-context=+66-81", "+66-81 234-5678"),
            ("tel:0812345678;phone-context=+66", "+66 0812345678"),
            ("tel:+66812345678;ext=12;isub=4", "+66812345678 ext. 12"),
            ("tel:7042;phone-context=example.com", "7042"),
            ("tel:;ext=12", ""),
            ("tel:", ""),
            ("tel:;;;=;phone-context", ""),
            ("  081-234-5678 ", "081-234-5678"),
            ("", ""),
        ]:
            with self.subTest(uri=uri):
                self.assertEqual(hd_phone.tel_uri_number(uri), number)
        self.assertEqual(hd_phone.normalize_phone(hd_phone.tel_uri_number("tel:0812345678;phone-context=+66"), "IR"),
                         "+66812345678", "a global context reads the same in every country")


@tagged("post_install", "-at_install")
class TestPhoneNewCallOddInput(PhoneCommon):
    def _open_page(self, number, user=None):
        action = self.env.ref("helpdesk_phone.helpdesk_new_call_action")
        result = action.with_user(user or self.agent_a).with_context(
            params={"action": "helpdesk-call", "number": number}
        ).run()
        return self.env["helpdesk.new.call"].with_user(user or self.agent_a).browse(result["res_id"])

    def test_new_call_numbers_in_other_digit_systems(self):
        for number in ("٠٨١-٢٣٤-٥٦٧٨", "۰۸۱ ۲۳۴ ۵۶۷۸", "๐๘๑-๒๓๔-๕๖๗๘", "(๐๘๑) ๒๓๔-๕๖๗๘", "tel:+٦٦-٨١-٢٣٤-٥٦٧٨",
                       "٠٠٦٦ ٨١ ٢٣٤ ٥٦٧٨", "tel:๐๐๖๖๘๑๒๓๔๕๖๗๘"):
            with self.subTest(number=number):
                page = self._open_page(number)
                self.assertEqual(page.number_e164, "+66812345678")
                self.assertFalse(page.number_invalid)
                self.assertEqual(page.partner_id, self.customer)
        # a contact whose number was typed in Persian digits is found by its ASCII form
        self.persian_customer.write({"mobile": "۰۹۱۲ ۳۴۵ ۶۷۸۹", "phone": False})
        page = self._open_page("+98 912 345 6789")
        self.assertEqual(page.partner_id, self.persian_customer)
        # a ticket whose number was typed in Thai digits has its E.164 form
        ticket = self._create_ticket(partner_phone="๐๘๑ ๒๓๔ ๕๖๗๘")
        self.assertEqual(ticket.phone_sanitized, "+66812345678")
        self.assertFalse(ticket.phone_invalid)

    def test_new_call_tel_uri_parameters(self):
        page = self._open_page("tel:+66-81-234-5678;ext=12")
        self.assertEqual(page.number, "+66-81-234-5678 ext. 12", "the extension is kept for the agent")
        self.assertEqual((page.number_e164, page.partner_id), ("+66812345678", self.customer))
        page = self._open_page("tel:234-5678;phone-context=+66-81")
        self.assertEqual((page.number_e164, page.partner_id), ("+66812345678", self.customer))
        # a context read in another country: the company's country does not matter
        self.company.country_id = self.iran
        page = self._open_page("tel:081-234-5678;phone-context=+66")
        self.assertEqual((page.number_e164, page.partner_id), ("+66812345678", self.customer))
        # a domain context says nothing of the country: the local number as written
        page = self._open_page("tel:7042;phone-context=pbx.example.com")
        self.assertEqual(page.number, "7042")
        self.assertFalse(page.caller_ids)

    def test_new_call_hostile_numbers_never_fail(self):
        for number in ("", "tel:", "tel:;ext=", "x" * 5000, "9" * 5000, "٠" * 5000, "tel:" + "1" * 5000,
                       "0812345678\x00' OR 1=1 --", "\x00", "081\x00234\x005678", "%00%27", "<b>081</b>",
                       "'); DELETE FROM res_partner; --", "*", "%", "_", "\\", "081%", "0_1"):
            with self.subTest(number=number[:30]):
                page = self._open_page(number)
                values = page.read(["number", "number_e164", "number_invalid", "caller_ids", "open_ticket_ids"])[0]
                self.assertLessEqual(len(values["number"] or ""), 64)
                self.assertNotIn("\x00", values["number"] or "")
        # a NUL inside a number is dropped, the number still read
        page = self._open_page("081\x00234\x005678")
        self.assertEqual((page.number, page.partner_id), ("0812345678", self.customer))
        # LIKE wildcards are no wildcards: "%" or "_" match no contact
        self.env["res.partner"].create({"name": "Percent Phone", "phone": "ext 555%"})
        for number in ("%%%", "___", "%_%"):
            with self.subTest(number=number):
                self.assertFalse(self._open_page(number).caller_ids)

    def test_new_call_several_contacts_list_and_choice(self):
        sharers = self.env["res.partner"].create([
            {"name": f"Switchboard {index}", "phone": "+66 2 555 0100"} for index in range(25)
        ])
        page = self._open_page("๐๒-๕๕๕-๐๑๐๐")
        self.assertEqual(page.caller_count, 20, "at most 20 listed")
        self.assertLessEqual(page.caller_ids, sharers)
        self.assertFalse(page.partner_id)
        page.partner_id = sharers[3]
        result = page.action_log_on_contact()
        self.assertEqual((result["res_model"], result["res_id"]), ("res.partner", sharers[3].id))
        self.assertEqual(sharers[3].helpdesk_call_count, 1)
        self.assertFalse((sharers - sharers[3]).helpdesk_call_ids)

    def test_new_call_other_company_contact_does_not_leak(self):
        """An agent of company A looking up the number of a company-B contact sees
        no caller, no ticket and no call of company B, and cannot pick the contact."""
        company_b = self.env["res.company"].create({"name": "Phone Company B", "country_id": self.thailand.id})
        contact_b = self.env["res.partner"].create({
            "name": "Secret B Customer", "phone": "02-555-0111", "company_id": company_b.id,
        })
        self.env["helpdesk.phone.call"].create({
            "partner_id": contact_b.id, "direction": "in", "notes": "B's secret", "company_id": company_b.id,
        })
        # as an administrator of both companies, the contact is the caller
        self.assertEqual(
            self.env["helpdesk.new.call"].with_context(allowed_company_ids=[self.company.id, company_b.id]).create(
                {"number": "02-555-0111"}
            ).partner_id,
            contact_b,
        )
        page = self._open_page("02 555 0111")
        self.assertFalse(page.caller_ids)
        self.assertFalse(page.partner_id)
        self.assertFalse(page.recent_call_ids)
        # the caller's id sent from the browser: refused before anything is made
        tickets = self.env["helpdesk.ticket"].search_count([])
        page.write({"partner_id": contact_b.id, "ticket_subject": "planted"})
        with self.assertRaises(AccessError):
            page.action_create_ticket()
        with self.assertRaises(AccessError):
            page.action_log_on_contact()
        self.assertEqual(self.env["helpdesk.ticket"].search_count([]), tickets)
        self.assertEqual(len(contact_b.helpdesk_call_ids), 1)


@tagged("post_install", "-at_install")
class TestPhoneNewCallUrlHttp(HttpCase, PhoneCommon):
    """``/odoo/helpdesk-call`` itself as an odd caller opens it: never an HTTP 500."""

    QUERIES = [
        "number=tel:%2B66-81-234-5678", "number=tel:+66812345678", "number=%D9%A0%D9%A8%D9%A1%D9%A2%D9%A3",
        "number=tel:0812345678;ext=12", "number=", "number", "number=%00", "number=" + "9" * 5000,
        "number=%3Cscript%3Ealert(1)%3C/script%3E", "number=1&number=2", "number[]=1", "number=%ZZ",
    ]

    def test_new_call_url_never_500(self):
        portal = new_test_user(self.env, login="hd_phone_odd_portal", groups="base.group_portal")
        for login in (None, portal.login, self.agent_a.login):
            self.authenticate(login, login)
            for query in self.QUERIES:
                for path in ("/odoo/helpdesk-call", "/odoo/action-helpdesk_phone.helpdesk_new_call_action"):
                    with self.subTest(login=login, url=f"{path}?{query[:40]}"):
                        response = self.url_open(f"{path}?{query}", allow_redirects=False)
                        self.assertLess(response.status_code, 500)
                        if login is None:
                            self.assertEqual(response.status_code, 303)
                            self.assertIn("/web/login", response.headers["Location"])
                        if login == portal.login:
                            self.assertIn(response.status_code, (303, 403, 404))
        # a POST without a CSRF token: no 500
        self.authenticate(self.agent_a.login, self.agent_a.login)
        response = self.url_open("/odoo/helpdesk-call?number=0812345678", data={"number": "1"}, allow_redirects=False)
        self.assertLess(response.status_code, 500)
