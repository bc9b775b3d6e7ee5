"""Cold start against the floor: a whole `aihkg` process next to a bare pyoxigraph script.

    .venv/bin/python bench/coldstart.py [--runs 30] [--passes 3] [--only NAME ...]
    .venv/bin/python bench/coldstart.py --report-only

For every canned query that needs no parameter (the same list as tests/test_canned.py:
PARAMETER_FREE), a cold `aihkg query NAME --format csv`, and for `aihkg describe MHRA` and
`aihkg search "algorithmic bias"`, it times the whole process against bench/floor.py doing the
same work with nothing but pyoxigraph: import it, load the built-in graph's N-Quads from aihkg's
cache into an in-memory store, run the same query texts, write CSV. The texts are the ones aihkg
itself sends to its store for that command, captured from a run of it (for `query`, what
`--show` prints; for describe and search, their entity lookup and their query).

Both run on a warm cache (the graph, verdicts and headers cached, bytecode compiled), as a user's
second command does. Each round runs every case once on each side, aihkg and floor back to back in
alternating order, so a change in the machine's load falls on both sides of every ratio; each
process is started with posix_spawn and reaped with wait4, which also gives its CPU time (user +
system, with the children it waited for). A ratio is median(aihkg) / median(floor) over all rounds.
`--hyperfine` times with hyperfine -N instead (runs of one command in a block, the blocks split
into --passes over all cases): on a machine whose load changes from second to second, a block of
one side and then the other measured ratios from 1.1x to 2.7x for the same build, so it is not the
default. Writes bench/work/coldstart/coldstart.json and its
section of bench/results.md (between `<!-- bench/coldstart.py -->` markers, kept by report.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from report import replace_section  # bench/report.py: bench/ is on sys.path when this runs as a script

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work" / "coldstart"
PY = sys.executable
BEGIN, END = "<!-- bench/coldstart.py -->", "<!-- /bench/coldstart.py -->"
QUERY_TARGET, EXPLORE_TARGET = 1.6, 1.8
EXPLORE = {"describe": ["describe", "MHRA"], "search": ["search", "algorithmic bias"]}

# Run inside an aihkg process: record every text the command hands its store, in order.
_CAPTURE = """
import json, sys
from aihkg.graph import stores
texts = []
run = stores.OxigraphStore._run
def recording(self, query):
    texts.append(query.text)
    return run(self, query)
stores.OxigraphStore._run = recording
from aihkg import cli
try:
    cli.main(sys.argv[2:])
except SystemExit:
    pass
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(texts, out)
"""


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["AIHKG_CACHE_DIR"] = str(WORK / "cache")
    # As on a user's machine: compiled modules are cached in __pycache__ (this project's machines
    # set PYTHONDONTWRITEBYTECODE, which would make aihkg, run from the source tree, compile itself
    # on every start while pyoxigraph, installed, does not).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name in ("AIHKG_STORE", "AIHKG_QUERY_PATH"):
        env.pop(name, None)
    return env


def parameter_free() -> list[str]:
    os.environ["AIHKG_CACHE_DIR"] = str(WORK / "cache")  # the headers this process reads are cached there too
    from aihkg.queries.catalog import Catalog

    catalog = Catalog()
    return [n for n in catalog.names() if not any(p.required for p in catalog.get(n).params)]


def prepare(cases: dict[str, list[str]], env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """For each case: the aihkg command, and the floor's command over the texts aihkg ran."""
    texts_dir = WORK / "texts"
    texts_dir.mkdir(parents=True, exist_ok=True)
    # The command users run: the console script pip installed beside this Python, if there is one.
    script = Path(PY).parent / "aihkg"
    aihkg = [str(script)] if script.is_file() else [PY, "-m", "aihkg"]
    subprocess.run([*aihkg, "query", "funding_by_year"], env=env, cwd=ROOT, check=True, capture_output=True)
    graph = subprocess.run(
        [PY, "-c", "from aihkg.graph import builtin; from aihkg.graph.cache import entry_path; "
                   "print(entry_path('builtin', builtin.content_hash(), '.nq'))"],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    plans: dict[str, dict[str, Any]] = {}
    for label, args in cases.items():
        record = texts_dir / f"{label.replace(' ', '_')}.json"
        done = subprocess.run([PY, "-c", _CAPTURE, str(record), *args], env=env, cwd=ROOT, capture_output=True,
                              text=True)
        texts = json.loads(record.read_text(encoding="utf-8")) if record.exists() else []
        if done.returncode or not texts:
            raise SystemExit(f"aihkg {' '.join(args)} failed or ran no query: {done.stderr.strip()[:300]}")
        files = []
        for i, text in enumerate(texts):
            path = texts_dir / f"{label.replace(' ', '_')}-{i}.rq"
            path.write_text(text, encoding="utf-8")
            files.append(str(path))
        plans[label] = {"aihkg": [*aihkg, *args], "floor": [PY, str(BENCH / "floor.py"), graph, *files],
                        "queries": len(files), "args": args}
        for side in ("aihkg", "floor"):  # warm-up: caches filled, bytecode written, output checked
            out = subprocess.run(plans[label][side], env=env, cwd=ROOT, capture_output=True)
            if out.returncode or not out.stdout:
                raise SystemExit(f"{side} for {label} failed: {out.stderr.decode(errors='replace')[:300]}")
    return plans


def timed_hyperfine(hyperfine: str, plan: dict[str, Any], runs: int, env: dict[str, str]) -> dict[str, list[float]]:
    with tempfile.NamedTemporaryFile(suffix=".json", dir=WORK, delete=False) as tmp:
        export = Path(tmp.name)
    try:
        cmd = [hyperfine, "-N", "--warmup", "1", "--runs", str(runs), "--export-json", str(export)]
        for side in ("floor", "aihkg"):
            cmd += ["-n", side, " ".join(_quote(c) for c in plan[side])]
        subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, timeout=1800)
        return {r["command"]: list(r["times"]) for r in json.loads(export.read_text())["results"]}
    finally:
        export.unlink(missing_ok=True)


def timed_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, with the children it waited for) of one process."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        started = time.perf_counter()
        pid = os.posix_spawn(command[0], command, env, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1),
                                                                   (os.POSIX_SPAWN_DUP2, devnull, 2)])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - started
    finally:
        os.close(devnull)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(command)} failed (exit {os.waitstatus_to_exitcode(status)})")
    return wall, usage.ru_utime + usage.ru_stime


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    env = environment()
    names = args.only or parameter_free()
    cases = {f"query {n}": ["query", n, "--format", "csv"] for n in names if n in parameter_free()}
    cases.update({f"{k} {v[1]!r}" if k == "search" else f"{k} {v[1]}": v for k, v in EXPLORE.items()
                  if not args.only or k in args.only})
    started = time.time()
    load_before = os.getloadavg()
    os.chdir(ROOT)
    plans = prepare(cases, env)
    hyperfine = shutil.which("hyperfine") if args.hyperfine else None
    if args.hyperfine and not hyperfine:
        raise SystemExit("--hyperfine: hyperfine is not installed (apt-get install -y hyperfine)")
    times = {label: {"floor": [], "aihkg": [], "floor cpu": [], "aihkg cpu": []} for label in plans}
    loads: list[float] = []
    if hyperfine:  # blocks of runs per command, split into passes over all cases
        per_pass = max(1, -(-args.runs // args.passes))
        for p in range(args.passes):
            for label, plan in plans.items():
                got = timed_hyperfine(hyperfine, plan, per_pass, env)
                for side in ("floor", "aihkg"):
                    times[label][side].extend(got[side])
                loads.append(os.getloadavg()[0])
            print(f"pass {p + 1}/{args.passes} done, load {os.getloadavg()[0]:.2f}", file=sys.stderr)
        runs = per_pass * args.passes
    else:  # every round runs every case once on each side, the order of the two alternating
        for i in range(args.runs):
            for label, plan in plans.items():
                for side in (("floor", "aihkg") if i % 2 == 0 else ("aihkg", "floor")):
                    wall, cpu = timed_once(plan[side], env)
                    times[label][side].append(wall)
                    times[label][f"{side} cpu"].append(cpu)
            loads.append(os.getloadavg()[0])
            if (i + 1) % 5 == 0:
                print(f"round {i + 1}/{args.runs} done, load {os.getloadavg()[0]:.2f}", file=sys.stderr)
        runs = args.runs
    cases_out = {}
    for label, plan in plans.items():
        t = times[label]
        rec: dict[str, Any] = {
            "floor": summary(t["floor"]), "aihkg": summary(t["aihkg"]),
            "ratio": statistics.median(t["aihkg"]) / statistics.median(t["floor"]),
            "queries": plan["queries"], "target": QUERY_TARGET if label.startswith("query") else EXPLORE_TARGET,
            "command": " ".join(_quote(c) for c in ["aihkg", *plan["args"]]),
        }
        if t["floor cpu"]:
            rec["floor cpu"], rec["aihkg cpu"] = summary(t["floor cpu"]), summary(t["aihkg cpu"])
            rec["cpu ratio"] = statistics.median(t["aihkg cpu"]) / statistics.median(t["floor cpu"])
        cases_out[label] = rec
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "seconds": round(time.time() - started),
        "timer": f"hyperfine -N ({_hyperfine_version(hyperfine)}), {args.passes} passes" if hyperfine
        else "an alternating loop (posix_spawn and wait4: wall and CPU time of each process)",
        "runs": runs, "passes": args.passes if hyperfine else None,
        "loadavg": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()],
                    "during": [round(min(loads), 2), round(max(loads), 2)]},
        "cpus": os.cpu_count(), "python": sys.version.split()[0], "cases": cases_out,
    }


def _hyperfine_version(path: str) -> str:
    out = subprocess.run([path, "--version"], capture_output=True, text=True).stdout.strip()
    return out.split()[-1] if out else "?"


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"median": statistics.median(ordered), "min": ordered[0], "max": ordered[-1], "runs": len(ordered)}


def section(res: dict[str, Any]) -> str:
    cases = res["cases"]
    worst_query = max((c["ratio"] for k, c in cases.items() if k.startswith("query")), default=None)
    worst_explore = max((c["ratio"] for k, c in cases.items() if not k.startswith("query")), default=None)
    load = res["loadavg"]
    out = [BEGIN, "## Cold start against the floor (`bench/coldstart.py`)", "",
           f"Run of {res['date']} ({res['seconds'] // 60} min), timed by {res['timer']}: {res['runs']} runs of each "
           f"command, warm cache, Python {res['python']}, {res['cpus']} cores shared with other jobs (load "
           f"average {load['before'][0]:.2f} at the start, {load['during'][0]:.2f}-{load['during'][1]:.2f} "
           f"during, {load['after'][0]:.2f} at the end).", "",
           "The floor (`bench/floor.py`) is a bare Python that imports pyoxigraph, loads the built-in graph's "
           "N-Quads from aihkg's cache into an in-memory store, runs the same query texts aihkg runs (captured "
           "from aihkg) and writes CSV. Ratio: median aihkg ÷ median floor over the same rounds; the target is "
           "judged on wall time, CPU time (user + system) is shown beside it.", "",
           "| command | aihkg wall | floor wall | ratio | target | aihkg CPU | floor CPU | CPU ratio |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for c in cases.values():
        verdict = "met" if c["ratio"] <= c["target"] else "**NOT met**"
        cpu = (f"{c['aihkg cpu']['median'] * 1000:.0f} ms | {c['floor cpu']['median'] * 1000:.0f} ms | "
               f"{c['cpu ratio']:.2f}×") if "cpu ratio" in c else " | | "
        out.append(f"| `{c['command']}` | {c['aihkg']['median'] * 1000:.0f} ms | {c['floor']['median'] * 1000:.0f} ms "
                   f"| {c['ratio']:.2f}× | ≤ {c['target']:g}× ({verdict}) | {cpu} |")
    out += ["", "Targets:"]
    if worst_query is not None:
        out.append(f"- every parameter-free canned query (`aihkg query NAME --format csv`) ≤ {QUERY_TARGET:g}× the "
                   f"floor: **{'met' if worst_query <= QUERY_TARGET else 'NOT met'}** (worst {worst_query:.2f}×)")
    if worst_explore is not None:
        out.append(f"- `aihkg describe` and `aihkg search` ≤ {EXPLORE_TARGET:g}× the floor: "
                   f"**{'met' if worst_explore <= EXPLORE_TARGET else 'NOT met'}** (worst {worst_explore:.2f}×)")
    out.append(END)
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="rounds (runs of each command per case)")
    ap.add_argument("--hyperfine", action="store_true", help="time with hyperfine -N (in blocks; see above)")
    ap.add_argument("--passes", type=int, default=3, help="with --hyperfine: passes over all cases")
    ap.add_argument("--only", nargs="*", default=None, help="only these query names (and/or describe, search)")
    ap.add_argument("--report-only", action="store_true", help="rewrite the section from the last run's JSON")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    raw = WORK / "coldstart.json"
    if args.report_only:
        res = json.loads(raw.read_text(encoding="utf-8"))
    else:
        res = measure(args)
        raw.write_text(json.dumps(res, indent=2), encoding="utf-8")
    text = section(res)
    if not args.only:
        replace_section(BENCH / "results.md", BEGIN, END, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
