"""How Oxigraph evaluates a query on an on-disk store: its plan, with rows and time per step.

pyoxigraph does not expose query explanations; the `oxigraph` command-line tool (PyPI package
`oxigraph`) does, with `query --explain-file F.json --stats`. Used by `bench/explain.py` and by the
tests that keep the canned queries from scanning data unrelated to their answer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aihkg.graph.errors import StoreProblem


@dataclass(frozen=True)
class Step:
    depth: int
    name: str
    rows: int | None
    seconds: float | None


def find_program(name: str) -> str | None:
    """`name` on PATH, or beside this Python (a venv's console scripts are there even when the
    venv is not activated: `.venv/bin/python -m pytest` does not put .venv/bin on PATH)."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def store_location(folder: str | Path) -> Path:
    """The RocksDB folder of an oxigraph:DIR store, laid out as `disk_store` lays it out."""
    from aihkg.graph.stores import store_layout

    location = store_layout(Path(folder))[0]
    if not (location / "CURRENT").exists():
        raise StoreProblem(f"{folder}: not an Oxigraph store folder")
    return location


def oxigraph_plan(folder: str | Path, text: str) -> dict[str, Any]:
    """Run one query with `oxigraph query --explain --stats` on a store nobody has open for writing."""
    tool = find_program("oxigraph")
    if tool is None:
        raise StoreProblem("the `oxigraph` program (PyPI package 'oxigraph') is not installed")
    location = store_location(folder)
    with tempfile.TemporaryDirectory() as tmp:
        query, results, plan = (Path(tmp) / n for n in ("q.rq", "results.tsv", "plan.json"))
        query.write_text(text, encoding="utf-8")
        done = subprocess.run([tool, "query", "--location", str(location), "--query-file", str(query),
                               "--results-file", str(results), "--explain-file", str(plan), "--stats"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["no message"])[0]
            raise StoreProblem(f"oxigraph query --explain failed: {first}")
        return json.loads(plan.read_text(encoding="utf-8"))


def plan_steps(node: dict[str, Any], depth: int = 0) -> Iterator[Step]:
    """Every step of a plan, parents before children."""
    yield Step(depth, node.get("name", "?"), node.get("number of results"), node.get("duration in seconds"))
    for child in node.get("children", []):
        yield from plan_steps(child, depth + 1)
