from odoo.tests.common import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestSlaUi(HttpCase):
    def _wait_for(self, url, selector):
        code = """
            const selector = %r;
            const limit = Date.now() + 30000;
            const check = () => {
                if (document.querySelector(selector)) {
                    console.log("test successful");
                } else if (Date.now() > limit) {
                    console.error("not found: " + selector);
                } else {
                    setTimeout(check, 200);
                }
            };
            check();
        """ % selector
        self.browser_js(url, code, login="admin")

    def test_timers_on_kanban_list_and_form(self):
        department = self.env["helpdesk.department"].create({"name": "SLA UI", "resource_calendar_id": False})
        self.env["helpdesk.sla.policy"].create({
            "name": "UI policy", "department_id": department.id, "priority": "0",
            "first_response_hours": 2, "resolution_hours": 100,
        })
        ticket = self.env["helpdesk.ticket"].create({"name": "Clock on the card", "department_id": department.id})
        self.assertEqual(ticket.sla_status, "on_track")
        action = "/odoo/action-helpdesk_ticket.helpdesk_ticket_action"
        self._wait_for(action, ".o_kanban_record .fa-clock-o")
        self._wait_for("/odoo/action-helpdesk_ticket.helpdesk_ticket_action_all", "td[name=sla_status] .badge")
        self._wait_for(f"{action}/{ticket.id}", ".o_field_widget[name=sla_ids] .o_data_row td[name=remaining_hours]")
        self._wait_for("/odoo/action-helpdesk_sla.helpdesk_sla_policy_action", ".o_data_row")
