from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL
from odoo.tools.misc import format_datetime

from .helpdesk_ticket_sla import OPEN_STATUSES

#: ticket fields a policy matches on: changing one re-evaluates the policies
SLA_MATCH_FIELDS = {"department_id", "priority", "type_id", "tag_ids", "partner_id", "channel", "company_id"}

SLA_STATUSES = [
    ("none", "No SLA"),
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("failed", "Failed"),
]
#: the job re-planning the clocks after a change of working hours
SLA_REPLAN_CRON_XMLID = "helpdesk_sla.ir_cron_helpdesk_sla_replan"
#: tickets re-planned per batch of that job
SLA_REPLAN_BATCH_SIZE = 100


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    sla_ids = fields.One2many("helpdesk.ticket.sla", "ticket_id", string="SLA", copy=False)
    sla_pause_ids = fields.One2many(
        "helpdesk.ticket.sla.pause", "ticket_id", string="SLA Pauses", copy=False,
        help="When the ticket's SLA clocks were stopped: the record the clocks derive from.",
    )
    sla_deadline = fields.Datetime(
        "SLA Deadline", compute="_compute_sla", store=True, index=True,
        help="Nearest deadline of the running SLA clocks.",
    )
    sla_status = fields.Selection(
        SLA_STATUSES, string="SLA Status", compute="_compute_sla", store=True, index=True,
        help="Failed: a target was missed. At risk: a running clock passed its warning. "
        "On track: every target is met or running on time.",
    )
    sla_replan_pending = fields.Boolean(
        "SLA Re-planning Pending", copy=False, readonly=True,
        help="The working hours of the ticket's department changed: the re-planning job "
        "gives its running clocks their new deadlines.",
    )

    def init(self):
        super().init()
        # the re-planning job reads the (few) flagged tickets only
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS helpdesk_ticket_sla_replan_pending_index
                ON helpdesk_ticket (id) WHERE sla_replan_pending
        """)

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
    # Lifecycle hooks of helpdesk.ticket (the ticket's own write already
    # checked the user's access: pauses and lines are kept in sudo)
    # ------------------------------------------------------------------
    def _on_created(self):
        super()._on_created()
        self._sla_sync_pauses(new=True)
        self._sla_apply()

    def _on_stage_changed(self, previous_stages):
        super()._on_stage_changed(previous_stages)
        now = fields.Datetime.now()
        tickets = self.sudo()
        open_pauses = self.env["helpdesk.ticket.sla.pause"].sudo()._open_by_ticket(tickets)
        reopened = self.browse()
        for ticket in tickets:
            was_closed = previous_stages.get(ticket.id, self.env["helpdesk.stage"]).closed
            if ticket.closed and not was_closed:
                # resolved: every running clock stops now
                ticket.sla_ids._reach(now)
            elif was_closed and not ticket.closed:
                ticket.sla_ids.filtered(lambda l: l.target == "resolution")._reopen()
                reopened |= ticket
        for ticket in reopened:
            # reopened while the customer waits for an answer: a next-response clock
            # starts at the customer's reply when it came while the ticket was closed
            # (the closing had stopped every clock), else at the reopening
            last_customer = ticket.date_last_customer_message
            answered = ticket.date_last_agent_message or ticket.date_first_response
            if not (ticket.date_first_response and last_customer and last_customer > answered):
                continue
            closing = open_pauses.get(ticket.id)
            closed_on = closing.date_start if closing and closing.reason == "closed" else now
            ticket._sla_start_next_response(last_customer if closed_on <= last_customer <= now else now)
        tickets._sla_sync_pauses(open_pauses=open_pauses)

    def _on_customer_message(self, message):
        super()._on_customer_message(message)
        # after the first response, each customer message waiting for an answer
        # starts a next-response clock at the message (a closed ticket has none
        # running: see _on_stage_changed for its reopening)
        received = self._customer_message_date(message)
        self.sudo().filtered(
            lambda t: t.date_first_response and t.date_first_response <= received
        )._sla_start_next_response(received)

    def _on_agent_message(self, message):
        super()._on_agent_message(message)
        # the first public answer reaches the first-response clocks, any answer the
        # next-response clocks started before it
        when = message.date
        self._sla_reach_first_response(when)
        self.sudo().sla_ids.filtered(
            lambda l: l.target == "next_response" and l.start_date <= when
        )._reach(when)

    def _sla_reach_first_response(self, when=None):
        """The first-response clocks not reached yet are, at ``when`` (default:
        the ticket's first response)."""
        for ticket in self.sudo():
            reached = when or ticket.date_first_response
            if reached:
                ticket.sla_ids.filtered(lambda l: l.target == "first_response")._reach(reached)

    def write(self, vals):
        res = super().write(vals)
        if "active" in vals:
            # an archived ticket (e.g. merged into another) stops its clocks like a
            # pause; they resume if it is restored
            self._sla_sync_pauses()
        if SLA_MATCH_FIELDS & vals.keys():
            self._sla_apply()
        if vals.get("date_first_response"):
            # a first response recorded without a message (an import, a data fix);
            # messages reach the clocks through _on_agent_message
            self._sla_reach_first_response()
        if "department_id" in vals:
            # the running clocks follow the working hours of their new department
            self.sudo().sla_ids.filtered(lambda l: l.status in OPEN_STATUSES)._replan()
        return res

    def _expected_first_response_text(self):
        """The earliest first-response deadline of the ticket, with the policy's
        working hours when it has them, in the customer's time zone."""
        self.ensure_one()
        lines = self.sudo().sla_ids.filtered(lambda line: line.target == "first_response" and line.deadline)
        if not lines:
            return super()._expected_first_response_text()
        line = min(lines, key=lambda line: line.deadline)
        tz = self.partner_id.tz or self.department_id.resource_calendar_id.tz or "UTC"
        deadline = format_datetime(self.env, line.deadline, tz=tz, dt_format="medium")
        if line.policy_id.first_response_hours:
            return self.env._("within %(hours)s working hours (by %(deadline)s)",
                              hours=line.policy_id.first_response_hours, deadline=deadline)
        return self.env._("by %(deadline)s", deadline=deadline)

    def _customer_expectations(self):
        """The first answer (until it is given) and the resolution (until the ticket is
        closed), each from the earliest of the ticket's running clocks of that target;
        paused while a clock is stopped (waiting on the customer). No policy name."""
        self.ensure_one()
        expectations = super()._customer_expectations()
        ticket = self.sudo()
        if ticket.closed:
            return expectations
        for target in ("first_response", "resolution"):
            if target == "first_response" and ticket.date_first_response:
                continue
            lines = ticket.sla_ids.filtered(
                lambda line: line.target == target and line.status in OPEN_STATUSES and line.deadline
            )
            if not lines:
                continue
            paused = any(line.status == "paused" for line in lines)
            expectations.append({
                "target": target,
                "deadline": False if paused else min(lines.mapped("deadline")),
                "paused": paused,
            })
        return expectations

    # ------------------------------------------------------------------
    # Pause log
    # ------------------------------------------------------------------
    def _sla_pause_reason(self):
        """Why the ticket's clocks are stopped (a helpdesk.ticket.sla.pause
        reason), or False while they run."""
        self.ensure_one()
        if self.closed:
            return "closed"  # the resolution clock resumes on reopening
        if not self.active:
            return "archived"
        if self.waiting_customer:
            return "waiting"
        return False

    def _sla_sync_pauses(self, new=False, open_pauses=None):
        """Bring the pause log in step with the tickets' state: the running pause
        ends when the clocks restart or stop for another reason, a new one opens
        when they stop. ``new``: tickets just created (no pause yet, one starting
        at the creation if created stopped); ``open_pauses``: {ticket id: running
        pause} when already read."""
        Pause = self.env["helpdesk.ticket.sla.pause"].sudo()
        tickets = self.sudo()
        if new:
            open_pauses = {}
        elif open_pauses is None:
            open_pauses = Pause._open_by_ticket(tickets)
        now = fields.Datetime.now()
        ended, started = Pause, []
        for ticket in tickets:
            reason = ticket._sla_pause_reason()
            running = open_pauses.get(ticket.id)
            if (running.reason if running else False) == reason:
                continue
            ended |= running or Pause
            if reason:
                started.append({
                    "ticket_id": ticket.id, "reason": reason,
                    "date_start": (ticket.create_date or now) if new else now,
                })
        if ended:
            ended.write({"date_end": now})
        if started:
            # the unique index of the running pause looks at date_end: write it first
            Pause.flush_model(["date_end"])
            Pause.create(started)

    # ------------------------------------------------------------------
    # Policies and clocks
    # ------------------------------------------------------------------
    def _sla_policy_conditions(self):
        """The active policies of these tickets' companies, as the plain values kept
        per worker (``helpdesk.sla.policy._sla_conditions``)."""
        return self.env["helpdesk.sla.policy"]._sla_policy_conditions(tuple(sorted(self.company_id.ids)))

    def _sla_line_values(self, policy_id, target, hours, start):
        """Values of a new line; its deadline, paused hours and status derive
        from the ticket's pause log (a clock added late to a ticket that
        already waited knows those pauses)."""
        values = {
            "ticket_id": self.id,
            "policy_id": policy_id,
            "target": target,
            "target_hours": hours,
            "start_date": start,
        }
        if target == "first_response" and self.date_first_response:
            values["reached_date"] = self.date_first_response
        return values

    def _sla_apply(self):
        """Match the policies: add the lines of newly matching policies, remove
        the running lines of policies that no longer match (reached and failed
        lines are kept). Closed tickets keep their lines as they are. The lines
        that stay follow the working hours of the ticket's (new) department."""
        tickets = self.sudo().filtered(lambda t: not t.closed and t.active)
        if not tickets:
            return
        policies = tickets._sla_policy_conditions()
        Policy = self.env["helpdesk.sla.policy"].sudo()
        Line = self.env["helpdesk.ticket.sla"].sudo()
        now = fields.Datetime.now()
        to_remove = Line
        to_create = []
        for ticket in tickets:
            matching = [policy for policy in policies if Policy._sla_conditions_match(policy, ticket)]
            matching_ids = {policy["id"] for policy in matching}
            lines = ticket.sla_ids
            to_remove |= lines.filtered(lambda l: l.policy_id.id not in matching_ids and l.status in OPEN_STATUSES)
            existing = {(line.policy_id.id, line.target) for line in lines}
            new = [
                (policy["id"], target, hours)
                for policy in matching
                for target, hours in policy["targets"]
                if (policy["id"], target) not in existing
            ]
            if not new:
                continue
            # clocks added late start at the ticket's start
            clocks = lines.filtered(lambda l: l.target != "next_response")
            start = min(clocks.mapped("start_date")) if clocks else (ticket.create_date or now)
            to_create += [ticket._sla_line_values(policy_id, target, hours, start) for policy_id, target, hours in new]
        if to_remove:
            to_remove.unlink()
        if to_create:
            Line.create(to_create)

    def _sla_start_next_response(self, start):
        """A next-response clock starting at ``start`` for each matching policy
        with that target (unless one is running)."""
        tickets = self.sudo().filtered(lambda t: not t.closed and t.active)
        if not tickets:
            return
        policies = [policy for policy in tickets._sla_policy_conditions() if policy["next_response_hours"] > 0]
        if not policies:
            return
        Policy = self.env["helpdesk.sla.policy"].sudo()
        to_create = []
        for ticket in tickets:
            running = ticket.sla_ids.filtered(
                lambda l: l.target == "next_response" and l.status in OPEN_STATUSES
            ).policy_id.ids
            to_create += [
                ticket._sla_line_values(policy["id"], "next_response", policy["next_response_hours"], start)
                for policy in policies
                if policy["id"] not in running and Policy._sla_conditions_match(policy, ticket)
            ]
        if to_create:
            self.env["helpdesk.ticket.sla"].sudo().create(to_create)

    @api.model
    def _sla_apply_open_tickets(self):
        """Apply the policies to every open ticket (after installing or
        configuring policies for tickets that already exist)."""
        self.search([("closed", "=", False)])._sla_apply()
        return True

    # ------------------------------------------------------------------
    # Re-planning job (working hours or holidays of a department changed)
    # ------------------------------------------------------------------
    @api.model
    def _sla_replan_departments(self, departments):
        """The working hours of ``departments`` changed: flag their tickets with
        running clocks for the re-planning job, woken when this transaction
        commits. The change itself (a holiday recorded by an administrator, an
        attendance edited) re-plans nothing: the job does, in batches."""
        if not departments:
            return
        self.env["helpdesk.ticket.sla"].flush_model(["ticket_id", "status"])
        self.flush_model(["department_id", "sla_replan_pending"])
        # a job flag, not a change of the tickets (no write date, no automation):
        # one statement for the whole department
        self.env.cr.execute(SQL(
            """
            UPDATE helpdesk_ticket t SET sla_replan_pending = true
             WHERE t.department_id IN %s AND t.sla_replan_pending IS NOT TRUE
               AND EXISTS (SELECT 1 FROM helpdesk_ticket_sla l
                            WHERE l.ticket_id = t.id AND l.status IN %s)
            """, tuple(departments.ids), OPEN_STATUSES,
        ))
        self.invalidate_model(["sla_replan_pending"])
        if self.env.cr.rowcount:
            self._job_wake("sla_replan_pending")

    @api.model
    def _job_crons(self):
        return dict(super()._job_crons(), sla_replan_pending=SLA_REPLAN_CRON_XMLID)

    @api.model
    def _cron_sla_replan(self, batch_size=SLA_REPLAN_BATCH_SIZE):
        """Give the running clocks of the flagged tickets their deadlines,
        warning dates and paused hours on their department's current working
        hours (helpdesk.job.mixin).

        The batch skips the tickets locked by a user transaction (``_job_take``):
        an agent saving the ticket or a mail being posted on it; the next run
        re-plans them from what that transaction committed."""
        tickets = self._job_take("sla_replan_pending", batch_size)
        lines = tickets.sla_ids.filtered(lambda l: l.status in OPEN_STATUSES)

        def replan():
            lines._replan()
            self.env.flush_all()

        error = self._job_step(replan) if lines else None
        retry = self.browse()
        if isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
            # a line was written by another transaction meanwhile (the SLA cron, a
            # reply): the batch stays flagged for the next run
            retry = tickets
        elif error:
            raise error
        return self._job_done("sla_replan_pending", tickets, retry)
