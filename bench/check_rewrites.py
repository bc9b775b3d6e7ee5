"""Check the proposed rewrites in bench/rewrites/ against the catalog's queries.

    python bench/check_rewrites.py [--file bench/work/scaled-1e6.nt] [--disk bench/work/stores/oxigraph-1e6]
                                   [--with-originals]

1. On the built-in graph, each rewrite must give exactly the rows of the original (compared as
   tests/canned.py compares engines), on the memory store and on the rdflib store.
2. With --file, time each rewrite (and, with --with-originals, the original: beware, some
   originals take hours at 10^6 triples) on an in-memory Oxigraph store loaded from the file.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for p in (ROOT, ROOT / "tests", BENCH):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))


class Capped(BaseException):  # noqa: N818 - BaseException so rdflib's `except Exception` cannot swallow it
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise Capped()


def original_text(name: str, rev: str | None, catalog: Any) -> str:
    if not rev:
        return catalog.get(name).text
    import subprocess

    return subprocess.run(["git", "show", f"{rev}:queries/catalog/{name}.rq"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout


def bound_text(kg: Any, name: str, text: str, params: dict[str, str] | None) -> str:
    from aihkg.queries import bind
    from aihkg.queries.catalog import parse_query_file

    query = parse_query_file(name, text, f"bench/rewrites/{name}.rq")
    given = {k: [v] for k, v in (params or {}).items()}
    return bind.bind(query, given, kg.store)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file")
    ap.add_argument("--disk", help="also time the rewrites on this oxigraph:DIR store folder (opened read-only)")
    ap.add_argument("--with-originals", action="store_true", help="also time the originals at scale")
    ap.add_argument("--originals-from", metavar="REV",
                    help="take the originals from this git revision of queries/catalog (default: the working tree)")
    ap.add_argument("--with-current", action="store_true",
                    help="also time the working tree's catalog version at scale (when --originals-from is older)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cap", type=float, default=60.0, help="seconds a query on the built-in graph may take")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGALRM, _on_alarm)

    from run import sample_params

    from aihkg.queries.api import KnowledgeGraph
    from aihkg.queries.catalog import Catalog
    from canned import answer

    params = sample_params()
    catalog = Catalog()
    kgs = {"memory": KnowledgeGraph("memory"), "rdflib": KnowledgeGraph("rdflib")}
    report: dict[str, Any] = {}
    rewrites = sorted((BENCH / "rewrites").glob("*.rq"))
    for path in rewrites:
        name = path.stem
        original = original_text(name, args.originals_from, catalog)
        rec: dict[str, Any] = {}
        answers = {}
        for store, kg in kgs.items():
            for which, text in (("original", original), ("rewrite", path.read_text())):
                t = bound_text(kg, name, text, params.get(name))
                started = time.perf_counter()
                signal.setitimer(signal.ITIMER_REAL, args.cap)
                try:
                    res = kg.store.query(t, "select")
                except Capped:
                    # rdflib's own answer is out of reach; the product's tests hold memory = rdflib
                    rec[f"{store} {which} s"] = f"> {args.cap:g} (not compared)"
                    continue
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                rec[f"{store} {which} s"] = round(time.perf_counter() - started, 4)
                answers[(store, which)] = answer(res)
        rec["rows"] = len(answers[("memory", "original")][2])
        rec["identical"] = len({repr(a) for a in answers.values()}) == 1
        report[name] = rec
        print(name, json.dumps(rec), flush=True)
    scale: dict[str, Any] = {}
    targets: list[tuple[str, Any]] = []
    if args.file or args.disk:
        from aihkg.graph.stores import disk_store, memory_store

        if args.file:
            targets.append(("memory", lambda: memory_store([args.file])))
        if args.disk:
            targets.append(("oxigraph:DIR", lambda: disk_store(args.disk)))
    for label, opener in targets:
        kg = KnowledgeGraph()
        started = time.perf_counter()
        kg._store = opener()
        print(f"{label}: opened in {time.perf_counter() - started:.1f} s", flush=True)
        for path in rewrites:
            name = path.stem
            todo = [("rewrite", path.read_text())]
            if args.with_originals:
                todo.append(("original", original_text(name, args.originals_from, catalog)))
            if args.with_current:
                todo.append(("catalog now", catalog.get(name).text))
            for which, text in todo:
                t = bound_text(kg, name, text, params.get(name))
                kg.store.query(t, "select")
                times = []
                rows = 0
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    rows = len(kg.store.query(t, "select").rows)
                    times.append(time.perf_counter() - started)
                med = statistics.median(times)
                scale.setdefault(name, {})[f"{label} {which}"] = {"median": med, "rows": rows}
                print(f"{name} {which} on {label}: median {med:.4f} s, {rows} rows", flush=True)
        kg.close()
    out = {"builtin": report, "scale": scale, "file": args.file, "disk": args.disk,
           "originals_from": args.originals_from or "working tree"}
    (BENCH / "work" / "rewrites.json").write_text(json.dumps(out, indent=1))

if __name__ == "__main__":
    main()
