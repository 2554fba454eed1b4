import random
from datetime import datetime

from odoo import api, fields, models
from odoo.tools import SQL


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
    round_robin_sequence_id = fields.Many2one(
        "ir.sequence", string="Round-Robin Sequence", compute="_compute_round_robin_sequence_id",
        store=True, readonly=True, copy=False, ondelete="restrict",
        help="Position of the department's round robin (a standard, non-transactional sequence).",
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
    # custom fields of the department's tickets (values: helpdesk.ticket.ticket_properties)
    ticket_properties_definition = fields.PropertiesDefinition("Ticket Custom Fields")
    open_ticket_count = fields.Integer(compute="_compute_ticket_counts")
    unassigned_ticket_count = fields.Integer(compute="_compute_ticket_counts")
    urgent_ticket_count = fields.Integer(compute="_compute_ticket_counts")
    poor_rating_ticket_count = fields.Integer(
        "Poor Ratings to Follow Up", compute="_compute_poor_rating_ticket_count",
        help="Tickets rated 1 or 2 out of 5 whose follow-up is not done yet (tag Needs follow-up).",
    )

    _sql_constraints = [
        ("reopen_days_positive", "CHECK(reopen_days >= 0)", "The reopen window cannot be negative."),
    ]

    @api.depends("company_id")
    def _compute_round_robin_sequence_id(self):
        """Each department gets its round-robin sequence when it is created (the
        dependency is always set then) and keeps it; the departments that exist
        when this field is added get theirs then (Odoo computes a new stored
        field for the existing rows), without a migration."""
        missing = self.filtered(lambda department: not department.round_robin_sequence_id)
        sequences = iter(self.env["ir.sequence"].sudo().create([
            {
                "name": f"Helpdesk round robin ({department.name or department.id})",
                "implementation": "standard",
                "number_next": 1,
                "number_increment": 1,
                "company_id": False,
            }
            for department in missing
        ]))
        for department in self:
            department.round_robin_sequence_id = department.round_robin_sequence_id or next(sequences)

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
    def _assign_tickets(self, tickets):
        """Choose the agent of each of ``tickets`` (new tickets of this department)
        with the department's assignment method: ``{ticket id: res.users}``; tickets
        nobody can take are left out.

        One batch costs the same few queries whatever its size: the department row
        is locked once (``FOR NO KEY UPDATE``, held until the end of the
        transaction, so that two workers assigning in the department choose one
        after the other), the workload is read once and the choices made in the
        batch are counted as they are made. The row itself is never written: under
        Odoo's REPEATABLE READ isolation a write would make every concurrent ticket
        creation in the department fail with a serialization error. The round-robin
        position comes from the department's ``ir.sequence`` (standard
        implementation), which is not transactional: two workers never get the
        same slot, whatever their snapshots.
        """
        self.ensure_one()
        Users = self.env["res.users"]
        if self.assignment_method == "manual" or not tickets:
            return {}
        # Assignment reads the workload of every member: internal bookkeeping done on
        # behalf of whoever creates the ticket (possibly a portal or public user),
        # who only gets the chosen agents back.
        department = self.sudo()
        department._lock_for_assignment()
        pick = getattr(department, f"_assign_pick_{department.assignment_method}")
        result = {}
        for company, company_tickets in tickets.sudo().grouped(lambda t: t.company_id or self.company_id).items():
            candidates = department._assignment_candidates(company)
            if not candidates:
                continue
            for ticket, agent in zip(company_tickets, pick(company_tickets, candidates)):
                if agent:
                    result[ticket.id] = Users.browse(agent.id)
        return result

    def _lock_for_assignment(self):
        self.ensure_one()
        self.env.cr.execute(
            SQL("SELECT id FROM helpdesk_department WHERE id = %s FOR NO KEY UPDATE", self.id)
        )

    def _next_round_robin_slots(self, count):
        """The next ``count`` positions (1, 2, 3...) of the department's round robin.

        They come from the department's ``ir.sequence`` (standard implementation,
        a PostgreSQL sequence): not transactional, so two workers assigning in the
        department at once never get the same position, whatever their snapshots.
        The ``count`` positions are read in one query from the sequence the
        ir.sequence keeps (``_next()`` would cost one query per ticket)."""
        self.ensure_one()
        sequence = self.round_robin_sequence_id
        self.env.cr.execute(SQL(
            "SELECT nextval(%s) FROM generate_series(1, %s)", f"ir_sequence_{sequence.id:03d}", count,
        ))
        return [row[0] for row in self.env.cr.fetchall()]

    def unlink(self):
        sequences = self.sudo().round_robin_sequence_id
        res = super().unlink()
        sequences.unlink()
        return res

    def _assignment_candidates(self, company):
        """Members who may receive a ticket of ``company``, ordered by id: active
        agents (internal users of the agent group) of that company, online only when
        the method or the department requires it. One query whatever the size of
        the department."""
        self.ensure_one()
        self.flush_recordset(["member_ids"])
        self.env["res.users"].flush_model(["active", "share", "company_ids", "groups_id"])
        self.env.cr.execute(SQL(
            """
            SELECT member.user_id
              FROM helpdesk_department_member_rel member
              JOIN res_users agent ON agent.id = member.user_id
              JOIN res_company_users_rel company ON company.user_id = agent.id AND company.cid = %(company)s
              JOIN res_groups_users_rel grp ON grp.uid = agent.id AND grp.gid = %(group)s
             WHERE member.department_id = %(department)s AND agent.active AND NOT agent.share
             ORDER BY member.user_id
            """,
            company=company.id,
            # the id from ir.model.data's cache: no query to check the group exists
            group=self.env["ir.model.data"]._xmlid_to_res_id("helpdesk_ticket.group_helpdesk_agent"),
            department=self.id,
        ))
        members = self.env["res.users"].browse([row[0] for row in self.env.cr.fetchall()])
        if self.assign_only_online or self.assignment_method == "random_online":
            members = members.filtered(lambda user: user._is_user_available())
        return members

    def _open_ticket_counts(self, users):
        """Open tickets assigned to each of ``users``, in every department (their workload)."""
        groups = self.env["helpdesk.ticket"].sudo()._read_group(
            [("user_id", "in", users.ids), ("closed", "=", False)], ["user_id"], ["__count"]
        )
        return {user.id: count for user, count in groups}

    def _last_assignment_keys(self, users):
        """Sort key of each user's last assignment (oldest first; never assigned first)."""
        groups = self.env["helpdesk.ticket"].sudo().with_context(active_test=False)._read_group(
            [("user_id", "in", users.ids)], ["user_id"], ["date_assigned:max", "id:max"]
        )
        keys = {user.id: (date or datetime.min, last_id or 0) for user, date, last_id in groups}
        return {user.id: keys.get(user.id, (datetime.min, 0)) for user in users}

    def _workload_chooser(self, candidates, use_counts=True):
        """A function giving the next agent of a batch: the fewest open tickets
        (when ``use_counts``), then the longest idle, then the smallest id. Each
        choice counts: the chosen agent gets one ticket more and becomes the
        most recently assigned."""
        counts = self._open_ticket_counts(candidates) if use_counts else {}
        idle = self._last_assignment_keys(candidates)
        assigned = [0]

        def choose(agent=None):
            if agent is None:
                agent = min(candidates, key=lambda user: (counts.get(user.id, 0), idle[user.id], user.id))
            assigned[0] += 1
            counts[agent.id] = counts.get(agent.id, 0) + 1
            idle[agent.id] = (datetime.max, assigned[0])
            return agent

        return choose

    def _assign_pick_round_robin(self, tickets, candidates):
        return [candidates[(slot - 1) % len(candidates)] for slot in self._next_round_robin_slots(len(tickets))]

    def _assign_pick_balanced(self, tickets, candidates):
        choose = self._workload_chooser(candidates)
        return [choose() for _ticket in tickets]

    def _assign_pick_longest_idle(self, tickets, candidates):
        choose = self._workload_chooser(candidates, use_counts=False)
        return [choose() for _ticket in tickets]

    def _assign_pick_sticky(self, tickets, candidates):
        """The agent of the customer company's latest handled ticket, if still a
        candidate; otherwise the balanced choice."""
        previous = {}
        commercials = tickets.commercial_partner_id
        if commercials:
            # latest assigned ticket of each customer company, outside this batch
            groups = self.env["helpdesk.ticket"].sudo().with_context(active_test=False)._read_group(
                [
                    ("commercial_partner_id", "in", commercials.ids),
                    ("user_id", "!=", False),
                    ("id", "not in", tickets.ids),
                ],
                ["commercial_partner_id"],
                ["id:max"],
            )
            last = self.env["helpdesk.ticket"].sudo().browse([last_id for _partner, last_id in groups])
            previous = {ticket.commercial_partner_id.id: ticket.user_id for ticket in last}
        choose = self._workload_chooser(candidates)
        agents = []
        for ticket in tickets:
            agent = previous.get(ticket.commercial_partner_id.id)
            agent = choose(agent if agent and agent in candidates else None)
            # the next ticket of the same company in this batch goes to the same agent
            if ticket.commercial_partner_id:
                previous[ticket.commercial_partner_id.id] = agent
            agents.append(agent)
        return agents

    def _assign_pick_random_online(self, tickets, candidates):
        return [random.choice(candidates) for _ticket in tickets]

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

    def _poor_rating_domain(self):
        tag = self.env.ref("helpdesk_ticket.tag_needs_follow_up", raise_if_not_found=False)
        return [("tag_ids", "in", tag.ids if tag else [])]

    def _compute_poor_rating_ticket_count(self):
        """Tickets waiting for the follow-up of a poor rating: one grouped query."""
        counts = {}
        if self.ids:
            counts = dict(self.env["helpdesk.ticket"]._read_group(
                [("department_id", "in", self.ids)] + self._poor_rating_domain(),
                groupby=["department_id"], aggregates=["__count"],
            ))
        for department in self:
            department.poor_rating_ticket_count = counts.get(department, 0)

    def action_poor_rating_tickets(self):
        self.ensure_one()
        return self._action_tickets(
            self._poor_rating_domain(), self.env._("Poor ratings of %s to follow up", self.name),
        )
