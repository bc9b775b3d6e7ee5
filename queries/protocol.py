"""Answers in the media types of the SPARQL 1.1 Protocol, from a Result.

SELECT and ASK answers: SPARQL JSON, XML, CSV and TSV results (JSON, CSV and TSV are the bytes
`aihkg query --format json|csv|tsv` writes); CONSTRUCT and DESCRIBE answers: Turtle, N-Triples,
JSON-LD and RDF/XML. Nothing here knows about HTTP: a server picks a media type, this writes it.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from aihkg.graph import PREFIXES
from aihkg.graph.stores import Result
from aihkg.queries import formats

# media type -> (short name used by ?format=, file extension)
RESULT_TYPES: dict[str, tuple[str, str]] = {
    "application/sparql-results+json": ("json", "srj"),
    "application/sparql-results+xml": ("xml", "srx"),
    "text/csv": ("csv", "csv"),
    "text/tab-separated-values": ("tsv", "tsv"),
}
GRAPH_TYPES: dict[str, tuple[str, str]] = {
    "text/turtle": ("turtle", "ttl"),
    "application/n-triples": ("nt", "nt"),
    "application/ld+json": ("jsonld", "jsonld"),
    "application/rdf+xml": ("rdfxml", "rdf"),
}
# Other names clients use for the same formats.
ALIASES: dict[str, str] = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
    "application/json+ld": "application/ld+json",
}
FORMAT_NAMES: dict[str, str] = {
    **{name: media for media, (name, _) in RESULT_TYPES.items()},
    **{name: media for media, (name, _) in GRAPH_TYPES.items()},
    "ttl": "text/turtle", "n-triples": "application/n-triples", "json-ld": "application/ld+json",
    "rdf": "application/rdf+xml", "srj": "application/sparql-results+json",
    "srx": "application/sparql-results+xml",
}
SPARQL_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"


def media_types(form: str) -> list[str]:
    """The media types an answer of this form ("select", "ask", "graph") can be written in, preferred first."""
    return list(GRAPH_TYPES) if form == "graph" else list(RESULT_TYPES)


def charset(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") or media_type.endswith("json") \
        or media_type.endswith("xml") else media_type


def to_xml(result: Result) -> str:
    """W3C SPARQL Query Results XML."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', f'<sparql xmlns="{SPARQL_RESULTS_NS}">', "<head>"]
    if result.kind == "ask":
        out += ["</head>", f"<boolean>{'true' if result.boolean else 'false'}</boolean>", "</sparql>"]
        return "\n".join(out) + "\n"
    out += [f"<variable name={quoteattr(v)}/>" for v in result.variables]
    out += ["</head>", "<results>"]
    for row in result.rows:
        out.append("<result>")
        for var, term in zip(result.variables, row, strict=False):
            if term is not None:
                out.append(f"<binding name={quoteattr(var)}>{_xml_term(term)}</binding>")
        out.append("</result>")
    out += ["</results>", "</sparql>"]
    return "\n".join(out) + "\n"


def _xml_term(term: Any) -> str:
    kind = type(term).__name__
    if kind == "NamedNode":
        return f"<uri>{escape(term.value)}</uri>"
    if kind == "BlankNode":
        return f"<bnode>{escape(term.value)}</bnode>"
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
    datatype = term.datatype.value
    if datatype == PREFIXES["xsd"] + "string":
        return f"<literal>{escape(term.value)}</literal>"
    return f"<literal datatype={quoteattr(datatype)}>{escape(term.value)}</literal>"


def serialize_triples(triples: list[Any], media_type: str) -> bytes:
    """RDF triples in Turtle, N-Triples, JSON-LD or RDF/XML, sorted so the same graph gives the same bytes."""
    import pyoxigraph as ox

    fmt = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
           "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML}[media_type]
    ordered = sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    if media_type == "application/n-triples":
        return ox.serialize(ordered, format=fmt)
    return ox.serialize(ordered, format=fmt, prefixes=dict(PREFIXES))


def serialize(result: Result, media_type: str) -> bytes:
    """The answer in `media_type`, which must be one of media_types(result.kind)."""
    if result.kind == "graph":
        if media_type not in GRAPH_TYPES:
            raise ValueError(f"a graph answer cannot be written as {media_type}")
        return serialize_triples(result.triples, media_type)
    writers = {"application/sparql-results+json": formats.to_json, "application/sparql-results+xml": to_xml,
               "text/csv": formats.to_csv, "text/tab-separated-values": formats.to_tsv}
    if media_type not in writers:
        raise ValueError(f"a {result.kind.upper()} answer cannot be written as {media_type}")
    return writers[media_type](result).encode("utf-8")


FORMAT_IRIS = {
    "application/sparql-results+json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "application/sparql-results+xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "text/csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "text/tab-separated-values": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "text/turtle": "http://www.w3.org/ns/formats/Turtle",
    "application/n-triples": "http://www.w3.org/ns/formats/N-Triples",
    "application/ld+json": "http://www.w3.org/ns/formats/JSON-LD",
    "application/rdf+xml": "http://www.w3.org/ns/formats/RDF_XML",
}


def service_description(endpoint: str, *, triples: int | None = None, federated: bool = False,
                        title: str = "aihkg: the AI-in-healthcare knowledge graph") -> list[Any]:
    """A SPARQL 1.1 Service Description of a read-only endpoint at `endpoint`, as triples."""
    import pyoxigraph as ox

    sd = "http://www.w3.org/ns/sparql-service-description#"
    rdf_type = ox.NamedNode(PREFIXES["rdf"] + "type")
    service = ox.NamedNode(endpoint)
    dataset, graph = ox.BlankNode("dataset"), ox.BlankNode("defaultGraph")
    out = [
        ox.Triple(service, rdf_type, ox.NamedNode(sd + "Service")),
        ox.Triple(service, ox.NamedNode(sd + "endpoint"), service),
        ox.Triple(service, ox.NamedNode(sd + "supportedLanguage"), ox.NamedNode(sd + "SPARQL11Query")),
        ox.Triple(service, ox.NamedNode(sd + "feature"), ox.NamedNode(sd + "UnionDefaultGraph")),
        ox.Triple(service, ox.NamedNode(PREFIXES["dcterms"] + "title"), ox.Literal(title, language="en")),
        ox.Triple(service, ox.NamedNode(sd + "defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, ox.NamedNode(sd + "Dataset")),
        ox.Triple(dataset, ox.NamedNode(sd + "defaultGraph"), graph),
        ox.Triple(graph, rdf_type, ox.NamedNode(sd + "Graph")),
    ]
    if federated:
        out.append(ox.Triple(service, ox.NamedNode(sd + "feature"), ox.NamedNode(sd + "BasicFederatedQuery")))
    if triples is not None:
        out.append(ox.Triple(graph, ox.NamedNode("http://rdfs.org/ns/void#triples"),
                             ox.Literal(str(triples), datatype=ox.NamedNode(PREFIXES["xsd"] + "integer"))))
    for iri in FORMAT_IRIS.values():
        out.append(ox.Triple(service, ox.NamedNode(sd + "resultFormat"), ox.NamedNode(iri)))
    return out


def answer(store: Any, text: str, form: str, media_type: str, *, max_rows: int = 0) -> tuple[bytes, int | None]:
    """Run a (checked, bound) query on `store` and write its answer in `media_type`: the bytes, and how many
    rows or triples the answer has (None when the engine wrote it without counting).

    A whole SELECT answer as CSV from an Oxigraph store is written by Oxigraph's own serializer, straight
    from the engine's solutions: its W3C CSV is byte for byte what formats.to_csv writes (plain values,
    full IRIs, _:labels, RFC 4180 quoting, CRLF; tests/test_protocol.py checks them against each other),
    and it skips building a Result of Python terms, which on large answers costs more than the query.
    Everything else goes through the store's Result and the writers above; `max_rows` cuts the answer.
    """
    from aihkg.graph.stores import OxigraphStore

    if (media_type == "text/csv" and form == "select" and not max_rows and isinstance(store, OxigraphStore)
            and store.store is not None):
        import pyoxigraph as ox

        from aihkg.graph.errors import StoreProblem, UsageProblem

        try:
            solutions = store.store.query(text, use_default_graph_as_union=getattr(store, "_union", False))
            if isinstance(solutions, ox.QuerySolutions):
                return solutions.serialize(format=ox.QueryResultsFormat.CSV), None
        except SyntaxError as exc:
            raise UsageProblem(f"SPARQL syntax error: {exc}") from None
        except OSError as exc:
            raise StoreProblem(f"{store.name}: {exc}") from None
    result = store.query(text, form)
    total = len(result.triples) if result.kind == "graph" else (len(result.rows) if result.kind == "select" else 1)
    if max_rows and total > max_rows:
        if result.kind == "graph":
            result.triples = result.triples[:max_rows]
        elif result.kind == "select":
            result.rows = result.rows[:max_rows]
    return serialize(result, media_type), total

