import uuid

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import HelpdeskPortalCommon


class KnowledgeBaseCommon(HelpdeskPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_kb_articles(cls.department_hidden)
        cls.tag_password = cls.env["helpdesk.tag"].create({"name": "KB Passwords"})
        cls.article_thai.tag_ids = [Command.link(cls.tag_password.id)]
        cls.article_general = cls.env["helpdesk.article"].create({
            "name": "Opening hours of the support desk",
            "body": "<p>We answer from 8:00 to 18:00.</p>",
            "is_published": True,
        })


@tagged("post_install", "-at_install")
class TestKnowledgeBasePortal(KnowledgeBaseCommon):
    def _suggest(self, subject, form_key=None, form="public", department_id=None):
        return self.make_jsonrpc_request("/helpdesk/kb/suggest", {
            "subject": subject, "form_key": form_key, "form": form, "department_id": department_id,
        })

    def _events(self, form_key):
        return self.env["helpdesk.kb.event"].search([("form_key", "=", form_key)])

    # ------------------------------------------------------------------
    # Pages
    # ------------------------------------------------------------------
    def test_kb_index_lists_published_articles_by_category(self):
        response = self.url_open("/helpdesk/kb")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.article_thai.name, response.text)
        self.assertIn(self.article_general.name, response.text)
        self.assertNotIn(self.article_draft.name, response.text)
        self.assertNotIn(self.article_hidden_department.name, response.text)
        self.assertNotIn(self.department_hidden.name, response.text, "unpublished department is no category")
        response = self.url_open(f"/helpdesk/kb?department={self.department_a.id}")
        self.assertIn(self.article_persian.name, response.text)
        self.assertNotIn(self.article_general.name, response.text)
        response = self.url_open(f"/helpdesk/kb?tag={self.tag_password.id}")
        self.assertIn(self.article_thai.name, response.text)
        self.assertNotIn(self.article_persian.name, response.text)

    def test_kb_search_thai_and_persian(self):
        response = self.url_open("/helpdesk/kb?search=รหัสผ่าน")
        self.assertIn(self.article_thai.name, response.text)
        self.assertNotIn(self.article_draft.name, response.text)
        self.assertNotIn(self.article_persian.name, response.text)
        response = self.url_open("/helpdesk/kb?search=رمز عبو")
        self.assertIn(self.article_persian.name, response.text)
        self.assertNotIn(self.article_thai.name, response.text)
        response = self.url_open("/helpdesk/kb?search=zzzznothing")
        self.assertIn("o_helpdesk_kb_empty", response.text)

    def test_article_page_and_views(self):
        response = self.url_open(f"/helpdesk/kb/{self.article_thai.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("กดลืมรหัสผ่าน", response.text)
        self.assertIn("Did this answer your question?", response.text)
        self.url_open(f"/helpdesk/kb/{self.article_thai.id}")
        self.article_thai.invalidate_recordset(["view_count"])
        self.assertEqual(self.article_thai.view_count, 2)
        # signed-in customers get the same pages
        self.login(self.user_a)
        for url in ("/helpdesk/kb", f"/helpdesk/kb/{self.article_thai.id}", "/helpdesk/kb?search=รหัส"):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200)
            self.assertIn(self.article_thai.name, response.text)

    def test_unpublished_articles_are_not_found(self):
        for article in (self.article_draft, self.article_hidden_department):
            self.assertEqual(self.url_open(f"/helpdesk/kb/{article.id}").status_code, 404)
            self.login(self.user_a)
            self.assertEqual(self.url_open(f"/helpdesk/kb/{article.id}").status_code, 404)
            self.logout()
        self.assertEqual(self.url_open("/helpdesk/kb/999999999").status_code, 404)

    # ------------------------------------------------------------------
    # Votes
    # ------------------------------------------------------------------
    def _vote(self, article, helpful, csrf=True):
        url = f"/helpdesk/kb/{article.id}/vote"
        data = {"helpful": helpful}
        if csrf:
            data["csrf_token"] = self.csrf_token()
        return self.url_open(url, data=data, allow_redirects=False)

    def test_vote_requires_csrf(self):
        response = self._vote(self.article_thai, "1", csrf=False)
        self.assertGreaterEqual(response.status_code, 400)
        self.assertFalse(self.article_thai.vote_ids)

    def test_one_vote_per_visitor(self):
        response = self._vote(self.article_thai, "1")
        self.assertEqual(response.status_code, 303)
        self._vote(self.article_thai, "1")
        self.article_thai.invalidate_recordset()
        self.assertEqual((self.article_thai.helpful_count, self.article_thai.not_helpful_count), (1, 0))
        page = self.url_open(f"/helpdesk/kb/{self.article_thai.id}?voted=1")
        self.assertIn("Thank you for your feedback!", page.text)
        # a signed-in customer is another visitor, and keeps one vote across sessions
        self.login(self.user_a)
        self._vote(self.article_thai, "0")
        self.logout()
        self.login(self.user_a)
        self._vote(self.article_thai, "0")
        self.article_thai.invalidate_recordset()
        self.assertEqual((self.article_thai.helpful_count, self.article_thai.not_helpful_count), (1, 1))
        vote = self.article_thai.vote_ids.filtered(lambda v: v.partner_id == self.customer)
        self.assertEqual(len(vote), 1)
        self.assertFalse(vote.helpful)

    def test_cannot_vote_on_hidden_article(self):
        response = self._vote(self.article_draft, "1")
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.article_draft.vote_ids)

    # ------------------------------------------------------------------
    # Deflection
    # ------------------------------------------------------------------
    def test_suggestions_limited_to_published_articles_of_published_departments(self):
        self.env["helpdesk.article"].create([
            {"name": f"รีเซ็ตรหัสผ่าน ตอนที่ {i}", "department_id": self.department_a.id, "is_published": True}
            for i in range(4)
        ])
        result = self._suggest("รีเซ็ตรหัส")
        self.assertEqual(len(result), 3)
        ids = {item["id"] for item in result}
        self.assertNotIn(self.article_draft.id, ids)
        self.assertNotIn(self.article_hidden_department.id, ids)
        self.assertEqual(self._suggest("ภายใน"), [], "article of an unpublished department")
        self.assertEqual(self._suggest("ฉบับร่าง"), [], "unpublished article")
        self.assertEqual(self._suggest("x"), [], "one character is not enough")

    def test_suggestions_partial_thai_and_persian(self):
        result = self._suggest("รหัสผ่าน")
        self.assertEqual(result[0]["id"], self.article_thai.id)
        self.assertTrue(result[0]["url"].startswith(f"/helpdesk/kb/{self.article_thai.id}"))
        result = self._suggest("رمز عبو")
        self.assertEqual([item["id"] for item in result], [self.article_persian.id])
        # department chosen: its articles and the general ones only
        result = self._suggest("Opening hours", department_id=self.department_b.id)
        self.assertEqual([item["id"] for item in result], [self.article_general.id])
        result = self._suggest("รหัสผ่าน", department_id=self.department_b.id)
        self.assertEqual(result, [])

    def test_deflection_events_and_rate(self):
        deflected_key = str(uuid.uuid4())
        submitted_key = str(uuid.uuid4())
        # form 1: suggestions shown (twice: one event per article), article opened, form left
        result = self._suggest("รหัสผ่าน", deflected_key)
        self._suggest("รหัสผ่าน", deflected_key)
        self.assertIn(f"fk={deflected_key}", result[0]["url"])
        self.url_open(result[0]["url"])
        data = {"form_key": deflected_key, "csrf_token": self.csrf_token("/helpdesk/submit")}
        response = self.url_open("/helpdesk/kb/abandoned", data=data)
        self.assertEqual(response.status_code, 204)
        events = self._events(deflected_key)
        self.assertEqual(sorted(events.mapped("event_type")),
                         ["article_opened", "form_abandoned", "suggestion_shown"])
        self.assertEqual(events.filtered(lambda e: e.event_type == "suggestion_shown").article_id, self.article_thai)
        self.assertEqual(events.filtered(lambda e: e.event_type == "suggestion_shown").query, "รหัสผ่าน")
        # form 2: suggestions shown, nothing opened; a beacon alone records nothing
        self._suggest("Opening", submitted_key, form="portal")
        data = {"form_key": submitted_key, "csrf_token": self.csrf_token("/helpdesk/submit")}
        self.url_open("/helpdesk/kb/abandoned", data=data)
        self.assertEqual(self._events(submitted_key).mapped("event_type"), ["suggestion_shown"])
        # abandonment without CSRF is refused
        other_key = str(uuid.uuid4())
        self._suggest("รหัสผ่าน", other_key)
        self.url_open(f"/helpdesk/kb/{self.article_thai.id}?fk={other_key}&src=public")
        response = self.url_open("/helpdesk/kb/abandoned", data={"form_key": other_key})
        self.assertGreaterEqual(response.status_code, 400)
        self.assertNotIn("form_abandoned", self._events(other_key).mapped("event_type"))

        Report = self.env["helpdesk.kb.deflection.report"]
        self.env.flush_all()
        rows = Report.search([("id", "in", (self._events(deflected_key) | self._events(submitted_key)
                                            | self._events(other_key)).ids)])
        self.assertEqual(len(rows), 3)
        [group] = Report._read_group(
            [("id", "in", rows.ids)], [], ["deflection_rate:avg", "deflected_count:sum", "__count"]
        )
        rate, deflected, count = group
        self.assertEqual((deflected, count), (1, 3))
        self.assertAlmostEqual(rate, 100.0 / 3, places=2)

    def test_invalid_form_key_records_nothing(self):
        before = self.env["helpdesk.kb.event"].search_count([])
        self._suggest("รหัสผ่าน", "short")
        self._suggest("รหัสผ่าน", "x" * 10 + "'; DROP TABLE--")
        self._suggest("รหัสผ่าน", str(uuid.uuid4()), form="bogus")
        self.assertEqual(self.env["helpdesk.kb.event"].search_count([]), before)

    def test_forms_carry_the_suggestion_box(self):
        response = self.url_open("/helpdesk/submit")
        self.assertIn("o_helpdesk_kb_suggestions", response.text)
        self.login(self.user_a)
        response = self.url_open("/my/tickets/new")
        self.assertIn("o_helpdesk_kb_suggestions", response.text)

    def test_deflection_report_is_for_managers(self):
        with self.assertRaises(AccessError):
            self.env["helpdesk.kb.deflection.report"].with_user(self.agent_a).search([])
        with self.assertRaises(AccessError):
            self.env["helpdesk.kb.event"].with_user(self.user_a).search([])
        self.env["helpdesk.kb.deflection.report"].with_user(self.manager).search([])


@tagged("post_install", "-at_install", "is_tour")
class TestKnowledgeBaseTour(KnowledgeBaseCommon):
    def test_suggestion_tour(self):
        self.start_tour("/helpdesk/submit", "helpdesk_kb_suggestion_tour")
        shown = self.env["helpdesk.kb.event"].search([("event_type", "=", "suggestion_shown")])
        self.assertIn(self.article_thai, shown.article_id)
        self.assertEqual(set(shown.mapped("form")), {"public"})
