"""Benchmark `aihkg viz` against a naive networkx script drawing the same graph.

    .venv/bin/python bench/viz.py [--repeat 5]

Run it from the repository root. Every run is a whole process, as a user starts it. One repetition
runs, in this order: the naive script (`bench/viz_naive.py`: read the GraphML export, spring
layout, `draw_networkx`, save PNG), then for each aihkg picture a first call on a cold layout cache
(its cached scenes deleted; the parsed graph stays cached, as after any earlier command) and a
second call. Ratios are taken within a repetition (aihkg's time over the naive script's time in
the same repetition), so a machine that is busier in one repetition than another does not bias
them; the tables give the median ratio over the repetitions and its range.

Writes bench/viz.png (the plot), bench/work/viz/ (the GraphML, the pictures, viz.json with every
raw time) and its own section of bench/results.md, between `<!-- bench/viz.py -->` markers,
leaving the rest of that file as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from report import replace_section  # bench/report.py: bench/ is on sys.path when this runs as a script

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work" / "viz"
PY = sys.executable
BEGIN, END = "<!-- bench/viz.py: begin -->", "<!-- bench/viz.py: end -->"

# (name, aihkg viz options); the targets are for the first, the command's default picture.
PICTURES: list[tuple[str, list[str]]] = [
    ("default: governance map", []),
    ("--view network", ["--view", "network"]),
    ("--view network --include events --include statistics", ["--view", "network", "--include", "events",
                                                               "--include", "statistics"]),
]
TARGET_SECOND, TARGET_FIRST = 0.35, 1.0


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the child) and stderr of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=WORK, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stderr.strip()


def clear_scenes(cache: Path) -> None:
    for entry in cache.glob("scene-*"):
        entry.unlink()


def measure(repeat: int) -> dict[str, Any]:
    WORK.mkdir(parents=True, exist_ok=True)
    cache = WORK / "cache"
    cache.mkdir(exist_ok=True)
    env = {**os.environ, "AIHKG_CACHE_DIR": str(cache)}
    aihkg = [PY, "-m", "aihkg"]
    graphml = WORK / "graph.graphml"
    subprocess.run([*aihkg, "export", "-o", str(graphml)], cwd=WORK, env=env, check=True, capture_output=True)
    for _name, options in PICTURES:  # warm-up: the parsed graph in the cache, bytecode compiled
        timed([*aihkg, "viz", *options, "-o", "warmup.png"], env)
    runs: list[dict[str, Any]] = []
    for rep in range(repeat):
        row: dict[str, Any] = {}
        row["naive"] = timed([PY, str(BENCH / "viz_naive.py"), str(graphml), "naive.png"], env)[:2]
        for i, (name, options) in enumerate(PICTURES):
            clear_scenes(cache)
            first = timed([*aihkg, "viz", *options, "-o", f"picture-{i}.png"], env)
            second = timed([*aihkg, "viz", *options, "-o", f"picture-{i}.png"], env)
            row[name] = {"first": first[:2], "second": second[:2], "says": second[2]}
        runs.append(row)
        print(f"repetition {rep + 1}/{repeat}: naive {row['naive'][0]:.2f} s; "
              + "; ".join(f"{n}: {row[n]['first'][0]:.2f} / {row[n]['second'][0]:.2f} s" for n, _ in PICTURES),
              flush=True)
    import matplotlib
    import networkx

    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    # "+" when the measured code differs from the commit (documentation edits do not count).
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!*.md"], cwd=ROOT,
                           capture_output=True, text=True)
    return {
        "date": date.today().isoformat(),
        "commit": head.stdout.strip() + ("+" if dirty.stdout.strip() else ""),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "matplotlib": matplotlib.__version__, "networkx": networkx.__version__},
        "repeat": repeat,
        "graphml_bytes": graphml.stat().st_size,
        "runs": runs,
    }


def summary(res: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    runs = res["runs"]
    for name, options in PICTURES:
        item: dict[str, Any] = {"name": name, "command": " ".join(["aihkg viz", *options, "-o full.png"]),
                                "says": runs[-1][name]["says"]}
        for call in ("first", "second"):
            for k, what in ((0, "wall"), (1, "cpu")):
                ratios = [r[name][call][k] / r["naive"][k] for r in runs]
                item[f"{call}_{what}"] = statistics.median(r[name][call][k] for r in runs)
                item[f"{call}_{what}_ratio"] = statistics.median(ratios)
                item[f"{call}_{what}_range"] = (min(ratios), max(ratios))
        out.append(item)
    return out


def markdown(res: dict[str, Any]) -> str:
    rows = summary(res)
    naive_wall = statistics.median(r["naive"][0] for r in res["runs"])
    naive_cpu = statistics.median(r["naive"][1] for r in res["runs"])
    m = res["machine"]
    lines = [
        BEGIN,
        "## `aihkg viz` against a naive networkx script (`bench/viz.py`)",
        "",
        f"Run on {res['date']} at commit {res['commit']} ({m['cpus']} CPUs, Python {m['python']}, matplotlib "
        f"{m['matplotlib']}, networkx {m['networkx']}); {res['repeat']} repetitions, each a whole process per "
        "call. The baseline is `bench/viz_naive.py` on the GraphML export of the same graph "
        f"({res['graphml_bytes']:,} bytes; all 516 individuals): `nx.read_graphml`, `nx.spring_layout`, "
        f"`nx.draw_networkx`, save a 2200x1650 PNG. It took {naive_wall:.2f} s (median wall; {naive_cpu:.2f} s CPU).",
        "A first call runs on a cold layout cache (its cached scenes deleted; the parsed graph still cached, as after "
        "any earlier command); the second call draws the cached scene. Ratios are aihkg over the naive script in the "
        "same repetition: median (range). Plot: `bench/viz.png`.",
        "",
        "| picture | drawn | first call | second call | first / naive | second / naive | second / naive, CPU |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lo1, hi1 = r["first_wall_range"]
        lo2, hi2 = r["second_wall_range"]
        lines.append(
            f"| `{r['command']}` | {r['says']} | {r['first_wall']:.2f} s | {r['second_wall']:.2f} s | "
            f"{r['first_wall_ratio']:.3f} ({lo1:.3f}–{hi1:.3f}) | {r['second_wall_ratio']:.3f} ({lo2:.3f}–{hi2:.3f}) | "
            f"{r['second_cpu_ratio']:.3f} |")
    default = rows[0]
    second_ok = default["second_wall_range"][1] <= TARGET_SECOND
    first_ok = default["first_wall_range"][1] <= TARGET_FIRST
    lines += [
        "",
        "Targets, for `aihkg viz -o full.png` (the default picture), on the worst repetition:",
        "",
        f"- second call ≤ {TARGET_SECOND}× the naive script: **{'met' if second_ok else 'NOT met'}** "
        f"(median {default['second_wall_ratio']:.3f}×, worst {default['second_wall_range'][1]:.3f}×)",
        f"- first call ≤ {TARGET_FIRST:g}× the naive script: **{'met' if first_ok else 'NOT met'}** "
        f"(median {default['first_wall_ratio']:.3f}×, worst {default['first_wall_range'][1]:.3f}×)",
        "",
        "The network rows draw the force layout of the same graph: with `--include events --include statistics` "
        "exactly the 516 individuals the naive script draws, with arrowheads, placed labels and a legend.",
        END,
    ]
    return "\n".join(lines) + "\n"


def plot(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = summary(res)
    naive = [r["naive"][0] for r in res["runs"]]
    labels = ["naive script"] + [f"{r['name']}\n{call} call" for r in rows for call in ("first", "second")]
    series = [naive] + [[run[r["name"]][call][0] for run in res["runs"]] for r in rows for call in ("first", "second")]
    fig, ax = plt.subplots(figsize=(11, 5.5), dpi=100)
    ax.boxplot(series, orientation="horizontal", widths=0.5)
    for i, values in enumerate(series, start=1):
        ax.scatter(values, [i] * len(values), s=12, color="#1f77b4", zorder=3)
    ax.set_yticks(range(1, len(labels) + 1), labels, fontsize=8)
    ax.set_xscale("log")
    from matplotlib.ticker import FormatStrFormatter

    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(FormatStrFormatter("%g"))
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlabel("wall time of the whole process, s (log scale)")
    ax.axvline(statistics.median(naive) * TARGET_SECOND, color="#d62728", ls="--", lw=1)
    ax.text(statistics.median(naive) * TARGET_SECOND, len(labels) + 0.4, f" {TARGET_SECOND}× naive (target, second "
            "call)", color="#d62728", fontsize=8, va="center")
    ax.invert_yaxis()
    ax.set_title(f"aihkg viz against a naive networkx script ({res['repeat']} repetitions, {res['date']})")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="repetitions (default 5)")
    ap.add_argument("--report-only", action="store_true", help="rewrite the outputs from bench/work/viz/viz.json")
    args = ap.parse_args()
    raw = WORK / "viz.json"
    if args.report_only:
        res = json.loads(raw.read_text())
    else:
        res = measure(args.repeat)
        raw.write_text(json.dumps(res, indent=1))
    replace_section(BENCH / "results.md", BEGIN, END, markdown(res))
    plot(res, BENCH / "viz.png")
    print(markdown(res))


if __name__ == "__main__":
    main()
