import re

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.helpdesk_ticket.tests.common import activate_languages

from .common import HelpdeskPortalCommon


def setup_properties(cls):
    """Support (department A) asks six custom fields on the portal, two of them
    required, and keeps one for its agents; Billing (B) asks a required one."""
    cls.department_a.write({
        "ticket_properties_definition": [
            {"name": "serial_no", "string": "Serial number", "type": "char"},
            {"name": "units", "string": "Units", "type": "integer"},
            {"name": "weight", "string": "Weight", "type": "float"},
            {"name": "bought_on", "string": "Bought on", "type": "date"},
            {"name": "model", "string": "Model", "type": "selection",
             "selection": [["x1", "X1"], ["x2", "X2"]]},
            {"name": "warranty", "string": "Under warranty", "type": "boolean"},
            {"name": "root_cause", "string": "Root cause", "type": "char"},
        ],
        "portal_ticket_properties": "Serial number*, Units, Weight, Bought on, Model*, Under warranty",
    })
    cls.department_b.write({
        "ticket_properties_definition": [
            {"name": "account_no", "string": "Account number", "type": "char"},
        ],
        "portal_ticket_properties": "account number*",
    })


@tagged("post_install", "-at_install")
class TestPortalProperties(HelpdeskPortalCommon):
    """Custom fields (ticket_properties) on the portal and public forms of a department:
    shown for the chosen department, checked (type, required), re-displayed with the
    customer's input and the error; shown on the ticket page."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_properties(cls)

    def _input(self, department, name):
        return f"property_{department.id}_{name}"

    def _data(self, **values):
        data = {
            "department_id": str(self.department_a.id),
            "subject": "Scanner jams",
            "description": "Since Monday the scanner jams.",
            self._input(self.department_a, "serial_no"): "SN-777",
            self._input(self.department_a, "units"): "3",
            self._input(self.department_a, "weight"): "2,5",
            self._input(self.department_a, "bought_on"): "2026-01-31",
            self._input(self.department_a, "model"): "x2",
            self._input(self.department_a, "warranty"): "1",
        }
        data.update(values)
        return data

    def test_form_shows_each_department_fields(self):
        self.login(self.user_a)
        page = self.url_open("/my/tickets/new").text
        for label in ("Serial number", "Units", "Weight", "Bought on", "Model", "Under warranty", "Account number"):
            self.assertIn(label, page)
        self.assertNotIn("Root cause", page, "a field not asked on the portal stays for the agents")
        self.assertNotIn(self._input(self.department_hidden, ""), page)
        # nothing chosen yet: every department's fields are hidden and disabled
        inputs = re.findall(r"<input[^>]*name=\"property_[^\"]+\"[^>]*>", page)
        self.assertTrue(inputs)
        self.assertTrue(all("disabled" in tag for tag in inputs))

    def test_portal_ticket_with_valid_properties(self):
        self.login(self.user_a)
        response = self.post("/my/tickets/new", self._data())
        self.assertEqual(response.status_code, 303)
        ticket = self.env["helpdesk.ticket"].search([("name", "=", "Scanner jams")])
        self.assertEqual(ticket.ticket_properties, {
            "serial_no": "SN-777", "units": 3, "weight": 2.5, "bought_on": "2026-01-31",
            "model": "x2", "warranty": True, "root_cause": False,
        })
        page = self.url_open(f"/my/tickets/{ticket.id}").text
        self.assertIn("SN-777", page)
        self.assertIn("X2", page, "the selection's label")
        self.assertNotIn("Root cause", page)

    def test_wrong_or_missing_values_redisplay_the_form(self):
        self.login(self.user_a)
        count = self.env["helpdesk.ticket"].search_count([])
        cases = [
            ({self._input(self.department_a, "serial_no"): " "}, 'Please fill in "Serial number".'),
            ({self._input(self.department_a, "units"): "three"}, '"Units" must be a whole number.'),
            ({self._input(self.department_a, "units"): "³"}, '"Units" must be a whole number.'),
            ({self._input(self.department_a, "units"): "๓.๕"}, '"Units" must be a whole number.'),
            ({self._input(self.department_a, "units"): "1" * 5000}, '"Units" is too large.'),
            ({self._input(self.department_a, "weight"): "۱" * 5000}, '"Weight" is too large.'),
            ({self._input(self.department_a, "units"): "1.5"}, '"Units" must be a whole number.'),
            ({self._input(self.department_a, "weight"): "1e400"}, '"Weight" must be a number.'),
            ({self._input(self.department_a, "units"): "9" * 30}, '"Units" is too large.'),
            ({self._input(self.department_a, "bought_on"): "31/01/2026"}, '"Bought on" must be a date.'),
            ({self._input(self.department_a, "model"): "x9"}, 'Please choose one of the values of "Model".'),
            ({self._input(self.department_a, "serial_no"): "S" * 501}, '"Serial number" is limited to 500'),
        ]
        for values, error in cases:
            with self.subTest(error=error):
                response = self.post("/my/tickets/new", self._data(**values))
                self.assertEqual(response.status_code, 200)
                self.assertIn(error.replace('"', "&#34;"), response.text)
                self.assertIn("Since Monday the scanner jams.", response.text, "the description is kept")
                self.assertIn('value="SN-777"' if "serial_no" not in str(values) else "Scanner jams", response.text)
                self.assertIn("is-invalid", response.text)
        self.assertEqual(self.env["helpdesk.ticket"].search_count([]), count, "no ticket on invalid input")

    def test_numbers_in_thai_persian_and_arabic_indic_digits(self):
        """A customer's number in the digits of their script is that number."""
        self.login(self.user_a)
        for index, (units, weight, expected) in enumerate([
            ("๑๒", "๒,๕", (12, 2.5)),
            ("۱۲", "۲٫۵", (12, 2.5)),
            ("١٢", "٢.٥", (12, 2.5)),
            ("-٣", "+۰٫۲۵", (-3, 0.25)),
        ]):
            with self.subTest(units=units):
                subject = f"Digits {index}"
                response = self.post("/my/tickets/new", self._data(**{
                    "subject": subject,
                    self._input(self.department_a, "units"): units,
                    self._input(self.department_a, "weight"): weight,
                }))
                self.assertEqual(response.status_code, 303)
                ticket = self.env["helpdesk.ticket"].search([("name", "=", subject)])
                self.assertEqual((ticket.ticket_properties["units"], ticket.ticket_properties["weight"]), expected)

    def test_wrong_numbers_come_back_as_typed(self):
        """The number fields are text inputs: a browser empties a number input whose
        value it cannot read, the customer would lose what they typed."""
        self.login(self.user_a)
        units = self._input(self.department_a, "units")
        for typed in ("three", "๓ boxes", "1,5"):
            with self.subTest(typed=typed):
                response = self.post("/my/tickets/new", self._data(**{units: typed}))
                self.assertEqual(response.status_code, 200)
                tag = re.search(r'<input[^>]*name="%s"[^>]*>' % units, response.text).group(0)
                self.assertIn('type="text"', tag)
                self.assertIn('inputmode="numeric"', tag)
                self.assertIn(f'value="{typed}"', tag)
                self.assertIn('"Units" must be a whole number.'.replace('"', "&#34;"), response.text)

    def test_very_long_texts_redisplay_the_form(self):
        """100,000 characters in the description and a custom text field: the form
        comes back with the errors and the customer's text, no ticket, no 500."""
        self.login(self.user_a)
        count = self.env["helpdesk.ticket"].search_count([])
        long_text = "ข้อความยาว " * 10000
        response = self.post("/my/tickets/new", self._data(**{
            "description": long_text,
            self._input(self.department_a, "serial_no"): "S" * 100000,
        }))
        self.assertEqual(response.status_code, 200)
        self.assertIn("The description is limited to", response.text)
        self.assertIn('"Serial number" is limited to 500'.replace('"', "&#34;"), response.text)
        self.assertIn(long_text.strip(), response.text, "the description is kept")
        self.assertIn("S" * 100000, response.text, "the custom field is kept")
        self.assertEqual(self.env["helpdesk.ticket"].search_count([]), count)
        # the public form likewise
        self.authenticate(None, None)
        data = self._data(name="Paula Public", email="paula@example.org", description=long_text)
        response = self.post("/helpdesk/submit", data)
        self.assertEqual(response.status_code, 200)
        self.assertIn("The description is limited to", response.text)
        self.assertIn('value="paula@example.org"', response.text)
        self.assertEqual(self.env["helpdesk.ticket"].search_count([]), count)

    def test_only_the_chosen_department_fields_count(self):
        """Billing's required account number does not block a Support ticket, and values
        posted for another department's fields are ignored."""
        self.login(self.user_a)
        response = self.post("/my/tickets/new", self._data(**{
            self._input(self.department_b, "account_no"): "SPOOFED",
            f"property_{self.department_a.id}_root_cause": "spoofed cause",
        }))
        self.assertEqual(response.status_code, 303)
        ticket = self.env["helpdesk.ticket"].search([("name", "=", "Scanner jams")])
        self.assertNotIn("account_no", ticket.ticket_properties)
        self.assertFalse(ticket.ticket_properties["root_cause"], "a field not asked cannot be written from the form")
        response = self.post("/my/tickets/new", {
            "department_id": str(self.department_b.id), "subject": "Invoice", "description": "Wrong amount",
        })
        self.assertIn("Please fill in &#34;Account number&#34;.", response.text)

    def test_public_form_with_properties(self):
        self.authenticate(None, None)
        data = self._data(name="Paula Public", email="paula@example.org", subject="Public scanner")
        del data[self._input(self.department_a, "model")]
        response = self.post("/helpdesk/submit", data)
        self.assertIn("Please fill in &#34;Model&#34;.", response.text)
        self.assertIn('value="SN-777"', response.text, "the custom field input is kept")
        self.assertIn('value="paula@example.org"', response.text)
        data[self._input(self.department_a, "model")] = "x1"
        response = self.post("/helpdesk/submit", data)
        ticket = self.env["helpdesk.ticket"].search([("name", "=", "Public scanner")])
        self.assertIn(ticket.number, response.text)
        self.assertEqual(ticket.ticket_properties["model"], "x1")
        self.assertEqual(ticket.channel, "web")

    def test_portal_configuration_is_checked(self):
        with self.assertRaisesRegex(ValidationError, "no custom field labelled"):
            self.department_a.portal_ticket_properties = "Colour*"
        self.department_b.ticket_properties_definition = [
            {"name": "owner", "string": "Owner", "type": "many2one", "comodel": "res.partner"},
        ]
        # the field removed from the definition is no longer asked
        self.assertEqual(self.department_b._portal_properties(), [])
        with self.assertRaisesRegex(ValidationError, "cannot be asked on the portal"):
            self.department_b.portal_ticket_properties = "Owner"

    def test_form_query_count_does_not_grow_with_departments(self):
        """The form reads every department's fields with the departments: the same
        queries for 2 departments with custom fields as for 12."""
        self.login(self.user_a)

        def count_queries():
            for _warm in range(2):  # fill the caches (templates, rules, translations)
                self.assertEqual(self.url_open("/my/tickets/new").status_code, 200)
            self.env.flush_all()
            before = self.cr.sql_log_count
            self.url_open("/my/tickets/new")
            return self.cr.sql_log_count - before

        few = count_queries()
        self.env["helpdesk.department"].create([
            {
                "name": f"Extra {i}",
                "ticket_properties_definition": [{"name": "ref", "string": f"Reference {i}", "type": "char"}],
                "portal_ticket_properties": f"Reference {i}*",
            }
            for i in range(10)
        ])
        for _warm in range(2):
            self.url_open("/my/tickets/new")
        with self.assertQueryCount(few):
            page = self.url_open("/my/tickets/new").text
        self.assertIn("Reference 9", page)


@tagged("post_install", "-at_install", "is_tour")
class TestPortalPropertiesTour(HelpdeskPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_properties(cls)

    def test_properties_tour(self):
        """In Chromium: the chosen department's fields appear, a missing required one
        comes back from the server with the error and the input kept, then the ticket
        is created with its values."""
        self.start_tour("/my/tickets/new", "helpdesk_portal_properties_tour", login=self.user_a.login)
        ticket = self.env["helpdesk.ticket"].search([("name", "=", "Tour: scanner with a serial number")])
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.ticket_properties["serial_no"], "SN-TOUR-1")
        self.assertEqual(ticket.ticket_properties["units"], 4)
        self.assertEqual(ticket.ticket_properties["model"], "x1")
        self.assertEqual(ticket.department_id, self.department_a)


@tagged("post_install", "-at_install")
class TestPortalPropertiesLanguages(HelpdeskPortalCommon):
    """The custom fields' errors and the expected dates are served in the visitor's
    language (Thai and Persian)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_properties(cls)
        activate_languages(cls.env, ["helpdesk_portal"])

    def test_errors_in_thai_and_persian(self):
        data = {
            "department_id": str(self.department_a.id), "subject": "Scanner", "description": "Jams",
            f"property_{self.department_a.id}_model": "x1",
            f"property_{self.department_a.id}_units": "many",
        }
        for lang, missing, wrong in (
            ("th_TH", "โปรดกรอก &#34;Serial number&#34;", "&#34;Units&#34; ต้องเป็นจำนวนเต็ม"),
            ("fa_IR", "لطفاً «Serial number» را پر کنید.", "«Units» باید یک عدد صحیح باشد."),
        ):
            with self.subTest(lang=lang):
                self.user_a.lang = lang
                self.login(self.user_a)
                response = self.post("/my/tickets/new", data)
                self.assertIn(missing, response.text)
                self.assertIn(wrong, response.text)
