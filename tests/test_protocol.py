"""queries/protocol.py: SPARQL 1.1 Protocol answers, and the engine's CSV being exactly aihkg's CSV."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aihkg.graph.stores import OxigraphStore, Result
from aihkg.queries import formats, protocol

EX = "https://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"

# Text a CSV writer must quote or keep: separators, quotes, both line ends, spaces, non-ASCII.
tricky_text = st.text(alphabet=st.sampled_from(list('a,"\r\n \t;é€😀\'\\x')) | st.characters(
    blacklist_categories=("Cs",)), max_size=12)
literals = st.one_of(
    tricky_text.map(ox.Literal),
    st.tuples(tricky_text, st.sampled_from(["en", "fr-be"])).map(lambda t: ox.Literal(t[0], language=t[1])),
    st.integers(-10**12, 10**12).map(lambda n: ox.Literal(str(n), datatype=ox.NamedNode(XSD + "integer"))),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(
        lambda d: ox.Literal(format(d, "f"), datatype=ox.NamedNode(XSD + "decimal"))),
    st.just(ox.Literal("2021-01-19", datatype=ox.NamedNode(XSD + "date"))),
)
objects = st.one_of(literals, st.integers(0, 5).map(lambda i: ox.NamedNode(f"{EX}o{i}?a=1&b='x'")),
                    st.integers(0, 3).map(lambda i: ox.BlankNode(f"b{i}")))


def _store(rows: list[tuple[int, object]]) -> OxigraphStore:
    store = ox.Store()
    for i, (s, o) in enumerate(rows):
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{s}"), ox.NamedNode(f"{EX}p{i % 3}"), o))
    return OxigraphStore(store, "memory")


QUERY = f"SELECT ?s ?o ?none WHERE {{ ?s ?p ?o OPTIONAL {{ ?s <{EX}missing> ?none }} }} ORDER BY ?s ?p STR(?o)"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), objects), min_size=0, max_size=25))
def test_engine_csv_is_aihkg_csv(rows: list[tuple[int, object]]) -> None:
    store = _store(rows)
    fast, total = protocol.answer(store, QUERY, "select", "text/csv")
    assert total is None  # written by the engine, uncounted
    assert fast.decode("utf-8") == formats.to_csv(store.query(QUERY, "select"))


def test_answer_caps_and_counts() -> None:
    store = _store([(i, ox.Literal(str(i))) for i in range(10)])
    body, total = protocol.answer(store, QUERY, "select", "text/csv", max_rows=4)
    assert total == 10 and body.count(b"\r\n") == 5  # header + 4 rows
    body, total = protocol.answer(store, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "graph",
                                  "application/n-triples", max_rows=3)
    assert total == 10 and body.count(b"\n") == 3
    with pytest.raises(Exception, match="syntax error"):
        protocol.answer(store, "SELECT * WHERE { ?s ?p }", "select", "text/csv")


def test_xml_results_read_back() -> None:
    rows = [(ox.NamedNode(EX + "a"), ox.Literal("x < y & \"z\"", language="en")),
            (ox.BlankNode("b1"), ox.Literal("7", datatype=ox.NamedNode(XSD + "integer"))),
            (ox.NamedNode(EX + "c"), None)]
    result = Result("select", ["s", "o"], rows)
    parsed = list(ox.parse_query_results(protocol.to_xml(result).encode(), format=ox.QueryResultsFormat.XML))
    assert [(r["s"], r["o"]) for r in parsed] == [(rows[0][0], rows[0][1]), (ox.BlankNode("b1"), rows[1][1]),
                                                 (rows[2][0], None)]
    for boolean in (True, False):
        assert bool(ox.parse_query_results(protocol.to_xml(Result("ask", boolean=boolean)).encode(),
                                           format=ox.QueryResultsFormat.XML)) is boolean


@pytest.mark.parametrize("media, fmt", [("text/turtle", ox.RdfFormat.TURTLE),
                                        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
                                        ("application/ld+json", ox.RdfFormat.JSON_LD),
                                        ("application/rdf+xml", ox.RdfFormat.RDF_XML)])
def test_graph_answers_round_trip(media: str, fmt: ox.RdfFormat) -> None:
    triples = [ox.Triple(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.Literal("é \"q\"", language="en")),
               ox.Triple(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "q"), ox.NamedNode(EX + "b"))]
    body = protocol.serialize(Result("graph", triples=triples), media)
    assert {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, format=fmt)} == set(triples)
    assert body == protocol.serialize(Result("graph", triples=list(reversed(triples))), media)  # sorted: stable


def test_a_form_is_only_written_in_its_own_types() -> None:
    with pytest.raises(ValueError):
        protocol.serialize(Result("graph", triples=[]), "text/csv")
    with pytest.raises(ValueError):
        protocol.serialize(Result("select", ["x"], []), "text/turtle")
    assert protocol.media_types("graph")[0] == "text/turtle"
    assert protocol.media_types("select")[0] == "application/sparql-results+json"


def test_service_description() -> None:
    triples = protocol.service_description("http://127.0.0.1:8000/sparql", triples=42, federated=True)
    body = protocol.serialize_triples(triples, "text/turtle").decode()
    assert "SPARQL11Query" in body and "BasicFederatedQuery" in body and "42" in body
    assert "BasicFederatedQuery" not in protocol.serialize_triples(
        protocol.service_description("http://x/sparql"), "text/turtle").decode()
