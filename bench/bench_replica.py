"""7. Portal ``/my/tickets`` scaled out: two Odoo nodes (prefork) with their read-only
requests on a streaming replica of the benchmark's cluster (``pg_basebackup -R``,
``db_replica_host``) against one node on the primary alone, same workers per node, same
clients, same data, one after the other in the same run. The baseline is the single node.

The replica is made from the benchmark's private cluster (scripts/pgcluster.sh); against
an existing server (DB_HOST...) the benchmark is skipped when pg_basebackup cannot copy it.
The stack is the one of the scale-out test (tests/odoo_replica.py)."""
import configparser
import sys
from pathlib import Path

from .http_load import load, load_shape, start_server

_TESTS = str(Path(__file__).resolve().parent.parent / "tests")
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from odoo_replica import StandbyCluster  # noqa: E402
from odoo_server import PgCluster  # noqa: E402

PATH = "/my/tickets"
WARMUP = 3  # GETs of each session before the measure (each worker's caches, on both nodes)


def _primary(conf):
    parser = configparser.ConfigParser()
    parser.read(conf)
    options = parser["options"]
    cluster = PgCluster(Path(conf).parent / "pgdata", int(options.get("db_port", 5432)))
    cluster.host = options.get("db_host", "127.0.0.1")
    cluster.user = options.get("db_user", "odoo")
    return cluster


def run(ctx, report):
    clients, workers, per_client = load_shape(ctx)
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
        solo = start_server(ctx, ctx.conf, dbname, "solo", workers)
        try:
            single = load([solo.url], PATH, "bench_portal", clients, per_client, warmup=WARMUP)
        finally:
            solo.stop(timeout=30)
        ctx.log(f"replica bench: one node, no replica: {single}")
        offset = replica.log_size()
        nodes = [start_server(ctx, replica_conf, dbname, name, workers) for name in ("node-a", "node-b")]
        try:
            scaled = load([node.url for node in nodes], PATH, "bench_portal", clients, per_client, warmup=WARMUP)
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
