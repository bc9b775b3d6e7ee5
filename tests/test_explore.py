"""queries/explore.py: what the explorer shows beyond describe and search, on the built-in graph."""

from __future__ import annotations

import pyoxigraph as ox

from aihkg.graph import DATA_NS, ONTOLOGY_NS, SOURCE_NS
from aihkg.queries import explore


def test_figures_carry_their_units(kg) -> None:
    funding = explore.figures(kg.describe("FundingRegulatorsFromAILab"))
    assert [(f.label, f.text) for f in funding] == [("amount", "GBP 11,774,263.82")]
    stat = explore.figures(kg.describe("kg:StatAutomationSavingsNHS2018"))
    assert stat[0].text == "GBP 12,500,000,000"
    assert "reference year: 2018" in stat[0].context
    assert explore.figures(kg.describe("MHRA")) == []


def test_format_number() -> None:
    assert explore.format_number("1234567.50") == "1,234,567.50"
    assert explore.format_number("12") == "12"
    assert explore.format_number("not a number") == "not a number"


def test_relation_groups_read_both_ways(kg) -> None:
    groups = {g["heading"]: g for g in explore.relation_groups(kg.describe("MHRA"))}
    assert groups["enforces"]["direction"] == "out"  # an incoming link read through its named inverse
    assert groups["… involves MHRA"]["direction"] == "in"
    headings = list(groups)
    assert headings.index("enforces") < headings.index("… involves MHRA")  # outgoing first
    assert not any(h in ("amount", "currency", "value", "unit") for h in headings)


def test_closest_names(kg) -> None:
    assert explore.closest(kg, "MHRX")[0][0] == DATA_NS + "MHRA"
    assert explore.closest(kg, "NHSAiLab")[0][0] == DATA_NS + "NHSAILab"
    assert explore.closest(kg, "") == []
    assert all(iri.startswith(SOURCE_NS) for iri, _ in explore.closest(kg, "postnote", SOURCE_NS))


def test_class_members_include_subclasses(kg) -> None:
    rules = dict(explore.class_members(kg, "aihkg:Regulation"))
    assert DATA_NS + "UKMDR2002" in rules  # a statutory instrument, a subclass
    acts = explore.class_members(kg, ONTOLOGY_NS + "Act")
    labels = [label for _, label in acts]
    assert len(acts) < len(rules) and labels == sorted(labels, key=str.lower)
    assert len(explore.class_members(kg, "aihkg:Regulation", limit=3)) == 3


def test_vocabulary(kg) -> None:
    vocab = explore.vocabulary(kg)
    kinds = [kind for _, _, kind in vocab["terms"]]
    assert kinds == sorted(kinds, key=["class", "property", "entity"].index)  # ontology terms first
    assert ["kg:MHRA", "Medicines and Healthcare products Regulatory Agency", "entity"] in vocab["terms"]
    assert vocab["prefixes"]["src"] == SOURCE_NS and not vocab["truncated"]
    small = explore.vocabulary(kg, limit=10)
    assert len(small["terms"]) == 10 and small["truncated"] and small["count"] == vocab["count"]


def test_declared_prefixes_join_ours() -> None:
    from aihkg.queries.api import KnowledgeGraph

    store = ox.Store()
    sh = "http://www.w3.org/ns/shacl#"
    decl = ox.BlankNode("d")
    store.add(ox.Quad(decl, ox.NamedNode(sh + "prefix"), ox.Literal("mesh")))
    store.add(ox.Quad(decl, ox.NamedNode(sh + "namespace"), ox.Literal("http://id.nlm.nih.gov/mesh/")))
    kg = KnowledgeGraph()
    from aihkg.graph.stores import OxigraphStore

    kg._store = OxigraphStore(store, "memory")
    assert explore.prefixes(kg)["mesh"] == "http://id.nlm.nih.gov/mesh/"


def test_ontology_terms(kg) -> None:
    terms = explore.ontology_terms(kg)
    classes = {t.curie: t for t in terms["classes"]}
    props = {t.curie: t for t in terms["properties"]}
    assert classes["aihkg:Act"].parents == [(ONTOLOGY_NS + "Legislation", "Legislation")]
    assert classes["aihkg:Challenge"].members == 27
    assert props["aihkg:enforcedBy"].inverse or props["aihkg:enforces"].inverse
    assert len(explore.ontology_triples(kg)) > 500


def test_entity_triples_hold_both_directions(kg) -> None:
    triples = explore.entity_triples(kg, DATA_NS + "MHRA")
    mhra = ox.NamedNode(DATA_NS + "MHRA")
    assert any(t.subject == mhra for t in triples) and any(t.object == mhra for t in triples)
    assert triples == sorted(triples, key=str)
    rows = kg.sparql(explore.entity_query(DATA_NS + "MHRA")).rows
    assert len(rows) == sum(1 for t in triples if t.subject == mhra or t.object == mhra)


def test_summary_and_local_names(kg) -> None:
    s = explore.summary(kg)
    assert s["triples"] == kg.store.size() and dict((c, n) for c, _, n in s["classes"])["Challenge"] == 27
    assert explore.local_name(DATA_NS + "MHRA") == ("id", "MHRA")
    assert explore.local_name(SOURCE_NS + "x") == ("source", "x")
    assert explore.local_name(DATA_NS + "a/b") is None and explore.local_name("https://example.org/x") is None
