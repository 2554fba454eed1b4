"""7. Portal ``/my/tickets`` scaled out: two Odoo nodes (prefork) with their read-only
requests on a streaming replica of the benchmark's cluster (``pg_basebackup -R``,
``db_replica_host``) against one node on the primary alone, same workers per node, same
clients, same data, one after the other in the same run. The baseline is the single node.

The replica is made from the benchmark's private cluster (scripts/pgcluster.sh); against
an existing server (DB_HOST...) the benchmark is skipped when pg_basebackup cannot copy it.
The stack is the one of the scale-out test (tests/odoo_replica.py)."""
import configparser
import os
import sys
import threading
import time
from pathlib import Path

import requests

from .bench_portal import login
from .common import percentile

_TESTS = str(Path(__file__).resolve().parent.parent / "tests")
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from odoo_process import OdooProcess
from odoo_replica import StandbyCluster
from odoo_server import PgCluster

PATH = "/my/tickets"


def _primary(conf):
    parser = configparser.ConfigParser()
    parser.read(conf)
    options = parser["options"]
    cluster = PgCluster(Path(conf).parent / "pgdata", int(options.get("db_port", 5432)))
    cluster.host = options.get("db_host", "127.0.0.1")
    cluster.user = options.get("db_user", "odoo")
    return cluster


def _start(ctx, conf, dbname, name, workers):
    odoo = OdooProcess.prefork(
        conf, dbname, os.path.join(ctx.work_dir, f"server-{name}.log"), workers=workers,
        extra_args=["--log-level=warn", "--limit-time-real=600", "--limit-time-cpu=600",
                    "--limit-memory-soft=4294967296", "--limit-memory-hard=5368709120"],
    )
    odoo.start(timeout=180, ready=lambda: requests.get(odoo.url + "/web/login", timeout=30).status_code == 200)
    return odoo


def _load(urls, user, clients, per_client):
    """``clients`` sessions spread over ``urls`` (round robin, like a load balancer keeping
    each session on a node), each doing ``per_client`` GETs of the ticket list."""
    sessions = [(url, login(url, user)) for url in (urls[i % len(urls)] for i in range(clients))]
    for url, session in sessions:  # warm-up of each worker's caches
        for _ in range(3):
            session.get(url + PATH, timeout=120)
    latencies, errors = [], []
    lock = threading.Lock()

    def worker(url, session):
        for _ in range(per_client):
            t0 = time.perf_counter()
            try:
                ok = session.get(url + PATH, timeout=120).status_code == 200
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
    return {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
            "rps": len(latencies) / wall if wall else 0, "count": len(latencies), "errors": len(errors)}


def run(ctx, report):
    clients, workers = ctx.scale["portal_clients"], ctx.scale["workers"]
    per_client = int(os.environ.get("BENCH_PORTAL_REQUESTS") or ctx.scale["portal_requests"])
    dbname = ctx.dbs["ours"]
    primary = _primary(ctx.conf)
    replica = StandbyCluster(Path(ctx.work_dir) / "replica", primary)
    try:
        replica.create()
    except Exception as error:  # noqa: BLE001 - e.g. an existing server refusing replication
        report.skip("portal_list_p95_replica", f"no streaming replica of the benchmark's server: {error}")
        return
    try:
        replica.start()
        replica.wait_caught_up()
        replica_conf = Path(ctx.work_dir) / "odoo-replica.conf"
        replica_conf.write_text(Path(ctx.conf).read_text().rstrip() + (
            f"\ndb_replica_host = {replica.host}\ndb_replica_port = {replica.port}\n"))
        # one node, no replica (the baseline)
        solo = _start(ctx, ctx.conf, dbname, "solo", workers)
        try:
            single = _load([solo.url], "bench_portal", clients, per_client)
        finally:
            solo.stop(timeout=30)
        ctx.log(f"replica bench: one node, no replica: {single}")
        offset = replica.log_size()
        nodes = [_start(ctx, replica_conf, dbname, name, workers) for name in ("node-a", "node-b")]
        try:
            scaled = _load([node.url for node in nodes], "bench_portal", clients, per_client)
        finally:
            for node in nodes:
                node.stop(timeout=30)
        served = len(replica.statements_since(offset, dbname))
        ctx.log(f"replica bench: two nodes + replica: {scaled}; statements on the replica: {served}")
    finally:
        replica.stop()
    note = (f"{PATH}, {clients} clients x {per_client} requests; two nodes x --workers={workers} with reads on "
            f"a streaming replica vs baseline = one node x --workers={workers} on the primary alone; "
            f"p50 {scaled['p50']:.0f} vs {single['p50']:.0f} ms; replica statements {served}; "
            f"errors {scaled['errors']}/{single['errors']}")
    report("portal_list_p95_replica", "ms", scaled["p95"], single["p95"], note=note,
           p50_ours=scaled["p50"], p50_baseline=single["p50"], replica_statements=served,
           errors_ours=scaled["errors"], errors_baseline=single["errors"])
    report("portal_list_rps_replica", "req/s", scaled["rps"], single["rps"], higher_is_better=True,
           note=f"{PATH}; two nodes + replica vs one node")
