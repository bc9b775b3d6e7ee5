"""ontology/validate.py and `aihkg validate`: rules reported in words, with the right exit code."""

from __future__ import annotations

import pytest

from conftest import DATA, needs_java


@pytest.fixture(scope="module")
def broken_report() -> str:
    from aihkg.ontology.validate import validate_graph

    return validate_graph([str(DATA / "broken_shapes.ttl")], reasoner=False).text()


def test_built_in_graph_is_valid(cli_run) -> None:
    run = cli_run("validate", "--no-reasoner")
    assert run.code == 0, run.out
    assert "SHACL (pySHACL, ontology/shapes.ttl): 0 violation(s)" in run.out
    assert run.out.rstrip().endswith("result: valid")


def test_a_valid_user_addition_passes(cli_run) -> None:
    run = cli_run("validate", "--no-reasoner", str(DATA / "valid_addition.ttl"))
    assert run.code == 0, run.out


@pytest.mark.parametrize(("node", "message"), [
    ("<https://example.org/broken/Unsourced>", "every individual cites at least one source document"),
    ("<https://example.org/broken/BadFunding>", "funding has exactly one aihkg:amount, a non-negative xsd:decimal"),
    ("<https://example.org/broken/BadFunding>", "funding has exactly one aihkg:currency"),
    ("<https://example.org/broken/BadFunding>", "funding has exactly one aihkg:fundingYear typed xsd:gYear"),
    ("<https://example.org/broken/BadAct>", "legislation carries exactly one official identifier"),
    ("<https://example.org/broken/Enforced>", "state this link as aihkg:enforces from the organisation"),
    ("<https://example.org/broken/Orphan>", "orphan: the individual links to no other individual"),
])
def test_broken_fixture_names_node_and_rule(broken_report: str, node: str, message: str) -> None:
    lines = [line for line in broken_report.splitlines() if line.strip().startswith("violation:")]
    assert any(node in line and message in line and "[rule:" in line for line in lines), broken_report
    assert "result: NOT valid" in broken_report


def test_only_the_true_orphan_is_an_orphan(broken_report: str) -> None:
    orphans = [line for line in broken_report.splitlines() if "orphan:" in line]
    assert len(orphans) == 1 and "broken/Orphan>" in orphans[0]


def test_broken_fixture_exits_1(cli_run) -> None:
    run = cli_run("validate", "--no-reasoner", str(DATA / "broken_shapes.ttl"))
    assert run.code == 1 and "result: NOT valid" in run.out


def test_json_report(cli_run) -> None:
    import json

    run = cli_run("validate", "--no-reasoner", "--format", "json", str(DATA / "broken_shapes.ttl"))
    report = json.loads(run.out)
    assert report["ok"] is False and report["owl"] is None
    assert len([f for f in report["shacl"] if f["severity"] == "violation"]) >= 7


def test_unparseable_file_names_file_and_line(cli_run) -> None:
    run = cli_run("validate", str(DATA / "broken_syntax.ttl"))
    assert run.code == 1
    assert run.err.startswith("aihkg: error: ") and "broken_syntax.ttl:6" in run.err
    assert "Traceback" not in run.err and run.err.count("\n") == 1


@needs_java
@pytest.mark.reasoner
def test_inconsistent_fixture_fails_the_owl_check(cli_run) -> None:
    run = cli_run("validate", str(DATA / "broken_disjoint.ttl"))
    assert run.code == 1
    assert "OWL (HermiT via owlready2): INCONSISTENT" in run.out
    assert "kg:MHRA: is both" in run.out and "disjoint" in run.out


@needs_java
@pytest.mark.reasoner
def test_reasoner_runs_on_the_built_in_graph(cli_run) -> None:
    run = cli_run("validate")
    assert run.code == 0, run.out
    assert "OWL (HermiT via owlready2): consistent, 0 unsatisfiable class(es)" in run.out
