"""The live chat bridge with odd input and as another visitor: 100,000-character
messages, a *Create Ticket* step reached with nothing or markup to file, a guest
aiming at another visitor's conversation, its rating and its ticket."""
import time
import unicodedata

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from .common import ChatbotVisitorCase

LONG = 100000


@tagged("post_install", "-at_install")
class TestLivechatOddInput(ChatbotVisitorCase):

    def test_very_long_chat_texts(self):
        """100,000 characters from the visitor: the ticket is filed within seconds, its
        subject cut to 120 characters, the text kept in its transcript."""
        text = "เครื่องพิมพ์ไม่ทำงาน " * (LONG // 20)
        start = time.monotonic()
        channel = self._chat_to_ticket("gina@visitor.example", text)
        self.assertLess(time.monotonic() - start, 60)
        ticket = self._tickets(channel)
        self.assertEqual(len(ticket), 1)
        self.assertLessEqual(len(ticket.name), 120)
        self.assertTrue(ticket.name.startswith("เครื่องพิมพ์ไม่ทำงาน"))
        self.assertIn("เครื่องพิมพ์ไม่ทำงาน " * 50, ticket.description)
        self.assertIn(ticket.number, channel.message_ids.sorted("id")[-1].body)

    def test_very_long_ticket_command_and_missed_chat(self):
        """An operator's ``/ticket`` with a 100,000-character subject, and a missed chat
        whose only message is 100,000 characters with the address at its end."""
        channel = self._start_chat()
        self._visitor_says(channel, "x" * LONG)
        # the operator's command (as an administrator: the bot is this chat's operator)
        channel.execute_command_ticket(body="/ticket " + "y" * LONG)
        ticket = self._tickets(channel)
        self.assertEqual(ticket.name, "y" * 120)
        self._new_visitor()
        channel = self._start_chat()
        self._visitor_says(channel, "z " * (LONG // 2) + " write to gina@visitor.example")
        start = time.monotonic()
        self.assertEqual(channel._helpdesk_visitor_email(), "gina@visitor.example")
        self.assertLess(time.monotonic() - start, 10)

    def test_create_ticket_step_with_nothing_or_markup_to_file(self):
        """The visitor's description is markup, or the script reaches *Create Ticket*
        with no email and no description: a ticket with a readable subject, markup kept
        as text, never a server error."""
        channel = self._chat_to_ticket("gina@visitor.example", "<script>alert('x')</script><b>bold</b>")
        ticket = self._tickets(channel)
        self.assertEqual(len(ticket), 1)
        self.assertNotIn("<script>", ticket.description)
        self.assertNotIn("<script>", ticket.name)
        # a script that would file the ticket before the visitor typed anything (its
        # welcome steps are posted, not processed: a "thank you" and no ticket)
        for step_types in (["create_ticket"], ["text", "create_ticket"]):
            with self.subTest(step_types=step_types), self.assertRaises(ValidationError), self.cr.savepoint():
                script = self.env["chatbot.script"].create({"title": "Hasty Bot"})
                self.env["chatbot.script.step"].create([
                    {"chatbot_script_id": script.id, "step_type": step_type, "message": "Hi."}
                    for step_type in step_types
                ])
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.step_hello.sequence = 100
            self.step_email.sequence = 101
            self.step_describe.sequence = 102
            self.step_ticket.sequence = 0
        # a description that is nothing once read as text, and no email step
        script = self.env["chatbot.script"].create({"title": "Short Bot"})
        self.env["chatbot.script.step"].create([
            {"chatbot_script_id": script.id, "step_type": "free_input_single", "message": "Describe it."},
            {"chatbot_script_id": script.id, "step_type": "create_ticket", "message": "Filed."},
        ])
        self.livechat.rule_ids.chatbot_script_id = script
        self.script = script
        for answer in ("<p><br></p>", "   .   ", "‮​"):
            with self.subTest(answer=answer):
                self._new_visitor()
                channel = self._start_chat()
                self._visitor_says(channel, answer)
                self._bot_next(channel)
                ticket = self._tickets(channel)
                self.assertEqual(len(ticket), 1)
                self.assertTrue(
                    any(unicodedata.category(char)[0] not in "CZ" for char in ticket.name),
                    "a readable subject even with nothing to read",
                )
                self.assertFalse(ticket.partner_email, "no address was typed")
                self.assertIn(ticket.number, channel.message_ids.sorted("id")[-1].body)
                # triggering the step again gives the same ticket
                self._bot_next(channel)
                self.assertEqual(self._tickets(channel), ticket)

    def test_guest_aiming_at_another_visitors_conversation(self):
        """Guest B sends guest A's conversation id to the chatbot, feedback and history
        routes: nothing is filed, rated or read there."""
        channel_a = self._start_chat()
        self._visitor_says(channel_a, "gina@visitor.example")
        self._bot_next(channel_a)
        self._visitor_says(channel_a, "My secret problem")
        step_a = channel_a.chatbot_current_step_id
        self._new_visitor()
        channel_b = self._start_chat()
        for route, params in [
            ("/chatbot/step/trigger", {"channel_id": channel_a.id}),
            ("/chatbot/step/trigger", {"channel_id": channel_a.id, "chatbot_script_id": self.script.id}),
            ("/chatbot/restart", {"channel_id": channel_a.id, "chatbot_script_id": self.script.id}),
            ("/chatbot/step/validate_email", {"channel_id": channel_a.id}),
            ("/im_livechat/feedback", {"channel_id": channel_a.id, "rate": 1, "reason": "planted"}),
        ]:
            with self.subTest(route=route):
                self.assertFalse(self.make_jsonrpc_request(route, params))
        self.assertFalse(self._tickets(channel_a), "nothing filed in A's conversation")
        self.assertEqual(channel_a.chatbot_current_step_id, step_a)
        self.assertFalse(channel_a.rating_ids)
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request("/discuss/channel/messages", {"channel_id": channel_a.id})
        # B's own conversation still works
        self._visitor_says(channel_b, "gina.b@visitor.example")
        self._bot_next(channel_b)
        self._visitor_says(channel_b, "My own problem")
        self._bot_next(channel_b)
        self.assertEqual(self._tickets(channel_b).name, "My own problem")

    def test_chat_rating_of_another_conversation_or_ticket(self):
        """A chat's rating follows up only the ticket of that chat: a visitor rating
        their chat cannot reach another chat's ticket, and the rating link of a ticket
        with a wrong token shows nothing."""
        channel_a = self._chat_to_ticket("gina@visitor.example", "Printer A")
        ticket_a = self._tickets(channel_a)
        self._new_visitor()
        channel_b = self._chat_to_ticket("bob@visitor.example", "Printer B")
        ticket_b = self._tickets(channel_b)
        rating_id = self.make_jsonrpc_request("/im_livechat/feedback", {
            "channel_id": channel_b.id, "rate": 1, "reason": "slow",
        })
        rating = self.env["rating.rating"].browse(rating_id)
        self.assertEqual(rating.helpdesk_ticket_id, ticket_b)
        self.assertFalse(ticket_a.livechat_rating_ids)
        follow_up = self.env.ref("helpdesk_ticket.tag_needs_follow_up")
        self.assertIn(follow_up, ticket_b.tag_ids)
        self.assertNotIn(follow_up, ticket_a.tag_ids)
        # the rating links of a ticket: a wrong token or another record's shows nothing
        ticket_a.action_close()
        token_a = ticket_a._rating_get_access_token()
        # (Odoo's rating routes answer a NUL in the token, /rate/%00/5, with a 500 of their own)
        for token in ("0" * 32, token_a[:-1] + ("0" if token_a[-1] != "0" else "1"), rating.access_token + "x",
                      "' OR 1=1 --", "๓" * 32):
            with self.subTest(token=token):
                response = self.url_open(f"/rate/{token}/5", allow_redirects=False)
                self.assertIn(response.status_code, (404, 400))
                response = self.url_open(f"/rate/{token}/submit_feedback", allow_redirects=False)
                self.assertIn(response.status_code, (404, 400))
        self.assertFalse(ticket_a.rating_ids.filtered("consumed"))
