"""Issue 17 (portal parts): nobody poses as a customer, nothing internal reaches the portal.

Every test is written as the attacker sends it (HTTP requests to the running test server)
and asserts what the attacker gets back: nothing of the ticket."""
import json
import re
import time
from urllib.parse import urlencode

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from odoo.addons.helpdesk_portal.controllers.portal import ascii_id

from .common import HelpdeskPortalCommon

LINK_RE = re.compile(r'href="([^"]*access_token=(hdl1\.[^"&]+))"')


@tagged("post_install", "-at_install")
class TestGuestAccessThroughMailbox(HelpdeskPortalCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # an internal user whose address an attacker knows (issue 17: "Bill Accountant")
        cls.bill = new_test_user(
            cls.env, login="hdportal_bill", password="hdportal_bill", groups="base.group_user",
            name="Bill Accountant", email="bill.accountant@company.example",
        )

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------
    def _track(self, number, email):
        return self.post("/helpdesk/track", {"number": number, "email": email})

    def _link_mails(self, address=None):
        domain = [("body_html", "ilike", "access_token=hdl1.")]
        if address:
            domain.append(("email_to", "ilike", address))
        return self.env["mail.mail"].sudo().search(domain, order="id")

    def _link_from(self, mail):
        match = LINK_RE.search(mail.body_html)
        self.assertTrue(match, "the mail carries a link")
        url, token = match.groups()
        return url[url.index("/my/tickets/"):], token

    def _visible(self, text):
        """The page without what the visitor typed and the CSRF token (compared as is)."""
        return re.sub(r"[0-9a-f]{40}o[0-9]+", "", text)

    def _fetch_chatter(self, ticket, token=None):
        params = {"thread_model": "helpdesk.ticket", "thread_id": ticket.id, "limit": 50}
        if token:
            params["token"] = token
        return json.dumps(self.make_jsonrpc_request("/mail/chatter_fetch", params))

    # ------------------------------------------------------------------
    # the status page gives nothing away
    # ------------------------------------------------------------------
    def test_track_answers_the_same_whether_the_pair_matches_or_not(self):
        self.authenticate(None, None)
        number, email = self.ticket_b.number, self.other_customer.email
        answers = {
            "match": self._track(number, email),
            "wrong email": self._track(number, "attacker@evil.example"),
            "wrong number": self._track("HD-99999", email),
        }
        for label, response in answers.items():
            self.assertEqual(response.status_code, 200, label)
            self.assertNotIn("Location", response.headers, label)
            self.assertIn("o_helpdesk_track_sent", response.text, label)
            for secret in (self.ticket_b.access_token, "Oscar secret payroll question", "hdl1.",
                           self.ticket_b.stage_id.name, self.department_b.name):
                self.assertNotIn(secret, response.text, f"{label}: {secret}")
        # the pages differ only by the values the visitor typed
        pages = {
            label: self._visible(response.text).replace(typed_number, "N").replace(typed_email, "E")
            for (label, response), (typed_number, typed_email) in zip(answers.items(), [
                (number, email), (number, "attacker@evil.example"), ("HD-99999", email),
            ])
        }
        self.assertEqual(pages["match"], pages["wrong email"])
        self.assertEqual(pages["match"], pages["wrong number"])
        # every lookup counted the same way: one per address, one per number
        attempts = self.env["helpdesk.portal.attempt"].search([("kind", "in", ("track_ip", "track_number"))])
        self.assertEqual(len(attempts), 6)
        # one mail, to the ticket's own address, with the status and a link
        mails = self._link_mails()
        self.assertEqual(len(mails), 1)
        self.assertIn("oscar@elsewhere.example", mails.email_to)
        self.assertIn(f"[{self.ticket_b.number}]", mails.subject)
        for status in (self.ticket_b.number, "Oscar secret payroll question", self.department_b.name,
                       self.ticket_b.stage_id.name):
            self.assertIn(status, mails.body_html)
        self.assertNotIn(self.ticket_b.access_token, mails.body_html, "the portal token is not mailed")
        self.assertFalse(
            self.ticket_b.message_ids.filtered(lambda m: "hdl1." in (m.body or "")),
            "the link is not in the chatter (readers of the thread are not all its customer)",
        )

    def test_form_with_someone_elses_address_gives_no_access(self):
        """Issue 17: a guest submits the public form with the address of an internal user
        (Bill Accountant), then tracks it: the link goes to Bill's mailbox, not to them."""
        self.authenticate(None, None)
        response = self.post("/helpdesk/submit", {
            "name": "Bill Accountant", "email": "bill.accountant@company.example",
            "department_id": str(self.department_a.id), "subject": "Please wire 10k to IBAN X",
            "description": "Urgent",
        })
        self.assertEqual(response.status_code, 200)
        ticket = self.env["helpdesk.ticket"].search([("name", "=", "Please wire 10k to IBAN X")])
        self.assertEqual(ticket.partner_id, self.bill.partner_id)
        self.assertNotIn(ticket.access_token, response.text)
        tracked = self._track(ticket.number, "bill.accountant@company.example")
        self.assertEqual(tracked.status_code, 200)
        self.assertNotIn(ticket.access_token, tracked.text)
        self.assertNotIn("hdl1.", tracked.text)
        mails = self._link_mails("bill.accountant@company.example")
        self.assertEqual(len(mails), 1, "the link went to Bill's mailbox")
        # what the attacker can reach without the mail: nothing
        page = self.url_open(f"/my/tickets/{ticket.id}", allow_redirects=False)
        self.assertIn(page.status_code, (302, 303))
        self.assertIn("/web/login", page.headers["Location"])
        with mute_logger("odoo.http"):
            with self.assertRaises(JsonRpcException):
                self._fetch_chatter(ticket, token="hdl1.0.%s" % ("0" * 64))

    def test_walking_numbers_with_a_known_address_reveals_nothing(self):
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.track_limit_ip", 100)
        self.authenticate(None, None)
        texts = []
        for ticket in (self.ticket_a, self.ticket_a_colleague, self.ticket_b):
            response = self._track(ticket.number, self.customer.email)
            self.assertEqual(response.status_code, 200)
            self.assertNotIn(ticket.name, response.text)
            self.assertNotIn(ticket.access_token, response.text)
            texts.append(self._visible(response.text).replace(ticket.number, "N"))
        self.assertEqual(len(set(texts)), 1, "same page for the customer's ticket and the others")
        # only the ticket that is really Carla's gets a mail, to Carla
        mails = self._link_mails()
        self.assertEqual(len(mails), 1)
        self.assertIn(self.customer.email, mails.email_to)
        self.assertIn(self.ticket_a.number, mails.subject)

    def test_link_mails_are_limited_per_ticket(self):
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.track_limit_number", 50)
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.track_limit_ip", 50)
        self.authenticate(None, None)
        for _i in range(5):
            response = self._track(self.ticket_b.number, self.other_customer.email)
            self.assertIn("o_helpdesk_track_sent", response.text)
        self.assertEqual(len(self._link_mails()), 3, "at most link_mail_limit mails per ticket per window")

    # ------------------------------------------------------------------
    # the guest journey, end to end
    # ------------------------------------------------------------------
    def test_guest_flow_track_mail_conversation_reply_close_rate(self):
        self.authenticate(None, None)
        self._track(self.ticket_b.number.lower(), " OSCAR@elsewhere.example ")
        url, link_token = self._link_from(self._link_mails("oscar@elsewhere.example"))
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("Oscar secret payroll question", page.text)
        self.assertIn(f'data-token="{link_token}"', page.text, "the chatter works with the link")
        self.assertNotIn(self.ticket_b.access_token, page.text, "the portal token is not handed out")
        # conversation: read, and reply as the customer
        self.assertIn("salaries", self._fetch_chatter(self.ticket_b, token=link_token))
        self.make_jsonrpc_request("/mail/message/post", {
            "thread_model": "helpdesk.ticket", "thread_id": self.ticket_b.id, "token": link_token,
            "post_data": {"body": "reply through the mailed link", "message_type": "comment",
                          "subtype_xmlid": "mail.mt_comment"},
        })
        reply = self.ticket_b.message_ids.filtered(lambda m: "reply through the mailed link" in (m.body or ""))
        self.assertEqual(reply.author_id, self.other_customer)
        # close, rate, with the link
        ticket_url = f"/my/tickets/{self.ticket_b.id}"
        response = self.post(f"{ticket_url}/close", {"access_token": link_token})
        self.assertIn(f"access_token={link_token}", response.headers["Location"])
        self.assertTrue(self.ticket_b.closed)
        response = self.post(f"{ticket_url}/rate", {"access_token": link_token, "rating": "5", "feedback": "ok"})
        self.assertIn("message=rated", response.headers["Location"])
        self.assertEqual(self.ticket_b.rating_ids.filtered("consumed").partner_id, self.other_customer)
        response = self.post(f"{ticket_url}/reopen", {"access_token": link_token})
        self.assertIn("message=reopened", response.headers["Location"])
        self.assertFalse(self.ticket_b.closed)

    def test_old_acknowledgement_links_work_until_rotation(self):
        self.authenticate(None, None)
        old_url = self.ticket_b.get_portal_url()
        self.assertEqual(self.url_open(old_url).status_code, 200)
        self._track(self.ticket_b.number, self.other_customer.email)
        url, link_token = self._link_from(self._link_mails())
        self.assertEqual(self.url_open(url).status_code, 200)
        # the customer of the ticket changes: every link sent before stops working
        old_token = self.ticket_b.access_token
        self.ticket_b.partner_id = self.customer
        self.assertNotEqual(self.ticket_b.access_token, old_token)
        for stale in (old_url, url):
            response = self.url_open(stale)
            self.assertEqual(response.status_code, 404, stale)
            self.assertNotIn("Oscar secret payroll question", response.text)
        self.assertIn("o_helpdesk_link_expired", self.url_open(url).text, "the expired link says what to do")
        with mute_logger("odoo.http"):
            for token in (old_token, link_token):
                with self.assertRaises(JsonRpcException):
                    self._fetch_chatter(self.ticket_b, token=token)

    def test_token_rotation_only_when_the_customer_changes(self):
        token = self.ticket_b.access_token
        self.ticket_b.write({"partner_id": self.other_customer.id, "name": "Same customer, new subject"})
        self.assertEqual(self.ticket_b.access_token, token)
        # a ticket known by its address only gets the contact of that address: same customer
        ticket = self._create_ticket(partner_id=False, partner_email="oscar@elsewhere.example", name="by mail")
        ticket.partner_id = False
        token = ticket.access_token
        ticket.partner_id = self.other_customer
        self.assertEqual(ticket.access_token, token)
        ticket.partner_email = "someone.else@elsewhere.example"
        self.assertNotEqual(ticket.access_token, token)

    def test_manager_revokes_access(self):
        old_url = self.ticket_b.get_portal_url()
        with self.assertRaises(AccessError):
            self.ticket_b.with_user(self.agent_b).action_portal_revoke_access()
        self.ticket_b.with_user(self.manager).action_portal_revoke_access()
        self.assertIn("Portal access revoked", self.ticket_b.message_ids[0].body)
        self.assertTrue(self.ticket_b.message_ids[0].subtype_id.internal)
        self.authenticate(None, None)
        self.assertEqual(self.url_open(old_url).status_code, 404)
        # a new link works
        self._track(self.ticket_b.number, self.other_customer.email)
        url, _token = self._link_from(self._link_mails())
        self.assertEqual(self.url_open(url).status_code, 200)

    def test_links_expire_and_are_single_purpose(self):
        ticket = self.ticket_b
        issued = int(time.time()) - 8 * 86400
        expired = f"hdl1.{issued:x}.{ticket._portal_link_signature(issued)}"
        fresh = ticket._portal_link_token()
        self.authenticate(None, None)
        response = self.url_open(f"/my/tickets/{ticket.id}?access_token={expired}")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("Oscar secret payroll question", response.text)
        self.assertEqual(self.url_open(f"/my/tickets/{ticket.id}?access_token={fresh}").status_code, 200)
        # the validity is read when the link is used: shortening it shortens links sent
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.link_validity_days", 0)
        self.assertEqual(self.url_open(f"/my/tickets/{ticket.id}?access_token={fresh}").status_code, 404)
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.link_validity_days", 7)
        future = int(time.time()) + 86400
        forged = [
            f"hdl1.{future:x}.{ticket._portal_link_signature(future)}",  # issued in the future
            fresh[:-1] + ("0" if fresh[-1] != "0" else "1"),  # tampered signature
            fresh.replace("hdl1.", "hdl1.0"),  # other time, same signature
            fresh + "0",
        ]
        for token in forged:
            response = self.url_open(f"/my/tickets/{ticket.id}?access_token={token}")
            self.assertEqual(response.status_code, 404, token)
        # one ticket's link opens no other ticket, nor its chatter, nor its files
        for other in (self.ticket_a, self.ticket_a_colleague):
            response = self.url_open(f"/my/tickets/{other.id}?access_token={fresh}")
            self.assertEqual(response.status_code, 404)
            self.assertNotIn(other.name, response.text)
            with mute_logger("odoo.http"):
                with self.assertRaises(JsonRpcException):
                    self._fetch_chatter(other, token=fresh)
        with mute_logger("odoo.http", "odoo.addons.base.models.ir_attachment"):
            response = self.url_open(f"/web/content/{self.attachment_b.id}?access_token={fresh}")
        self.assertIn(response.status_code, (403, 404))

    def test_portal_token_not_rendered_for_other_readers(self):
        # Carla reads her colleague Colin's ticket (same company), an agent reads Carla's
        for user, ticket in ((self.user_a, self.ticket_a_colleague), (self.user_a, self.ticket_a),
                             (self.agent_a, self.ticket_a)):
            self.authenticate(user.login, user.login)
            page = self.url_open(f"/my/tickets/{ticket.id}")
            self.assertEqual(page.status_code, 200)
            self.assertNotIn(ticket.access_token, page.text, f"{user.login} on {ticket.number}")
            self.assertNotIn("hdl1.", page.text)
        # Carla still replies on the ticket of her company through her access rights
        self.authenticate(self.user_a.login, self.user_a.login)
        self.make_jsonrpc_request("/mail/message/post", {
            "thread_model": "helpdesk.ticket", "thread_id": self.ticket_a_colleague.id,
            "post_data": {"body": "Carla answers for Colin", "message_type": "comment",
                          "subtype_xmlid": "mail.mt_comment"},
        })
        self.assertTrue(self.ticket_a_colleague.message_ids.filtered(lambda m: "Carla answers" in (m.body or "")))


@tagged("post_install", "-at_install")
class TestPortalShowsOnlyWhatWasSent(HelpdeskPortalCommon):
    """Attachments on the portal: those of public messages and the customer's own uploads."""

    def _download(self, attachment, token):
        with mute_logger("odoo.http", "odoo.addons.base.models.ir_attachment"):
            return self.url_open(f"/web/content/{attachment.id}?download=true&access_token={token}")

    def _page(self, ticket):
        self.authenticate(None, None)
        return self.url_open(ticket.get_portal_url())

    def test_agent_side_files_never_reach_the_portal(self):
        ticket = self.ticket_b
        # an agent drops a file into the chatter's attachment box (no message)
        dropped = self.env["ir.attachment"].with_user(self.agent_b).create({
            "name": "dropped_by_agent.txt", "raw": b"agent side only",
            "res_model": "helpdesk.ticket", "res_id": ticket.id,
        })
        # an internal note with a file
        note = ticket.with_user(self.agent_b).message_post(
            body="internal", subtype_xmlid="mail.mt_note",
            attachments=[("note_file.txt", b"internal file")],
        )
        # a public reply with a file, and the customer's own upload on the portal form
        reply = ticket.with_user(self.agent_b).message_post(
            body="here is your invoice", message_type="comment", subtype_xmlid="mail.mt_comment",
            attachments=[("invoice.pdf", b"%PDF public file")],
        )
        page = self._page(ticket)
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("dropped_by_agent.txt", page.text)
        self.assertNotIn("note_file.txt", page.text)
        self.assertIn("invoice.pdf", page.text, "files of public messages are listed")
        # downloads with the ticket's token, or a token generated for the file elsewhere
        for secret in (dropped, note.attachment_ids):
            for token in (ticket.access_token, ticket._portal_link_token(), "", "x" * 40):
                response = self._download(secret, token)
                self.assertIn(response.status_code, (403, 404), f"{secret.name} with {token!r}")
                self.assertNotIn(b"agent side only", response.content)
                self.assertNotIn(b"internal file", response.content)
        self.assertFalse(dropped.access_token or note.attachment_ids.access_token, "no token was generated")
        # the listed file downloads with the link of the page
        link = re.search(rf'href="(/web/content/{reply.attachment_ids.id}\?[^"]+)"', page.text).group(1)
        download = self.url_open(link.replace("&amp;", "&"))
        self.assertEqual(download.status_code, 200)
        self.assertEqual(download.content, b"%PDF public file")

    def test_customer_uploads_listed(self):
        self.authenticate(None, None)
        self.post("/helpdesk/submit", {
            "name": "Paula Public", "email": "paula.public@example.org",
            "department_id": str(self.department_a.id), "subject": "Upload from the form",
            "description": "see file",
        }, files=[("attachments", ("my_photo.jpg", b"jpegdata", "image/jpeg"))])
        ticket = self.env["helpdesk.ticket"].search([("name", "=", "Upload from the form")])
        page = self._page(ticket)
        self.assertIn("my_photo.jpg", page.text)

    def test_merge_of_another_customer_is_explicit_and_agent_only(self):
        carla_ticket = self.ticket_a
        oscar_ticket = self._create_ticket(
            name="Oscar duplicate about payroll", partner_id=self.other_customer.id, channel="web",
        )
        oscar_ticket.message_post(
            body="Oscar's own words about his salary", message_type="comment",
            subtype_xmlid="mail.mt_comment", author_id=self.other_customer.id,
            attachments=[("oscar_payslip.pdf", b"oscar salary")],
        )
        oscar_ticket.message_post(
            body="agent note on Oscar", subtype_xmlid="mail.mt_note",
            attachments=[("oscar_note.txt", b"oscar internal")],
        )
        oscar_upload = self.env["ir.attachment"].with_user(self.user_b).sudo().create({
            "name": "oscar_upload.txt", "raw": b"oscar upload",
            "res_model": "helpdesk.ticket", "res_id": oscar_ticket.id,
        })
        oscar_upload_creator = oscar_upload.create_uid
        self.assertTrue(oscar_upload_creator.share)
        Wizard = self.env["helpdesk.ticket.merge"].with_user(self.agent_a).with_context(
            active_model="helpdesk.ticket", active_ids=(carla_ticket | oscar_ticket).ids,
        )
        wizard = Wizard.create({})
        wizard.target_ticket_id = carla_ticket
        self.assertEqual(wizard.other_customer_ticket_ids, oscar_ticket)
        with self.assertRaises(UserError):
            wizard.action_merge()
        self.assertTrue(oscar_ticket.active, "nothing merged without confirmation")
        wizard.confirm_other_customers = True
        wizard.action_merge()
        self.assertEqual(oscar_ticket.merged_into_id, carla_ticket)
        # agents see everything on the target
        bodies = " ".join(carla_ticket.with_user(self.agent_a).message_ids.mapped("body"))
        self.assertIn("Oscar's own words", bodies)
        self.assertIn("agent note on Oscar", bodies)
        # Carla sees none of it: page, chatter, files
        self.authenticate(self.user_a.login, self.user_a.login)
        page = self.url_open(f"/my/tickets/{carla_ticket.id}")
        fetched = json.dumps(self.make_jsonrpc_request("/mail/chatter_fetch", {
            "thread_model": "helpdesk.ticket", "thread_id": carla_ticket.id, "limit": 100,
        }))
        guest_fetched = json.dumps(self.make_jsonrpc_request("/mail/chatter_fetch", {
            "thread_model": "helpdesk.ticket", "thread_id": carla_ticket.id, "limit": 100,
            "token": carla_ticket.access_token,
        }))
        for text in (page.text, fetched, guest_fetched):
            for secret in ("Oscar's own words", "agent note on Oscar", "oscar_payslip.pdf", "oscar_note.txt",
                           "oscar_upload.txt"):
                self.assertNotIn(secret, text)
        oscar_files = self.env["ir.attachment"].search([
            ("name", "in", ["oscar_payslip.pdf", "oscar_note.txt", "oscar_upload.txt"]),
        ])
        self.assertEqual(len(oscar_files), 3)
        self.assertFalse(oscar_files & carla_ticket.sudo()._portal_attachments())
        for file in oscar_files:
            response = self._download(file, carla_ticket.access_token)
            self.assertIn(response.status_code, (403, 404))
        # Oscar does not follow Carla's ticket and is told in his own ticket
        self.assertNotIn(self.other_customer, carla_ticket.message_partner_ids)
        notice = oscar_ticket.with_context(active_test=False).message_ids.filtered(
            lambda m: "has been merged with another request" in (m.body or "")
        )
        self.assertEqual(len(notice), 1)
        self.assertFalse(notice.subtype_id.internal)
        self.assertIn(self.other_customer, notice.notified_partner_ids | notice.partner_ids)
        self.assertNotIn(carla_ticket.number, notice.body, "Carla's ticket is not named to Oscar")
        # Oscar's portal does not list Carla's ticket
        self.authenticate(self.user_b.login, self.user_b.login)
        self.assertNotIn("Carla cannot print invoices", self.url_open("/my/tickets").text)

    def test_merge_same_customer_needs_no_confirmation(self):
        first = self.ticket_a
        second = self._create_ticket(name="Carla again", channel="web")
        second.message_post(body="Carla's second message", message_type="comment",
                            subtype_xmlid="mail.mt_comment", author_id=self.customer.id)
        wizard = self.env["helpdesk.ticket.merge"].with_user(self.agent_a).with_context(
            active_model="helpdesk.ticket", active_ids=(first | second).ids,
        ).create({})
        self.assertFalse(wizard.other_customer_ticket_ids)
        wizard.action_merge()
        self.login(self.user_a)
        fetched = json.dumps(self.make_jsonrpc_request("/mail/chatter_fetch", {
            "thread_model": "helpdesk.ticket", "thread_id": first.id, "limit": 100,
        }))
        self.assertIn("Carla's second message", fetched, "the same customer keeps seeing her messages")


@tagged("post_install", "-at_install")
class TestNoRouteAnswers500(HelpdeskPortalCommon):
    """Hostile values in every path and parameter of the helpdesk pages: a page, 400 or 404."""

    HOSTILE_NUMBERS = ["٣", "๓", "²", "3²", "99999999999", "2147483648", "-1", "0", "", " 1", "1e3", "0x1",
                       "9" * 400, "1\x00", "\x00"]
    HOSTILE_STRINGS = ["", "x" * 5000, "a\x00b", "\x00", "٣", "<script>alert(1)</script>"]

    def _get(self, path, params):
        return self.url_open(f"{path}?{urlencode(params)}")

    def _check(self, response, where):
        self.assertIn(response.status_code, (200, 204, 302, 303, 400, 404), f"{where}: HTTP {response.status_code}")

    def test_paths_and_parameters(self):
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.track_limit_ip", 10000)
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.track_limit_number", 10000)
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.submit_limit_ip", 10000)
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.submit_limit_email", 10000)
        with mute_logger("odoo.http", "odoo.addons.http_routing.models.ir_http", "werkzeug"):
            for user in (None, self.user_a):
                if user:
                    self.login(user)
                else:
                    self.authenticate(None, None)
                csrf = self.csrf_token()
                for value in self.HOSTILE_NUMBERS:
                    quoted = value.replace("\x00", "%00").replace(" ", "%20")
                    for path in (f"/my/tickets/{quoted}", f"/helpdesk/kb/{quoted}", f"/my/tickets/page/{quoted}"):
                        self._check(self.url_open(path), path)
                    for path in (f"/my/tickets/{quoted}/close", f"/helpdesk/kb/{quoted}/vote"):
                        self._check(self.url_open(path, data={"csrf_token": csrf}), path)
                    for params in ({"department": value}, {"tag": value}, {"search": value}):
                        self._check(self._get("/helpdesk/kb", params), params)
                    if user:
                        self._check(self._get("/my/tickets", {"page": value}), "my tickets ?page")
                    self._check(self._get(f"/my/tickets/{self.ticket_a.id}", {"pid": value, "hash": "0" * 64}),
                                "pid")
                    self._check(self.url_open("/helpdesk/submit", data={
                        "csrf_token": csrf, "name": "N", "email": "n@example.com", "department_id": value,
                        "type_id": value, "subject": "s", "description": "d",
                    }), f"submit department {value!r}")
                    self._check(self.url_open("/helpdesk/track", data={
                        "csrf_token": csrf, "number": value, "email": "n@example.com"}), f"track {value!r}")
                    result = self.make_jsonrpc_request("/helpdesk/kb/suggest", {
                        "subject": "password", "department_id": value})
                    self.assertIsInstance(result, list)
                for value in self.HOSTILE_STRINGS:
                    self._check(self.url_open("/helpdesk/track", data={
                        "csrf_token": csrf, "number": value, "email": value}), f"track {value[:20]!r}")
                    self._check(self._get("/helpdesk/track", {"number": value}), "track GET")
                    self._check(self._get("/helpdesk/kb", {"search": value}), "kb search")
                    ticket_url = f"/my/tickets/{self.ticket_b.id}"
                    self._check(self._get(ticket_url, {"access_token": value}), "access_token")
                    self._check(self._get(ticket_url, {"access_token": self.ticket_b.access_token,
                                                       "pid": value, "hash": value, "message": value}), "pid/hash")
                    self._check(self.url_open("/helpdesk/submit", data={
                        "csrf_token": csrf, "name": value, "email": value, "department_id": value,
                        "subject": value, "description": value}), "submit")
                    if user:
                        self._check(self._get("/my/tickets", {"search": value, "sortby": value, "groupby": value,
                                                              "page": value}),
                                    "my tickets search")
                        self._check(self.url_open("/my/tickets/new", data={
                            "csrf_token": csrf, "department_id": value, "type_id": value,
                            "subject": value, "description": value}), "new ticket")
                    self._check(self.url_open(f"/my/tickets/{self.ticket_b.id}/rate", data={
                        "csrf_token": csrf, "access_token": self.ticket_b.access_token,
                        "rating": value, "feedback": value}), "rate")

    def test_chatter_routes_with_malformed_credentials(self):
        """The portal chatter of a ticket with a non-ASCII token or hash, or a pid that is
        no ASCII number: "no access", not a crash of Odoo's token comparison."""
        self.authenticate(None, None)
        attempts = [{"token": "٣"}, {"token": "x" * 5000}, {"hash": "٣" * 64, "pid": str(self.other_customer.id)},
                    {"hash": "0" * 64, "pid": "²"}, {"hash": "0" * 64, "pid": "99999999999"}]
        with mute_logger("odoo.http"):
            for kwargs in attempts:
                for route, params in (
                    ("/mail/chatter_fetch", {"thread_model": "helpdesk.ticket", "thread_id": self.ticket_b.id}),
                    ("/portal/chatter_init", {"thread_model": "helpdesk.ticket", "thread_id": self.ticket_b.id}),
                    ("/mail/message/post", {"thread_model": "helpdesk.ticket", "thread_id": self.ticket_b.id,
                                            "post_data": {"body": "intrusion", "message_type": "comment"}}),
                ):
                    try:
                        result = json.dumps(self.make_jsonrpc_request(route, {**params, **kwargs}))
                    except JsonRpcException as error:
                        result = str(error)
                        self.assertNotRegex(result, r"TypeError|ValueError|compare_digest", f"{route} {kwargs}")
                    self.assertNotIn("salaries", result, f"{route} {kwargs}")
        self.assertFalse(self.ticket_b.message_ids.filtered(lambda m: "intrusion" in (m.body or "")))

    def test_unicode_digits_are_not_ids(self):
        """'٣' is 3 for Python's int(): it must not open ticket 3 (nor any other)."""
        self.login(self.user_a)
        arabic = "".join(chr(0x0660 + int(d)) for d in str(self.ticket_a.id))
        response = self.url_open(f"/my/tickets/{arabic}")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("Carla cannot print invoices", response.text)
        self.assertEqual(ascii_id(str(self.ticket_a.id)), self.ticket_a.id)
        for value in ("٣", "๓", "²", "2147483648", "0", "-1", "", None, 3):
            self.assertIsNone(ascii_id(value), value)


@tagged("post_install", "-at_install")
class TestRateLimitKeys(HelpdeskPortalCommon):

    def test_client_keys(self):
        client_key = self.env["helpdesk.portal.attempt"]._client_key
        self.assertEqual(client_key("203.0.113.7"), "203.0.113.7")
        self.assertNotEqual(client_key("203.0.113.7"), client_key("203.0.113.8"), "IPv4: per address")
        self.assertEqual(client_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64")
        self.assertEqual(client_key("2001:db8:1:2:ffff:1:2:3"), client_key("2001:db8:1:2::9"), "IPv6: per /64")
        self.assertNotEqual(client_key("2001:db8:1:2::1"), client_key("2001:db8:1:3::1"))
        self.assertEqual(client_key("::ffff:203.0.113.7"), "203.0.113.7", "IPv4-mapped: the IPv4 address")
        self.assertEqual(client_key("fe80::1%eth0"), "fe80::/64")
        self.assertEqual(client_key(None), "unknown")

    def test_an_ipv6_subscriber_cannot_rotate_addresses_around_the_limit(self):
        self.env["ir.config_parameter"].sudo().set_param("helpdesk_portal.track_limit_ip", 3)
        Attempt = self.env["helpdesk.portal.attempt"]
        client_key = Attempt._client_key
        for suffix in range(3):
            key = client_key(f"2001:db8:1:2::{suffix + 1:x}")
            self.assertFalse(Attempt._is_blocked([("track_ip", key)]))
            Attempt._record_attempts([("track_ip", key)])
        self.assertTrue(Attempt._is_blocked([("track_ip", client_key("2001:db8:1:2:dead:beef::1"))]))
        self.assertFalse(Attempt._is_blocked([("track_ip", client_key("2001:db8:1:3::1"))]))


@tagged("post_install", "-at_install")
class TestWhoIsTheCustomer(HelpdeskPortalCommon):
    """Issue 17: a ticket made by the public form (or by mail) for the address of an
    internal user is a customer ticket: that person's messages are the customer's, unless
    they are an agent of the ticket's department writing in the backend."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bill = new_test_user(
            cls.env, login="hdportal_bill2", password="hdportal_bill2", groups="base.group_user",
            name="Bill Accountant", email="bill.accountant@company.example",
        )

    def _bill_ticket(self):
        self.authenticate(None, None)
        self.post("/helpdesk/submit", {
            "name": "Bill Accountant", "email": "Bill.Accountant@company.example",
            "department_id": str(self.department_a.id), "subject": "My laptop is slow",
            "description": "It takes ages to boot",
        })
        ticket = self.env["helpdesk.ticket"].search([("name", "=", "My laptop is slow")])
        self.assertEqual(ticket.partner_id, self.bill.partner_id)
        return ticket

    def _post(self, ticket, author, message_type, body):
        return ticket.message_post(
            body=body, author_id=author.id, message_type=message_type, subtype_xmlid="mail.mt_comment",
        )

    def test_internal_user_as_customer(self):
        ticket = self._bill_ticket()
        # Bill answers by mail, and in the chatter while not an agent of the department
        self._post(ticket, self.bill.partner_id, "email", "More details by mail")
        self._post(ticket, self.bill.partner_id, "comment", "More details in the chatter")
        self.assertFalse(ticket.date_first_response, "the customer's messages are no first response")
        self.assertFalse(ticket.date_last_agent_message)
        self.assertTrue(ticket.date_last_customer_message)
        # an agent of the department answers: the first response
        self._post(ticket, self.agent_a.partner_id, "comment", "Let us look at it")
        self.assertTrue(ticket.date_first_response)

    def test_department_agent_in_the_backend_is_an_agent(self):
        ticket = self._bill_ticket()
        self.bill.groups_id = [(4, self.env.ref("helpdesk_ticket.group_helpdesk_agent").id)]
        # an agent, but of another department: still the customer here
        self.department_b.member_ids = [(4, self.bill.id)]
        self._post(ticket, self.bill.partner_id, "comment", "As the customer")
        self.assertFalse(ticket.date_first_response)
        # an agent of the ticket's department: by mail still the customer, in the backend an agent
        self.department_a.member_ids = [(4, self.bill.id)]
        self._post(ticket, self.bill.partner_id, "email", "Still as the customer, by mail")
        self.assertFalse(ticket.date_first_response)
        last_customer = ticket.date_last_customer_message
        self._post(ticket, self.bill.partner_id, "comment", "As an agent of the department")
        self.assertTrue(ticket.date_first_response)
        self.assertTrue(ticket.date_last_agent_message)
        self.assertEqual(ticket.date_last_customer_message, last_customer)

    def test_internal_users_on_other_tickets_are_agents(self):
        """Unchanged for everyone else: an internal user who is not the customer is an agent."""
        ticket = self._create_ticket(name="Carla's printer")
        self._post(ticket, self.bill.partner_id, "comment", "Bill comments on Carla's ticket")
        self.assertTrue(ticket.date_first_response)
        other = self._create_ticket(name="Carla again")
        self._post(other, self.customer, "comment", "Carla writes")
        self.assertFalse(other.date_first_response)
        self.assertTrue(other.date_last_customer_message)
