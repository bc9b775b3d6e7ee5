"""One store at one size, in its own process: load, run every canned query, report peak memory.

Run by bench/run.py; prints one JSON object per line on stdout (events), so the parent keeps
whatever was measured even if it has to stop this process (a query over the time cap).

    python bench/child.py --store memory|rdflib|oxigraph|raw-oxigraph|raw-oxigraph-disk --file F [--extra E]
                          [--dir D] [--params JSON] [--repeat 5] [--cap 60] [--budget 60]
                          [--skip NAME ...]
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class Capped(BaseException):  # noqa: N818 - BaseException so no `except Exception` in a library swallows it
    """Raised by SIGALRM when a query runs past the cap (works for rdflib's pure-Python engine)."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise Capped()


def emit(**event: Any) -> None:
    event["rss_mib"] = peak_rss_mib()
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def load(kind: str, file: str, extra: str | None, folder: str | None,
         reuse: bool = False) -> tuple[Any, float, dict[str, Any]]:
    """Open the store the way the product does; return (store, seconds, facts)."""
    from aihkg.graph import stores

    facts: dict[str, Any] = {}
    started = time.perf_counter()
    if kind == "memory":
        store = stores.memory_store([file])
        seconds = time.perf_counter() - started
        facts["triples"] = len(store.store)
    elif kind in ("raw-oxigraph", "raw-oxigraph-disk"):  # the engine alone, for reference: no product code
        import pyoxigraph as ox

        if kind == "raw-oxigraph":  # into memory
            raw = ox.Store()
            raw.load(path=file, format=ox.RdfFormat.N_TRIPLES)
        else:  # its own bulk loader into a new on-disk store
            assert folder, "--dir is required for the raw-oxigraph-disk store"
            raw = ox.Store(folder)
            raw.bulk_load(path=file, format=ox.RdfFormat.N_TRIPLES)
            raw.flush()
        seconds = time.perf_counter() - started
        facts["triples"] = len(raw)
        store = stores.OxigraphStore(raw, kind)
    elif kind == "rdflib":
        store = stores.rdflib_store([file])
        seconds = time.perf_counter() - started
        facts["triples"] = sum(len(g) for g in store.dataset.contexts())
    elif kind == "oxigraph":
        assert folder, "--dir is required for the oxigraph store"
        if not reuse:  # `aihkg load`: create the store (built-in graph), then bulk-load the other copies
            writer = stores.disk_store(folder, write=True)
            facts["create_seconds"] = time.perf_counter() - started
            if extra and Path(extra).stat().st_size:
                with stores.all_or_nothing(writer):  # as `aihkg load` does: a checkpoint to undo a failed load
                    stores.bulk_load(writer, [extra], data_format=None, allow_remote=False, progress=lambda _m: None)
            writer.close()
        seconds = time.perf_counter() - started
        opened = time.perf_counter()
        store = stores.disk_store(folder)
        facts["open_seconds"] = time.perf_counter() - opened
        facts["triples"] = len(store.store)
        facts["disk_mib"] = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 2**20
    else:
        raise SystemExit(f"unknown store {kind}")
    return store, seconds, facts


def timed(fn: Any, cap: float) -> float:
    signal.setitimer(signal.ITIMER_REAL, cap)
    try:
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--extra")
    ap.add_argument("--dir")
    ap.add_argument("--params", default="{}")
    ap.add_argument("--prepared", required=True, help="JSON file: query name -> [text, form], bound once")
    ap.add_argument("--prepare-cap", type=float, default=10.0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cap", type=float, default=60.0)
    ap.add_argument("--budget", type=float, default=60.0)
    ap.add_argument("--skip", nargs="*", default=[])
    ap.add_argument("--load-only", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="oxigraph: open the store already loaded in --dir")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGALRM, _on_alarm)

    from aihkg.queries import guard
    from aihkg.queries.api import KnowledgeGraph
    from aihkg.queries.catalog import Catalog

    store, seconds, facts = load(args.store, args.file, args.extra, args.dir, args.reuse)
    emit(event="load", seconds=seconds, **facts)
    if args.load_only:
        emit(event="end")
        return
    params: dict[str, dict[str, str]] = json.loads(args.params)
    prepared_texts: dict[str, list[str]] = json.loads(Path(args.prepared).read_text())
    kg = KnowledgeGraph()
    kg._store = store  # the loaded store, behind the product's prepare/bind path
    catalog = Catalog()
    for name in catalog.names():
        if name in args.skip:
            continue
        emit(event="begin", name=name)
        result: dict[str, Any] = {"event": "query", "name": name}
        try:
            holder: dict[str, Any] = {}

            def prepare(name: str = name, holder: dict[str, Any] = holder) -> None:
                holder["prepared"] = kg.prepare(name, params.get(name))

            # The product's binding step (entity parameters are checked against the store), timed
            # on its own with its own cap; the query then runs the text the parent bound once.
            try:
                result["prepare_seconds"] = timed(prepare, args.prepare_cap)
            except Capped:
                result["prepare_capped"] = args.prepare_cap
            text, form = prepared_texts[name]
            # As `aihkg query NAME` runs it: the bound text under the canned query's own verdict
            # (a built-in text runs in this process; a user's text would go to the sandbox).
            template = guard.checked(catalog.get(name).text, allow_service=True, remember=name, trusted=True)
            checked = guard.refill(template, text)

            def run(checked: Any = checked, holder: dict[str, Any] = holder) -> None:
                holder["result"] = store.query(checked)

            warm = timed(run, args.cap)
            result["warmup"] = warm
            res = holder["result"]
            result["rows"] = len(res.rows) if res.kind == "select" else len(res.triples)
            emit(event="warm", name=name, seconds=warm)
            runs: list[float] = []
            spent = 0.0
            while len(runs) < args.repeat and (not runs or spent + runs[-1] <= args.budget):
                t = timed(run, args.cap)
                runs.append(t)
                spent += t
            result["runs"] = runs
            result["median"] = statistics.median(runs)
        except Capped:
            result["capped"] = True
        except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
            result["error"] = f"{type(exc).__name__}: {exc}"
        emit(**result)
    emit(event="end")


if __name__ == "__main__":
    main()
