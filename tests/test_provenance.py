"""Statement-level provenance: every figure and date backed by its own source (a reified rdf:Statement
with dcterms:source), shown by `sources_for` and `describe`."""

from __future__ import annotations

import json

from rdflib import RDF, Namespace

from aihkg.graph import DATA_NS, ONTOLOGY_NS

AIHKG = Namespace(ONTOLOGY_NS)
DCT = Namespace("http://purl.org/dc/terms/")
KG = Namespace(DATA_NS)
FIGURES = {AIHKG.Statistic: (AIHKG.value, AIHKG.referenceYear), AIHKG.Funding: (AIHKG.amount, AIHKG.fundingYear)}


def test_every_figure_has_its_own_sourced_statement(rdf_graph) -> None:
    backed = {(rdf_graph.value(st, RDF.subject), rdf_graph.value(st, RDF.predicate), rdf_graph.value(st, RDF.object))
              for st in rdf_graph.subjects(RDF.type, RDF.Statement) if rdf_graph.value(st, DCT.source) is not None}
    figures = [(x, p, o) for cls, props in FIGURES.items() for x in rdf_graph.subjects(RDF.type, cls)
               for p in props for o in rdf_graph.objects(x, p)]
    assert len(figures) > 150
    assert [f for f in figures if f not in backed] == []


def test_sources_for_says_which_source_backs_which_statement(kg) -> None:
    rows = kg.rows("sources_for", entity="kg:EUAIAct")
    backs = {(r["backs"], r["source"].rsplit("/", 1)[-1]) for r in rows}
    assert ("in force from: 2024-08-01", "operonstrategist-new-artificial-intelligence-act") in backs
    assert not any(b.startswith("competing claim: Entered into force 2 August") for b, _ in backs)  # no page found
    pms = {(r["backs"], r["source"].rsplit("/", 1)[-1]) for r in kg.rows("sources_for", entity="kg:PMSRegulations2024")}
    assert ("competing claim: In force 16 June 2024", "h2-eawright-pms-enter-into-force") in pms
    assert any(b == "the entity as a whole" for b, _ in backs)
    money = kg.rows("sources_for", entity="kg:FundingNHSAILab2024")
    assert {r["source"].rsplit("/", 1)[-1] for r in money if r["backs"] == "amount: 139000000"} == {
        "digitalhealth-p-190419", "powerhealthx-dhsc-slashes-investment-in-nhs-ai-lab-by-111m"}


def test_describe_marks_each_value_with_its_sources(cli_run) -> None:
    text = cli_run("describe", "kg:FundingNHSAILab2024").out
    lines = text.splitlines()
    assert "  - 139000000  [1, 2]" in lines and "  - 2024-06-03  [2]" in lines
    assert "      backs: amount: 139000000; announced: 2024-06-03; year: 2024" in lines
    assert "rdf:subject" not in text  # the statements are shown as citations, not as blank nodes
    body = json.loads(cli_run("describe", "kg:FundingNHSAILab2024", "--format", "json").out)
    amount = next(s for s in body["statements"] if s["property"].endswith("#amount"))
    assert amount["value"] == "139000000" and len(amount["sources"]) == 2


def test_the_further_50m_is_tied_to_the_covid_response_by_a_sourced_relation(rdf_graph, kg) -> None:
    """fixes14: the POSTnote's framing was only a contested claim's text; it is now a typed, cited link."""
    from rdflib import RDFS, URIRef

    response = rdf_graph.value(KG.FundingAICentres2020, AIHKG.madeInResponseTo)
    assert response is not None and "COVID-19" in str(rdf_graph.value(response, RDFS.label))
    cited = {src for st in rdf_graph.subjects(RDF.subject, KG.FundingAICentres2020)
             if rdf_graph.value(st, RDF.predicate) == AIHKG.madeInResponseTo
             and rdf_graph.value(st, RDF.object) == response for src in rdf_graph.objects(st, DCT.source)}
    assert URIRef("https://w3id.org/aihkg/source/postnote-637") in cited
    for prop in (RDFS.label, RDFS.domain, RDFS.range, RDFS.comment):
        assert rdf_graph.value(AIHKG.madeInResponseTo, prop) is not None, prop
    rows = kg.rows("sources_for", entity="kg:FundingAICentres2020")
    assert {r["source"].rsplit("/", 1)[-1] for r in rows if r["backs"] == f"made in response to: {response}"} == {
        "postnote-637"}
