from markupsafe import Markup

from odoo import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.helpdesk_ticket.tests.common import HelpdeskCommon


@tagged("post_install", "-at_install")
class TestLivechatTicket(HelpdeskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.livechat = cls.env["im_livechat.channel"].create({
            "name": "Support chat",
            "user_ids": [Command.set([cls.agent_a.id])],
            "helpdesk_department_id": cls.department_a.id,
        })
        cls.department_a.assignment_method = "round_robin"

    def _session(self, visitor_partner=None, guest=None):
        members = [Command.create({"partner_id": self.agent_a.partner_id.id})]
        if visitor_partner:
            members.append(Command.create({"partner_id": visitor_partner.id}))
        channel = self.env["discuss.channel"].create({
            "name": "Visitor chat",
            "channel_type": "livechat",
            "livechat_channel_id": self.livechat.id,
            "livechat_operator_id": self.agent_a.partner_id.id,
            "anonymous_name": "Visitor #42",
            "channel_member_ids": members,
        })
        if guest:
            channel._add_members(guests=guest)
        return channel

    def _say(self, channel, body, partner=None, guest=None):
        values = {"body": Markup(body), "message_type": "comment", "subtype_xmlid": "mail.mt_comment"}
        if guest:
            message = channel.sudo().message_post(**values)
            message.write({"author_id": False, "author_guest_id": guest.id})
            return message
        return channel.sudo().message_post(author_id=partner.id, **values)

    def _tickets(self, channel):
        return self.env["helpdesk.ticket"].search([("livechat_channel_id", "=", channel.id)])

    def test_ticket_command_creates_ticket_with_transcript(self):
        channel = self._session(visitor_partner=self.customer)
        self._say(channel, "Hello, my printer is on fire", partner=self.customer)
        self._say(channel, "Did you try turning it off?", partner=self.agent_a.partner_id)
        self._say(channel, "Yes, still smoking", partner=self.customer)
        channel.with_user(self.agent_a).execute_command_ticket(body="/ticket Burning printer")
        ticket = self._tickets(channel)
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.name, "Burning printer")
        self.assertEqual(ticket.channel, "chat")
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.department_id, self.department_a)
        self.assertTrue(ticket.number.startswith("HD-"))
        self.assertIn(ticket.user_id, self.department_a.member_ids, "assigned by the department's method")
        for line in ("my printer is on fire", "Did you try turning it off?", "still smoking"):
            self.assertIn(line, ticket.description)
        self.assertIn(self.customer, ticket.message_partner_ids)
        self.assertEqual(ticket.create_uid, self.agent_a)
        # the operator gets a link; the visitor sees no message in the conversation
        self.assertFalse(channel.message_ids.filtered(lambda m: ticket.number in (m.body or "")))

    def test_routing_rules_apply(self):
        self.env["helpdesk.routing.rule"].create({
            "name": "Chat invoices go to billing", "keywords": "invoice", "channel": "chat",
            "set_department_id": self.department_b.id, "set_priority": "2",
        })
        self.department_b.assignment_method = "round_robin"
        channel = self._session(visitor_partner=self.customer)
        self._say(channel, "I have a question", partner=self.customer)
        channel.with_user(self.agent_a).execute_command_ticket(body="/ticket Wrong invoice amount")
        ticket = self._tickets(channel).sudo()
        self.assertEqual(ticket.department_id, self.department_b)
        self.assertEqual(ticket.priority, "2")
        self.assertEqual(ticket.user_id, self.agent_b)

    def test_anonymous_visitor_subject_from_first_message(self):
        guest = self.env["mail.guest"].create({"name": "Gina Guest"})
        channel = self._session(guest=guest)
        self._say(channel, "<p>Where is my parcel?</p>", guest=guest)
        channel.with_user(self.agent_a).execute_command_ticket(body="/ticket")
        ticket = self._tickets(channel)
        self.assertEqual(ticket.name, "Where is my parcel?")
        self.assertFalse(ticket.partner_id)
        self.assertEqual(ticket.partner_name, "Gina Guest")
        self.assertIn("Where is my parcel?", ticket.description)

    def test_not_in_a_livechat_or_not_an_agent(self):
        group = self.env["discuss.channel"].create({"name": "team", "channel_type": "channel"})
        group.with_user(self.agent_a).execute_command_ticket(body="/ticket nope")
        self.assertFalse(self.env["helpdesk.ticket"].search([("name", "=", "nope")]))
        operator = new_test_user(self.env, login="hd_lc_operator", groups="base.group_user,im_livechat.im_livechat_group_user")
        channel = self._session(visitor_partner=self.customer)
        channel.channel_member_ids = [Command.create({"partner_id": operator.partner_id.id})]
        channel.with_user(operator).execute_command_ticket(body="/ticket not allowed")
        self.assertFalse(self._tickets(channel), "an operator without helpdesk rights creates nothing")
