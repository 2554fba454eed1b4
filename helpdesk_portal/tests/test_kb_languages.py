from odoo.tests import new_test_user, tagged

from .common import HelpdeskPortalCommon

EN_TITLE = "Change the delivery address of an order"
TH_TITLE = "เปลี่ยนที่อยู่จัดส่งของคำสั่งซื้อ"
FA_TITLE = "تغییر نشانی تحویل سفارش"


@tagged("post_install", "-at_install")
class TestKnowledgeBaseLanguages(HelpdeskPortalCommon):
    """A translated article is served, searched and suggested in the visitor's language
    (Thai and Persian), English when the visitor's language has no translation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in ("th_TH", "fa_IR"):
            cls.env["res.lang"]._activate_lang(code)
        Article = cls.env["helpdesk.article"]
        Article.search([("is_published", "=", True)]).write({"is_published": False})
        term = "Open the order and click <b>Edit delivery</b> before it ships."
        cls.article = Article.create({
            "name": EN_TITLE,
            "body": f"<p>{term}</p>",
            "department_id": cls.department_a.id,
            "is_published": True,
        })
        # the title in the form's language switcher, the body in the translation dialog
        cls.article.with_context(lang="th_TH").name = TH_TITLE
        cls.article.with_context(lang="fa_IR").name = FA_TITLE
        cls.article.update_field_translations("body", {
            "th_TH": {term: "เปิดคำสั่งซื้อแล้วกด <b>แก้ไขการจัดส่ง</b> ก่อนสินค้าจะถูกส่งออก"},
            "fa_IR": {term: "پیش از ارسال، سفارش را باز کنید و روی <b>ویرایش تحویل</b> بزنید."},
        })
        cls.portal_th = new_test_user(cls.env, login="hdkb_th", password="hdkb_th_pw1", groups="base.group_portal",
                                      lang="th_TH")
        cls.portal_fa = new_test_user(cls.env, login="hdkb_fa", password="hdkb_fa_pw1", groups="base.group_portal",
                                      lang="fa_IR")

    def _visit_as(self, lang):
        """A visitor browsing in ``lang``: the portal's language cookie (anonymous)."""
        self.opener.cookies.set("frontend_lang", lang)

    def test_article_page_in_each_language(self):
        for lang, title, body in (
            ("th_TH", TH_TITLE, "แก้ไขการจัดส่ง"),
            ("fa_IR", FA_TITLE, "ویرایش تحویل"),
            ("en_US", EN_TITLE, "Edit delivery"),
        ):
            with self.subTest(lang=lang):
                self._visit_as(lang)
                response = self.url_open(f"/helpdesk/kb/{self.article.id}")
                self.assertEqual(response.status_code, 200)
                self.assertIn(title, response.text)
                self.assertIn(body, response.text)
                for other in {TH_TITLE, FA_TITLE, EN_TITLE} - {title}:
                    self.assertNotIn(other, response.text)

    def test_logged_in_customers_get_their_language(self):
        self.authenticate("hdkb_fa", "hdkb_fa_pw1")
        response = self.url_open(f"/helpdesk/kb/{self.article.id}")
        self.assertIn(FA_TITLE, response.text)
        self.authenticate("hdkb_th", "hdkb_th_pw1")
        response = self.url_open("/helpdesk/kb?search=ที่อยู่จัดส่ง")
        self.assertIn(TH_TITLE, response.text)

    def test_search_in_the_visitors_language(self):
        self._visit_as("th_TH")
        response = self.url_open("/helpdesk/kb?search=ที่อยู่จัดส่ง")
        self.assertIn(TH_TITLE, response.text)
        self._visit_as("fa_IR")
        response = self.url_open("/helpdesk/kb?search=نشانی تحویل")
        self.assertIn(FA_TITLE, response.text)
        # the Persian words do not match the Thai text
        self._visit_as("th_TH")
        response = self.url_open("/helpdesk/kb?search=نشانی تحویل")
        self.assertNotIn(TH_TITLE, response.text)

    def test_suggestions_in_the_visitors_language(self):
        for lang, typed, title in (("th_TH", "ที่อยู่จัดส่ง", TH_TITLE), ("fa_IR", "نشانی تحویل", FA_TITLE)):
            with self.subTest(lang=lang):
                self._visit_as(lang)
                result = self.make_jsonrpc_request("/helpdesk/kb/suggest", {"subject": typed})
                self.assertIn(title, str(result))
                self.assertNotIn(EN_TITLE, str(result))

    def test_untranslated_article_in_english(self):
        other = self.env["helpdesk.article"].create({
            "name": "Opening hours in English only", "body": "<p>8 to 6</p>", "is_published": True,
        })
        self._visit_as("fa_IR")
        response = self.url_open(f"/helpdesk/kb/{other.id}")
        self.assertIn("Opening hours in English only", response.text)
