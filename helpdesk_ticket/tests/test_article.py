from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.helpdesk_ticket.models.helpdesk_article import HelpdeskArticle

from .common import HelpdeskCommon


@tagged("post_install", "-at_install")
class TestArticle(HelpdeskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.department_hidden = cls.env["helpdesk.department"].create({
            "name": "Back Office", "portal_published": False,
        })
        cls._create_kb_articles(cls.department_hidden)
        cls.article_english = cls.env["helpdesk.article"].create({
            "name": "How to reset your password",
            "body": "<p>Click on <b>Forgot password</b> on the login page.</p>",
            "department_id": cls.department_a.id,
            "is_published": True,
        })

    def _suggest(self, text, limit=3):
        Article = self.env["helpdesk.article"]
        return Article._search_matching(text, Article._portal_domain(), limit=limit)

    # ------------------------------------------------------------------
    # Search
    # ------------------------------------------------------------------
    def test_search_thai_partial_input(self):
        # Thai has no spaces: a piece of a word must find the article
        self.assertEqual(self._suggest("รหัสผ่าน"), self.article_thai)
        self.assertEqual(self._suggest("รีเซ็ตรหั"), self.article_thai)
        # words of the body count too
        self.assertEqual(self._suggest("กดลืม"), self.article_thai)

    def test_search_persian_partial_input(self):
        self.assertEqual(self._suggest("رمز عبو"), self.article_persian)
        self.assertEqual(self._suggest("بازنشان"), self.article_persian)

    def test_search_without_trigram_falls_back_to_substrings(self):
        with patch.object(HelpdeskArticle, "_trigram_available", return_value=False):
            self.assertEqual(self._suggest("รหัสผ่าน"), self.article_thai)
            self.assertEqual(self._suggest("رمز عبو"), self.article_persian)
            self.assertEqual(self._suggest("password"), self.article_english)
            # not a substring anywhere: nothing without trigrams
            self.assertFalse(self._suggest("ลืมรหัสผ่านเข้าระบบ"))

    def test_search_trigram_similarity(self):
        if not self.env["helpdesk.article"]._trigram_available():
            self.skipTest("pg_trgm is not installed in this database")
        # "forgot password" in Thai is not a substring of the title, trigrams find it
        self.assertIn(self.article_thai, self._suggest("ลืมรหัสผ่าน"))
        # a typo
        self.assertEqual(self._suggest("pasword")[:1], self.article_english)

    def test_search_only_portal_visible_articles_and_limit(self):
        found = self._suggest("รีเซ็ตรหัส", limit=10)
        self.assertIn(self.article_thai, found)
        self.assertNotIn(self.article_draft, found, "unpublished articles are never suggested")
        self.assertNotIn(self.article_hidden_department, found, "articles of unpublished departments are never suggested")
        self.env["helpdesk.article"].create([
            {"name": f"Password tip {i}", "is_published": True, "department_id": self.department_a.id}
            for i in range(5)
        ])
        self.assertEqual(len(self._suggest("password")), 3)
        self.assertFalse(self._suggest("   "))

    def test_search_ignores_markup(self):
        # "strong" and "href" only appear in the HTML markup of the body, never in its text
        self.env["helpdesk.article"].create({
            "name": "Markup", "is_published": True, "department_id": self.department_a.id,
            "body": '<p><strong>Bold</strong> <a href="https://example.com">link</a></p>',
        })
        self.assertFalse(self._suggest("strong"))
        self.assertFalse(self._suggest("href"))
        self.assertEqual(self._suggest("Bold link").name, "Markup")

    def test_search_query_count_independent_of_articles(self):
        Article = self.env["helpdesk.article"]
        domain = Article._portal_domain(self.env.company)
        Article._search_matching("password", domain)
        with self.assertQueryCount(2):
            Article._search_matching("password", domain)
        Article.create([
            {"name": f"Password article {i}", "is_published": True, "department_id": self.department_a.id}
            for i in range(30)
        ])
        Article._search_matching("password", domain)
        with self.assertQueryCount(2):
            found = Article._search_matching("password", domain)
        self.assertEqual(len(found), 3)

    def test_search_escapes_wildcards(self):
        self.assertFalse(self._suggest("%"))
        self.assertFalse(self._suggest("_"))

    # ------------------------------------------------------------------
    # Votes and views
    # ------------------------------------------------------------------
    def test_one_vote_per_visitor(self):
        article = self.article_english
        article._register_vote("session-1", True)
        article._register_vote("session-1", True)
        self.assertEqual((article.helpful_count, article.not_helpful_count), (1, 0))
        article._register_vote("session-2", False, partner=self.customer)
        self.assertEqual((article.helpful_count, article.not_helpful_count), (1, 1))
        self.assertEqual(article.helpful_rate, 50.0)
        # changing one's mind moves the vote, it does not add one
        article._register_vote("session-1", False)
        self.assertEqual((article.helpful_count, article.not_helpful_count), (0, 2))
        self.assertEqual(len(article.vote_ids), 2)

    def test_views_counted(self):
        self.article_english._increment_views()
        self.article_english._increment_views()
        self.assertEqual(self.article_english.view_count, 2)

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------
    def test_portal_user_reads_published_articles_only(self):
        portal = self._portal_user(self.customer, "hd_article_portal")
        Article = self.env["helpdesk.article"].with_user(portal)
        visible = Article.search([("id", "in", (
            self.article_thai | self.article_draft | self.article_hidden_department).ids)])
        self.assertEqual(visible, self.article_thai)
        with self.assertRaises(AccessError):
            self.article_thai.with_user(portal).write({"name": "Hacked"})
        with self.assertRaises(AccessError):
            self.article_draft.with_user(portal).read(["body"])

    def test_agent_manages_articles_votes_are_read_only(self):
        article = self.env["helpdesk.article"].with_user(self.agent_a).create({
            "name": "Printer troubleshooting", "tag_ids": [Command.set([])],
        })
        self.assertEqual(article.author_id, self.agent_a)
        self.assertFalse(article.is_published)
        with self.assertRaises(AccessError):
            article.unlink()
        with self.assertRaises(AccessError):
            self.env["helpdesk.article.vote"].with_user(self.agent_a).search([])

    # ------------------------------------------------------------------
    # Insert into a reply
    # ------------------------------------------------------------------
    def _insert_wizard(self, user, ticket, article, mode="content"):
        return self.env["helpdesk.article.insert"].with_user(user).create({
            "ticket_id": ticket.id, "article_id": article.id, "mode": mode,
        })

    def test_insert_article_content_in_reply(self):
        ticket = self._create_ticket()
        wizard = self._insert_wizard(self.agent_a, ticket, self.article_english)
        self.assertIn("Forgot password", wizard.preview)
        wizard.action_send()
        message = ticket.message_ids.filtered(lambda m: m.message_type == "comment")[:1]
        self.assertIn("Forgot password", message.body)
        self.assertEqual(message.author_id, self.agent_a.partner_id)
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"), "a reply, not a note")
        self.assertIn(self.customer, message.notified_partner_ids | message.partner_ids | ticket.message_partner_ids)
        self.assertTrue(ticket.date_first_response, "inserting an article is the agent's first response")

    def test_insert_article_in_composer(self):
        ticket = self._create_ticket()
        action = self._insert_wizard(self.agent_a, ticket, self.article_persian).action_edit_in_composer()
        self.assertEqual(action["res_model"], "mail.compose.message")
        composer = self.env["mail.compose.message"].with_user(self.agent_a).with_context(action["context"]).create({})
        self.assertIn("رمز عبور", composer.body)
        composer._action_send_mail()
        self.assertIn("رمز عبور", ticket.message_ids[0].body)

    def test_insert_link_requires_a_public_page(self):
        ticket = self._create_ticket()
        wizard = self._insert_wizard(self.agent_a, ticket, self.article_draft, mode="link")
        self.assertFalse(wizard.can_link)
        with self.assertRaises(UserError):
            wizard.action_send()

    def test_insert_article_other_department_denied(self):
        ticket = self._create_ticket()  # department A, members only
        wizard = self._insert_wizard(self.agent_b, ticket, self.article_english)
        with self.assertRaises(AccessError):
            wizard.action_send()
        self.assertFalse(ticket.message_ids.filtered(lambda m: "Forgot password" in (m.body or "")))

    def test_article_company_follows_department(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        department = self.env["helpdesk.department"].create({"name": "Other", "company_id": other_company.id})
        article = self.env["helpdesk.article"].create({"name": "x", "department_id": department.id})
        self.assertEqual(article.company_id, other_company)
        user = new_test_user(self.env, login="hd_article_mc", groups="helpdesk_ticket.group_helpdesk_agent")
        self.assertFalse(self.env["helpdesk.article"].with_user(user).search([("id", "=", article.id)]))
