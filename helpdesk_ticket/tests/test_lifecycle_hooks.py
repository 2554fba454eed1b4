"""The lifecycle hooks of helpdesk.ticket (DESIGN.md, architecture rule 2): called
once each from create, write and message_post, with explicit arguments."""
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import HelpdeskCommon
from .lifecycle_common import CustomerMessageChannelCase, LifecycleHooksMixin


@tagged("post_install", "-at_install")
class TestLifecycleHooks(HelpdeskCommon, LifecycleHooksMixin):

    def test_on_created_once_for_the_batch_after_routing_and_assignment(self):
        self.department_b.assignment_method = "round_robin"
        self.env["helpdesk.routing.rule"].search([]).active = False
        self.env["helpdesk.routing.rule"].create({
            "name": "Invoices to B", "keywords": "invoice", "set_department_id": self.department_b.id,
        })
        # a stage of department A only: the routing moves the ticket to B's stages
        stage_a = self.env["helpdesk.stage"].create({
            "name": "A intake", "sequence": 0, "department_ids": [Command.set(self.department_a.ids)],
        })
        seen = {}

        def when_called(records):
            seen.update({t.id: (t.department_id, t.user_id, t.stage_id) for t in records})

        with self.spy_hook("_on_created", when_called) as created, \
                self.spy_hook("_on_stage_changed") as changed:
            tickets = self.env["helpdesk.ticket"].create([
                {"name": "Wrong invoice", "department_id": self.department_a.id, "partner_id": self.customer.id},
                {"name": "Printer", "department_id": self.department_a.id, "partner_id": self.customer.id},
            ])
        self.assertEqual(len(created), 1, "one call for the whole batch")
        self.assertEqual(created[0][0], tickets)
        self.assertEqual(seen[tickets[0].id], (self.department_b, self.agent_b, tickets[0].stage_id),
                         "called after routing and assignment")
        self.assertNotEqual(tickets[0].stage_id, stage_a)
        self.assertEqual(tickets[1].stage_id, stage_a)
        self.assertFalse(changed, "moving stages while being routed is part of the creation")

    def test_on_stage_changed_receives_previous_stages(self):
        ticket_new = self._create_ticket(name="New one")
        ticket_progress = self._create_ticket(name="In progress")
        ticket_progress.stage_id = self.stage_progress
        ticket_waiting = self._create_ticket(name="Waiting already")
        ticket_waiting.stage_id = self.stage_waiting
        tickets = ticket_new | ticket_progress | ticket_waiting
        with self.spy_hook("_on_stage_changed") as calls:
            tickets.write({"stage_id": self.stage_waiting.id})
        self.assertEqual(len(calls), 1, "called once for the batch")
        records, previous = calls[0]
        self.assertEqual(records, ticket_new | ticket_progress, "only the tickets whose stage changed")
        self.assertEqual(previous, {ticket_new.id: self.stage_new, ticket_progress.id: self.stage_progress})
        # the core remembers the stage before waiting from the hook
        self.assertEqual(ticket_new.stage_before_waiting_id, self.stage_new)
        self.assertEqual(ticket_progress.stage_before_waiting_id, self.stage_progress)
        # writing the same stage again, or other fields, is no stage change
        with self.spy_hook("_on_stage_changed") as calls:
            tickets.write({"stage_id": self.stage_waiting.id, "priority": "2"})
            tickets.write({"name": "Renamed"})
        self.assertFalse(calls)

    def test_on_stage_changed_by_a_new_department(self):
        """A department whose stages exclude the ticket's recomputes its stage: a
        real stage change."""
        stage_a = self.env["helpdesk.stage"].create({
            "name": "A triage", "sequence": 0, "department_ids": [Command.set(self.department_a.ids)],
        })
        ticket = self._create_ticket()
        ticket.stage_id = stage_a
        with self.spy_hook("_on_stage_changed") as calls:
            ticket.department_id = self.department_b
        self.assertNotEqual(ticket.stage_id, stage_a)
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0][1], {ticket.id: stage_a})

    def test_reopen_counted_by_the_stage_hook(self):
        ticket = self._create_ticket()
        ticket.action_close()
        with self.spy_hook("_on_stage_changed") as calls:
            ticket.stage_id = self.stage_progress
        self.assertEqual(calls[0][1], {ticket.id: self.stage_resolved})
        self.assertEqual(ticket.reopen_count, 1)

    def test_agent_message_hook(self):
        ticket = self._create_ticket()
        ticket.stage_id = self.stage_waiting
        with self.spy_hook("_on_agent_message") as agent_calls, \
                self.spy_hook("_on_customer_message") as customer_calls:
            message = ticket.with_user(self.agent_a).message_post(
                body="Could you send the log?", message_type="comment", subtype_xmlid="mail.mt_comment",
            )
            ticket.with_user(self.agent_a).message_post(
                body="internal", message_type="comment", subtype_xmlid="mail.mt_note",
            )
            ticket.message_post(body="a note by the customer", author_id=self.customer.id,
                                message_type="comment", subtype_xmlid="mail.mt_note")
        self.assertEqual(len(agent_calls), 1, "only the public agent message")
        self.assertEqual(agent_calls[0][1], message)
        self.assertFalse(customer_calls, "an internal note reaches no hook")
        self.assertEqual(ticket.date_first_response, message.date)
        self.assertEqual(ticket.date_last_agent_message, message.date)
        self.assertFalse(ticket.date_last_customer_message)
        self.assertEqual(ticket.stage_id, self.stage_waiting, "only the customer's message resumes the ticket")

    def test_customer_message_after_reopen_window(self):
        ticket = self._create_ticket()
        ticket.action_close()
        ticket.department_id.reopen_days = 3
        ticket.date_closed = fields.Datetime.now() - timedelta(days=4)
        message = ticket.message_post(body="Hello again", author_id=self.customer.id,
                                      message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertTrue(ticket.closed, "closed for longer than the reopen window: stays closed")
        self.assertEqual(ticket.date_last_customer_message, message.date)
        self.assertEqual(ticket.reopen_count, 0)

    def test_waiting_ticket_back_to_an_open_stage_when_its_stage_is_gone(self):
        ticket = self._create_ticket()
        ticket.stage_id = self.stage_progress
        ticket.stage_id = self.stage_waiting
        self.stage_progress.active = False
        ticket.message_post(body="Done", author_id=self.customer.id,
                            message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertEqual(ticket.stage_id, self.stage_new, "the first open stage of the department")


@tagged("post_install", "-at_install")
class TestBackendCustomerMessage(HelpdeskCommon, CustomerMessageChannelCase):
    """The backend and the API: ``message_post`` with the customer as author."""

    def _customer_writes(self, ticket, text):
        return ticket.message_post(
            body=text, author_id=self.customer.id, message_type="comment", subtype_xmlid="mail.mt_comment",
        )
