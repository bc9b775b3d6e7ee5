"""The built-in graph: coverage, sources, typed figures, identifiers, no orphans, validity."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, XSD, Literal, Namespace, URIRef

from aihkg.graph import DATA_NS, DOMAIN_CLASSES, ONTOLOGY_NS, SOURCE_NS
from conftest import needs_java

AIHKG = Namespace(ONTOLOGY_NS)
DCT = Namespace("http://purl.org/dc/terms/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
KG = Namespace(DATA_NS)
DATE_TYPES = {XSD.date, XSD.gYearMonth, XSD.gYear}


def instances(g: rdflib.Graph, cls: str) -> set[URIRef]:
    return {s for s, in g.query(f"SELECT ?s WHERE {{ ?s a/<{RDFS.subClassOf}>* <{ONTOLOGY_NS}{cls}> }}")}


def individuals(g: rdflib.Graph) -> set[URIRef]:
    out: set[URIRef] = set()
    for cls in DOMAIN_CLASSES:
        out |= instances(g, cls)
    return out


@pytest.mark.parametrize(("cls", "at_least"), [
    ("AIUse", 15), ("Impact", 6), ("Challenge", 15), ("Regulation", 20), ("Organisation", 30),
    ("Funding", 10), ("Event", 30), ("AISystem", 10), ("Jurisdiction", 6), ("SourceDocument", 100),
])
def test_coverage(rdf_graph, cls: str, at_least: int) -> None:
    assert len(instances(rdf_graph, cls)) >= at_least


def test_seed_challenges_and_impact_areas(rdf_graph) -> None:
    labels = {str(rdf_graph.value(c, RDFS.label)).lower() for c in instances(rdf_graph, "Challenge")}
    for word in ("safety", "privacy", "data-sharing", "trust", "accountability", "health inequalities"):
        assert any(word in label for label in labels), word
    areas = {a for _, a in rdf_graph.subject_objects(AIHKG.impactArea)}
    assert {AIHKG.CostArea, AIHKG.QualityOfCareArea, AIHKG.WorkforceArea} <= areas
    for impact in instances(rdf_graph, "Impact"):
        assert rdf_graph.value(impact, AIHKG.impactDirection) in (AIHKG.Positive, AIHKG.Negative, AIHKG.Mixed)


def test_all_five_jurisdictions_and_devolution(rdf_graph) -> None:
    for name in ("UnitedKingdom", "England", "Scotland", "Wales", "NorthernIreland", "EuropeanUnion"):
        assert (KG[name], RDF.type, AIHKG.Jurisdiction) in rdf_graph
    assert (KG.England, AIHKG.partOfJurisdiction, KG.GreatBritain) in rdf_graph


def test_every_individual_is_labelled_described_and_sourced(rdf_graph) -> None:
    everyone = individuals(rdf_graph)
    assert len(everyone) > 400
    for x in everyone:
        assert str(x).startswith(DATA_NS), x
        labels = list(rdf_graph.objects(x, RDFS.label))
        assert len(labels) == 1 and labels[0].language == "en", x
        assert rdf_graph.value(x, DCT.description) is not None, x
        sources = list(rdf_graph.objects(x, AIHKG.describedBy))
        assert sources and all((s, RDF.type, AIHKG.SourceDocument) in rdf_graph for s in sources), x


def test_domain_individuals_are_described_by_sources_not_derived_from_them(rdf_graph) -> None:
    # dcterms:source means "derived from": true of a statement or a competing claim (and of the
    # ontology document, drawn from the POSTnote), not of the MHRA. Any other subject is a defect.
    derived = {s for s in rdf_graph.subjects(DCT.source, None)
               if not {RDF.Statement, OWL.Ontology, AIHKG.Claim} & set(rdf_graph.objects(s, RDF.type))}
    assert derived == set()
    assert (AIHKG.describedBy, RDFS.subPropertyOf, DCT.isReferencedBy) in rdf_graph


def test_acronyms_are_alt_labels(rdf_graph) -> None:
    for name, acronym in [("MHRA", "MHRA"), ("NICE", "NICE"), ("DHSC", "DHSC"), ("ICO", "ICO"), ("CQC", "CQC")]:
        assert Literal(acronym, lang="en") in set(rdf_graph.objects(KG[name], SKOS.altLabel))
        assert str(rdf_graph.value(KG[name], RDFS.label)) != acronym


def test_source_documents_have_title_publisher_typed_date_url(rdf_graph) -> None:
    docs = instances(rdf_graph, "SourceDocument")
    for doc in docs:
        assert str(doc).startswith(SOURCE_NS)
        assert rdf_graph.value(doc, DCT.title) is not None, doc
        assert rdf_graph.value(doc, DCT.publisher) is not None, doc
        date = rdf_graph.value(doc, DCT.date)
        assert isinstance(date, Literal) and date.datatype in DATE_TYPES, doc
        url = rdf_graph.value(doc, AIHKG.url)
        assert url is not None and url.datatype == XSD.anyURI and str(url).startswith(("http://", "https://"))
        assert rdf_graph.value(doc, AIHKG.sourceKind) is not None, doc
    postnote = URIRef(SOURCE_NS + "postnote-637")
    assert postnote in docs and rdf_graph.value(postnote, AIHKG.sourceKind) == AIHKG.POSTnoteSource
    kinds = Counter(rdf_graph.value(d, AIHKG.sourceKind) for d in docs)
    assert kinds[AIHKG.OfficialRecord] >= 20


def test_figures_are_typed(rdf_graph) -> None:
    for funding in instances(rdf_graph, "Funding"):
        amount = rdf_graph.value(funding, AIHKG.amount)
        assert amount.datatype == XSD.decimal and amount.toPython() > 0, funding
        assert re.fullmatch(r"[A-Z]{3}", str(rdf_graph.value(funding, AIHKG.currency)))
        assert rdf_graph.value(funding, AIHKG.fundingYear).datatype == XSD.gYear
        assert rdf_graph.value(funding, AIHKG.funder) is not None
        assert rdf_graph.value(funding, AIHKG.fundingRecipient) is not None
    for stat in instances(rdf_graph, "Statistic"):
        assert rdf_graph.value(stat, AIHKG.value).datatype == XSD.decimal, stat
    date_props = [AIHKG.publicationDate, AIHKG.inForceFrom, AIHKG.appliesFrom, AIHKG.eventDate,
                  AIHKG.foundedDate, AIHKG.dissolvedDate, AIHKG.statusDate, AIHKG.royalAssentDate, AIHKG.madeDate]
    dated = 0
    for prop in date_props:
        for _, value in rdf_graph.subject_objects(prop):
            assert isinstance(value, Literal) and value.datatype in DATE_TYPES, (prop, value)
            dated += 1
    assert dated > 150


def test_legislation_carries_official_identifiers(rdf_graph) -> None:
    laws = instances(rdf_graph, "Legislation")
    assert len(laws) >= 15
    for law in laws:
        ident = rdf_graph.value(law, AIHKG.officialIdentifier)
        assert ident is not None and ident.datatype == XSD.anyURI, law
        assert re.match(r"^(http://www\.legislation\.gov\.uk/|http://data\.europa\.eu/eli/)", str(ident)), law
        # and as a link, so the graph joins legislation.gov.uk's and EUR-Lex's own RDF
        assert URIRef(str(ident)) in set(rdf_graph.objects(law, SKOS.exactMatch)), law
    assert str(rdf_graph.value(KG.UKMDR2002, AIHKG.officialIdentifier)) == "http://www.legislation.gov.uk/uksi/2002/618"
    assert str(rdf_graph.value(KG.EUAIAct, AIHKG.officialIdentifier)) == "http://data.europa.eu/eli/reg/2024/1689/oj"
    # Wikidata only where a source gives the Q-number; FACTS.md gives none, so there are none
    assert not [o for o in rdf_graph.objects() if str(o).startswith(("http://www.wikidata.org/", "https://www.wikidata.org/"))]


def test_statuses_and_what_replaced_what(rdf_graph) -> None:
    for reg in instances(rdf_graph, "Regulation"):
        assert rdf_graph.value(reg, AIHKG.hasStatus) is not None, reg
        assert rdf_graph.value(reg, AIHKG.hasJurisdiction) is not None, reg
    assert rdf_graph.value(KG.DataProtectionAct1998, AIHKG.hasStatus) == AIHKG.Repealed
    assert (KG.DataProtectionAct1998, AIHKG.repealedBy, KG.DataProtectionAct2018) in rdf_graph
    assert (KG.NICEESF2019, AIHKG.replacedBy, KG.NICEESF2022) in rdf_graph
    assert rdf_graph.value(KG.AIRegulationBill, AIHKG.hasStatus) == AIHKG.Proposed


def test_no_orphans(rdf_graph) -> None:
    everyone = individuals(rdf_graph)
    cites = (DCT.source, AIHKG.describedBy)
    for x in everyone:
        linked = {o for p, o in rdf_graph.predicate_objects(x) if p not in cites and o in everyone and o != x}
        linked |= {s for s, p in rdf_graph.subject_predicates(x) if p not in cites and s in everyone and s != x}
        assert linked, f"{x} is an orphan"


def test_shacl_conforms(rdf_graph) -> None:
    from aihkg.ontology.validate import shacl_findings

    assert [f.line() for f in shacl_findings(rdf_graph)] == []


@needs_java
@pytest.mark.reasoner
def test_hermit_finds_the_graph_consistent(rdf_graph) -> None:
    from aihkg.ontology.reasoning import check_consistency

    verdict = check_consistency(rdf_graph)
    assert verdict.ran and verdict.consistent, verdict.problem
    assert verdict.unsatisfiable == []


# ------------------------------------------------------------------------------------- fixes14


def test_a_personal_notes_page_backs_only_contested_claims(rdf_graph) -> None:
    """Regulation (EU) 2026/1744 has no official or reputable source: its only source is a notes page,
    marked as such, and the number is stated only as a contested claim that the graph does not prefer."""
    weak = set(rdf_graph.subjects(AIHKG.sourceKind, AIHKG.PersonalNote))
    assert URIRef(SOURCE_NS + "h2-siegfriedbolz-reference-eu-ai-act") in weak
    preferred = set(rdf_graph.objects(None, AIHKG.prefers))
    for source in weak:
        assert rdf_graph.value(source, AIHKG.reliabilityNote) is not None, source
        assert not list(rdf_graph.subjects(AIHKG.describedBy, source)), source  # no individual rests on it
        for cited in rdf_graph.subjects(DCT.source, source):
            assert (cited, RDF.type, AIHKG.Claim) in rdf_graph, cited  # not a dated fact's statement
            others = set(rdf_graph.objects(cited, DCT.source)) - weak
            assert cited not in preferred or others, cited
    mentions = {s for s, p, o in rdf_graph if isinstance(o, Literal) and "2026/1744" in str(o)}
    assert mentions and all((s, RDF.type, AIHKG.Claim) in rdf_graph or s in weak for s in mentions), mentions


def test_the_staging_copy_says_why_it_is_still_cited(rdf_graph) -> None:
    """No production page of the AIMed article was found; a staging or mirror URL must say so."""
    for doc, url in rdf_graph.subject_objects(AIHKG.url):
        if re.search(r"//[^/]*(staging|glitch\.me)", str(url)):
            publisher = str(rdf_graph.value(doc, DCT.publisher))
            assert rdf_graph.value(doc, AIHKG.reliabilityNote) is not None or "mirror" in publisher, doc


def own_pages(rdf_graph, law: URIRef) -> tuple[set[URIRef], set[URIRef]]:
    """A law's sources split into its own text (any page whose URL holds its identifier's path:
    legislation.gov.uk views, EUR-Lex ELI pages, mirrors) and the others."""
    path = re.search(r"(ukpga|uksi|eur|reg|dir)/\d{4}/\d+", str(rdf_graph.value(law, AIHKG.officialIdentifier)))
    own, other = set(), set()
    for source in rdf_graph.objects(law, AIHKG.describedBy):
        (own if path and path.group(0) in str(rdf_graph.value(source, AIHKG.url)) else other).add(source)
    return own, other


def test_no_law_is_described_only_by_its_own_page(rdf_graph) -> None:
    """The official text is the primary source of a law's title, dates and identifier (dates.ttl cites it);
    what its description says beyond that needs a source of its own. The one exception says so."""
    laws = instances(rdf_graph, "Legislation")
    assert len(laws) >= 20
    alone = {law for law in laws if not own_pages(rdf_graph, law)[1]}
    assert alone == {KG.MedicalDevicesAmendmentRegs2025}
    assert all(rdf_graph.value(law, AIHKG.evidenceNote) is not None for law in alone)
    for law in (KG.NDGAct2018, KG.MMDACommencementRegs2021):
        own, other = own_pages(rdf_graph, law)
        assert own and other, law  # the official text is kept as the primary source of the dates
    dated = {src for st in rdf_graph.subjects(RDF.subject, KG.NDGAct2018) for src in rdf_graph.objects(st, DCT.source)}
    assert URIRef(SOURCE_NS + "legislation-2018-31") in dated
