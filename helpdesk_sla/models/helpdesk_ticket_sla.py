import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, format_datetime

from odoo.addons.helpdesk_sla.tools import business_time as bt

_logger = logging.getLogger(__name__)

TARGETS = [
    ("first_response", "First Response"),
    ("next_response", "Next Response"),
    ("resolution", "Resolution"),
]
STATUSES = [
    ("ongoing", "Ongoing"),
    ("paused", "Paused"),
    ("reached", "Reached"),
    ("failed", "Failed"),
]
OPEN_STATUSES = ("ongoing", "paused")
#: lines handled per cron batch (the ORM flushes updates by chunks of 100 rows)
CRON_BATCH_SIZE = 100
SLA_CRON_XMLID = "helpdesk_sla.ir_cron_helpdesk_sla_check"


class HelpdeskTicketSla(models.Model):
    _name = "helpdesk.ticket.sla"
    _inherit = ["helpdesk.job.mixin"]
    _description = "Helpdesk Ticket SLA Line"
    _order = "deadline, id"
    _rec_name = "policy_id"

    ticket_id = fields.Many2one("helpdesk.ticket", required=True, index=True, ondelete="cascade")
    policy_id = fields.Many2one("helpdesk.sla.policy", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="ticket_id.company_id", store=True, index=True)
    department_id = fields.Many2one(related="ticket_id.department_id", store=True, index=True)
    target = fields.Selection(TARGETS, required=True, index=True)
    target_hours = fields.Float("Target (working hours)", required=True)
    start_date = fields.Datetime("Started on", required=True, help="Start event of the clock.")
    reached_date = fields.Datetime("Reached on", index=True)
    # derived from the ticket's pause log (helpdesk.ticket.sla.pause), never kept by hand
    deadline = fields.Datetime(
        compute="_compute_schedule", store=True, index=True,
        help="Moves by the working hours spent paused (from the ticket's pause log).",
    )
    warning_date = fields.Datetime("Warning on", compute="_compute_schedule", store=True, index=True)
    paused_hours = fields.Float(
        "Paused (working hours)", compute="_compute_schedule", store=True,
        help="Working hours of the ticket's ended pauses that stopped this clock.",
    )
    pause_start = fields.Datetime(
        "Paused since", compute="_compute_schedule", store=True,
        help="Start of the pause stopping this clock now.",
    )
    # derived too, except a breach handled by the cron (``escalated``), which stays failed
    status = fields.Selection(
        STATUSES, compute="_compute_status", store=True, readonly=False, index=True,
    )
    warning_sent = fields.Boolean(help="The warning was sent (at most once).")
    escalated = fields.Boolean(help="The breach was handled (escalation done at most once).")
    remaining_hours = fields.Float(
        "Remaining (working hours)", compute="_compute_remaining_hours",
        help="Working hours left before the deadline; negative when late.",
    )

    def init(self):
        # one clock per policy and target (first response, resolution); one open
        # next-response clock per policy: also holds with concurrent workers
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS helpdesk_ticket_sla_unique_target
                ON helpdesk_ticket_sla (ticket_id, policy_id, target)
             WHERE target != 'next_response'
        """)
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS helpdesk_ticket_sla_unique_open_next
                ON helpdesk_ticket_sla (ticket_id, policy_id)
             WHERE target = 'next_response' AND status IN ('ongoing', 'paused')
        """)
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS helpdesk_ticket_sla_due_idx
                ON helpdesk_ticket_sla (deadline) WHERE status = 'ongoing'
        """)

    @api.depends("policy_id", "target")
    def _compute_display_name(self):
        labels = dict(self._fields["target"]._description_selection(self.env))
        for line in self:
            line.display_name = f"{line.policy_id.name}: {labels.get(line.target, '')}"

    @api.depends(
        "start_date", "target", "target_hours", "reached_date",
        "ticket_id.sla_pause_ids.date_start", "ticket_id.sla_pause_ids.date_end", "ticket_id.sla_pause_ids.reason",
    )
    def _compute_schedule(self):
        """Deadline, warning date, paused hours and running pause of each clock,
        derived from its start, target and stop (``reached_date``) and the
        ticket's pause log, on the department's working hours (see
        ``business_time.plan_clock``). What the ORM cannot see (the working
        hours, the policy's warning) is re-planned with ``_replan``."""
        calendars = self._calendars()
        for line in self:
            values = {"deadline": False, "warning_date": False, "paused_hours": 0.0, "pause_start": False}
            if line.start_date and line.target_hours > 0:
                cal = calendars[line.department_id.id]
                try:
                    plan = bt.plan_clock(
                        cal, line.start_date, line.target_hours, line._pause_intervals(),
                        stop=line.reached_date or None,
                    )
                    warning = False
                    if line.policy_id.warning_percent:
                        warning = bt.add_working_hours(
                            cal, line.start_date,
                            line.target_hours * line.policy_id.warning_percent / 100.0 + plan.paused_hours,
                        )
                    values = {
                        "deadline": plan.deadline,
                        "warning_date": warning,
                        "paused_hours": plan.paused_hours,
                        "pause_start": plan.paused_since or False,
                    }
                except ValueError:
                    _logger.warning("SLA: calendar without working time, no deadline computed.")
            line.update(values)

    def _pause_intervals(self):
        """The ticket's pauses that stop this clock, as ``(start, end or None)``.

        The closing stops every running clock: the time a ticket stayed closed
        is a pause only for the clocks that ran again after it (the resolution
        clock resumed on reopening, a clock added later), not for a clock
        reached before the reopening, nor for a next-response clock started by
        a customer reply to the closed ticket (it runs from the reply)."""
        self.ensure_one()
        stop = self.reached_date
        return [
            (pause.date_start, pause.date_end or None)
            for pause in self.ticket_id.sla_pause_ids
            if pause.reason != "closed" or (
                self.target != "next_response" and pause.date_end and not (stop and stop < pause.date_end)
            )
        ]

    @api.depends("deadline", "reached_date", "pause_start", "escalated")
    def _compute_status(self):
        for line in self:
            # a failed line stays failed (breach handled by the cron, or reached
            # late): ``line.status`` is the value before this computation
            if line.escalated or line.status == "failed":
                line.status = "failed"
            elif line.reached_date:
                in_time = not line.deadline or line.reached_date <= line.deadline
                line.status = "reached" if in_time else "failed"
            else:
                line.status = "paused" if line.pause_start else "ongoing"

    @api.depends_context("uid")
    @api.depends("deadline", "status", "pause_start")
    def _compute_remaining_hours(self):
        calendars = self._calendars()
        now = fields.Datetime.now()
        for line in self:
            cal = calendars[line.department_id.id]
            if line.status not in OPEN_STATUSES or not line.deadline:
                line.remaining_hours = 0.0
                continue
            reference = line.pause_start if line.status == "paused" and line.pause_start else now
            if reference <= line.deadline:
                line.remaining_hours = bt.working_hours_between(cal, reference, line.deadline)
            else:
                line.remaining_hours = -bt.working_hours_between(cal, line.deadline, reference)

    # ------------------------------------------------------------------
    # Business time
    # ------------------------------------------------------------------
    def _calendars(self, departments=None):
        """{department id: BusinessCalendar} of the lines' departments (or of
        ``departments``), one read per calendar."""
        departments = (departments if departments is not None else self.department_id).sudo()
        by_calendar = {}
        result = {False: bt.ALWAYS_OPEN}
        for department in departments:
            calendar = department.resource_calendar_id
            if calendar.id not in by_calendar:
                by_calendar[calendar.id] = (
                    calendar._sla_business_calendar(department.company_id.id) if calendar else bt.ALWAYS_OPEN
                )
            result[department.id] = by_calendar[calendar.id]
        return result

    def _replan(self):
        """Plan these lines again from their pause log: their working hours or
        their policy's warning changed (nothing the ORM sees as a dependency).
        Reached and failed lines get the same (their status too: a late reach
        stays failed, a handled breach stays failed). Then the cron is scheduled
        once for the whole set."""
        if not self:
            return
        # every field computed from these inputs, and what depends on them (status,
        # the tickets' nearest deadline), is recomputed
        self.modified(["target_hours"])
        self._schedule_cron()

    def _sync_targets_from_policy(self):
        for line in self:
            hours = line.policy_id[f"{line.target}_hours"]
            if hours > 0 and hours != line.target_hours:
                line.target_hours = hours
        self._replan()

    # ------------------------------------------------------------------
    # Clock events (called by helpdesk.ticket, in sudo after the ticket write)
    # ------------------------------------------------------------------
    def _reach(self, when):
        """Stop the clocks at ``when``: reached in time, or failed (a failed line
        stays failed; its reached date is still recorded)."""
        self.filtered(lambda line: not line.reached_date and line.status != "reached").write(
            {"reached_date": when}
        )

    def _reopen(self):
        """Reached lines resume with the working time they had left: the time
        they stayed stopped is in the pause log (the ticket was closed)."""
        self.filtered(lambda line: line.status == "reached").write({"reached_date": False})

    # ------------------------------------------------------------------
    # Cron: failures, warnings, escalations
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        # the partial unique indexes look at the status: pending updates first
        self.flush_model(["status"])
        lines = super().create(vals_list)
        lines._schedule_cron()
        return lines

    def _schedule_cron(self):
        """Make sure the cron runs at the nearest warning or deadline of these
        lines: a trigger is added unless an earlier one is already pending (the
        run at that trigger re-schedules for what comes next)."""
        moments = []
        for line in self:
            if line.status != "ongoing":
                continue
            if line.warning_date and not line.warning_sent:
                moments.append(line.warning_date)
            if line.deadline:
                moments.append(line.deadline)
        if moments:
            self._trigger_cron_at(min(moments))

    @api.model
    def _trigger_cron_at(self, at):
        # the id from ir.model.data's cache (env.ref() checks it exists: a query per call)
        cron = self.env["ir.cron"].browse(self.env["ir.model.data"]._xmlid_to_res_id(SLA_CRON_XMLID))
        if not cron:
            return
        # triggers already due are being (or about to be) consumed by a run:
        # only a future trigger earlier than ``at`` makes a new one useless
        self.env.cr.execute(
            "SELECT min(call_at) FROM ir_cron_trigger WHERE cron_id = %s AND call_at > %s",
            [cron.id, fields.Datetime.now()],
        )
        pending = self.env.cr.fetchone()[0]
        if pending and pending <= at:
            return
        cron.sudo()._trigger(at=at)

    @api.model
    def _next_event(self):
        """Nearest upcoming warning or deadline of the open lines (one query)."""
        self.env.flush_all()
        self.env.cr.execute("""
            SELECT least(
                (SELECT min(deadline) FROM helpdesk_ticket_sla WHERE status = 'ongoing'),
                (SELECT min(warning_date) FROM helpdesk_ticket_sla
                  WHERE status = 'ongoing' AND NOT coalesce(warning_sent, false))
            )
        """)
        return self.env.cr.fetchone()[0]

    @api.model
    def _job_crons(self):
        return dict(super()._job_crons(), sla_check=SLA_CRON_XMLID)

    @api.model
    def _cron_check(self, batch_size=CRON_BATCH_SIZE):
        """Mark the lines past their deadline failed (and escalate them) and send
        the warnings, once each.

        Set-based: two queries select a batch of due lines, then each action runs
        once on the whole batch, so a run issues the same number of queries
        whatever the size of its batch. The batch matches the ORM's write chunks
        (100 rows); the rest is reported with ``_notify_progress`` and the cron
        framework runs the next batch at once, committing in between. Idempotent:
        a failed line is no longer ``ongoing`` and a warned line has
        ``warning_sent``, so a second run finds nothing.

        ``FOR NO KEY UPDATE SKIP LOCKED`` against the user transactions that
        write a line while it is due: an agent's reply (the target reached) or a
        stage change (the clock paused) on its ticket. Such a line is left to the
        next run, which sees it reached or paused; the cron framework never runs
        this job twice at once."""
        now = fields.Datetime.now()
        cr = self.env.cr
        self.env.flush_all()
        failed = self.browse(self._job_lock("sla_check", SQL(
            """
            SELECT id FROM helpdesk_ticket_sla
             WHERE status = 'ongoing' AND deadline <= %s
             ORDER BY deadline, id
             LIMIT %s
               FOR NO KEY UPDATE SKIP LOCKED
            """, now, batch_size,
        )))
        warned = self.browse(self._job_lock("sla_check", SQL(
            """
            SELECT id FROM helpdesk_ticket_sla
             WHERE status = 'ongoing' AND NOT coalesce(warning_sent, false)
               AND warning_date <= %s AND deadline > %s
             ORDER BY warning_date, id
             LIMIT %s
               FOR NO KEY UPDATE SKIP LOCKED
            """, now, now, batch_size,
        )))
        if failed or warned:
            error = self._job_step(lambda: self._cron_act(failed, warned))
            if isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                # a ticket of the batch was changed by a user transaction (an agent,
                # a mail) since this one began: nothing of the batch is kept, a new
                # run in a new transaction handles it in a few seconds
                self._job_retry_soon("sla_check")
                return 0, 0
            if error:
                raise error
        cr.execute("""
            SELECT count(*) FROM helpdesk_ticket_sla
             WHERE status = 'ongoing'
               AND (deadline <= %s OR (NOT coalesce(warning_sent, false) AND warning_date <= %s))
        """, [now, now])
        remaining = cr.fetchone()[0]
        self._job_progress("sla_check", len(failed) + len(warned), remaining)
        next_event = self._next_event()
        if next_event and not remaining:
            self._trigger_cron_at(max(next_event, now))
        return len(failed), len(warned)

    @api.model
    def _cron_act(self, failed, warned):
        """The cron's actions on one batch: failures (and escalations), warnings."""
        if failed:
            failed.write({"status": "failed", "warning_sent": True, "escalated": True})
            failed._escalate()
        if warned:
            warned.write({"warning_sent": True})
            warned._send_warnings()
        self.env.flush_all()

    def _line_summary(self):
        labels = dict(self._fields["target"]._description_selection(self.env))
        return ", ".join(
            f"{labels[line.target]} ({line.policy_id.name}, {format_datetime(self.env, line.deadline)})"
            for line in self
        )

    def _log_on_tickets(self, title):
        bodies = {}
        for ticket, lines in self.grouped("ticket_id").items():
            bodies[ticket.id] = Markup("<p><b>%s</b> %s</p>") % (title, lines._line_summary())
        self.ticket_id._message_log_batch(bodies)

    def _notify_departments(self, title, recipients_of):
        """One message per department listing its tickets, notifying
        ``recipients_of(department, tickets)`` (res.partner)."""
        for department, lines in self.grouped("department_id").items():
            if not department:
                continue
            tickets = lines.ticket_id
            partners = recipients_of(department, lines)
            if not partners:
                continue
            items = Markup("").join(
                Markup("<li>%s: %s</li>") % (ticket._get_html_link(title=ticket.display_name),
                                              lines.filtered(lambda l: l.ticket_id == ticket)._line_summary())
                for ticket in tickets
            )
            department.message_post(
                body=Markup("<p>%s</p><ul>%s</ul>") % (title, items),
                partner_ids=partners.ids,
                subtype_xmlid="mail.mt_note",
                message_type="notification",
            )

    def _send_warnings(self):
        title = self.env._("SLA at risk:")
        self._log_on_tickets(title)

        def assignees(department, lines):
            users = lines.ticket_id.user_id or department.manager_id
            return users.partner_id

        self._notify_departments(self.env._("SLA targets close to their deadline"), assignees)

    def _escalate(self):
        """Escalation actions of the failed lines' policies, grouped: one write per
        policy action whatever the number of tickets; tracking messages are
        replaced by one batch log."""
        Ticket = self.env["helpdesk.ticket"].with_context(
            tracking_disable=True, mail_auto_subscribe_no_notify=True, mail_notrack=True
        )
        for policy, lines in self.grouped("policy_id").items():
            tickets = Ticket.browse(lines.ticket_id.ids)
            if policy.escalate_priority:
                tickets.filtered(lambda t: t.priority < policy.escalate_priority).write(
                    {"priority": policy.escalate_priority}
                )
            if policy.escalate_user_id:
                tickets.filtered(lambda t: t.user_id != policy.escalate_user_id).write(
                    {"user_id": policy.escalate_user_id.id}
                )
        self._log_on_tickets(self.env._("SLA failed:"))

        def managers(department, lines):
            notify = lines.filtered(lambda l: l.policy_id.escalate_notify_manager)
            if not notify or not department.manager_id:
                return self.env["res.partner"]
            return department.manager_id.partner_id

        self._notify_departments(self.env._("SLA targets missed"), managers)
