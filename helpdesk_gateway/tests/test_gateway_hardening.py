"""Attacker tests of the bridge: correctly signed webhook bodies of odd shapes (never a
server error, nothing half-created, the body never logged), the link wizard with a contact
the agent may not read or another agent's wizard, and the WhatsApp phone match across
companies."""
import base64
import hashlib
import hmac
import json
import time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import GatewayCommon

CONTROLLER_LOGGER = "odoo.addons.helpdesk_gateway.controllers.gateway"
MARKER = "BODY-MARKER-do-not-log"
LINE_USER = "U4af4980629" + "7" * 22
LINE_SECRET = "line-odd-secret"


@tagged("post_install", "-at_install")
class TestGatewayOddInput(GatewayCommon):
    """Every connector, bodies correctly signed but not what the app sends."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line = cls.create_line_gateway("Odd LINE OA", "line-hd-odd", LINE_SECRET, token="line-odd-access-token")

    def signed_post(self, gateway, body):
        """``body`` (JSON-able, or raw bytes) posted with the app's valid signature."""
        # OCA caches the gateways of each app registry-wide (``_get_gateway_map``); after a
        # request of another app of this test the cached map may lack this test's gateway
        self.env.registry.clear_cache()
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        secret = gateway.webhook_secret.encode()
        if gateway.gateway_type == "telegram":
            headers = {"X-Telegram-Bot-Api-Secret-Token": gateway.webhook_secret}
        elif gateway.gateway_type == "line":
            headers = {"X-Line-Signature": base64.b64encode(hmac.new(secret, raw, hashlib.sha256).digest()).decode()}
        else:
            headers = {"X-Hub-Signature-256": "sha256=" + hmac.new(secret, raw, hashlib.sha256).hexdigest()}
        return self.post_update(gateway, raw, headers)

    def state(self):
        """What an update could leave behind."""
        return (
            self.env["helpdesk.ticket"].with_context(active_test=False).search_count([]),
            self.env["discuss.channel"].search_count([("channel_type", "=", "gateway")]),
            self.env["helpdesk.gateway.receipt"].search_count([]),
            self.env["res.partner"].with_context(active_test=False).search_count([]),
            self.env["mail.message"].search_count([]),
        )

    def assert_refused(self, gateway, bodies, logger=CONTROLLER_LOGGER):
        """Each body answers 400, nothing is created, the body is not logged."""
        before = self.state()
        with self.assertLogs(logger, "WARNING") as logs:
            for body in bodies:
                with self.subTest(body=body if isinstance(body, bytes) else json.dumps(body)[:200]):
                    response = self.signed_post(gateway, body)
                    self.assertEqual(response.status_code, 400)
        self.assertEqual(self.state(), before, "nothing half-created")
        self.assertGreaterEqual(len(logs.output), len(bodies), "each refusal is logged")
        self.assertNotIn(MARKER, "\n".join(logs.output), "logged without the body")

    def meta_odd_bodies(self, gateway_type):
        message = {"from": "989121110000", "id": f"wamid.{MARKER}", "type": "text", "text": {"body": MARKER}}
        change = {"field": "messages", "value": {"messaging_product": "whatsapp", "messages": [message]}}
        bodies = [
            # the reviewer's repro, and other lists of non-objects
            {"entry": [1]}, {"entry": ["x"]}, {"entry": [None]}, {"entry": [[]]}, {"entry": [True, {}]},
            # wrong types and missing keys
            [1], [{"entry": []}], "entry", 42, None, {"entry": "x"}, {"entry": {}}, {"entry": None}, {},
            {"entry": [{"changes": [1]}]}, {"entry": [{"changes": "x"}]}, {"entry": [{"changes": {"a": 1}}]},
            {"entry": [{"changes": [{"field": "messages"}]}]},
            {"entry": [{"changes": [{"field": "messages", "value": MARKER}]}]},
            {"entry": [{"changes": [{"field": "messages", "value": {"messages": [1]}}]}]},
            {"entry": [{"changes": [{"field": "messages", "value": {"messages": MARKER}}]}]},
            {"entry": [{"changes": [{"field": "messages", "value": {"messages": [{**message, "id": {"a": 1}}]}}]}]},
            {"entry": [{"changes": [{"field": "messages", "value": {"messages": [{**message, "from": None}]}}]}]},
            {"entry": [{"changes": [{"field": "messages", "value": {"statuses": [1]}}]}]},
            {"entry": [{"changes": [{"field": "messages", "value": {"contacts": "x", "messages": [message]}}]}]},
            {"entry": [{"messaging": [1]}]}, {"entry": [{"messaging": "x"}]},
            {"entry": [{"messaging": [{"message": MARKER}]}]},
            {"entry": [{"messaging": [{"message": {"mid": ["a"], "text": MARKER}}]}]},
            {"entry": [{"messaging": [{"sender": MARKER, "message": {"mid": "m.1", "text": MARKER}}]}]},
            # huge arrays
            {"entry": [1] * 100000},
            {"entry": [{"changes": []}] * 1001},
            {"entry": [{"changes": [{"field": "messages", "value": {"messages": [message] * 1001}}]}]},
            # JSON nested deeper than Python parses
            b"[" * 100000 + b"]" * 100000,
        ]
        if gateway_type == "whatsapp":
            bodies += [
                {"entry": [{"id": "1"}]},  # a WhatsApp entry always has its changes
                # the connector reads a text's body, a contact's profile name: odd ones are refused
                {"entry": [{"changes": [{"field": "messages", "value": {"messages": [{**message, "text": MARKER}]}}]}]},
                {"entry": [{"changes": [{**change, "value": {**change["value"], "contacts": [
                    {"wa_id": message["from"], "profile": MARKER}]}}]}]},
            ]
        return bodies

    def test_whatsapp_odd_signed_bodies(self):
        self.require(self.whatsapp)
        self.assert_refused(self.whatsapp, self.meta_odd_bodies("whatsapp"))

    def test_instagram_odd_signed_bodies(self):
        self.require(self.instagram)
        self.assert_refused(self.instagram, self.meta_odd_bodies("instagram"))

    def test_line_odd_signed_bodies(self):
        self.require(self.line)
        event = {"type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
                 "webhookEventId": "01H810YECXQQZ37VAXPF6H9E6T", "source": {"type": "user", "userId": LINE_USER},
                 "replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA",
                 "message": {"type": "text", "id": "468789577898262530", "text": MARKER}}
        bodies = [
            # the reviewer's repros
            {"events": ["x"]}, {"events": [{"type": "postback", "message": "x"}]},
            # lists of non-objects, missing keys, wrong types
            {"events": [1]}, {"events": [None]}, {"events": [[]]}, {"events": "x"}, {"events": None}, {"events": {}},
            {}, [], [{"events": []}], "events", 7,
            {"events": [{}]}, {"events": [{"type": 5}]}, {"events": [{"type": None}]},
            {"events": [{"type": "postback", "webhookEventId": {"a": 1}}]},
            {"events": [{"type": "postback", "source": MARKER}]},
            {"events": [{"type": "follow"}]}, {"events": [{"type": "message"}]},
            {"events": [{**event, "message": {**event["message"], "text": [MARKER]}}]},
            {"events": [{**event, "message": {**event["message"], "id": None}}]},
            {"events": [{**event, "source": {"type": "user", "userId": {"id": MARKER}}}]},
            {"events": [{**event, "timestamp": "yesterday"}]},
            {"events": [{**event, "message": MARKER}]},
            # an event LINE does not send
            {"events": [{**event, "type": "telepathy"}]},
            # huge arrays
            {"events": [1] * 100000},
            {"events": [{"type": "postback"}] * 1001},
            b"{\"events\": " + b"[" * 100000 + b"]" * 100000 + b"}",
        ]
        # mail_gateway_line's controller checks LINE's own shape first, then the bridge's
        self.assert_refused(self.line, bodies, logger="odoo.addons")

    def test_telegram_odd_signed_bodies(self):
        self.require(self.telegram)
        valid = self.telegram_update(700901, MARKER)
        bodies = [
            [1], ["x"], "update", 3, None, {}, {"update_id": "5"}, {"update_id": True, "message": valid["message"]},
            {"update_id": 5.5}, b'{"update_id": 1e400}',
            {"update_id": 5, "message": MARKER}, {"update_id": 5, "message": [1]},
            {"update_id": 5, "message": {"chat": []}},
            {"update_id": 5, "message": {**valid["message"], "chat": MARKER}},
            {"update_id": 5, "message": {**valid["message"], "from": [MARKER]}},
            {"update_id": 5, "message": {**valid["message"], "date": MARKER}},
            {"update_id": [1] * 100000},
            b"[" * 100000 + b"]" * 100000,
        ]
        self.assert_refused(self.telegram, bodies)
        # fields of the message of the wrong type: the Bot API library reads them as they
        # come; never a server error
        for odd in ({"chat": {"id": MARKER, "type": "private"}}, {"photo": MARKER}, {"document": 5},
                    {"text": {"a": 1}}, {"message_id": None}, {"sticker": [1]}, {"from": {"id": [1]}}):
            with self.subTest(odd=odd):
                update = self.telegram_update(self._next_id(), "odd")
                update["message"].update(odd)
                self.assertIn(self.signed_post(self.telegram, update).status_code, (200, 400))

    def test_every_field_of_every_app_replaced_by_odd_values(self):
        """Each value of each app's documented payload (nested objects and lists
        included) replaced in turn by a value of another JSON type: never a server
        error, and a refused update leaves nothing behind."""
        odd_values = (1, "x", None, [], {}, [1], True)
        line_event = {"type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
                      "webhookEventId": "01H810YECXQQZ37VAXPF6H9E7A", "source": {"type": "user", "userId": LINE_USER},
                      "message": {"type": "text", "id": "468789577898262531", "text": "hello"}}
        samples = [
            (self.telegram, lambda: self.telegram_update(self._next_id(), "hello")),
            (self.whatsapp, lambda: self.whatsapp_update(str(989120000000 + self._next_id() % 1000000), "hello")),
            (self.instagram, lambda: self.instagram_update(f"IGSID-FZ-{self._next_id()}", text="hello")),
            (self.line, lambda: {"destination": "U" + "1" * 32, "events": [
                {**line_event, "webhookEventId": f"01H810YECXQQZ37VAXPF{self._next_id()}"}]}),
        ]

        def paths(value, prefix=()):
            yield prefix
            items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
            for key, child in items:
                yield from paths(child, (*prefix, key))

        def replaced(payload, path, new):
            if not path:
                return new
            payload = json.loads(json.dumps(payload))
            target = payload
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = new
            return payload

        for gateway, sample in samples:
            if not gateway:
                continue
            for path in list(paths(sample())):
                for new in odd_values:
                    body = replaced(sample(), path, new)
                    with self.subTest(app=gateway.gateway_type, path=path, value=new):
                        before = self.state()
                        status = self.signed_post(gateway, body).status_code
                        self.assertIn(status, (200, 400))
                        if status == 400:
                            self.assertEqual(self.state(), before, "nothing half-created")

    def test_valid_whatsapp_updates_still_accepted(self):
        """The checks refuse no update WhatsApp does send."""
        self.require(self.whatsapp)
        self.assertEqual(self.post_whatsapp(self.whatsapp_update("989121110001", "hello")).status_code, 200)
        self.assertEqual(len(self.tickets_of(self.whatsapp, "989121110001")), 1)
        # a status update (no message): accepted, nothing made
        status = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp", "statuses": [{"id": "wamid.x", "status": "read",
                                                           "recipient_id": "989121110001", "timestamp": "1"}]}}]}]}
        self.assertEqual(self.post_whatsapp(status).status_code, 200)

    def test_valid_instagram_updates_still_accepted(self):
        """The checks refuse no update Instagram does send."""
        self.require(self.instagram)
        response = self.post_instagram(self.instagram_update("IGSID-ODD-1", text="hi"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.tickets_of(self.instagram, "IGSID-ODD-1")), 1)
        # a read receipt: accepted, nothing made
        read = {"object": "instagram", "entry": [{"id": "17841400000000", "time": 1, "messaging": [{
            "sender": {"id": "IGSID-ODD-1"}, "recipient": {"id": "17841400000000"}, "timestamp": 1,
            "read": {"mid": "m.1"}}]}]}
        self.assertEqual(self.post_instagram(read).status_code, 200)


@tagged("post_install", "-at_install")
class TestGatewayLinkWizardAccess(GatewayCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B (gateway link)"})
        cls.contact_b = cls.env["res.partner"].create({
            "name": "Secret Contact of B", "company_id": cls.company_b.id, "phone": "+66 81 000 0000",
        })
        cls.department_b_company = cls.env["helpdesk.department"].create({
            "name": "Support of B (gateway link)", "company_id": cls.company_b.id,
        })

    def _chat_ticket(self, igsid):
        self.require(self.instagram)
        self.post_instagram(self.instagram_update(igsid, text="Where is my parcel?"))
        ticket = self.tickets_of(self.instagram, igsid)
        self.assertEqual(len(ticket), 1)
        return ticket

    def test_contact_of_another_company_is_refused(self):
        """Attacker: an agent of company A picks, by id, a contact of company B."""
        ticket = self._chat_ticket("IGSID-LINK-1")
        made, chat = ticket.partner_id, ticket.gateway_channel_id
        chat_name = chat.name
        self.assertFalse(self.contact_b.with_user(self.agent_a).has_access("read"))
        wizard = self.env["helpdesk.gateway.link"].with_user(self.agent_a).create({
            "ticket_id": ticket.id, "partner_id": self.contact_b.id,
        })
        with self.assertRaises(AccessError) as caught:
            wizard.action_link()
        self.assertNotIn("Secret Contact", str(caught.exception), "the contact's name is not shown")
        self.assertEqual(ticket.partner_id, made)
        self.assertEqual(chat.name, chat_name, "the chat is not renamed after the contact")
        self.assertFalse(self.env["res.partner.gateway.channel"].search([("partner_id", "=", self.contact_b.id)]))
        self.assertFalse(ticket.message_ids.filtered(lambda m: "Secret Contact" in (m.body or "")))

    def test_contact_of_another_company_is_refused_even_when_readable(self):
        """A user of both companies: company A's chat is not linked to company B's contact."""
        ticket = self._chat_ticket("IGSID-LINK-2")
        made = ticket.partner_id
        both = new_test_user(self.env, login="hdgw_link_both", groups="helpdesk_ticket.group_helpdesk_manager",
                             company_ids=[(6, 0, [self.env.company.id, self.company_b.id])],
                             company_id=self.env.company.id)
        both_env = both.with_context(allowed_company_ids=[self.env.company.id, self.company_b.id])
        self.assertTrue(self.contact_b.with_user(both_env).has_access("read"))
        wizard = self.env["helpdesk.gateway.link"].with_user(both_env).create({
            "ticket_id": ticket.id, "partner_id": self.contact_b.id,
        })
        with self.assertRaises(UserError):
            wizard.action_link()
        self.assertEqual(ticket.partner_id, made)

    def test_readable_contact_is_linked(self):
        ticket = self._chat_ticket("IGSID-LINK-3")
        self.env["helpdesk.gateway.link"].with_user(self.agent_a).create({
            "ticket_id": ticket.id, "partner_id": self.other_customer.id,
        }).action_link()
        self.assertEqual(ticket.partner_id, self.other_customer)
        self.assertEqual(ticket.gateway_channel_id.name, self.other_customer.display_name)

    def test_wizard_is_its_authors_own(self):
        """Attacker: another agent reads or runs an agent's link wizard by id."""
        ticket = self._chat_ticket("IGSID-LINK-4")
        made = ticket.partner_id
        wizard = self.env["helpdesk.gateway.link"].with_user(self.agent_a).create({
            "ticket_id": ticket.id, "partner_id": self.other_customer.id,
        })
        foreign = wizard.with_user(self.agent_a2)
        self.assertFalse(self.env["helpdesk.gateway.link"].with_user(self.agent_a2).search([("id", "=", wizard.id)]))
        with self.assertRaises(AccessError):
            foreign.read(["partner_id"])
        with self.assertRaises(AccessError):
            foreign.action_link()
        with self.assertRaises(AccessError):
            foreign.write({"partner_id": self.customer.id})
        self.assertEqual(ticket.partner_id, made)
        self.assertEqual(wizard.with_user(self.agent_a).read(["partner_id"])[0]["partner_id"][0],
                         self.other_customer.id, "its author reads it")


@tagged("post_install", "-at_install")
class TestGatewayPhoneMatchCompanies(GatewayCommon):
    """A WhatsApp sender on company A's number is matched only to company A's or shared
    contacts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B (phone match)"})
        ir = cls.env.ref("base.ir").id
        # created first: the oldest contact with the number, the one an unfiltered match picks
        cls.contact_b = cls.env["res.partner"].create({
            "name": "Contact of B", "company_id": cls.company_b.id, "mobile": "0935 111 2233", "country_id": ir,
        })
        cls.contact_b_only = cls.env["res.partner"].create({
            "name": "Only in B", "company_id": cls.company_b.id, "phone": "+98 935 444 5566",
        })
        cls.contact_a = cls.env["res.partner"].create({
            "name": "Contact of A", "company_id": cls.env.company.id, "mobile": "+98 935 111 2233",
        })

    def test_contact_of_the_gateways_company_is_matched(self):
        self.require(self.whatsapp)
        self.assertEqual(self.whatsapp.helpdesk_department_id.company_id, self.env.company)
        self.assertEqual(self.post_whatsapp(self.whatsapp_update("989351112233", "salam")).status_code, 200)
        ticket = self.tickets_of(self.whatsapp, "989351112233")
        self.assertEqual(ticket.partner_id, self.contact_a, "company A's contact, not company B's older one")

    def test_contact_of_another_company_is_never_matched(self):
        """Attacker: writing from the number of company B's contact to company A's gateway
        does not make the chat (and its tickets) that contact's."""
        self.require(self.whatsapp)
        self.assertEqual(self.post_whatsapp(self.whatsapp_update("989354445566", "salam", name="Someone")).status_code,
                         200)
        ticket = self.tickets_of(self.whatsapp, "989354445566")
        self.assertNotEqual(ticket.partner_id, self.contact_b_only)
        self.assertEqual(ticket.partner_id.name, "Someone", "a contact made from the profile name")
        self.assertFalse(self.env["res.partner.gateway.channel"].search([("partner_id", "=", self.contact_b_only.id)]))
        self.assertFalse(self.env["mail.message"].search_count([("author_id", "=", self.contact_b_only.id)]))
        self.assertNotIn(self.contact_b_only, ticket.gateway_channel_id.channel_member_ids.partner_id)
        # the next message of the chat comes from the chat's own contact
        self.post_whatsapp(self.whatsapp_update("989354445566", "are you there?", name="Someone"))
        self.assertEqual(self.tickets_of(self.whatsapp, "989354445566"), ticket)
        self.assertEqual(self.customer_messages(ticket)[-1].author_id, ticket.partner_id)
        self.assertIn("are you there?", self.customer_messages(ticket)[-1].body)

    def test_shared_contact_is_matched(self):
        self.require(self.whatsapp)
        shared = self.env["res.partner"].create({"name": "Shared", "company_id": False, "phone": "+98 935 777 8899"})
        self.post_whatsapp(self.whatsapp_update("989357778899", "salam"))
        self.assertEqual(self.tickets_of(self.whatsapp, "989357778899").partner_id, shared)
