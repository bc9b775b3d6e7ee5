"""graph/diff.py and `aihkg diff`: what changed between two versions of a graph, on every store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from aihkg.graph.diff import Blank, RdfList, apply_patch, diff, label_structures
from aihkg.graph.errors import DataProblem, UsageProblem
from conftest import DATA, aihkg
from servers import oxigraph_server

D = DATA / "diff"
OLD, NEW = D / "old.ttl", D / "new.ttl"
EX = "https://example.org/diff/"
AIHKG = "https://w3id.org/aihkg/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
GYEAR = "http://www.w3.org/2001/XMLSchema#gYear"


def _builtin_triples() -> int:
    from aihkg.graph.build import builtin_nquads

    return builtin_nquads().count(b"\n")


BUILTIN_TRIPLES = _builtin_triples()


def by_entity(d) -> dict[str, object]:
    return {e.entity: e for e in d.entities}


def pairs(statements) -> set[tuple[str, object]]:
    """Statements as (property, value) with blank nodes and lists made comparable."""
    def plain(v):
        if isinstance(v, RdfList):
            return ("list", tuple(plain(i) for i in v.items))
        if isinstance(v, Blank):
            return ("bnode", frozenset((s.property, plain(s.value)) for s in v.statements or ()))
        return v
    return {(s.property, plain(s.value)) for s in statements}


def canonical(triples) -> ox.Dataset:
    """The whole graph canonicalised by Oxigraph's own RDFC-1.0: an independent isomorphism check."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return dataset


def parsed(path: Path) -> list[ox.Triple]:
    fmt = ox.RdfFormat.TURTLE if path.suffix == ".ttl" else ox.RdfFormat.N_TRIPLES
    return list({ox.Triple(q.subject, q.predicate, q.object): None for q in ox.parse(path=str(path), format=fmt)})


# --------------------------------------------------------------------------- the model


def test_changes_are_grouped_by_entity_with_their_statements() -> None:
    d = diff(OLD, NEW)
    e = by_entity(d)
    assert e[EX + "NewRule"].change == "added" and e[EX + "NewRule"].label == "New rule"
    assert pairs(e[EX + "NewRule"].added) == {
        (RDF + "type", AIHKG + "Regulation"), (RDFS + "label", '"New rule"@en'),
        (AIHKG + "inForceFrom", f'"2025"^^<{GYEAR}>'), (AIHKG + "replaces", EX + "OldRule")}
    assert e[EX + "Retired"].change == "removed" and e[EX + "Retired"].label == "Retired programme"
    assert len(e[EX + "Retired"].removed) == 3 and not e[EX + "Retired"].added
    assert e[EX + "OldRule"].change == "changed"
    assert pairs(e[EX + "OldRule"].added) == {(AIHKG + "noLongerInForceFrom", f'"2025"^^<{GYEAR}>')}
    # a label change: the old label removed, the new one added; the entity is named by its new label
    pilot = e[EX + "Pilot"]
    assert (pilot.change, pilot.label) == ("changed", "Triage pilot (phase 2)")
    assert pairs(pilot.removed) == {(RDFS + "label", '"Triage pilot"@en')}
    assert pairs(pilot.added) == {(RDFS + "label", '"Triage pilot (phase 2)"@en')}
    # nothing else: the restriction, the unchanged axiom and the reified statement about ex:Pilot
    # are written with other blank nodes (and in another order) in NEW, and are the same
    assert sorted(e) == sorted([EX + "NewRule", EX + "Retired", EX + "OldRule", EX + "Pilot", EX + "Regulator",
                                EX + "Scope", *[k for k in e if k.startswith("_:")]])
    assert sum(k.startswith("_:") for k in e) == 1
    assert d.summary == {"added": 2, "removed": 1, "changed": 4, "statements added": 25, "statements removed": 10}


def test_a_list_is_reported_under_the_entity_that_points_to_it() -> None:
    scope = by_entity(diff(OLD, NEW))[EX + "Scope"]
    assert pairs(scope.removed) == {(OWL + "unionOf", ("list", (AIHKG + "AIUse", AIHKG + "AISystem")))}
    assert pairs(scope.added) == {(OWL + "unionOf", ("list", (AIHKG + "AIUse", AIHKG + "AISystem",
                                                                AIHKG + "Programme")))}


def test_a_reified_statement_is_reported_under_the_entity_it_is_about() -> None:
    regulator = by_entity(diff(OLD, NEW))[EX + "Regulator"]
    assert pairs(regulator.removed) == {(AIHKG + "enforces", EX + "OldRule")}
    assert pairs(regulator.added) == {
        (AIHKG + "enforces", EX + "NewRule"),
        ("^" + RDF + "subject", ("bnode", frozenset({
            (RDF + "type", RDF + "Statement"), (RDF + "predicate", AIHKG + "enforces"),
            (RDF + "object", EX + "NewRule"), ("http://purl.org/dc/terms/source", EX + "Gazette")})))}


def test_an_axiom_that_no_named_entity_reaches_is_reported_as_anonymous() -> None:
    (anonymous,) = [e for e in diff(OLD, NEW).entities if e.entity.startswith("_:")]
    assert (anonymous.change, anonymous.label) == ("added", "anonymous owl:AllDisjointClasses")
    assert pairs(anonymous.added) == {(RDF + "type", OWL + "AllDisjointClasses"),
                                      (OWL + "members", ("list", (EX + "OldRule", EX + "NewRule")))}


def test_a_graph_diffed_with_itself_is_empty() -> None:
    for old, new in ((OLD, OLD), (NEW, NEW), ("-", "-")):
        d = diff(old, new)
        assert not d and d.entities == [] and d.rows() == []
        assert d.text().startswith("no differences:")
        assert d.patch().splitlines()[1:] == ["TX .", "TC ."]


def test_files_that_differ_only_in_blank_node_labels_and_order_are_the_same_graph() -> None:
    relabelled = D / "old_relabelled.nt"
    assert {t for t in parsed(relabelled) if isinstance(t.subject, ox.BlankNode)} != \
        {t for t in parsed(OLD) if isinstance(t.subject, ox.BlankNode)}  # the labels really differ
    assert not diff(OLD, relabelled) and not diff(relabelled, OLD)


def test_two_identical_blank_nodes_are_two_statements() -> None:
    d = diff(D / "twice.ttl", D / "once.ttl")
    (report,) = d.entities
    assert (report.entity, report.change, report.added) == (EX + "Report", "changed", [])
    assert pairs(report.removed) == {(EX + "note", ("bnode", frozenset({(EX + "text", '"to be confirmed"')})))}
    assert len(d.removed_lines) == 2 and not d.added_lines


def test_named_graphs_are_merged(tmp_path: Path) -> None:
    trig = tmp_path / "graphs.trig"
    trig.write_text(f"<{EX}g1> {{ <{EX}a> <{EX}p> <{EX}b> . }}\n<{EX}g2> {{ <{EX}a> <{EX}p> <{EX}b> . }}\n")
    nt = tmp_path / "one.nt"
    nt.write_text(f"<{EX}a> <{EX}p> <{EX}b> .\n")
    d = diff(trig, nt)
    assert not d and (d.old_triples, d.new_triples) == (1, 1)


def test_labels_come_from_the_graphs_and_the_ontology() -> None:
    d = diff(OLD, NEW)
    text = d.text()
    # the files label their own entities; aihkg's properties are labelled by the built-in ontology
    assert "removed: Retired programme  (<https://example.org/diff/Retired>)" in text
    assert '  + in force from: "2025"^^xsd:gYear' in text
    assert "  + owl:unionOf: ( AI use  (aihkg:AIUse), AI system  (aihkg:AISystem), Programme  (aihkg:Programme) )" \
        in text
    assert "  + is subject of: [ type: rdf:Statement ; " in text


def test_the_api_accepts_knowledge_graphs_and_triples() -> None:
    from aihkg import KnowledgeGraph

    with KnowledgeGraph() as plain, KnowledgeGraph(data=[str(DATA / "valid_addition.ttl")]) as mine:
        d = diff(plain, mine)
        assert {e.entity for e in d.entities if e.change == "added"} == {
            "https://example.org/mine/report", "https://example.org/mine/SepsisPilot"}
        assert diff("-", mine, kg=plain).rows() == d.rows()
    assert not diff(parsed(OLD), OLD)


def test_dataframe_has_one_row_per_statement() -> None:
    d = diff(OLD, NEW)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(UsageProblem, match="needs pandas"):
            d.dataframe()
        return
    frame = d.dataframe()
    assert len(frame) == sum(len(e.added) + len(e.removed) for e in d.entities)
    assert list(frame.columns[:4]) == ["entity", "label", "change", "statement"]


def written(value) -> int:
    """How many triples a statement's value writes (the statement itself not counted)."""
    if isinstance(value, RdfList):
        return 2 * len(value.items) + sum(written(v) for v in value.items)
    if isinstance(value, Blank):
        return sum(1 + written(s.value) for s in value.statements or ())
    return 0


@pytest.mark.parametrize(("old", "new"), [(OLD, NEW), (NEW, OLD), (D / "twice.ttl", D / "once.ttl")])
def test_every_changed_triple_is_written_once_in_the_report(old: Path, new: Path) -> None:
    d = diff(old, new)
    for op, lines in (("added", d.added_lines), ("removed", d.removed_lines)):
        assert sum(1 + written(s.value) for e in d.entities for s in getattr(e, op)) == len(lines), op


def test_deep_blank_node_chains_continue_in_groups_of_their_own(tmp_path: Path) -> None:
    def chain(path: Path, size: int) -> Path:
        body = [f"<{EX}start> <{EX}next> _:n0 ."] + [
            f'_:n{i} <{EX}value> "{i}" .\n_:n{i} <{EX}next> ' + (f"_:n{i + 1} ." if i + 1 < size else f"<{EX}end> .")
            for i in range(size)]
        path.write_text("\n".join(body) + "\n")
        return path

    d = diff(chain(tmp_path / "a.nt", 200), chain(tmp_path / "b.nt", 201))
    start, *continued = d.entities
    assert (start.entity, start.change) == (EX + "start", "changed")
    assert continued and all(e.continues == EX + "start" and e.entity.startswith("_:") for e in continued)
    assert {e.label for e in continued} == {"blank node reached from <https://example.org/diff/start>"}
    assert len(continued) == len([e for e in continued if e.change == "removed"]) * 2
    assert d.summary["changed"] == 1 and d.summary["added"] == d.summary["removed"] == 0
    assert sum(1 + written(s.value) for e in d.entities for s in e.removed) == len(d.removed_lines) == 401
    json.loads(d.json())  # nesting stays bounded, so every format writes it


# --------------------------------------------------------------------------- formats


def test_json_is_a_list_of_entity_objects() -> None:
    rows = json.loads(diff(OLD, NEW).json())
    assert all(set(r) == {"entity", "label", "change", "added", "removed"} for r in rows)
    assert [r["change"] for r in rows] == ["added", "added", "removed", "changed", "changed", "changed", "changed"]
    new_rule = next(r for r in rows if r["entity"] == EX + "NewRule")
    assert [AIHKG + "inForceFrom", f'"2025"^^<{GYEAR}>'] in new_rule["added"]
    assert [RDFS + "label", '"New rule"@en'] in new_rule["added"]
    scope = next(r for r in rows if r["entity"] == EX + "Scope")
    assert scope["removed"] == [[OWL + "unionOf", {"list": [AIHKG + "AIUse", AIHKG + "AISystem"]}]]
    regulator = next(r for r in rows if r["entity"] == EX + "Regulator")
    (reified,) = [v for p, v in regulator["added"] if p == "^" + RDF + "subject"]
    assert reified["bnode"].startswith("_:b") and [RDF + "object", EX + "NewRule"] in reified["statements"]


def test_markdown_follows_robot_diff() -> None:
    md = diff(OLD, NEW).markdown()
    assert md.startswith("# Graph comparison\n\n## Old\n- Loaded from: `")
    assert "### [New rule](<https://example.org/diff/NewRule>) (added)\n#### Added\n" in md
    assert ("### [Triage pilot (phase 2)](<https://example.org/diff/Pilot>) (changed)\n#### Removed\n"
            "- [label](<http://www.w3.org/2000/01/rdf-schema#label>) `\"Triage pilot\"@en`\n#### Added\n") in md


def test_markdown_escapes_what_the_data_says(tmp_path: Path) -> None:
    old = tmp_path / "a.nt"
    new = tmp_path / "b.nt"
    old.write_text(f'<{EX}x> <{RDFS}label> "x"@en .\n')
    new.write_text(f'<{EX}x> <{RDFS}label> "[click](javascript:alert(1)) `code` *bold*"@en .\n')
    md = diff(old, new).markdown()
    assert "### [\\[click\\](javascript:alert(1)) \\`code\\` \\*bold\\*](<https://example.org/diff/x>)" in md
    assert '- [label](<http://www.w3.org/2000/01/rdf-schema#label>) ``"[click](javascript:alert(1)) `code` ' in md


def test_text_keeps_labels_from_the_data_on_one_line(tmp_path: Path) -> None:
    old = tmp_path / "a.nt"
    new = tmp_path / "b.nt"
    old.write_text(f'<{EX}x> <{RDFS}label> "x"@en .\n')
    new.write_text(f'<{EX}x> <{RDFS}label> "two\\nlines \\u001b[31mred"@en .\n')
    text = diff(old, new).text()
    assert "changed: two lines \\x1b[31mred  (<https://example.org/diff/x>)" in text
    assert "\x1b" not in text and len(text.splitlines()) == 7


def test_the_patch_applied_to_old_gives_new() -> None:
    patch = diff(OLD, NEW).patch()
    rows = patch.splitlines()
    assert rows[0].startswith("H id <urn:uuid:") and rows[1] == "TX ." and rows[-1] == "TC ."
    ops = [row.split(" ", 1) for row in rows[2:-1]]
    assert [op for op, _ in ops] == sorted(op for op, _ in ops)[::-1]  # every D before every A
    for _, statement in ops:  # each row is one N-Triples statement
        assert len(list(ox.parse(statement.encode(), format=ox.RdfFormat.N_TRIPLES))) == 1
    assert canonical(apply_patch(OLD, patch)) == canonical(parsed(NEW))
    assert canonical(apply_patch(NEW, diff(NEW, OLD).patch())) == canonical(parsed(OLD))
    assert diff(OLD, NEW).patch() == patch  # the same change, the same patch (id included)


def test_the_patch_names_old_blank_nodes_as_they_are_labelled_whatever_the_file_says() -> None:
    assert set(label_structures(OLD)) == set(label_structures(D / "old_relabelled.nt"))
    # so the patch made from one spelling of OLD applies to the other
    patch = diff(OLD, NEW).patch()
    assert canonical(apply_patch(D / "old_relabelled.nt", patch)) == canonical(parsed(NEW))


def test_the_patch_round_trips_on_the_built_in_graph() -> None:
    from aihkg import KnowledgeGraph

    with KnowledgeGraph() as plain, KnowledgeGraph(data=[str(DATA / "valid_addition.ttl")]) as mine:
        d = diff(plain, mine)
        assert d.added_lines and not d.removed_lines
        result = apply_patch(plain, d.patch())
        expected = [ox.Triple(s, p, o) for s, p, o, _ in mine.store.triples()]
        assert canonical(result) == canonical(set(expected))


# --------------------------------------------------------------------------- symmetric blank nodes


def ring(path: Path, size: int, prefix: str) -> Path:
    """A cycle of blank nodes that nothing tells apart: RDFC-1.0's slowest kind of input."""
    path.write_text("".join(f"_:{prefix}{i} <{EX}next> _:{prefix}{(i + 1) % size} .\n" for i in range(size)))
    return path


def test_symmetric_structures_are_compared_in_a_child_process(tmp_path: Path) -> None:
    a, b = ring(tmp_path / "a.nt", 30, "x"), ring(tmp_path / "b.nt", 30, "y")
    assert not diff(a, b)
    d = diff(a, ring(tmp_path / "c.nt", 31, "z"))
    (removed,) = [e for e in d.entities if e.change == "removed"]
    (added,) = [e for e in d.entities if e.change == "added"]
    assert removed.label == added.label == "anonymous blank-node structure"
    assert (len(d.removed_lines), len(d.added_lines)) == (30, 31)


def test_a_structure_too_symmetric_to_canonicalise_is_refused_in_bounded_time(tmp_path: Path) -> None:
    a, b = ring(tmp_path / "a.nt", 2000, "x"), ring(tmp_path / "b.nt", 2000, "y")
    with pytest.raises(DataProblem, match=r"a\.nt: a blank-node structure \(2,000 blank nodes, 2,000 statements\) "
                                          r"is too symmetric to canonicalise within 1\.5 s"):
        diff(a, b, timeout=1.5)
    run = aihkg("--timeout", "3", "diff", str(a), str(b))
    assert run.code == 1 and run.out == ""
    assert run.err.startswith("aihkg: error: ") and "too symmetric" in run.err and run.err.count("\n") == 1


def test_a_child_that_cannot_canonicalise_ends_in_one_clear_error(tmp_path: Path, monkeypatch) -> None:
    from aihkg.graph import diff as module

    a, b = ring(tmp_path / "a.nt", 30, "x"), ring(tmp_path / "b.nt", 30, "y")
    monkeypatch.setattr(module, "CHILD_MEMORY", 8 * 1024**2)  # too little to even load pyoxigraph
    with pytest.raises(DataProblem) as caught:
        diff(a, b)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{a}: ")
    assert "canonicalising blank nodes failed" in message or "needed more than 8 MiB" in message


def test_many_structures_share_one_time_budget(tmp_path: Path) -> None:
    body = "".join(f'<{EX}x{i}> <{EX}note> [ <{EX}text> "{i}" ] .\n' for i in range(2000))
    (tmp_path / "a.ttl").write_text(body)
    (tmp_path / "b.ttl").write_text(body)
    assert not diff(tmp_path / "a.ttl", tmp_path / "b.ttl")
    expected = (r"a\.ttl: 0 of its 2,000 blank-node structures were canonicalised within 1e-09 s, then time ran out "
                r"\(at the one under <https://example\.org/diff/x\d+>, 1 blank node, 2 statements\); --timeout sets")
    with pytest.raises(DataProblem, match=expected):
        diff(tmp_path / "a.ttl", tmp_path / "b.ttl", timeout=1e-9)


# --------------------------------------------------------------------------- the command


def test_cli_formats_and_output_file(cli_run, tmp_path: Path) -> None:
    text = cli_run("diff", str(OLD), str(NEW))
    assert text.code == 0 and text.out == diff(OLD, NEW).text() and text.err == ""
    assert text.out.splitlines()[2] == "2 entities added, 1 removed, 4 changed; 25 statements added, 10 removed"
    for fmt, start in (("md", "# Graph comparison"), ("json", "["), ("patch", "H id <urn:uuid:")):
        run = cli_run("diff", str(OLD), str(NEW), "--format", fmt)
        assert run.code == 0 and run.out.startswith(start), fmt
    out = tmp_path / "changes.patch"
    written = cli_run("diff", str(OLD), str(NEW), "--format", "patch", "-o", str(out))
    assert written.code == 0 and written.out == "" and f"wrote {out}" in written.err
    assert canonical(apply_patch(OLD, out.read_text())) == canonical(parsed(NEW))


def test_exit_code_option(cli_run) -> None:
    assert cli_run("diff", str(OLD), str(NEW)).code == 0
    assert cli_run("diff", "--exit-code", str(OLD), str(NEW)).code == 1
    same = cli_run("diff", "--exit-code", str(OLD), str(D / "old_relabelled.nt"))
    assert same.code == 0 and same.out.startswith("no differences: ")


def test_dash_is_the_current_graph_with_data_and_without_builtin_data(cli_run, tmp_path: Path) -> None:
    builtin = tmp_path / "builtin.nt"
    assert cli_run("export", "-f", "nt", "-o", str(builtin)).code == 0
    assert cli_run("diff", "-", str(builtin)).out.startswith("no differences: the memory store and ")
    mine = cli_run("--data", str(DATA / "valid_addition.ttl"), "diff", str(builtin), "-", "--format", "json")
    assert mine.code == 0
    assert {(r["entity"], r["change"]) for r in json.loads(mine.out)} == {
        ("https://example.org/mine/report", "added"), ("https://example.org/mine/SepsisPilot", "added")}
    ontology = tmp_path / "ontology.nt"
    assert cli_run("--no-builtin-data", "export", "-f", "nt", "-o", str(ontology)).code == 0
    assert cli_run("--no-builtin-data", "diff", str(ontology), "-").out.startswith("no differences")


@pytest.mark.parametrize(("args", "code", "message"), [
    (["diff", "nope.ttl", str(NEW)], 1, "nope.ttl: no such file"),
    (["diff", str(OLD), str(DATA / "broken_syntax.ttl")], 1, "broken_syntax.ttl:6:1: not valid Turtle"),
    (["diff", str(OLD), str(DATA)], 1, "is a folder, not an RDF file"),
    (["diff", str(OLD), str(D / "README.md")], 2, "cannot tell the RDF format"),
    (["diff", str(OLD)], 2, "Missing argument 'NEW'"),
    (["diff", str(OLD), str(NEW), "--format", "xml"], 2, "Invalid value for '--format'"),
    (["--store", "oxigraph:/tmp/x", "--data", str(OLD), "diff", "-", str(NEW)], 2, "--data merges files into"),
])
def test_bad_input_is_one_line_and_an_exit_code(cli_run, args: list[str], code: int, message: str) -> None:
    run = cli_run(*args)
    assert run.code == code, run.err
    assert run.err.startswith("aihkg: error: ") and message in run.err and run.err.count("\n") == 1
    assert "Traceback" not in run.err and run.out == ""


def test_diff_of_two_files_imports_no_heavy_library(cli_run) -> None:
    assert cli_run("diff", str(OLD), str(NEW)).code == 0  # the ontology's labels are cached now
    import subprocess
    import sys

    code = (f"import sys\nfrom aihkg import cli\ntry:\n    cli.main(['diff', {str(OLD)!r}, {str(NEW)!r}])\n"
            "except SystemExit:\n    pass\nprint(' '.join(sorted(sys.modules)), file=sys.stderr)")
    modules = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stderr.split())
    assert "aihkg.graph.diff" in modules
    for heavy in ("rdflib", "networkx", "matplotlib", "owlready2", "pyshacl", "owlrl", "scipy"):
        assert heavy not in modules, heavy


# --------------------------------------------------------------------------- every store


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with oxigraph_server() as base:
        yield base


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, Path]:
    """The built-in graph as exported, and a copy with one label changed and one statement added."""
    folder = tmp_path_factory.mktemp("diff-stores")
    exported = folder / "builtin.nt"
    assert aihkg("export", "-f", "nt", "-o", str(exported)).code == 0
    mhra = "<https://w3id.org/aihkg/id/MHRA> <http://www.w3.org/2000/01/rdf-schema#label> "
    lines = exported.read_text().splitlines(keepends=True)
    (label,) = [line for line in lines if line.startswith(mhra)]
    changed = [line for line in lines if line != label] + [
        mhra + '"Medicines and Healthcare products Regulatory Agency (MHRA)"@en .\n',
        f'<https://w3id.org/aihkg/id/MHRA> <{RDFS}comment> "checked by tests/test_diff.py" .\n']
    edited = folder / "edited.nt"
    edited.write_text("".join(changed))
    return exported, edited


@pytest.mark.server
@pytest.mark.parametrize("store", ["memory", "rdflib", "oxigraph", "sparql"])
def test_diff_on_every_store(store: str, reference, server: str, tmp_path_factory) -> None:
    exported, edited = reference
    name = spec = store
    if store == "sparql":
        spec, name = f"sparql:{server}/query,{server}/update", f"sparql:{server}/query"
        assert aihkg("--store", spec, "push").code == 0
    elif store == "oxigraph":
        spec = name = f"oxigraph:{tmp_path_factory.mktemp('diff-disk') / 'kg'}"
    same = aihkg("--store", spec, "diff", "-", str(exported))
    assert same.code == 0, same.err
    assert same.out.startswith(f"no differences: the {name} store and ")
    assert f"({BUILTIN_TRIPLES:,} triples)" in same.out
    changed = aihkg("--store", spec, "diff", "-", str(edited), "--format", "json")
    assert changed.code == 0, changed.err
    (mhra,) = json.loads(changed.out)
    assert (mhra["entity"], mhra["change"]) == ("https://w3id.org/aihkg/id/MHRA", "changed")
    assert mhra["label"] == "Medicines and Healthcare products Regulatory Agency (MHRA)"
    assert mhra["removed"] == [[RDFS + "label", '"Medicines and Healthcare products Regulatory Agency"@en']]
    assert sorted(mhra["added"]) == sorted([
        [RDFS + "label", '"Medicines and Healthcare products Regulatory Agency (MHRA)"@en'],
        [RDFS + "comment", '"checked by tests/test_diff.py"']])
