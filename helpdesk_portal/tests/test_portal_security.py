import json

from odoo.tests import tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import HelpdeskPortalCommon


@tagged("post_install", "-at_install")
class TestPortalSecurity(HelpdeskPortalCommon):
    """Customer A (Carla) against customer B's (Oscar's) ticket, and anonymous visitors."""

    def _rpc(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": args, "kwargs": kwargs or {},
        })

    # ------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------
    def test_list_shows_own_and_company_tickets_only(self):
        self.login(self.user_a)
        response = self.url_open("/my/tickets")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.ticket_a.number, response.text)
        self.assertIn(self.ticket_a_colleague.number, response.text, "company tickets are listed")
        self.assertNotIn(self.ticket_b.number, response.text)
        self.assertNotIn("Oscar secret payroll question", response.text)

    def test_other_customer_ticket_by_url(self):
        self.login(self.user_a)
        response = self.url_open(f"/my/tickets/{self.ticket_b.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertNotIn("Oscar", response.text)
        response = self.url_open(f"/my/tickets/{self.ticket_b.id}")
        self.assertNotIn("Oscar secret payroll question", response.text)
        # own ticket is fine
        response = self.url_open(f"/my/tickets/{self.ticket_a.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Carla cannot print invoices", response.text)

    def test_tampered_or_missing_token(self):
        token = self.ticket_b.access_token
        tampered = token[:-2] + ("00" if not token.endswith("00") else "11")
        for user in (None, self.user_a):
            if user:
                self.login(user)
            else:
                self.authenticate(None, None)
            response = self.url_open(f"/my/tickets/{self.ticket_b.id}?access_token={tampered}")
            self.assertEqual(response.status_code, 404)
            self.assertNotIn("Oscar secret payroll question", response.text)
            response = self.url_open(f"/my/tickets/{self.ticket_b.id}?access_token=")
            self.assertNotIn("Oscar secret payroll question", response.text)
            # a valid token of another ticket does not open this one
            response = self.url_open(
                f"/my/tickets/{self.ticket_b.id}?access_token={self.ticket_a.access_token}"
            )
            self.assertNotIn("Oscar secret payroll question", response.text)

    def test_public_visitor_needs_valid_token(self):
        self.authenticate(None, None)
        response = self.url_open(f"/my/tickets/{self.ticket_b.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
        response = self.url_open("/my/tickets", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        # with the right token the guest sees the ticket and its conversation box
        response = self.url_open(self.ticket_b.get_portal_url())
        self.assertEqual(response.status_code, 200)
        self.assertIn("Oscar secret payroll question", response.text)
        self.assertIn("o_portal_chatter", response.text)

    # ------------------------------------------------------------------
    # Acting
    # ------------------------------------------------------------------
    def test_cannot_close_reopen_or_rate_other_ticket(self):
        self.login(self.user_a)
        url = f"/my/tickets/{self.ticket_b.id}"
        response = self.post(f"{url}/close", {"noise": "1"})
        self.assertNotIn(response.status_code, (200,))
        self.assertFalse(self.ticket_b.closed, "A closed B's ticket")
        response = self.post(f"{url}/close", {"access_token": "not-the-token"})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.ticket_b.closed)

        self.close_ticket(self.ticket_b)
        self.post(f"{url}/reopen")
        self.post(f"{url}/reopen", {"access_token": self.ticket_a.access_token})
        self.assertTrue(self.ticket_b.closed, "A reopened B's ticket")
        self.post(f"{url}/rate", {"rating": "1", "feedback": "bad"})
        self.assertFalse(self.ticket_b.rating_ids.filtered("consumed"), "A rated B's ticket")

    def test_state_changes_need_post_and_csrf(self):
        self.login(self.user_a)
        url = f"/my/tickets/{self.ticket_a.id}/close"
        with mute_logger("odoo.http"):
            response = self.url_open(url)  # GET
            self.assertEqual(response.status_code, 405)
            response = self.post(url, {"noise": "1"}, csrf=False)
            self.assertIn(response.status_code, (400, 403))
            response = self.post(url, {"csrf_token": "forged"}, csrf=False)
            self.assertIn(response.status_code, (400, 403))
        self.assertFalse(self.ticket_a.closed)
        response = self.post(url)
        self.assertIn(response.status_code, (302, 303))
        self.assertTrue(self.ticket_a.closed)

    def test_cannot_download_other_ticket_attachment(self):
        self.login(self.user_a)
        with mute_logger("odoo.http", "odoo.addons.base.models.ir_attachment"):
            response = self.url_open(f"/web/content/{self.attachment_b.id}?download=true")
            self.assertIn(response.status_code, (403, 404))
            self.assertNotIn("salary", response.text)
            response = self.url_open(f"/web/content/{self.attachment_b.id}?download=true&access_token=guess")
            self.assertIn(response.status_code, (403, 404))
            self.authenticate(None, None)
            response = self.url_open(f"/web/content/{self.attachment_b.id}?download=true")
            self.assertIn(response.status_code, (403, 404))
        self.assertNotIn("salary", response.text)

    def test_internal_note_attachments_not_listed(self):
        note = self.ticket_a.message_post(
            body="internal only", subtype_xmlid="mail.mt_note",
            attachments=[("agent_notes.txt", b"secret notes")],
        )
        self.assertTrue(note.attachment_ids)
        self.login(self.user_a)
        response = self.url_open(f"/my/tickets/{self.ticket_a.id}")
        self.assertNotIn("agent_notes.txt", response.text)

    # ------------------------------------------------------------------
    # JSON-RPC as a portal user
    # ------------------------------------------------------------------
    def test_jsonrpc_as_portal_user(self):
        self.login(self.user_a)
        records = self._rpc("helpdesk.ticket", "search_read", [[]], {"fields": ["name", "number"]})
        numbers = {record["number"] for record in records}
        self.assertIn(self.ticket_a.number, numbers)
        self.assertNotIn(self.ticket_b.number, numbers)
        with mute_logger("odoo.http"):
            with self.assertRaises(JsonRpcException):
                self._rpc("helpdesk.ticket", "read", [[self.ticket_b.id], ["name", "description"]])
            with self.assertRaises(JsonRpcException):
                self._rpc("helpdesk.ticket", "write", [[self.ticket_b.id], {"name": "hacked"}])
            with self.assertRaises(JsonRpcException):
                self._rpc("helpdesk.ticket", "write", [[self.ticket_a.id], {"name": "hacked"}])
            with self.assertRaises(JsonRpcException):
                self._rpc("helpdesk.ticket", "action_close", [[self.ticket_b.id]])
            with self.assertRaises(JsonRpcException):
                self._rpc("helpdesk.ticket", "action_close", [[self.ticket_a.id]])
            with self.assertRaises(JsonRpcException):
                self._rpc("ir.attachment", "read", [[self.attachment_b.id], ["raw"]])
            with self.assertRaises(JsonRpcException):
                self._rpc("helpdesk.portal.attempt", "search_read", [[]])
        self.assertEqual(self.ticket_b.name, "Oscar secret payroll question")
        self.assertEqual(self.ticket_a.name, "Carla cannot print invoices")
        self.assertFalse(self.ticket_a.closed or self.ticket_b.closed)

    # ------------------------------------------------------------------
    # Chatter routes
    # ------------------------------------------------------------------
    def _post_message(self, ticket, body, **kwargs):
        return self.make_jsonrpc_request("/mail/message/post", {
            "thread_model": "helpdesk.ticket",
            "thread_id": ticket.id,
            "post_data": {"body": body, "message_type": "comment", "subtype_xmlid": "mail.mt_comment"},
            **kwargs,
        })

    def _messages_with(self, ticket, body):
        return ticket.message_ids.filtered(lambda m: body in (m.body or ""))

    def test_chatter_post_on_other_ticket(self):
        self.login(self.user_a)
        with mute_logger("odoo.http"):
            for kwargs in ({}, {"token": "wrong"}, {"token": self.ticket_a.access_token},
                           {"hash": "0" * 64, "pid": self.customer.id}):
                try:
                    self._post_message(self.ticket_b, "intrusion from A", **kwargs)
                except (JsonRpcException, Exception):  # noqa: BLE001 - refused either way
                    pass
        self.assertFalse(self._messages_with(self.ticket_b, "intrusion from A"))
        # A can reply on her own ticket, without a token (record rules) or with it
        self._post_message(self.ticket_a, "reply from A")
        self.assertTrue(self._messages_with(self.ticket_a, "reply from A"))

    def test_chatter_fetch_other_ticket(self):
        self.login(self.user_a)
        with mute_logger("odoo.http"):
            result = self.make_jsonrpc_request("/mail/chatter_fetch", {
                "thread_model": "helpdesk.ticket", "thread_id": self.ticket_b.id,
            })
            self.assertNotIn("salaries", json.dumps(result))
            with self.assertRaises(JsonRpcException):
                self.make_jsonrpc_request("/mail/chatter_fetch", {
                    "thread_model": "helpdesk.ticket", "thread_id": self.ticket_b.id, "token": "wrong",
                })
        # with the right token (a guest following the tracking link) the thread is readable
        self.authenticate(None, None)
        result = self.make_jsonrpc_request("/mail/chatter_fetch", {
            "thread_model": "helpdesk.ticket", "thread_id": self.ticket_b.id,
            "token": self.ticket_b.access_token,
        })
        self.assertIn("salaries", json.dumps(result))

    def test_public_chatter_post(self):
        self.authenticate(None, None)
        with mute_logger("odoo.http"):
            for kwargs in ({}, {"token": "wrong"}):
                try:
                    self._post_message(self.ticket_b, "anonymous intrusion", **kwargs)
                except (JsonRpcException, Exception):  # noqa: BLE001 - refused either way
                    pass
        self.assertFalse(self._messages_with(self.ticket_b, "anonymous intrusion"))
        # the guest with the token posts as the ticket's customer
        self._post_message(self.ticket_b, "guest reply", token=self.ticket_b.access_token)
        message = self._messages_with(self.ticket_b, "guest reply")
        self.assertEqual(message.author_id, self.other_customer)

    # ------------------------------------------------------------------
    # Guest tracking limits
    # ------------------------------------------------------------------
    def _track(self, number, email):
        return self.post("/helpdesk/track", {"number": number, "email": email})

    def _link_mails(self):
        return self.env["mail.mail"].sudo().search([("body_html", "ilike", "access_token=hdl1.")])

    def test_tracking_same_message_for_wrong_number_or_email(self):
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.track_limit_ip", 50)
        self.authenticate(None, None)
        wrong_email = self._track(self.ticket_b.number, "someone@else.example")
        wrong_number = self._track("HD-99999", self.other_customer.email)
        self.assertEqual(wrong_email.status_code, 200)
        self.assertEqual(wrong_number.status_code, 200)
        self.assertIn("o_helpdesk_track_sent", wrong_email.text)
        self.assertIn("o_helpdesk_track_sent", wrong_number.text)
        self.assertNotIn(self.ticket_b.access_token, wrong_email.text)
        self.assertNotIn("Oscar secret", wrong_email.text)
        # patterns never match: knowing the email is not enough
        for pattern in ("HD-%", "%", "_D-" + self.ticket_b.number[3:], self.ticket_b.number[:-1]):
            response = self._track(pattern, self.other_customer.email)
            self.assertEqual(response.status_code, 200, pattern)
            self.assertIn("o_helpdesk_track_sent", response.text)
        self.assertFalse(self._link_mails(), "no mail for a pair that does not match")
        good = self._track(self.ticket_b.number.lower(), " OSCAR@elsewhere.example ")
        self.assertEqual(good.status_code, 200, "the status page never opens the ticket")
        self.assertIn("o_helpdesk_track_sent", good.text)
        self.assertNotIn(self.ticket_b.access_token, good.text)
        self.assertNotIn("Oscar secret", good.text)
        self.assertEqual(len(self._link_mails()), 1, "the link is mailed to the ticket's address")

    def test_tracking_blocked_per_number_then_window(self):
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.track_limit_number", 3)
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.track_limit_ip", 50)
        self.authenticate(None, None)
        for _i in range(3):
            self._track(self.ticket_b.number, "attacker@evil.example")
        blocked = self._track(self.ticket_b.number, self.other_customer.email)
        self.assertEqual(blocked.status_code, 200, "the right email is refused while blocked")
        self.assertIn("Too many attempts", blocked.text)
        self.assertNotIn(self.ticket_b.access_token, blocked.text)
        self.assertFalse(self._link_mails(), "no link while blocked")
        # another ticket number is not blocked by this one
        other = self._track(self.ticket_a.number, self.customer.email)
        self.assertIn("o_helpdesk_track_sent", other.text)
        self.assertEqual(len(self._link_mails()), 1)
        # after the window, the lookup works again
        self.age_attempts(16)
        again = self._track(self.ticket_b.number, self.other_customer.email)
        self.assertIn("o_helpdesk_track_sent", again.text)
        self.assertEqual(len(self._link_mails()), 2)

    def test_tracking_blocked_per_ip(self):
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.track_limit_ip", 4)
        self.authenticate(None, None)
        for index in range(4):
            self._track(f"HD-9{index:04d}", "attacker@evil.example")
        blocked = self._track(self.ticket_b.number, self.other_customer.email)
        self.assertIn("Too many attempts", blocked.text)
        self.env["helpdesk.portal.attempt"]._gc_attempts()
        # 4 lookups, each counted per IP and per number
        self.assertEqual(self.env["helpdesk.portal.attempt"].search_count([]), 8, "recent attempts are kept")
        self.age_attempts(16)
        again = self._track(self.ticket_b.number, self.other_customer.email)
        self.assertIn("o_helpdesk_track_sent", again.text)
        self.age_attempts(24 * 60)
        self.env["helpdesk.portal.attempt"]._gc_attempts()
        self.assertEqual(self.env["helpdesk.portal.attempt"].search_count([]), 0, "the cron purges old attempts")

    def test_attempts_store_no_raw_personal_data(self):
        self.authenticate(None, None)
        self._track(self.ticket_b.number, "attacker@evil.example")
        attempts = self.env["helpdesk.portal.attempt"].search([])
        self.assertEqual(set(attempts.mapped("kind")), {"track_ip", "track_number"})
        for attempt in attempts:
            self.assertNotIn("127.0.0.1", attempt.key)
            self.assertNotIn(self.ticket_b.number, attempt.key)
