"""Contested facts as data (graph/data/contested.ttl, queries/catalog/contested_figures.rq): the 23
contradictions the fact base records, each as competing claims with sources and a preferred value."""

from __future__ import annotations

from collections import defaultdict

from rdflib import RDF, XSD, Namespace

from aihkg.graph import DATA_NS, ONTOLOGY_NS
from aihkg.ontology.validate import validate_graph
from conftest import DATA

AIHKG = Namespace(ONTOLOGY_NS)
DCT = Namespace("http://purl.org/dc/terms/")
KG = Namespace(DATA_NS)


def test_contested_figures_lists_the_23_contradictions(kg) -> None:
    rows = kg.rows("contested_figures")
    by_item = defaultdict(list)
    for r in rows:
        by_item[r["item"]].append(r)
    assert sorted(by_item) == list(range(1, 24))
    for item, claims in by_item.items():
        preferred = [c for c in claims if c["verdict"] == "preferred"]
        assert preferred and all(c["reason"] and c["sources"] for c in preferred), item
        assert all(c["sources"] or c["sourceNote"] for c in claims), item  # every claim says where it is from
    assert sum(len(c) > 1 for c in by_item.values()) >= 20  # competing claims, not one-sided notes


def test_named_contradictions_show_both_sides(kg) -> None:
    rows = kg.rows("contested_figures")
    values = {(r["item"], r["verdict"]): set() for r in rows}
    for r in rows:
        values[(r["item"], r["verdict"])].add(r["value"])
    assert 14884 in values[(18, "preferred")] and 15000 in values[(18, "competing")]  # training scans
    assert 30 in values[(21, "preferred")] and 29 in values[(21, "competing")]  # radiologist shortfall
    assert {179, 29} <= values[(14, "preferred")] and {235, 31} <= values[(14, "competing")]  # Limbic
    eu = kg.rows("contested_figures", entity="EU AI Act")
    assert {r["item"] for r in eu} == {11, 23}


def test_a_preferred_figure_is_the_one_the_graph_states(rdf_graph) -> None:
    # A preferred number must be the value or amount the graph itself gives the contested individual.
    checked = 0
    for fact in rdf_graph.subjects(RDF.type, AIHKG.ContestedFact):
        stated = {o.toPython() for x in rdf_graph.objects(fact, AIHKG.contestedAbout)
                  for p in (AIHKG.value, AIHKG.amount) for o in rdf_graph.objects(x, p)}
        for claim in rdf_graph.objects(fact, AIHKG.hasClaim):
            value = rdf_graph.value(claim, AIHKG.claimedValue)
            if (fact, AIHKG.prefers, claim) in rdf_graph and value is not None and value.datatype == XSD.decimal:
                assert value.toPython() in stated, (fact, value)
                checked += 1
    assert checked >= 8


def test_claims_are_derived_from_real_sources(rdf_graph) -> None:
    for claim in rdf_graph.subjects(RDF.type, AIHKG.Claim):
        for source in rdf_graph.objects(claim, DCT.source):
            assert (source, RDF.type, AIHKG.SourceDocument) in rdf_graph, (claim, source)
            assert rdf_graph.value(source, AIHKG.url) is not None


def test_shapes_refuse_an_unsourced_preferred_claim() -> None:
    report = validate_graph([str(DATA / "contested_unsourced.ttl")], reasoner=False).text()
    assert "never the preferred one" in report and "at least one claim as preferred" in report
