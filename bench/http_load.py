"""Portal customers over HTTP, shared by the portal benchmark (bench_portal.py) and the
scaled-out portal benchmark (bench_replica.py): Odoo started in prefork mode, a logged-in
portal customer, concurrent clients GETting one page, latency percentiles and requests
per second."""
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


def load_shape(ctx):
    """(clients, Odoo workers, requests per client) of the run's scale; BENCH_PORTAL_REQUESTS
    overrides the requests."""
    per_client = int(os.environ.get("BENCH_PORTAL_REQUESTS") or ctx.scale["portal_requests"])
    return ctx.scale["portal_clients"], ctx.scale["workers"], per_client


def start_server(ctx, conf, dbname, name, workers):
    """``dbname`` served by Odoo in prefork mode with ``conf`` (scripts/odoo_process.py, like the
    multi-worker server of the end-to-end tests); its log is ``server-<name>.log`` in the
    work folder, which scripts/bench.sh keeps when the run fails. Stop it with
    ``.stop(timeout=30)``."""
    odoo = OdooProcess.prefork(
        conf, dbname, os.path.join(ctx.work_dir, f"server-{name}.log"), workers=workers,
        extra_args=["--log-level=warn", "--limit-time-real=600", "--limit-time-cpu=600",
                    "--limit-memory-soft=4294967296", "--limit-memory-hard=5368709120"],
    )
    # ready when the login page renders (the database's registry is loaded by a worker)
    odoo.start(timeout=180, ready=lambda: requests.get(odoo.url + "/web/login", timeout=30).status_code == 200)
    return odoo


def login(url, user):
    session = requests.Session()
    page = session.get(url + "/web/login", timeout=60).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    res = session.post(url + "/web/login", data={"login": user, "password": PASSWORD, "csrf_token": token,
                                                  "redirect": "/my"}, timeout=60)
    if "/web/login" in res.url and "oe_login_form" in res.text:
        raise RuntimeError(f"login of {user} failed")
    return session


def load(urls, path, user, clients, requests_per_client, warmup=1):
    """``clients`` threads, each with its own session of ``user`` on one of ``urls`` (round
    robin, like a load balancer keeping each session on a node), each doing
    ``requests_per_client`` GETs of ``path`` after ``warmup`` GETs (templates, assets
    bundles, caches of each worker)."""
    sessions = [(url, login(url, user)) for url in (urls[i % len(urls)] for i in range(clients))]
    for url, session in sessions:
        for _ in range(warmup):
            session.get(url + path, timeout=120)
    latencies, errors = [], []
    lock = threading.Lock()

    def worker(url, session):
        for _ in range(requests_per_client):
            t0 = time.perf_counter()
            try:
                ok = session.get(url + path, timeout=120).status_code == 200
            except requests.RequestException:
                ok = False
            with lock:
                (latencies if ok else errors).append((time.perf_counter() - t0) * 1000)

    threads = [threading.Thread(target=worker, args=pair) for pair in sessions]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"rps": len(latencies) / wall if wall else 0, "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95), "p99": percentile(latencies, 99), "errors": len(errors),
            "count": len(latencies)}
