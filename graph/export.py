"""Serialising the whole graph: RDF formats (rdflib), network formats (graph.network).

RDF output is deterministic, so an export diffs cleanly in git: N-Triples lines are sorted and
Turtle uses rdflib's ``longturtle`` writer, which orders subjects and predicates.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from graph import PREFIXES
from graph.errors import UsageProblem

RDF_FORMATS = {"turtle": "longturtle", "nt": "nt", "jsonld": "json-ld", "xml": "pretty-xml", "trig": "trig"}
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


def serialize_rdf(graph_or_dataset: Any, fmt: str) -> bytes:
    from graph.build import bind_prefixes

    bind_prefixes(graph_or_dataset)
    if fmt == "nt":
        data = graph_or_dataset.serialize(format="nt", encoding="utf-8")
        return b"".join(sorted(set(data.splitlines(keepends=True))))
    if fmt == "jsonld":
        context = {p: ns for p, ns in PREFIXES.items()}
        return graph_or_dataset.serialize(format="json-ld", context=context, encoding="utf-8")
    return graph_or_dataset.serialize(format=RDF_FORMATS[fmt], encoding="utf-8")


def inferred_graph(graph: Any) -> Any:
    """The graph plus its OWL 2 RL closure, cached by the hash of the input triples."""
    import rdflib

    from graph import cache
    from graph.build import bind_prefixes

    canonical = serialize_rdf(graph, "nt")
    key = hashlib.sha256(b"owlrl-v1\n" + canonical).hexdigest()

    def build() -> bytes:
        import owlrl

        work = rdflib.Graph()
        for triple in graph:
            work.add(triple)
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, rdfs_closure=False, axiomatic_triples=False,
                               datatype_axioms=False).expand(work)
        return serialize_rdf(work, "nt")

    closed = rdflib.Graph()
    bind_prefixes(closed)
    closed.parse(data=cache.cached("owlrl", key, build, suffix=".nt"), format="nt")
    return closed


def export_bytes(kg: Any, fmt: str, *, inferred: bool = False) -> bytes:
    """The graph the KnowledgeGraph's store holds, in `fmt`."""
    if fmt in NETWORK_FORMATS:
        from graph.network import export_network

        if inferred:
            raise UsageProblem("--inferred applies to RDF formats, not to network exports")
        return export_network(kg, fmt)
    if fmt not in RDF_FORMATS:
        raise UsageProblem(f"unknown export format '{fmt}'")
    dataset = kg.rdflib_dataset()
    if inferred:
        from graph.build import union_graph

        closed = inferred_graph(union_graph(dataset))
        return serialize_rdf(closed, fmt)
    if fmt == "trig":
        return serialize_rdf(dataset, fmt)
    from graph.build import union_graph

    return serialize_rdf(union_graph(dataset), fmt)
