from odoo import api, fields, models


class HelpdeskDepartment(models.Model):
    _name = "helpdesk.department"
    _description = "Helpdesk Department"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    color = fields.Integer("Color Index")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    description = fields.Html(
        translate=True, help="Shown to customers on the portal when they choose a department."
    )
    manager_id = fields.Many2one(
        "res.users",
        string="Manager",
        tracking=True,
        domain=lambda self: [("groups_id", "in", self.env.ref("helpdesk_ticket.group_helpdesk_agent").id)],
    )
    member_ids = fields.Many2many(
        "res.users",
        "helpdesk_department_member_rel",
        "department_id",
        "user_id",
        string="Agents",
        domain=lambda self: [("groups_id", "in", self.env.ref("helpdesk_ticket.group_helpdesk_agent").id)],
    )
    portal_published = fields.Boolean(
        "Published on Portal", default=True,
        help="Customers can choose this department when they submit a ticket on the portal.",
    )
    visibility = fields.Selection(
        [("members", "Department members"), ("all_agents", "All helpdesk agents")],
        default="members",
        required=True,
        help="Who may see the tickets of this department: only its members (and the manager), "
        "or every helpdesk agent.",
    )
    assignment_method = fields.Selection(
        [
            ("manual", "Manual"),
            ("round_robin", "Round robin"),
            ("balanced", "Balanced (fewest open tickets)"),
            ("longest_idle", "Longest idle"),
            ("sticky", "Sticky (same agent per customer)"),
            ("random_online", "Random online agent"),
        ],
        default="manual",
        required=True,
        tracking=True,
    )
    assign_only_online = fields.Boolean(
        "Only Online Agents",
        help="Automatic assignment only picks agents who are online; tickets stay unassigned "
        "when nobody is.",
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        default=lambda self: self.env.company.resource_calendar_id,
        help="Business hours (and public holidays) used for SLA deadlines and reports.",
    )
    reopen_days = fields.Integer(
        "Reopen Window (days)",
        default=7,
        help="A customer reply within this many days of closing reopens the ticket; "
        "a later reply opens a new ticket linked to the old one.",
    )
    ticket_ids = fields.One2many("helpdesk.ticket", "department_id", string="Tickets")
    open_ticket_count = fields.Integer(compute="_compute_ticket_counts")
    unassigned_ticket_count = fields.Integer(compute="_compute_ticket_counts")
    urgent_ticket_count = fields.Integer(compute="_compute_ticket_counts")

    _sql_constraints = [
        ("reopen_days_positive", "CHECK(reopen_days >= 0)", "The reopen window cannot be negative."),
    ]

    def _compute_ticket_counts(self):
        """Counters of the overview cards: one grouped query for all departments."""
        counts = {dep_id: {"open": 0, "unassigned": 0, "urgent": 0} for dep_id in self.ids}
        if self.ids:
            groups = self.env["helpdesk.ticket"]._read_group(
                [("department_id", "in", self.ids), ("closed", "=", False)],
                groupby=["department_id", "user_id", "priority"],
                aggregates=["__count"],
            )
            for department, user, priority, count in groups:
                bucket = counts[department.id]
                bucket["open"] += count
                if not user:
                    bucket["unassigned"] += count
                if priority == "3":
                    bucket["urgent"] += count
        for department in self:
            bucket = counts.get(department.id) or {"open": 0, "unassigned": 0, "urgent": 0}
            department.open_ticket_count = bucket["open"]
            department.unassigned_ticket_count = bucket["unassigned"]
            department.urgent_ticket_count = bucket["urgent"]

    # ------------------------------------------------------------------
    # Assignment
    # ------------------------------------------------------------------
    def _assign_ticket(self, ticket):
        """Return the agent (res.users) who should receive ``ticket``, according to
        the department's assignment method, or an empty recordset.

        The department row is locked for the rest of the transaction so that two
        workers assigning in the same department choose one after the other.
        """
        self.ensure_one()
        return self.env["res.users"]

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _action_tickets(self, domain, name):
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_ticket.helpdesk_ticket_action")
        action.update(
            name=name,
            domain=[("department_id", "=", self.id)] + domain,
            context={"default_department_id": self.id, "search_default_department_id": False},
        )
        return action

    def action_open_tickets(self):
        self.ensure_one()
        return self._action_tickets([("closed", "=", False)], self.env._("Open tickets of %s", self.name))

    def action_unassigned_tickets(self):
        self.ensure_one()
        return self._action_tickets(
            [("closed", "=", False), ("user_id", "=", False)],
            self.env._("Unassigned tickets of %s", self.name),
        )

    def action_urgent_tickets(self):
        self.ensure_one()
        return self._action_tickets(
            [("closed", "=", False), ("priority", "=", "3")],
            self.env._("Urgent tickets of %s", self.name),
        )
