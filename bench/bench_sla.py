"""3. SLA cron: a run of ``helpdesk.ticket.sla._cron_check`` over N ongoing lines
of which 1% are past their deadline, at several N (10k ... 100k at full scale).
The line compares the largest N to the smallest: for 10x the lines a linear
job takes <= 10x the time, a set-based one stays nearly flat."""
import time


def _insert_lines(env, n, policy_id, due_ratio=0.01):
    """Bulk-insert ``n`` ongoing lines (SQL: the lines' creation is not what is measured)
    on existing tickets; ``due_ratio`` of them are already past their deadline."""
    cr = env.cr
    cr.execute("DELETE FROM helpdesk_ticket_sla WHERE policy_id = %s", [policy_id])
    step = max(1, int(1 / due_ratio))
    # two lines (first response, resolution) per ticket, open tickets first
    cr.execute("""
        WITH t AS (
            SELECT id, company_id, department_id, row_number() OVER (ORDER BY closed, id) AS rn
              FROM helpdesk_ticket ORDER BY closed, id LIMIT (%(n)s + 1) / 2
        ), s AS (
            SELECT g, t.id AS ticket_id, t.company_id, t.department_id
              FROM generate_series(1, %(n)s) g
              JOIN t ON t.rn = 1 + (g - 1) / 2
        )
        INSERT INTO helpdesk_ticket_sla
            (ticket_id, policy_id, company_id, department_id, target, target_hours, start_date,
             deadline, warning_date, status, paused_hours, warning_sent, escalated,
             create_uid, create_date, write_uid, write_date)
        SELECT ticket_id, %(policy)s, company_id, department_id,
               CASE WHEN g %% 2 = 0 THEN 'first_response' ELSE 'resolution' END, 8,
               now() at time zone 'utc' - interval '1 day',
               CASE WHEN g %% %(step)s = 0 THEN now() at time zone 'utc' - interval '1 hour'
                    ELSE now() at time zone 'utc' + interval '30 days' END,
               CASE WHEN g %% %(step)s = 0 THEN now() at time zone 'utc' - interval '2 hours'
                    ELSE now() at time zone 'utc' + interval '20 days' END,
               'ongoing', 0, false, false, 1, now() at time zone 'utc', 1, now() at time zone 'utc'
          FROM s
    """, {"n": n, "policy": policy_id, "step": step})
    cr.execute("ANALYZE helpdesk_ticket_sla")
    env.cr.commit()


def _run_cron(env):
    """One cron run: until nothing is due (the job works in batches)."""
    Sla = env["helpdesk.ticket.sla"]
    t0 = time.perf_counter()
    total = 0
    while True:
        failed, warned = Sla._cron_check()
        total += failed + warned
        if not failed and not warned:
            break
    env.flush_all()
    elapsed = time.perf_counter() - t0
    env.cr.commit()
    return elapsed, total


def run(ctx, report):
    with ctx.env("ours") as env:
        if "helpdesk.ticket.sla" not in env or not hasattr(env["helpdesk.ticket.sla"], "_cron_check"):
            report.skip("sla_cron", "helpdesk_sla is not installed")
            return
        # an archived policy of its own: it applies to no new ticket, and its lines are the only
        # ones this benchmark inserts and deletes
        Policy = env["helpdesk.sla.policy"].with_context(active_test=False)
        policy = Policy.search([("name", "=", "Bench SLA cron")], limit=1)
        if not policy:
            policy = Policy.create({"name": "Bench SLA cron", "resolution_hours": 24, "active": False})
            env.cr.commit()
        env.cr.execute("SELECT count(*) FROM helpdesk_ticket")
        tickets = env.cr.fetchone()[0]
        _run_cron(env)  # warm-up: caches, and whatever was already due before the benchmark
        series = {}
        for n in ctx.scale["sla_lines"]:
            if n > 2 * tickets:
                ctx.log(f"sla cron: {n} lines need {n // 2} tickets, {tickets} exist: skipped")
                continue
            _insert_lines(env, n, policy.id)
            elapsed, handled = _run_cron(env)
            series[n] = elapsed * 1000.0
            ctx.log(f"sla cron: {n} lines, {handled} handled in {elapsed * 1000:.0f} ms")
        env.cr.execute("DELETE FROM helpdesk_ticket_sla WHERE policy_id = %s", [policy.id])
        env.cr.commit()
    if len(series) < 2:
        report.skip("sla_cron", "not enough tickets for two sizes of SLA lines")
        return
    small, large = min(series), max(series)
    report(f"sla_cron_{large // 1000}k", "ms", series[large], series[small],
           note=f"baseline = the same cron over {small} lines (1% due); "
                f"lines x{large // small}: linear <= {large // small}.0",
           series={str(k): {"ours": v} for k, v in series.items()})
