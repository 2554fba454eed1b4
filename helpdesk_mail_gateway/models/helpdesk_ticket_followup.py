"""Follow-up tickets: a customer who answers a ticket closed for longer than its
department's reopen window gets a new ticket linked to the old one (the routing in
mail_thread.py decides; this file keeps the link and tells both chatters)."""

from markupsafe import Markup

from odoo import fields, models
from odoo.tools.misc import format_datetime


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    parent_ticket_id = fields.Many2one(
        "helpdesk.ticket", string="Follow-up of", index="btree_not_null", copy=False, readonly=True,
        help="Closed ticket this one continues: the customer answered it after its reopen window.",
    )
    followup_ticket_ids = fields.One2many("helpdesk.ticket", "parent_ticket_id", string="Follow-up Tickets")
    followup_ticket_count = fields.Integer(compute="_compute_followup_ticket_count")

    def _compute_followup_ticket_count(self):
        counts = dict(
            self.with_context(active_test=False)._read_group(
                [("parent_ticket_id", "in", self.ids)], ["parent_ticket_id"], ["__count"]
            )
        ) if self.ids else {}
        for ticket in self:
            ticket.followup_ticket_count = counts.get(ticket, 0)

    def action_open_followup_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_ticket.helpdesk_ticket_action")
        action.update(
            name=self.env._("Follow-ups of %s", self.display_name),
            domain=[("parent_ticket_id", "=", self.id)],
            context={"active_test": False},
        )
        return action

    def _helpdesk_log_followup(self):
        """A new ticket that follows up a closed one (``parent_ticket_id``): both
        chatters say so."""
        for ticket in self.filtered("parent_ticket_id"):
            parent = ticket.parent_ticket_id
            ticket._message_log(body=Markup(self.env._(
                "Follow-up of %(ticket)s, closed on %(date)s: the customer wrote after its reopen window.",
                ticket=parent._get_html_link(title=parent.display_name),
                date=format_datetime(self.env, parent.date_closed, dt_format="short"),
            )))
            parent._message_log(body=Markup(self.env._(
                "The customer wrote again after the reopen window: follow-up ticket %(ticket)s.",
                ticket=ticket._get_html_link(title=ticket.display_name),
            )))
