"""Benchmark runner behind ``make bench`` (scripts/bench.sh prepares the databases).

    python3 -m bench.run --conf odoo.conf --db OURS [--oca-db OCA] [--scale small|medium|large]

Every benchmark prints one line
``bench NAME: ours=<value><unit> baseline=<value><unit> ratio=<ours/baseline> [oca=<value><unit>]``.
Details go to stderr. Results are saved as JSON for BENCHMARKS.md and the charts."""
import argparse
import contextlib
import datetime
import os
import platform
import sys
import time
import traceback

SCALES = {
    "small": {"mails": 100, "create": 200, "sla_lines": [1_000, 3_000, 10_000],
              "read_rows": [10_000, 100_000], "portal_clients": 4, "portal_requests": 25,
              "workers": 2, "repeat": 3},
    "medium": {"mails": 300, "create": 1000, "sla_lines": [10_000, 30_000, 100_000],
               "read_rows": [10_000, 100_000, 1_000_000], "portal_clients": 4, "portal_requests": 50,
               "workers": 2, "repeat": 5},
    "large": {"mails": 1000, "create": 1000, "sla_lines": [10_000, 30_000, 100_000],
              "read_rows": [10_000, 100_000, 1_000_000], "portal_clients": 8, "portal_requests": 100,
              "workers": 4, "repeat": 5},
}
BENCHMARKS = ["intake", "create", "reads", "sla", "portal", "replica"]  # sla uses the tickets grown by reads


class Context:
    def __init__(self, args):
        from . import common
        self.conf = args.conf
        self.dbs = {"ours": args.db, "crm": args.db, "oca": args.oca_db}
        self.has_oca = bool(args.oca_db)
        self.scale_name = args.scale
        self.scale = SCALES[args.scale]
        self.run_id = str(int(time.time()))
        self.work_dir = args.work_dir
        self.plans_dir = os.path.join(args.results_dir, f"plans-{args.scale}")
        self.explain = not args.no_explain
        self.fixtures = {}
        self._common = common

    def env(self, system):
        if not self.dbs.get(system):
            return None
        return self._common.environment(self.dbs[system])

    def fx(self, system, env):
        """The fixtures of ``system`` as records of ``env``."""
        return {key: (env[v[1]].browse(v[2]) if v[0] == "record" else v[1])
                for key, v in self.fixtures[system].items()}

    def log(self, msg):
        print(f"   .. {msg}", file=sys.stderr, flush=True)


def machine():
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    with contextlib.suppress(OSError):
        with open("/proc/meminfo") as f:
            info["ram_gb"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    return info


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--conf", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--oca-db")
    parser.add_argument("--scale", default=os.environ.get("BENCH_SCALE", "small"), choices=sorted(SCALES))
    parser.add_argument("--only", help="comma-separated subset of " + ",".join(BENCHMARKS))
    parser.add_argument("--results-dir", default=os.path.join(os.path.dirname(__file__), "results"))
    parser.add_argument("--work-dir", default="/tmp")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--merge", action="store_true",
                        help="update the saved results of the benchmarks run, keep the others")
    args = parser.parse_args(argv)

    from . import common
    common.init_odoo(args.conf)
    import odoo
    from . import bench_create, bench_intake, bench_portal, bench_reads, bench_replica, bench_sla, fixtures

    ctx = Context(args)
    report = common.report
    report.skip = common.skip
    started = time.time()
    failed = []
    with ctx.env("ours") as env:
        ctx.fixtures["ours"] = fixtures.setup_ours(env)
        ctx.fixtures["crm"] = fixtures.setup_crm(env)
        pg = env.cr.connection.server_version
    if ctx.has_oca:
        with ctx.env("oca") as env:
            ctx.fixtures["oca"] = fixtures.setup_oca(env)
    # the records live in closed cursors: rebind them to fresh environments lazily by id
    ctx.fixtures = {system: _ids(fx) for system, fx in ctx.fixtures.items()}
    modules = {"intake": bench_intake, "create": bench_create, "sla": bench_sla, "reads": bench_reads,
               "portal": bench_portal, "replica": bench_replica}
    selected = args.only.split(",") if args.only else BENCHMARKS
    durations = {}
    for name in selected:
        t0 = time.time()
        print(f"== {name}", file=sys.stderr, flush=True)
        try:
            modules[name].run(ctx, report)
        except Exception:  # noqa: BLE001 - report, then carry on with the other benchmarks
            traceback.print_exc()
            failed.append(name)
        durations[name] = round(time.time() - t0, 1)
        ctx.log(f"{name} took {durations[name]}s")
    meta = {
        "scale": args.scale, "scale_parameters": ctx.scale, "date": datetime.datetime.utcnow().isoformat() + "Z",
        "machine": machine(), "postgresql": pg, "odoo": odoo.release.version, "durations_s": durations,
        "total_s": round(time.time() - started, 1), "failed": failed, "has_oca": ctx.has_oca,
    }
    if getattr(ctx, "read_series", None):
        meta["read_series"] = {str(rows): {name: {s: v[0] for s, v in per.items()} for name, per in figs.items()}
                               for rows, figs in ctx.read_series.items()}
    out = os.path.join(args.results_dir, f"latest-{args.scale}.json")
    if args.merge and os.path.exists(out):
        common.merge_previous(out, meta)
    common.save_results(out, meta)
    if failed:
        print(f"error: benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


class _Ids(dict):
    """Fixture values as (model, ids) so that they can be rebound to any environment."""


def _ids(fx):
    out = _Ids()
    for key, value in fx.items():
        if hasattr(value, "_name") and hasattr(value, "ids"):
            out[key] = ("record", value._name, value.ids)
        else:
            out[key] = ("value", value)
    return out


if __name__ == "__main__":
    sys.exit(main())
