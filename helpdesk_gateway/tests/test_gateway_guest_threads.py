"""OCA's mail_gateway lists a thread's followers reachable through a gateway whenever a
thread is sent to the web client; readers who may not read followers (a live chat visitor)
still get the thread and its messages."""
from markupsafe import Markup

from odoo.tests import TransactionCase, tagged

from odoo.addons.mail.tools.discuss import Store


@tagged("post_install", "-at_install")
class TestGatewayGuestThreads(TransactionCase):

    def test_guest_reads_the_messages_of_their_channel(self):
        guest = self.env["mail.guest"].create({"name": "Visitor"})
        channel = self.env["discuss.channel"].create({"name": "Visitor chat", "group_public_id": False})
        channel._add_members(guests=guest)
        channel.message_post(body=Markup("<p>Hello visitor</p>"), message_type="comment",
                             subtype_xmlid="mail.mt_comment")
        guest_env = self.env(user=self.env.ref("base.public_user"), context={"guest": guest})
        as_guest = guest_env["discuss.channel"].search([("id", "=", channel.id)])
        self.assertEqual(as_guest, channel.with_env(guest_env))
        result = Store(as_guest.message_ids, for_current_user=True).get_result()
        self.assertIn("Hello visitor", str(result["mail.message"]))
        self.assertEqual(as_guest.message_get_followers(), {})

    def test_internal_user_still_gets_the_followers(self):
        partner, record = self.env["res.partner"].create([{"name": "Follower"}, {"name": "Followed"}])
        record.message_subscribe(partner_ids=partner.ids)
        user = self.env["res.users"].create({"name": "Internal", "login": "gateway_internal_reader"})
        followers = record.with_user(user).message_get_followers()
        self.assertIn(partner.id, [f["partner"]["id"] for f in followers["mail.followers"]])
