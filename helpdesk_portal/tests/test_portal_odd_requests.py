"""Every route of the portal with odd query strings, the wrong method and no CSRF
token, as a visitor, a customer and another customer: an answer, never HTTP 500."""
import json

from odoo.tests import tagged

from .common import HelpdeskPortalCommon

ODD_VALUES = [
    "", "%00", "-1", "2147483648", "99999999999999999999", "๓", "٣", "²", "%27%20OR%201%3D1--",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "x" * 5000, "%ZZ", "%C0%AF",
]


@tagged("post_install", "-at_install")
class TestPortalOddRequests(HelpdeskPortalCommon):

    def _get_paths(self):
        ticket = self.ticket_a
        return [
            "/my/tickets", "/my/tickets/page/2", f"/my/tickets/{ticket.id}", "/my/tickets/new",
            "/helpdesk/submit", "/helpdesk/track", "/helpdesk/kb",
        ]

    def _params(self, value):
        return [
            f"sortby={value}&filterby={value}&groupby={value}&search_in={value}&search={value}",
            f"access_token={value}&pid={value}&hash={value}&message={value}&error={value}",
            f"department_id={value}&type_id={value}&subject={value}&number={value}&email={value}",
            f"department={value}&tag={value}&search={value}&fk={value}&src={value}&voted={value}",
            f"access_token={value}&access_token={value}&page={value}",
        ]

    def assertNo500(self, response, what):
        self.assertLess(response.status_code, 500, f"{what}: {response.status_code}\n{response.text[:2000]}")

    def test_get_routes_with_odd_query_strings(self):
        for user in (None, self.user_a, self.user_b):
            if user:
                self.login(user)
            else:
                self.authenticate(None, None)
            for path in self._get_paths():
                for value in ODD_VALUES:
                    for query in self._params(value):
                        url = f"{path}?{query}"
                        with self.subTest(user=user and user.login, url=url[:120]):
                            self.assertNo500(self.url_open(url, allow_redirects=False), url[:120])

    def test_odd_paths(self):
        self.login(self.user_a)
        for value in ("0", "-1", "2147483648", "๓", "٣", "²", "1.5", "abc", "%00", "x" * 300, "1%2F2"):
            for template in ("/my/tickets/{}", "/my/tickets/page/{}", "/helpdesk/kb/{}", "/my/tickets/{}/close"):
                url = template.format(value)
                with self.subTest(url=url[:80]):
                    response = self.url_open(url, allow_redirects=False)
                    self.assertNo500(response, url[:80])

    def test_post_routes_wrong_method_missing_csrf_odd_bodies(self):
        ticket = self.ticket_a
        post_paths = [
            f"/my/tickets/{ticket.id}/close", f"/my/tickets/{ticket.id}/reopen", f"/my/tickets/{ticket.id}/rate",
            "/helpdesk/kb/1/vote", "/helpdesk/kb/abandoned", "/my/tickets/new", "/helpdesk/submit",
            "/helpdesk/track",
        ]
        for user in (None, self.user_a, self.user_b):
            if user:
                self.login(user)
            else:
                self.authenticate(None, None)
            for path in post_paths:
                with self.subTest(user=user and user.login, path=path, case="GET"):
                    self.assertNo500(self.url_open(path, allow_redirects=False), f"GET {path}")
                with self.subTest(user=user and user.login, path=path, case="no CSRF"):
                    response = self.url_open(path, data={"rating": "5", "subject": "x"}, allow_redirects=False)
                    self.assertNo500(response, f"POST {path} without CSRF")
                    self.assertIn(response.status_code, (303, 400, 403, 404, 405))
                for body in (
                    {"rating": "๕", "feedback": "x" * 100000, "access_token": "x" * 5000},
                    {"helpful": "%00", "form_key": "x" * 5000, "department_id": "٣", "type_id": "2147483648"},
                    {"number": "HD-" + "9" * 5000, "email": "a@" + "b" * 5000 + ".example", "name": "n" * 5000},
                    {"subject": "\u202e" * 300, "description": "x" * 100000, "department_id": "-1"},
                ):
                    with self.subTest(user=user and user.login, path=path, body=sorted(body)):
                        self.assertNo500(self.post(path, body), f"POST {path}")
        self.assertFalse(ticket.closed, "nothing was closed by these requests")

    def test_json_suggest_with_odd_params(self):
        self.env["helpdesk.article"].create({
            "name": "Printer jams", "body": "<p>Open the tray.</p>", "is_published": True,
        })
        self.authenticate(None, None)
        for params in (
            {}, {"subject": None}, {"subject": ["a"]}, {"subject": {"a": 1}}, {"subject": "x" * 100000},
            {"subject": "printer", "department_id": "abc"}, {"subject": "printer", "department_id": 2**40},
            {"subject": "printer", "form_key": ["x"], "form": {"a": 1}}, {"subject": "๓๓๓", "department_id": -1},
            {"subject": "printer", "form": ["portal"]}, {"subject": "printer", "form": "portal", "form_key": {"a": 1}},
            {"subject": "printer", "form": "public", "form_key": 12},
        ):
            with self.subTest(params=str(params)[:80]):
                response = self.url_open(
                    "/helpdesk/kb/suggest", data=json.dumps(
                        {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
                    headers={"Content-Type": "application/json"},
                )
                self.assertNo500(response, str(params)[:80])
                self.assertNotIn('"name": "builtins.', response.text, "a Python error reached the visitor")

    def test_attachments_with_odd_file_names(self):
        """File names are the browser's: NUL and other control characters, 5,000
        characters, a path, markup. The ticket is created with its files (names
        cleaned) or the form comes back; never a 500, never a ticket without its files."""
        self.login(self.user_a)
        for index, filename in enumerate([
            "a\x00b.txt", "\x01\x1f\x7f.txt", "x" * 5000 + ".txt", "../../etc/passwd", "<img src=x onerror=alert(1)>.png",
            "\u202egnp.exe", "๓๓๓.pdf", " ",
        ]):
            subject = f"Odd file {index}"
            with self.subTest(filename=filename[:40]):
                response = self.post("/my/tickets/new", {
                    "department_id": str(self.department_a.id), "subject": subject, "description": "See the file",
                }, files=[("attachments", (filename, b"content", "text/plain"))])
                self.assertNo500(response, filename[:40])
                ticket = self.env["helpdesk.ticket"].search([("name", "=", subject)])
                if ticket:
                    files = self.env["ir.attachment"].search(
                        [("res_model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id)]
                    )
                    self.assertEqual(len(files), 1, "the ticket has its file")
                    self.assertNotIn("\x00", files.name)
                    self.assertLessEqual(len(files.name), 255)
                    self.assertTrue(files.name.strip())
