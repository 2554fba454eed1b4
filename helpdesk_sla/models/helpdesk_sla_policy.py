from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, ValidationError

from odoo.addons.helpdesk_ticket.models.helpdesk_ticket import PRIORITIES
from odoo.addons.helpdesk_ticket.tools.channels import ticket_channel_selection

#: (target, field of the policy holding its hours)
TARGET_FIELDS = [
    ("first_response", "first_response_hours"),
    ("next_response", "next_response_hours"),
    ("resolution", "resolution_hours"),
]


class HelpdeskSlaPolicy(models.Model):
    _name = "helpdesk.sla.policy"
    _inherit = ["helpdesk.cached.config.mixin"]
    _description = "Helpdesk SLA Policy"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
        compute="_compute_company_id", store=True, readonly=False, precompute=True,
    )
    # -- conditions ------------------------------------------------------
    department_id = fields.Many2one(
        "helpdesk.department", string="Department", index=True, check_company=True,
        help="Tickets of this department only. Leave empty for every department of the company.",
    )
    priority = fields.Selection(
        PRIORITIES, string="Minimum Priority", default="0", required=True,
        help="The policy applies to tickets of this priority or higher.",
    )
    type_ids = fields.Many2many(
        "helpdesk.ticket.type", string="Types", help="Tickets of one of these types. Empty: any type."
    )
    tag_ids = fields.Many2many(
        "helpdesk.tag", string="Tags", help="Tickets with at least one of these tags. Empty: any tags."
    )
    partner_ids = fields.Many2many(
        "res.partner", string="Customers", domain="['|', ('is_company', '=', True), ('parent_id', '=', False)]",
        help="Tickets of these customers (their company and its contacts). Empty: every customer.",
    )
    channel = fields.Selection(
        ticket_channel_selection, help="Tickets received on this channel. Empty: every channel.",
    )
    # -- targets ---------------------------------------------------------
    first_response_hours = fields.Float(
        "First Response (hours)", help="Working hours from the creation to the first public agent reply. 0: no target."
    )
    next_response_hours = fields.Float(
        "Next Response (hours)",
        help="Working hours from each customer message (after the first response) to the agent's reply. 0: no target.",
    )
    resolution_hours = fields.Float(
        "Resolution (hours)", help="Working hours from the creation to a resolution stage. 0: no target."
    )
    warning_percent = fields.Integer(
        "Warning at (%)", default=75,
        help="Warn the assignee when this share of the target has elapsed. 0: no warning.",
    )
    # -- escalation ------------------------------------------------------
    escalate_priority = fields.Selection(
        PRIORITIES, string="Raise Priority to",
        help="When a target is missed, raise the ticket's priority to at least this level.",
    )
    escalate_user_id = fields.Many2one(
        "res.users", string="Reassign to",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="When a target is missed, assign the ticket to this user.",
    )
    escalate_notify_manager = fields.Boolean(
        "Notify the Department Manager", default=True,
        help="When a target is missed, notify the manager of the ticket's department.",
    )
    line_ids = fields.One2many("helpdesk.ticket.sla", "policy_id", string="SLA Lines")

    _sql_constraints = [
        (
            "hours_positive",
            "CHECK(first_response_hours >= 0 AND next_response_hours >= 0 AND resolution_hours >= 0)",
            "SLA targets cannot be negative.",
        ),
        (
            "warning_percent_range",
            "CHECK(warning_percent >= 0 AND warning_percent < 100)",
            "The warning must be given before the deadline (0-99 %).",
        ),
    ]

    @api.depends("department_id")
    def _compute_company_id(self):
        for policy in self:
            if policy.department_id:
                policy.company_id = policy.department_id.company_id
            elif not policy.company_id:
                policy.company_id = self.env.company

    @api.constrains("name", "first_response_hours", "next_response_hours", "resolution_hours")
    def _check_has_target(self):
        for policy in self:
            if not any(policy[fname] for _target, fname in TARGET_FIELDS):
                raise ValidationError(self.env._("The SLA policy %s needs at least one target.", policy.name))

    def _targets(self, include_next=False):
        """[(target, hours)] of the policy with a positive target."""
        self.ensure_one()
        return [
            (target, self[fname])
            for target, fname in TARGET_FIELDS
            if self[fname] > 0 and (include_next or target != "next_response")
        ]

    def _matches(self, ticket):
        """Whether the policy applies to ``ticket``."""
        self.ensure_one()
        return bool(self._sla_conditions_match(self._sla_conditions(), ticket))

    def _sla_conditions(self):
        """The conditions and targets of the policy as plain values, the form kept
        per worker by ``_sla_policy_conditions``."""
        self.ensure_one()
        return {
            "id": self.id,
            "company_id": self.company_id.id,
            "department_id": self.department_id.id,
            "priority": self.priority,
            "type_ids": frozenset(self.type_ids.ids),
            "tag_ids": frozenset(self.tag_ids.ids),
            "partner_ids": frozenset(self.partner_ids.ids),
            "channel": self.channel or False,
            "targets": tuple(self._targets()),
            "next_response_hours": self.next_response_hours,
        }

    @api.model
    def _sla_conditions_match(self, conditions, ticket):
        """Whether the policy of ``conditions`` (``_sla_conditions``) applies to
        ``ticket``, in plain Python."""
        return (
            conditions["company_id"] == ticket.company_id.id
            and (not conditions["department_id"] or conditions["department_id"] == ticket.department_id.id)
            and ticket.priority >= conditions["priority"]
            and (not conditions["type_ids"] or ticket.type_id.id in conditions["type_ids"])
            and (not conditions["tag_ids"] or not conditions["tag_ids"].isdisjoint(ticket.tag_ids.ids))
            and (not conditions["partner_ids"] or ticket.commercial_partner_id.id in conditions["partner_ids"])
            and (not conditions["channel"] or conditions["channel"] == ticket.channel)
        )

    @api.model
    @tools.ormcache("company_ids")
    def _sla_policy_conditions(self, company_ids):
        """The active policies of the companies ``company_ids`` (a sorted tuple), in
        order, as plain values (``_sla_conditions``): every new ticket and customer
        reply matches them, without reading a policy. Cached per worker, cleared when
        a policy is created, changed or deleted (and when a tag or a type one names
        is deleted)."""
        policies = self.sudo().with_context(active_test=True).search([("company_id", "in", list(company_ids))])
        return tuple(policy._sla_conditions() for policy in policies)

    def write(self, vals):
        res = super().write(vals)
        if {"first_response_hours", "next_response_hours", "resolution_hours", "warning_percent"} & vals.keys():
            # targets of open lines follow the policy
            self.env["helpdesk.ticket.sla"].sudo().search(
                [("policy_id", "in", self.ids), ("status", "in", ("ongoing", "paused"))]
            )._sync_targets_from_policy()
        return res

    def action_apply_open_tickets(self):
        """Apply the policies to the open tickets that exist already (their
        clocks start at the ticket's creation)."""
        if not self.env.user.has_group("helpdesk_ticket.group_helpdesk_manager"):
            raise AccessError(self.env._("Only helpdesk managers can apply SLA policies to existing tickets."))
        self.check_access("write")
        tickets = self.env["helpdesk.ticket"].sudo().search(
            [("closed", "=", False), ("company_id", "in", self.company_id.ids)]
        )
        tickets._sla_apply()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._("SLA policies applied to %s open tickets.", len(tickets)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
