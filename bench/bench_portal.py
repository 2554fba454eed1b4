"""6. Portal over HTTP: Odoo started in multi-worker mode (prefork, --workers)
on loopback, a logged-in portal customer, concurrent clients requesting
``/my/tickets`` and one ticket page. Latency percentiles and requests per
second; ours vs OCA helpdesk_mgmt's ``/my/tickets`` with the same data. No
Odoo baseline: CRM has no customer portal for leads."""
import os
import re
import sys
import threading
import time
from pathlib import Path

import requests

from .common import percentile
from .fixtures import PASSWORD

_SCRIPTS = str(Path(__file__).resolve().parent.parent / "scripts")
if _SCRIPTS not in sys.path:
    sys.path.insert(0, _SCRIPTS)

from odoo_process import OdooProcess  # noqa: E402 - the helper shared with tests/odoo_server.py


class Server:
    """The database's portal served by Odoo in prefork mode (scripts/odoo_process.py, like
    the multi-worker server of the end-to-end tests); its log is ``server-<db>.log`` in the
    work folder, which scripts/bench.sh keeps when the run fails."""

    def __init__(self, ctx, dbname, workers):
        self.odoo = OdooProcess.prefork(
            ctx.conf, dbname, os.path.join(ctx.work_dir, f"server-{dbname}.log"), workers=workers,
            extra_args=["--log-level=warn", "--limit-time-real=600", "--limit-time-cpu=600",
                        "--limit-memory-soft=4294967296", "--limit-memory-hard=5368709120"],
        )
        self.url = self.odoo.url
        # ready when the login page renders (the database's registry is loaded by a worker)
        self.odoo.start(timeout=180, ready=lambda: requests.get(self.url + "/web/login", timeout=30).status_code == 200)

    def stop(self):
        self.odoo.stop(timeout=30)


def login(url, user):
    session = requests.Session()
    page = session.get(url + "/web/login", timeout=60).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    res = session.post(url + "/web/login", data={"login": user, "password": PASSWORD, "csrf_token": token,
                                                  "redirect": "/my"}, timeout=60)
    if "/web/login" in res.url and "oe_login_form" in res.text:
        raise RuntimeError(f"login of {user} failed")
    return session


def load(url, path, user, clients, requests_per_client):
    """``clients`` threads, each with its own session, each doing ``requests_per_client`` GETs."""
    sessions = [login(url, user) for _ in range(clients)]
    for s in sessions:  # warm-up (templates, assets bundles, caches of each worker)
        s.get(url + path, timeout=120)
    latencies = []
    errors = []
    lock = threading.Lock()

    def worker(session):
        for _ in range(requests_per_client):
            t0 = time.perf_counter()
            try:
                res = session.get(url + path, timeout=120)
                ok = res.status_code == 200
            except requests.RequestException:
                ok = False
            elapsed = time.perf_counter() - t0
            with lock:
                (latencies if ok else errors).append(elapsed)

    threads = [threading.Thread(target=worker, args=(s,)) for s in sessions]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ms = [x * 1000 for x in latencies]
    return {"rps": len(latencies) / wall if wall else 0, "p50": percentile(ms, 50), "p95": percentile(ms, 95),
            "p99": percentile(ms, 99), "errors": len(errors), "count": len(latencies)}


def _ticket_of_portal_user(env, fx):
    partner = fx["portal"].partner_id
    ticket = env["helpdesk.ticket"].search([("partner_id", "=", partner.id)], order="id", limit=1)
    return ticket.id


def run(ctx, report):
    clients, workers = ctx.scale["portal_clients"], ctx.scale["workers"]
    per_client = int(os.environ.get("BENCH_PORTAL_REQUESTS") or ctx.scale["portal_requests"])
    results = {}
    for system in ("ours", "oca"):
        env_cm = ctx.env(system)
        if env_cm is None:
            continue
        with env_cm as env:
            ticket_id = _ticket_of_portal_user(env, ctx.fx(system, env))
            env.cr.rollback()
        server = Server(ctx, ctx.dbs[system], workers)
        try:
            results[system] = {
                "list": load(server.url, "/my/tickets", "bench_portal", clients, per_client),
                # OCA's ticket page is /my/ticket/<id> (singular)
                "page": load(server.url, f"/my/{'tickets' if system == 'ours' else 'ticket'}/{ticket_id}",
                             "bench_portal", clients, per_client),
            }
        finally:
            server.stop()
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
