from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL

from .helpdesk_ticket import PRIORITIES

INTERVAL_TYPES = [
    ("days", "Days"),
    ("weeks", "Weeks"),
    ("months", "Months"),
    ("years", "Years"),
]


class HelpdeskTicketSchedule(models.Model):
    """A recurring ticket template: opens a ticket on each due date (e.g. a yearly
    subscription renewal check) through the ordinary ticket creation path."""

    _name = "helpdesk.ticket.schedule"
    _description = "Scheduled Helpdesk Ticket"
    _inherit = ["mail.thread", "helpdesk.job.mixin"]
    _order = "next_date, id"

    name = fields.Char("Subject", required=True, tracking=True)
    description = fields.Html(sanitize=True)
    active = fields.Boolean(default=True, tracking=True)
    department_id = fields.Many2one(
        "helpdesk.department", string="Department", check_company=True, tracking=True, ondelete="cascade",
    )
    company_id = fields.Many2one(
        "res.company", compute="_compute_company_id", store=True, readonly=False, required=True,
        precompute=True, index=True,
    )
    partner_id = fields.Many2one("res.partner", string="Customer", tracking=True)
    user_id = fields.Many2one(
        "res.users", string="Assign to", domain="[('share', '=', False)]",
        help="Leave empty to let the department's assignment method choose the agent.",
    )
    priority = fields.Selection(PRIORITIES, default="1", required=True)
    tag_ids = fields.Many2many(
        "helpdesk.tag", "helpdesk_ticket_schedule_tag_rel", "schedule_id", "tag_id", string="Tags"
    )
    type_id = fields.Many2one("helpdesk.ticket.type", string="Type")
    next_date = fields.Date(
        "Next Date", required=True, default=fields.Date.context_today, index=True, tracking=True,
        help="The next ticket is opened on this date; the date then moves forward by the interval.",
    )
    interval_number = fields.Integer("Repeat Every", default=1, required=True)
    interval_type = fields.Selection(INTERVAL_TYPES, "Interval Unit", default="months", required=True)
    last_date = fields.Date("Last Ticket Date", readonly=True, copy=False)
    ticket_ids = fields.Many2many(
        "helpdesk.ticket", "helpdesk_ticket_schedule_ticket_rel", "schedule_id", "ticket_id",
        string="Tickets", readonly=True, copy=False,
    )
    ticket_count = fields.Integer(compute="_compute_ticket_count", string="Tickets Opened")

    _sql_constraints = [
        ("interval_positive", "CHECK (interval_number > 0)", "The interval must be positive."),
    ]

    @api.depends("department_id")
    def _compute_company_id(self):
        for schedule in self:
            if schedule.department_id:
                schedule.company_id = schedule.department_id.company_id
            elif not schedule.company_id:
                schedule.company_id = self.env.company

    def _compute_ticket_count(self):
        for schedule in self:
            schedule.ticket_count = len(schedule.ticket_ids)

    def _next_date_after(self, date):
        self.ensure_one()
        return date + relativedelta(**{self.interval_type: self.interval_number})

    def _prepare_ticket_values(self, due_date):
        self.ensure_one()
        return {
            "name": self.name,
            "description": self.description,
            "department_id": self.department_id.id,
            "partner_id": self.partner_id.id,
            "user_id": self.user_id.id,
            "priority": self.priority,
            "tag_ids": [Command.set(self.tag_ids.ids)],
            "type_id": self.type_id.id,
            "company_id": self.company_id.id,
            "channel": "internal",
        }

    def _open_ticket(self, due_date):
        """Open the ticket of ``due_date`` and move the schedule to its next date (past
        dates missed while the cron did not run are skipped: one ticket per run)."""
        self.ensure_one()
        ticket = self.env["helpdesk.ticket"].with_company(self.company_id).create(
            self._prepare_ticket_values(due_date)
        )
        today = fields.Date.context_today(self)
        next_date = self._next_date_after(due_date)
        while next_date <= today:
            next_date = self._next_date_after(next_date)
        self.write({
            "next_date": next_date,
            "last_date": due_date,
            "ticket_ids": [Command.link(ticket.id)],
        })
        ticket.message_post(
            body=self.env._("Opened by the schedule %s.", self._get_html_link()),
            subtype_xmlid="mail.mt_note",
        )
        return ticket

    # ------------------------------------------------------------------
    # Job (helpdesk.job.mixin): open the due tickets
    # ------------------------------------------------------------------
    @api.model
    def _job_crons(self):
        return dict(super()._job_crons(), open_due_tickets="helpdesk_ticket.ir_cron_helpdesk_ticket_schedule")

    @api.model
    def _cron_create_due_tickets(self, limit=200):
        """Open the tickets whose date has come, exactly once per due date: the
        ticket and the schedule's next date are written in the same transaction,
        and the cron framework never runs this job twice at once.

        The due schedules are locked ``FOR NO KEY UPDATE SKIP LOCKED`` against the
        one user transaction that writes them: a manager saving the schedule's
        form. That schedule is left to the next run (its new values decide), the
        others are opened without waiting; one saved since this run began leaves
        the batch to a new run a few seconds later (``_job_lock``)."""
        today = fields.Date.context_today(self)
        self.env.flush_all()
        due = SQL("active AND next_date <= %s", today)
        ids = self._job_lock("open_due_tickets", SQL(
            "SELECT id FROM helpdesk_ticket_schedule WHERE %s ORDER BY next_date, id LIMIT %s"
            " FOR NO KEY UPDATE SKIP LOCKED",
            due, limit,
        ))
        tickets = self.env["helpdesk.ticket"]
        schedules = self.browse(ids)
        schedules.invalidate_recordset(["next_date", "active"])
        for schedule in schedules:
            if not schedule.active or schedule.next_date > today:
                continue
            tickets |= schedule._open_ticket(schedule.next_date)
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT count(*) FROM helpdesk_ticket_schedule WHERE %s", due))
        self._job_progress("open_due_tickets", len(tickets), self.env.cr.fetchone()[0])
        return tickets

    def action_view_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_ticket.helpdesk_ticket_action")
        action["domain"] = [("id", "in", self.ticket_ids.ids)]
        action["context"] = {"create": False}
        return action
