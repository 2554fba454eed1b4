"""4. Reports (pivot read_group department x month, overview KPIs) and
5. Search (default ticket list, lookup by number, lookup by customer email)
over a large ticket table; every SQL query of these paths is EXPLAIN ANALYZEd
and a sequential scan of the ticket table is reported."""
import os
import re
import time

from .common import capture_queries, explain


def _median_seconds(ctx, env, fn):
    import statistics
    import time
    times = []
    for _ in range(ctx.scale["repeat"]):
        env.invalidate_all()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if times[0] > 2.0:  # a slow path is measured once: repeating it would only cost minutes
            break
    return statistics.median(times)


def _plans(ctx, env, system, name, fn, table):
    """Run ``fn`` once capturing its SQL, EXPLAIN ANALYZE every query touching ``table``,
    save the plans and return the number of sequential scans of ``table``."""
    env.invalidate_all()
    with capture_queries(env.cr) as queries:
        fn()
    seq = 0
    out = []
    for query in queries:
        if not re.search(rf'\b"?{table}(_analysis|_summary)?"?\b', query) or not query.lstrip().upper().startswith("SELECT"):
            continue
        plan = explain(env.cr, query)
        seq += len(re.findall(rf"Seq Scan on {table}\b", plan))
        out.append(f"-- {query}\n{plan}\n")
    os.makedirs(ctx.plans_dir, exist_ok=True)
    with open(os.path.join(ctx.plans_dir, f"{name}-{system}.txt"), "w") as f:
        f.write("\n".join(out))
    return seq


def _measure(ctx, env, system, name, fn, table):
    seconds = _median_seconds(ctx, env, fn)
    seq = _plans(ctx, env, system, name, fn, table) if ctx.explain else 0
    return seconds * 1000.0, seq


LIST_FIELDS_OURS = ["number", "name", "partner_id", "department_id", "user_id", "priority", "create_date", "stage_id"]
LIST_FIELDS_OCA = ["number", "name", "partner_id", "team_id", "user_id", "priority", "create_date", "stage_id"]
LIST_FIELDS_CRM = ["name", "partner_id", "team_id", "user_id", "priority", "create_date", "stage_id"]


def _spec(fields):
    return {f: ({"fields": {"display_name": {}}} if f.endswith("_id") else {}) for f in fields}


def _list(model, domain, fields):
    return model.web_search_read(domain, _spec(fields), limit=80, count_limit=10001)


def _sample(env, table, column, where="true"):
    env.cr.execute(f"SELECT {column} FROM {table} WHERE {where} AND {column} IS NOT NULL "
                   f"ORDER BY id DESC OFFSET 1234 LIMIT 1")
    row = env.cr.fetchone()
    if not row:
        env.cr.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL LIMIT 1")
        row = env.cr.fetchone()
    return row[0]


KPI_FIELDS_OURS = [
    "open_ticket_count", "unassigned_ticket_count", "urgent_ticket_count",  # helpdesk_ticket
    "sla_failed_ticket_count", "sla_at_risk_ticket_count", "avg_first_response_hours_7d",  # helpdesk_reports
    "answered_ticket_count_7d", "satisfaction_percent_30d", "rating_count_30d",
]


#: the averages of the analysis' default pivot view (with its ticket count)
PIVOT_AVERAGES = ["first_response_hours", "close_hours", "sla_met", "rating_satisfied"]


def paths_ours(env, fx):
    agent = fx["agents"][0]
    T = env["helpdesk.ticket"].with_user(agent)
    number = _sample(env, "helpdesk_ticket", "number")
    email = fx["customers"][7].email
    Analysis = env["helpdesk.ticket.analysis"] if "helpdesk.ticket.analysis" in env else env["helpdesk.ticket"]
    date_field = "create_date" if "create_date" in Analysis._fields else "date_create"
    departments = fx["departments"]
    return {
        "report_pivot": lambda: Analysis._read_group([], ["department_id", f"{date_field}:month"], ["__count"]),
        # the analysis action's default pivot: its measures too (helpdesk_reports' pivot view)
        "report_pivot_default": lambda: Analysis._read_group(
            [], ["department_id", f"{date_field}:month"],
            ["__count", *(f"{m}:avg" for m in PIVOT_AVERAGES if m in Analysis._fields)]),
        "report_kpis": lambda: (departments.invalidate_recordset(),
                                departments.read([f for f in KPI_FIELDS_OURS if f in departments._fields])),
        "search_list": lambda: _list(T, [("closed", "=", False)], LIST_FIELDS_OURS),
        "search_number": lambda: _list(T, [("number", "ilike", number)], LIST_FIELDS_OURS),
        "search_email": lambda: _list(T, [("partner_email", "=", email)], LIST_FIELDS_OURS),
        "search_email_ilike": lambda: _list(T, [("partner_email", "ilike", email)], LIST_FIELDS_OURS),
    }


def paths_crm(env, fx):
    agent = fx["agents"][0]
    L = env["crm.lead"].with_user(agent)
    name = _sample(env, "crm_lead", "name")
    email = fx["customers"][7].email
    team = fx["team"]
    return {
        "report_pivot": lambda: env["crm.lead"]._read_group([], ["team_id", "create_date:month"], ["__count"]),
        "report_kpis": lambda: env["crm.lead"]._read_group(
            [("team_id", "=", team.id), ("probability", "<", 100), ("type", "=", "opportunity")],
            ["team_id", "user_id", "priority"], ["__count", "expected_revenue:sum"]),
        "search_list": lambda: _list(L, [("team_id", "=", team.id), ("probability", "<", 100)], LIST_FIELDS_CRM),
        "search_number": lambda: _list(L, [("name", "ilike", name)], LIST_FIELDS_CRM),
        "search_email": lambda: _list(L, [("email_from", "=", email)], LIST_FIELDS_CRM),
        "search_email_ilike": lambda: _list(L, [("email_from", "ilike", email)], LIST_FIELDS_CRM),
    }


def paths_oca(env, fx):
    agent = fx["agents"][0]
    T = env["helpdesk.ticket"].with_user(agent)
    number = _sample(env, "helpdesk_ticket", "number")
    email = fx["customers"][7].email
    teams = fx["departments"]
    return {
        "report_pivot": lambda: env["helpdesk.ticket"]._read_group([], ["team_id", "create_date:month"], ["__count"]),
        "report_kpis": lambda: (teams.invalidate_recordset(),
                                teams.read(["todo_ticket_count", "todo_ticket_count_unassigned",
                                            "todo_ticket_count_high_priority"])),
        "search_list": lambda: _list(T, [("closed", "=", False)], LIST_FIELDS_OCA),
        "search_number": lambda: _list(T, [("number", "ilike", number)], LIST_FIELDS_OCA),
        "search_email": lambda: _list(T, [("partner_email", "=", email)], LIST_FIELDS_OCA),
        "search_email_ilike": lambda: _list(T, [("partner_email", "ilike", email)], LIST_FIELDS_OCA),
    }


TABLES = {"ours": "helpdesk_ticket", "crm": "crm_lead", "oca": "helpdesk_ticket"}
PATHS = {"ours": paths_ours, "crm": paths_crm, "oca": paths_oca}
NAMES = ["report_pivot", "report_pivot_default", "report_kpis", "search_list", "search_number", "search_email", "search_email_ilike"]


def measure_at(ctx, rows):
    """Grow every system's table to ``rows`` and time every read path; returns
    {name: {system: (ms, seq_scans)}}."""
    from . import grow
    out = {name: {} for name in NAMES}
    for system in ("ours", "crm", "oca"):
        env_cm = ctx.env(system)
        if env_cm is None:
            continue
        with env_cm as env:
            model = {"ours": "helpdesk.ticket", "crm": "crm.lead", "oca": "helpdesk.ticket"}[system]
            total = grow.grow(env, model, rows)
            ctx.log(f"reads {system}: {total} rows in {TABLES[system]}")
            if system == "ours" and "helpdesk.ticket.summary" in env:
                # the copies were inserted with SQL, past the ORM that flags tickets for the
                # analysis summary's job: recount every hour, as the job would have
                t0 = time.perf_counter()
                env["helpdesk.ticket.summary"]._rebuild()
                ctx.log(f"reads ours: analysis summary recounted in {time.perf_counter() - t0:.1f}s")
                env.cr.execute("SELECT count(*), count(DISTINCT hour), count(DISTINCT date_trunc('month', hour)),"
                               " min(hour), max(hour) FROM helpdesk_ticket_summary")
                ctx.log("reads ours: summary rows {}, distinct hours {}, months {}, from {} to {}".format(
                    *env.cr.fetchone()))
            paths = PATHS[system](env, ctx.fx(system, env))
            for name in NAMES:
                if name not in paths:
                    continue  # a path of ours only (the default pivot's averages)
                ms, seq = _measure(ctx, env, system, f"{name}-{rows}", paths[name], TABLES[system])
                out[name][system] = (ms, seq)
            env.cr.rollback()
    return out


def run(ctx, report):
    from . import grow
    # give the ORM-created seeds a realistic spread before multiplying them
    with ctx.env("ours") as env:
        fx = ctx.fx("ours", env)
        grow.spread_ours(env, fx["departments"], fx["agents"], fx["customers"])
        env.cr.commit()
    with ctx.env("crm") as env:
        fx = ctx.fx("crm", env)
        grow.spread_crm(env, fx["team"], fx["agents"], fx["customers"])
        env.cr.commit()
    if ctx.has_oca:
        with ctx.env("oca") as env:
            fx = ctx.fx("oca", env)
            grow.spread_oca(env, fx["departments"], fx["agents"], fx["customers"])
            env.cr.commit()
    series = {}
    for rows in ctx.scale["read_rows"]:
        series[rows] = measure_at(ctx, rows)
    ctx.read_series = series
    top = ctx.scale["read_rows"][-1]
    figures = series[top]
    for name in NAMES:
        f = figures[name]
        ours, crm, oca = (f.get(s, (None, 0)) for s in ("ours", "crm", "oca"))
        extra = ""
        if name == "report_pivot_default" and "oca" in figures["report_pivot"]:
            # OCA's analysis has no such averages: its count pivot is the reference
            oca = figures["report_pivot"]["oca"]
            extra = "; oca = OCA's count pivot (it has no such measures)"
        note = f"{top} rows; seq scans of the ticket table: ours={ours[1]} oca={oca[1]}{extra}"
        report(f"{name}_{top // 1000}k", "ms", ours[0], crm[0], oca=oca[0],
               note=note,
               rows=top, seq_ours=ours[1], seq_oca=oca[1], seq_crm=crm[1],
               series={str(r): {s: v[0] for s, v in series[r][name].items()} for r in series})
