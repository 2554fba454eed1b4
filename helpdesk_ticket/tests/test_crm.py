from odoo.tests import tagged
from odoo.tests.common import new_test_user

from .common import HelpdeskCommon


@tagged("post_install", "-at_install")
class TestCrmLinks(HelpdeskCommon):

    def test_partner_ticket_counter_includes_contacts(self):
        self._create_ticket()
        self._create_ticket(partner_id=self.customer_colleague.id)
        self._create_ticket(partner_id=self.other_customer.id)
        self.assertEqual(self.customer_company.helpdesk_ticket_count, 2)
        self.assertEqual(self.customer.helpdesk_ticket_count, 1)
        self.assertEqual(self.other_customer.helpdesk_ticket_count, 1)
        action = self.customer_company.action_open_helpdesk_tickets()
        self.assertEqual(self.env["helpdesk.ticket"].search_count(action["domain"]), 2)

    def test_customer_history_on_ticket(self):
        first = self._create_ticket(name="First")
        second = self._create_ticket(name="Second", partner_id=self.customer_colleague.id)
        self._create_ticket(name="Elsewhere", partner_id=self.other_customer.id)
        lead = self.env["crm.lead"].create({
            "name": "Upsell", "type": "opportunity", "partner_id": self.customer_colleague.id,
        })
        self.env["crm.lead"].create({"name": "Won deal", "type": "opportunity", "partner_id": self.customer.id,
                                     "probability": 100})
        self.assertEqual(first.partner_ticket_ids, second)
        self.assertEqual(first.partner_ticket_count, 1)
        self.assertEqual(first.partner_opportunity_ids, lead)

    def test_create_opportunity_links_both_ways(self):
        salesman_agent = new_test_user(
            self.env, login="hd_sales_agent",
            groups="helpdesk_ticket.group_helpdesk_agent,sales_team.group_sale_salesman",
        )
        self.department_a.member_ids += salesman_agent
        ticket = self._create_ticket(name="Interested in the premium plan", description="<p>Pricing?</p>")
        action = ticket.with_user(salesman_agent).action_create_opportunity()
        lead = self.env["crm.lead"].browse(action["res_id"])
        self.assertEqual(ticket.lead_id, lead)
        self.assertEqual(lead.partner_id, self.customer)
        self.assertEqual(lead.name, "Interested in the premium plan")
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.helpdesk_ticket_ids, ticket)
        self.assertEqual(lead.helpdesk_ticket_count, 1)
        tickets_action = lead.action_open_helpdesk_tickets()
        self.assertEqual(self.env["helpdesk.ticket"].search(tickets_action["domain"]), ticket)
        self.assertTrue(any(ticket.number in (m.body or "") for m in lead.message_ids))
