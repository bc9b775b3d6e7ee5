"""aihkg benchmark: scaled graphs x stores x canned queries, cold start, roqet; writes results.md.

    python bench/run.py [--sizes 1e4,1e5,1e6] [--repeat 5] [--cap 60] [--stores memory,oxigraph,rdflib]

Everything it writes goes to bench/ (results.md, latency.png) and bench/work/ (scaled graphs,
stores, raw results.json, logs). See bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import platform
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work"
PY = sys.executable
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

COLD_QUERIES = ("funding_by_year", "sources_by_kind", "use_impacts", "organisation_structure")
GRACE = 20.0  # seconds past the cap before the parent stops a child that does not answer
LOAD_TIMEOUT = 1800.0


def log(message: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


def size_label(target: int) -> str:
    exp = len(str(target)) - 1
    return f"1e{exp}" if target == 10**exp else str(target)


def parse_sizes(text: str) -> list[int]:
    return [int(float(part)) for part in text.split(",") if part.strip()]


# --------------------------------------------------------------------------- results file


def load_results(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def save_results(path: Path, results: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1, default=str))
    tmp.replace(path)


# --------------------------------------------------------------------------- machine and inputs


def machine_facts() -> dict[str, Any]:
    import pyoxigraph
    import rdflib

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    roqet = shutil.which("roqet")
    hyperfine = shutil.which("hyperfine")

    def version(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "not installed"

    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "git_head": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                   text=True).stdout.strip(),
        "cpus": os.cpu_count(), "cpu": cpu, "memory": mem,
        "platform": platform.platform(), "python": platform.python_version(),
        "pyoxigraph": pyoxigraph.__version__, "rdflib": rdflib.__version__,
        "roqet": version(["roqet", "-v"]) if roqet else "not installed",
        "hyperfine": version(["hyperfine", "--version"]) if hyperfine else "not installed",
    }


def sample_params() -> dict[str, dict[str, str]]:
    """tests/canned.py's SAMPLE_PARAMS with every entity resolved to its IRI on the built-in graph.

    At scaled sizes a label names one entity per copy, so parameters are bound by IRI (copy 0
    keeps the original IRIs).
    """
    sys.path.insert(0, str(ROOT / "tests"))
    from aihkg.queries.api import KnowledgeGraph
    from aihkg.queries.catalog import Catalog
    from canned import SAMPLE_PARAMS

    kg = KnowledgeGraph("memory")
    catalog = Catalog()
    out: dict[str, dict[str, str]] = {}
    for name, params in SAMPLE_PARAMS.items():
        query = catalog.get(name)
        bound: dict[str, str] = {}
        for key, value in params.items():
            param = query.param(key)
            if param is not None and param.type == "entity":
                bound[key] = "<" + kg.resolve(value, param.cls) + ">"
            else:
                bound[key] = value
        out[name] = bound
    return out


# --------------------------------------------------------------------------- children


class Child:
    """A bench/child.py process whose JSON-line events are read by a thread."""

    def __init__(self, args: list[str], log_path: Path) -> None:
        self.log = open(log_path, "a")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([PY, str(BENCH / "child.py"), *args], stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, cwd=ROOT)
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                continue
        self.events.put(None)

    def next(self, timeout: float) -> dict[str, Any] | None:
        """The next event; None at the end; raises queue.Empty after `timeout` seconds."""
        return self.events.get(timeout=timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()  # only this child, by its own handle
        self.proc.wait()
        self.log.close()


def measure(store: str, files: dict[str, Any], params: dict[str, dict[str, str]], args: argparse.Namespace,
            skip: dict[str, dict[str, Any]], label: str) -> dict[str, Any]:
    """Load one store at one size in child processes and time every canned query."""
    out: dict[str, Any] = {"queries": {}, "restarts": 0, "rss_mib": 0.0}
    out["queries"].update(skip)
    folder = WORK / "stores" / f"{store}-{label}"
    if store == "oxigraph" and folder.exists():
        shutil.rmtree(folder)
    first = True
    while True:
        done = list(out["queries"])
        child_args = ["--store", store, "--file", str(files["full"]), "--params", json.dumps(params),
                      "--prepared", str(WORK / "prepared.json"), "--prepare-cap", str(args.prepare_cap),
                      "--repeat", str(args.repeat), "--cap", str(args.cap), "--budget", str(args.budget),
                      "--skip", *done]
        if store == "oxigraph":
            child_args += ["--extra", str(files["extra"]), "--dir", str(folder)] + ([] if first else ["--reuse"])
        child = Child(child_args, WORK / "logs" / f"{store}-{label}.log")
        current: str | None = None
        deadline = LOAD_TIMEOUT
        try:
            while True:
                try:
                    event = child.next(deadline)
                except queue.Empty:
                    if current is None:
                        out["error"] = f"load did not finish within {LOAD_TIMEOUT:.0f} s"
                        return out
                    log(f"  {store} {label} {current}: over the cap, stopping the child")
                    out["queries"][current] = {"capped": True, "stopped": True}
                    out["restarts"] += 1
                    break
                if event is None:
                    if current is not None:
                        out["queries"][current] = {"error": "the child process died (see the log)"}
                        out["restarts"] += 1
                        break
                    out["error"] = out.get("error") or "child ended early"
                    return out
                out["rss_mib"] = max(out["rss_mib"], event.get("rss_mib", 0.0))
                kind = event["event"]
                if kind == "load":
                    if first:
                        out["load"] = {k: v for k, v in event.items() if k not in ("event", "rss_mib")}
                        out["rss_after_load_mib"] = event.get("rss_mib")
                        log(f"  {store} {label}: loaded {event.get('triples', 0):,} triples in "
                            f"{event['seconds']:.2f} s (rss {event['rss_mib']:.0f} MiB)")
                        first = False
                    deadline = 2 * args.cap + GRACE
                elif kind == "begin":
                    current = event["name"]
                    deadline = 2 * args.cap + GRACE
                elif kind == "warm":
                    deadline = args.budget + args.cap + GRACE
                elif kind == "query":
                    record = {k: v for k, v in event.items() if k not in ("event", "name", "rss_mib")}
                    out["queries"][event["name"]] = record
                    shown = (f"{record['median']:.4f} s median" if "median" in record
                             else "capped" if record.get("capped") else record.get("error", "?"))
                    log(f"  {store} {label} {event['name']}: {shown}")
                    current = None
                    deadline = 2 * args.cap + GRACE
                elif kind == "end":
                    return out
        finally:
            child.stop()


def load_only(store: str, file: Path, label: str) -> dict[str, Any]:
    """The engine's own load of the file (no product code), for reference."""
    import shutil

    folder = WORK / "stores" / f"{store}-{label}"
    shutil.rmtree(folder, ignore_errors=True)
    child = Child(["--store", store, "--file", str(file), "--load-only", "--prepared", str(WORK / "prepared.json"),
                   "--dir", str(folder)], WORK / "logs" / f"{store}-{label}.log")
    try:
        event = child.next(LOAD_TIMEOUT)
        return {"seconds": event["seconds"], "triples": event.get("triples"), "rss_mib": event["rss_mib"]} \
            if event else {"error": "no answer"}
    finally:
        child.stop()
        shutil.rmtree(folder, ignore_errors=True)


def plan_skips(store: str, names: list[str], prev: dict[str, Any] | None, ratio: float,
               args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Queries not worth running at this size: capped at the smaller size, or predicted far over the cap."""
    skips: dict[str, dict[str, Any]] = {}
    if not prev:
        return skips
    for name in names:
        rec = prev.get("queries", {}).get(name, {})
        if rec.get("capped") or rec.get("skipped"):
            skips[name] = {"capped": True, "skipped": "over the cap at a smaller size"}
        elif args.predict_skip and rec.get("warmup", 0) * ratio > 2 * args.cap:
            skips[name] = {"capped": True, "skipped": (f"predicted over the cap: {rec['warmup']:.1f} s at the "
                                                       f"smaller size x {ratio:.0f} times the triples")}
    return skips


# --------------------------------------------------------------------------- cold start and roqet


def cold_start(args: argparse.Namespace, nt_file: Path) -> dict[str, Any]:
    """Whole-process time on the built-in graph: aihkg query vs plain rdflib vs roqet (same run)."""
    out: dict[str, Any] = {}
    hyperfine = shutil.which("hyperfine")
    roqet = shutil.which("roqet")
    # Python's default: compiled modules are cached in __pycache__. rdflib, in site-packages, was
    # compiled by pip when it was installed; aihkg runs here from the source tree, so with
    # PYTHONDONTWRITEBYTECODE set (as on this project's machines) it alone would be compiled again
    # on every start (about 35 ms). The warm-up run writes its cache, as an install would.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for name in COLD_QUERIES:
        qfile = ROOT / "queries" / "catalog" / f"{name}.rq"
        commands = {
            "aihkg query": [PY, "-m", "aihkg", "query", name, "--format", "csv"],
            "plain rdflib": [PY, str(BENCH / "plain_rdflib.py"), str(qfile)],
        }
        if roqet:
            commands["roqet"] = [roqet, "-q", "-i", "sparql", "-r", "csv", "-D", str(nt_file), str(qfile)]
        ok: dict[str, list[str]] = {}
        notes: dict[str, str] = {}
        for label, command in commands.items():
            probe = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
            # roqet exits 2 after a successful query (warnings); an error says "Error" on stderr
            failed = probe.returncode not in (0, 2) if label == "roqet" else probe.returncode != 0
            if failed or "Error" in probe.stderr or not probe.stdout.strip():
                notes[label] = _first_error(probe.stderr)
            else:
                ok[label] = command
        timings: dict[str, Any] = {}
        if hyperfine and ok:
            export = WORK / "cold" / f"hyperfine-{name}.json"
            cmd = [hyperfine, "-N", "-i", "--warmup", "1", "--runs", str(args.cold_runs), "--export-json", str(export)]
            for label, command in ok.items():
                cmd += ["-n", label, " ".join(_quote(c) for c in command)]
            subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True, timeout=900, env=env)
            for res in json.loads(export.read_text())["results"]:
                times = res["times"]
                timings[res["command"]] = {"median": res["median"], "mean": res["mean"], "min": res["min"],
                                           "max": res["max"], "runs": len(times)}
        else:
            for label, command in ok.items():
                times = []
                subprocess.run(command, capture_output=True, cwd=ROOT, env=env)
                for _ in range(args.cold_runs):
                    started = time.perf_counter()
                    subprocess.run(command, capture_output=True, cwd=ROOT, env=env)
                    times.append(time.perf_counter() - started)
                times.sort()
                timings[label] = {"median": times[len(times) // 2], "min": times[0], "max": times[-1],
                                  "runs": len(times)}
        out[name] = {"timings": timings, "failed": notes, "loadavg": round(os.getloadavg()[0], 2)}
        shown = ", ".join(f"{k} {v['median'] * 1000:.0f} ms" for k, v in timings.items())
        log(f"  cold {name}: {shown}" + (f"; failed: {', '.join(notes)}" if notes else ""))
    return out


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _first_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "error" in line.lower():
            return line[:300]
    return (lines[0] if lines else "no output")[:300]


def roqet_all(nt_file: Path, params: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Every canned query (bound as aihkg binds it) through roqet; rows compared with the memory store."""
    roqet = shutil.which("roqet")
    if not roqet:
        return {"unavailable": "roqet is not installed (apt-get install rasqal-utils)"}
    from aihkg.queries.api import KnowledgeGraph
    from aihkg.queries.catalog import Catalog
    from aihkg.queries.formats import render

    kg = KnowledgeGraph("memory")
    folder = WORK / "roqet"
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {}
    for name in Catalog().names():
        prepared = kg.prepare(name, params.get(name))
        mine = render(kg.store.query(prepared.text, prepared.form), "csv")
        expected = _csv_rows(mine)
        qfile = folder / f"{name}.rq"
        qfile.write_text(prepared.text)
        started = time.perf_counter()
        try:
            proc = subprocess.run([roqet, "-q", "-i", "sparql", "-r", "csv", "-D", str(nt_file), str(qfile)],
                                  capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            out[name] = {"ok": False, "error": "no answer within 120 s", "expected": len(expected)}
            continue
        seconds = time.perf_counter() - started
        rec: dict[str, Any] = {"seconds": seconds, "expected": len(expected), "returncode": proc.returncode}
        if proc.returncode not in (0, 2) or "Error" in proc.stderr:
            rec.update(ok=False, error=_first_error(proc.stderr) or f"exit {proc.returncode}")
        else:
            got = _csv_rows(proc.stdout)
            rec.update(ok=True, rows=len(got), same=got == expected)
            if not rec["same"]:
                diff = sorted(set(got) ^ set(expected))[:2]
                rec["difference"] = "; ".join(",".join(row) for row in diff)[:300]
        out[name] = rec
    return out


def _csv_rows(text: str) -> list[tuple[str, ...]]:
    """CSV rows (header dropped) as a sorted list of normalised cells: numbers compared by value."""
    from decimal import Decimal, InvalidOperation

    def norm(cell: str) -> str:
        try:
            return str(Decimal(cell).normalize()) if cell.strip() else ""
        except InvalidOperation:
            return cell

    rows = list(csv.reader(io.StringIO(text)))[1:]
    return sorted(tuple(norm(c) for c in row) for row in rows)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e4,1e5,1e6", help="target triple counts, comma-separated")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per query after one warm-up")
    ap.add_argument("--cap", type=float, default=60.0, help="seconds a single query run may take")
    ap.add_argument("--budget", type=float, default=30.0,
                    help="seconds of timed runs per query: slow queries get fewer than --repeat runs")
    ap.add_argument("--prepare-cap", type=float, default=10.0,
                    help="seconds the product's parameter binding (prepare) may take before it is recorded as capped")
    ap.add_argument("--stores", default="memory,oxigraph,rdflib")
    ap.add_argument("--cold-runs", type=int, default=10)
    ap.add_argument("--no-predict-skip", dest="predict_skip", action="store_false",
                    help="run every query at every size, even where a smaller size predicts it is over the cap")
    ap.add_argument("--skip-cold", action="store_true", help="leave out the cold-start and roqet parts")
    ap.add_argument("--report-only", action="store_true", help="rewrite results.md and latency.png from results.json")
    ap.add_argument("--only-cold", action="store_true",
                    help="measure only cold start and roqet again, keeping the sizes already in results.json")
    args = ap.parse_args(argv)

    os.environ.setdefault("AIHKG_CACHE_DIR", str(WORK / "cache"))
    os.environ.pop("AIHKG_STORE", None)
    os.environ.pop("AIHKG_QUERY_PATH", None)
    for sub in ("logs", "cold", "stores"):
        (WORK / sub).mkdir(parents=True, exist_ok=True)
    results_path = WORK / "results.json"

    from report import write_report

    if args.report_only:
        write_report(load_results(results_path), BENCH)
        return

    from scale import copies_for, split_builtin, write_scaled

    from aihkg.graph import builtin
    from aihkg.graph.build import builtin_nquads
    from aihkg.queries.catalog import Catalog

    if args.only_cold:
        results = load_results(results_path)
        params = sample_params()
        nt_file = WORK / "cold" / "builtin.nt"
        subprocess.run([PY, "-m", "aihkg", "export", "-f", "nt", "-o", str(nt_file)], cwd=ROOT, check=True,
                       capture_output=True)
        log("cold start (warm cache) ...")
        results["cold"] = cold_start(args, nt_file)
        log("roqet on every canned query ...")
        results["roqet"] = roqet_all(nt_file, params)
        results["cold_machine"] = machine_facts()
        save_results(results_path, results)
        write_report(results, BENCH)
        return

    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine_facts(), "settings": {
        "sizes": args.sizes, "repeat": args.repeat, "cap": args.cap, "budget": args.budget,
        "stores": args.stores, "cold_runs": args.cold_runs, "predict_skip": args.predict_skip,
        "cache_dir": os.environ["AIHKG_CACHE_DIR"]}}
    key = builtin.content_hash()
    nquads = builtin_nquads()
    results["builtin"] = {"hash": key[:16], "triples": nquads.count(b"\n")}
    split = split_builtin(nquads)
    results["split"] = {"shared": len(split.shared), "per_copy": len(split.copied)}
    log(f"built-in graph {key[:12]}: {results['builtin']['triples']:,} triples "
        f"({len(split.shared):,} ontology, {len(split.copied):,} per copy of the individuals)")
    params = sample_params()
    results["params"] = params
    names = Catalog().names()
    results["queries"] = names
    from aihkg.queries.api import KnowledgeGraph

    kg = KnowledgeGraph("memory")
    prepared = {n: [(p := kg.prepare(n, params.get(n))).text, p.form] for n in names}
    (WORK / "prepared.json").write_text(json.dumps(prepared, indent=1))
    save_results(results_path, results)

    if not args.skip_cold:
        nt_file = WORK / "cold" / "builtin.nt"
        subprocess.run([PY, "-m", "aihkg", "export", "-f", "nt", "-o", str(nt_file)], cwd=ROOT, check=True,
                       capture_output=True)
        log("cold start (warm cache) ...")
        results["cold"] = cold_start(args, nt_file)
        save_results(results_path, results)
        log("roqet on every canned query ...")
        results["roqet"] = roqet_all(nt_file, params)
        save_results(results_path, results)

    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    results["sizes"] = {}
    prev_label: str | None = None
    for target in parse_sizes(args.sizes):
        label = size_label(target)
        copies = copies_for(target, split)
        files = write_scaled(WORK, label, copies, split, key)
        log(f"size {label}: {copies} copies, {files.triples:,} triples "
            f"({'reused' if files.reused else 'written'} {files.full.name})")
        entry: dict[str, Any] = {"target": target, "copies": copies, "triples": files.triples,
                                 "file_mib": files.full.stat().st_size / 2**20, "stores": {}}
        results["sizes"][label] = entry
        entry["raw_oxigraph_load"] = load_only("raw-oxigraph", files.full, label)
        entry["raw_oxigraph_disk_load"] = load_only("raw-oxigraph-disk", files.full, label)
        file_info = {"full": files.full, "extra": files.extra}
        for store in stores:
            prev = results["sizes"][prev_label]["stores"].get(store) if prev_label else None
            ratio = files.triples / results["sizes"][prev_label]["triples"] if prev_label else 1.0
            skips = plan_skips(store, names, prev, ratio, args)
            t0 = time.perf_counter()
            entry["stores"][store] = measure(store, file_info, params, args, skips, label)
            entry["stores"][store]["wall_seconds"] = time.perf_counter() - t0
            entry["stores"][store]["loadavg_after"] = round(os.getloadavg()[0], 2)
            save_results(results_path, results)
        prev_label = label
    results["total_seconds"] = time.perf_counter() - started
    save_results(results_path, results)
    write_report(results, BENCH)
    log(f"done in {results['total_seconds'] / 60:.1f} min: {BENCH / 'results.md'}, {BENCH / 'latency.png'}")


if __name__ == "__main__":
    main()
