"""The aihkg graph: built-in data, loading, caching, stores and exports.

Kept import-light on purpose: `aihkg query` imports this package and must not pay for rdflib.
"""

from __future__ import annotations

__version__ = "0.1.0"

ONTOLOGY_NS = "https://w3id.org/aihkg/ontology#"
DATA_NS = "https://w3id.org/aihkg/id/"
SOURCE_NS = "https://w3id.org/aihkg/source/"
ONTOLOGY_IRI = "https://w3id.org/aihkg/ontology"
GRAPH_IRI = "https://w3id.org/aihkg/graph"

PREFIXES: dict[str, str] = {
    "aihkg": ONTOLOGY_NS,
    "kg": DATA_NS,
    "src": SOURCE_NS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "https://schema.org/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "airo": "https://w3id.org/airo#",
    "sh": "http://www.w3.org/ns/shacl#",
}

# The classes whose instances are the graph's subject matter (not vocabulary, not sources).
DOMAIN_CLASSES: tuple[str, ...] = (
    "AIUse", "Impact", "Challenge", "Regulation", "Organisation", "Strategy", "Programme",
    "Funding", "Report", "Jurisdiction", "AITechnique", "AffectedGroup", "AISystem",
    "DataResource", "Event", "Person", "Statistic",
)
TOP_CLASSES: tuple[str, ...] = ("AIUse", "Impact", "Challenge", "Regulation", "Organisation")


def sparql_prefixes() -> str:
    """PREFIX lines for every namespace aihkg knows, for queries written by hand."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def compact(iri: str) -> str:
    """A CURIE for `iri` when one of our prefixes covers it, else the IRI in angle brackets."""
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best):
            best, name = ns, prefix
    if best:
        local = iri[len(best):]
        if local and all(c.isalnum() or c in "-_." for c in local) and not local.endswith("."):
            return f"{name}:{local}"
    return f"<{iri}>"


def expand(curie: str) -> str | None:
    """The IRI for a CURIE with one of our prefixes, or None."""
    prefix, sep, local = curie.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return None
