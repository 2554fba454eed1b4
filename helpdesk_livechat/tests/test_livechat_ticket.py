from markupsafe import Markup

from odoo import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.helpdesk_ticket.tests.common import HelpdeskCommon
from odoo.addons.helpdesk_ticket.tests.lifecycle_common import CustomerMessageChannelCase


class LivechatCommon(HelpdeskCommon):
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


@tagged("post_install", "-at_install")
class TestLivechatTicket(LivechatCommon):

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


@tagged("post_install", "-at_install")
class TestLivechatCustomerMessage(LivechatCommon, CustomerMessageChannelCase):
    """The visitor writing again in the conversation of a ticket reaches the ticket
    through ``_on_customer_message`` like a message of every other channel."""

    def _channel_ticket(self):
        self.channel = self._session(visitor_partner=self.customer)
        self._say(self.channel, "My printer is on fire", partner=self.customer)
        self.channel.with_user(self.agent_a).execute_command_ticket(body="/ticket Burning printer")
        return self._tickets(self.channel)

    def _customer_writes(self, ticket, text):
        return self._say(self.channel, text, partner=self.customer)

    def test_conversation_is_the_first_customer_message(self):
        ticket = self._channel_ticket()
        visitor_message = self.channel.message_ids.filtered(lambda m: "on fire" in (m.body or ""))
        self.assertEqual(ticket.date_last_customer_message, visitor_message.date)

    def test_operator_and_guest_messages(self):
        ticket = self._channel_ticket()
        with self.spy_hook("_on_agent_message") as agent_calls:
            answer = self._say(self.channel, "Unplug it please", partner=self.agent_a.partner_id)
        self.assertEqual([call[1] for call in agent_calls], [answer])
        self.assertEqual(ticket.date_first_response, answer.date)
        # an anonymous visitor (a guest) is the customer too
        guest = self.env["mail.guest"].create({"name": "Visitor"})
        channel = self._session(guest=guest)
        self._say(channel, "Hello", guest=guest)
        channel.with_user(self.agent_a).execute_command_ticket(body="/ticket Guest question")
        guest_ticket = self._tickets(channel)
        with self.spy_hook("_on_customer_message") as calls:
            message = channel.with_user(self.env.ref("base.public_user")).with_context(guest=guest).sudo().message_post(
                body="Still there?", message_type="comment", subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(message.author_guest_id, guest)
        self.assertEqual([(call[0], call[1]) for call in calls], [(guest_ticket, message)])
        self.assertEqual(guest_ticket.date_last_customer_message, message.date)
