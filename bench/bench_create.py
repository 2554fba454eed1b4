"""2. Ticket creation in batch: one API ``create`` of N tickets (routing rules,
round-robin assignment, SLA lines when helpdesk_sla is installed) vs the same
count of a plain ``mail.thread`` record (``mail.blacklist``, Odoo's simplest
mail.thread model), vs Odoo CRM leads of a sales team with their salesperson
(the closest CRM equivalent of routing + assignment), vs OCA helpdesk_mgmt
tickets of a team (OCA has no automatic assignment nor SLA)."""
import time

from .fixtures import customer_email


def _ticket_vals(ctx, fx, n, oca=False):
    customers = fx["customers"]
    vals = []
    for i in range(n):
        subject = ("Invoice {i} is wrong" if i % 5 == 0 else "Laptop {i} will not boot").format(i=i)
        row = {
            "name": subject,
            "description": f"<p>Ticket {i} created through the API.</p>",
            "partner_id": customers[i % len(customers)].id,
            "priority": str(i % 4) if not oca else str(i % 4),
        }
        if oca:
            row["team_id"] = fx["support"].id
        else:
            row["department_id"] = fx["support"].id
            row["channel"] = "api"
        vals.append(row)
    return vals


QUERIES = {}  # model -> SQL queries of the last _create (create, flush and commit)


def _create(env, model, vals):
    count = env.cr.sql_log_count
    t0 = time.perf_counter()
    records = env[model].create(vals)
    env.flush_all()
    elapsed = time.perf_counter() - t0
    env.cr.commit()
    QUERIES[model] = env.cr.sql_log_count - count
    return elapsed, records


def run(ctx, report):
    n = ctx.scale["create"]
    figures = {}
    with ctx.env("ours") as env:
        fx = ctx.fx("ours", env)
        elapsed, tickets = _create(env, "helpdesk.ticket", _ticket_vals(ctx, fx, n))
        figures["ours"] = elapsed
        queries = {"ours": QUERIES["helpdesk.ticket"]}
        assigned = len(tickets.filtered("user_id"))
        sla = len(tickets.sla_ids) if "sla_ids" in tickets._fields else 0
        ctx.log(f"create ours: {n} tickets in {elapsed:.2f}s; {assigned} assigned, "
                f"{len(tickets.filtered(lambda t: t.department_id != fx['support']))} re-routed, {sla} SLA lines")
        tag = ctx.run_id
        elapsed, _rec = _create(env, "mail.blacklist", [
            {"email": f"plain{i}-{tag}@bench.example.com"} for i in range(n)
        ])
        figures["plain"] = elapsed
        queries["plain"] = QUERIES["mail.blacklist"]
    with ctx.env("crm") as env:
        fxc = ctx.fx("crm", env)
        customers = fxc["customers"]
        elapsed, _rec = _create(env, "crm.lead", [
            {"name": f"Laptop {i} will not boot", "type": "lead", "team_id": fxc["team"].id,
             "user_id": fxc["agents"][i % len(fxc["agents"])].id,
             "partner_id": customers[i % len(customers)].id, "email_from": customer_email(i % len(customers)),
             "description": f"<p>Lead {i} created through the API.</p>"}
            for i in range(n)
        ])
        figures["crm"] = elapsed
        queries["crm"] = QUERIES["crm.lead"]
    figures["oca"] = None
    if ctx.has_oca:
        with ctx.env("oca") as env:
            elapsed, _rec = _create(env, "helpdesk.ticket", _ticket_vals(ctx, ctx.fx("oca", env), n, oca=True))
            figures["oca"] = elapsed
            queries["oca"] = QUERIES["helpdesk.ticket"]
    per_record = ", ".join(f"{system} {count / n:.1f}" for system, count in queries.items())
    ctx.log(f"create queries per record: {per_record}")
    report(f"create_{n}", "s", figures["ours"], figures["plain"], oca=figures["oca"],
           note=f"create() of {n} records; baseline = mail.blacklist (plain mail.thread); "
                f"queries per record: {per_record}",
           baseline_name="mail.blacklist", queries_per_record={s: round(c / n, 2) for s, c in queries.items()})
    report(f"create_{n}_vs_crm", "s", figures["ours"], figures["crm"], oca=figures["oca"],
           note=f"baseline = {n} crm.lead of a sales team, salesperson given round-robin",
           baseline_name="crm.lead")
