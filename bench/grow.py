"""Grow a table to a target row count for the read benchmarks (4 and 5).

The seed records are real ones created through the ORM by the earlier
benchmarks (intake and batch creation: routing, assignment, SLA, messages).
They are first given a realistic spread (most tickets closed, several
departments, agents, priorities and customers), then multiplied with Odoo 18's
own populate engine (``odoo.tools.populate.populate_models``, the code behind
``odoo-bin populate --models ... --factors ...``): one INSERT ... SELECT per
table with indexes rebuilt afterwards. The seeds' creation dates are first spread
over the last three years (every seed its own minute, so varied months, days and
hours; ``CREATED``), the same way for every system; the engine then puts each copy
on a nearby day at its seed's time. Duplicated rows carry no chatter messages; see
BENCHMARKS.md."""
import logging
import math

from odoo.tools.populate import populate_models

_logger = logging.getLogger(__name__)


def count(env, table):
    env.cr.execute(f"SELECT count(*) FROM {table}")  # table names come from the code, not from input
    return env.cr.fetchone()[0]


def grow(env, model_name, target):
    """Multiply the rows of ``model_name`` so that there are at least ``target``."""
    model = env[model_name].with_context(active_test=False)
    current = count(env, model._table)
    if current >= target:
        return current
    factor = math.ceil(target / current) - 1
    env.flush_all()
    populate_models({model: factor}, ord("_"))
    env.flush_all()
    env.invalidate_all()
    # the engine makes char columns unique by appending "_<copy>"; customers' emails
    # must stay real addresses for the lookups to mean anything
    email = EMAIL_COLUMNS.get(model._table)
    if email:
        from odoo.addons.helpdesk_ticket.populate.helpdesk_ticket import restore_duplicated_emails  # noqa: PLC0415 - needs the addons path
        restore_duplicated_emails(env.cr, model._table, email)
    env.cr.commit()
    vacuum_analyze(env, model._table)
    return count(env, model._table)


EMAIL_COLUMNS = {"helpdesk_ticket": "partner_email", "crm_lead": "email_from"}


def vacuum_analyze(env, table):
    """VACUUM ANALYZE (outside a transaction): fresh statistics and visibility map, as
    autovacuum would give a production database after the bulk insert."""
    from odoo.sql_db import db_connect
    with db_connect(env.cr.dbname).cursor() as cr:
        cr.connection.autocommit = True
        cr.execute(f"VACUUM ANALYZE {table}")


def _spread(env, table, assignments, params):
    """One set-based UPDATE giving row number ``n`` (by id) the values of ``assignments``
    (SQL expressions of ``n`` and of the array parameters)."""
    env.flush_all()
    env.cr.execute(f"""
        UPDATE {table} t SET {assignments}
          FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1)::int AS n FROM {table}) s
         WHERE s.id = t.id
    """, params)
    env.invalidate_all()


def _pick(name):
    return f"(%({name})s::{'text' if name == 'emails' else 'int'}[])[1 + s.n %% cardinality(%({name})s::{'text' if name == 'emails' else 'int'}[])]"


#: minutes in three years: the seeds' creation dates are spread over the last three years
SPREAD_MINUTES = 3 * 365 * 24 * 60
#: row ``n`` is created ``n * SPREAD_STEP mod SPREAD_MINUTES`` minutes before today 00:00 UTC:
#: the step is prime to SPREAD_MINUTES (2^5.3^3.5^2.73), so every seed gets its own minute,
#: and consecutive seeds land in unrelated months, days and hours (deterministic: the same
#: spread relative to the day of the run, whatever the machine)
SPREAD_STEP = 7919
CREATED = (f"(date_trunc('day', now() AT TIME ZONE 'UTC') "
           f"- ((s.n::bigint * {SPREAD_STEP}) %% {SPREAD_MINUTES}) * interval '1 minute')")


def spread_ours(env, departments, agents, customers):
    """Give the ticket seed a realistic shape: 90% closed, every department/agent/priority,
    creation dates over three years (the copies then keep their seed's hour on nearby days,
    see ``odoo.tools.populate.get_field_variation_date``)."""
    stages = env["helpdesk.stage"].search([])
    closed = stages.filtered("closed")[:1]
    open_stages = stages.filtered(lambda s: not s.closed)
    # the analysis summary is recounted from scratch after the copies (bench_reads): no seed
    # carries its job's flag, so the copies do not either
    unflag = ", report_summary_pending = false" if "report_summary_pending" in env["helpdesk.ticket"]._fields else ""
    _spread(env, "helpdesk_ticket", f"""
        create_date = {CREATED},
        date_first_response = {CREATED} + (t.date_first_response - t.create_date),
        stage_id = CASE WHEN s.n %% 10 <> 0 THEN %(closed)s ELSE {_pick('open_stages')} END,
        closed = s.n %% 10 <> 0,
        date_closed = CASE WHEN s.n %% 10 <> 0 THEN {CREATED} + interval '2 days' END{unflag},
        department_id = {_pick('departments')}, user_id = {_pick('agents')},
        priority = (s.n %% 4)::text, partner_id = {_pick('customers')},
        commercial_partner_id = {_pick('customers')}, partner_email = {_pick('emails')}
    """, {"closed": closed.id, "open_stages": open_stages.ids, "departments": departments.ids,
          "agents": agents.ids, "customers": customers.ids, "emails": customers.mapped("email")})


def spread_crm(env, team, agents, customers):
    won = env["crm.stage"].search([("is_won", "=", True)], limit=1)
    open_stage = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    _spread(env, "crm_lead", f"""
        create_date = {CREATED},
        stage_id = CASE WHEN s.n %% 10 <> 0 THEN %(won)s ELSE %(open)s END,
        probability = CASE WHEN s.n %% 10 <> 0 THEN 100 ELSE 10 END,
        type = 'opportunity', team_id = %(team)s, user_id = {_pick('agents')},
        priority = (s.n %% 4)::text, partner_id = {_pick('customers')}, email_from = {_pick('emails')},
        active = true
    """, {"won": won.id, "open": open_stage.id, "team": team.id, "agents": agents.ids,
          "customers": customers.ids, "emails": customers.mapped("email")})


def spread_oca(env, teams, agents, customers):
    stages = env["helpdesk.ticket.stage"].search([])
    closed = stages.filtered("closed")[:1]
    open_stages = stages.filtered(lambda s: not s.closed)
    _spread(env, "helpdesk_ticket", f"""
        create_date = {CREATED},
        stage_id = CASE WHEN s.n %% 10 <> 0 THEN %(closed)s ELSE {_pick('open_stages')} END,
        team_id = {_pick('teams')}, user_id = {_pick('agents')}, priority = (s.n %% 4)::text,
        partner_id = {_pick('customers')}, commercial_partner_id = {_pick('customers')},
        partner_email = {_pick('emails')}
    """, {"closed": closed.id, "open_stages": open_stages.ids, "teams": teams.ids, "agents": agents.ids,
          "customers": customers.ids, "emails": customers.mapped("email")})
