"""6. Portal over HTTP: Odoo started in multi-worker mode (prefork, --workers)
on loopback, a logged-in portal customer, concurrent clients requesting
``/my/tickets`` and one ticket page. Latency percentiles and requests per
second; ours vs OCA helpdesk_mgmt's ``/my/tickets`` with the same data. No
Odoo baseline: CRM has no customer portal for leads."""

from .http_load import load, load_shape, start_server


def _ticket_of_portal_user(env, fx):
    partner = fx["portal"].partner_id
    ticket = env["helpdesk.ticket"].search([("partner_id", "=", partner.id)], order="id", limit=1)
    return ticket.id


def run(ctx, report):
    clients, workers, per_client = load_shape(ctx)
    results = {}
    for system in ("ours", "oca"):
        env_cm = ctx.env(system)
        if env_cm is None:
            continue
        with env_cm as env:
            ticket_id = _ticket_of_portal_user(env, ctx.fx(system, env))
            env.cr.rollback()
        server = start_server(ctx, ctx.conf, ctx.dbs[system], ctx.dbs[system], workers)
        try:
            results[system] = {
                "list": load([server.url], "/my/tickets", "bench_portal", clients, per_client),
                # OCA's ticket page is /my/ticket/<id> (singular)
                "page": load([server.url], f"/my/{'tickets' if system == 'ours' else 'ticket'}/{ticket_id}",
                             "bench_portal", clients, per_client),
            }
        finally:
            server.stop(timeout=30)
        for kind, r in results[system].items():
            ctx.log(f"portal {system} {kind}: {r}")
    ours, oca = results.get("ours"), results.get("oca")
    for kind, path in (("list", "/my/tickets"), ("page", "/my/tickets/<id>")):
        o = ours[kind]
        c = oca[kind] if oca and oca[kind]["count"] else None
        if oca and not oca[kind]["count"]:
            ctx.log(f"portal oca {kind}: every request failed")
        report(f"portal_{kind}_p95", "ms", o["p95"], c["p95"] if c else None, oca=c["p95"] if c else None,
               note=f"{path}, {clients} clients x {per_client} requests, --workers={workers}; "
                    f"baseline = OCA helpdesk_mgmt; p50 ours={o['p50']:.0f}ms"
                    + (f" oca={c['p50']:.0f}ms" if c else ""),
               p50_ours=o["p50"], p99_ours=o["p99"], p50_oca=c and c["p50"], p99_oca=c and c["p99"],
               errors_ours=o["errors"], errors_oca=c and c["errors"])
        report(f"portal_{kind}_rps", "req/s", o["rps"], c["rps"] if c else None, oca=c["rps"] if c else None,
               higher_is_better=True, note=f"{path}; baseline = OCA helpdesk_mgmt")
