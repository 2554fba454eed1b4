import shutil

from odoo.tests import new_test_user, tagged

from odoo.addons.helpdesk_ticket.tests.common import activate_languages

from .common import HelpdeskPortalCommon


@tagged("post_install", "-at_install", "is_tour")
class TestPortalLanguageTour(HelpdeskPortalCommon):
    """Headless Chromium tours of the portal of a Persian customer (right to left, mirrored)
    and of a Thai customer (left to right), each in their own language. The translations
    come from the addons' i18n/fa.po and th.po; the right-to-left stylesheet is made by
    rtlcss (npm), which .ci/run and `make run` install."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_languages(cls.env, ["helpdesk_ticket", "helpdesk_portal"])
        cls.customers = {}
        for code, name, email, subject, reply in (
            (
                "fa_IR", "مریم آزمون", "maryam.test@example.ir",
                "فراموشی رمز عبور پس از تغییر گوشی",
                "سلام، حساب شما باز شد. از پیوند «فراموشی رمز عبور» استفاده کنید.",
            ),
            (
                "th_TH", "ณัฐธยา ทดสอบ", "nattaya.test@example.co.th",
                "ลืมรหัสผ่านหลังเปลี่ยนโทรศัพท์",
                "สวัสดีครับ เราส่งลิงก์รีเซ็ตรหัสผ่านใหม่ไปที่อีเมลของคุณแล้วครับ",
            ),
        ):
            partner = cls.env["res.partner"].create({"name": name, "email": email, "lang": code})
            user = new_test_user(
                cls.env, login=email, password=email, groups="base.group_portal",
                partner_id=partner.id, lang=code,
            )
            ticket = cls._create_ticket(
                name=subject, partner_id=partner.id, channel="portal", user_id=cls.agent_a.id,
                description=f"<p>{subject}</p>",
            )
            ticket.with_user(cls.agent_a).message_post(
                body=reply, message_type="comment", subtype_xmlid="mail.mt_comment",
            )
            cls.customers[code] = (user, ticket)

    def setUp(self):
        super().setUp()
        if not shutil.which("rtlcss"):
            self.fail(
                "rtlcss is not installed: Odoo cannot build the right-to-left stylesheet. "
                "Install it with `npm install -g rtlcss` (.ci/run and `make run` do it)."
            )

    def test_translations_are_loaded(self):
        # what the tours read: the addon's own terms, in the customers' languages
        ticket = self.customers["fa_IR"][1]
        self.assertEqual(ticket.with_context(lang="fa_IR").stage_id.name, "جدید")
        self.assertEqual(ticket.with_context(lang="th_TH").stage_id.name, "ใหม่")

    def test_persian_customer_portal_is_right_to_left(self):
        user, ticket = self.customers["fa_IR"]
        self.start_tour("/my/tickets", "helpdesk_portal_persian_tour", login=user.login)
        self.assertEqual(user.lang, "fa_IR")
        self.assertFalse(ticket.closed, "the tour only reads")

    def test_thai_customer_portal_is_in_thai(self):
        user, ticket = self.customers["th_TH"]
        self.start_tour("/my/tickets", "helpdesk_portal_thai_tour", login=user.login)
        self.assertEqual(user.lang, "th_TH")
        self.assertFalse(ticket.closed, "the tour only reads")

    def test_other_pages_keep_their_markup(self):
        """Only helpdesk pages get a dir attribute; Odoo's own portal home is rendered as before."""
        user = self.customers["fa_IR"][0]
        self.authenticate(user.login, user.login)
        home = self.url_open("/my/home")
        self.assertEqual(home.status_code, 200)
        self.assertNotIn(' dir="', home.text.split("<head", 1)[0])
        tickets = self.url_open("/my/tickets")
        self.assertIn(' dir="rtl"', tickets.text.split("<head", 1)[0])
