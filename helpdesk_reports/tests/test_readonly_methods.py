"""Every helpdesk model method marked ``@api.readonly`` writes nothing.

The web client's RPC (``/web/dataset/call_kw`` and ``call_button``) runs a method marked
``@api.readonly`` on a replica when the server has ``db_replica_host``; a write there
fails and Odoo runs the call again on the primary. Here each such method of a helpdesk
addon is called on a read-only cursor (its transaction is ``READ ONLY``, what Odoo gives a
read-only request in tests): it must not raise. Methods are found on the registry's
models, so a method marked later is called too, and the test asks for its sample call."""
import psycopg2.errors
from odoo import api
from odoo.tests import HttpCase, tagged

from .common import ReportsCommon


@tagged("post_install", "-at_install")
class TestReadonlyMethods(HttpCase, ReportsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket = cls._create_ticket(name="Read-only reports ticket")
        cls.env.flush_all()

    def _readonly_methods(self):
        found = []
        for model_name in self.registry:
            cls = type(self.env[model_name])
            for name in dir(cls):
                method = getattr(cls, name, None)
                if callable(method) and getattr(method, "_readonly", False) \
                        and getattr(method, "__module__", "").startswith("odoo.addons.helpdesk_"):
                    found.append((model_name, name))
        return found

    def _calls(self, env):
        """How each read-only method is called by the web client, on ``env``."""
        department = env["helpdesk.department"].browse(self.department_a.id)
        analysis = env["helpdesk.ticket.analysis"].search([("ticket_id", "=", self.ticket.id)], limit=1)
        performance = env["helpdesk.performance"]
        spec = {name: {} for name in ("period", "my_open_count", "dept_open_count", "my_sla_met")}
        return {
            ("helpdesk.department", "action_sla_failed_tickets"): department.action_sla_failed_tickets,
            ("helpdesk.department", "action_sla_at_risk_tickets"): department.action_sla_at_risk_tickets,
            ("helpdesk.department", "action_first_response_tickets"): department.action_first_response_tickets,
            ("helpdesk.department", "action_ratings_30d"): department.action_ratings_30d,
            ("helpdesk.ticket.analysis", "action_open_ticket"): analysis.action_open_ticket,
            ("helpdesk.performance", "onchange"): lambda: performance.onchange({}, [], spec),
            ("helpdesk.performance", "action_open_my_analysis"):
                lambda: performance.new({"user_id": env.uid}).action_open_my_analysis(),
        }

    def test_readonly_methods_write_nothing(self):
        methods = self._readonly_methods()
        self.assertIn(("helpdesk.performance", "onchange"), methods)
        self.assertIn(("helpdesk.department", "action_sla_failed_tickets"), methods)
        for user in (self.manager, self.agent_a):
            with self.registry.cursor(readonly=True) as cr:
                self.assertTrue(cr.readonly)
                env = api.Environment(cr, user.id, {})
                calls = self._calls(env)
                for key in methods:
                    with self.subTest(method=key, user=user.login):
                        self.assertIn(key, calls, f"{key} is @api.readonly: add how the web client calls it")
                        try:
                            calls[key]()
                            env.flush_all()
                        except psycopg2.errors.ReadOnlySqlTransaction as error:
                            self.fail(f"{key} as {user.login} writes: {error}")

    def test_readonly_cursor_is_read_only(self):
        with self.registry.cursor(readonly=True) as cr:
            cr.execute("SHOW transaction_read_only")
            self.assertEqual(cr.fetchone()[0], "on")
