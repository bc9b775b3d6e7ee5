"""ontology/aihkg.ttl: the OWL contract (classes, properties, alignment, header)."""

from __future__ import annotations

import rdflib
from rdflib import OWL, RDF, RDFS, Namespace, URIRef

from aihkg.graph import ONTOLOGY_IRI, ONTOLOGY_NS, TOP_CLASSES
from aihkg.graph.builtin import ontology_files

AIHKG = Namespace(ONTOLOGY_NS)
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCT = Namespace("http://purl.org/dc/terms/")


def ontology() -> rdflib.Graph:
    g = rdflib.Graph()
    for _name, res in ontology_files():
        g.parse(data=res.read_bytes(), format="turtle")
    return g


ONT = ontology()


def test_header_names_title_description_version_licence_creator_date() -> None:
    o = URIRef(ONTOLOGY_IRI)
    assert (o, RDF.type, OWL.Ontology) in ONT
    for prop in (DCT.title, DCT.description, OWL.versionIRI, DCT.license, DCT.creator, DCT.created):
        assert ONT.value(o, prop) is not None, prop


def test_five_top_classes_with_exact_local_names_and_disjointness() -> None:
    for name in TOP_CLASSES:
        assert (AIHKG[name], RDF.type, OWL.Class) in ONT
    members = set()
    for axiom in ONT.subjects(RDF.type, OWL.AllDisjointClasses):
        members |= set(rdflib.collection.Collection(ONT, ONT.value(axiom, OWL.members)))
    assert {AIHKG[n] for n in TOP_CLASSES} <= members


def test_regulation_kinds_are_subclasses() -> None:
    kinds = {"Legislation", "Act", "StatutoryInstrument", "EURegulation", "EUDirective", "ProposedLegislation",
             "Guidance", "CodeOfConduct", "Standard", "EvidenceFramework", "CommonLawDuty", "Policy"}
    for kind in kinds:
        assert AIHKG.Regulation in ONT.transitive_objects(AIHKG[kind], RDFS.subClassOf), kind


def test_every_class_and_property_has_label_and_definition() -> None:
    terms = [s for s in ONT.subjects(RDF.type, None) if isinstance(s, URIRef) and str(s).startswith(ONTOLOGY_NS)
             and ONT.value(s, RDF.type) in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)]
    assert len(terms) > 80
    for term in terms:
        assert ONT.value(term, RDFS.label) is not None, term
        assert ONT.value(term, SKOS.definition) is not None, term


def test_object_properties_have_domain_range_and_inverse_pairs() -> None:
    props = {p for p in ONT.subjects(RDF.type, OWL.ObjectProperty) if str(p).startswith(ONTOLOGY_NS)}
    assert len(props) > 40
    for prop in props:
        # funds is derived by its property chain; its domain and range follow from the chain's links.
        assert ONT.value(prop, RDFS.domain) is not None, prop
        assert ONT.value(prop, RDFS.range) is not None, prop
    for a, b in [("hasImpact", "impactOf"), ("facesChallenge", "challengeFor"), ("addressesChallenge", "addressedBy"),
                 ("enforces", "enforcedBy"), ("publishes", "publishedBy"), ("appliesToUse", "governedBy"),
                 ("subOrganisationOf", "hasSubOrganisation"), ("replacedBy", "replaces")]:
        assert (AIHKG[a], OWL.inverseOf, AIHKG[b]) in ONT


def test_characteristics_where_true() -> None:
    assert (AIHKG.partOfJurisdiction, RDF.type, OWL.TransitiveProperty) in ONT
    assert (AIHKG.subUseOf, RDF.type, OWL.TransitiveProperty) in ONT
    assert (AIHKG.partnerOf, RDF.type, OWL.SymmetricProperty) in ONT
    assert (AIHKG.amount, RDF.type, OWL.FunctionalProperty) in ONT
    chain = ONT.value(AIHKG.funds, OWL.propertyChainAxiom)
    assert list(rdflib.collection.Collection(ONT, chain)) == [AIHKG.providesFunding, AIHKG.fundingRecipient]


def test_alignment_with_standard_vocabularies() -> None:
    org = Namespace("http://www.w3.org/ns/org#")
    prov = Namespace("http://www.w3.org/ns/prov#")
    eli = Namespace("http://data.europa.eu/eli/ontology#")
    assert (AIHKG.Organisation, RDFS.subClassOf, org.Organization) in ONT
    assert (AIHKG.SourceDocument, RDFS.subClassOf, prov.Entity) in ONT
    assert (AIHKG.SourceDocument, RDFS.subClassOf, DCT.BibliographicResource) in ONT
    assert (AIHKG.Legislation, RDFS.subClassOf, eli.LegalResource) in ONT
    assert (AIHKG.subOrganisationOf, RDFS.subPropertyOf, org.subOrganizationOf) in ONT
    assert (AIHKG.amends, RDFS.subPropertyOf, eli.amends) in ONT
    assert (AIHKG.LegalStatus, RDFS.subClassOf, SKOS.Concept) in ONT
