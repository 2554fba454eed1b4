import ast

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .helpdesk_ticket import PRIORITIES

INTERVAL_TYPES = [
    ("days", "Days"),
    ("weeks", "Weeks"),
    ("months", "Months"),
    ("years", "Years"),
]


OFFSET_UNITS = [
    ("days", "Days"),
    ("weeks", "Weeks"),
    ("months", "Months"),
]
#: records of a date-driven schedule opened per run of the job
DATE_FIELD_BATCH = 200


class HelpdeskTicketSchedule(models.Model):
    """A recurring ticket template: opens a ticket on each due date (e.g. a yearly
    subscription renewal check) through the ordinary ticket creation path.

    A schedule driven by a date field opens one ticket per record of a model instead,
    an offset before or after the record's date (e.g. 30 days before a contract's end
    date); each record and date gets one ticket (``helpdesk.ticket.schedule.occurrence``)."""

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
    # driven by a date field of a record
    trigger = fields.Selection(
        [("interval", "Repeat at an interval"), ("date_field", "Date of a record")],
        string="Trigger", default="interval", required=True, tracking=True,
        help="Repeat at an interval: one ticket on each due date. Date of a record: one ticket per "
        "record of a model, an offset before or after a date of that record (e.g. a contract's end date).",
    )
    res_model_id = fields.Many2one(
        "ir.model", string="Model", ondelete="cascade",
        domain="[('transient', '=', False)]",
        help="The records whose date opens the tickets, e.g. contracts.",
    )
    res_model = fields.Char(related="res_model_id.model", string="Model Name")
    date_field_id = fields.Many2one(
        "ir.model.fields", string="Date Field", ondelete="cascade",
        domain="[('model_id', '=', res_model_id), ('ttype', 'in', ('date', 'datetime')), ('store', '=', True)]",
    )
    partner_field_id = fields.Many2one(
        "ir.model.fields", string="Customer Field", ondelete="set null",
        domain="[('model_id', '=', res_model_id), ('ttype', '=', 'many2one'), ('relation', '=', 'res.partner'),"
        " ('store', '=', True)]",
        help="The record's contact the ticket is opened for (empty: the schedule's customer).",
    )
    record_domain = fields.Char(
        "Records", default="[]",
        help="Only the records matching this filter open tickets.",
    )
    offset_number = fields.Integer("Offset", default=0)
    offset_unit = fields.Selection(OFFSET_UNITS, "Offset Unit", default="days", required=True)
    offset_direction = fields.Selection(
        [("before", "Before"), ("after", "After")], "Offset Direction", default="before", required=True,
    )
    date_from = fields.Date(
        "For Dates From", default=fields.Date.context_today,
        help="Records whose date is earlier than this are ignored (so that a new schedule does not "
        "open tickets for every past record, e.g. contracts that already ended).",
    )
    occurrence_ids = fields.One2many(
        "helpdesk.ticket.schedule.occurrence", "schedule_id", string="Opened for Records", readonly=True,
    )

    _sql_constraints = [
        ("interval_positive", "CHECK (interval_number > 0)", "The interval must be positive."),
        ("offset_not_negative", "CHECK (offset_number >= 0)", "The offset cannot be negative."),
    ]

    @api.constrains("trigger", "res_model_id", "date_field_id", "partner_field_id", "record_domain")
    def _check_date_field_trigger(self):
        for schedule in self.filtered(lambda s: s.trigger == "date_field"):
            if not schedule.res_model_id or not schedule.date_field_id:
                raise ValidationError(self.env._("A schedule driven by a date needs a model and a date field."))
            for field in schedule.date_field_id | schedule.partner_field_id:
                if field.model_id != schedule.res_model_id:
                    raise ValidationError(self.env._(
                        "The field %(field)s is not a field of %(model)s.",
                        field=field.field_description, model=schedule.res_model_id.name,
                    ))
            schedule._record_domain_list()
            schedule._check_records_readable()

    def _check_records_readable(self):
        """The job reads the records of a date-driven schedule as superuser (it runs as
        the cron's user): whoever configures one must be able to read that model, its date
        and customer fields and the fields its filter tests. Otherwise a helpdesk manager
        could read any table through the tickets' subjects and the filter, e.g. the
        database secret in ``ir.config_parameter``, one matching ticket at a time."""
        self.ensure_one()
        if self.env.su:
            return
        Model = self.env[self.res_model]
        Model.check_access("read")
        Model.check_field_access_rights("read", [
            field.name for field in self.date_field_id | self.partner_field_id
        ])
        # searching as the user checks the fields of the filter (field groups)
        Model.search_count(self._record_domain_list(), limit=1)

    def _record_domain_list(self):
        """The filter on the records, as a list (literal only: no code is evaluated)."""
        self.ensure_one()
        try:
            domain = ast.literal_eval(self.record_domain or "[]")
        except (ValueError, SyntaxError):
            domain = None
        if not isinstance(domain, list):
            raise ValidationError(self.env._("The filter on the records is not a valid domain: %s", self.record_domain))
        return domain

    def _date_offset(self):
        self.ensure_one()
        offset = relativedelta(**{self.offset_unit: self.offset_number})
        return offset if self.offset_direction == "after" else -offset

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

    def _prepare_ticket_values(self, due_date, record=None):
        """Values of the ticket of ``due_date`` (``record``: the record whose date drove it,
        for a schedule driven by a date field)."""
        self.ensure_one()
        partner = self.partner_id
        name = self.name
        if record is not None:
            name = f"{self.name} - {record.display_name}"
            if self.partner_field_id and record[self.partner_field_id.name]:
                partner = record[self.partner_field_id.name]
        return {
            "name": name,
            "description": self.description,
            "department_id": self.department_id.id,
            "partner_id": partner.id,
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
        due = SQL("active AND trigger = 'interval' AND next_date <= %s", today)
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
        date_schedules = self.search([("trigger", "=", "date_field")])
        tickets |= date_schedules._open_date_field_tickets(today, limit)
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT count(*) FROM helpdesk_ticket_schedule WHERE %s", due))
        remaining = self.env.cr.fetchone()[0]
        # a date-driven schedule with more due records than a batch goes on at once too
        remaining += sum(
            1 for schedule in date_schedules.filtered("active")
            if schedule.res_model in self.env and schedule._due_records(today, limit=1)
        )
        self._job_progress("open_due_tickets", len(tickets), remaining)
        return tickets

    def _due_records(self, today, limit=DATE_FIELD_BATCH):
        """Records of a date-driven schedule whose ticket is due (date + offset reached,
        the record's date not before ``date_from``) and not opened yet."""
        self.ensure_one()
        Model = self.env[self.res_model].sudo().with_context(active_test=True)
        date_field = self.date_field_id.name
        # date + offset <= today  <=>  date <= today - offset
        domain = self._record_domain_list() + [(date_field, "<=", today - self._date_offset())]
        company_field = Model._fields.get("company_id")
        if company_field and company_field.type == "many2one" and company_field.comodel_name == "res.company":
            # the records of the schedule's company (or shared): not another company's
            domain.append(("company_id", "in", [False, self.company_id.id]))
        if self.date_from:
            domain.append((date_field, ">=", self.date_from))
        query = Model._search(domain)
        if query.is_empty():
            return []
        # the records and dates without their ticket yet, ``limit`` of them, in one query:
        # not every matching record of the past and every occurrence at each run (both
        # only grow)
        record_id = SQL.identifier(Model._table, "id")
        date_sql = Model._field_to_sql(Model._table, date_field, query)
        query.add_where(SQL(
            """NOT EXISTS (SELECT 1 FROM helpdesk_ticket_schedule_occurrence occurrence
                            WHERE occurrence.schedule_id = %s AND occurrence.res_id = %s
                              AND occurrence.date = (%s)::date)""",
            self.id, record_id, date_sql,
        ))
        query.order = SQL("%s, %s", date_sql, record_id)
        query.limit = limit
        self.env["helpdesk.ticket.schedule.occurrence"].flush_model()
        self.env.cr.execute(query.select(record_id, date_sql))
        rows = self.env.cr.fetchall()
        records = Model.browse([row[0] for row in rows])
        return [(record, fields.Date.to_date(value)) for record, (_id, value) in zip(records, rows)]

    def _open_date_field_tickets(self, today, limit=DATE_FIELD_BATCH):
        """One ticket per due record of these date-driven schedules (a record whose date
        moves, e.g. a renewed contract, gets a ticket for its new date too)."""
        tickets = self.env["helpdesk.ticket"]
        Occurrence = self.env["helpdesk.ticket.schedule.occurrence"].sudo()
        for schedule in self.filtered("active"):
            if schedule.res_model not in self.env:
                continue
            for record, date in schedule._due_records(today, limit):
                ticket = self.env["helpdesk.ticket"].with_company(schedule.company_id).create(
                    schedule._prepare_ticket_values(date + schedule._date_offset(), record=record)
                )
                Occurrence.create({"schedule_id": schedule.id, "res_id": record.id, "date": date, "ticket_id": ticket.id})
                schedule.write({"last_date": today, "ticket_ids": [Command.link(ticket.id)]})
                ticket.message_post(
                    body=self.env._(
                        "Opened by the schedule %(schedule)s for %(record)s (%(date)s).",
                        schedule=schedule._get_html_link(), record=record.display_name,
                        date=fields.Date.to_string(date),
                    ),
                    subtype_xmlid="mail.mt_note",
                )
                tickets |= ticket
        return tickets

    def action_view_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_ticket.helpdesk_ticket_action")
        action["domain"] = [("id", "in", self.ticket_ids.ids)]
        action["context"] = {"create": False}
        return action
