"""Typed figures (graph/data, ontology/shapes.ttl): bounds and approximations say so, every statistic has
a reference year or says it is not stated, and no figure is stated twice."""

from __future__ import annotations

from collections import Counter

from rdflib import RDF, Namespace

from aihkg.graph import DATA_NS, ONTOLOGY_NS
from aihkg.ontology.validate import validate_graph
from conftest import DATA

AIHKG = Namespace(ONTOLOGY_NS)
KG = Namespace(DATA_NS)


def statistics(g) -> set:
    return set(g.subjects(RDF.type, AIHKG.Statistic))


def test_every_statistic_says_how_exact_it_is(rdf_graph) -> None:
    qualifiers = {s: rdf_graph.value(s, AIHKG.valueQualifier) for s in statistics(rdf_graph)}
    assert None not in qualifiers.values()
    counts = Counter(q.rsplit("#", 1)[-1] for q in qualifiers.values())
    assert counts["ExactValue"] < len(qualifiers) - 20  # the bounds and approximations are typed as such
    assert qualifiers[KG.StatOCTTrainingScans] == AIHKG.Approximately  # "~14,884"
    assert qualifiers[KG.StatAIGDPBoost2030] == AIHKG.AtMost  # "up to 10%"
    assert qualifiers[KG.StatChestXRaysPerMonth2023] == AIHKG.AtLeast  # "over 600,000"
    low = KG.StatUCLHSavingPerAppointmentMin
    assert qualifiers[low] == AIHKG.RangeValue
    assert (rdf_graph.value(low, AIHKG.rangeLow).toPython(), rdf_graph.value(low, AIHKG.rangeHigh).toPython()) == (2, 3)


def test_every_statistic_has_a_year_or_says_it_is_not_stated(rdf_graph) -> None:
    missing, marked = [], 0
    for s in statistics(rdf_graph):
        if rdf_graph.value(s, AIHKG.referenceYear) is not None:
            continue
        markers = [m for m in rdf_graph.objects(s, AIHKG.dateNotKnown)
                   if rdf_graph.value(m, AIHKG.forProperty) == AIHKG.referenceYear]
        if markers and rdf_graph.value(markers[0], AIHKG.note) is not None:
            marked += 1
        else:
            missing.append(s)
    assert missing == [] and marked == 9


def test_no_figure_is_stated_twice(rdf_graph) -> None:
    seen = Counter()
    for s in statistics(rdf_graph):
        for about in rdf_graph.objects(s, AIHKG.statisticAbout):
            seen[(rdf_graph.value(s, AIHKG.value), rdf_graph.value(s, AIHKG.unit),
                  rdf_graph.value(s, AIHKG.referenceYear), about)] += 1
    assert [k for k, n in seen.items() if n > 1] == []  # the 86% stroke-network figure was once stated twice
    assert (KG.StatStrokeNetworksAIJun2023, AIHKG.statisticAbout, KG.AIDiagnosticFund) in rdf_graph


def test_shapes_refuse_an_unqualified_statistic_and_a_bad_range() -> None:
    report = validate_graph([str(DATA / "statistic_unqualified.ttl")], reasoner=False).text()
    assert "one aihkg:valueQualifier" in report and "says the year is not stated" in report
    assert "gives both ends" in report


# ----------------------------------------------------------------- the smaller defects of issue 14


def test_addressing_a_challenge_names_the_kind_of_every_rule(kg) -> None:
    rows = kg.rows("regulations_addressing_challenge", challenge="privacy")
    kinds = {r["regulation"].rsplit("/", 1)[-1]: r["kindLabel"] for r in rows}
    assert kinds["DataProtectionAct2018"] == "Act" and kinds["UKGDPR"] == "Retained EU law"
    assert all(kinds.values())


def test_bills_and_proposals_are_not_yet_law_not_voluntary(rdf_graph) -> None:
    proposals = set(rdf_graph.subjects(RDF.type, AIHKG.ProposedLegislation))
    assert len(proposals) >= 2
    assert {rdf_graph.value(p, AIHKG.legalForce) for p in proposals} == {AIHKG.NotYetLaw}


def test_cytoscape_export_gives_each_node_its_sources(cli_run) -> None:
    import json

    nodes = json.loads(cli_run("export", "-f", "cytoscape").out)["elements"]["nodes"]
    assert nodes and all(n["data"]["sources"] for n in nodes)
    mhra = next(n for n in nodes if n["data"]["id"].endswith("/MHRA"))
    assert all(s["title"] and s["url"].startswith("http") for s in mhra["data"]["sources"])


def test_only_babylons_uk_business_was_acquired(rdf_graph) -> None:
    assert rdf_graph.value(KG.BabylonHealth, AIHKG.acquiredBy) is None
    assert rdf_graph.value(KG.BabylonUKBusiness, AIHKG.acquiredBy) == KG.eMedHealthcare
    assert rdf_graph.value(KG.BabylonUKBusiness, AIHKG.subOrganisationOf) == KG.BabylonHealth


def test_the_consumer_protection_act_gives_rise_to_the_liability_sink(rdf_graph) -> None:
    assert (KG.ConsumerProtectionAct1987, AIHKG.givesRiseTo, KG.LiabilitySink) in rdf_graph
