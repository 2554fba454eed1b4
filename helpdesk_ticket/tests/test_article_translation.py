from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import HelpdeskCommon

EN_TERM = "Click <b>Forgot credentials</b> on the login page."
TH_TITLE = "วิธีรีเซ็ตรหัสผ่านของท่าน"
TH_TERM = "คลิก <b>ลืมรหัสผ่าน</b> ที่หน้าเข้าสู่ระบบ"
FA_TITLE = "چگونه گذرواژهٔ خود را بازنشانی کنید"
FA_TERM = "در صفحهٔ ورود روی <b>فراموشی گذرواژه</b> بزنید."


def translate_article(article, lang, title, translated_terms):
    """As an agent does in the form: the title in the language switcher, the body's
    paragraphs in the translation dialog."""
    article.with_context(lang=lang).name = title
    article.update_field_translations("body", {lang: translated_terms})


@tagged("post_install", "-at_install")
class TestArticleTranslation(HelpdeskCommon):
    """Title and body translated per language; the search reads the visitor's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in ("th_TH", "fa_IR"):
            cls.env["res.lang"]._activate_lang(code)
        cls.article = cls.env["helpdesk.article"].create({
            "name": "Reset your lost credentials",
            "body": f"<p>{EN_TERM}</p>",
            "department_id": cls.department_a.id,
            "is_published": True,
        })
        translate_article(cls.article, "th_TH", TH_TITLE, {EN_TERM: TH_TERM})
        translate_article(cls.article, "fa_IR", FA_TITLE, {EN_TERM: FA_TERM})

    def _suggest(self, text, lang):
        Article = self.env["helpdesk.article"].with_context(lang=lang)
        return Article._search_matching(text, Article._portal_domain() + [("id", "=", self.article.id)])

    def test_fields_are_translatable(self):
        for name in ("name", "body", "body_text"):
            self.assertTrue(self.env["helpdesk.article"]._fields[name].translate, name)

    def test_editing_the_english_body_keeps_the_translations(self):
        self.article.body = f"<p>{EN_TERM}</p><p>Then check your mailbox.</p>"
        self.assertIn("ลืมรหัสผ่าน", self.article.with_context(lang="th_TH").body)
        self.assertIn("Then check your mailbox.", self.article.with_context(lang="th_TH").body, "new paragraph untranslated yet")
        self.assertIn("mailbox", self.article.with_context(lang="fa_IR").body_text)
        self.assertIn("فراموشی گذرواژه", self.article.with_context(lang="fa_IR").body_text)

    def test_each_language_keeps_its_text(self):
        self.assertEqual(self.article.with_context(lang="en_US").name, "Reset your lost credentials")
        self.assertEqual(self.article.with_context(lang="th_TH").name, TH_TITLE)
        self.assertIn("ลืมรหัสผ่าน", self.article.with_context(lang="th_TH").body)
        self.assertEqual(self.article.with_context(lang="fa_IR").name, FA_TITLE)
        self.assertIn("ลืมรหัสผ่าน", self.article.with_context(lang="th_TH").body_text)
        self.assertIn("فراموشی گذرواژه", self.article.with_context(lang="fa_IR").body_text)
        self.assertIn("Forgot credentials", self.article.with_context(lang="en_US").body_text)

    def test_search_in_the_visitors_language(self):
        # Thai visitor: Thai title and body words
        self.assertEqual(self._suggest("รีเซ็ตรหัส", "th_TH"), self.article)
        self.assertEqual(self._suggest("ลืมรหัสผ่าน", "th_TH"), self.article)
        # Persian visitor
        self.assertEqual(self._suggest("بازنشانی", "fa_IR"), self.article)
        self.assertEqual(self._suggest("فراموشی", "fa_IR"), self.article)
        # each language is searched in its own text only
        self.assertFalse(self._suggest("فراموشی", "th_TH"))
        self.assertFalse(self._suggest("ลืมรหัสผ่าน", "en_US"))
        self.assertEqual(self._suggest("credentials", "en_US"), self.article)

    def test_untranslated_language_falls_back_to_english(self):
        other = self.env["helpdesk.article"].create({
            "name": "Invoices in another currency", "body": "<p>Ask the billing team.</p>", "is_published": True,
        })
        Article = self.env["helpdesk.article"].with_context(lang="th_TH")
        self.assertEqual(Article._search_matching("currency", [("id", "=", other.id)]), other)
        self.assertEqual(other.with_context(lang="fa_IR").name, "Invoices in another currency")


@tagged("post_install", "-at_install")
class TestArticleFromTicket(HelpdeskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tag = cls.env["helpdesk.tag"].create({"name": "VPN"})
        cls.ticket = cls.env["helpdesk.ticket"].create({
            "name": "VPN does not connect after the update",
            "description": "<p>Since this morning the VPN fails.</p>",
            "department_id": cls.department_a.id,
            "partner_id": cls.customer.id,
            "tag_ids": [Command.set(cls.tag.ids)],
        })
        ticket_a = cls.ticket.with_user(cls.agent_a)
        cls.first_reply = ticket_a.message_post(
            body="<p>Could you send a screenshot?</p>", message_type="comment", subtype_xmlid="mail.mt_comment",
        )
        cls.customer_reply = cls.ticket.message_post(
            body="<p>Here it is.</p>", message_type="comment", subtype_xmlid="mail.mt_comment",
            author_id=cls.customer.id,
        )
        cls.answer = ticket_a.message_post(
            body="<p>Reinstall the VPN client 4.2, then restart.</p>",
            message_type="comment", subtype_xmlid="mail.mt_comment",
        )
        ticket_a.message_post(body="<p>internal: fixed for them</p>", subtype_xmlid="mail.mt_note")

    def _wizard(self, user, **values):
        return Form(self.env["helpdesk.article.from.ticket"].with_user(user).with_context(
            default_ticket_id=self.ticket.id,
        ))

    def test_draft_article_from_the_last_reply(self):
        form = self._wizard(self.agent_a)
        self.assertEqual(form.message_id, self.answer, "the last public reply of an agent")
        wizard = form.save()
        action = wizard.action_create_article()
        article = self.env["helpdesk.article"].browse(action["res_id"])
        self.assertEqual(article.name, "VPN does not connect after the update")
        self.assertIn("Reinstall the VPN client 4.2", article.body)
        self.assertEqual(article.department_id, self.department_a)
        self.assertEqual(article.tag_ids, self.tag)
        self.assertFalse(article.is_published, "a draft until published")
        self.assertFalse(article._is_portal_visible())
        self.assertEqual(article.author_id, self.agent_a)
        self.assertIn(article.display_name, self.ticket.message_ids[0].body)

    def test_selected_reply(self):
        form = self._wizard(self.agent_a)
        form.message_id = self.first_reply
        form.name = "Sending a screenshot"
        article = self.env["helpdesk.article"].browse(form.save().action_create_article()["res_id"])
        self.assertIn("send a screenshot", article.body)
        self.assertEqual(article.name, "Sending a screenshot")

    def test_message_of_another_ticket_is_refused(self):
        other = self.env["helpdesk.ticket"].create({"name": "Other", "department_id": self.department_b.id})
        foreign = other.message_post(body="<p>secret of B</p>", message_type="comment", subtype_xmlid="mail.mt_note")
        wizard = self.env["helpdesk.article.from.ticket"].with_user(self.agent_a).create({
            "ticket_id": self.ticket.id, "message_id": foreign.id,
        })
        with self.assertRaises(UserError):
            wizard.action_create_article()

    def test_wizard_copies_no_text_the_user_may_not_read(self):
        """Attacker: an agent gives the wizard, by id, a message of a ticket of another
        department (or any message of the database) and reads the wizard back: the body
        must not be that message's text; a ticket they may not read gives them nothing;
        another agent's wizard (a reply's text) is not theirs to read."""
        other = self.env["helpdesk.ticket"].create({"name": "Salary review", "department_id": self.department_b.id})
        foreign = other.message_post(body="<p>secret of B</p>", message_type="comment", subtype_xmlid="mail.mt_note")
        wizard = self.env["helpdesk.article.from.ticket"].with_user(self.agent_a).create({
            "ticket_id": self.ticket.id, "message_id": foreign.id,
        })
        self.assertNotIn("secret of B", wizard.body or "")
        self.assertIn("the VPN fails", wizard.body)
        with self.assertRaises(AccessError):
            wizard = self.env["helpdesk.article.from.ticket"].with_user(self.agent_b).create({
                "ticket_id": self.ticket.id,
            })
            wizard.read(["name", "body"])
        mine = self.env["helpdesk.article.from.ticket"].with_user(self.agent_a).create({"ticket_id": self.ticket.id})
        self.env.flush_all()
        colleague = self.env["helpdesk.article.from.ticket"].with_user(self.agent_a2)
        self.assertFalse(colleague.search([("id", "=", mine.id)]))
        with self.assertRaises(AccessError):
            colleague.browse(mine.id).read(["body"])

    def test_agent_of_another_department_cannot_use_the_ticket(self):
        with self.assertRaises(AccessError):
            wizard = self.env["helpdesk.article.from.ticket"].with_user(self.agent_b).create({
                "ticket_id": self.ticket.id,
            })
            wizard.action_create_article()

    def test_portal_user_has_no_access(self):
        portal = new_test_user(self.env, login="hd_kb_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.env["helpdesk.article.from.ticket"].with_user(portal).create({"ticket_id": self.ticket.id})
