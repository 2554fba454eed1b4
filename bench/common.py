"""Shared helpers of the benchmark runner (bench/run.py): Odoo environments,
timers, the result line format and EXPLAIN capture.

Nothing here is imported by the addons or by the test suite."""
import contextlib
import json
import os
import time

import odoo
from odoo import api
from odoo.modules.registry import Registry

RESULTS = []  # every printed line, as dicts, for BENCHMARKS.md and the charts


def init_odoo(conf):
    odoo.tools.config.parse_config(["-c", conf, "--log-level=warn"])


@contextlib.contextmanager
def environment(dbname, uid=odoo.SUPERUSER_ID, context=None):
    """A superuser environment on ``dbname``; the caller commits when it wants to."""
    registry = Registry(dbname)
    with registry.cursor() as cr:
        yield api.Environment(cr, uid, dict(context or {}))


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    res = fn(*args, **kwargs)
    return time.perf_counter() - t0, res


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    k = (len(values) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def fmt(value, unit):
    if value is None:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:.0f}{unit}"
    if abs(value) >= 10:
        return f"{value:.1f}{unit}"
    return f"{value:.2f}{unit}"


def report(name, unit, ours, baseline, oca=None, higher_is_better=False, note="", **extra):
    """Print the benchmark's line: ``bench NAME: ours=.. baseline=.. ratio=ours/baseline [oca=..]``."""
    ratio = (ours / baseline) if (ours is not None and baseline) else None
    line = f"bench {name}: ours={fmt(ours, unit)} baseline={fmt(baseline, unit)} ratio={'n/a' if ratio is None else f'{ratio:.2f}'}"
    if oca is not None or "oca" in extra:
        line += f" oca={fmt(oca, unit)}"
    if note:
        line += f"  # {note}"
    print(line, flush=True)
    RESULTS.append({
        "name": name, "unit": unit, "ours": ours, "baseline": baseline, "oca": oca, "ratio": ratio,
        "higher_is_better": higher_is_better, "note": note, **{k: v for k, v in extra.items() if k != "oca"},
    })


def skip(name, reason):
    print(f"bench {name}: skipped ({reason})", flush=True)
    RESULTS.append({"name": name, "skipped": reason})


def explain(cr, query, params=None):
    """EXPLAIN (ANALYZE, BUFFERS) of a query; returns the plan text."""
    cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params or ())
    return "\n".join(row[0] for row in cr.fetchall())


@contextlib.contextmanager
def capture_queries(cr):
    """Record the SQL (with parameters bound) run on ``cr`` inside the block."""
    captured = []
    original = cr.execute

    def execute(query, params=None, log_exceptions=True):
        captured.append(cr.mogrify(query, params).decode() if params is not None or not isinstance(query, str)
                        else query)
        return original(query, params, log_exceptions)

    cr.execute = execute
    try:
        yield captured
    finally:
        cr.execute = original


def save_results(path, meta):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"meta": meta, "results": RESULTS}, f, indent=1, default=str)


def merge_previous(path, meta):
    """Keep the results of ``path`` that this run did not produce (``--merge``)."""
    with open(path) as f:
        previous = json.load(f)
    names = {r["name"] for r in RESULTS}
    kept = [r for r in previous["results"] if r["name"] not in names]
    RESULTS[:0] = kept
    old = previous["meta"]
    for key in ("durations_s", ):
        merged = dict(old.get(key, {}))
        merged.update(meta.get(key, {}))
        meta[key] = merged
    if "read_series" not in meta and "read_series" in old:
        meta["read_series"] = old["read_series"]
    meta["merged_from"] = old.get("date")
