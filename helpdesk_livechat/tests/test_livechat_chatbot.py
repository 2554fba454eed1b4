import json

from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from .common import ChatbotVisitorCase


@tagged("post_install", "-at_install")
class TestLivechatChatbotTicket(ChatbotVisitorCase):
    """The chatbot step *Create Ticket*, driven through the live chat routes."""

    def test_chatbot_files_ticket(self):
        channel = self._chat_to_ticket("gina@visitor.example", "The coffee machine makes tea")
        ticket = self._tickets(channel)
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.channel, "chat")
        self.assertEqual(ticket.name, "The coffee machine makes tea")
        self.assertEqual(ticket.department_id, self.department_b, "the department chosen on the step")
        self.assertEqual(ticket.partner_email, "gina@visitor.example")
        self.assertTrue(ticket.number.startswith("HD-"))
        for text in ("What is your email address?", "gina@visitor.example", "makes tea"):
            self.assertIn(text, ticket.description, "the transcript is in the ticket")
        self.assertTrue(ticket.date_last_customer_message, "the visitor's message is the ticket's first")
        self.assertFalse(ticket.date_first_response, "the bot is no agent")
        self.assertEqual(channel.chatbot_current_step_id, self.step_ticket)
        # the visitor is told the number, after the step's message
        last = channel.message_ids.sorted("id")[-1]
        self.assertEqual(last.author_id, self.script.operator_partner_id)
        self.assertIn("Thank you, we will answer by email.", last.body)
        self.assertIn(ticket.number, last.body)
        self.assertIn(ticket.number, self._visitor_sees(channel))
        # the visitor writing again reaches the ticket as a customer message
        self._visitor_says(channel, "Any news?")
        self.assertIn(ticket, self.env["helpdesk.ticket"].search([("livechat_channel_id", "=", channel.id)]))

    def test_routing_rules_and_department_of_the_channel(self):
        self.step_ticket.helpdesk_department_id = False
        channel = self._chat_to_ticket("gina@visitor.example", "Printer jam")
        self.assertEqual(self._tickets(channel).department_id, self.department_a, "the channel's department")
        self.env["helpdesk.routing.rule"].create({
            "name": "Chat invoices go to billing", "keywords": "invoice", "channel": "chat",
            "set_department_id": self.department_b.id, "set_priority": "2",
        })
        self._new_visitor()
        channel = self._chat_to_ticket("gina@visitor.example", "Wrong invoice amount")
        ticket = self._tickets(channel)
        self.assertEqual(ticket.department_id, self.department_b)
        self.assertEqual(ticket.priority, "2")

    def test_restarting_the_script_files_no_second_ticket(self):
        channel = self._chat_to_ticket("gina@visitor.example", "The coffee machine makes tea")
        ticket = self._tickets(channel)
        self.make_jsonrpc_request("/chatbot/restart", {"channel_id": channel.id, "chatbot_script_id": self.script.id})
        # the window runs the script again from its first step to the first question
        self.make_jsonrpc_request("/chatbot/step/trigger", {"channel_id": channel.id, "chatbot_script_id": self.script.id})
        self._bot_next(channel)
        self.assertEqual(channel.chatbot_current_step_id, self.step_email)
        self._visitor_says(channel, "gina@visitor.example")
        self._bot_next(channel)
        self._visitor_says(channel, "Still tea")
        self._bot_next(channel)
        self.assertEqual(self._tickets(channel), ticket, "one ticket per conversation")
        self.assertIn(ticket.number, channel.message_ids.sorted("id")[-1].body)

    def test_signed_in_customer_is_the_ticket_customer(self):
        user = self._portal_user(self.customer, "hd_lc_portal_carla")
        self.authenticate(user.login, user.login)
        channel = self._chat_to_ticket("someone.else@visitor.example", "My order is late")
        ticket = self._tickets(channel)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(self.customer.email, "carla@customer-corp.example", "a chat never rewrites a contact")

    def test_invalid_email_files_nothing(self):
        channel = self._start_chat()
        self._visitor_says(channel, "not an email")
        with self.assertRaises(JsonRpcException):
            self._bot_next(channel)
        self.assertFalse(self._tickets(channel))


@tagged("post_install", "-at_install")
class TestLivechatChatbotAttacker(ChatbotVisitorCase):
    """What a visitor cannot get out of the chatbot's tickets."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.victim_user = cls._portal_user(cls.customer, "hd_lc_victim")
        cls.victim_ticket = cls._create_ticket(name="Carla's secret contract renewal", description="<p>IBAN 1234</p>")

    def test_visitor_giving_someone_elses_email_learns_nothing(self):
        channel = self._chat_to_ticket(self.customer.email, "Please send me everything you have on me")
        ticket = self._tickets(channel)
        self.assertEqual(len(ticket), 1)
        seen = self._visitor_sees(channel)
        self.assertIn(ticket.number, seen, "the visitor is told the new ticket's number")
        for secret in (self.victim_ticket.number, self.victim_ticket.name, "IBAN", self.customer.name,
                       ticket.access_token or "no token", ticket.sudo()._portal_ensure_token()):
            self.assertNotIn(secret, seen)
        # the visitor is not made the victim: no membership, no contact change, no access
        self.assertNotIn(self.customer, channel.channel_member_ids.partner_id)
        self.assertEqual(self.customer.email, "carla@customer-corp.example")
        for record in (ticket, self.victim_ticket):
            data = self.make_jsonrpc_request("/mail/thread/data", {
                "thread_model": "helpdesk.ticket", "thread_id": record.id, "request_list": ["followers"],
            })
            self.assertNotIn("IBAN", json.dumps(data))
            self.assertIn('"hasReadAccess": false', json.dumps(data))
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request("/mail/message/post", {
                "thread_model": "helpdesk.ticket", "thread_id": self.victim_ticket.id,
                "post_data": {"body": "hijack", "message_type": "comment"},
            })
        self.assertFalse(self.victim_ticket.message_ids.filtered(lambda m: "hijack" in (m.body or "")))

    def test_guest_cannot_read_another_chat_through_its_ticket(self):
        channel_a = self._chat_to_ticket("gina@visitor.example", "My password is hunter2")
        ticket_a = self._tickets(channel_a)
        self._new_visitor()
        channel_b = self._start_chat()
        self._visitor_says(channel_b, "hello")
        guest_b = channel_b.channel_member_ids.guest_id
        self.assertTrue(guest_b)
        data = self.make_jsonrpc_request("/mail/thread/data", {
            "thread_model": "helpdesk.ticket", "thread_id": ticket_a.id, "request_list": ["followers", "attachments"],
        })
        self.assertNotIn("hunter2", json.dumps(data))
        self.assertIn('"hasReadAccess": false', json.dumps(data))
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request("/discuss/channel/messages", {"channel_id": channel_a.id})
        public = self.env.ref("base.public_user")
        ticket_as_guest = ticket_a.with_user(public).with_context(guest=guest_b)
        self.assertFalse(ticket_as_guest.has_access("read"))
        self.assertFalse(ticket_a.livechat_channel_id.with_user(public).with_context(guest=guest_b).has_access("read"))

    def test_operator_only_notes_never_reach_the_visitor(self):
        channel = self._chat_to_ticket("gina@visitor.example", "Refund please")
        ticket = self._tickets(channel)
        ticket.with_user(self.agent_b).message_post(
            body="Internal: customer is on the fraud list", message_type="comment", subtype_xmlid="mail.mt_note",
        )
        creation_notes = ticket.message_ids.filtered(lambda m: m.subtype_id.internal and m.body)
        self.assertTrue(creation_notes, "the ticket's creation notes exist (routing, chatbot)")
        seen = self._visitor_sees(channel)
        self.assertNotIn("fraud list", seen)
        self.assertNotIn("not verified", seen)
        self.assertNotIn(ticket.user_id.name or "no agent", seen)
        self.assertFalse(channel.message_ids.filtered(lambda m: "fraud" in (m.body or "")))


@tagged("post_install", "-at_install")
class TestLivechatChatbotRateLimit(ChatbotVisitorCase):
    """Any anonymous visitor reaches the *Create Ticket* step: the tickets it files are
    limited per address and per email, in the database, like the portal's public form."""

    def test_limit_per_email_then_per_address(self):
        ICP = self.env["ir.config_parameter"].sudo()
        ICP.set_param("helpdesk_livechat.chatbot_limit_email", "2")
        ICP.set_param("helpdesk_livechat.chatbot_limit_ip", "3")
        for description in ("First problem", "Second problem"):
            self._new_visitor()
            self.assertEqual(len(self._tickets(self._chat_to_ticket("flood@visitor.example", description))), 1)
        # a third chat for the same email (a new guest, same address): no ticket, a clear answer
        self._new_visitor()
        channel = self._chat_to_ticket("FLOOD@visitor.example", "Third problem")
        self.assertFalse(self._tickets(channel))
        self.assertFalse(self.env["helpdesk.ticket"].search([("name", "=", "Third problem")]))
        last = channel.message_ids.sorted("id")[-1]
        self.assertEqual(last.author_id, self.script.operator_partner_id)
        self.assertIn("Too many tickets were requested", last.body)
        self.assertNotIn("HD-", last.body)
        self.assertIn("Too many tickets were requested", self._visitor_sees(channel))
        # another email from the same address: one more, then the address's limit (3)
        self._new_visitor()
        self.assertTrue(self._tickets(self._chat_to_ticket("other@visitor.example", "Fourth problem")))
        self._new_visitor()
        self.assertFalse(self._tickets(self._chat_to_ticket("third@visitor.example", "Fifth problem")))
        # held in the database as keyed hashes, never the raw address or email
        attempts = self.env["helpdesk.livechat.attempt"].sudo().search([])
        self.assertEqual(len(attempts), 6, "3 tickets x (address, email)")
        self.assertFalse(attempts.filtered(lambda a: "visitor.example" in a.key or "127.0.0.1" in a.key))

    def test_address_key_ipv6_by_64(self):
        Attempt = self.env["helpdesk.livechat.attempt"]
        self.assertEqual(Attempt._client_key("2001:db8:1:2:aaaa::1"), Attempt._client_key("2001:db8:1:2:ffff::9"))
        self.assertNotEqual(Attempt._client_key("2001:db8:1:2::1"), Attempt._client_key("2001:db8:1:3::1"))
        self.assertEqual(Attempt._client_key("::ffff:192.0.2.7"), "192.0.2.7")
        self.assertEqual(Attempt._client_key("not an address"), "not an address")
