"""Show how Oxigraph evaluates canned queries on an oxigraph:DIR store: the plan, rows and time per step.

    python bench/explain.py --store bench/work/stores/oxigraph-1e6 NAME [NAME ...]

Each query is bound as the benchmark binds it (the sample parameters of tests/canned.py), then run
by the `oxigraph` command-line tool with `--explain --stats` (graph/explain.py). Every step of the
plan is printed with the rows it produced and the time spent in it and below it. Two things to look
for: a hash join whose build side is a whole predicate (a scan that grows with the store, not with
the answer), and the cost per row of a `Lateral` step (one index lookup per row: about 10-20 us on
disk, a few us in memory, so a plan made of lookups is bounded by the disk, not by the plan).

The statistics slow the run down; read the times as proportions. Close any process that has the
store open for writing (`aihkg load`) first: the tool opens the store itself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def bound_text(name: str) -> str:
    """The query as the benchmark runs it: bound with the sample parameters by the product's prepare()."""
    from run import sample_params  # bench/run.py: bench/ is on sys.path when this runs as a script

    from aihkg.queries.api import KnowledgeGraph

    return KnowledgeGraph("memory").prepare(name, sample_params().get(name)).text


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True, help="an oxigraph:DIR folder made by aihkg (or by bench/run.py)")
    ap.add_argument("--width", type=int, default=100, help="characters of each step's name to show")
    ap.add_argument("names", nargs="+", help="canned query names")
    args = ap.parse_args(argv)

    from aihkg.graph.errors import AihkgError
    from aihkg.graph.explain import oxigraph_plan, plan_steps

    for name in args.names:
        try:
            report = oxigraph_plan(args.store, bound_text(name))
        except AihkgError as exc:
            raise SystemExit(f"{name}: {exc}") from None
        print(f"== {name}  (planning {report.get('planning duration in seconds', 0) * 1000:.2f} ms)")
        print(f"{'rows':>9} {'time':>12}  step")
        for step in plan_steps(report["plan"]):
            label = step.name if len(step.name) <= args.width else step.name[: args.width - 1] + "…"
            rows = "" if step.rows is None else step.rows
            time = "" if step.seconds is None else f"{step.seconds * 1000:9.1f} ms"
            print(f"{rows:>9} {time:>12}  {'  ' * step.depth}{label}")


if __name__ == "__main__":
    main()
