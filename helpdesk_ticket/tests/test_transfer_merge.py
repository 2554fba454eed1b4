import base64

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import HelpdeskCommon


@tagged("post_install", "-at_install")
class TestTransfer(HelpdeskCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["helpdesk.routing.rule"].search([]).active = False
        cls.department_b.assignment_method = "round_robin"

    def _transfer(self, user, tickets, department, reason="Billing question"):
        wizard = self.env["helpdesk.ticket.transfer"].with_user(user).with_context(
            active_model="helpdesk.ticket", active_ids=tickets.ids,
        ).create({"department_id": department.id, "reason": reason})
        self.assertEqual(wizard.ticket_ids, tickets)
        return wizard.action_transfer()

    def test_transfer_moves_reassigns_logs_and_notifies(self):
        ticket = self._create_ticket(user_id=self.agent_a.id)
        ticket.message_post(body="Customer says hello", message_type="comment", subtype_xmlid="mail.mt_note")
        old_messages = ticket.message_ids
        self.cr.flush()  # creation tracking is processed before commit
        self._transfer(self.agent_a, ticket, self.department_b, reason="Invoice address is wrong")
        self.assertEqual(ticket.department_id, self.department_b)
        self.assertEqual(ticket.user_id, self.agent_b, "re-assigned by the target department's method")
        self.assertTrue(old_messages <= ticket.message_ids, "the history is kept")
        log = ticket.message_ids.filtered(lambda m: "Transferred from" in (m.body or ""))
        self.assertEqual(len(log), 1)
        self.assertIn("Invoice address is wrong", log.body)
        self.assertIn(self.department_a.name, log.body)
        self.assertIn(self.department_b.name, log.body)
        self.assertEqual(log.author_id, self.agent_a.partner_id)
        self.assertTrue(log.subtype_id.internal, "the reason is an internal note")
        self.assertIn(self.agent_b.partner_id, log.notified_partner_ids, "the target members are notified")
        self.assertNotIn(self.customer, log.notified_partner_ids)
        # the department change is tracked too
        self.cr.flush()
        tracked = ticket.message_ids.tracking_value_ids.filtered(lambda t: t.field_id.name == "department_id")
        self.assertTrue(tracked)

    def test_transfer_to_manual_department_leaves_unassigned(self):
        self.department_b.assignment_method = "manual"
        ticket = self._create_ticket(user_id=self.agent_a.id)
        self._transfer(self.manager, ticket, self.department_b)
        self.assertFalse(ticket.user_id)
        self.assertEqual(ticket.department_id, self.department_b)

    def test_transfer_closed_ticket_is_not_reassigned(self):
        ticket = self._create_ticket(user_id=self.agent_a.id)
        ticket.action_close()
        self._transfer(self.manager, ticket, self.department_b)
        self.assertFalse(ticket.user_id)
        self.assertTrue(ticket.closed)

    def test_transfer_needs_access_to_the_ticket(self):
        ticket = self._create_ticket()
        # agent_b is no member of department A (members only)
        with self.assertRaises(AccessError):
            self._transfer(self.agent_b, ticket, self.department_b)
        self.assertEqual(ticket.department_id, self.department_a)

    def test_transfer_across_companies_refused(self):
        other_company = self.env["res.company"].create({"name": "Other Co (transfer)"})
        foreign = self.env["helpdesk.department"].create({"name": "Foreign", "company_id": other_company.id})
        ticket = self._create_ticket()
        with self.assertRaises(UserError):
            self._transfer(self.manager.sudo(), ticket, foreign)


@tagged("post_install", "-at_install")
class TestMerge(HelpdeskCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["helpdesk.routing.rule"].search([]).active = False
        cls.tag_1 = cls.env["helpdesk.tag"].create({"name": "merge tag 1"})
        cls.tag_2 = cls.env["helpdesk.tag"].create({"name": "merge tag 2"})

    def _wizard(self, user, tickets):
        return self.env["helpdesk.ticket.merge"].with_user(user).with_context(
            active_model="helpdesk.ticket", active_ids=tickets.ids,
        ).create({})

    def test_merge_moves_messages_attachments_followers(self):
        target = self._create_ticket(name="Printer broken", tag_ids=[Command.set(self.tag_1.ids)])
        duplicate = self._create_ticket(
            name="Printer still broken", partner_id=self.customer_colleague.id, priority="3",
            tag_ids=[Command.set(self.tag_2.ids)],
        )
        other = self._create_ticket(name="Unrelated", partner_id=self.other_customer.id)
        attachment = self.env["ir.attachment"].create({
            "name": "photo.png", "datas": base64.b64encode(b"fake png"),
            "res_model": "helpdesk.ticket", "res_id": duplicate.id,
        })
        message = duplicate.message_post(
            body="It makes a strange noise", author_id=self.customer_colleague.id,
            message_type="email", subtype_xmlid="mail.mt_comment", attachment_ids=attachment.ids,
        )
        watcher = self.env["res.partner"].create({"name": "Walter Watcher", "email": "walter@example.com"})
        duplicate.message_subscribe(partner_ids=watcher.ids)
        activity = duplicate.activity_schedule("mail.mail_activity_data_todo", user_id=self.agent_a.id)
        duplicate_messages = duplicate.message_ids

        wizard = self._wizard(self.agent_a, target)
        self.assertIn(duplicate, wizard.suggested_ticket_ids, "same customer company")
        self.assertNotIn(other, wizard.suggested_ticket_ids)
        wizard.action_add_suggestions()
        self.assertIn(duplicate, wizard.ticket_ids)
        self.assertEqual(wizard.target_ticket_id, target, "the oldest ticket is kept by default")
        wizard.ticket_ids = [Command.set((target | duplicate).ids)]
        action = wizard.action_merge()
        self.assertEqual(action["res_id"], target.id)

        # the duplicate is archived and points to the target
        self.assertFalse(duplicate.active)
        self.assertEqual(duplicate.merged_into_id, target)
        # messages (with their authors and dates), attachments, activity, followers moved
        self.assertEqual(message.res_id, target.id)
        self.assertEqual(message.author_id, self.customer_colleague)
        self.assertTrue(duplicate_messages <= target.message_ids)
        self.assertEqual(attachment.res_id, target.id)
        self.assertEqual(activity.res_id, target.id)
        self.assertIn(watcher, target.message_partner_ids)
        self.assertIn(self.customer_colleague, target.message_partner_ids)
        self.assertNotIn(watcher, duplicate.message_partner_ids)
        self.assertIn(self.tag_2, target.tag_ids)
        self.assertEqual(target.priority, "3")
        # a link on both sides
        self.assertTrue(duplicate.message_ids.filtered(
            lambda m: "Merged into" in (m.body or "") and f'data-oe-id="{target.id}"' in m.body
        ))
        self.assertTrue(target.message_ids.filtered(
            lambda m: "into this ticket" in (m.body or "") and f'data-oe-id="{duplicate.id}"' in m.body
        ))
        # merged tickets are no longer suggested or mergeable
        self.assertNotIn(duplicate, self._wizard(self.agent_a, target).suggested_ticket_ids)

    def test_merge_several_into_chosen_target(self):
        first = self._create_ticket(name="A")
        second = self._create_ticket(name="B")
        third = self._create_ticket(name="C")
        wizard = self._wizard(self.agent_a, first | second | third)
        wizard.target_ticket_id = third
        wizard.action_merge()
        self.assertEqual((first | second).merged_into_id, third)
        self.assertTrue(third.active)
        self.assertFalse(first.active or second.active)

    def test_merge_refusals(self):
        first = self._create_ticket(name="A")
        with self.assertRaises(UserError):
            self._wizard(self.agent_a, first).action_merge()
        second = self._create_ticket(name="B")
        # agent_b cannot see department A's tickets: no merging them
        with self.assertRaises(AccessError):
            self._wizard(self.agent_b, first | second).action_merge()
        self.assertTrue(second.active)
        self._wizard(self.agent_a, first | second).action_merge()
        third = self._create_ticket(name="C")
        with self.assertRaises(UserError):
            self._wizard(self.agent_a, second.with_context(active_test=False) | third).action_merge()


@tagged("post_install", "-at_install")
class TestCloseReopen(HelpdeskCommon):

    def test_close_and_reopen(self):
        ticket = self._create_ticket()
        ticket.with_user(self.agent_a).action_close()
        self.assertTrue(ticket.closed)
        self.assertEqual(ticket.stage_id, self.stage_resolved)
        self.assertTrue(ticket.date_closed)
        ticket.with_user(self.agent_a).action_reopen()
        self.assertFalse(ticket.closed)
        self.assertEqual(ticket.stage_id, self.stage_new, "back to the first open stage")
        self.assertFalse(ticket.date_closed)
        self.assertEqual(ticket.reopen_count, 1)
        self.assertTrue(ticket.message_ids.filtered(lambda m: "reopened" in (m.body or "")))

    def test_any_closed_stage_locks_and_reopens(self):
        ticket = self._create_ticket(stage_id=self.stage_progress.id)
        ticket.stage_id = self.stage_cancelled
        self.assertTrue(ticket.closed)
        self.assertTrue(ticket.date_closed)
        ticket.action_close()  # already closed: nothing moves
        self.assertEqual(ticket.stage_id, self.stage_cancelled)
        ticket.action_reopen()
        self.assertEqual(ticket.stage_id, self.stage_new)
        ticket.action_close()
        ticket.action_reopen()
        self.assertEqual(ticket.reopen_count, 2)
