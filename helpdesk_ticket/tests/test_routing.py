from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import HelpdeskCommon

RAW_MAIL = """Return-Path: <{email_from}>
To: support@helpdesk.example
From: {email_from}
Subject: {subject}
Message-ID: <{message_id}@mail.example>
Date: Mon, 2 Mar 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

{body}
"""


@tagged("post_install", "-at_install")
class TestRoutingCommon(HelpdeskCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # only the rules of the tests
        cls.env["helpdesk.routing.rule"].search([]).active = False
        cls.tech_agent = new_test_user(
            cls.env, login="hd_test_tech", name="Tina Tech", groups="helpdesk_ticket.group_helpdesk_agent",
            email="tina@example.com",
        )
        cls.department_tech = cls.env["helpdesk.department"].create({
            "name": "Technical Support (test)",
            "member_ids": [Command.set(cls.tech_agent.ids)],
            "assignment_method": "round_robin",
        })
        cls.tag_vip = cls.env["helpdesk.tag"].create({"name": "VIP (routing test)"})
        cls.tag_access = cls.env["helpdesk.tag"].create({"name": "Access (routing test)"})
        cls.type_incident = cls.env["helpdesk.ticket.type"].create({"name": "Incident (routing test)"})
        cls.rule_password = cls.env["helpdesk.routing.rule"].create({
            "name": "Password resets to Technical Support",
            "sequence": 10,
            "keywords": "password, reset",
            "keyword_match": "all",
            "set_department_id": cls.department_tech.id,
            "add_tag_ids": [Command.set(cls.tag_access.ids)],
        })

    def _routing_logs(self, ticket):
        return ticket.message_ids.filtered(lambda m: "Routing rule" in (m.body or ""))


@tagged("post_install", "-at_install")
class TestRouting(TestRoutingCommon):

    def test_password_reset_routed_from_every_channel(self):
        for channel in ("email", "portal", "web", "api", "phone", "chat", "internal"):
            with self.subTest(channel=channel):
                ticket = self.env["helpdesk.ticket"].create({
                    "name": "Cannot log in",
                    "description": "<p>Could you RESET my Password please?</p>",
                    "channel": channel,
                    # the channel's own department (e.g. the alias or portal choice)
                    "department_id": self.department_b.id,
                    "partner_id": self.customer.id,
                })
                self.assertEqual(ticket.department_id, self.department_tech)
                self.assertEqual(ticket.user_id, self.tech_agent, "assigned after routing, in the new department")
                self.assertIn(self.tag_access, ticket.tag_ids)
                logs = self._routing_logs(ticket)
                self.assertEqual(len(logs), 1)
                self.assertIn("Password resets to Technical Support", logs.body)

    def test_batch_routed_ticket_by_ticket(self):
        """One create of several tickets: each is routed by its own content and logs
        its own rules; an explicit assignee is kept; the others are left alone."""
        tickets = self.env["helpdesk.ticket"].create([
            {"name": "Reset my password", "description": "<p>password reset please</p>",
             "department_id": self.department_b.id, "partner_id": self.customer.id},
            {"name": "Printer jam", "department_id": self.department_b.id, "partner_id": self.customer.id},
            {"name": "Password reset again", "description": "<p>Reset it, the password</p>",
             "department_id": self.department_a.id, "partner_id": self.customer_colleague.id,
             "user_id": self.agent_a.id},
            {"name": "Password RESET", "department_id": self.department_a.id, "partner_id": self.other_customer.id},
        ])
        routed = tickets[0] | tickets[2] | tickets[3]
        self.assertEqual(routed.department_id, self.department_tech)
        self.assertEqual(tickets[1].department_id, self.department_b)
        self.assertEqual(tickets[0].user_id | tickets[3].user_id, self.tech_agent)
        self.assertEqual(tickets[2].user_id, self.agent_a, "an explicit assignee is kept")
        for ticket in routed:
            self.assertEqual(ticket.tag_ids, self.tag_access)
            self.assertEqual(len(self._routing_logs(ticket)), 1, ticket.name)
        self.assertFalse(self._routing_logs(tickets[1]))
        self.assertFalse(tickets[1].tag_ids)

    def test_followers_of_the_department_routed_to_are_told(self):
        """A ticket created in one department and routed to another: the followers of
        the department it ends in follow it and are told of it, those of the
        department it was created in neither; whatever the channel (the mail gateway
        tells them with the customer's mail itself)."""
        Partner = self.env["res.partner"]
        tech_watcher = Partner.create({"name": "Tech Watcher", "email": "tech.watcher@example.com"})
        b_watcher = Partner.create({"name": "B Watcher", "email": "b.watcher@example.com"})
        watchers = tech_watcher | b_watcher
        self.department_tech.message_subscribe(partner_ids=tech_watcher.ids)
        self.department_b.message_subscribe(partner_ids=b_watcher.ids)
        ticket_created = self.env.ref("helpdesk_ticket.mt_ticket_new")

        def told_of(ticket):
            created = ticket.message_ids.filtered(lambda m: m.subtype_id == ticket_created)
            self.assertEqual(len(created), 1, ticket.name)
            # (the mail gateway has the followers told of received mails by its notification job)
            if hasattr(self.env["helpdesk.ticket"], "_cron_notify_received_mails"):
                self.env["helpdesk.ticket"]._cron_notify_received_mails()
            return created.notification_ids.res_partner_id & watchers

        routed, stayed = self.env["helpdesk.ticket"].create([
            {"name": "Password reset", "department_id": self.department_b.id, "partner_id": self.customer.id},
            {"name": "Printer jam", "department_id": self.department_b.id, "partner_id": self.customer.id},
        ])
        self.assertEqual(routed.department_id, self.department_tech)
        self.assertEqual(routed.message_partner_ids & watchers, tech_watcher)
        self.assertEqual(told_of(routed), tech_watcher)
        follower = routed.message_follower_ids.filtered(lambda f: f.partner_id == tech_watcher)
        self.assertIn(ticket_created, follower.subtype_ids)
        self.assertEqual(stayed.department_id, self.department_b)
        self.assertEqual(stayed.message_partner_ids & watchers, b_watcher)
        self.assertEqual(told_of(stayed), b_watcher)

        raw = RAW_MAIL.format(
            email_from="Carla Customer <carla@customer-corp.example>", subject="Password reset needed",
            message_id="routing-followers", body="I forgot it.",
        )
        mailed = self.env["helpdesk.ticket"].browse(self.env["mail.thread"].message_process(
            "helpdesk.ticket", raw, custom_values={"department_id": self.department_b.id},
        ))
        self.assertEqual(mailed.department_id, self.department_tech)
        self.assertEqual(mailed.message_partner_ids & watchers, tech_watcher)
        self.assertEqual(told_of(mailed), tech_watcher)
        self.assertIn("I forgot it", mailed.message_ids.filtered(lambda m: m.subtype_id == ticket_created).body)

    def test_password_reset_routed_from_incoming_email(self):
        raw = RAW_MAIL.format(
            email_from="Carla Customer <carla@customer-corp.example>",
            subject="Password reset needed",
            message_id="routing-1",
            body="Hello, I forgot it.",
        )
        ticket_id = self.env["mail.thread"].message_process("helpdesk.ticket", raw)
        ticket = self.env["helpdesk.ticket"].browse(ticket_id)
        self.assertEqual(ticket.department_id, self.department_tech)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.user_id, self.tech_agent)
        self.assertTrue(self._routing_logs(ticket))
        self.assertTrue(ticket.message_ids.filtered(lambda m: "I forgot it" in (m.body or "")))

    def test_portal_and_public_submissions_are_routed(self):
        """Portal and public forms create tickets as superuser after their own checks:
        the rules still apply (and the submitter needs no access to them)."""
        portal_user = self._portal_user(self.customer, "hd_routing_portal")
        ticket = self.env["helpdesk.ticket"].with_user(portal_user).sudo().create({
            "name": "password reset", "channel": "portal", "partner_id": self.customer.id,
        })
        self.assertEqual(ticket.department_id, self.department_tech)
        public = self.env.ref("base.public_user")
        ticket = self.env["helpdesk.ticket"].with_user(public).sudo().create({
            "name": "Reset of my password", "channel": "web", "partner_email": "new.person@unknown.example",
        })
        self.assertEqual(ticket.department_id, self.department_tech)

    def test_agent_without_access_to_rules_gets_routed_tickets(self):
        Rule = self.env["helpdesk.routing.rule"].with_user(self.agent_b)
        with self.assertRaises(AccessError):
            Rule.search([])
        with self.assertRaises(AccessError):
            Rule.create({"name": "sneaky", "keywords": "x", "set_priority": "3"})
        ticket = self.env["helpdesk.ticket"].with_user(self.agent_b).create({
            "name": "phone call: password reset", "channel": "phone", "department_id": self.department_b.id,
        })
        # agent_b is no member of Technical Support but created (and follows) the ticket
        self.assertEqual(ticket.sudo().department_id, self.department_tech)
        self.assertEqual(ticket.sudo().user_id, self.tech_agent)

    def test_keyword_match_all_and_any(self):
        only_password = self.env["helpdesk.ticket"].create({"name": "My password expired", "channel": "web"})
        self.assertFalse(only_password.department_id, "'all' needs every keyword")
        self.assertFalse(self._routing_logs(only_password))
        self.rule_password.keyword_match = "any"
        ticket = self.env["helpdesk.ticket"].create({"name": "My password expired", "channel": "web"})
        self.assertEqual(ticket.department_id, self.department_tech)

    def test_thai_and_persian_keywords(self):
        self.env["helpdesk.routing.rule"].create([
            {
                "name": "Thai password",
                "keywords": "รหัสผ่าน",
                "set_department_id": self.department_tech.id,
            },
            {
                # typed on a Persian keyboard (Farsi yeh and keheh)
                "name": "Persian password",
                "keywords": "رمز عبور، کلید",
                "set_department_id": self.department_tech.id,
            },
        ])
        thai = self.env["helpdesk.ticket"].create({"name": "ลืมรหัสผ่านเข้าระบบครับ", "channel": "web"})
        self.assertEqual(thai.department_id, self.department_tech, "Thai is written without spaces")
        persian = self.env["helpdesk.ticket"].create({
            "name": "کمک", "description": "<p>من رمز عبور خود را فراموش کردم</p>", "channel": "email",
        })
        self.assertEqual(persian.department_id, self.department_tech)
        # same word typed on an Arabic keyboard (Arabic kaf and yeh)
        arabic_keyboard = self.env["helpdesk.ticket"].create({"name": "كليد من كار نمى‌كند", "channel": "email"})
        self.assertEqual(arabic_keyboard.department_id, self.department_tech)
        unrelated = self.env["helpdesk.ticket"].create({"name": "سلام، سفارش من کجاست؟", "channel": "email"})
        self.assertFalse(unrelated.department_id)

    def test_rule_order_and_stop(self):
        Rule = self.env["helpdesk.routing.rule"]
        first = Rule.create({
            "name": "Outage is high", "sequence": 1, "keywords": "outage",
            "set_priority": "2", "add_tag_ids": [Command.set(self.tag_vip.ids)],
        })
        second = Rule.create({
            "name": "Outage is urgent incident", "sequence": 2, "keywords": "outage",
            "set_priority": "3", "set_type_id": self.type_incident.id, "stop": True,
        })
        third = Rule.create({
            "name": "Outage to billing", "sequence": 3, "keywords": "outage",
            "set_department_id": self.department_b.id,
        })
        ticket = self.env["helpdesk.ticket"].create({"name": "Total outage since 9am", "channel": "phone"})
        self.assertEqual(ticket.priority, "3", "the later rule overrides the earlier one")
        self.assertEqual(ticket.type_id, self.type_incident)
        self.assertIn(self.tag_vip, ticket.tag_ids)
        self.assertFalse(ticket.department_id, "rules after a 'stop' rule are not evaluated")
        log = self._routing_logs(ticket).body
        self.assertIn(first.name, log)
        self.assertIn(second.name, log)
        self.assertNotIn(third.name, log)
        self.assertLess(log.index(first.name), log.index(second.name))

        # reorder: the 'stop' rule first, nothing else applies
        second.sequence = 0
        ticket = self.env["helpdesk.ticket"].create({"name": "Another outage", "channel": "phone"})
        self.assertEqual(ticket.priority, "3")
        self.assertFalse(ticket.tag_ids)
        self.assertNotIn(first.name, self._routing_logs(ticket).body)

    def test_department_scope_sees_earlier_rules(self):
        self.env["helpdesk.routing.rule"].create({
            "name": "Technical password resets are incidents",
            "sequence": 20,
            "department_id": self.department_tech.id,
            "keywords": "password",
            "set_type_id": self.type_incident.id,
        })
        routed = self.env["helpdesk.ticket"].create({"name": "password reset", "channel": "web"})
        self.assertEqual(routed.type_id, self.type_incident)
        # a ticket in another department is out of the scope
        other = self.env["helpdesk.ticket"].create({
            "name": "password expired", "channel": "web", "department_id": self.department_b.id,
        })
        self.assertFalse(other.type_id)

    def test_sender_domain_and_address(self):
        Rule = self.env["helpdesk.routing.rule"]
        Rule.create({
            "name": "VIP customers", "sender_pattern": "@VIP.example", "set_priority": "3",
            "add_tag_ids": [Command.set(self.tag_vip.ids)],
        })
        Rule.create({
            "name": "Our CEO", "sender_pattern": "boss@partner.example, ceo@partner.example",
            "set_user_id": self.agent_b.id,
        })
        Ticket = self.env["helpdesk.ticket"]
        vip = Ticket.create({"name": "Hello", "partner_email": "Jane <Jane@vip.example>", "channel": "email"})
        self.assertEqual(vip.priority, "3")
        self.assertIn(self.tag_vip, vip.tag_ids)
        sub = Ticket.create({"name": "Hello", "partner_email": "joe@eu.vip.example", "channel": "email"})
        self.assertEqual(sub.priority, "3", "sub-domains match")
        lookalike = Ticket.create({"name": "Hello", "partner_email": "joe@notvip.example", "channel": "email"})
        self.assertEqual(lookalike.priority, "1")
        self.assertFalse(lookalike.tag_ids)
        ceo = Ticket.create({
            "name": "Hello", "partner_email": "CEO@partner.example", "channel": "email",
            "department_id": self.department_a.id,
        })
        self.assertEqual(ceo.user_id, self.agent_b, "the rule's agent wins over the department method")
        colleague = Ticket.create({"name": "Hello", "partner_email": "intern@partner.example", "channel": "email"})
        self.assertFalse(colleague.user_id)
        # the sender of a partner without typed email is the partner's email
        partner_vip = self.env["res.partner"].create({"name": "Vip Person", "email": "vip.person@vip.example"})
        ticket = Ticket.create({"name": "Hello", "partner_id": partner_vip.id, "channel": "phone"})
        self.assertEqual(ticket.priority, "3")

    def test_channel_condition(self):
        self.env["helpdesk.routing.rule"].create({
            "name": "Chats are high", "channel": "chat", "set_priority": "2",
        })
        chat = self.env["helpdesk.ticket"].create({"name": "Hi", "channel": "chat"})
        mail = self.env["helpdesk.ticket"].create({"name": "Hi", "channel": "email"})
        self.assertEqual(chat.priority, "2")
        self.assertEqual(mail.priority, "1")

    def test_explicit_assignee_is_kept(self):
        ticket = self.env["helpdesk.ticket"].create({
            "name": "password reset", "channel": "phone", "user_id": self.agent_a.id,
        })
        self.assertEqual(ticket.department_id, self.department_tech)
        self.assertEqual(ticket.user_id, self.agent_a)

    def test_inactive_and_other_company_rules_ignored(self):
        other_company = self.env["res.company"].create({"name": "Other Co (routing)"})
        self.env["helpdesk.routing.rule"].create({
            "name": "Other company's urgent", "keywords": "printer", "set_priority": "3",
            "company_id": other_company.id,
        })
        ticket = self.env["helpdesk.ticket"].create({"name": "printer jammed", "channel": "web"})
        self.assertEqual(ticket.priority, "1")
        self.rule_password.active = False
        ticket = self.env["helpdesk.ticket"].create({"name": "password reset", "channel": "web"})
        self.assertFalse(ticket.department_id)

    def test_rule_needs_a_condition_and_an_action(self):
        Rule = self.env["helpdesk.routing.rule"]
        with self.assertRaises(ValidationError):
            Rule.create({"name": "Everything urgent", "set_priority": "3"})
        with self.assertRaises(ValidationError):
            Rule.create({"name": "Does nothing", "keywords": "hello"})
        with self.assertRaises(ValidationError):
            Rule.create({"name": "Only commas", "keywords": " , ,", "set_priority": "3"})

    def test_rule_tester(self):
        self.env["helpdesk.routing.rule"].create({
            "name": "VIP customers", "sender_pattern": "@vip.example", "set_priority": "3", "sequence": 5,
        })
        wizard = self.env["helpdesk.routing.rule.test"].with_user(self.manager).with_context(
            default_rule_id=self.rule_password.id,
        ).create({"subject": "Password", "sender": "jane@vip.example"})
        self.assertEqual(wizard.rule_id, self.rule_password)
        self.assertEqual(wizard.matching_rule_ids.mapped("name"), ["VIP customers"])
        self.assertFalse(wizard.rule_matches)
        wizard.body = "please reset it"
        self.assertEqual(wizard.matching_rule_ids.mapped("name"), ["VIP customers", self.rule_password.name])
        self.assertTrue(wizard.rule_matches)
        self.assertIn(self.department_tech.name, wizard.result_html)
        self.assertIn("Urgent", wizard.result_html)
        # nothing is created by testing
        self.assertFalse(self.env["helpdesk.ticket"].search([("name", "=", "Password")]))
        # the tester is a manager tool
        with self.assertRaises(AccessError):
            self.env["helpdesk.routing.rule.test"].with_user(self.agent_a).create({"subject": "x"})

    def test_rule_form_opens_the_tester(self):
        action = self.rule_password.with_user(self.manager).action_open_test_wizard()
        self.assertEqual(action["res_model"], "helpdesk.routing.rule.test")
        self.assertEqual(action["context"]["default_rule_id"], self.rule_password.id)
