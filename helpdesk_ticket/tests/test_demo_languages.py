from odoo.tests import TransactionCase, tagged

DEMO = "helpdesk_ticket.%s"


@tagged("post_install", "-at_install")
class TestThaiPersianDemo(TransactionCase):
    """The demo speaks Thai and Persian (demo/helpdesk_thai_persian_demo.xml): the languages are
    installed, agents and portal customers use them, and the demo routing rules' Thai and
    Persian keywords match the Thai and Persian tickets."""

    def setUp(self):
        super().setUp()
        if not self.env.ref(DEMO % "ticket_thai_password", raise_if_not_found=False):
            self.skipTest("no demo data")

    def test_languages_and_people(self):
        active = self.env["res.lang"].search([]).mapped("code")
        self.assertIn("th_TH", active)
        self.assertIn("fa_IR", active)
        for xmlid, lang, group in (
            ("user_agent_thai", "th_TH", "helpdesk_ticket.group_helpdesk_agent"),
            ("user_agent_persian", "fa_IR", "helpdesk_ticket.group_helpdesk_agent"),
            ("user_portal_thai", "th_TH", "base.group_portal"),
            ("user_portal_persian", "fa_IR", "base.group_portal"),
        ):
            user = self.env.ref(DEMO % xmlid)
            self.assertEqual(user.lang, lang)
            self.assertTrue(user.has_group(group), xmlid)
        # Odoo's own terms are loaded too, not only the helpdesk's
        menu = self.env.ref("base.menu_administration")
        self.assertNotEqual(menu.with_context(lang="fa_IR").name, menu.with_context(lang="en_US").name)
        self.assertNotEqual(menu.with_context(lang="th_TH").name, menu.with_context(lang="en_US").name)

    def test_tickets_have_conversations_in_their_language(self):
        for prefix, customer in (("ticket_thai_", "partner_thai_customer"), ("ticket_persian_", "partner_persian_customer")):
            tickets = self.env["helpdesk.ticket"].search(
                [("partner_id", "=", self.env.ref(DEMO % customer).id)]
            )
            self.assertGreaterEqual(len(tickets), 4, prefix)
            replied = tickets.filtered("date_first_response")
            self.assertTrue(replied, f"{prefix}: agents answered some of them")

    def test_demo_routing_keywords_match_the_tickets(self):
        Rule = self.env["helpdesk.routing.rule"].with_context(active_test=False)
        rules = Rule.search([("id", "in", [
            self.env.ref(DEMO % "routing_rule_password_thai_persian").id,
            self.env.ref(DEMO % "routing_rule_billing").id,
        ])], order="sequence, id")
        for xmlid in ("ticket_thai_password", "ticket_thai_invoice", "ticket_persian_password",
                      "ticket_persian_invoice", "ticket_persian_renewal"):
            ticket = self.env.ref(DEMO % xmlid)
            data = Rule._prepare_match_data(
                ticket.name, ticket.description, ticket.partner_id.email, ticket.channel, False,
            )
            matching = rules.filtered(lambda rule: rule._matches(data))
            self.assertEqual(len(matching), 1, xmlid)
            self.assertEqual(matching.set_department_id, ticket.department_id, xmlid)

    def test_knowledge_base_search_in_thai_and_persian(self):
        Article = self.env["helpdesk.article"]
        for words in ("ใบแจ้งหนี้", "รหัสผ่าน", "صورتحساب", "اکسل"):
            self.assertTrue(
                Article.search([("is_published", "=", True), ("name", "ilike", words)]), words,
            )
