from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import HelpdeskCommon, activate_languages


@tagged("post_install", "-at_install")
class TestLinkedTickets(HelpdeskCommon):
    """Sub-tickets (hand-off to another department, the customer sees the parent only)
    and problems with their incidents (solving the problem solves the incidents)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_c = new_test_user(
            cls.env, login="hd_test_agent_c", name="Cecil Agent",
            groups="helpdesk_ticket.group_helpdesk_agent", email="cecil@example.com",
        )
        cls.department_c = cls.env["helpdesk.department"].create({
            "name": "Test Sales C", "member_ids": [Command.set([cls.agent_c.id])],
        })
        cls.portal_user = cls._portal_user(cls.customer, "hd_test_linked_portal")
        cls.ticket = cls._create_ticket(name="Refund my invoice", user_id=cls.agent_a.id)

    def _handoff(self, ticket=None, user=None, department=None, note="Please refund INV/42"):
        ticket = ticket or self.ticket
        wizard = Form(self.env["helpdesk.ticket.handoff"].with_user(user or self.agent_a).with_context(
            default_ticket_id=ticket.id,
        ))
        wizard.department_id = department or self.department_b
        wizard.note = note
        wizard.save().action_handoff()
        return ticket.sudo().child_ids[-1:]

    # ------------------------------------------------------------------
    # Hand-off
    # ------------------------------------------------------------------
    def test_handoff_creates_a_linked_sub_ticket(self):
        child = self._handoff()
        self.assertEqual(child.parent_id, self.ticket)
        self.assertEqual(child.department_id, self.department_b)
        self.assertEqual(child.name, self.ticket.name)
        self.assertEqual(child.channel, "internal")
        self.assertFalse(child.partner_id, "the sub-ticket has no customer: nobody outside is told of it")
        self.assertIn("Carla Customer", child.description)
        self.assertIn("Please refund INV/42", child.description)
        # the parent keeps its owner, customer and department
        self.assertEqual(self.ticket.user_id, self.agent_a)
        self.assertEqual(self.ticket.partner_id, self.customer)
        self.assertEqual(self.ticket.department_id, self.department_a)
        # the owner follows the sub-ticket and sees it with its stage
        self.assertIn(self.agent_a.partner_id, child.message_partner_ids)
        parent_as_owner = self.ticket.with_user(self.agent_a)
        self.assertEqual(parent_as_owner.child_ids, child)
        self.assertEqual(parent_as_owner.child_ids.stage_id, self.stage_new)
        self.assertEqual(parent_as_owner.child_count, 1)
        self.assertTrue(self.ticket.message_ids.filtered(lambda m: child.number in (m.body or "")))

    def test_handoff_wizard_shows_nothing_of_a_hidden_ticket(self):
        """Attacker: an agent opens the hand-off wizard on the id of a ticket of a department
        they may not see, or reads another agent's hand-off: neither the ticket's subject
        nor the other agent's note is given to them."""
        with self.assertRaises(AccessError):
            wizard = self.env["helpdesk.ticket.handoff"].with_user(self.agent_b).create({
                "ticket_id": self.ticket.id, "department_id": self.department_b.id, "note": "x",
            })
            wizard.read(["name", "current_department_id"])
        wizard = self.env["helpdesk.ticket.handoff"].with_user(self.agent_a).create({
            "ticket_id": self.ticket.id, "department_id": self.department_b.id, "note": "Refund INV/42 (secret)",
        })
        self.assertEqual(wizard.name, self.ticket.name)
        self.env.flush_all()
        other_agent = self.env["helpdesk.ticket.handoff"].with_user(self.agent_a2)
        self.assertFalse(other_agent.search([("id", "=", wizard.id)]))
        with self.assertRaises(AccessError):
            other_agent.browse(wizard.id).read(["note"])

    def test_handoff_needs_write_access_to_the_ticket(self):
        with self.assertRaises(AccessError):
            self._handoff(user=self.agent_c)

    def test_handoff_to_the_same_department_is_refused(self):
        with self.assertRaises(Exception):
            self._handoff(department=self.department_a)

    def test_customer_never_sees_a_sub_ticket(self):
        child = self._handoff()
        # even when the customer's company is set on it by hand
        child.write({"partner_id": self.customer.id})
        self.env.flush_all()
        Ticket = self.env["helpdesk.ticket"].with_user(self.portal_user)
        self.assertEqual(Ticket.search([]), self.ticket)
        with self.assertRaises(AccessError):
            child.with_user(self.portal_user).read(["name"])
        # nor the links of the ticket they see
        with self.assertRaises(AccessError):
            self.ticket.with_user(self.portal_user).read(["child_ids"])

    def test_customer_is_not_notified_of_a_sub_ticket(self):
        child = self._handoff()
        child.write({"partner_id": self.customer.id})  # a customer following it
        self.assertIn(self.customer, child.message_partner_ids)
        message = child.with_user(self.agent_b).message_post(
            body="Refund done", message_type="comment", subtype_xmlid="mail.mt_comment",
        )
        notified = message.notification_ids.res_partner_id
        self.assertNotIn(self.customer, notified)
        self.assertIn(self.agent_a.partner_id, notified, "the parent's owner follows the sub-ticket")
        # the parent still notifies its customer
        message = self.ticket.with_user(self.agent_a).message_post(
            body="Finance is on it", message_type="comment", subtype_xmlid="mail.mt_comment",
        )
        self.assertIn(self.customer, message.notification_ids.res_partner_id)

    def test_sub_ticket_visibility_follows_its_department(self):
        child = self._handoff()
        self.env.flush_all()
        # an agent of another department (not following it): per the department's visibility
        Ticket_c = self.env["helpdesk.ticket"].with_user(self.agent_c)
        self.assertFalse(Ticket_c.search([("id", "=", child.id)]))
        with self.assertRaises(AccessError):
            child.with_user(self.agent_c).read(["stage_id"])
        self.department_b.visibility = "all_agents"
        self.env.flush_all()
        self.assertEqual(Ticket_c.search([("id", "=", child.id)]), child)
        # a colleague of the parent's department who does not follow the sub-ticket
        self.department_b.visibility = "members"
        self.env.flush_all()
        self.assertFalse(self.ticket.with_user(self.agent_a2).child_ids)
        self.assertEqual(self.ticket.with_user(self.agent_a2).child_count, 0)
        # the sub-ticket's department sees it
        self.assertEqual(self.env["helpdesk.ticket"].with_user(self.agent_b).search([("id", "=", child.id)]), child)

    # ------------------------------------------------------------------
    # Bad links
    # ------------------------------------------------------------------
    def test_cyclic_parents_are_refused(self):
        child = self._handoff()
        grandchild = self._handoff(ticket=child, user=self.agent_b, department=self.department_c)
        with self.assertRaisesRegex(ValidationError, "cycle"):
            self.ticket.parent_id = grandchild
        with self.assertRaisesRegex(ValidationError, "own parent"):
            self.ticket.parent_id = self.ticket

    def test_problem_links_are_checked(self):
        problem = self._create_ticket(name="Mail server down", is_problem=True)
        with self.assertRaisesRegex(ValidationError, "incident of itself"):
            problem.problem_id = problem
        other = self._create_ticket(name="Not a problem")
        with self.assertRaisesRegex(ValidationError, "not marked as a problem"):
            self.ticket.problem_id = other
        second_problem = self._create_ticket(name="DNS down", is_problem=True)
        with self.assertRaisesRegex(ValidationError, "cannot be an incident of another problem"):
            problem.problem_id = second_problem
        self.ticket.problem_id = problem
        with self.assertRaisesRegex(ValidationError, "has incidents"):
            problem.is_problem = False

    def test_links_stay_within_a_company(self):
        """Attacker: an agent of company A links their ticket, by id, to a ticket of company
        B as its problem or parent. Solving B's problem would post B's resolution to A's
        customer and close A's ticket as superuser: refused, without naming B's ticket."""
        other_company = self.env["res.company"].create({"name": "Other Co (links)"})
        department_other = self.env["helpdesk.department"].create({
            "name": "Other Co support (links)", "company_id": other_company.id, "visibility": "all_agents",
        })
        problem_other = self._create_ticket(
            name="Secret outage of Other Co", department_id=department_other.id, partner_id=False, is_problem=True,
        )
        self.assertEqual(problem_other.company_id, other_company)
        ticket = self.ticket.with_user(self.agent_a)
        for field_name in ("problem_id", "parent_id"):
            with self.assertRaises(ValidationError) as caught:
                ticket.write({field_name: problem_other.id})
            message = str(caught.exception)
            self.assertIn("of its own company", message)
            self.assertNotIn("Secret outage", message)
            self.assertNotIn(problem_other.number, message)
        self.assertFalse(self.ticket.sudo().problem_id)
        self.assertFalse(self.ticket.sudo().parent_id)
        # a problem of the ticket's own company is still linked
        problem = self._create_ticket(name="Mail server down", is_problem=True, partner_id=False)
        ticket.write({"problem_id": problem.id})
        self.assertEqual(self.ticket.sudo().problem_id, problem)

    def test_refused_link_names_no_hidden_ticket(self):
        """Attacker: an agent tries ids of tickets of a department they may not see as the
        problem of their ticket; the refusal must not tell them the hidden ticket's subject
        or number (an oracle on other departments' tickets)."""
        hidden = self._create_ticket(
            name="Salary of the CEO", department_id=self.department_b.id, partner_id=self.other_customer.id,
        )
        self.assertFalse(hidden.with_user(self.agent_a).has_access("read"))
        with self.assertRaises(ValidationError) as caught:
            self.ticket.with_user(self.agent_a).write({"problem_id": hidden.id})
        message = str(caught.exception)
        self.assertIn("not marked as a problem", message)
        self.assertNotIn("Salary of the CEO", message)
        self.assertNotIn(hidden.number, message)
        # a ticket the agent reads is still named, to help them
        visible = self._create_ticket(name="Printer jam in room 2")
        with self.assertRaises(ValidationError) as caught:
            self.ticket.with_user(self.agent_a).write({"problem_id": visible.id})
        self.assertIn("Printer jam in room 2", str(caught.exception))

    # ------------------------------------------------------------------
    # Problems and incidents
    # ------------------------------------------------------------------
    def test_solving_a_problem_solves_its_incidents(self):
        problem = self._create_ticket(
            name="Mail server down", is_problem=True, partner_id=False,
            problem_resolution="<p>The mail server was restarted; mail flows again.</p>",
        )
        incidents = self.ticket | self._create_ticket(
            name="No mail since 9:00", partner_id=self.other_customer.id, department_id=self.department_b.id,
        ) | self._create_ticket(name="Cannot send mail", partner_id=self.customer_colleague.id)
        incidents.problem_id = problem
        done = self._create_ticket(name="Already closed", partner_id=self.customer_colleague.id)
        done.problem_id = problem
        done.action_close()
        done_messages = len(done.message_ids)

        problem.with_user(self.agent_a).action_close()

        self.assertTrue(all(incidents.mapped("closed")))
        for incident in incidents:
            answer = incident.message_ids.filtered(lambda m: "mail flows again" in (m.body or ""))
            self.assertEqual(len(answer), 1, incident.name)
            self.assertEqual(answer.author_id, self.agent_a.partner_id)
            self.assertEqual(answer.message_type, "comment")
            # each customer is told in the thread of their own ticket, of that ticket only
            self.assertIn(incident.partner_id, answer.notification_ids.res_partner_id)
            others = (incidents - incident).partner_id
            self.assertFalse(answer.notification_ids.res_partner_id & others)
            self.assertNotIn(problem.number, answer.body)
            self.assertTrue(incident.date_first_response, "the answer is the agent's")
        self.assertEqual(len(done.message_ids), done_messages, "a closed incident is left alone")
        # a problem without a resolution text still tells the customers
        problem2 = self._create_ticket(name="VPN down", is_problem=True, partner_id=False)
        incident = self._create_ticket(name="No VPN", problem_id=problem2.id)
        problem2.action_close()
        self.assertTrue(incident.closed)
        self.assertTrue(incident.message_ids.filtered(lambda m: "has been solved" in (m.body or "")))

    def test_agent_solving_a_problem_need_not_see_every_incident(self):
        problem = self._create_ticket(name="Billing run failed", is_problem=True, partner_id=False)
        hidden = self._create_ticket(name="Wrong invoice", department_id=self.department_b.id,
                                     partner_id=self.other_customer.id, problem_id=problem.id)
        problem.with_user(self.agent_a).action_close()
        self.assertTrue(hidden.closed)

    def test_portal_user_sees_no_problem_internals(self):
        problem = self._create_ticket(name="Mail server down", is_problem=True, partner_id=False)
        self.ticket.problem_id = problem
        self.env.flush_all()
        ticket = self.ticket.with_user(self.portal_user)
        ticket.read(["name", "stage_id"])
        for field_name in ("problem_id", "is_problem", "incident_ids", "problem_resolution", "parent_id"):
            with self.assertRaises(AccessError, msg=field_name):
                ticket.read([field_name])
        with self.assertRaises(AccessError):
            problem.with_user(self.portal_user).read(["name"])

    def test_link_counts_query_count(self):
        """The stat buttons' counters: the same queries for 2 and for 20 tickets."""
        parents = self.ticket | self._create_ticket(name="Second")
        for parent in parents:
            self._handoff(ticket=parent)
        many = parents | self.env["helpdesk.ticket"].create([
            {"name": f"Ticket {i}", "department_id": self.department_a.id} for i in range(18)
        ])
        self.env.flush_all()

        def read_counts(tickets):
            self.env.invalidate_all()
            tickets.with_user(self.agent_a).read(["child_count", "incident_count"])

        read_counts(parents)  # warm the caches (rules, groups)
        self.env.flush_all()
        before = self.cr.sql_log_count
        read_counts(parents)
        few = self.cr.sql_log_count - before
        self.assertLessEqual(few, 10)
        with self.assertQueryCount(few):
            read_counts(many)

    def test_standard_resolution_in_each_customers_language(self):
        activate_languages(self.env, ["helpdesk_ticket"])
        thai = self.env["res.partner"].create({"name": "Somchai", "email": "somchai@example.th", "lang": "th_TH"})
        persian = self.env["res.partner"].create({"name": "Dara", "email": "dara@example.ir", "lang": "fa_IR"})
        problem = self._create_ticket(name="Relay down", is_problem=True, partner_id=False)
        incident_th = self._create_ticket(name="No mail (th)", partner_id=thai.id, problem_id=problem.id)
        incident_fa = self._create_ticket(name="No mail (fa)", partner_id=persian.id, problem_id=problem.id)
        problem.with_user(self.agent_a).action_close()
        self.assertTrue(incident_th.message_ids.filtered(lambda m: "ได้รับการแก้ไขแล้ว" in (m.body or "")))
        self.assertTrue(incident_fa.message_ids.filtered(lambda m: "برطرف شد" in (m.body or "")))
