from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged

from .common import PhoneCommon


@tagged("post_install", "-at_install")
class TestPhoneHttp(HttpCase, PhoneCommon):
    """The New Call page as the web client opens it for
    /odoo/helpdesk-call?number=...: the server action is loaded, then run with the
    URL's parameters in ``context['params']``."""

    def _run(self, number):
        action = self.env.ref("helpdesk_phone.helpdesk_new_call_action")
        return self.make_jsonrpc_request("/web/action/run", {
            "action_id": action.id,
            "context": {"params": {"action": "helpdesk-call", "number": number}},
        })

    def test_new_call_url_agent(self):
        self.authenticate(self.agent_a.login, self.agent_a.login)
        loaded = self.make_jsonrpc_request("/web/action/load", {"action_id": "helpdesk_phone.helpdesk_new_call_action"})
        self.assertEqual((loaded["type"], loaded["path"]), ("ir.actions.server", "helpdesk-call"))
        result = self._run("tel:081-234-5678")
        self.assertEqual((result["type"], result["res_model"]), ("ir.actions.act_window", "helpdesk.new.call"))
        page = self.env["helpdesk.new.call"].browse(result["res_id"])
        self.assertEqual(page.create_uid, self.agent_a)
        self.assertEqual(page.partner_id, self.customer)

    def test_new_call_url_refused(self):
        employee = new_test_user(self.env, login="hd_phone_http_employee", groups="base.group_user")
        portal = new_test_user(self.env, login="hd_phone_http_portal", groups="base.group_portal")
        pages = self.env["helpdesk.new.call"].search_count([])
        for user in (employee, portal):
            with self.subTest(user=user.login):
                self.authenticate(user.login, user.login)
                with self.assertRaises(JsonRpcException) as caught:
                    self._run("0812345678")
                self.assertIn("AccessError", str(caught.exception))
        self.authenticate(None, None)
        with self.assertRaises(JsonRpcException) as caught:
            self._run("0812345678")
        self.assertIn("SessionExpired", str(caught.exception))
        self.assertEqual(self.env["helpdesk.new.call"].search_count([]), pages, "nothing made for them")

    def test_new_call_tour(self):
        ticket = self._create_ticket()
        self.start_tour(
            "/odoo/helpdesk-call?number=tel:081-234-5678", "helpdesk_phone_new_call_tour", login=self.agent_a.login,
        )
        call = ticket.call_ids
        self.assertEqual(len(call), 1)
        self.assertEqual(call.user_id, self.agent_a)
        self.assertEqual(call.notes, "Tour: the printer is still on fire")
        self.assertEqual(call.phone, "081-234-5678")
