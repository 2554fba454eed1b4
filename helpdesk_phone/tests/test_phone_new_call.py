from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import PhoneCommon


@tagged("post_install", "-at_install")
class TestPhoneNewCall(PhoneCommon):
    def _open_page(self, number, user=None):
        """The page as a PBX opens it: /odoo/helpdesk-call?number=... runs the server
        action with the URL's parameters in ``context['params']``."""
        action = self.env.ref("helpdesk_phone.helpdesk_new_call_action")
        result = action.with_user(user or self.agent_a).with_context(
            params={"action": "helpdesk-call", "number": number}
        ).run()
        self.assertEqual(result["res_model"], "helpdesk.new.call")
        return self.env["helpdesk.new.call"].with_user(user or self.agent_a).browse(result["res_id"])

    def test_new_call_one_contact(self):
        open_ticket = self._create_ticket()
        closed_ticket = self._create_ticket(name="Old toner")
        closed_ticket.action_close()
        earlier = self.env["helpdesk.phone.call"].with_user(self.agent_a).create(
            {"partner_id": self.customer.id, "direction": "in"}
        )
        page = self._open_page("+66 81 234 5678")
        self.assertEqual(page.number, "+66 81 234 5678")
        self.assertEqual(page.number_e164, "+66812345678")
        self.assertEqual(page.caller_ids, self.customer)
        self.assertEqual(page.partner_id, self.customer)
        self.assertEqual(page.open_ticket_ids, open_ticket)
        self.assertEqual(page.open_ticket_count, 1)
        self.assertEqual(page.recent_ticket_ids, closed_ticket)
        self.assertEqual(page.recent_call_ids, earlier)
        # one click: log the call on the open ticket (the button of its row)
        page.notes = "Still on fire"
        result = open_ticket.with_user(self.agent_a).with_context(
            helpdesk_new_call_id=page.id
        ).action_helpdesk_new_call_log_here()
        self.assertEqual((result["res_model"], result["res_id"]), ("helpdesk.ticket", open_ticket.id))
        call = open_ticket.call_ids
        self.assertEqual(len(call), 1)
        self.assertEqual((call.direction, call.partner_id, call.phone), ("in", self.customer, "+66 81 234 5678"))
        self.assertIn("Still on fire", call.message_id.body)
        # another agent cannot use this agent's page
        with self.assertRaises(UserError):
            open_ticket.with_user(self.agent_a2).with_context(
                helpdesk_new_call_id=page.id
            ).action_helpdesk_new_call_log_here()
        # nor read it (numbers and notes of another agent's call)
        with self.assertRaises(AccessError):
            page.with_user(self.agent_a2).read(["number", "notes"])

    def test_new_call_one_contact_new_ticket(self):
        page = self._open_page("0812345678")
        page.write({"ticket_subject": "Paper jam", "department_id": self.department_a.id, "duration": 3})
        result = page.action_create_ticket()
        ticket = self.env["helpdesk.ticket"].browse(result["res_id"])
        self.assertEqual(ticket.channel, "phone")
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.name, "Paper jam")
        self.assertEqual(ticket.department_id, self.department_a)
        self.assertEqual(len(ticket.call_ids), 1)
        self.assertEqual(ticket.call_ids.direction, "in")
        self.assertFalse(ticket.date_first_response, "an incoming call is not a response")

    def test_new_call_url_number_forms(self):
        """What the web client hands over from ?number=: a tel: URI as written, a
        digits-only value as a JSON number (leading 0 or + lost)."""
        for value in ("tel:+66-81-234-5678", "tel:0812345678;phone-context=+66", 812345678, 66812345678,
                      "081-234-5678", "+66 81 234 5678"):
            with self.subTest(value=value):
                page = self._open_page(value)
                self.assertEqual(page.number_e164, "+66812345678")
                self.assertEqual(page.partner_id, self.customer)
        self.assertEqual(self._open_page("tel:+66-81-234-5678").number, "+66-81-234-5678")

    def test_new_call_several_contacts(self):
        colleague = self.customer_colleague
        colleague.phone = "+66 81 234 5678"
        page = self._open_page("081 234 5678")
        self.assertEqual(page.caller_ids, self.customer | colleague)
        self.assertEqual(page.caller_count, 2)
        self.assertFalse(page.partner_id, "the agent chooses")
        self.assertFalse(page.open_ticket_ids)
        with self.assertRaises(UserError):
            page.action_create_ticket()
        page.partner_id = colleague
        result = page.action_create_ticket()
        ticket = self.env["helpdesk.ticket"].browse(result["res_id"])
        self.assertEqual(ticket.partner_id, colleague)
        self.assertEqual(ticket.channel, "phone")
        self.assertEqual(ticket.name, "Call from Colin Colleague")

    def test_new_call_unknown_number_creates_contact(self):
        page = self._open_page("0098 912 000 1122")
        self.assertFalse(page.caller_ids)
        self.assertFalse(page.partner_id)
        page.new_partner_name = "Reza Newcomer"
        result = page.action_create_ticket()
        ticket = self.env["helpdesk.ticket"].browse(result["res_id"])
        partner = ticket.partner_id
        self.assertEqual(partner.name, "Reza Newcomer")
        self.assertEqual(partner.phone_sanitized, "+989120001122")
        self.assertEqual(ticket.channel, "phone")
        # the next call from that number finds them
        self.assertEqual(self._open_page("+98 912 000 1122").partner_id, partner)
        # an unknown number logged on the contact only (no ticket)
        page = self._open_page("02-555-0199")
        page.action_log_on_contact()
        self.assertEqual(page.partner_id.name, "+66 2 555 0199")
        self.assertEqual(page.partner_id.helpdesk_call_count, 1)

    def test_new_call_unreadable_number(self):
        page = self._open_page("reception ext 12")
        self.assertTrue(page.number_invalid)
        self.assertFalse(page.number_e164)
        self.assertFalse(page.caller_ids)
        page.new_partner_name = "Front Desk"
        ticket = self.env["helpdesk.ticket"].browse(page.action_create_ticket()["res_id"])
        self.assertEqual(ticket.partner_id.phone, "reception ext 12", "kept as written")
        self.assertTrue(ticket.phone_invalid)
        # hostile or missing parameters never fail
        for number in (None, "", "   ", "x" * 500, "<img src=x onerror=alert(1)>", "'; DROP TABLE res_partner; --"):
            with self.subTest(number=number):
                page = self._open_page(number)
                page.read(["number", "number_invalid", "caller_ids", "open_ticket_ids"])
        action = self.env.ref("helpdesk_phone.helpdesk_new_call_action")
        action.with_user(self.agent_a).with_context(params={"number": ["a", "list"]}).run()
        action.with_user(self.agent_a).with_context(params={"number": {"a": 1}}).run()
        action.with_user(self.agent_a).with_context(params={"number": 1e300}).run()
        action.with_user(self.agent_a).run()

    def test_new_call_refused_to_non_agents(self):
        employee = new_test_user(self.env, login="hd_phone_employee2", groups="base.group_user")
        portal = new_test_user(self.env, login="hd_phone_portal2", groups="base.group_portal")
        action = self.env.ref("helpdesk_phone.helpdesk_new_call_action")
        for user in (employee, portal):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    action.with_user(user).with_context(params={"number": "0812345678"}).run()
                with self.assertRaises(AccessError):
                    self.env["helpdesk.new.call"].with_user(user).create({"number": "0812345678"})

    def test_phone_tickets_action_defaults_channel(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_phone.helpdesk_ticket_action_phone")
        context = safe_eval(action["context"])
        ticket = self.env["helpdesk.ticket"].with_user(self.agent_a).with_context(context).create(
            {"name": "Called in", "department_id": self.department_a.id}
        )
        self.assertEqual(ticket.channel, "phone")
        other = self.env["helpdesk.ticket"].with_user(self.agent_a).create(
            {"name": "Typed in", "department_id": self.department_a.id}
        )
        self.assertEqual(other.channel, "internal", "elsewhere the default is unchanged")

    #: what the New Call form reads
    PAGE_SPEC = {
        "number": {}, "number_e164": {}, "number_invalid": {}, "caller_count": {},
        "caller_ids": {"fields": {"display_name": {}}},
        "partner_id": {"fields": {"display_name": {}}},
        "open_ticket_count": {},
        "open_ticket_ids": {"fields": {
            "number": {}, "name": {}, "department_id": {"fields": {"display_name": {}}},
            "user_id": {"fields": {"display_name": {}}}, "stage_id": {"fields": {"display_name": {}}},
            "priority": {}, "create_date": {},
        }},
        "recent_call_ids": {"fields": {
            "date": {}, "direction": {}, "outcome": {}, "duration": {}, "notes": {},
            "ticket_id": {"fields": {"display_name": {}}}, "user_id": {"fields": {"display_name": {}}},
        }},
        "recent_ticket_ids": {"fields": {
            "number": {}, "name": {}, "date_closed": {}, "department_id": {"fields": {"display_name": {}}},
            "stage_id": {"fields": {"display_name": {}}},
        }},
    }

    def _read_page(self, page):
        self.env.invalidate_all()
        return page.web_read(self.PAGE_SPEC)

    def _count_page_queries(self, page):
        before = self.cr.sql_log_count
        self._read_page(page)
        return self.cr.sql_log_count - before

    def test_new_call_query_count_independent_of_history(self):
        few = self.env["res.partner"].create({"name": "Few Tickets", "phone": "02-111-0005"})
        many = self.env["res.partner"].create({"name": "Many Tickets", "phone": "02-111-0500"})
        Ticket = self.env["helpdesk.ticket"].with_context(tracking_disable=True, mail_create_nolog=True)
        for partner, count in ((few, 5), (many, 500)):
            tickets = Ticket.create([
                {"name": f"Issue {i}", "partner_id": partner.id, "department_id": self.department_a.id}
                for i in range(count)
            ])
            tickets[: count // 2].write({"stage_id": self.stage_resolved.id})
            # calls about a ticket that is not on the page (its name is read in both cases)
            elsewhere = self._create_ticket(partner_id=self.other_customer.id)
            self.env["helpdesk.phone.call"].create([
                {"partner_id": partner.id, "ticket_id": elsewhere.id, "direction": "in"} for _i in range(count // 5 or 1)
            ])
        self.env.flush_all()
        page_few = self._open_page("021110005")
        page_many = self._open_page("021110500")
        self.assertEqual(page_few.partner_id, few)
        self.assertEqual(page_many.partner_id, many)
        self._read_page(page_few)  # warm the caches (rules, views) once
        self._read_page(page_many)
        expected = self._count_page_queries(page_few)
        with self.assertQueryCount(expected):
            self._read_page(page_many)
        self.assertEqual(page_many.open_ticket_count, 250)
        self.assertEqual(len(page_many.open_ticket_ids), 20)
        self.assertEqual(len(page_many.recent_ticket_ids), 10)
        self.assertEqual(len(page_many.recent_call_ids), 10)

    def test_new_call_contact_creation_takes_nothing_from_the_agents_context(self):
        """The caller's contact is created with sudo: an agent's button context (their
        browser's) must not add values to it, nor create a user through it."""
        system = self.env.ref("base.group_system")
        hostile = {
            "default_user_ids": [(0, 0, {"login": "hd_phone_evil", "name": "Evil", "groups_id": [(6, 0, system.ids)]})],
            "default_email": "evil@attacker.example",
            "default_parent_id": self.customer.id,
            "default_comment": "<script>alert(1)</script>",
        }
        page = self._open_page("02-555-0177")
        page.new_partner_name = "Somchai Unknown"
        result = page.with_context(**hostile).action_create_ticket()
        ticket = self.env["helpdesk.ticket"].browse(result["res_id"])
        self.assertFalse(ticket.parent_id, "nor to the ticket and call the page creates")
        self.assertEqual(ticket.channel, "phone")
        partner = ticket.partner_id
        self.assertEqual(partner.name, "Somchai Unknown")
        self.assertFalse(self.env["res.users"].with_context(active_test=False).search([("login", "=", "hd_phone_evil")]))
        self.assertFalse(partner.user_ids)
        self.assertFalse(partner.email)
        self.assertFalse(partner.parent_id)
        self.assertFalse(partner.comment)
        # over-long input is refused with a message, nothing created
        page = self._open_page("02-555-0166")
        page.new_partner_name = "x" * 5000
        with self.assertRaises(UserError):
            page.action_log_on_contact()
        page = self._open_page("02-555-0155")
        page.number = "1" * 5000
        with self.assertRaises(UserError):
            page.action_create_ticket()
        self.assertFalse(self.env["res.partner"].search([("name", "in", ["x" * 5000, "1" * 5000])]))

    def test_new_call_contact_of_another_company_refused(self):
        """The page's caller and a call's contact are ids the agent sends: logging on a
        contact the agent cannot read is refused before anything is posted as sudo."""
        other_company = self.env["res.company"].create({"name": "Other Phone Co"})
        stranger = self.env["res.partner"].create({
            "name": "Other Company Contact", "phone": "02-555-0144", "company_id": other_company.id,
        })
        page = self._open_page("02-555-0133")
        page.partner_id = stranger
        with self.assertRaises(AccessError):
            page.action_log_on_contact()
        with self.assertRaises(AccessError):
            self.env["helpdesk.phone.call"].with_user(self.agent_a).create(
                {"partner_id": stranger.id, "direction": "in", "notes": "planted"}
            )
        self.assertFalse(stranger.message_ids.filtered(lambda m: "planted" in (m.body or "")))
