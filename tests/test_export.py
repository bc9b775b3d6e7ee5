"""graph/export.py: every RDF format reads back into the same graph; output is deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

from aihkg.graph.errors import UsageProblem
from aihkg.graph.export import export_bytes, format_for
from aihkg.queries.api import KnowledgeGraph
from conftest import DATA

PARSE = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml", "trig": "trig"}


@pytest.fixture(scope="module")
def exported(kg) -> dict[str, bytes]:
    return {fmt: export_bytes(kg, fmt) for fmt in PARSE}


@pytest.mark.parametrize("fmt", list(PARSE))
def test_each_format_reads_back_into_the_same_graph(kg, exported, fmt: str) -> None:
    original = kg.rdflib_graph()
    back = rdflib.Graph()
    if fmt == "trig":
        ds = rdflib.Dataset()
        ds.parse(data=exported[fmt], format="trig")
        for s, p, o, _ in ds.quads((None, None, None, None)):
            back.add((s, p, o))
    else:
        back.parse(data=exported[fmt], format=PARSE[fmt])
    assert len(back) == len(original)
    assert isomorphic(back, original)


def test_exports_are_deterministic(kg, exported) -> None:
    assert export_bytes(kg, "nt") == exported["nt"]
    lines = exported["nt"].splitlines()
    assert lines == sorted(lines)
    # Turtle from longturtle keeps subjects in order; only blank-node labels may differ between runs.
    assert export_bytes(kg, "turtle").count(b"\n") == exported["turtle"].count(b"\n")


def test_trig_keeps_named_graphs(tmp_path: Path) -> None:
    src = tmp_path / "mine.trig"
    src.write_text("@prefix ex: <http://example.org/> .\nex:g { ex:a ex:b ex:c . }\n")
    kg = KnowledgeGraph(data=[str(src)])
    data = export_bytes(kg, "trig")
    ds = rdflib.Dataset()
    ds.parse(data=data, format="trig")
    graph = ds.graph(rdflib.URIRef("http://example.org/g"))
    assert (rdflib.URIRef("http://example.org/a"), rdflib.URIRef("http://example.org/b"),
            rdflib.URIRef("http://example.org/c")) in graph
    kg.close()


def test_inferred_adds_the_owl_rl_closure() -> None:
    kg = KnowledgeGraph(data=[str(DATA / "mini.ttl")], include_data=False)
    plain = rdflib.Graph().parse(data=export_bytes(kg, "nt"), format="nt")
    closed = rdflib.Graph().parse(data=export_bytes(kg, "nt", inferred=True), format="nt")
    ex = rdflib.Namespace("https://example.org/mini/")
    aihkg = rdflib.Namespace("https://w3id.org/aihkg/ontology#")
    assert (ex.ChalX, aihkg.challengeFor, ex.UseA) not in plain
    assert (ex.ChalX, aihkg.challengeFor, ex.UseA) in closed  # owl:inverseOf
    assert (ex.RegP, rdflib.RDF.type, aihkg.Regulation) in closed  # rdfs:subClassOf
    assert len(closed) > len(plain)
    kg.close()


@pytest.mark.parametrize(("output", "fmt"), [
    ("x.ttl", "turtle"), ("x.nt", "nt"), ("x.jsonld", "jsonld"), ("x.rdf", "xml"), ("x.trig", "trig"),
    ("x.graphml", "graphml"), ("x.gexf", "gexf"), ("x.cytoscape.json", "cytoscape"), (None, "turtle"),
])
def test_format_from_extension(output: str | None, fmt: str) -> None:
    assert format_for(output, None) == fmt
    assert format_for(output, "nt") == "nt"


def test_unknown_extension_needs_a_format() -> None:
    with pytest.raises(UsageProblem, match="cannot tell the export format"):
        format_for("x.docx", None)
