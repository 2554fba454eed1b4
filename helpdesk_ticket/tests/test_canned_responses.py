from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

#: the shipped starter set: topic -> shortcuts in English, Thai and Persian
SHIPPED = {
    "hello": ("hd_hello", "hd_hello_th", "hd_hello_fa"),
    "more_info": ("hd_moreinfo", "hd_moreinfo_th", "hd_moreinfo_fa"),
    "password": ("hd_password", "hd_password_th", "hd_password_fa"),
    "close": ("hd_close", "hd_close_th", "hd_close_fa"),
}
SUFFIXES = ("", "_th", "_fa")


@tagged("post_install", "-at_install")
class TestShippedCannedResponses(HttpCase):
    """The starter canned replies are data (installed without demo), shared with the
    agents, and reach the composer through the data Odoo's ":" shortcut loads."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_test_user(
            cls.env, login="hd_canned_agent", password="hd_canned_agent_pw1",
            groups="helpdesk_ticket.group_helpdesk_agent",
        )
        cls.employee = new_test_user(cls.env, login="hd_canned_employee", password="hd_canned_employee_pw1")

    def _composer_canned_responses(self, login):
        """What the composer loads when the user types ":" (store fetch canned_responses)."""
        self.authenticate(login, f"{login}_pw1")
        result = self.make_jsonrpc_request("/mail/data", {"canned_responses": True})
        return {c["source"]: c["substitution"] for c in result.get("mail.canned.response", [])}

    def test_starter_set_is_data_not_demo(self):
        for topic, shortcuts in SHIPPED.items():
            for shortcut, suffix in zip(shortcuts, SUFFIXES):
                record = self.env.ref(f"helpdesk_ticket.canned_response_{topic}{suffix}")
                self.assertEqual(record.source, shortcut)
                data = self.env["ir.model.data"].search([("model", "=", record._name), ("res_id", "=", record.id)])
                self.assertTrue(data.noupdate, "teams' edits survive upgrades")
                self.assertIn(self.env.ref("helpdesk_ticket.group_helpdesk_agent"), record.group_ids)

    def test_agent_composer_gets_every_language(self):
        responses = self._composer_canned_responses("hd_canned_agent")
        for shortcuts in SHIPPED.values():
            for shortcut in shortcuts:
                self.assertIn(shortcut, responses)
        self.assertIn("Reset Password", responses["hd_password"])
        self.assertIn("รีเซ็ตรหัสผ่าน", responses["hd_password_th"])
        self.assertIn("بازنشانی گذرواژه", responses["hd_password_fa"])

    def test_other_employees_do_not_get_them(self):
        responses = self._composer_canned_responses("hd_canned_employee")
        self.assertFalse(set(responses) & {s for shortcuts in SHIPPED.values() for s in shortcuts})

    def test_inserted_reply_is_posted_on_the_ticket(self):
        """The composer replaces ":hd_close" by the substitution and posts the text with the
        canned response's id (which Odoo stamps as used)."""
        department = self.env["helpdesk.department"].create({"name": "Canned", "member_ids": [(4, self.agent.id)]})
        customer = self.env["res.partner"].create({"name": "Canned Customer", "email": "canned@example.com"})
        ticket = self.env["helpdesk.ticket"].create({
            "name": "Thanks", "department_id": department.id, "partner_id": customer.id,
        })
        responses = self._composer_canned_responses("hd_canned_agent")
        canned = self.env.ref("helpdesk_ticket.canned_response_close")
        self.make_jsonrpc_request("/mail/message/post", {
            "thread_model": "helpdesk.ticket", "thread_id": ticket.id,
            "post_data": {"body": responses["hd_close"], "message_type": "comment", "subtype_xmlid": "mail.mt_comment"},
            "canned_response_ids": [canned.id],
        })
        message = ticket.message_ids.filtered(lambda m: m.message_type == "comment")[:1]
        self.assertIn("closing this ticket", message.body)
        self.assertEqual(message.author_id, self.agent.partner_id)
        canned.invalidate_recordset(["last_used"])
        self.assertTrue(canned.last_used)

    def test_menu_under_configuration(self):
        menu = self.env.ref("helpdesk_ticket.menu_helpdesk_config_canned_responses")
        self.assertEqual(menu.parent_id, self.env.ref("helpdesk_ticket.menu_helpdesk_config"))
        action = self.env.ref("helpdesk_ticket.mail_canned_response_action_helpdesk")
        shipped = self.env["mail.canned.response"].search(safe_eval(action.domain))
        self.assertIn(self.env.ref("helpdesk_ticket.canned_response_hello_fa"), shipped)
