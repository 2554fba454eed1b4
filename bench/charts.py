"""Charts (PNG, matplotlib) of the latest benchmark results, for BENCHMARKS.md.

    python3 -m bench.charts [--scale small|medium|large]"""
import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
COLORS = {"ours": "#2a7ab0", "crm": "#999999", "oca": "#d9822b"}
LABELS = {"ours": "ours (helpdesk_ticket)", "crm": "Odoo CRM (crm.lead)", "oca": "OCA helpdesk_mgmt"}


def _fmt(value, unit):
    if value is None:
        return "n/a"
    return f"{value:.0f} {unit}" if abs(value) >= 100 else f"{value:.3g} {unit}"


def table_md(data):
    """The results as a Markdown table (pasted into BENCHMARKS.md)."""
    lines = ["| benchmark | ours | Odoo baseline | ratio ours/baseline | OCA helpdesk_mgmt | notes |",
             "|---|---|---|---|---|---|"]
    for r in data["results"]:
        if r.get("skipped"):
            lines.append(f"| {r['name']} | skipped | | | | {r['skipped']} |")
            continue
        ratio = "n/a" if r.get("ratio") is None else f"{r['ratio']:.2f}"
        better = "higher is better" if r.get("higher_is_better") else "lower is better"
        lines.append(f"| {r['name']} | {_fmt(r['ours'], r['unit'])} | {_fmt(r.get('baseline'), r['unit'])} | "
                     f"{ratio} | {_fmt(r.get('oca'), r['unit'])} | {better}; {r.get('note', '')} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default=os.environ.get("BENCH_SCALE", "small"))
    parser.add_argument("--results", default=os.path.join(HERE, "results"))
    parser.add_argument("--out", default=os.path.join(HERE, "charts"))
    args = parser.parse_args(argv)
    path = os.path.join(args.results, f"latest-{args.scale}.json")
    if not os.path.exists(path):
        print(f"no results in {path}: no charts")
        return 0
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(path) as f:
        data = json.load(f)
    os.makedirs(args.out, exist_ok=True)
    results = {r["name"]: r for r in data["results"] if not r.get("skipped")}

    series = data["meta"].get("read_series")
    if series:
        rows = sorted(int(r) for r in series)
        names = list(series[str(rows[0])])
        cols = 3
        nrows = (len(names) + cols - 1) // cols
        fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.4 * nrows), squeeze=False)
        axes = [ax for row in axes for ax in row]
        for ax in axes[len(names):]:
            ax.set_visible(False)
        for ax, name in zip(axes, names):
            for system in ("ours", "crm", "oca"):
                ys = [series[str(r)][name].get(system) for r in rows]
                if any(y is not None for y in ys):
                    ax.plot(rows, ys, marker="o", color=COLORS[system], label=LABELS[system])
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(name)
            ax.set_xlabel("rows in the table")
            ax.set_ylabel("ms (median)")
            ax.grid(True, which="both", alpha=0.3)
        axes[0].legend(fontsize=7)
        fig.suptitle(f"Reports and search: cost vs table size ({args.scale})")
        fig.tight_layout()
        fig.savefig(os.path.join(args.out, "reads_scaling.png"), dpi=110)
        plt.close(fig)

    sla = next((r for r in results.values() if r["name"].startswith("sla_cron")), None)
    if sla and sla.get("series"):
        xs = sorted(int(k) for k in sla["series"])
        ys = [sla["series"][str(x)]["ours"] for x in xs]
        fig, ax = plt.subplots(figsize=(5, 3.6))
        ax.plot(xs, ys, marker="o", color=COLORS["ours"], label="SLA cron run")
        ax.plot(xs, [ys[0] * x / xs[0] for x in xs], linestyle="--", color="#bbbbbb", label="linear growth")
        ax.set_xlabel("ongoing SLA lines (1% due)")
        ax.set_ylabel("ms per run")
        ax.set_title("SLA cron: time per run vs open lines")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(args.out, "sla_cron_scaling.png"), dpi=110)
        plt.close(fig)

    # ratios: values normalised so that > 1 always means "ours is better"
    bars = []
    for r in data["results"]:
        if r.get("skipped") or r.get("ours") is None:
            continue
        for other, key in (("baseline", "baseline"), ("oca", "oca")):
            val = r.get(key)
            if not val or r["name"].startswith("sla_cron"):
                continue
            speedup = (r["ours"] / val) if r.get("higher_is_better") else (val / r["ours"])
            bars.append((f"{r['name']} vs {other}", speedup, COLORS["crm" if other == "baseline" else "oca"]))
    if bars:
        fig, ax = plt.subplots(figsize=(7, 0.32 * len(bars) + 1.2))
        ax.barh([b[0] for b in bars], [b[1] for b in bars], color=[b[2] for b in bars])
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("advantage of ours (x times better; < 1 = behind)")
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(True, axis="x", which="both", alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(args.out, "ratios.png"), dpi=110)
        plt.close(fig)
    with open(os.path.join(args.results, f"latest-{args.scale}.md"), "w") as f:
        f.write(table_md(data))
    print(f"charts written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
