from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.helpdesk_ticket.tests.common import CommittedCase

from .test_livechat_ticket import LivechatCommon


class MissedChatCommon(LivechatCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref("helpdesk_livechat.ir_cron_helpdesk_livechat_missed_chats")
        cls.praise = cls.env.ref("helpdesk_ticket.tag_praise")

    def _guest_chat(self, *texts, name="Gina Guest"):
        guest = self.env["mail.guest"].create({"name": name})
        channel = self._session(guest=guest)
        channel.livechat_active = True
        for text in texts:
            self._say(channel, text, guest=guest)
        return channel, guest

    def _run_job(self):
        """The job as its cron runs it, until nothing is left."""
        self.env.flush_all()
        Channel = self.env["discuss.channel"]
        while Channel._cron_helpdesk_missed_chats():
            pass
        self.env.invalidate_all()

    def _rate(self, channel, value, feedback=None):
        """The visitor rates the conversation (what /im_livechat/feedback writes)."""
        return self.env["rating.rating"].sudo().create({
            "res_model_id": self.env["ir.model"]._get_id("discuss.channel"),
            "res_id": channel.id, "rating": value, "consumed": True, "is_internal": False,
            "feedback": feedback,
        })


@tagged("post_install", "-at_install")
class TestMissedChat(MissedChatCommon):

    def test_visitor_leaves_unanswered_chat_with_email(self):
        channel, _guest = self._guest_chat("Hello? My laptop will not boot. Write to gina@visitor.example")
        channel._close_livechat_session()
        self.assertTrue(channel.helpdesk_missed_pending)
        self.assertFalse(self._tickets(channel), "nothing is done in the visitor's request")
        # the job is woken when the visitor's transaction commits
        self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]).unlink()
        self.env.cr.flush()
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]))
        self._run_job()
        ticket = self._tickets(channel)
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.channel, "chat")
        self.assertEqual(ticket.partner_email, "gina@visitor.example")
        self.assertEqual(ticket.partner_name, "Gina Guest")
        self.assertEqual(ticket.department_id, self.department_a)
        self.assertIn("laptop will not boot", ticket.description)
        self.assertTrue(ticket.date_last_customer_message)
        self.assertTrue(ticket.message_ids.filtered(lambda m: "no operator answered" in (m.body or "")))
        self.assertTrue(channel.helpdesk_missed_done)
        self.assertFalse(channel.helpdesk_missed_pending)
        # never twice: leaving again, the sweep, another run
        channel.livechat_active = True
        channel._close_livechat_session()
        channel.last_interest_dt = fields.Datetime.now() - timedelta(hours=1)
        self._run_job()
        self.assertEqual(self._tickets(channel), ticket)

    def test_chatbot_email_and_known_customer(self):
        # the visitor signed in: their contact's email
        channel = self._session(visitor_partner=self.customer)
        channel.livechat_active = True
        self._say(channel, "Is anyone there?", partner=self.customer)
        channel._close_livechat_session()
        self._run_job()
        self.assertEqual(self._tickets(channel).partner_id, self.customer)

    def test_no_ticket_for_answered_empty_or_anonymous_chats(self):
        answered, _guest = self._guest_chat("Help, gina@visitor.example")
        self._say(answered, "Sure, what is wrong?", partner=self.agent_a.partner_id)
        empty, _guest = self._guest_chat()
        self._say(empty, "Operator here, can I help?", partner=self.agent_a.partner_id)
        silent, _guest = self._guest_chat()
        no_email, _guest = self._guest_chat("Hello, my laptop will not boot")
        chats = answered | empty | silent | no_email
        for channel in chats:
            channel._close_livechat_session()
        self._run_job()
        self.assertFalse(self.env["helpdesk.ticket"].search([("livechat_channel_id", "in", chats.ids)]))
        self.assertTrue(all(chats.mapped("helpdesk_missed_done")))

    def test_chat_with_ticket_already(self):
        channel, _guest = self._guest_chat("Help, gina@visitor.example")
        channel.with_user(self.agent_a).execute_command_ticket(body="/ticket Help")
        ticket = self._tickets(channel)
        channel._close_livechat_session()
        self._run_job()
        self.assertEqual(self._tickets(channel), ticket)

    def test_sweep_of_silent_chats(self):
        now = fields.Datetime.now()
        silent, _guest = self._guest_chat("Anyone? gina@visitor.example")
        recent, _guest = self._guest_chat("Anyone? gary@visitor.example")
        old, _guest = self._guest_chat("Anyone? olga@visitor.example")
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE discuss_channel SET last_interest_dt = CASE id WHEN %s THEN %s WHEN %s THEN %s ELSE %s END "
            "WHERE id IN %s",
            (silent.id, now - timedelta(minutes=20), recent.id, now - timedelta(minutes=5),
             now - timedelta(days=10), tuple((silent | recent | old).ids)),
        )
        self.env.invalidate_all()
        self._run_job()
        self.assertEqual(len(self._tickets(silent)), 1, "silent for 20 minutes, nobody answered: missed")
        self.assertFalse(self._tickets(recent), "the visitor may still be waiting for an answer")
        self.assertFalse(self._tickets(old), "chats from before the window are left alone")
        self.assertFalse(recent.helpdesk_missed_done)


@tagged("post_install", "-at_install")
class TestMissedChatRace(CommittedCase):
    """The race of ``_helpdesk_lock``, in real separate transactions: an operator's
    ``/ticket`` (or the chatbot's step) holds the conversation while the missed chat
    job runs; the job leaves it, and its next run sees the operator's ticket."""

    def _job(self, cr, **kwargs):
        return self._env(cr)["discuss.channel"]._cron_helpdesk_missed_chats(**kwargs)

    def setUp(self):
        super().setUp()
        self.started = fields.Datetime.now()
        with self._cursor() as cr:
            env = self._env(cr)
            guest = env["mail.guest"].create({"name": "Race Guest"})
            channel = env["discuss.channel"].create({
                "name": "Race chat", "channel_type": "livechat", "anonymous_name": "Race Guest",
                "livechat_active": True, "livechat_operator_id": env.ref("base.partner_admin").id,
            })
            channel._add_members(guests=guest)
            message = channel.message_post(body="Anyone? race@visitor.example", message_type="comment",
                                           subtype_xmlid="mail.mt_comment")
            message.write({"author_id": False, "author_guest_id": guest.id})
            channel._close_livechat_session()
            self.channel_id, self.guest_id = channel.id, guest.id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self._cursor() as cr:
            env = self._env(cr)
            env["ir.cron.trigger"].search([
                ("cron_id", "=", env.ref("helpdesk_livechat.ir_cron_helpdesk_livechat_missed_chats").id),
                ("create_date", ">=", self.started),
            ]).unlink()
            env["helpdesk.ticket"].search([("livechat_channel_id", "=", self.channel_id)]).unlink()
            env["discuss.channel"].browse(self.channel_id).unlink()
            env["mail.guest"].browse(self.guest_id).unlink()

    def _tickets(self, cr):
        cr.execute("SELECT id FROM helpdesk_ticket WHERE livechat_channel_id = %s", [self.channel_id])
        return [row[0] for row in cr.fetchall()]

    def test_job_leaves_a_conversation_held_by_a_ticket_creation(self):
        with self._cursor() as operator, self._cursor() as worker:
            channel = self._env(operator)["discuss.channel"].browse(self.channel_id)
            channel._helpdesk_lock()
            ticket = channel._helpdesk_file_ticket("race@visitor.example", channel.env["helpdesk.department"], "/ticket")
            worker.execute("SET LOCAL lock_timeout = '5s'")
            self.assertEqual(self._job(worker), 0, "the held conversation is left for the next run")
            worker.commit()
            # a run whose transaction began before the operator's commit does not see
            # the ticket: it must not take the conversation either
            self.assertEqual(self._tickets(worker), [])
            operator.commit()
            self.assertEqual(self._job(worker), 0)
            worker.commit()
            self._job(worker)
            worker.commit()
            self.assertEqual(self._tickets(worker), [ticket.id], "no second ticket for the conversation")
            worker.execute("SELECT helpdesk_missed_done FROM discuss_channel WHERE id = %s", [self.channel_id])
            self.assertTrue(worker.fetchone()[0])


@tagged("post_install", "-at_install")
class TestLivechatRating(MissedChatCommon):

    def test_rating_after_the_ticket(self):
        channel, _guest = self._guest_chat("Hello", name="Gina")
        channel.with_user(self.agent_a).execute_command_ticket(body="/ticket Printer")
        ticket = self._tickets(channel)
        rating = self._rate(channel, 5)
        self.assertEqual(rating.helpdesk_ticket_id, ticket)
        self.assertEqual(ticket.livechat_rating_ids, rating)
        self.assertIn(self.praise, ticket.tag_ids, "a positive chat rating is praise of the ticket")

    def test_negative_rating_adds_no_praise(self):
        channel, _guest = self._guest_chat("Hello", name="Gina")
        channel.with_user(self.agent_a).execute_command_ticket(body="/ticket Printer")
        ticket = self._tickets(channel)
        rating = self._rate(channel, 1)
        self.assertEqual(rating.helpdesk_ticket_id, ticket)
        self.assertNotIn(self.praise, ticket.tag_ids)
        # the visitor changes their mind (the feedback route writes the same rating)
        rating.write({"rating": 5})
        self.assertIn(self.praise, ticket.tag_ids)

    def test_rating_before_the_missed_chat_ticket(self):
        channel, _guest = self._guest_chat("Nobody there? gina@visitor.example")
        rating = self._rate(channel, 5)
        self.assertFalse(rating.helpdesk_ticket_id)
        channel._close_livechat_session()
        self._run_job()
        ticket = self._tickets(channel)
        self.assertEqual(rating.helpdesk_ticket_id, ticket)
        self.assertIn(self.praise, ticket.tag_ids)

    def _follow_ups(self, ticket):
        activity_type = self.env.ref("helpdesk_ticket.mail_activity_type_poor_rating")
        return ticket.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)

    def test_poor_chat_rating_follows_up_the_ticket(self):
        """A chat rated 1 or 2 is followed up on its ticket like a poor rating of the ticket:
        the Needs follow-up tag, one activity for the department's manager quoting the comment."""
        follow_up = self.env.ref("helpdesk_ticket.tag_needs_follow_up")
        channel, _guest = self._guest_chat("Hello", name="Gina")
        channel.with_user(self.agent_a).execute_command_ticket(body="/ticket Printer")
        ticket = self._tickets(channel)
        rating = self._rate(channel, 1, feedback="The operator left <b>me</b> waiting")
        self.assertIn(follow_up, ticket.tag_ids)
        self.assertNotIn(self.praise, ticket.tag_ids)
        activity = self._follow_ups(ticket)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.manager)
        self.assertIn("1/5", activity.summary)
        self.assertIn("The operator left &lt;b&gt;me&lt;/b&gt; waiting</blockquote>", activity.note)
        self.assertEqual(self.department_a.poor_rating_ticket_count, 1)
        # the feedback route writes the same rating again with the visitor's new comment
        rating.write({"rating": 2, "consumed": True, "feedback": "Still waiting"})
        activity = self._follow_ups(ticket)
        self.assertEqual(len(activity), 1, "never a second activity for the same ticket")
        self.assertIn("Still waiting", activity.note)

    def test_poor_rating_before_the_missed_chat_ticket(self):
        """Rated before the ticket existed: the follow-up comes with the ticket."""
        follow_up = self.env.ref("helpdesk_ticket.tag_needs_follow_up")
        channel, _guest = self._guest_chat("Nobody there? gina@visitor.example")
        rating = self._rate(channel, 2, feedback="Nobody answered")
        self.assertFalse(rating.helpdesk_ticket_id)
        channel._close_livechat_session()
        self._run_job()
        ticket = self._tickets(channel)
        self.assertEqual(rating.helpdesk_ticket_id, ticket)
        self.assertIn(follow_up, ticket.tag_ids)
        self.assertNotIn(self.praise, ticket.tag_ids)
        activity = self._follow_ups(ticket)
        self.assertEqual(len(activity), 1)
        self.assertIn("Nobody answered</blockquote>", activity.note)

    def test_good_chat_rating_is_praise_only(self):
        follow_up = self.env.ref("helpdesk_ticket.tag_needs_follow_up")
        channel, _guest = self._guest_chat("Hello", name="Gina")
        channel.with_user(self.agent_a).execute_command_ticket(body="/ticket Printer")
        ticket = self._tickets(channel)
        self._rate(channel, 5, feedback="Great")
        self.assertIn(self.praise, ticket.tag_ids)
        self.assertNotIn(follow_up, ticket.tag_ids)
        self.assertFalse(self._follow_ups(ticket))

    def test_poor_rating_of_a_chat_without_ticket_does_nothing(self):
        channel, _guest = self._guest_chat("Hello", name="Gina")
        rating = self._rate(channel, 1, feedback="bad")
        self.assertFalse(rating.helpdesk_ticket_id)
        self.assertFalse(self.env["mail.activity"].search([
            ("res_model", "=", "discuss.channel"), ("res_id", "=", channel.id)]))

    def test_other_ratings_untouched(self):
        ticket = self._create_ticket()
        ticket.action_close()
        ticket.rating_apply(5, token=ticket._rating_get_access_token())
        rating = ticket.rating_ids
        self.assertFalse(rating.helpdesk_ticket_id, "a ticket's own rating is not a chat rating")
        self.assertIn(self.praise, ticket.tag_ids)
