import re

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestRatingLinks(HttpCase):
    """The rating links of a ticket's rating request: a mistyped, truncated or forged
    link is "not found" or "bad request", never a server error, and rates nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        customer = cls.env["res.partner"].create({"name": "Rita Rater", "email": "rita@example.com"})
        cls.ticket = cls.env["helpdesk.ticket"].create({"name": "Rate me", "partner_id": customer.id})
        cls.token = cls.ticket._rating_get_access_token()

    def _rating(self):
        return self.ticket.rating_ids.filtered(lambda r: r.access_token == self.token)

    def test_odd_links_are_not_found(self):
        for path, status in [
            (f"/rate/{self.token}/2", 404),  # Odoo: ValueError, a 500
            (f"/rate/{self.token}/10", 404),
            (f"/rate/{self.token}/0", 404),
            ("/rate/%00/5", 400),  # PostgreSQL refuses the NUL: a 500
            (f"/rate/{self.token}%00/5", 400),
            ("/rate/%00/submit_feedback", 400),
            (f"/rate/{'a' * 5000}/5", 404),
            (f"/rate/{self.token[:-1]}/5", 404),  # truncated: Odoo's own 404
        ]:
            with self.subTest(path=path[:60]):
                response = self.url_open(path, allow_redirects=False)
                self.assertEqual(response.status_code, status)
        self.assertFalse(self._rating().consumed)

    def test_form_with_odd_rate_is_a_bad_request(self):
        page = self.url_open(f"/rate/{self.token}/5")
        self.assertEqual(page.status_code, 200, "a valid link opens the feedback form")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        for rate in ("abc", "2", "", "1e9", "5\x00"):
            with self.subTest(rate=rate):
                response = self.url_open(
                    f"/rate/{self.token}/submit_feedback",
                    data={"csrf_token": csrf, "rate": rate, "feedback": "odd"}, allow_redirects=False,
                )
                self.assertEqual(response.status_code, 400)
        self.assertFalse(self._rating().consumed, "nothing rated by the odd forms")
        response = self.url_open(
            f"/rate/{self.token}/submit_feedback",
            data={"csrf_token": csrf, "rate": "5", "feedback": "Quick and kind"}, allow_redirects=False,
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self._rating().rating, 5, "a valid form is Odoo's own")
