"""Benchmark `aihkg diff` on the scaled graphs, against named baselines; writes its section of results.md.

    python bench/diff.py [--sizes 1e4,1e5,1e6] [--repeat 3] [--rdflib-sizes 1e4,1e5] [--cap 300]

For each size (bench/scale.py's copies of the built-in graph) three pairs of N-Triples files:

- ``same``: the graph against itself written again, in another order with other blank-node labels
  (the answer is "no differences");
- ``edited``: 1 triple in 1,000 removed, each removed label replaced by a revised one, and one new
  entity (type and label) per 1,000 triples;
- ``reified``: the graph with a reified statement (5 triples, one blank node) for 1 triple in 20,
  against the same with other labels, another order and 1 in 100 of those statements given another
  source: the blank-node path at scale (50,000 structures at 10^6).

Each comparison runs in a child process (wall time and peak memory ``ru_maxrss`` per run): the
library call ``aihkg.graph.diff.diff(old, new)`` plus writing the JSON report, and the two
baselines on the same files in the same run:

- ``set difference``: what any tool built on pyoxigraph does first (parse both files, N-Triples
  lines, set difference), with no grouping, no labels and no blank-node handling, so on ``same``
  and ``reified`` it reports every blank-node statement as changed: the floor for the work;
- ``rdflib graph_diff``: rdflib's ``compare.graph_diff(to_isomorphic(a), to_isomorphic(b))``
  after parsing both files, the usual way to diff RDF in Python, at the ``--rdflib-sizes`` only.

Writes bench/work/diff/ (files, diff.json) and the section between the markers in
bench/results.md (bench/report.py keeps it when bench/run.py rewrites the file).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from report import replace_section  # bench/report.py: bench/ is on sys.path when this runs as a script

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work"
OUT = WORK / "diff"
RESULTS = BENCH / "results.md"
START, END = "<!-- bench/diff.py: start -->", "<!-- bench/diff.py: end -->"
PY = sys.executable
for path in (str(ROOT), str(BENCH)):
    if path not in sys.path:
        sys.path.insert(0, path)

LABEL = b"<http://www.w3.org/2000/01/rdf-schema#label>"
TYPE = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- inputs


def _relabel(lines: list[bytes], tag: str) -> list[bytes]:
    """The same statements with every blank-node label changed (labels here are `_:` + name chars)."""
    import re

    return [re.sub(rb"(^|\s)_:(\S+)", lambda m: m.group(1) + b"_:" + tag.encode() + m.group(2), line)
            for line in lines]


def _reified(node: bytes, statement: list[bytes], source: bytes) -> list[bytes]:
    """A reified statement (rdf:Statement) of `statement`, citing `source`: one blank node, 5 triples."""
    s, p, o = statement
    rdf = b"<" + RDF.encode()
    return [node + b" " + rdf + b"type> " + rdf + b"Statement> .", node + b" " + rdf + b"subject> " + s + b" .",
            node + b" " + rdf + b"predicate> " + p + b" .", node + b" " + rdf + b"object> " + o + b" .",
            node + b" <http://purl.org/dc/terms/source> " + source + b" ."]


def _write(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"\n".join(lines) + b"\n")


def make_inputs(full: Path, label: str) -> dict[str, tuple[Path, Path, dict[str, int]]]:
    """The three pairs for one size, written once per scaled file (reused while it is unchanged)."""
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = f"{full.stat().st_size}-{full.stat().st_mtime_ns}-v1"
    meta_path = OUT / f"{label}.json"
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        meta = {}
    pairs = {name: (OUT / f"{label}-{name}-old.nt", OUT / f"{label}-{name}-new.nt")
             for name in ("same", "edited", "reified")}
    if meta.get("stamp") == stamp and all(p.is_file() for pair in pairs.values() for p in pair):
        return {name: (*pair, meta["facts"][name]) for name, pair in pairs.items()}
    rng = random.Random(20261201)
    base = [line for line in full.read_bytes().splitlines() if line.strip()]
    facts: dict[str, dict[str, int]] = {}

    # same: another order, other blank-node labels
    other = _relabel(base, "r")
    rng.shuffle(other)
    _write(pairs["same"][0], base)
    _write(pairs["same"][1], other)
    facts["same"] = {"triples": len(base)}

    # edited: 1 in 1,000 removed (labels revised), one new entity per 1,000
    edited, removed, revised = [], 0, 0
    for i, line in enumerate(base):
        if i % 1000 == 500 and not line.startswith(b"_:") and b" _:" not in line:
            removed += 1
            if f" {LABEL.decode()} ".encode() in line and line.endswith(b"@en ."):
                edited.append(line[: -len(b'"@en .')] + b' (revised)"@en .')
                revised += 1
            continue
        edited.append(line)
    new_entities = len(base) // 1000
    for k in range(new_entities):
        iri = f"<https://w3id.org/aihkg/id/BenchNew{k}>".encode()
        edited.append(iri + b" " + TYPE + b" <https://w3id.org/aihkg/ontology#Programme> .")
        edited.append(iri + b" " + LABEL + f' "Benchmark programme {k}"@en .'.encode())
    rng.shuffle(edited)
    _write(pairs["edited"][0], base)
    _write(pairs["edited"][1], edited)
    facts["edited"] = {"removed": removed, "revised": revised, "new_entities": new_entities}

    # reified: a reified statement for 1 triple in 20, relabelled, 1 in 100 with another source
    ground = [line for line in base if not line.startswith(b"_:") and b" _:" not in line and line.startswith(b"<")]
    old_extra, new_extra, changed = [], [], 0
    for n, line in enumerate(ground[::20]):
        statement = line[:-2].split(b" ", 2)
        source = b"<https://w3id.org/aihkg/source/Bench" + str(n % 97).encode() + b">"
        old_extra += _reified(b"_:s%d" % n, statement, source)
        if n % 100 == 7:
            changed += 1
            source = b"<https://w3id.org/aihkg/source/BenchRevised>"
        new_extra += _reified(b"_:t%d" % n, statement, source)
    old_r = base + old_extra
    new_r = _relabel(base, "q") + new_extra
    rng.shuffle(new_r)
    _write(pairs["reified"][0], old_r)
    _write(pairs["reified"][1], new_r)
    facts["reified"] = {"triples": len(old_r), "structures": len(old_extra) // 5, "changed": changed}
    meta_path.write_text(json.dumps({"stamp": stamp, "facts": facts}, indent=1))
    return {name: (*pair, facts[name]) for name, pair in pairs.items()}


# --------------------------------------------------------------------------- one run, in a child


def child(kind: str, old: str, new: str) -> None:
    import resource

    started = time.perf_counter()
    if kind == "aihkg":
        # diff(old, new) in its two phases: reading both files, then comparing (and the JSON report)
        from aihkg.graph.diff import _read, compare

        a = _read(old, data_format=None, allow_remote=False, kg=None)
        b = _read(new, data_format=None, allow_remote=False, kg=None)
        read = time.perf_counter()
        d = compare(a, b, timeout=None)
        d.json()
        out = {"entities": len(d.entities), "added": len(d.added_lines), "removed": len(d.removed_lines),
               "read_s": read - started}
    elif kind == "setdiff":
        import pyoxigraph as ox

        def lines(path: str) -> set[bytes]:
            found: set[bytes] = set()
            chunk: list[Any] = []
            for q in ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES):
                chunk.append(q)
                if len(chunk) >= 100_000:
                    found.update(ox.serialize(chunk, format=ox.RdfFormat.N_TRIPLES).splitlines())
                    chunk = []
            found.update(ox.serialize(chunk, format=ox.RdfFormat.N_TRIPLES).splitlines())
            return found

        a, b = lines(old), lines(new)
        out = {"added": len(b - a), "removed": len(a - b)}
    elif kind == "rdflib":
        import rdflib
        from rdflib.compare import graph_diff, to_isomorphic

        a = rdflib.Graph().parse(old, format="nt")
        b = rdflib.Graph().parse(new, format="nt")
        parsed = time.perf_counter()
        _, only_a, only_b = graph_diff(to_isomorphic(a), to_isomorphic(b))
        out = {"added": len(only_b), "removed": len(only_a), "parse_s": parsed - started}
    else:
        raise SystemExit(f"unknown kind {kind}")
    out["seconds"] = time.perf_counter() - started
    out["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def measure(kind: str, old: Path, new: Path, cap: float) -> dict[str, Any]:
    env = dict(os.environ)
    try:
        proc = subprocess.run([PY, str(Path(__file__)), "--child", kind, str(old), str(new)], capture_output=True,
                              text=True, timeout=cap, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"capped": cap}
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def repeated(kind: str, old: Path, new: Path, repeat: int, cap: float) -> dict[str, Any]:
    runs = []
    for _ in range(repeat):
        run = measure(kind, old, new, cap)
        runs.append(run)
        if "seconds" not in run:
            return run
    best = dict(runs[0])
    best["seconds"] = statistics.median(r["seconds"] for r in runs)
    best["rss_mib"] = max(r["rss_mib"] for r in runs)
    if "read_s" in best:
        best["read_s"] = statistics.median(r["read_s"] for r in runs)
    best["runs"] = len(runs)
    return best


# --------------------------------------------------------------------------- report


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def cell(rec: dict[str, Any] | None) -> str:
    if not rec:
        return "not run"
    if "capped" in rec:
        return f"> {rec['capped']:.0f} s (stopped)"
    if "error" in rec:
        return f"failed: {rec['error'][:60]}"
    return f"{fmt_s(rec['seconds'])}, {rec['rss_mib']:.0f} MiB"


def ratio(slow: dict[str, Any] | None, fast: dict[str, Any] | None) -> str:
    if not slow or not fast or "seconds" not in fast:
        return "–"
    if "capped" in slow:
        return f"> {slow['capped'] / fast['seconds']:,.0f}×"
    if "seconds" not in slow:
        return "–"
    return f"{slow['seconds'] / fast['seconds']:,.1f}×"


def section(results: dict[str, Any]) -> str:
    m = results["machine"]
    dates = sorted({(e.get("date", m["date"])[:16], e.get("git_head", m["git_head"]))
                    for e in results["sizes"].values()})
    out = [START, "## `aihkg diff` (bench/diff.py)", "",
           f"Run of {m['date']} by `python bench/diff.py --sizes {results['settings']['sizes']} --repeat "
           f"{results['settings']['repeat']} --rdflib-sizes {results['settings']['rdflib_sizes']}` "
           f"(commit {m['git_head']}; pyoxigraph {m['pyoxigraph']}, rdflib {m['rdflib']}, Python {m['python']}; "
           f"load average {m['loadavg']} at the start, on this 2-core machine shared with other work"
           + ("; rows measured " + ", ".join(f"{d} (commit {g})" for d, g in dates) if len(dates) > 1 else "")
           + "). Wall-clock times on a shared machine vary with its load (last column: 1-minute load "
           "average after each pair; 2 would be both cores busy).", "",
           "Median of the runs (peak memory the largest), each in its own process, from two N-Triples files to the "
           "JSON report. `same`: the graph against itself in another order with other blank-node labels; "
           "`edited`: 1 triple in 1,000 removed (labels revised) and one new entity per 1,000 triples; `reified`: "
           "plus a reified statement (one blank node, 5 triples) for 1 triple in 20, relabelled, 1 in 100 of them "
           "with another source. `set difference` is the pyoxigraph floor (parse, N-Triples lines, set "
           "difference: no grouping, no labels, blank nodes compared by label, so it reports every blank-node "
           "statement of `same` and `reified` as changed); `rdflib graph_diff` is rdflib's "
           "`compare.graph_diff(to_isomorphic(a), to_isomorphic(b))` after parsing.", "",
           "| size | pair | triples (old) | aihkg diff | of which reading both | answer | set difference | "
           "aihkg ÷ set difference | rdflib graph_diff | rdflib ÷ aihkg | load avg after |",
           "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    for label, entry in results["sizes"].items():
        for name, rec in entry["pairs"].items():
            a, s, r = rec.get("aihkg"), rec.get("setdiff"), rec.get("rdflib")
            answer = "–"
            if a and "entities" in a:
                answer = (f"{a['entities']:,} entities, +{a['added']:,} / -{a['removed']:,}" if a["entities"]
                          else "no differences")
            reading = fmt_s(a["read_s"]) if a and "read_s" in a else "–"
            sd = cell(s) + (f" (+{s['added']:,} / -{s['removed']:,})" if s and "added" in s else "")
            out.append(f"| {label} | `{name}` | {rec['triples']:,} | {cell(a)} | {reading} | {answer} | {sd} | "
                       f"{ratio(a, s)} | {cell(r)} | {ratio(r, a)} | {rec.get('loadavg_after', '–')} |")
    last = list(results["sizes"])[-1]
    facts = results["sizes"][last]["facts"]
    out += ["", f"What was changed, at {last}: `edited` "
            + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in facts["edited"].items())
            + f" (each revised label is one statement removed and one added); `reified` {facts['reified']['changed']:,}"
            f" of {facts['reified']['structures']:,} reified statements given another source.", "", END]
    return "\n".join(out) + "\n"


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    return {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "loadavg": [round(x, 2) for x in os.getloadavg()],
            "git_head": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                       text=True).stdout.strip(),
            "platform": platform.platform(), "python": platform.python_version(),
            "pyoxigraph": version("pyoxigraph"), "rdflib": version("rdflib")}


def inputs_child(target: int, label: str) -> None:
    """Write the scaled graph and the three pairs for one size; print where they are (JSON)."""
    from scale import copies_for, split_builtin, write_scaled

    from aihkg.graph import builtin
    from aihkg.graph.build import builtin_nquads

    split = split_builtin(builtin_nquads())
    files = write_scaled(WORK, label, copies_for(target, split), split, builtin.content_hash())
    pairs = make_inputs(files.full, label)
    print(json.dumps({name: [str(old), str(new), facts] for name, (old, new, facts) in pairs.items()}))


def main(argv: list[str] | None = None) -> None:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] == ["--child"]:
        child(*args_in[1:4])
        return
    if args_in[:1] == ["--inputs"]:
        inputs_child(int(args_in[1]), args_in[2])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e4,1e5,1e6")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rdflib-sizes", default="1e4,1e5", help="sizes at which rdflib's graph_diff also runs")
    ap.add_argument("--cap", type=float, default=300.0, help="seconds one run may take before it is stopped")
    ap.add_argument("--report-only", action="store_true", help="rewrite the results.md section from diff.json")
    args = ap.parse_args(args_in)
    os.environ.setdefault("AIHKG_CACHE_DIR", str(WORK / "cache"))
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "diff.json"
    if args.report_only:
        replace_section(RESULTS, START, END, section(json.loads(path.read_text())))
        return

    # This process only starts others and keeps their answers: on Linux a child's ru_maxrss
    # starts from the memory of the process it was forked from, so this one stays small (no
    # RDF library imported, no graph held).
    results: dict[str, Any] = {"machine": machine(), "settings": {
        "sizes": args.sizes, "repeat": args.repeat, "rdflib_sizes": args.rdflib_sizes, "cap": args.cap},
        "sizes": {}}
    try:  # sizes not measured this time keep their rows from the last run (each says when)
        for label, entry in json.loads(path.read_text()).get("sizes", {}).items():
            results["sizes"][label] = entry
    except (OSError, ValueError):
        pass
    rdflib_sizes = {int(float(x)) for x in args.rdflib_sizes.split(",") if x.strip()}
    for target in [int(float(x)) for x in args.sizes.split(",") if x.strip()]:
        exp = len(str(target)) - 1
        label = f"1e{exp}" if target == 10**exp else str(target)
        made = subprocess.run([PY, str(Path(__file__)), "--inputs", str(target), label], capture_output=True,
                              text=True, cwd=ROOT, check=True)
        pairs = {name: (Path(old), Path(new), facts)
                 for name, (old, new, facts) in json.loads(made.stdout.strip().splitlines()[-1]).items()}
        entry: dict[str, Any] = {"facts": {k: v[2] for k, v in pairs.items()}, "pairs": {},
                                 "date": results["machine"]["date"], "git_head": results["machine"]["git_head"]}
        results["sizes"][label] = entry
        for name, (old, new, _facts) in pairs.items():
            triples = sum(1 for _ in old.open("rb"))
            rec: dict[str, Any] = {"triples": triples}
            log(f"{label} {name}: aihkg diff ...")
            rec["aihkg"] = repeated("aihkg", old, new, args.repeat, args.cap)
            log(f"{label} {name}: set difference ...")
            rec["setdiff"] = repeated("setdiff", old, new, args.repeat, args.cap)
            if target in rdflib_sizes:
                log(f"{label} {name}: rdflib graph_diff ...")
                rec["rdflib"] = repeated("rdflib", old, new, 1 if target >= 10**5 else args.repeat, args.cap)
            rec["loadavg_after"] = round(os.getloadavg()[0], 2)
            entry["pairs"][name] = rec
            log(f"  {cell(rec['aihkg'])} | set difference {cell(rec['setdiff'])} | rdflib {cell(rec.get('rdflib'))}")
            path.write_text(json.dumps(results, indent=1))
    replace_section(RESULTS, START, END, section(results))
    log(f"done: {RESULTS}")


if __name__ == "__main__":
    main()
