"""The channels of the messaging apps reach every model that filters or reports on the
ticket's channel: SLA policies and the ticket analysis follow the ticket's selection."""
from odoo.tests import TransactionCase, tagged

APPS = {"whatsapp", "telegram", "instagram", "line"}


@tagged("post_install", "-at_install")
class TestGatewayChannels(TransactionCase):

    def _values(self, model):
        return {value for value, _label in self.env[model]._fields["channel"]._description_selection(self.env)}

    def test_apps_in_every_channel_selection(self):
        self.assertLessEqual(APPS, self._values("helpdesk.ticket"))
        self.assertLessEqual(APPS, self._values("helpdesk.routing.rule"))
        for model in ("helpdesk.sla.policy", "helpdesk.ticket.analysis"):
            if model in self.env:
                self.assertEqual(self._values(model), self._values("helpdesk.ticket"), model)

    def test_sla_policy_for_one_app(self):
        if "helpdesk.sla.policy" not in self.env:
            self.skipTest("helpdesk_sla is not installed")
        department = self.env["helpdesk.department"].create({"name": "Chats", "resource_calendar_id": False})
        policy = self.env["helpdesk.sla.policy"].create({
            "name": "LINE answers in an hour", "department_id": department.id, "priority": "0",
            "channel": "line", "first_response_hours": 1,
        })
        Ticket = self.env["helpdesk.ticket"]
        on_line = Ticket.create({"name": "From LINE", "department_id": department.id, "channel": "line"})
        by_mail = Ticket.create({"name": "By mail", "department_id": department.id, "channel": "email"})
        self.assertEqual(on_line.sla_ids.policy_id, policy)
        self.assertFalse(by_mail.sla_ids)
