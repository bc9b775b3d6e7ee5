"""Serialising the whole graph: RDF formats, network formats (graph.network).

RDF output is deterministic, so an export diffs cleanly in git: statements are sorted before
writing. Turtle, TriG and N-Triples are written by Oxigraph, which keeps every literal's lexical
form (rdflib's Turtle writer rewrites "29"^^xsd:decimal as 29.0, which is not the same term);
JSON-LD and RDF/XML by rdflib.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aihkg.graph import PREFIXES
from aihkg.graph.errors import UsageProblem

RDF_FORMATS = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "pretty-xml", "trig": "trig"}
NETWORK_FORMATS = ("graphml", "gexf", "cytoscape")
EXTENSIONS = {
    ".ttl": "turtle", ".turtle": "turtle", ".nt": "nt", ".jsonld": "jsonld", ".json": "jsonld",
    ".rdf": "xml", ".owl": "xml", ".xml": "xml", ".trig": "trig",
    ".graphml": "graphml", ".gexf": "gexf", ".cyjs": "cytoscape",
}


def format_for(output: str | None, fmt: str | None) -> str:
    """The export format: as given, else from the output file's extension, else Turtle."""
    if fmt:
        return fmt
    if output and output != "-":
        name = Path(output).name.lower()
        if name.endswith(".cytoscape.json"):
            return "cytoscape"
        suffix = Path(name).suffix
        if suffix in EXTENSIONS:
            return EXTENSIONS[suffix]
        raise UsageProblem(f"cannot tell the export format from '{output}'; name it with -f")
    return "turtle"


def _sort_key(quad: Any) -> tuple[str, str, str, str]:
    return (str(quad.graph_name), str(quad.subject), str(quad.predicate), str(quad.object))


def serialize_quads(quads: Any, fmt: str, note: Callable[[str], None] | None = None) -> bytes:
    """Turtle, TriG or N-Triples from pyoxigraph quads, sorted; Turtle and N-Triples take the union.

    Blank nodes are relabelled by RDF Dataset Canonicalization (RDFC-1.0), so the same graph gives
    the same bytes whichever store, process or run it comes from; for a graph whose labels cannot
    be found within graph.canon's budget they keep their own labels, and `note` is told why.
    """
    data, skipped = _serialize_canonical(quads, fmt)
    if skipped and note:
        from aihkg.graph.canon import skipped_note

        note(skipped_note(skipped))
    return data


def canonical_ntriples(quads: Any) -> tuple[bytes, bool]:
    """Sorted N-Triples of `quads` (the union of their graphs), and whether the blank-node labels are
    canonical: only then do the bytes identify the graph, as a cache key needs."""
    data, skipped = _serialize_canonical(quads, "nt")
    return data, skipped is None


def _serialize_canonical(quads: Any, fmt: str) -> tuple[bytes, str | None]:
    import pyoxigraph as ox

    from aihkg.graph.canon import canonical_dataset

    dataset, skipped = canonical_dataset(quads)
    ordered = sorted(dataset, key=_sort_key)
    if fmt == "trig":
        return ox.serialize(ordered, format=ox.RdfFormat.TRIG, prefixes=dict(PREFIXES)), skipped
    triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in ordered},
                     key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    if fmt == "nt":
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), skipped
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES)), skipped


def rdflib_quads(graph_or_dataset: Any) -> list[Any]:
    import pyoxigraph as ox
    import rdflib

    from aihkg.graph.build import rdflib_to_ox

    out = []
    if isinstance(graph_or_dataset, rdflib.Dataset):
        for s, p, o, g in graph_or_dataset.quads((None, None, None, None)):
            ident = getattr(g, "identifier", g)
            name = ox.DefaultGraph() if ident in (None, rdflib.graph.DATASET_DEFAULT_GRAPH_ID) \
                else ox.NamedNode(str(ident))
            out.append(ox.Quad(rdflib_to_ox(s), rdflib_to_ox(p), rdflib_to_ox(o), name))
    else:
        for s, p, o in graph_or_dataset:
            out.append(ox.Quad(rdflib_to_ox(s), rdflib_to_ox(p), rdflib_to_ox(o), ox.DefaultGraph()))
    return out


def serialize_rdf(graph_or_dataset: Any, fmt: str, note: Callable[[str], None] | None = None) -> bytes:
    from aihkg.graph.build import bind_prefixes

    if fmt in ("nt", "turtle", "trig"):
        return serialize_quads(rdflib_quads(graph_or_dataset), fmt, note)
    bind_prefixes(graph_or_dataset)
    try:
        data = _rdflib_serialize(graph_or_dataset, fmt)
    except RecursionError:
        data, why = None, "the graph's blank nodes nest deeper than rdflib's writer can follow"
    else:
        # rdflib's JSON-LD writer drops blank nodes that only refer to each other in a cycle, with
        # no error: count what the bytes hold before trusting them.
        written, expected = _count_triples(data, fmt), len(set(_triples(graph_or_dataset)))
        why = None if written == expected else (f"rdflib's writer kept {written:,} of the graph's {expected:,} triples "
                                                  "(it drops blank nodes that refer to each other in a cycle)")
    if why is None:
        return data  # type: ignore[return-value]
    import pyoxigraph as ox

    if note:
        note(f"aihkg: note: {why}; wrote it with Oxigraph instead"
             + (" (expanded JSON-LD, no @context)" if fmt == "jsonld" else " (flat RDF/XML)"))
    triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in rdflib_quads(graph_or_dataset)},
                     key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    target = ox.RdfFormat.JSON_LD if fmt == "jsonld" else ox.RdfFormat.RDF_XML
    return ox.serialize(triples, format=target, prefixes=dict(PREFIXES))


def _rdflib_serialize(graph_or_dataset: Any, fmt: str) -> bytes:
    if fmt == "jsonld":
        context = {p: ns for p, ns in PREFIXES.items()}
        return graph_or_dataset.serialize(format="json-ld", context=context, encoding="utf-8")
    import warnings

    with warnings.catch_warnings():
        # pretty-xml warns for each list node with other statements, and then writes them anyway.
        warnings.simplefilter("ignore", UserWarning)
        return graph_or_dataset.serialize(format=RDF_FORMATS[fmt], encoding="utf-8")


def _triples(graph_or_dataset: Any) -> Any:
    import rdflib

    if isinstance(graph_or_dataset, rdflib.Dataset):
        return ((s, p, o) for s, p, o, _ in graph_or_dataset.quads((None, None, None, None)))
    return iter(graph_or_dataset)


def _count_triples(data: bytes, fmt: str) -> int:
    import pyoxigraph as ox

    source = ox.RdfFormat.JSON_LD if fmt == "jsonld" else ox.RdfFormat.RDF_XML
    return len({(q.subject, q.predicate, q.object) for q in ox.parse(data, format=source)})


def inferred_graph(graph: Any) -> Any:
    """The graph plus its OWL 2 RL closure, cached by the hash of the input triples."""
    import rdflib

    from aihkg.graph import cache
    from aihkg.graph.build import bind_prefixes

    canonical, exact = canonical_ntriples(rdflib_quads(graph))
    # Without canonical labels the bytes name this run's graph only: build, but cache nothing.
    key = hashlib.sha256(b"owlrl-v1\n" + canonical).hexdigest() if exact else None

    def build() -> bytes:
        import owlrl

        work = rdflib.Graph()
        for triple in graph:
            work.add(triple)
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, rdfs_closure=False, axiomatic_triples=False,
                               datatype_axioms=False).expand(work)
        # The closure is generalised RDF (literals as subjects); only RDF triples are exported.
        for triple in [t for t in work if isinstance(t[0], rdflib.Literal) or not isinstance(t[1], rdflib.URIRef)]:
            work.remove(triple)
        return serialize_rdf(work, "nt")

    closed = rdflib.Graph()
    bind_prefixes(closed)
    closed.parse(data=cache.cached("owlrl", key, build, suffix=".nt"), format="nt")
    return closed


def export_bytes(kg: Any, fmt: str, *, inferred: bool = False, note: Callable[[str], None] | None = None) -> bytes:
    """The graph the KnowledgeGraph's store holds, in `fmt` (`note` hears of blank nodes left without
    canonical labels)."""
    if fmt in NETWORK_FORMATS:
        from aihkg.graph.network import export_network

        if inferred:
            raise UsageProblem("--inferred applies to RDF formats, not to network exports")
        return export_network(kg, fmt)
    if fmt not in RDF_FORMATS:
        raise UsageProblem(f"unknown export format '{fmt}'")
    if inferred:
        from aihkg.graph.build import union_graph

        closed = inferred_graph(union_graph(kg.rdflib_dataset()))
        return serialize_rdf(closed, fmt, note)
    if fmt in ("nt", "turtle", "trig"):
        import pyoxigraph as ox

        return serialize_quads((ox.Quad(s, p, o, g if g is not None else ox.DefaultGraph())
                                for s, p, o, g in kg.store.triples()), fmt, note)
    from aihkg.graph.build import union_graph

    return serialize_rdf(union_graph(kg.rdflib_dataset()), fmt, note)
