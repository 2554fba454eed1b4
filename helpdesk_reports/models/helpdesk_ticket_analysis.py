from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.helpdesk_ticket.models.helpdesk_ticket import PRIORITIES
from odoo.addons.helpdesk_ticket.tools.channels import ticket_channel_selection
from odoo.addons.helpdesk_ticket.tools.sql_view import create_view
from odoo.addons.rating.models.rating_data import RATING_LIMIT_SATISFIED

AGE_BUCKETS = [
    ("0_1", "Less than 1 day"),
    ("1_3", "1 to 3 days"),
    ("3_7", "3 to 7 days"),
    ("7_30", "1 to 4 weeks"),
    ("30", "Over 30 days"),
]


class HelpdeskTicketAnalysis(models.Model):
    """One row per ticket, for pivot and graph views.

    The row id is the ticket id, so that the record rules of this model can
    mirror the ticket rules on the same columns (see
    ``security/helpdesk_reports_security.xml``)."""

    _name = "helpdesk.ticket.analysis"
    _description = "Helpdesk Ticket Analysis"
    _auto = False
    _order = "create_date desc, id desc"
    _rec_name = "name"

    ticket_id = fields.Many2one("helpdesk.ticket", string="Ticket", readonly=True)
    number = fields.Char("Ticket Number", readonly=True)
    name = fields.Char("Subject", readonly=True)
    active = fields.Boolean(readonly=True)
    # dimensions
    create_date = fields.Datetime("Created on", readonly=True)
    close_date = fields.Datetime("Closed on", readonly=True)
    first_response_date = fields.Datetime("First Response on", readonly=True)
    department_id = fields.Many2one("helpdesk.department", string="Department", readonly=True)
    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    channel = fields.Selection(ticket_channel_selection, readonly=True)
    type_id = fields.Many2one("helpdesk.ticket.type", string="Type", readonly=True)
    priority = fields.Selection(PRIORITIES, readonly=True)
    stage_id = fields.Many2one("helpdesk.stage", string="Stage", readonly=True)
    closed = fields.Boolean("Is Closed", readonly=True)
    tag_ids = fields.Many2many(
        "helpdesk.tag", relation="helpdesk_tag_helpdesk_ticket_rel",
        column1="helpdesk_ticket_id", column2="helpdesk_tag_id", string="Tags", readonly=True,
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    commercial_partner_id = fields.Many2one("res.partner", string="Customer Company", readonly=True)
    company_id = fields.Many2one("res.company", string="Company", readonly=True)
    age_bucket = fields.Selection(
        AGE_BUCKETS, string="Age", readonly=True, help="Age of the open tickets (empty once closed)."
    )
    sla_status = fields.Selection(
        [("none", "No SLA"), ("running", "Running"), ("met", "Met"), ("failed", "Failed")],
        string="SLA", readonly=True,
    )
    rating_date = fields.Datetime("Rated on", readonly=True)
    # measures
    ticket_count = fields.Integer("# Tickets", readonly=True)
    first_response_hours = fields.Float(
        "First Response (working hours)", readonly=True, aggregator="avg",
        help="On the department's calendar, holidays excluded (empty until answered).",
    )
    close_hours = fields.Float(
        "Time to Close (working hours)", readonly=True, aggregator="avg",
        help="On the department's calendar, holidays excluded (empty while open).",
    )
    open_hours = fields.Float(
        "Hours Open", readonly=True, aggregator="avg",
        help="Hours elapsed since the creation of the ticket, for open tickets (empty once closed).",
    )
    reopen_count = fields.Integer("Reopened", readonly=True)
    sla_failed_count = fields.Integer("SLA Targets Failed", readonly=True)
    sla_met = fields.Integer(
        "SLA Met", readonly=True, aggregator="avg",
        help="1 when every SLA target of the ticket was reached in time, 0 when one failed; empty "
        "when the ticket has no SLA or a target is still running. Its average is the compliance rate.",
    )
    rating = fields.Float(
        "Rating", readonly=True, aggregator="avg", help="Last rating given by the customer (1 to 5)."
    )
    rating_satisfied = fields.Integer(
        "Satisfaction", readonly=True, aggregator="avg",
        help="1 when the last rating is 4 or 5, 0 below, empty when not rated. Its average is the "
        "satisfaction rate.",
    )
    customer_message_count = fields.Integer("Messages from Customer", readonly=True)
    agent_message_count = fields.Integer("Messages from Agents", readonly=True)
    # managers' measures: first-contact resolution, answered or not
    first_contact_resolution = fields.Integer(
        "First-Contact Resolution", readonly=True, aggregator="avg",
        help="1 when the ticket was closed with a single agent reply and never reopened, 0 when "
        "closed otherwise, empty while open. Its average is the first-contact resolution rate.",
    )
    answer_status = fields.Selection(
        [("answered", "Answered"), ("unanswered", "Unanswered")], string="Answered", readonly=True,
        help="Answered: an agent replied to the customer at least once.",
    )

    def _query(self, tickets=None):
        """The view's query; with ``tickets`` (an SQL query of ticket ids), the rows of those
        tickets only, each subquery restricted to them (the summary's recount: the same
        definitions of every measure, without aggregating the whole SLA and rating tables)."""

        def among(column):
            return SQL("AND %s IN (%s)", SQL(column), tickets) if tickets is not None else SQL()

        return SQL(
            """
            SELECT
                t.id AS id,
                t.id AS ticket_id,
                t.number AS number,
                t.name AS name,
                t.active AS active,
                t.create_date AS create_date,
                t.date_closed AS close_date,
                t.date_first_response AS first_response_date,
                t.department_id AS department_id,
                t.user_id AS user_id,
                t.channel AS channel,
                t.type_id AS type_id,
                t.priority AS priority,
                t.stage_id AS stage_id,
                coalesce(t.closed, false) AS closed,
                t.partner_id AS partner_id,
                t.commercial_partner_id AS commercial_partner_id,
                t.company_id AS company_id,
                CASE
                    WHEN coalesce(t.closed, false) THEN NULL
                    WHEN now() AT TIME ZONE 'UTC' - t.create_date < interval '1 day' THEN '0_1'
                    WHEN now() AT TIME ZONE 'UTC' - t.create_date < interval '3 days' THEN '1_3'
                    WHEN now() AT TIME ZONE 'UTC' - t.create_date < interval '7 days' THEN '3_7'
                    WHEN now() AT TIME ZONE 'UTC' - t.create_date < interval '30 days' THEN '7_30'
                    ELSE '30'
                END AS age_bucket,
                CASE
                    WHEN sla.line_count IS NULL THEN 'none'
                    WHEN sla.failed_count > 0 THEN 'failed'
                    WHEN sla.running_count > 0 THEN 'running'
                    ELSE 'met'
                END AS sla_status,
                rt.rating_date AS rating_date,
                1 AS ticket_count,
                CASE WHEN t.date_first_response IS NOT NULL
                     THEN t.first_response_working_hours END AS first_response_hours,
                CASE WHEN t.date_closed IS NOT NULL THEN t.close_working_hours END AS close_hours,
                CASE WHEN NOT coalesce(t.closed, false)
                     THEN EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - t.create_date) / 3600.0
                END AS open_hours,
                coalesce(t.reopen_count, 0) AS reopen_count,
                coalesce(sla.failed_count, 0) AS sla_failed_count,
                CASE
                    WHEN sla.line_count IS NULL THEN NULL
                    WHEN sla.failed_count > 0 THEN 0
                    WHEN sla.running_count > 0 THEN NULL
                    ELSE 1
                END AS sla_met,
                rt.rating AS rating,
                CASE WHEN rt.rating IS NULL THEN NULL
                     WHEN rt.rating >= %(satisfied)s THEN 1 ELSE 0 END AS rating_satisfied,
                coalesce(msg.customer_count, 0) AS customer_message_count,
                coalesce(msg.agent_count, 0) AS agent_message_count,
                CASE WHEN NOT coalesce(t.closed, false) THEN NULL
                     WHEN coalesce(msg.agent_count, 0) = 1 AND coalesce(t.reopen_count, 0) = 0 THEN 1
                     ELSE 0 END AS first_contact_resolution,
                CASE WHEN t.date_first_response IS NOT NULL OR coalesce(msg.agent_count, 0) > 0
                     THEN 'answered' ELSE 'unanswered' END AS answer_status
            FROM helpdesk_ticket t
            -- one row per ticket in each subquery (grouped by ticket): PostgreSQL drops the
            -- joins a query does not read and hash-joins the others once, instead of running
            -- a subquery for every ticket
            LEFT JOIN (
                SELECT l.ticket_id,
                       count(*) AS line_count,
                       count(*) FILTER (WHERE l.status = 'failed') AS failed_count,
                       count(*) FILTER (WHERE l.status IN ('ongoing', 'paused')) AS running_count
                  FROM helpdesk_ticket_sla l
                 WHERE true %(sla_among)s
                 GROUP BY l.ticket_id
            ) sla ON sla.ticket_id = t.id
            LEFT JOIN (
                -- the last rating given (latest write, then highest id)
                SELECT DISTINCT ON (r.res_id) r.res_id, r.rating AS rating, r.write_date AS rating_date
                  FROM rating_rating r
                 WHERE r.res_model = 'helpdesk.ticket' AND r.consumed AND r.rating > 0 %(rating_among)s
                 ORDER BY r.res_id, r.write_date DESC, r.id DESC
            ) rt ON rt.res_id = t.id
            LEFT JOIN (
                -- public messages, by agents (authors with an active internal user) or not
                SELECT mm.res_id,
                       count(*) FILTER (WHERE agent.partner_id IS NULL) AS customer_count,
                       count(*) FILTER (WHERE agent.partner_id IS NOT NULL) AS agent_count
                  FROM mail_message mm
                  JOIN mail_message_subtype st ON st.id = mm.subtype_id
                  LEFT JOIN (
                      SELECT DISTINCT u.partner_id FROM res_users u WHERE u.active AND NOT u.share
                  ) agent ON agent.partner_id = mm.author_id
                 WHERE mm.model = 'helpdesk.ticket'
                   AND mm.message_type IN ('comment', 'email', 'email_outgoing')
                   AND NOT coalesce(st.internal, false) %(message_among)s
                 GROUP BY mm.res_id
            ) msg ON msg.res_id = t.id
            WHERE true %(ticket_among)s
            """,
            satisfied=RATING_LIMIT_SATISFIED,
            sla_among=among("l.ticket_id"), rating_among=among("r.res_id"),
            message_among=among("mm.res_id"), ticket_among=among("t.id"),
        )

    def init(self):
        create_view(self.env.cr, self._table, self._query())

    @api.model
    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        # counts by department, company and creation period (the pivot's default) come
        # from the hourly summary kept by the ticket model; anything else from the view
        answer = self.env["helpdesk.ticket.summary"]._analysis_read_group(
            self, domain, groupby, aggregates, having, offset, limit, order,
        )
        if answer is not None:
            return answer
        return super()._read_group(domain, groupby, aggregates, having, offset, limit, order)

    @api.readonly
    def action_open_ticket(self):
        self.ensure_one()
        return self.env["helpdesk.ticket"]._record_form_action(self.ticket_id)
