import pytz
from odoo import api, fields, models, tools
from odoo.osv import expression
from odoo.tools import SQL

#: analysis fields the summary holds under the same name
SUMMARY_DIMENSIONS = {"department_id", "company_id"}
#: aggregates of the analysis the summary answers, and how
SUMMARY_AGGREGATES = {"__count": "ticket_count:sum", "ticket_count:sum": "ticket_count:sum"}
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


class HelpdeskTicketSummary(models.Model):
    """Ticket counts per department, company and hour of creation (UTC): the pivot's
    default view of the analysis (count by department and month, by year, ...) reads these
    rows instead of one row per ticket.

    Kept by the ticket model through a helpdesk job (``report_summary_pending``): a
    ticket created, moved to another department or company, archived or restored is
    flagged, and the job recounts the hours of the flagged tickets from the tickets
    themselves (all departments of those hours, so the department a ticket left is
    recounted too); a deleted ticket's hours are marked for the job. New tickets are found
    by the job's run every minute (no wake-up on the creation path); moves, archiving and
    deletions wake it at their commit. Until it runs, the counts of those hours lag.
    Every other grouping, measure or filter is answered from the full analysis view."""

    _name = "helpdesk.ticket.summary"
    _description = "Helpdesk Ticket Counts per Hour"
    _order = "hour, department_id"
    _log_access = False

    hour = fields.Datetime("Hour of Creation", required=True, readonly=True)
    department_id = fields.Many2one("helpdesk.department", string="Department", readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", string="Company", required=True, readonly=True, ondelete="cascade")
    ticket_count = fields.Integer("# Tickets", readonly=True, aggregator="sum")
    recount = fields.Boolean("To Recount", readonly=True, help="A ticket of this hour was deleted.")

    def init(self):
        tools.create_unique_index(
            self.env.cr, "helpdesk_ticket_summary_key", self._table,
            ["hour", "company_id", "coalesce(department_id, 0)"],
        )

    # ------------------------------------------------------------------
    # Keeping the counts
    # ------------------------------------------------------------------
    @api.model
    def _recount_hours(self, hours):
        """Recount the active tickets created in ``hours`` (UTC hour starts)."""
        hours = sorted({hour for hour in hours if hour})
        if not hours:
            return
        self.env["helpdesk.ticket"].flush_model(["create_date", "department_id", "company_id", "active"])
        self.flush_model()
        self.env.cr.execute(SQL("DELETE FROM helpdesk_ticket_summary WHERE hour = ANY(%s)", hours))
        self.env.cr.execute(SQL(
            """
            INSERT INTO helpdesk_ticket_summary (hour, department_id, company_id, ticket_count, recount)
            SELECT date_trunc('hour', t.create_date), t.department_id, t.company_id, count(*), false
              FROM helpdesk_ticket t
             WHERE t.active AND t.create_date >= %s AND t.create_date < %s + interval '1 hour'
               AND date_trunc('hour', t.create_date) = ANY(%s)
             GROUP BY 1, 2, 3
            """,
            hours[0], hours[-1], hours,
        ))
        self.invalidate_model()

    @api.model
    def _mark_recount(self, hours):
        """Mark ``hours`` for the job (a deletion). An UPDATE, not a recount: a recount
        here could meet the job's rows of the same hour; a concurrent update is a
        serialization failure that Odoo retries, for the request as for the job."""
        self.flush_model()
        self.env.cr.execute(SQL(
            "UPDATE helpdesk_ticket_summary SET recount = true WHERE hour = ANY(%s) AND recount IS NOT TRUE", sorted(hours),
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
        self.env["helpdesk.ticket"].flush_model()
        self.env.cr.execute("DELETE FROM helpdesk_ticket_summary")
        self.env.cr.execute(
            """
            INSERT INTO helpdesk_ticket_summary (hour, department_id, company_id, ticket_count, recount)
            SELECT date_trunc('hour', t.create_date), t.department_id, t.company_id, count(*), false
              FROM helpdesk_ticket t
             WHERE t.active AND t.create_date IS NOT NULL
             GROUP BY 1, 2, 3
            """
        )
        self.env.cr.execute("UPDATE helpdesk_ticket SET report_summary_pending = false WHERE report_summary_pending")
        self.invalidate_model()
        self.env["helpdesk.ticket"].invalidate_model(["report_summary_pending"])

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
            order = order.replace("create_date:", "hour:").replace("__count", "ticket_count:sum")
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
