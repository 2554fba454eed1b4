import pytz
from odoo import api, fields, models, tools
from odoo.osv import expression
from odoo.tools import SQL

#: analysis fields the summary holds under the same name
SUMMARY_DIMENSIONS = {"department_id", "company_id"}
#: averages of the analysis the summary answers: measure -> (sum column, count column, SQL type
#: of the division). PostgreSQL's avg() of an integer is numeric(sum) / numeric(count) and of a
#: float sum / count in double precision: the same division of the summed sums and counts
SUMMARY_AVERAGES = {
    "first_response_hours": ("first_response_hours_sum", "first_response_hours_count", "float8"),
    "close_hours": ("close_hours_sum", "close_hours_count", "float8"),
    "sla_met": ("sla_met_sum", "sla_met_count", "numeric"),
    "rating_satisfied": ("rating_satisfied_sum", "rating_satisfied_count", "numeric"),
}
#: aggregates of the analysis the summary answers, and the summary's aggregate answering each
SUMMARY_AGGREGATES = {
    "__count": "ticket_count:sum",
    "ticket_count:sum": "ticket_count:sum",
    **{f"{measure}:avg": f"{total}:avg" for measure, (total, _count, _type) in SUMMARY_AVERAGES.items()},
}
#: the summary's average aggregates (``<sum column>:avg``): sum of the sums / sum of the counts
SUMMARY_AVERAGE_SELECTS = {f"{total}:avg": (total, count, type_) for total, count, type_ in SUMMARY_AVERAGES.values()}
#: granularities of the creation date the summary answers (an hour lies in one of each)
SUMMARY_GRANULARITIES = {"day", "week", "month", "quarter", "year"}


def _simplified(domain):
    """``domain`` with its always-true and always-false branches folded (a manager's rules
    are "the agents' rule OR everything": everything), as a normalized domain."""
    domain = expression.normalize_domain(domain)
    position = 0

    def node():
        nonlocal position
        token = domain[position]
        position += 1
        if token in (expression.AND_OPERATOR, expression.OR_OPERATOR):
            left, right = node(), node()
            if token == expression.AND_OPERATOR:
                if left is False or right is False:
                    return False
                if left is True:
                    return right
                return left if right is True else [token, *left, *right]
            if left is True or right is True:
                return True
            if left is False:
                return right
            return left if right is False else [token, *left, *right]
        if token == expression.NOT_OPERATOR:
            child = node()
            return (not child) if isinstance(child, bool) else [token, *child]
        if token == expression.TRUE_LEAF or tuple(token) == expression.TRUE_LEAF:
            return True
        if token == expression.FALSE_LEAF or tuple(token) == expression.FALSE_LEAF:
            return False
        return [token]

    result = node()
    if result is True:
        return []
    if result is False:
        return [expression.FALSE_LEAF]
    return result


def _summary_order(order):
    """``order`` of the analysis' ``_read_group`` in the summary's terms, or None when a
    term is neither a dimension nor an aggregate the summary holds."""
    terms = []
    for term in order.split(","):
        spec, _sep, direction = term.strip().partition(" ")
        if spec in SUMMARY_DIMENSIONS:
            mapped = spec
        elif spec.startswith("create_date:") and spec.partition(":")[2] in SUMMARY_GRANULARITIES:
            mapped = "hour:" + spec.partition(":")[2]
        elif spec in SUMMARY_AGGREGATES:
            mapped = SUMMARY_AGGREGATES[spec]
        else:
            return None
        terms.append(f"{mapped} {direction}".strip())
    return ",".join(terms)


class HelpdeskTicketSummary(models.Model):
    """Per department, company and hour of creation (UTC): the ticket count and, for each
    average of the pivot's default view (first response, time to close, SLA met,
    satisfaction), the sum and the count of the tickets' values, so that an average over
    any set of hours is exactly sum / count. The analysis' pivot by department and
    creation period (day to year) reads these rows instead of one row per ticket.

    Kept by the ticket model through a helpdesk job (``report_summary_pending``): a
    ticket created, moved to another department or company, archived or restored, answered,
    closed or reopened, rated, or whose SLA lines change status, is flagged, and the job
    recounts the hours of the flagged tickets from the analysis' own query restricted to
    those hours (all departments of those hours, so the department a ticket left is
    recounted too); a deleted ticket's hours, and those of a department whose calendar
    changed (its working hours are recomputed), are marked for the job. New tickets and
    measure changes are found by the job's run every minute (no wake-up on the creation
    or reply path); moves, archiving and deletions wake it at their commit. Until it runs,
    those hours lag. Every other grouping, measure or filter is answered from the full
    analysis view.

    Several workers: only the job writes the counts, and ``ir.cron`` never runs it twice
    at once, so a recount needs no lock of its own. A user transaction flagging a ticket
    the job has taken waits for the job's row lock, then fails with a serialization error
    and is retried by Odoo (flagging it again for the next run); a ticket being saved when
    the job takes its batch is skipped (``SKIP LOCKED``) and stays flagged. No change is
    lost: at worst an hour is recounted twice."""

    _name = "helpdesk.ticket.summary"
    _description = "Helpdesk Ticket Figures per Hour"
    _order = "hour, department_id"
    _log_access = False

    hour = fields.Datetime("Hour of Creation", required=True, readonly=True)
    department_id = fields.Many2one("helpdesk.department", string="Department", readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", string="Company", required=True, readonly=True, ondelete="cascade")
    ticket_count = fields.Integer("# Tickets", readonly=True, aggregator="sum")
    first_response_hours_sum = fields.Float("First Response (working hours, sum)", readonly=True, aggregator="sum")
    first_response_hours_count = fields.Integer("Answered Tickets", readonly=True, aggregator="sum")
    close_hours_sum = fields.Float("Time to Close (working hours, sum)", readonly=True, aggregator="sum")
    close_hours_count = fields.Integer("Closed Tickets", readonly=True, aggregator="sum")
    sla_met_sum = fields.Integer("SLA Met", readonly=True, aggregator="sum")
    sla_met_count = fields.Integer("Tickets with SLA Result", readonly=True, aggregator="sum")
    rating_satisfied_sum = fields.Integer("Satisfied Ratings", readonly=True, aggregator="sum")
    rating_satisfied_count = fields.Integer("Rated Tickets", readonly=True, aggregator="sum")
    recount = fields.Boolean("To Recount", readonly=True, help="A ticket of this hour was deleted.")

    def init(self):
        tools.create_unique_index(
            self.env.cr, "helpdesk_ticket_summary_key", self._table,
            ["hour", "company_id", "coalesce(department_id, 0)"],
        )

    # ------------------------------------------------------------------
    # Keeping the figures
    # ------------------------------------------------------------------
    @api.model
    def _insert_figures(self, tickets=None):
        """Insert the figures of the active tickets of ``tickets`` (an SQL query of ticket
        ids; every ticket when None), read from the analysis' query: the summary's measures
        are the view's, by construction."""
        averages = SQL(", ").join(
            SQL("sum(a.%s), count(a.%s)", SQL.identifier(measure), SQL.identifier(measure))
            for measure in SUMMARY_AVERAGES
        )
        columns = SQL(", ").join(
            SQL("%s, %s", SQL.identifier(total), SQL.identifier(count))
            for total, count, _type in SUMMARY_AVERAGES.values()
        )
        self.env.cr.execute(SQL(
            """
            INSERT INTO helpdesk_ticket_summary (hour, department_id, company_id, ticket_count, %(columns)s, recount)
            SELECT date_trunc('hour', a.create_date), a.department_id, a.company_id, count(*), %(averages)s, false
              FROM (%(analysis)s) a
             WHERE a.active AND a.create_date IS NOT NULL
             GROUP BY 1, 2, 3
            """,
            columns=columns, averages=averages,
            analysis=self.env["helpdesk.ticket.analysis"]._query(tickets),
        ))

    @api.model
    def _recount_hours(self, hours):
        """Recount the active tickets created in ``hours`` (UTC hour starts)."""
        hours = sorted({hour for hour in hours if hour})
        if not hours:
            return
        self.env.flush_all()  # the tickets, their SLA lines and ratings as the job sees them
        self.env.cr.execute(SQL("DELETE FROM helpdesk_ticket_summary WHERE hour = ANY(%s)", hours))
        self._insert_figures(SQL(
            """SELECT t.id FROM helpdesk_ticket t
                WHERE t.create_date >= %s AND t.create_date < %s + interval '1 hour'
                  AND date_trunc('hour', t.create_date) = ANY(%s)""",
            hours[0], hours[-1], hours,
        ))
        self.invalidate_model()

    @api.model
    def _mark_recount(self, hours=None, departments=None):
        """Mark ``hours``, or every hour of ``departments``, for the job (a deletion, a
        department's new calendar). An UPDATE, not a recount: a recount here could meet
        the job's rows of the same hour; a concurrent update is a serialization failure
        that Odoo retries, for the request as for the job."""
        self.flush_model()
        if departments is not None:
            self.env.cr.execute(SQL(
                "UPDATE helpdesk_ticket_summary SET recount = true WHERE department_id = ANY(%s) AND recount IS NOT TRUE",
                list(departments.ids),
            ))
        if hours:
            self.env.cr.execute(SQL(
                "UPDATE helpdesk_ticket_summary SET recount = true WHERE hour = ANY(%s) AND recount IS NOT TRUE",
                sorted(hours),
            ))
        self.invalidate_model(["recount"])

    @api.model
    def _hours_to_recount(self):
        self.flush_model()
        self.env.cr.execute("SELECT DISTINCT hour FROM helpdesk_ticket_summary WHERE recount")
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _rebuild(self):
        """Recount every hour (after tickets were loaded with SQL, bypassing the ORM)."""
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM helpdesk_ticket_summary")
        self._insert_figures()
        self.env.cr.execute("UPDATE helpdesk_ticket SET report_summary_pending = false WHERE report_summary_pending")
        self.invalidate_model()
        self.env["helpdesk.ticket"].invalidate_model(["report_summary_pending"])

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        # ``<sum column>:avg``: the average of the analysis' measure over the grouped hours
        average = SUMMARY_AVERAGE_SELECTS.get(aggregate_spec)
        if average is None:
            return super()._read_group_select(aggregate_spec, query)
        total, count, type_ = average
        return SQL(
            "SUM(%s)::%s / NULLIF(SUM(%s), 0)::%s",
            self._field_to_sql(self._table, total, query), SQL(type_),
            self._field_to_sql(self._table, count, query), SQL(type_),
        )

    # ------------------------------------------------------------------
    # Answering the analysis
    # ------------------------------------------------------------------
    @api.model
    def _whole_hour_timezone(self, tz):
        """Whether every offset of ``tz`` since 1970 is a whole number of hours (then an
        hour in UTC lies in a single day, week, month... of that timezone)."""
        try:
            zone = pytz.timezone(tz or "UTC")
        except pytz.UnknownTimeZoneError:
            return False
        infos = getattr(zone, "_transition_info", None)
        times = getattr(zone, "_utc_transition_times", None)
        if not infos:
            offset = zone.utcoffset(fields.Datetime.now())
            return offset is not None and offset.total_seconds() % 3600 == 0
        # the offset in force in 1970 and every one after
        first = next((index for index, when in enumerate(times) if when.year >= 1970), len(times))
        return all(info[0].total_seconds() % 3600 == 0 for info in infos[max(first - 1, 0):])

    @api.model
    def _analysis_read_group(self, analysis, domain, groupby, aggregates, having, offset, limit, order):
        """The answer of ``analysis._read_group(...)`` from the summary, or None when the
        summary cannot give the very same answer (then the analysis view answers)."""
        if having or offset or limit or not groupby:
            return None
        if analysis.env.context.get("active_test") is False:
            return None  # archived tickets are not counted here
        mapped_groupby = []
        for spec in groupby:
            if spec in SUMMARY_DIMENSIONS:
                mapped_groupby.append(spec)
                continue
            name, _sep, granularity = spec.partition(":")
            if name != "create_date" or granularity not in SUMMARY_GRANULARITIES:
                return None
            mapped_groupby.append(f"hour:{granularity}")
        if any(aggregate not in SUMMARY_AGGREGATES for aggregate in aggregates):
            return None
        if not self._whole_hour_timezone(analysis.env.context.get("tz")):
            return None
        # the user's filter and the analysis' record rules, both on the summary's fields only
        full_domain = list(domain or [])
        if not analysis.env.su:
            full_domain = expression.AND([
                full_domain, self.env["ir.rule"].with_user(analysis.env.user)._compute_domain(analysis._name, "read"),
            ])
        full_domain = _simplified(full_domain)
        for leaf in full_domain:
            if expression.is_leaf(leaf) and tuple(leaf) != expression.FALSE_LEAF \
                    and leaf[0] not in SUMMARY_DIMENSIONS:
                return None
        if order:
            order = _summary_order(order)
            if order is None:
                return None
        rows = self.sudo().with_context(analysis.env.context)._read_group(
            full_domain, mapped_groupby, [SUMMARY_AGGREGATES[a] for a in aggregates], order=order,
        )
        ngroups = len(groupby)
        result = []
        for row in rows:
            values = []
            for spec, value in zip(groupby, row[:ngroups]):
                if spec in SUMMARY_DIMENSIONS:
                    # records of the caller's environment, as the analysis returns them
                    value = analysis.env[value._name].browse(value.ids)
                values.append(value)
            result.append((*values, *row[ngroups:]))
        return result
