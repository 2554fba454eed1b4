"""Every helpdesk route declared read-only (Odoo 18 ``readonly=True`` or a callable saying
so for the request) writes nothing.

With ``db_replica_host`` Odoo opens these requests' transaction on a streaming replica; a
write there fails (ReadOnlySqlTransaction) and Odoo runs the whole request again on the
primary, logging "retrying with a read/write cursor". In tests, Odoo gives a read-only
route a cursor whose transaction is ``READ ONLY`` (``test_readonly_enabled``): the same
failure, the same retry, the same warning. Each route is requested here as the visitors
who use it and must answer without that warning and without a server error.

The routes are read from the routing map, so a new read-only route of a helpdesk addon is
requested too (with the default visitors below) and the test fails if it writes."""
import base64
import logging
import re
import threading

from odoo.tests import tagged
from werkzeug.urls import url_encode

from .common import HelpdeskPortalCommon

RETRY_MESSAGE = "retrying with a read/write cursor"


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@tagged("post_install", "-at_install")
class TestReadonlyRoutes(HelpdeskPortalCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a customer's mail with a file on Carla's ticket: the page lists it with its token
        cls.ticket_a.message_post(
            body="Here is the screenshot", message_type="comment", subtype_xmlid="mail.mt_comment",
            author_id=cls.customer.id,
            attachments=[("screen.txt", b"screenshot")],
        )
        cls.env["ir.attachment"].create({
            "name": "form_upload.txt", "datas": base64.b64encode(b"upload"),
            "res_model": "helpdesk.ticket", "res_id": cls.ticket_a.id,
        })
        cls._create_kb_articles(cls.department_hidden)

    def _readonly_rules(self):
        """(rule, readonly) of the helpdesk addons' routes that are read-only (or may be)."""
        rules = []
        # routing_map() reads the database name of the thread (set by Odoo for a request)
        thread = threading.current_thread()
        previous = getattr(thread, "dbname", None)
        thread.dbname = self.env.cr.dbname
        try:
            routing_map = self.env["ir.http"].routing_map()
        finally:
            if previous is None:
                del thread.dbname
            else:
                thread.dbname = previous
        for rule in routing_map.iter_rules():
            endpoint = rule.endpoint
            if not endpoint.__module__.startswith("odoo.addons.helpdesk_"):
                continue
            readonly = endpoint.routing.get("readonly")
            if readonly:
                rules.append((rule, readonly))
        return rules

    def _requests(self, rule):
        """(who, path, query or JSON params) to request for ``rule``."""
        link = self.ticket_a._portal_link_token()
        ticket_page = f"/my/tickets/{self.ticket_a.id}"
        samples = {
            "/my/tickets": [
                ("portal", "/my/tickets", {}),
                ("portal", "/my/tickets", {"groupby": "department", "filterby": "open", "search": "Carla",
                                           "sortby": "status"}),
                ("agent", "/my/tickets", {}),
            ],
            "/my/tickets/page/<helpdesk_id:page>": [("portal", "/my/tickets/page/2", {})],
            "/my/tickets/<helpdesk_id:ticket_id>": [
                ("portal", ticket_page, {}),
                ("public", ticket_page, {"access_token": self.ticket_a.access_token}),
                ("public", ticket_page, {"access_token": link}),
                ("public", ticket_page, {"access_token": "hdl1.expired.or.forged"}),
                ("public", ticket_page, {}),
                ("portal_b", ticket_page, {}),
            ],
            "/my/tickets/new": [("portal", "/my/tickets/new", {})],
            "/helpdesk/submit": [("public", "/helpdesk/submit", {}), ("portal", "/helpdesk/submit", {})],
            "/helpdesk/track": [("public", "/helpdesk/track", {"number": self.ticket_a.number})],
            "/helpdesk/kb": [
                ("public", "/helpdesk/kb", {}),
                ("portal", "/helpdesk/kb", {"search": "printer", "department": str(self.department_a.id)}),
            ],
            "/helpdesk/kb/suggest": [
                ("public", "/helpdesk/kb/suggest", {"subject": "printer"}),
                ("portal", "/helpdesk/kb/suggest", {"subject": "printer", "department_id": self.department_a.id}),
            ],
        }
        if rule.rule in samples:
            return samples[rule.rule]
        # a route added later: every visitor, path arguments from the records above
        values = {"ticket_id": self.ticket_a.id, "article_id": self.article_thai.id, "page": 1}
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda match: str(values.get(match.group(1), 1)), rule.rule)
        return [(who, path, {}) for who in ("public", "portal", "agent")]

    def _login_as(self, who):
        users = {"portal": self.user_a, "portal_b": self.user_b, "agent": self.agent_a}
        if who in users:
            self.authenticate(users[who].login, users[who].login)
        else:
            self.authenticate(None, None)

    def test_readonly_cursor_refuses_writes(self):
        """The check below means something: a read-only route's cursor is READ ONLY."""
        self.assertTrue(self.registry.test_readonly_enabled)
        with self.registry.cursor(readonly=True) as cr:
            cr.execute("SHOW transaction_read_only")
            self.assertEqual(cr.fetchone()[0], "on")

    def test_readonly_routes_write_nothing(self):
        rules = self._readonly_rules()
        paths = {rule.rule for rule, _readonly in rules}
        # the routes this addon declares read-only today (more may come, never fewer)
        self.assertLessEqual({
            "/my/tickets", "/my/tickets/page/<helpdesk_id:page>", "/my/tickets/<helpdesk_id:ticket_id>",
            "/my/tickets/new", "/helpdesk/submit", "/helpdesk/track", "/helpdesk/kb", "/helpdesk/kb/suggest",
        }, paths)
        self.assertNotIn("/helpdesk/kb/<helpdesk_id:article_id>", paths, "the article page counts views")
        capture = _Capture()
        http_logger = logging.getLogger("odoo.http")
        http_logger.addHandler(capture)
        self.addCleanup(http_logger.removeHandler, capture)
        requested = 0
        for rule, _readonly in rules:
            for who, path, params in self._requests(rule):
                with self.subTest(route=rule.rule, who=who, params=params):
                    self._login_as(who)
                    before = len(capture.messages)
                    if rule.endpoint.routing["type"] == "json":
                        response = self.opener.post(
                            self.base_url() + path, timeout=30,
                            json={"jsonrpc": "2.0", "method": "call", "params": params},
                        )
                        self.assertNotIn("error", response.json(), response.text[:300])
                    else:
                        query = f"?{url_encode(params)}" if params else ""
                        response = self.url_open(path + query, allow_redirects=False, timeout=30)
                    requested += 1
                    self.assertLess(response.status_code, 500, response.text[:300])
                    retried = [m for m in capture.messages[before:] if RETRY_MESSAGE in m]
                    self.assertFalse(retried, f"{path} as {who} wrote on a read-only cursor: {retried[:1]}")
        self.assertGreaterEqual(requested, len(rules))

    def test_writing_requests_stay_on_primary(self):
        """The POST of a form that is read-only on GET is read/write: the ticket is created
        without any retry, and the article page (view counter) is read/write."""
        capture = _Capture()
        http_logger = logging.getLogger("odoo.http")
        http_logger.addHandler(capture)
        self.addCleanup(http_logger.removeHandler, capture)
        self.login(self.user_a)
        token = self.csrf_token("/my/tickets/new")
        response = self.url_open("/my/tickets/new", data={
            "csrf_token": token, "department_id": str(self.department_a.id), "subject": "Read-only test POST",
            "description": "Created on the primary",
        }, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(self.env["helpdesk.ticket"].search([("name", "=", "Read-only test POST")]))
        views = self.article_thai.view_count
        self.assertEqual(self.url_open(f"/helpdesk/kb/{self.article_thai.id}").status_code, 200)
        self.article_thai.invalidate_recordset(["view_count"])
        self.assertEqual(self.article_thai.view_count, views + 1)
        self.assertFalse([m for m in capture.messages if RETRY_MESSAGE in m])

    def test_ticket_files_get_their_token_when_shown(self):
        """Files shown to the customer carry a download token from their creation (the
        read-only ticket page hands them out without writing): the customer's uploads and
        the files of public messages; agents' files and other records' files get none."""
        upload = self.env["ir.attachment"].with_user(self.user_a).sudo().create({
            "name": "x.txt", "raw": b"x", "res_model": "helpdesk.ticket", "res_id": self.ticket_a.id,
        })
        self.assertTrue(upload.access_token)
        agent_file = self.env["ir.attachment"].with_user(self.agent_a).create({
            "name": "y.txt", "raw": b"y", "res_model": "helpdesk.ticket", "res_id": self.ticket_a.id,
        })
        self.assertFalse(agent_file.access_token)
        public = self.ticket_a.with_user(self.agent_a).message_post(
            body="invoice", message_type="comment", subtype_xmlid="mail.mt_comment",
            attachments=[("invoice.txt", b"public")],
        )
        self.assertTrue(public.attachment_ids.access_token)
        note = self.ticket_a.with_user(self.agent_a).message_post(
            body="internal", subtype_xmlid="mail.mt_note", attachments=[("note.txt", b"internal")],
        )
        self.assertFalse(note.attachment_ids.access_token)
        other = self.env["ir.attachment"].with_user(self.user_a).sudo().create({
            "name": "z.txt", "raw": b"z", "res_model": "res.partner", "res_id": self.customer.id,
        })
        self.assertFalse(other.access_token)
