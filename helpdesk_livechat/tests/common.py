import json

from odoo import Command
from odoo.tests import HttpCase

from odoo.addons.helpdesk_ticket.tests.common import HelpdeskCommon


class ChatbotVisitorCase(HttpCase, HelpdeskCommon):
    """A live chat channel with a chatbot that files tickets, and a visitor who talks
    to it through the routes the live chat window calls (a guest, cookies kept by
    ``self.opener``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.script = cls.env["chatbot.script"].create({"title": "Ticket Bot"})
        Step = cls.env["chatbot.script.step"]
        cls.step_hello, cls.step_email, cls.step_describe, cls.step_ticket = Step.create([
            {"chatbot_script_id": cls.script.id, "step_type": "text",
             "message": "Hello, nobody is around but I can file a ticket."},
            {"chatbot_script_id": cls.script.id, "step_type": "question_email",
             "message": "What is your email address?"},
            {"chatbot_script_id": cls.script.id, "step_type": "free_input_multi",
             "message": "Please describe your problem."},
            {"chatbot_script_id": cls.script.id, "step_type": "create_ticket",
             "message": "Thank you, we will answer by email.",
             "helpdesk_department_id": cls.department_b.id},
        ])
        cls.livechat = cls.env["im_livechat.channel"].create({
            "name": "Support chat",
            "helpdesk_department_id": cls.department_a.id,
            "rule_ids": [Command.create({"regex_url": "/", "chatbot_script_id": cls.script.id})],
        })

    def _new_visitor(self):
        """Forget the cookies: the next request is a new visitor."""
        self.opener.cookies.clear()

    def _start_chat(self):
        data = self.make_jsonrpc_request("/im_livechat/get_session", {
            "anonymous_name": "Visitor", "channel_id": self.livechat.id, "chatbot_script_id": self.script.id,
        })
        return self.env["discuss.channel"].browse(data["discuss.channel"][0]["id"])

    def _visitor_says(self, channel, text):
        self.make_jsonrpc_request("/mail/message/post", {
            "thread_model": "discuss.channel", "thread_id": channel.id,
            "post_data": {"body": text, "message_type": "comment", "subtype_xmlid": "mail.mt_comment"},
        })

    def _bot_next(self, channel):
        return self.make_jsonrpc_request("/chatbot/step/trigger", {"channel_id": channel.id})

    def _chat_to_ticket(self, email, description):
        """The visitor's whole conversation with the bot: email, description, ticket."""
        channel = self._start_chat()
        self._visitor_says(channel, email)
        self._bot_next(channel)
        self._visitor_says(channel, description)
        self._bot_next(channel)
        return channel

    def _tickets(self, channel):
        return self.env["helpdesk.ticket"].search([("livechat_channel_id", "=", channel.id)])

    def _visitor_sees(self, channel):
        """Everything the visitor's window loads with the conversation's messages."""
        data = self.make_jsonrpc_request("/discuss/channel/messages", {"channel_id": channel.id, "limit": 100})
        return json.dumps(data, ensure_ascii=False)
