import re

from odoo.tests import tagged

from .common import HelpdeskPortalCommon


@tagged("post_install", "-at_install", "is_tour")
class TestPortalTour(HelpdeskPortalCommon):
    """Headless Chromium tours of the customer and the guest journeys."""

    def test_customer_tour(self):
        self.start_tour("/my/tickets", "helpdesk_portal_customer_tour", login=self.user_a.login)
        ticket = self.env["helpdesk.ticket"].search([("name", "=", "Tour: the coffee machine makes tea")])
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.channel, "portal")
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertTrue(ticket.closed)
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id)]
        )
        self.assertEqual(attachment.mapped("name"), ["tour_note.txt"])
        reply = ticket.message_ids.filtered(lambda m: "Here is more information from the tour." in (m.body or ""))
        self.assertEqual(reply.author_id, self.customer)
        self.assertEqual(reply.message_type, "comment")
        self.assertTrue(ticket.date_last_customer_message)
        rating = ticket.rating_ids.filtered("consumed")
        self.assertEqual(rating.rating, 5)
        self.assertEqual(rating.feedback, "Quick and friendly")

    def test_guest_tour(self):
        """Submit, ask the status page for a link, open the mailed link: reply, close, rate."""
        self.start_tour("/helpdesk/submit", "helpdesk_portal_guest_tour")
        ticket = self.env["helpdesk.ticket"].search([("name", "=", "Tour: guest question")])
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.channel, "web")
        self.assertEqual(ticket.partner_id.email, "gary.guest@example.org")
        self.assertFalse(ticket.partner_id.user_ids)
        mail = self.env["mail.mail"].sudo().search(
            [("email_to", "ilike", "gary.guest@example.org"), ("body_html", "ilike", "access_token=hdl1.")]
        )
        self.assertEqual(len(mail), 1, "the status page mailed a link to the ticket's address")
        link = re.search(r'href="[^"]*(/my/tickets/[^"]+)"', mail.body_html).group(1)
        self.start_tour(link, "helpdesk_portal_guest_link_tour")
        reply = ticket.message_ids.filtered(lambda m: "Reply from the mailed link." in (m.body or ""))
        self.assertEqual(reply.author_id, ticket.partner_id)
        self.assertTrue(ticket.closed)
        self.assertEqual(ticket.rating_ids.filtered("consumed").rating, 3)
