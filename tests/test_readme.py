"""README.md stays true: the Quick start, the documented commands, the ontology tables."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import rdflib
from rdflib import OWL, RDF

from aihkg.graph import ONTOLOGY_NS
from conftest import ROOT, aihkg

README = (ROOT / "README.md").read_text()


def quick_start_lines() -> list[str]:
    block = README.split("## Quick start", 1)[1].split("```", 2)[1]
    return [line for line in block.splitlines()[1:] if line.strip() and not line.lstrip().startswith("#")]


def test_quick_start_has_exactly_two_commands() -> None:
    install, test = quick_start_lines()
    assert install.startswith("pip install . &&") and "aihkg query" in install
    assert test.startswith("pip install '.[test]' &&") and "pytest" in test


def documented_examples() -> list[tuple[str, list[str]]]:
    """Every `$ ...` line in the README's code blocks, with the lines printed under it."""
    examples: list[tuple[str, list[str]]] = []
    inside, current = False, None
    for line in README.splitlines():
        if line.startswith("```"):
            inside = not inside
            current = None
        elif inside and line.startswith("$ "):
            current = (line[2:].split("  #")[0].strip(), [])
            examples.append(current)
        elif inside and current is not None:
            current[1].append(line.rstrip())
    for _, out in examples:
        while out and not out[-1]:
            out.pop()
    return examples


def documented_commands() -> list[str]:
    return [c for c, _ in documented_examples() if c.startswith("aihkg ")]


# Commands that need something the test machine does not have on hand (a server, your own files),
# or that run until stopped (serve: tests/test_serve.py runs it as a real process).
NEEDS_SETUP = ("--store", "load", "push", "mine.ttl", ">", "AIHKG_STORE", "serve")


@pytest.mark.parametrize("command", [c for c in documented_commands() if not any(s in c for s in NEEDS_SETUP)])
def test_documented_command_runs(command: str, tmp_path: Path) -> None:
    args = shlex.split(command)[1:]
    args = [str(ROOT / a) if a.startswith("tests/") else a for a in args]
    run = aihkg(*args, cwd=tmp_path)
    assert run.code == (2 if "MHRX" in command else 0), run.err
    assert "Traceback" not in run.err


def test_at_least_one_example_per_command() -> None:
    used = {c.split()[1] if not c.split()[1].startswith("-") else c.split()[3] for c in documented_commands()}
    for command in ("queries", "query", "sparql", "describe", "search", "export", "validate", "viz", "path",
                    "rank", "gaps", "communities", "load", "push", "serve"):
        assert command in used, command


def test_ontology_tables_list_every_class_and_property() -> None:
    g = rdflib.Graph().parse(ROOT / "ontology" / "aihkg.ttl")
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in g.subjects(RDF.type, kind):
            if str(term).startswith(ONTOLOGY_NS):
                assert f"| `{str(term)[len(ONTOLOGY_NS):]}` |" in README, term


def documented_outputs() -> list[tuple[str, list[str]]]:
    """Each `$ aihkg ...` line directly followed by its output, where the output is shown whole."""
    examples = documented_examples()
    return [(c, out) for c, out in examples
            if c.startswith("aihkg ") and out and not any(o.strip() in ("...", "…") for o in out)
            and not any(s in c for s in NEEDS_SETUP)]


@pytest.mark.parametrize(("command", "shown"), documented_outputs(), ids=lambda v: v if isinstance(v, str) else "")
def test_documented_output_is_what_the_command_prints(command: str, shown: list[str], tmp_path: Path) -> None:
    run = aihkg(*shlex.split(command)[1:], cwd=tmp_path, env={"COLUMNS": "120"})
    printed = [line.rstrip() for line in (run.out + run.err).splitlines()]
    assert printed == shown
