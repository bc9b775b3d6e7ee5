"""Run every case of the hostile corpus as a bounded process; print exit code, wall time and peak memory.

    python bench/hostile_report.py                 # every case, a Markdown table on stdout
    python bench/hostile_report.py -k dtd -k nested  # only cases whose id contains one of these
    python bench/hostile_report.py --json out.json   # the figures as JSON too

The corpus is tests/test_hostile.py's (CORPUS: refused with one error line; BOUNDED: handled, with
at most a note). Each case runs exactly as the test runs a process case: in a workspace built by
the same code, under RLIMIT_AS (1 GiB; 8 GiB of address space for the cases that start HermiT's
JVM, which reserves its heap up front), in its own session. Peak memory is ru_maxrss from wait4:
the largest resident set of the process and of the children it waited for. "ok" says whether the
case met its expectations: exit code, message, wall time under --timeout + 5 s, peak under 1 GiB.
The recording listener that stands for "another server" is checked once at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))


def _verdict(case: object, run: object, hostile: object) -> str:
    """What the test would say of this run, in a word or a short reason."""
    h = hostile
    problems = []
    if run.code != case.code:  # type: ignore[attr-defined]
        problems.append(f"exit {run.code}, expected {case.code}")  # type: ignore[attr-defined]
    if isinstance(case, h.Bad):  # type: ignore[attr-defined]
        last = (run.err.strip().splitlines() or [""])[-1]  # type: ignore[attr-defined]
        if not re.search(case.err, last):
            problems.append("message")
    elif case.note and not re.search(case.note, run.err, re.S):  # type: ignore[attr-defined]
        problems.append("note")
    limit = h._timeout_of(case.args) + h.GRACE  # type: ignore[attr-defined]
    if isinstance(case, h.Bad) and case.within is not None:  # type: ignore[attr-defined]
        limit = case.within
    if run.seconds >= limit:  # type: ignore[attr-defined]
        problems.append(f"time > {limit:g} s")
    if run.peak_bytes >= h.MEMORY_CAP:  # type: ignore[attr-defined]
        problems.append("memory > 1 GiB")
    for crash in ("Traceback", "stack backtrace", "panicked", "internal error"):
        if crash in run.err:  # type: ignore[attr-defined]
            problems.append(crash)
    return "ok" if not problems else "; ".join(problems)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-k", dest="only", action="append", default=[], help="run cases whose id contains this")
    parser.add_argument("--json", dest="json_out", default=None, help="also write the figures to this file")
    args = parser.parse_args()

    os.environ.setdefault("AIHKG_CACHE_DIR", tempfile.mkdtemp(prefix="aihkg-hostile-cache-"))
    import test_hostile as hostile

    cases = [(p.id, p.values[0]) for p in (*hostile.CORPUS, *hostile.BOUNDED)]
    if args.only:
        cases = [(i, c) for i, c in cases if any(k in i for k in args.only)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="aihkg-hostile-") as folder, hostile.RECORDER, hostile.FAULTY:
        workspace = hostile.build_workspace(Path(folder) / "ws")
        for n, (case_id, case) in enumerate(cases, 1):
            run = hostile.run_case(case, workspace.root)
            verdict = _verdict(case, run, hostile)
            rows.append({"case": case_id, "exit": run.code, "seconds": round(run.seconds, 2),
                         "peak_mib": round(run.peak_bytes / 1024**2), "ok": verdict})
            print(f"[{n}/{len(cases)}] {case_id}: exit {run.code}, {run.seconds:.2f} s, "
                  f"{run.peak_bytes / 1024**2:,.0f} MiB, {verdict}", file=sys.stderr)
            for leftover in workspace.root.glob("out.*"):
                if leftover.is_file() and not leftover.is_symlink():
                    leftover.unlink()
            for name in getattr(case, "touches", ()):
                shutil.rmtree(workspace.root / name, ignore_errors=True)
        connections = list(hostile.RECORDER.requests)

    print("| case | exit | wall (s) | peak (MiB) | ok |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        print(f"| {row['case']} | {row['exit']} | {row['seconds']:.2f} | {row['peak_mib']:,} | {row['ok']} |")
    failed = [r for r in rows if r["ok"] != "ok"]
    slowest = max((r["seconds"] for r in rows), default=0)
    largest = max((r["peak_mib"] for r in rows), default=0)
    print(f"\n{len(rows)} cases, {len(rows) - len(failed)} as expected; slowest {slowest:.2f} s, largest "
          f"{largest:,} MiB; connections to the recording listener: {len(connections)}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"cases": rows, "connections": len(connections)}, indent=2) + "\n")
    return 1 if failed or connections else 0


if __name__ == "__main__":
    sys.exit(main())
