from odoo import Command
from odoo.http import Controller, request, route
from odoo.tests import tagged

from .common import ChatbotVisitorCase

VISITOR_PAGE = """
<t t-call="web.frontend_layout">
    <t t-set="no_footer" t-value="True"/>
    <t t-set="head">
        <script><t t-call="im_livechat.loader"/></script>
    </t>
    <div id="wrap"><h1>Customer support</h1></div>
</t>
"""


@tagged("post_install", "-at_install", "is_tour")
class TestLivechatTours(ChatbotVisitorCase):
    """Headless Chromium tours: the operator's /ticket and the chatbot's step."""

    def test_ticket_command_tour(self):
        self.agent_a.groups_id = [Command.link(self.env.ref("im_livechat.im_livechat_group_user").id)]
        guest = self.env["mail.guest"].create({"name": "Tour Visitor"})
        channel = self.env["discuss.channel"].create({
            "name": "Tour Visitor chat", "channel_type": "livechat", "livechat_channel_id": self.livechat.id,
            "livechat_operator_id": self.agent_a.partner_id.id, "livechat_active": True,
            "anonymous_name": "Tour Visitor",
            "channel_member_ids": [Command.create({"partner_id": self.agent_a.partner_id.id})],
        })
        channel._add_members(guests=guest)
        message = channel.message_post(body="My printer is on fire", message_type="comment",
                                       subtype_xmlid="mail.mt_comment")
        message.write({"author_id": False, "author_guest_id": guest.id})
        self.start_tour(f"/odoo/discuss?active_id=discuss.channel_{channel.id}",
                        "helpdesk_livechat_ticket_command_tour", login=self.agent_a.login)
        ticket = self._tickets(channel)
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.name, "Tour: printer on fire")
        self.assertEqual(ticket.channel, "chat")
        self.assertEqual(ticket.partner_name, "Tour Visitor")
        self.assertIn("My printer is on fire", ticket.description)
        self.assertFalse(channel.message_ids.filtered(lambda m: ticket.number in (m.body or "")),
                         "the visitor is not shown the operator's link")

    def _visitor_page(self):
        """A public page with the channel's live chat button, in Odoo's frontend layout
        (what a site embedding the channel shows; website_livechat adds it to every
        page): the tour runs in it. A test-only route, as Odoo's own HTTP tests do."""
        view = self.env["ir.ui.view"].create({
            "name": "helpdesk_livechat test visitor page", "type": "qweb", "arch": VISITOR_PAGE,
        })
        livechat_id, view_id = self.livechat.id, view.id

        class VisitorPage(Controller):
            @route("/helpdesk_livechat/test_visitor_page", type="http", auth="public", sitemap=False)
            def visitor_page(self, **kwargs):
                channel = request.env["im_livechat.channel"].sudo().browse(livechat_id)
                return request.render(view_id, {"info": channel.get_livechat_info()})

        self.env.registry.clear_cache("routing")
        self.addCleanup(self.env.registry.clear_cache, "routing")
        return "/helpdesk_livechat/test_visitor_page"

    def test_chatbot_ticket_tour(self):
        self.step_describe.step_type = "free_input_single"
        self.start_tour(self._visitor_page(), "helpdesk_livechat_chatbot_ticket_tour")
        ticket = self.env["helpdesk.ticket"].search([("partner_email", "=", "tina@visitor.example")])
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.name, "The coffee machine makes tea")
        self.assertEqual(ticket.channel, "chat")
        self.assertEqual(ticket.department_id, self.department_b)
        self.assertIn("The coffee machine makes tea", ticket.description)
        self.assertIn(ticket.number, ticket.livechat_channel_id.message_ids.sorted("id")[-1].body)
