"""Grow a table to a target row count for the read benchmarks (4 and 5).

The seed records are real ones created through the ORM by the earlier
benchmarks (intake and batch creation: routing, assignment, SLA, messages).
They are first given a realistic spread (most tickets closed, several
departments, agents, priorities and customers), then multiplied with Odoo 18's
own populate engine (``odoo.tools.populate.populate_models``, the code behind
``odoo-bin populate --models ... --factors ...``): one INSERT ... SELECT per
table with indexes rebuilt afterwards, creation dates spread over the past
years. Duplicated rows carry no chatter messages; see BENCHMARKS.md."""
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
    env.cr.execute(f"ANALYZE {model._table}")
    env.cr.commit()
    return count(env, model._table)


def spread_ours(env, departments, agents, customers):
    """Give the ticket seed a realistic shape: 90% closed, every department/agent/priority."""
    env.flush_all()
    cr = env.cr
    stages = env["helpdesk.stage"].search([])
    closed = stages.filtered("closed")[:1]
    open_stages = stages.filtered(lambda s: not s.closed)
    cr.execute("SELECT id FROM helpdesk_ticket ORDER BY id")
    ids = [r[0] for r in cr.fetchall()]
    for n, tid in enumerate(ids):
        is_closed = n % 10 != 0
        stage = closed if is_closed else open_stages[n % len(open_stages)]
        cr.execute("""
            UPDATE helpdesk_ticket
               SET stage_id = %s, closed = %s, date_closed = CASE WHEN %s THEN create_date END,
                   department_id = %s, user_id = %s, priority = %s, partner_id = %s,
                   commercial_partner_id = %s, partner_email = %s
             WHERE id = %s
        """, [stage.id, is_closed, is_closed, departments[n % len(departments)].id,
              agents[n % len(agents)].id, str(n % 4), customers[n % len(customers)].id,
              customers[n % len(customers)].id, customers[n % len(customers)].email, tid])
    env.invalidate_all()


def spread_crm(env, team, agents, customers):
    env.flush_all()
    cr = env.cr
    won = env["crm.stage"].search([("is_won", "=", True)], limit=1)
    open_stage = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    cr.execute("SELECT id FROM crm_lead ORDER BY id")
    for n, (lid,) in enumerate(cr.fetchall()):
        is_closed = n % 10 != 0
        cr.execute("""
            UPDATE crm_lead SET stage_id = %s, probability = %s, type = 'opportunity', team_id = %s,
                   user_id = %s, priority = %s, partner_id = %s, email_from = %s, active = true
             WHERE id = %s
        """, [(won if is_closed else open_stage).id, 100 if is_closed else 10, team.id,
              agents[n % len(agents)].id, str(n % 4), customers[n % len(customers)].id,
              customers[n % len(customers)].email, lid])
    env.invalidate_all()


def spread_oca(env, teams, agents, customers):
    env.flush_all()
    cr = env.cr
    stages = env["helpdesk.ticket.stage"].search([])
    closed = stages.filtered("closed")[:1]
    open_stages = stages.filtered(lambda s: not s.closed)
    cr.execute("SELECT id FROM helpdesk_ticket ORDER BY id")
    for n, (tid,) in enumerate(cr.fetchall()):
        is_closed = n % 10 != 0
        cr.execute("""
            UPDATE helpdesk_ticket SET stage_id = %s, team_id = %s, user_id = %s, priority = %s,
                   partner_id = %s, commercial_partner_id = %s, partner_email = %s
             WHERE id = %s
        """, [(closed if is_closed else open_stages[n % len(open_stages)]).id, teams[n % len(teams)].id,
              agents[n % len(agents)].id, str(n % 4), customers[n % len(customers)].id,
              customers[n % len(customers)].id, customers[n % len(customers)].email, tid])
    env.invalidate_all()
