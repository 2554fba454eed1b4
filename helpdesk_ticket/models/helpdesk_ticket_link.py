from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import is_html_empty

AGENT_GROUP = "helpdesk_ticket.group_helpdesk_agent"


class HelpdeskTicket(models.Model):
    """Linked tickets (the data-model contract's ``parent_id`` / ``child_ids`` and
    ``is_problem`` / ``problem_id`` / ``incident_ids``), kept apart from the ticket's
    lifecycle in helpdesk_ticket.py.

    - A child ticket is work handed to another department (e.g. Finance) while the
      parent keeps its owner and its customer: the customer sees the parent only
      (record rule ``helpdesk_ticket_child_customer_rule``, portal controller) and is
      never a recipient of a child's messages (``_notify_get_recipients``).
    - A problem gathers the incidents of many customers with one cause: solving the
      problem posts its resolution on every open incident (each customer in their own
      thread) and closes them.

    Every field here is for agents only: portal users read tickets, not their links."""

    _inherit = "helpdesk.ticket"

    parent_id = fields.Many2one(
        "helpdesk.ticket", string="Parent Ticket", index="btree_not_null", copy=False, tracking=True,
        ondelete="set null", groups=AGENT_GROUP,
        help="The ticket this one was handed off from; its customer sees the parent only.",
    )
    child_ids = fields.One2many(
        "helpdesk.ticket", "parent_id", string="Sub-tickets", groups=AGENT_GROUP,
        help="Work handed to other departments; each is visible per its department's visibility.",
    )
    child_count = fields.Integer("Sub-ticket Count", compute="_compute_link_counts", groups=AGENT_GROUP)
    is_problem = fields.Boolean(
        "Is a Problem", copy=False, tracking=True, groups=AGENT_GROUP,
        help="One cause behind the incidents of several customers: solving it solves its incidents.",
    )
    problem_id = fields.Many2one(
        "helpdesk.ticket", string="Incident of", index="btree_not_null", copy=False, tracking=True,
        ondelete="set null", domain="[('is_problem', '=', True), ('id', '!=', id)]", groups=AGENT_GROUP,
        help="The problem causing this incident: its resolution is posted here when it is solved.",
    )
    incident_ids = fields.One2many(
        "helpdesk.ticket", "problem_id", string="Incidents", groups=AGENT_GROUP,
    )
    incident_count = fields.Integer("Incident Count", compute="_compute_link_counts", groups=AGENT_GROUP)
    problem_resolution = fields.Html(
        "Resolution for the Customers", sanitize=True, copy=False, groups=AGENT_GROUP,
        help="Posted to the customer of every open incident when the problem is solved.",
    )

    @api.depends("child_ids", "incident_ids")
    def _compute_link_counts(self):
        """The sub-tickets and incidents the user may see (record rules apply): two
        grouped queries for the whole batch."""
        counts = {"parent_id": {}, "problem_id": {}}
        ids = [ticket_id for ticket_id in self.ids if ticket_id]
        if ids:
            for field_name, by_ticket in counts.items():
                for linked, count in self._read_group([(field_name, "in", ids)], [field_name], ["__count"]):
                    by_ticket[linked.id] = count
        for ticket in self:
            ticket.child_count = counts["parent_id"].get(ticket._origin.id, 0)
            ticket.incident_count = counts["problem_id"].get(ticket._origin.id, 0)

    def _link_label(self, linked):
        """How a message names ``linked`` (a ticket named by its id in a link): its name
        when the user may read it, else a neutral word, so that the messages of a refused
        link tell nothing of a ticket of another department or company."""
        if linked.with_env(self.env).has_access("read"):
            return linked.display_name
        return self.env._("a ticket you cannot see")

    def _check_link_company(self, ticket, linked):
        """A link stays within a company: solving a problem writes on its incidents and a
        sub-ticket's messages go to the parent's team, as superuser (another company's
        agents would close or read tickets they cannot see)."""
        if linked and linked.company_id != ticket.company_id:
            raise ValidationError(self.env._(
                "Ticket %(ticket)s can only be linked to a ticket of its own company.",
                ticket=self._link_label(ticket),
            ))

    @api.constrains("parent_id")
    def _check_parent_id(self):
        for ticket in self.sudo().filtered("parent_id"):
            if ticket.parent_id == ticket:
                raise ValidationError(self.env._("Ticket %s cannot be its own parent.", self._link_label(ticket)))
            self._check_link_company(ticket, ticket.parent_id)
        if self.sudo()._has_cycle("parent_id"):
            raise ValidationError(self.env._(
                "These links would make a cycle: a ticket cannot be the parent of one of its own parents."
            ))

    @api.constrains("problem_id", "is_problem")
    def _check_problem_id(self):
        label = self._link_label
        for ticket in self.sudo():
            problem = ticket.problem_id
            if problem == ticket:
                raise ValidationError(self.env._(
                    "Ticket %s cannot be an incident of itself.", label(ticket)
                ))
            self._check_link_company(ticket, problem)
            if problem and not problem.is_problem:
                raise ValidationError(self.env._(
                    "%(problem)s is not marked as a problem: incidents can only be linked to a problem.",
                    problem=label(problem),
                ))
            if ticket.is_problem and problem:
                raise ValidationError(self.env._(
                    "%(ticket)s is a problem: it cannot be an incident of another problem (%(problem)s).",
                    ticket=label(ticket), problem=label(problem),
                ))
            if not ticket.is_problem and ticket.incident_ids:
                raise ValidationError(self.env._(
                    "%s has incidents: unlink them before it stops being a problem.", label(ticket)
                ))

    # ------------------------------------------------------------------
    # Lifecycle: a solved problem solves its incidents
    # ------------------------------------------------------------------
    def _on_stage_changed(self, previous_stages):
        super()._on_stage_changed(previous_stages)
        solved = self.sudo().filtered(
            lambda t: t.is_problem and t.closed and not previous_stages[t.id].closed
        )
        if solved:
            solved._solve_incidents()

    def _solve_incidents(self):
        """Post the resolution of these solved problems on each open incident, as a
        public message of the agent who solved it (each customer is notified in the
        thread of their own ticket, nothing of the problem is shown), then close the
        incidents. Called in sudo: the agent solving a problem may not see every
        incident (other departments)."""
        author = self.env.user.partner_id
        for problem in self:
            incidents = problem.incident_ids.filtered(lambda t: not t.closed and t.active)
            if not incidents:
                continue
            resolution = problem.problem_resolution
            for incident in incidents:
                body = resolution
                if is_html_empty(body):
                    # the standard sentence in the customer's language
                    customer_env = self.with_context(lang=incident.partner_id.lang or self.env.lang).env
                    body = Markup("<p>%s</p>") % customer_env._(
                        "The issue behind your request has been solved. Please reply if it still happens."
                    )
                incident.message_post(
                    body=body, author_id=author.id, message_type="comment", subtype_xmlid="mail.mt_comment",
                )
            incidents.action_close()
            problem.message_post(
                body=self.env._("Solved: the resolution was sent to %(count)s incidents, now closed.",
                                count=len(incidents)),
                subtype_xmlid="mail.mt_note",
            )

    # ------------------------------------------------------------------
    # Mail: the customer is never told of a sub-ticket
    # ------------------------------------------------------------------
    def _notify_get_recipients(self, message, msg_vals=False, **kwargs):
        recipients = super()._notify_get_recipients(message, msg_vals=msg_vals, **kwargs)
        if len(self) == 1 and self.sudo().parent_id:
            # a sub-ticket is internal work: only internal users are notified
            # (a customer following it, e.g. a ticket linked by hand, is not)
            recipients = [recipient for recipient in recipients if not recipient.get("share")]
        return recipients

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_open_handoff(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Hand Off to Another Department"),
            "res_model": "helpdesk.ticket.handoff",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_ticket_id": self.id},
        }

    def _linked_tickets_action(self, domain, name, context):
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_ticket.helpdesk_ticket_action_all")
        action.update({
            "name": name, "domain": domain, "context": context,
            "view_mode": "list,form,kanban", "views": [(False, "list"), (False, "form"), (False, "kanban")],
        })
        return action

    def action_open_children(self):
        self.ensure_one()
        return self._linked_tickets_action(
            [("parent_id", "=", self.id)], self.env._("Sub-tickets of %s", self.number),
            {"default_parent_id": self.id},
        )

    def action_open_incidents(self):
        self.ensure_one()
        return self._linked_tickets_action(
            [("problem_id", "=", self.id)], self.env._("Incidents of %s", self.number),
            {"default_problem_id": self.id},
        )
