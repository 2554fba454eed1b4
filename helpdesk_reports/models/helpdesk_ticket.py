from odoo import api, fields, models, tools
from odoo.tools import SQL

from odoo.addons.helpdesk_sla.tools import business_time as bt

#: ticket fields whose change moves the ticket to another line of the analysis summary
REPORT_SUMMARY_MOVES = {"department_id", "company_id", "active"}
#: ticket fields the summary's averages read (the working hours are computed from the dates,
#: the closing date from the stage: a stage change may close or reopen the ticket)
REPORT_SUMMARY_MEASURES = {"date_first_response", "date_closed", "stage_id"}


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    def init(self):
        super().init()
        # the analysis pivot by department and month (with the report's company rule)
        # reads the tickets from this index alone; ``id`` is the key of the joins
        # PostgreSQL drops, which it still wants in the scan's output
        tools.create_index(
            self.env.cr, "helpdesk_ticket_analysis_department_date_index", self._table,
            ["department_id", "create_date", "company_id", "id"], where="active",
        )
        tools.create_index(
            self.env.cr, "helpdesk_ticket_report_summary_pending_index", self._table, ["id"],
            where="report_summary_pending",
        )
        # the summary's job recounts a few hours of creation every minute: a range of this
        # index instead of a scan of every ticket
        tools.create_index(self.env.cr, "helpdesk_ticket_create_date_index", self._table, ["create_date"])

    first_response_working_hours = fields.Float(
        "Working Hours to First Response",
        compute="_compute_working_hours", store=True, readonly=True, aggregator="avg",
        help="Working hours between the creation of the ticket and the first public reply of an "
        "agent, on the department's calendar (holidays excluded), as the SLA clocks count them.",
    )
    close_working_hours = fields.Float(
        "Working Hours to Close",
        compute="_compute_working_hours", store=True, readonly=True, aggregator="avg",
        help="Working hours between the creation of the ticket and its (last) closing, on the "
        "department's calendar (holidays excluded), as the SLA clocks count them.",
    )

    @api.depends("create_date", "date_first_response", "date_closed", "department_id.resource_calendar_id")
    def _compute_working_hours(self):
        """Business time on the department's calendar, with the SLA engine (same
        calendar, timezone and global leaves as the SLA deadlines)."""
        measured = self.filtered(lambda t: t.create_date and (t.date_first_response or t.date_closed))
        # no calendar read for the tickets that have nothing to measure (e.g. on creation)
        calendars = self.env["helpdesk.ticket.sla"]._calendars(measured.department_id) if measured else {}
        for ticket in self:
            cal = calendars.get(ticket.department_id.id, bt.ALWAYS_OPEN)
            start = ticket.create_date
            ticket.first_response_working_hours = (
                bt.working_hours_between(cal, start, ticket.date_first_response)
                if start and ticket.date_first_response else 0.0
            )
            ticket.close_working_hours = (
                bt.working_hours_between(cal, start, ticket.date_closed)
                if start and ticket.date_closed else 0.0
            )

    # -- hourly summary of the analysis (helpdesk.ticket.summary) -------------------
    report_summary_pending = fields.Boolean(
        "Report Summary Pending", default=True, copy=False, readonly=True,
        help="The ticket's hour of creation waits to be recounted in the analysis summary.",
    )

    @api.model
    def _job_crons(self):
        return dict(super()._job_crons(), report_summary_pending="helpdesk_reports.ir_cron_helpdesk_ticket_summary")

    def write(self, vals):
        if "report_summary_pending" not in vals:
            if REPORT_SUMMARY_MOVES & set(vals):
                # the hour of creation never changes: recounting it (every department of
                # it) moves the ticket to its new department, company or archive state
                vals = dict(vals, report_summary_pending=True)
                self._job_wake("report_summary_pending")
            elif REPORT_SUMMARY_MEASURES & set(vals):
                # a first response, a closing or a reopening changes the hour's averages:
                # the flag joins the same UPDATE, and the job's next run (every minute)
                # finds it without a wake-up on the reply path
                vals = dict(vals, report_summary_pending=True)
        return super().write(vals)

    def _report_summary_flag(self):
        """Flag these tickets for the summary's job (their SLA result or rating changed),
        found by the job's next run.

        Race (several workers): the job may hold one of these tickets (taken with its row
        lock), have recounted its hour without this transaction's change, and be about to
        unflag it. The ticket's row must then be written by this transaction even when its
        flag reads as set here: the write waits for the job's commit and fails with a
        serialization error that Odoo retries (the retry flags it again), instead of the
        job's unflag erasing the change. A ticket whose row this transaction writes anyway
        (fields pending in the cache) takes the flag in that UPDATE; a ticket created in
        this transaction (``create_date`` is the transaction's time) is already flagged and
        invisible to the job; the others are written here, in one UPDATE."""
        now = self.env.cr.now()
        tickets = self.sudo().filtered(lambda ticket: ticket.id and ticket.create_date != now)
        if not tickets:
            return
        cache = self.env.cache
        pending = tickets.filtered(lambda ticket: cache.has_dirty_fields(ticket))
        if pending:
            pending.with_context(tracking_disable=True).write({"report_summary_pending": True})
        others = tickets - pending
        if others:
            others.flush_recordset(["report_summary_pending"])
            self.env.cr.execute(SQL(
                "UPDATE helpdesk_ticket SET report_summary_pending = true WHERE id = ANY(%s)", others.ids,
            ))
            others.invalidate_recordset(["report_summary_pending"], flush=False)

    def unlink(self):
        # the deleted tickets cannot carry the flag: their hours are marked on the summary
        hours = {ticket.create_date.replace(minute=0, second=0, microsecond=0)
                 for ticket in self.sudo() if ticket.create_date}
        res = super().unlink()
        if hours:
            self.env["helpdesk.ticket.summary"].sudo()._mark_recount(hours)
            self._job_wake("report_summary_pending")
        return res

    @api.model
    def _cron_report_summary(self, batch_size=2000):
        """Job: recount the hours of creation of the flagged tickets (new ones are flagged
        by the field's default and found by the cron's frequent runs, without a wake-up
        in the creating transaction; moves and archiving wake it) and the hours a deletion
        marked. The batch is taken with SKIP LOCKED (a ticket being saved by an agent
        waits for the next run); the recount writes summary rows only."""
        Summary = self.env["helpdesk.ticket.summary"]
        tickets = self._job_take("report_summary_pending", batch_size)
        hours = set(Summary._hours_to_recount())
        if tickets:
            tickets.flush_recordset(["create_date"])
            self.env.cr.execute(SQL(
                "SELECT DISTINCT date_trunc('hour', create_date) FROM helpdesk_ticket WHERE id = ANY(%s)",
                tickets.ids,
            ))
            hours.update(row[0] for row in self.env.cr.fetchall())
        if not hours:
            return
        error = self._job_step(lambda: Summary._recount_hours(hours))
        self._job_done("report_summary_pending", tickets, tickets if error else tickets.browse())

    def _rating_get_parent_field_name(self):
        # ratings of tickets are grouped by department in the ratings analysis
        return "department_id"
