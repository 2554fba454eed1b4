from odoo import api, fields, models

from odoo.addons.helpdesk_sla.tools import business_time as bt

from .helpdesk_ticket_sla import OPEN_STATUSES

#: ticket fields a policy matches on: changing one re-evaluates the policies
SLA_MATCH_FIELDS = {"department_id", "priority", "type_id", "tag_ids", "partner_id", "channel", "company_id"}

SLA_STATUSES = [
    ("none", "No SLA"),
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("failed", "Failed"),
]


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    sla_ids = fields.One2many("helpdesk.ticket.sla", "ticket_id", string="SLA", copy=False)
    sla_deadline = fields.Datetime(
        "SLA Deadline", compute="_compute_sla", store=True, index=True,
        help="Nearest deadline of the running SLA clocks.",
    )
    sla_status = fields.Selection(
        SLA_STATUSES, string="SLA Status", compute="_compute_sla", store=True, index=True,
        help="Failed: a target was missed. At risk: a running clock passed its warning. "
        "On track: every target is met or running on time.",
    )

    @api.depends("sla_ids.deadline", "sla_ids.status", "sla_ids.warning_sent")
    def _compute_sla(self):
        for ticket in self:
            lines = ticket.sla_ids
            running = lines.filtered(lambda line: line.status == "ongoing" and line.deadline)
            ticket.sla_deadline = min(running.mapped("deadline")) if running else False
            if not lines:
                ticket.sla_status = "none"
            elif any(line.status == "failed" for line in lines):
                ticket.sla_status = "failed"
            elif any(line.status in OPEN_STATUSES and line.warning_sent for line in lines):
                ticket.sla_status = "at_risk"
            else:
                ticket.sla_status = "on_track"

    # ------------------------------------------------------------------
    # CRUD hooks
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets._sla_log_pauses({})
        # a new ticket has no pause behind it: no need to read the pause log
        tickets._sla_apply(pause_history=False)
        return tickets

    def write(self, vals):
        stage_before = {}
        if "stage_id" in vals:
            stage_before = {
                ticket.id: (ticket.closed, ticket.waiting_customer, ticket.date_closed) for ticket in self
            }
        stopped_before = {}
        if "stage_id" in vals or "active" in vals:
            stopped_before = {ticket.id: ticket._sla_stopped() for ticket in self}
        first_response_before = {}
        if "date_last_customer_message" in vals:
            first_response_before = {ticket.id: ticket.date_first_response for ticket in self}
        res = super().write(vals)
        if stopped_before:
            self._sla_log_pauses(stopped_before)
        if SLA_MATCH_FIELDS & vals.keys():
            self._sla_apply()
        if stage_before:
            self._sla_stage_changed(stage_before)
        if vals.get("date_first_response"):
            self._sla_first_response()
        if vals.get("date_last_agent_message"):
            self._sla_agent_replied()
        if vals.get("date_last_customer_message"):
            self.filtered(lambda t: first_response_before.get(t.id))._sla_customer_message()
        if "active" in vals:
            self._sla_archived_changed()
        return res

    def _sla_stopped(self):
        """Whether the ticket's clocks are stopped: waiting on the customer,
        closed (the resolution clock resumes on reopening) or archived."""
        self.ensure_one()
        return bool(not self.active or self.closed or self.waiting_customer)

    def _sla_log_pauses(self, stopped_before):
        """Keep the pause log (``helpdesk.ticket.sla.pause``) in step with the
        tickets' state: a row opens when the clocks stop, closes when they
        restart. ``stopped_before``: {ticket id: stopped before the change}
        (missing: a new ticket, running before)."""
        now = fields.Datetime.now()
        started, ended = [], self.browse()
        for ticket in self.sudo():
            before, after = stopped_before.get(ticket.id, False), ticket._sla_stopped()
            if after and not before:
                new = ticket.id not in stopped_before
                started.append({"ticket_id": ticket.id, "date_start": ticket.create_date if new else now})
            elif before and not after:
                ended |= ticket
        Pause = self.env["helpdesk.ticket.sla.pause"].sudo()
        if ended:
            Pause.search([("ticket_id", "in", ended.ids), ("date_end", "=", False)]).date_end = now
        if started:
            # the unique index of the running pause looks at date_end: write it first
            Pause.flush_model(["date_end"])
            Pause.create(started)

    def _sla_archived_changed(self):
        """An archived ticket (e.g. merged into another) stops its clocks like a
        pause; they resume if it is restored."""
        now = fields.Datetime.now()
        lines = self.sudo().sla_ids
        archived = lines.filtered(lambda l: not l.ticket_id.active)
        archived._pause(now)
        restored = lines - archived
        restored.filtered(lambda l: not l.ticket_id.waiting_customer and not l.ticket_id.closed)._resume(now)

    # ------------------------------------------------------------------
    # SLA engine (the ticket write already checked the user's access: the
    # lines are maintained in sudo)
    # ------------------------------------------------------------------
    def _sla_policies(self):
        return self.env["helpdesk.sla.policy"].sudo().search([("company_id", "in", self.company_id.ids)])

    def _sla_line_values(self, policy, target, hours, start, cal, now, pauses=None):
        """Values of a new line. ``pauses``: the ticket's logged pauses
        ([(start, end or None)]): the line gets the working hours they took
        after ``start`` as if it had run since then (None: no history, e.g. a
        next-response clock starting now)."""
        Line = self.env["helpdesk.ticket.sla"]
        ended = [(begin, end) for begin, end in pauses or () if end]
        running = [begin for begin, end in pauses or () if not end]
        paused_hours = 0.0
        if ended:
            try:
                paused_hours = bt.paused_working_hours(cal, start, hours, ended)
            except ValueError:  # no working time: no deadline either
                paused_hours = 0.0
        values = {
            "ticket_id": self.id,
            "policy_id": policy.id,
            "target": target,
            "target_hours": hours,
            "start_date": start,
            "status": "ongoing",
            "paused_hours": paused_hours,
            **Line._schedule_values(cal, start, hours, paused_hours, policy.warning_percent),
        }
        if target == "first_response" and self.date_first_response:
            reached = self.date_first_response
            values["reached_date"] = reached
            values["status"] = "reached" if not values["deadline"] or reached <= values["deadline"] else "failed"
        elif self.waiting_customer:
            pause_start = max(running[0], start) if running else now
            # a clock past its deadline when the pause began had failed by then:
            # left running, the cron marks it failed
            if not values["deadline"] or pause_start < values["deadline"]:
                values.update(status="paused", pause_start=pause_start)
        return values

    def _sla_apply(self, pause_history=True):
        """Match the policies: add the lines of newly matching policies, remove
        the running lines of policies that no longer match (reached and failed
        lines are kept). Closed tickets keep their lines as they are."""
        tickets = self.sudo().filtered(lambda t: not t.closed and t.active)
        if not tickets:
            return
        policies = tickets._sla_policies()
        Line = self.env["helpdesk.ticket.sla"].sudo()
        calendars = Line._calendars(tickets.department_id)
        now = fields.Datetime.now()
        to_remove = Line
        to_create = []
        new_by_ticket = {}
        for ticket in tickets:
            matching = policies.filtered(lambda p: p._matches(ticket))
            lines = ticket.sla_ids
            to_remove |= lines.filtered(lambda l: l.policy_id not in matching and l.status in OPEN_STATUSES)
            existing = {(line.policy_id.id, line.target) for line in lines}
            new = [
                (policy, target, hours)
                for policy in matching
                for target, hours in policy._targets()
                if (policy.id, target) not in existing
            ]
            if new:
                new_by_ticket[ticket] = new
        pauses = {ticket.id: [] for ticket in new_by_ticket}
        if new_by_ticket and pause_history:
            # clocks added late start at the ticket's start and know its pauses
            pauses = self.env["helpdesk.ticket.sla.pause"].sudo()._intervals_by_ticket(
                self.browse([ticket.id for ticket in new_by_ticket]).sudo()
            )
        for ticket, new in new_by_ticket.items():
            clocks = ticket.sla_ids.filtered(lambda l: l.target != "next_response")
            start = min(clocks.mapped("start_date")) if clocks else (ticket.create_date or now)
            cal = calendars[ticket.department_id.id]
            to_create += [
                ticket._sla_line_values(policy, target, hours, start, cal, now, pauses[ticket.id])
                for policy, target, hours in new
            ]
        if to_remove:
            to_remove.unlink()
        if to_create:
            Line.create(to_create)

    def _sla_stage_changed(self, before):
        now = fields.Datetime.now()
        Line = self.env["helpdesk.ticket.sla"].sudo()
        calendars = Line._calendars(self.department_id)
        for ticket in self.sudo():
            was_closed, was_waiting, closed_on = before.get(ticket.id, (False, False, False))
            lines = ticket.sla_ids
            if ticket.closed and not was_closed:
                # resolved: every running clock stops now
                lines.filtered(lambda l: l.status in OPEN_STATUSES or (l.status == "failed" and not l.reached_date))._reach(
                    now, calendars
                )
                continue
            if ticket.closed:
                continue
            if was_closed:
                lines.filtered(lambda l: l.target == "resolution")._reopen(now, ticket.waiting_customer, calendars)
                # reopened while the customer waits for an answer: a next-response
                # clock starts at the customer's message when that message is what
                # reopens the ticket (both recorded in this transaction), else at
                # the reopening: the time the ticket stayed closed is not the agents'
                last_customer = ticket.date_last_customer_message
                if ticket.date_first_response and last_customer and last_customer > (
                    ticket.date_last_agent_message or ticket.date_first_response
                ):
                    start = now
                    if closed_on and closed_on <= last_customer <= now and ticket._sla_message_just_received(
                        last_customer
                    ):
                        start = last_customer
                    ticket._sla_customer_message(start=start)
            elif ticket.waiting_customer and not was_waiting:
                lines._pause(now)
            elif was_waiting and not ticket.waiting_customer:
                lines._resume(now, calendars)

    def _sla_message_just_received(self, date):
        """Whether the customer message dated ``date`` was recorded in the
        current transaction (``create_date`` is the transaction's timestamp)."""
        self.ensure_one()
        return bool(self.env["mail.message"].sudo().search_count([
            ("model", "=", self._name), ("res_id", "=", self.id), ("date", "=", date),
            ("create_date", ">=", self.env.cr.now()),
        ], limit=1))

    def _sla_first_response(self):
        for ticket in self.sudo():
            lines = ticket.sla_ids.filtered(
                lambda l: l.target == "first_response" and not l.reached_date and l.status != "reached"
            )
            if lines and ticket.date_first_response:
                lines._reach(ticket.date_first_response)

    def _sla_agent_replied(self):
        for ticket in self.sudo():
            answered = ticket.date_last_agent_message
            lines = ticket.sla_ids.filtered(
                lambda l: l.target == "next_response" and not l.reached_date and l.status != "reached"
                and l.start_date <= answered
            )
            if lines:
                lines._reach(answered)

    def _sla_customer_message(self, start=None):
        """A customer message after the first response starts a next-response
        clock for each matching policy with that target (unless one is running)."""
        tickets = self.sudo().filtered(lambda t: not t.closed and t.active)
        if not tickets:
            return
        policies = tickets._sla_policies().filtered("next_response_hours")
        if not policies:
            return
        Line = self.env["helpdesk.ticket.sla"].sudo()
        calendars = Line._calendars(tickets.department_id)
        now = fields.Datetime.now()
        to_create = []
        for ticket in tickets:
            running = ticket.sla_ids.filtered(
                lambda l: l.target == "next_response" and l.status in OPEN_STATUSES
            ).policy_id
            cal = calendars[ticket.department_id.id]
            for policy in policies:
                if policy in running or not policy._matches(ticket):
                    continue
                to_create.append(ticket._sla_line_values(
                    policy, "next_response", policy.next_response_hours,
                    start or ticket.date_last_customer_message, cal, now,
                ))
        if to_create:
            Line.create(to_create)

    @api.model
    def _sla_apply_open_tickets(self):
        """Apply the policies to every open ticket (after installing or
        configuring policies for tickets that already exist)."""
        self.search([("closed", "=", False)])._sla_apply()
        return True
