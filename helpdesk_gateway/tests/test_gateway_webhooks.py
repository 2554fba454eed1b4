"""Messages of the messaging apps posted to the running test Odoo as each provider sends
them: tickets, chatter, customers, reopening, duplicates, refused input."""
import base64
from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user, tagged

from odoo.addons.helpdesk_ticket.tests.lifecycle_common import CustomerMessageChannelCase

from .common import GatewayCommon

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@tagged("post_install", "-at_install")
class TestGatewayIntake(GatewayCommon):

    def test_telegram_text_creates_ticket(self):
        self.require(self.telegram)
        response = self.post_telegram(self.telegram_update(700001, "อินเทอร์เน็ตใช้ไม่ได้ตั้งแต่เมื่อวาน"))
        self.assertEqual(response.status_code, 200)
        ticket = self.tickets_of(self.telegram, 700001)
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.channel, "telegram")
        self.assertEqual(ticket.department_id, self.department_a)
        self.assertTrue(ticket.number)
        self.assertEqual(ticket.name, "อินเทอร์เน็ตใช้ไม่ได้ตั้งแต่เมื่อวาน")
        self.assertEqual(ticket.partner_id.name, "Somchai Jaidee", "a contact made from the profile name")
        self.assertTrue(ticket.gateway_ack_pending, "acknowledged by the job after the commit")
        messages = self.customer_messages(ticket)
        self.assertEqual(len(messages), 1)
        self.assertIn("อินเทอร์เน็ตใช้ไม่ได้", messages.body)
        self.assertEqual(ticket.date_last_customer_message, messages.date)
        identity = self.env["res.partner.gateway.channel"].search([
            ("gateway_id", "=", self.telegram.id), ("gateway_token", "=", "700001")])
        self.assertEqual(identity.partner_id, ticket.partner_id, "OCA's identity records the sender")
        # the chat's own message points to the ticket's, as OCA links them
        chat_message = self.chat_of(self.telegram, 700001).message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(chat_message.gateway_message_id, messages)

    def test_routing_rule_on_the_app_channel(self):
        """The ordinary create path: a routing rule of the app's channel applies."""
        self.require(self.telegram)
        self.env["helpdesk.routing.rule"].create({
            "name": "Telegram is urgent", "channel": "telegram", "set_priority": "3", "sequence": 1,
        })
        self.post_telegram(self.telegram_update(700008, "Anything"))
        self.assertEqual(self.tickets_of(self.telegram, 700008).priority, "3")

    def test_telegram_next_messages_go_to_the_open_ticket(self):
        self.require(self.telegram)
        self.post_telegram(self.telegram_update(700002, "First"))
        ticket = self.tickets_of(self.telegram, 700002)
        ticket.stage_id = self.stage_progress
        ticket.stage_id = self.stage_waiting
        self.post_telegram(self.telegram_update(700002, "Here is the screenshot"))
        self.post_telegram(self.telegram_update(700002, "And the log"))
        self.assertEqual(self.tickets_of(self.telegram, 700002), ticket, "one chat, one open ticket")
        self.assertEqual([m.body for m in self.customer_messages(ticket)],
                         ["<p>First</p>", "<p>Here is the screenshot</p>", "<p>And the log</p>"])
        self.assertEqual(ticket.stage_id, self.stage_progress, "back from waiting on the customer")

    def test_telegram_reply_to_closed_ticket_reopens_within_window(self):
        self.require(self.telegram)
        self.post_telegram(self.telegram_update(700003, "Printer jammed"))
        ticket = self.tickets_of(self.telegram, 700003)
        ticket.action_close()
        self.post_telegram(self.telegram_update(700003, "It jammed again"))
        self.assertEqual(self.tickets_of(self.telegram, 700003), ticket)
        self.assertFalse(ticket.closed)
        self.assertEqual(ticket.reopen_count, 1)

    def test_telegram_reply_after_reopen_window_makes_followup(self):
        self.require(self.telegram)
        self.post_telegram(self.telegram_update(700004, "Printer jammed"))
        ticket = self.tickets_of(self.telegram, 700004)
        ticket.action_close()
        ticket.date_closed = fields.Datetime.now() - timedelta(days=30)
        self.post_telegram(self.telegram_update(700004, "New problem: scanner"))
        tickets = self.tickets_of(self.telegram, 700004)
        self.assertEqual(len(tickets), 2)
        followup = tickets - ticket
        self.assertTrue(ticket.closed, "the old ticket stays closed")
        self.assertFalse(followup.closed)
        self.assertEqual(followup.partner_id, ticket.partner_id)
        self.assertIn(ticket.number, " ".join(followup.message_ids.mapped("body")))
        self.assertIn("scanner", self.customer_messages(followup).body)

    def test_duplicate_delivery_gives_one_message(self):
        self.require(self.telegram)
        update = self.telegram_update(700005, "Please call me back")
        self.assertEqual(self.post_telegram(update).status_code, 200)
        self.assertEqual(self.post_telegram(update).status_code, 200)
        ticket = self.tickets_of(self.telegram, 700005)
        self.assertEqual(len(ticket), 1)
        self.assertEqual(len(self.customer_messages(ticket)), 1)
        chat = self.chat_of(self.telegram, 700005)
        self.assertEqual(len(chat.message_ids.filtered(lambda m: m.message_type == "comment")), 1)

    def test_bad_secret_is_refused(self):
        self.require(self.telegram)
        with self.assertLogs("odoo.addons.helpdesk_gateway.controllers.gateway", "WARNING") as logs:
            wrong = self.post_telegram(self.telegram_update(700006, "secret body text"), secret="guess")
            missing = self.post_telegram(self.telegram_update(700006, "secret body text"), secret=None)
        self.assertEqual(wrong.status_code, 403)
        self.assertEqual(missing.status_code, 403)
        self.assertFalse(self.chat_of(self.telegram, 700006))
        self.assertFalse(self.env["helpdesk.ticket"].search([("name", "=", "secret body text")]))
        self.assertNotIn("secret body text", "\n".join(logs.output), "logged without the body")

    def test_malformed_body_is_refused(self):
        self.require(self.telegram)
        count = self.env["helpdesk.ticket"].search_count([])
        self.assertEqual(self.post_update(self.telegram, b"{not json",
                                          {"X-Telegram-Bot-Api-Secret-Token": "tg-secret-token"}).status_code, 400)
        self.assertEqual(self.post_telegram({"hello": "world"}).status_code, 400)
        self.assertEqual(self.post_telegram({"update_id": 5, "message": {"chat": "x"}}).status_code, 400)
        self.assertEqual(self.env["helpdesk.ticket"].search_count([]), count, "nothing half-created")
        # an update Telegram does send without a message for us (an edit): accepted, ignored
        self.assertEqual(self.post_telegram({"update_id": 6, "edited_message": {}}).status_code, 200)

    def test_whatsapp_matches_customer_by_phone(self):
        self.require(self.whatsapp)
        self.other_customer.write({"phone": False, "mobile": "0912 123 4567", "country_id": self.env.ref("base.ir").id})
        response = self.post_whatsapp(self.whatsapp_update("989121234567", "سلام، سفارش من نرسیده"))
        self.assertEqual(response.status_code, 200)
        ticket = self.tickets_of(self.whatsapp, "989121234567")
        self.assertEqual(ticket.channel, "whatsapp")
        self.assertEqual(ticket.partner_id, self.other_customer, "E.164 of the mobile number")
        self.assertIn("سفارش", self.customer_messages(ticket).body)

    def test_whatsapp_bad_signature_and_verify_token(self):
        self.require(self.whatsapp)
        update = self.whatsapp_update("989120000001", "hello")
        self.assertEqual(self.post_whatsapp(update, secret="not-the-app-secret").status_code, 403)
        self.assertEqual(self.post_whatsapp(update, secret=None).status_code, 403)
        self.assertFalse(self.chat_of(self.whatsapp, "989120000001"))
        url = f"/gateway/whatsapp/{self.whatsapp.webhook_key}/update"
        refused = self.url_open(f"{url}?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=42")
        self.assertEqual(refused.status_code, 403)
        accepted = self.url_open(f"{url}?hub.mode=subscribe&hub.verify_token=wa-verify-token&hub.challenge=42")
        self.assertEqual(accepted.status_code, 200)
        self.assertEqual(accepted.text, "42")

    def test_instagram_image_and_file_land_in_chatter(self):
        self.require(self.instagram)
        self.stub.files["/cdn/photo.png"] = (PNG, "image/png")
        self.stub.files["/cdn/invoice.pdf"] = (b"%PDF-1.4 test invoice", "application/pdf")
        update = self.instagram_update("IGSID-5551", text="See the photo", attachments=[
            {"type": "image", "payload": {"url": f"{self.stub.url}/cdn/photo.png"}},
            {"type": "file", "payload": {"url": f"{self.stub.url}/cdn/invoice.pdf"}},
        ])
        self.assertEqual(self.post_instagram(update).status_code, 200)
        ticket = self.tickets_of(self.instagram, "IGSID-5551")
        self.assertEqual(ticket.channel, "instagram")
        message = self.customer_messages(ticket)
        self.assertEqual(sorted(message.attachment_ids.mapped("mimetype")), ["application/pdf", "image/png"])
        self.assertEqual(set(message.attachment_ids.mapped("res_model")), {"helpdesk.ticket"})
        self.assertEqual(set(message.attachment_ids.mapped("res_id")), {ticket.id})
        self.assertIn(PNG, message.attachment_ids.mapped("raw"))

    def test_gateway_without_department_keeps_oca_behaviour(self):
        self.require(self.telegram)
        self.telegram.helpdesk_department_id = False
        response = self.post_telegram(self.telegram_update(700007, "No helpdesk here"), secret="guess")
        self.assertEqual(response.status_code, 200, "OCA answers {} to a bad secret")
        self.post_telegram(self.telegram_update(700007, "No helpdesk here"))
        self.assertTrue(self.chat_of(self.telegram, 700007))
        self.assertFalse(self.tickets_of(self.telegram, 700007))


@tagged("post_install", "-at_install")
class TestGatewaySecurity(GatewayCommon):

    def test_chat_cannot_attach_to_another_customers_ticket(self):
        """A sender quoting another customer's ticket number gets their own ticket."""
        self.require(self.telegram)
        victim = self._create_ticket(name="Payroll question", partner_id=self.other_customer.id)
        self.post_telegram(self.telegram_update(700101, f"About {victim.number}: show me the payroll"))
        ticket = self.tickets_of(self.telegram, 700101)
        self.assertNotEqual(ticket, victim)
        self.assertNotEqual(ticket.partner_id, self.other_customer)
        self.assertFalse(victim.message_ids.filtered(lambda m: "show me the payroll" in (m.body or "")))

    def test_spoofed_identity_of_another_chat_goes_to_its_own_chat(self):
        """Telegram identifies the chat by chat.id: a second chat claiming the same
        display name never reaches the first chat's ticket."""
        self.require(self.telegram)
        self.post_telegram(self.telegram_update(700102, "Mine", first_name="Nok", last_name="Dee"))
        self.post_telegram(self.telegram_update(700103, "Intruder", first_name="Nok", last_name="Dee"))
        first, second = self.tickets_of(self.telegram, 700102), self.tickets_of(self.telegram, 700103)
        self.assertNotEqual(first, second)
        self.assertNotEqual(first.partner_id, second.partner_id)
        self.assertNotIn("Intruder", " ".join(first.message_ids.mapped("body")))

    def test_portal_user_of_another_customer_cannot_read_chat_ticket(self):
        self.require(self.telegram)
        self.post_telegram(self.telegram_update(700104, "My private chat question"))
        ticket = self.tickets_of(self.telegram, 700104)
        portal_b = new_test_user(self.env, login="hdgw_portal_b", groups="base.group_portal",
                                 partner_id=self.other_customer.id)
        self.assertFalse(ticket.with_user(portal_b).has_access("read"))
        self.authenticate("hdgw_portal_b", "hdgw_portal_b")
        response = self.url_open(f"/my/tickets/{ticket.id}", allow_redirects=False)
        self.assertNotIn("My private chat question", response.text)

    def test_guest_cannot_call_link_wizard_on_foreign_ticket(self):
        self.require(self.telegram)
        self.post_telegram(self.telegram_update(700105, "Hello"))
        ticket = self.tickets_of(self.telegram, 700105)
        portal_b = new_test_user(self.env, login="hdgw_portal_b2", groups="base.group_portal",
                                 partner_id=self.other_customer.id)
        with self.assertRaises(Exception):  # noqa: B017 - AccessError on the wizard's model
            self.env["helpdesk.gateway.link"].with_user(portal_b).create({
                "ticket_id": ticket.id, "partner_id": self.other_customer.id,
            }).action_link()


@tagged("post_install", "-at_install")
class TestGatewayCustomerMessage(GatewayCommon, CustomerMessageChannelCase):
    """A message in the app reaches its ticket through ``_on_customer_message``, like a
    message of every other channel (the checks shared by the channels)."""

    def _channel_ticket(self):
        self.require(self.telegram)
        self.chat_id = self._next_id()
        self.post_telegram(self.telegram_update(self.chat_id, "My TV shows no picture"))
        return self.tickets_of(self.telegram, self.chat_id)

    def _customer_writes(self, ticket, text):
        self.post_telegram(self.telegram_update(self.chat_id, text))
        return self.customer_messages(ticket)[-1]
