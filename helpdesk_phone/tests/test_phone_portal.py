from odoo.tests import HttpCase, tagged

from .common import PhoneCommon


@tagged("post_install", "-at_install")
class TestPhonePortal(HttpCase, PhoneCommon):
    """What the customer sees on the portal of a ticket opened by phone: how it reached
    the helpdesk, the calls the agent chose to send, never the internal call notes."""

    def _log(self, user, **values):
        return self.env["helpdesk.phone.call"].with_user(user).create(values)

    def test_portal_phone_ticket_channel_and_call_notes(self):
        if "helpdesk.portal.attempt" not in self.env:
            self.skipTest("helpdesk_portal is not installed")
        portal = self._portal_user(self.customer, "hd_phone_portal_carla")
        ticket = self._create_ticket(name="Printer on fire", channel="phone")
        self._log(self.agent_a, ticket_id=ticket.id, direction="in", notes="Customer sounded angry, VIP discount 40%")
        self._log(self.agent_a, ticket_id=ticket.id, direction="out", share_with_customer=True,
                  notes="We will replace the fuser tomorrow")
        self.authenticate(portal.login, portal.login)
        page = self.url_open(f"/my/tickets/{ticket.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Received by:", page.text)
        self.assertIn("Phone", page.text)
        self.assertNotIn("VIP discount", page.text)
        data = self.make_jsonrpc_request("/mail/chatter_fetch", {
            "thread_model": "helpdesk.ticket", "thread_id": ticket.id, "limit": 50,
        })
        bodies = " ".join(message.get("body") or "" for message in data["data"]["mail.message"])
        self.assertNotIn("VIP discount", bodies, "an internal call note never reaches the customer")
        self.assertIn("replace the fuser", bodies, "the call the agent sent to the customer is in the conversation")
        # a ticket an agent opened in the backend: no channel the customer would recognise
        internal = self._create_ticket(name="Follow-up", channel="internal")
        self.assertNotIn("Received by:", self.url_open(f"/my/tickets/{internal.id}").text)
        chat = self._create_ticket(name="From the chat", channel="chat")
        self.assertIn("Live Chat", self.url_open(f"/my/tickets/{chat.id}").text)
