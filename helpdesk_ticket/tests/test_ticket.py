import threading

from freezegun import freeze_time

from odoo.modules.registry import Registry
from odoo import api, fields, SUPERUSER_ID
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tests.common import BaseCase, get_db_name
from odoo.tools import SQL

from .common import HelpdeskCommon


@tagged("post_install", "-at_install")
class TestTicket(HelpdeskCommon):

    def test_number_assigned_on_create_whatever_the_channel(self):
        tickets = self.env["helpdesk.ticket"].create([
            {"name": f"Request via {channel}", "channel": channel, "department_id": self.department_a.id}
            for channel in ("email", "portal", "web", "phone", "chat", "internal", "api")
        ])
        numbers = tickets.mapped("number")
        self.assertTrue(all(n and n.startswith("HD-") and len(n) == 8 for n in numbers), numbers)
        self.assertEqual(len(set(numbers)), len(numbers))
        # increasing in creation order
        as_ints = [int(n[3:]) for n in numbers]
        self.assertEqual(as_ints, sorted(as_ints))
        self.assertEqual(tickets[0].display_name, f"{numbers[0]} Request via email")

    def test_numbers_of_a_batch_from_any_kind_of_sequence(self):
        """A batch draws its numbers at once from a standard sequence (one query) and
        one by one from a no-gap or a yearly (date range) sequence: in every case
        each ticket has its own number, in creation order, formatted by the sequence."""
        sequence = self.env.ref("helpdesk_ticket.seq_helpdesk_ticket")
        Ticket = self.env["helpdesk.ticket"]

        def batch(label):
            return Ticket.create([{"name": f"{label} {i}", "channel": "api"} for i in range(4)]).mapped("number")

        Ticket._next_numbers(self.env.company, 1)  # the company and its sequence read once
        counts = []
        for count in (1, 25):
            self.env.invalidate_all()
            queries = self.cr.sql_log_count
            self.assertEqual(len(set(Ticket._next_numbers(self.env.company, count))), count)
            counts.append(self.cr.sql_log_count - queries)
        self.assertEqual(counts[0], counts[1], "25 numbers in as many queries as one")
        sequence.write({"prefix": "T%(year)s-", "padding": 3})
        numbers = batch("Standard")
        year = fields.Date.today().year
        self.assertEqual(len(set(numbers)), 4)
        self.assertTrue(all(n.startswith(f"T{year}-") and len(n.rpartition("-")[2]) >= 3 for n in numbers), numbers)
        self.assertEqual(numbers, sorted(numbers, key=lambda n: int(n.rpartition("-")[2])))
        sequence.write({"implementation": "no_gap", "prefix": "NG-"})
        first, *others = batch("No gap")
        self.assertEqual([int(n[3:]) for n in others], [int(first[3:]) + i for i in range(1, 4)], "no gap")
        sequence.write({"use_date_range": True, "prefix": "Y%(range_year)s/"})
        numbers = batch("Yearly")
        self.assertEqual(len(set(numbers)), 4)
        self.assertTrue(all(n.startswith(f"Y{year}/") for n in numbers), numbers)

    def test_number_is_never_rewritten(self):
        ticket = self._create_ticket()
        with self.assertRaises(UserError):
            ticket.write({"number": "HD-99999"})
        copy = ticket.copy()
        self.assertNotEqual(copy.number, ticket.number)

    def test_number_searchable(self):
        ticket = self._create_ticket(name="Keyboard missing keys")
        found = self.env["helpdesk.ticket"].name_search(ticket.number)
        self.assertIn(ticket.id, [r[0] for r in found])

    def test_default_stage_and_customer_fields(self):
        ticket = self._create_ticket()
        self.assertEqual(ticket.stage_id, self.stage_new)
        self.assertFalse(ticket.closed)
        self.assertEqual(ticket.partner_email, "carla@customer-corp.example")
        self.assertEqual(ticket.partner_name, "Carla Customer")
        self.assertEqual(ticket.commercial_partner_id, self.customer_company)
        self.assertEqual(ticket.company_id, self.department_a.company_id)
        self.assertIn(self.customer, ticket.message_partner_ids, "the customer follows the ticket")

    def test_customers_follow_their_own_tickets(self):
        """One batch: each customer follows their own ticket only, a customer with the
        external default subtypes, an employee with all default subtypes; a new
        customer written on a ticket follows it too, without duplicates."""
        Ticket = self.env["helpdesk.ticket"]
        employee = self.agent_b.partner_id
        self.env["mail.message.subtype"].create({
            "name": "Internal review (test)", "res_model": "helpdesk.ticket", "default": True, "internal": True,
        })
        tickets = Ticket.create([
            {"name": "Carla's", "department_id": self.department_a.id, "partner_id": self.customer.id},
            {"name": "Colin's", "department_id": self.department_a.id, "partner_id": self.customer_colleague.id},
            {"name": "Bob's", "department_id": self.department_a.id, "partner_id": employee.id},
            {"name": "Carla's second", "department_id": self.department_a.id, "partner_id": self.customer.id},
        ])
        default, _internal, external = self.env["mail.message.subtype"].default_subtypes("helpdesk.ticket")
        self.assertNotEqual(default, external)
        for ticket, partner in zip(tickets, (self.customer, self.customer_colleague, employee, self.customer)):
            followers = ticket.message_follower_ids.filtered(lambda f: f.partner_id in (
                self.customer | self.customer_colleague | employee))
            self.assertEqual(followers.partner_id, partner, ticket.name)
            self.assertEqual(followers.subtype_ids, external if partner.partner_share else default, ticket.name)
        tickets[0].partner_id = self.customer_colleague
        self.assertEqual(len(tickets[0].message_follower_ids.filtered(
            lambda f: f.partner_id == self.customer_colleague)), 1)
        tickets[1].partner_id = self.customer_colleague  # unchanged: no second follower
        self.assertEqual(len(tickets[1].message_follower_ids.filtered(
            lambda f: f.partner_id == self.customer_colleague)), 1)

    def test_department_followers_told_of_new_tickets(self):
        """Following a department (its default "Ticket Created" subtype) means being
        told of each new ticket; where nobody follows for that, the creation is only
        logged."""
        self.department_a.message_subscribe(partner_ids=self.manager.partner_id.ids)
        self.department_b.message_unsubscribe(partner_ids=self.manager.partner_id.ids)
        watched, quiet = self.env["helpdesk.ticket"].create([
            {"name": "Watched", "department_id": self.department_a.id, "partner_id": self.customer.id},
            {"name": "Quiet", "department_id": self.department_b.id, "partner_id": self.customer.id},
        ])
        created = watched.message_ids.filtered(lambda m: m.subtype_id == self.env.ref("helpdesk_ticket.mt_ticket_new"))
        self.assertEqual(len(created), 1)
        self.assertIn(self.manager.partner_id, created.notification_ids.res_partner_id,
                      "the department's follower is told")
        quiet_created = quiet.message_ids.filtered(lambda m: m.message_type == "notification")
        self.assertEqual(len(quiet_created), 1, "the creation is logged")
        self.assertEqual(quiet_created.subtype_id, self.env.ref("mail.mt_note"))
        self.assertFalse(quiet_created.notification_ids)

    def test_notifying_does_not_rewrite_the_ticket(self):
        """Each notification of a ticket's message puts the customer's portal link in
        the e-mails (access token, signup token). The ticket is not written (its
        token is given on creation): the jobs notifying tickets at once would lock
        its row against each other. (Odoo's signup preparation rewrites the
        customer's signup type on each notification of any portal document: that
        is Odoo's behaviour, left as it is; the acknowledgement job takes the
        customers in one order and retries a step in conflict.)"""
        self.env["ir.config_parameter"].sudo().set_param("auth_signup.invitation_scope", "b2c")
        ticket = self._create_ticket(partner_id=self.customer.id)
        self.assertTrue(ticket.access_token, "the ticket has its portal token from creation")
        self.assertNotEqual(ticket.access_token, self._create_ticket().access_token)
        message = ticket.message_post(body="Any news?", message_type="comment", subtype_xmlid="mail.mt_comment")

        def row_version(record):
            """The row's physical version (any UPDATE makes a new one), after its
            last write is dated yesterday: in this test's single transaction, a
            rewrite of the same values would otherwise change nothing."""
            self.env.flush_all()
            self.env.cr.execute(SQL(
                "UPDATE %s SET write_date = write_date - interval '1 day' WHERE id = %s RETURNING ctid",
                SQL.identifier(record._table), record.id,
            ))
            record.invalidate_recordset(["write_date"])
            return self.env.cr.fetchone()[0]

        def customer_link():
            groups = ticket._notify_get_recipients_groups(message, "Ticket")
            return next(group for group in groups if group[0] == "portal_customer")[2]["button_access"]["url"]

        def unchanged(record, version):
            self.env.flush_all()
            self.env.cr.execute(SQL("SELECT ctid FROM %s WHERE id = %s", SQL.identifier(record._table), record.id))
            return self.env.cr.fetchone()[0] == version

        ticket_version = row_version(ticket)
        first_link = customer_link()
        self.assertIn(f"access_token={ticket.access_token}", first_link)
        self.assertIn("auth_signup_token=", first_link)
        self.assertTrue(unchanged(ticket, ticket_version), "the ticket was written")
        ticket_version = row_version(ticket)
        self.assertEqual(customer_link(), first_link)
        self.assertTrue(unchanged(ticket, ticket_version), "the ticket was written")

    def test_partner_matched_from_email(self):
        ticket = self.env["helpdesk.ticket"].create({
            "name": "Phone call", "partner_email": "CARLA@customer-corp.example", "channel": "phone",
        })
        self.assertEqual(ticket.partner_id, self.customer)

    def test_date_assigned(self):
        ticket = self._create_ticket()
        self.assertFalse(ticket.date_assigned)
        ticket.user_id = self.agent_a
        self.assertTrue(ticket.date_assigned)

    def test_first_response_only_from_public_agent_reply(self):
        ticket = self._create_ticket()
        # customer message: not a response
        ticket.message_post(
            body="Any news?", author_id=self.customer.id, message_type="email", subtype_xmlid="mail.mt_comment",
        )
        self.assertFalse(ticket.date_first_response)
        self.assertTrue(ticket.date_last_customer_message)
        self.assertFalse(ticket.date_last_agent_message)
        # internal note by an agent: not a response
        ticket.with_user(self.agent_a).message_post(
            body="Checking logs", message_type="comment", subtype_xmlid="mail.mt_note",
        )
        self.assertFalse(ticket.date_first_response)
        self.assertFalse(ticket.date_last_agent_message)
        # public reply by an agent: first response
        with freeze_time("2026-03-02 10:00:00"):
            ticket.with_user(self.agent_a).message_post(
                body="We are on it", message_type="comment", subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(ticket.date_first_response, fields.Datetime.to_datetime("2026-03-02 10:00:00"))
        # a later reply does not move the first response
        with freeze_time("2026-03-02 12:00:00"):
            ticket.with_user(self.agent_a2).message_post(
                body="Fixed", message_type="comment", subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(ticket.date_first_response, fields.Datetime.to_datetime("2026-03-02 10:00:00"))
        self.assertEqual(ticket.date_last_agent_message, fields.Datetime.to_datetime("2026-03-02 12:00:00"))

    def test_portal_customer_reply_is_customer_message(self):
        portal_user = self._portal_user(self.customer, "hd_carla_portal")
        ticket = self._create_ticket()
        ticket.with_user(portal_user).message_post(
            body="Still broken", message_type="comment", subtype_xmlid="mail.mt_comment",
        )
        self.assertTrue(ticket.date_last_customer_message)
        self.assertFalse(ticket.date_first_response)

    def test_close_and_reopen(self):
        ticket = self._create_ticket()
        with freeze_time("2026-03-02 10:00:00"):
            ticket.action_close()
            ticket.flush_recordset()
        self.assertTrue(ticket.closed)
        self.assertEqual(ticket.stage_id, self.stage_resolved)
        self.assertEqual(ticket.date_closed, fields.Datetime.to_datetime("2026-03-02 10:00:00"))
        # moving between closed stages keeps the closing date
        ticket.stage_id = self.stage_cancelled
        self.assertEqual(ticket.date_closed, fields.Datetime.to_datetime("2026-03-02 10:00:00"))
        self.assertEqual(ticket.reopen_count, 0)
        ticket.action_reopen()
        self.assertFalse(ticket.closed)
        self.assertEqual(ticket.stage_id, self.stage_new)
        self.assertFalse(ticket.date_closed)
        self.assertEqual(ticket.reopen_count, 1)
        # reopening through the statusbar counts too
        ticket.stage_id = self.stage_resolved
        ticket.stage_id = self.stage_progress
        self.assertEqual(ticket.reopen_count, 2)
        # open -> open is not a reopen
        ticket.stage_id = self.stage_waiting
        self.assertEqual(ticket.reopen_count, 2)

    def test_department_counters(self):
        self._create_ticket(priority="3")
        self._create_ticket(user_id=self.agent_a.id)
        self._create_ticket(stage_id=self.stage_resolved.id)
        self._create_ticket(department_id=self.department_b.id)
        self.department_a.invalidate_recordset()
        self.assertEqual(self.department_a.open_ticket_count, 2)
        self.assertEqual(self.department_a.unassigned_ticket_count, 1)
        self.assertEqual(self.department_a.urgent_ticket_count, 1)
        self.assertEqual(self.department_b.open_ticket_count, 1)
        action = self.department_a.action_unassigned_tickets()
        self.assertEqual(self.env["helpdesk.ticket"].search_count(action["domain"]), 1)

    def test_outgoing_subject_carries_number(self):
        ticket = self._create_ticket(name="Broken screen")
        self.assertEqual(ticket._message_compute_subject(), f"[{ticket.number}] Broken screen")

    def test_stage_template_sent_on_entering_stage(self):
        template = self.env["mail.template"].create({
            "name": "Resolved notice",
            "model_id": self.env.ref("helpdesk_ticket.model_helpdesk_ticket").id,
            "subject": "Your ticket {{ object.number }} is resolved",
            "body_html": "<p>Resolved.</p>",
            "partner_to": "{{ object.partner_id.id }}",
        })
        self.stage_resolved.mail_template_id = template
        ticket = self._create_ticket()
        self.cr.flush()  # creation and the stage change happen in separate transactions in real life
        ticket.stage_id = self.stage_resolved
        self.env.flush_all()
        self.cr.flush()  # tracking (and its templates) is processed before commit
        ticket.invalidate_recordset(["message_ids"])
        messages = ticket.message_ids.filtered(lambda m: m.subject and "is resolved" in m.subject)
        self.assertEqual(len(messages), 1)
        self.assertIn(ticket.number, messages.subject)


class TestTicketNumberConcurrency(BaseCase):
    """Two real, concurrent transactions create tickets: numbers never collide."""

    def test_concurrent_numbering(self):
        db = get_db_name()
        registry = Registry(db)
        results, errors = {}, []
        barrier = threading.Barrier(2)

        def worker(key):
            try:
                with registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    barrier.wait(timeout=10)
                    tickets = env["helpdesk.ticket"].create([
                        {"name": f"Concurrent {key} {i}", "channel": "api"} for i in range(5)
                    ])
                    results[key] = tickets.mapped("number")
                    barrier.wait(timeout=10)  # both transactions are open at the same time
                    if key == "b":
                        cr.rollback()  # a rolled back transaction leaves a gap, never a duplicate
                        results[key] = []
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(key,)) for key in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        try:
            self.assertFalse(errors, errors)
            with registry.cursor() as cr:
                cr.execute(
                    "SELECT number, count(*) FROM helpdesk_ticket WHERE name LIKE 'Concurrent %%' "
                    "GROUP BY company_id, number HAVING count(*) > 1"
                )
                self.assertEqual(cr.fetchall(), [], "duplicate ticket numbers")
                cr.execute("SELECT count(*) FROM helpdesk_ticket WHERE name LIKE 'Concurrent a %%'")
                self.assertEqual(cr.fetchone()[0], 5)
                cr.execute("SELECT count(*) FROM helpdesk_ticket WHERE name LIKE 'Concurrent b %%'")
                self.assertEqual(cr.fetchone()[0], 0)
        finally:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["helpdesk.ticket"].with_context(active_test=False).search(
                    [("name", "like", "Concurrent %")]
                ).unlink()
