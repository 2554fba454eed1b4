import re
from datetime import timedelta

from odoo.tests import tagged

from .common import HelpdeskPortalCommon


@tagged("post_install", "-at_install")
class TestPortalFlows(HelpdeskPortalCommon):

    def _new_ticket_data(self, **values):
        data = {
            "department_id": str(self.department_a.id),
            "subject": "Scanner jams on every page",
            "description": "Since Monday the scanner jams.\nPlease help <b>quickly</b>.",
        }
        data.update(values)
        return data

    # ------------------------------------------------------------------
    # Portal home and list
    # ------------------------------------------------------------------
    def test_home_counter(self):
        self.login(self.user_a)
        result = self.make_jsonrpc_request("/my/counters", {"counters": ["helpdesk_ticket_count"]})
        self.assertEqual(result["helpdesk_ticket_count"], 2)
        response = self.url_open("/my")
        self.assertIn("/my/tickets", response.text)
        self.login(self.user_b)
        result = self.make_jsonrpc_request("/my/counters", {"counters": ["helpdesk_ticket_count"]})
        self.assertEqual(result["helpdesk_ticket_count"], 1)

    def test_list_search_filter_sort_group(self):
        self.close_ticket(self.ticket_a_colleague)
        self.login(self.user_a)
        response = self.url_open(f"/my/tickets?search={self.ticket_a.number}")
        self.assertIn("Carla cannot print invoices", response.text)
        self.assertNotIn("Colin needs a new badge", response.text)
        response = self.url_open("/my/tickets?search=badge&search_in=name")
        self.assertIn("Colin needs a new badge", response.text)
        self.assertNotIn("Carla cannot print invoices", response.text)
        response = self.url_open("/my/tickets?filterby=open")
        self.assertIn("Carla cannot print invoices", response.text)
        self.assertNotIn("Colin needs a new badge", response.text)
        response = self.url_open("/my/tickets?filterby=closed")
        self.assertNotIn("Carla cannot print invoices", response.text)
        self.assertIn("Colin needs a new badge", response.text)
        response = self.url_open("/my/tickets?search=nothing-matches-this")
        self.assertIn("No ticket matches your search.", response.text)
        for sortby in ("newest", "update", "priority", "status", "bogus"):
            for groupby in ("none", "department", "status", "bogus"):
                response = self.url_open(f"/my/tickets?sortby={sortby}&groupby={groupby}")
                self.assertEqual(response.status_code, 200)
                self.assertIn("Carla cannot print invoices", response.text)
        response = self.url_open("/my/tickets?groupby=status")
        self.assertIn("o_helpdesk_group", response.text)
        self.assertIn(self.stage_resolved.name, response.text)

    def test_ticket_page_details(self):
        self.ticket_a.user_id = self.agent_a
        self.login(self.user_a)
        response = self.url_open(f"/my/tickets/{self.ticket_a.id}")
        self.assertEqual(response.status_code, 200)
        for text in (self.ticket_a.number, "Carla cannot print invoices", "Test Support A", "Alice Agent",
                     self.ticket_a.stage_id.name, "o_portal_chatter", "o_helpdesk_close"):
            self.assertIn(text, response.text)

    # ------------------------------------------------------------------
    # New ticket (logged in)
    # ------------------------------------------------------------------
    def test_new_ticket_with_attachments(self):
        self.login(self.user_a)
        form = self.url_open("/my/tickets/new")
        self.assertIn("Test Support A", form.text)
        self.assertIn("Questions about our products", form.text, "department descriptions are shown")
        self.assertNotIn("Internal Only", form.text, "unpublished departments are not offered")
        response = self.post(
            "/my/tickets/new", self._new_ticket_data(type_id=""),
            files=[("attachments", ("error.log", b"traceback", "text/plain")),
                   ("attachments", ("screen.png", b"\x89PNG fake", "image/png"))],
        )
        self.assertIn(response.status_code, (302, 303))
        ticket = self.env["helpdesk.ticket"].search([("name", "=", "Scanner jams on every page")])
        self.assertEqual(len(ticket), 1)
        self.assertIn(f"/my/tickets/{ticket.id}", response.headers["Location"])
        self.assertEqual(ticket.channel, "portal")
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.department_id, self.department_a)
        self.assertTrue(ticket.number.startswith("HD-"))
        self.assertIn(self.customer, ticket.message_partner_ids, "the customer follows the ticket")
        self.assertIn("&lt;b&gt;quickly&lt;/b&gt;", ticket.description, "plain text is escaped")
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id)]
        )
        self.assertEqual(sorted(attachments.mapped("name")), ["error.log", "screen.png"])
        page = self.url_open(response.headers["Location"])
        self.assertIn("error.log", page.text)
        self.assertIn("Your ticket has been created.", page.text)
        # the customer downloads her own attachment with the link of the page
        attachment = attachments.filtered(lambda a: a.name == "error.log")
        link = re.search(rf'href="(/web/content/{attachment.id}\?[^"]+)"', page.text).group(1).replace("&amp;", "&")
        download = self.url_open(link)
        self.assertEqual(download.status_code, 200)
        self.assertEqual(download.content, b"traceback")

    def test_new_ticket_validation_keeps_input(self):
        self.login(self.user_a)
        count = self.env["helpdesk.ticket"].search_count([])
        response = self.post("/my/tickets/new", self._new_ticket_data(subject="  "))
        self.assertEqual(response.status_code, 200)
        self.assertIn("Please give your request a subject.", response.text)
        self.assertIn("Since Monday the scanner jams.", response.text, "the description is kept")
        response = self.post("/my/tickets/new", self._new_ticket_data(department_id=str(self.department_hidden.id)))
        self.assertIn("Please choose a department.", response.text)
        self.assertIn("Scanner jams on every page", response.text, "the subject is kept")
        response = self.post("/my/tickets/new", self._new_ticket_data(department_id="abc", description=""))
        self.assertIn("Please describe your request.", response.text)
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.attachment_max_count", 1)
        response = self.post(
            "/my/tickets/new", self._new_ticket_data(),
            files=[("attachments", ("a.txt", b"a", "text/plain")), ("attachments", ("b.txt", b"b", "text/plain"))],
        )
        self.assertIn("You can attach at most 1 files.", response.text)
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.attachment_max_count", 5)
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.attachment_max_size_mb", 1)
        response = self.post(
            "/my/tickets/new", self._new_ticket_data(),
            files=[("attachments", ("big.bin", b"x" * (1024 * 1024 + 10), "application/octet-stream"))],
        )
        self.assertIn("The file big.bin is larger than 1 MB.", response.text)
        self.assertEqual(self.env["helpdesk.ticket"].search_count([]), count, "no ticket on invalid input")

    def test_new_ticket_requires_login(self):
        self.authenticate(None, None)
        response = self.url_open("/my/tickets/new", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    # ------------------------------------------------------------------
    # Close, reopen, rate
    # ------------------------------------------------------------------
    def test_close_reopen_rate(self):
        self.ticket_a.user_id = self.agent_a
        self.login(self.user_a)
        url = f"/my/tickets/{self.ticket_a.id}"
        response = self.post(f"{url}/close")
        self.assertIn("message=closed", response.headers["Location"])
        self.assertTrue(self.ticket_a.closed)
        self.assertTrue(self.ticket_a.date_closed)
        # closing twice is refused politely
        response = self.post(f"{url}/close")
        self.assertIn("error=cannot_close", response.headers["Location"])
        page = self.url_open(url)
        self.assertIn("o_helpdesk_rating_form", page.text)
        self.assertIn("o_helpdesk_reopen", page.text)
        response = self.post(f"{url}/rate", {"rating": "7"})
        self.assertIn("error=bad_rating", response.headers["Location"])
        response = self.post(f"{url}/rate", {"rating": "5", "feedback": "Fast and kind"})
        self.assertIn("message=rated", response.headers["Location"])
        rating = self.ticket_a.rating_ids.filtered("consumed")
        self.assertEqual(len(rating), 1)
        self.assertEqual(rating.rating, 5)
        self.assertEqual(rating.feedback, "Fast and kind")
        self.assertEqual(rating.partner_id, self.customer)
        self.assertEqual(rating.rated_partner_id, self.agent_a.partner_id)
        self.assertEqual(self.ticket_a.rating_last_value, 5)
        page = self.url_open(url)
        self.assertNotIn("o_helpdesk_rating_form", page.text, "rated once")
        self.assertIn("You rated this ticket", page.text)
        response = self.post(f"{url}/rate", {"rating": "1"})
        self.assertIn("error=cannot_rate", response.headers["Location"])
        # reopen within the window
        response = self.post(f"{url}/reopen")
        self.assertIn("message=reopened", response.headers["Location"])
        self.assertFalse(self.ticket_a.closed)
        self.assertEqual(self.ticket_a.reopen_count, 1)

    def test_reopen_window(self):
        self.department_a.reopen_days = 3
        self.close_ticket(self.ticket_a, days_ago=4)
        self.login(self.user_a)
        url = f"/my/tickets/{self.ticket_a.id}"
        self.assertNotIn("o_helpdesk_reopen", self.url_open(url).text)
        response = self.post(f"{url}/reopen")
        self.assertIn("error=cannot_reopen", response.headers["Location"])
        self.assertTrue(self.ticket_a.closed)
        self.ticket_a.date_closed += timedelta(days=2)
        self.env.flush_all()
        response = self.post(f"{url}/reopen")
        self.assertIn("message=reopened", response.headers["Location"])
        self.assertFalse(self.ticket_a.closed)

    def test_no_close_or_reopen_without_a_stage_to_move_to(self):
        """Without a resolution (or open) stage for the department, the customer is not
        offered the button, and a forged request is refused with the usual message."""
        Stage = self.env["helpdesk.stage"]
        closing = Stage.search([("closed", "=", True)])
        closing.active = False
        self.env.flush_all()
        self.login(self.user_a)
        url = f"/my/tickets/{self.ticket_a.id}"
        self.assertNotIn("o_helpdesk_close_form", self.url_open(url).text)
        response = self.post(f"{url}/close")
        self.assertIn("error=cannot_close", response.headers["Location"])
        self.assertFalse(self.ticket_a.closed)
        closing.active = True
        self.close_ticket(self.ticket_a, days_ago=0)
        opening = Stage.search([("closed", "=", False)])
        opening.active = False
        self.env.flush_all()
        self.assertNotIn("o_helpdesk_reopen", self.url_open(url).text)
        response = self.post(f"{url}/reopen")
        self.assertIn("error=cannot_reopen", response.headers["Location"])
        self.assertTrue(self.ticket_a.closed)
        opening.active = True
        self.env.flush_all()
        self.assertIn("o_helpdesk_reopen", self.url_open(url).text, "offered again once the stages are back")

    def test_colleague_may_act_on_company_ticket(self):
        """Contacts of the same company see and handle each other's tickets."""
        self.login(self.user_a)
        response = self.post(f"/my/tickets/{self.ticket_a_colleague.id}/close")
        self.assertIn("message=closed", response.headers["Location"])
        self.assertTrue(self.ticket_a_colleague.closed)

    def test_guest_close_and_rate_with_token(self):
        self.authenticate(None, None)
        token = self.ticket_b.access_token
        url = f"/my/tickets/{self.ticket_b.id}"
        response = self.post(f"{url}/close", {"access_token": token})
        self.assertIn(f"access_token={token}", response.headers["Location"])
        self.assertTrue(self.ticket_b.closed)
        self.post(f"{url}/rate", {"access_token": token, "rating": "3"})
        rating = self.ticket_b.rating_ids.filtered("consumed")
        self.assertEqual(rating.rating, 3)
        self.assertEqual(rating.partner_id, self.other_customer)

    # ------------------------------------------------------------------
    # Public form
    # ------------------------------------------------------------------
    def _submit(self, files=None, **values):
        data = {
            "name": "Paula Public",
            "email": "paula.public@example.org",
            "department_id": str(self.department_a.id),
            "subject": "Question from the website",
            "description": "How do I reset my password?",
        }
        data.update(values)
        return self.post("/helpdesk/submit", data, files=files)

    def test_public_form_creates_ticket_and_partner(self):
        self.authenticate(None, None)
        form = self.url_open("/helpdesk/submit")
        self.assertEqual(form.status_code, 200)
        self.assertNotIn("Internal Only", form.text)
        users_before = self.env["res.users"].with_context(active_test=False).search_count([])
        response = self.post("/helpdesk/submit", {
            "name": "Paula Public", "email": "Paula.Public@Example.org",
            "department_id": str(self.department_a.id), "subject": "Question from the website",
            "description": "How do I reset my password?",
        }, files=[("attachments", ("photo.jpg", b"jpegdata", "image/jpeg"))])
        self.assertEqual(response.status_code, 200)
        ticket = self.env["helpdesk.ticket"].search([("name", "=", "Question from the website")])
        self.assertEqual(len(ticket), 1)
        self.assertIn(ticket.number, response.text)
        self.assertIn(f"/helpdesk/track?number={ticket.number}", response.text)
        self.assertNotIn(ticket.access_token or "no-token", response.text, "no token for whoever submits")
        self.assertEqual(ticket.channel, "web")
        self.assertEqual(ticket.partner_id.email_normalized, "paula.public@example.org")
        self.assertEqual(ticket.partner_id.name, "Paula Public")
        self.assertIn(ticket.partner_id, ticket.message_partner_ids, "the customer follows (acknowledgement)")
        self.assertEqual(
            self.env["res.users"].with_context(active_test=False).search_count([]), users_before,
            "no user is created",
        )
        self.assertEqual(
            self.env["ir.attachment"].search([("res_model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id)]).name,
            "photo.jpg",
        )

    def test_public_form_matches_existing_partner(self):
        self.authenticate(None, None)
        self._submit(name="Oscar O.", email="OSCAR@elsewhere.example", subject="Existing partner ticket")
        ticket = self.env["helpdesk.ticket"].search([("name", "=", "Existing partner ticket")])
        self.assertEqual(ticket.partner_id, self.other_customer)

    def test_public_form_validation_and_honeypot(self):
        self.authenticate(None, None)
        count = self.env["helpdesk.ticket"].search_count([])
        response = self._submit(email="not-an-email")
        self.assertIn("Please enter a valid email address.", response.text)
        self.assertIn("Question from the website", response.text, "input is kept")
        response = self._submit(name="")
        self.assertIn("Please enter your name.", response.text)
        response = self._submit(hp_website="http://spam.example")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Thank you", response.text)
        self.assertEqual(self.env["helpdesk.ticket"].search_count([]), count, "bots and invalid input create nothing")

    def test_public_form_limits(self):
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.submit_limit_email", 2)
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.submit_limit_ip", 3)
        self.authenticate(None, None)
        for index in range(2):
            self._submit(subject=f"Flood {index}")
        response = self._submit(subject="Flood blocked by email")
        self.assertIn("Too many requests", response.text)
        self.assertIn("Flood blocked by email", response.text, "input is kept")
        self._submit(subject="Flood other email", email="other@example.org")
        response = self._submit(subject="Flood blocked by ip", email="third@example.org")
        self.assertIn("Too many requests", response.text)
        Ticket = self.env["helpdesk.ticket"]
        self.assertEqual(Ticket.search_count([("name", "=like", "Flood%")]), 3)
        self.age_attempts(61)
        self._submit(subject="Flood after the window")
        self.assertEqual(Ticket.search_count([("name", "=", "Flood after the window")]), 1)
