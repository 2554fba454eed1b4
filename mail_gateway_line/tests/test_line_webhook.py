import json

from odoo.tests import tagged

from .common import JPEG, LineCase


@tagged("post_install", "-at_install")
class TestLineWebhook(LineCase):
    def test_line_text_message_opens_chat_with_profile_name(self):
        user_id = self.user_id()
        self.stub.profiles[user_id] = {"displayName": "สมชาย ใจดี", "userId": user_id, "language": "th",
                                       "pictureUrl": "https://profile.line-scdn.net/x"}
        response = self.post_webhook(self.body(self.text_event(user_id, "สวัสดีครับ ลืมรหัสผ่าน")))
        self.assertEqual(response.status_code, 200)
        chat = self.chat_of(user_id)
        self.assertEqual(len(chat), 1)
        self.assertEqual(chat.channel_type, "gateway")
        self.assertEqual(chat.name, "สมชาย ใจดี")
        self.assertIn(self.agent.partner_id, chat.channel_member_ids.partner_id)
        [message] = self.comments(chat)
        self.assertIn("สวัสดีครับ ลืมรหัสผ่าน", message.body)
        self.assertEqual(message.gateway_type, "line")
        self.assertEqual(message.author_guest_id.name, "สมชาย ใจดี")
        self.assertEqual(message.author_guest_id.gateway_token, user_id)
        [profile] = [r for r in self.stub.requests if r["path"].startswith("/v2/bot/profile/")]
        self.assertEqual(profile["path"], f"/v2/bot/profile/{user_id}")
        self.assertEqual(profile["headers"]["Authorization"], "Bearer line-channel-access-token-TEST")
        # the customer's own message is never pushed back
        self.assertFalse(self.stub.pushes())
        # a second message: same chat, same guest, profile not asked again
        self.assertEqual(self.post_webhook(self.body(self.text_event(user_id, "ด่วนครับ"))).status_code, 200)
        self.assertEqual(len(self.chat_of(user_id)), 1)
        self.assertEqual(len(self.comments(chat)), 2)
        self.assertEqual(len([r for r in self.stub.requests if r["path"].startswith("/v2/bot/profile/")]), 1)

    def test_line_unknown_profile_gets_a_name(self):
        user_id = self.user_id()  # not a friend: LINE answers 404 to the profile
        self.assertEqual(self.post_webhook(self.body(self.text_event(user_id, "hello"))).status_code, 200)
        self.assertEqual(self.comments(self.chat_of(user_id)).author_guest_id.name, "LINE user")

    def test_line_image_message_downloaded_from_data_endpoint(self):
        user_id = self.user_id()
        message_id = str(self.next_id())
        self.stub.contents[message_id] = (JPEG, "image/jpeg")
        event = self.event(user_id, message={"type": "image", "id": message_id, "quoteToken": "q",
                                             "contentProvider": {"type": "line"}})
        self.assertEqual(self.post_webhook(self.body(event)).status_code, 200)
        [content] = [r for r in self.stub.requests if r["path"].endswith("/content")]
        self.assertEqual(content["method"], "GET")
        self.assertEqual(content["path"], f"/v2/bot/message/{message_id}/content")
        self.assertEqual(content["headers"]["Authorization"], "Bearer line-channel-access-token-TEST")
        [message] = self.comments(self.chat_of(user_id))
        [attachment] = message.attachment_ids
        self.assertEqual(attachment.raw, JPEG)
        self.assertEqual(attachment.mimetype, "image/jpeg")

    def test_line_file_message_keeps_file_name(self):
        user_id = self.user_id()
        message_id = str(self.next_id())
        self.stub.contents[message_id] = (b"%PDF-1.4 invoice", "application/pdf")
        event = self.event(user_id, message={"type": "file", "id": message_id, "fileName": "invoice-042.pdf",
                                             "fileSize": 16})
        self.assertEqual(self.post_webhook(self.body(event)).status_code, 200)
        [attachment] = self.comments(self.chat_of(user_id)).attachment_ids
        self.assertEqual(attachment.name, "invoice-042.pdf")
        self.assertEqual(attachment.raw, b"%PDF-1.4 invoice")

    def test_line_sticker_message(self):
        user_id = self.user_id()
        event = self.event(user_id, message={
            "type": "sticker", "id": str(self.next_id()), "quoteToken": "q", "stickerId": "52002738",
            "packageId": "11537", "stickerResourceType": "ANIMATION", "keywords": ["Happy", "Yay"]})
        self.assertEqual(self.post_webhook(self.body(event)).status_code, 200)
        [message] = self.comments(self.chat_of(user_id))
        self.assertIn("Sticker: Happy, Yay", message.body)

    def test_line_follow_and_unfollow(self):
        user_id = self.user_id()
        self.stub.profiles[user_id] = {"displayName": "Nok", "userId": user_id}
        follow = self.event(user_id, kind="follow", follow={"isUnblocked": False})
        self.assertEqual(self.post_webhook(self.body(follow)).status_code, 200)
        chat = self.chat_of(user_id)
        self.assertEqual(chat.name, "Nok")
        self.assertFalse(self.comments(chat))
        self.assertIn("added the LINE official account as a friend",
                      "".join(chat.message_ids.filtered(lambda m: m.message_type == "notification").mapped("body")))
        unfollow = self.event(user_id, kind="unfollow")
        self.assertEqual(self.post_webhook(self.body(unfollow)).status_code, 200)
        self.assertIn("blocked the LINE official account", chat.message_ids.sorted("id")[-1].body)
        # neither is pushed back, nor does an unfollow of an unknown user create a chat
        self.assertFalse(self.stub.pushes())
        stranger = self.user_id()
        self.assertEqual(self.post_webhook(self.body(self.event(stranger, kind="unfollow"))).status_code, 200)
        self.assertFalse(self.chat_of(stranger))

    def test_line_redelivered_event_gives_one_message(self):
        user_id = self.user_id()
        event = self.text_event(user_id, "only once")
        self.assertEqual(self.post_webhook(self.body(event)).status_code, 200)
        again = dict(event, deliveryContext={"isRedelivery": True})
        self.assertEqual(self.post_webhook(self.body(again)).status_code, 200)
        # and the same event twice in one body
        self.assertEqual(self.post_webhook(self.body(again, again)).status_code, 200)
        self.assertEqual(len(self.comments(self.chat_of(user_id))), 1)

    def test_line_verify_request_with_no_event(self):
        # the console's "Verify" button posts a signed body with no events
        self.assertEqual(self.post_webhook(self.body()).status_code, 200)

    def test_line_events_not_handled_are_acknowledged(self):
        group_event = {"type": "join", "mode": "active", "timestamp": 1692251666727,
                       "source": {"type": "group", "groupId": "C" + "4" * 32},
                       "webhookEventId": "01H810YECXQQZ37VAXPF6H9E6X", "deliveryContext": {"isRedelivery": False}}
        self.assertEqual(self.post_webhook(self.body(group_event)).status_code, 200)
        self.assertFalse(self.env["discuss.channel"].search([("gateway_id", "=", self.gateway.id),
                                                             ("gateway_channel_token", "=", "C" + "4" * 32)]))


@tagged("post_install", "-at_install")
class TestLineWebhookRefused(LineCase):
    """Bad input: a clear status, nothing created, the body never in the log."""

    def assertNothingCreated(self, user_id):
        self.assertFalse(self.chat_of(user_id))
        self.assertFalse(self.env["mail.guest"].search([("gateway_token", "=", user_id)]))
        self.assertFalse(self.stub.requests)

    def test_line_bad_signature(self):
        user_id = self.user_id()
        body = self.body(self.text_event(user_id, "secret-body-text"))
        with self.assertLogs("odoo.addons.mail_gateway_line.controllers.gateway", "WARNING") as logs:
            response = self.post_webhook(body, secret="not-the-channel-secret")
        self.assertEqual(response.status_code, 403)
        self.assertNotIn("secret-body-text", "\n".join(logs.output))
        self.assertIn("X-Line-Signature", "\n".join(logs.output))
        self.assertNothingCreated(user_id)

    def test_line_missing_signature(self):
        user_id = self.user_id()
        response = self.post_webhook(self.body(self.text_event(user_id, "hello")), signature=None)
        self.assertEqual(response.status_code, 403)
        self.assertNothingCreated(user_id)

    def test_line_signature_of_a_modified_body(self):
        user_id = self.user_id()
        raw = json.dumps(self.body(self.text_event(user_id, "pay 10"))).encode()
        signature = self.sign(raw)
        response = self.post_webhook(raw.replace(b"pay 10", b"pay 99"), signature=signature)
        self.assertEqual(response.status_code, 403)
        self.assertNothingCreated(user_id)

    def test_line_malformed_json(self):
        with self.assertLogs("odoo.addons.mail_gateway_line.controllers.gateway", "WARNING") as logs:
            response = self.post_webhook(b'{"events": [{"type": "message", ')
        self.assertEqual(response.status_code, 400)
        self.assertIn("not JSON", "\n".join(logs.output))
        self.assertEqual(self.post_webhook(b"\xff\xfe not utf-8").status_code, 400)
        self.assertEqual(self.post_webhook(b"[]").status_code, 400)

    def test_line_unknown_event_or_message_type(self):
        user_id = self.user_id()
        unknown = self.event(user_id, kind="somethingNew")
        self.assertEqual(self.post_webhook(self.body(unknown)).status_code, 400)
        weird = self.event(user_id, message={"type": "hologram", "id": "123"})
        self.assertEqual(self.post_webhook(self.body(weird)).status_code, 400)
        # a valid event next to an invalid one: the whole body is refused, nothing half-created
        self.assertEqual(self.post_webhook(self.body(self.text_event(user_id, "ok"), unknown)).status_code, 400)
        self.assertNothingCreated(user_id)

    def test_line_spoofed_ids(self):
        # ids are used in the API paths: anything but LINE's format is refused
        user_id = self.user_id()
        traversal = self.event(user_id, message={"type": "image", "id": "../../profile/x"})
        self.assertEqual(self.post_webhook(self.body(traversal)).status_code, 400)
        bad_user = self.text_event("../v2/bot/x", "hello")
        self.assertEqual(self.post_webhook(self.body(bad_user)).status_code, 400)
        self.assertNothingCreated(user_id)

    def test_line_unknown_webhook_key_and_get(self):
        user_id = self.user_id()
        self.assertEqual(self.post_webhook(self.body(self.text_event(user_id, "x")), key="nope").status_code, 404)
        self.assertEqual(self.url_open("/gateway/line/line-test-key/update").status_code, 405)
        self.assertNothingCreated(user_id)

    def test_line_content_endpoint_down_creates_nothing(self):
        user_id = self.user_id()
        message_id = str(self.next_id())
        self.stub.fail("GET", f"/v2/bot/message/{message_id}/content", 500, "Internal server error")
        event = self.event(user_id, message={"type": "image", "id": message_id, "contentProvider": {"type": "line"}})
        response = self.post_webhook(self.body(event))
        self.assertEqual(response.status_code, 503)
        self.assertFalse(self.chat_of(user_id))
        self.assertFalse(self.env["mail.guest"].search([("gateway_token", "=", user_id)]))
        # LINE delivers it again once its data endpoint is back: the message arrives once
        self.stub.answers.clear()
        self.stub.contents[message_id] = (JPEG, "image/jpeg")
        self.assertEqual(self.post_webhook(self.body(dict(event, deliveryContext={"isRedelivery": True}))).status_code, 200)
        self.assertEqual(len(self.comments(self.chat_of(user_id)).attachment_ids), 1)


@tagged("post_install", "-at_install")
class TestLineWebhookHostile(LineCase):
    """Signed but hostile or odd bodies: a 200 or a 400, never a server error, and a
    refused body leaves nothing behind."""

    def test_line_odd_bodies_never_fail(self):
        user_id = self.user_id()
        good = self.text_event(user_id, "x")
        refused = [
            {"events": "not a list"},
            {"events": [None]},
            {"events": [42]},
            {"events": [dict(good, source="user")]},
            {"events": [dict(good, source={"type": "user", "userId": 42})]},
            {"events": [dict(good, source={"type": "group"})]},
            {"events": [dict(good, timestamp="yesterday")]},
            {"events": [dict(good, timestamp=10**20)]},
            {"events": [dict(good, timestamp=True)]},
            {"events": [dict(good, webhookEventId={"$ne": 1})]},
            {"events": [dict(good, message=None)]},
            {"events": [dict(good, message={"type": "text", "id": 7, "text": "x"})]},
            {"events": [dict(good, message={"type": "text", "id": "7", "text": ["x"]})]},
            {"events": [self.event(user_id, kind="follow", timestamp=-5)]},
        ]
        for body in refused:
            with self.subTest(body=body):
                self.assertEqual(self.post_webhook(body).status_code, 400)
        self.assertFalse(self.chat_of(user_id))
        accepted = [
            self.event(user_id, kind="follow", follow="yes"),
            self.event(user_id, message={"type": "sticker", "id": str(self.next_id()), "keywords": {"a": 1}}),
            self.event(user_id, message={"type": "location", "id": str(self.next_id()), "title": ["x"],
                                         "latitude": "13.7' onmouseover='x", "longitude": None}),
            self.event(user_id, message={"type": "image", "id": str(self.next_id()), "contentProvider": "line"}),
            self.event(user_id, message={"type": "file", "id": str(self.next_id()), "fileName": 42}),
            self.text_event(user_id, "<script>alert(1)</script>"),
        ]
        for message_id in [e["message"]["id"] for e in accepted if "message" in e and e["message"]["type"] in ("image", "file")]:
            self.stub.contents[message_id] = (JPEG, "image/jpeg")
        for event in accepted:
            with self.subTest(event=event):
                self.assertEqual(self.post_webhook(self.body(event)).status_code, 200)
        chat = self.chat_of(user_id)
        bodies = "".join(chat.message_ids.mapped("body"))
        self.assertNotIn("<script>", bodies)
        self.assertNotIn("onmouseover='x", bodies)
        self.assertIn("&lt;script&gt;", bodies)
        self.assertEqual(len(self.comments(chat)), 5)

    def test_line_signature_of_another_gateway(self):
        other = self.env["mail.gateway"].create({
            "name": "Other LINE OA", "gateway_type": "line", "token": "other-token", "webhook_key": "line-other-key",
            "webhook_secret": "other-channel-secret", "line_api_url": self.stub.url,
            "line_api_data_url": self.stub.url,
        })
        other.set_webhook()
        user_id = self.user_id()
        body = self.body(self.text_event(user_id, "spoofed"))
        # signed with this gateway's secret, posted to the other gateway's URL (and back)
        self.assertEqual(self.post_webhook(body, key="line-other-key").status_code, 403)
        self.assertEqual(self.post_webhook(body, secret="other-channel-secret").status_code, 403)
        self.assertEqual(self.post_webhook(body, key="line-other-key", secret="other-channel-secret").status_code, 200)
        self.assertFalse(self.chat_of(user_id))
        self.assertEqual(self.env["discuss.channel"].search_count([("gateway_id", "=", other.id)]), 1)
