"""What an explorer shows beyond `describe` and `search`, as plain functions of a KnowledgeGraph.

The web explorer (`aihkg serve`) is a thin layer over these and over the KnowledgeGraph methods;
a notebook can call them too::

    from aihkg import KnowledgeGraph
    from aihkg.queries import explore
    kg = KnowledgeGraph()
    explore.figures(kg.describe("FundingRegulatorsFromAILab"))   # [Figure('amount', 'GBP 11,774,263.82', ...)]
    explore.closest(kg, "MHRX")                                  # names that resemble a missing one

Every value a user gives is bound through a ``VALUES`` block (queries.bind.fill), never pasted.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from aihkg.graph import DATA_NS, DOMAIN_CLASSES, ONTOLOGY_IRI, ONTOLOGY_NS, PREFIXES, SOURCE_NS, compact, expand
from aihkg.queries import bind as binding

if TYPE_CHECKING:
    from aihkg.queries.api import Description, KnowledgeGraph

AIHKG = ONTOLOGY_NS
# (number property, unit property): a figure is shown as its number with its unit.
FIGURE_PAIRS = ((AIHKG + "amount", AIHKG + "currency"), (AIHKG + "value", AIHKG + "unit"))
# Said beside a figure: what it measures and when.
FIGURE_CONTEXT = (AIHKG + "measures", AIHKG + "referenceYear", AIHKG + "year")
TERM_KINDS = {
    PREFIXES["owl"] + "Class": "class", PREFIXES["rdfs"] + "Class": "class",
    PREFIXES["owl"] + "ObjectProperty": "property", PREFIXES["owl"] + "DatatypeProperty": "property",
    PREFIXES["owl"] + "AnnotationProperty": "property", PREFIXES["rdf"] + "Property": "property",
}


@dataclass
class Figure:
    """A number with its unit, as a reader quotes it ("GBP 11,774,263.82", "31%")."""

    label: str  # the number property's label ("amount", "value")
    text: str
    context: list[str] = field(default_factory=list)  # what it measures, its year


@dataclass
class Term:
    """A class or property of the ontology, for the ontology page."""

    iri: str
    curie: str
    label: str
    kind: str  # "class" or "property"
    definition: str = ""
    parents: list[tuple[str, str]] = field(default_factory=list)  # (IRI, label)
    domain: list[tuple[str, str]] = field(default_factory=list)
    range: list[tuple[str, str]] = field(default_factory=list)
    inverse: list[tuple[str, str]] = field(default_factory=list)
    types: list[str] = field(default_factory=list)  # owl:ObjectProperty, owl:SymmetricProperty ...
    members: int = 0  # for classes: individuals of the class or a subclass


# ---------------------------------------------------------------------- an entity's RDF

_CBD = "DESCRIBE ?s WHERE { VALUES ?s { UNDEF } }"
_INCOMING = "CONSTRUCT { ?x ?p ?s } WHERE { VALUES ?s { UNDEF } ?x ?p ?s }"


def entity_triples(kg: "KnowledgeGraph", iri: str) -> list[Any]:
    """What the graph says about `iri`: its concise bounded description (the engine's DESCRIBE, with
    the blank nodes hanging off it) and every triple that points at it, sorted."""
    term = [binding.iri(iri)]
    found = {str(t): t for t in kg.store.query(binding.fill(_CBD, s=term), "graph").triples}
    for t in kg.store.query(binding.fill(_INCOMING, s=term), "graph").triples:
        found.setdefault(str(t), t)
    return [found[k] for k in sorted(found)]


def entity_query(iri: str) -> str:
    """A readable SPARQL query for everything about `iri`, in both directions (for "open in SPARQL")."""
    term = binding.term_text(binding.iri(iri))
    return ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "# Every statement about the entity, outgoing and incoming, with labels.\n"
            "SELECT ?direction ?property ?propertyLabel ?value ?valueLabel WHERE {\n"
            f"  VALUES ?entity {{ {term} }}\n"
            "  { ?entity ?property ?value BIND (\"out\" AS ?direction) }\n"
            "  UNION\n"
            "  { ?value ?property ?entity BIND (\"in\" AS ?direction) }\n"
            "  OPTIONAL { ?property rdfs:label ?propertyLabel FILTER (LANG(?propertyLabel) IN (\"en\", \"\")) }\n"
            "  OPTIONAL { ?value rdfs:label ?valueLabel FILTER (LANG(?valueLabel) IN (\"en\", \"\")) }\n"
            "}\nORDER BY ?direction ?propertyLabel ?valueLabel\n")


# ---------------------------------------------------------------------- figures


def format_number(text: str) -> str:
    """Digits grouped in thousands; a decimal keeps the places it was written with."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    return f"{number:,}"


def _with_unit(number: str, unit: str) -> str:
    if not unit:
        return number
    if unit.lower() in ("percent", "per cent", "%"):
        return f"{number}%"
    if len(unit) == 3 and unit.isalpha() and unit.isupper():  # an ISO 4217 currency code
        return f"{unit} {number}"
    return f"{number} {unit}"


def figures(desc: "Description") -> list[Figure]:
    """The entity's figures with their units and context, read off its description."""
    by_property: dict[str, tuple[str, list[str]]] = {}
    for (label, direction, prop), values in desc.relations.items():
        if direction == "out":
            by_property[prop] = (label, [text for iri, text in values if iri is None])
    context = [f"{by_property[p][0]}: {v}" for p in FIGURE_CONTEXT if p in by_property for v in by_property[p][1]]
    out = []
    for number_prop, unit_prop in FIGURE_PAIRS:
        if number_prop not in by_property:
            continue
        label, numbers = by_property[number_prop]
        units = by_property.get(unit_prop, ("", []))[1]
        for number in numbers:
            out.append(Figure(label, _with_unit(format_number(number), units[0] if units else ""), context))
    return out


def relation_groups(desc: "Description") -> list[dict[str, Any]]:
    """The description's relations as readable groups, figures and sources left to their own sections.

    Each group: ``heading`` (the relation as read from this entity: "enforces", or for a link that
    points here with no named inverse, "… established by MHRA"), ``direction``, ``property`` (IRI) and
    ``values`` [(IRI or None, text)]."""
    skip = {p for pair in FIGURE_PAIRS for p in pair} | set(FIGURE_CONTEXT)
    short = desc.alt_labels[0] if desc.alt_labels and len(desc.alt_labels[0]) < len(desc.label) else desc.label
    groups = []
    for (label, direction, prop), values in desc.relations.items():
        if direction == "out" and prop in skip:
            continue
        heading = label if direction == "out" else f"… {label} {short}"
        groups.append({"heading": heading, "direction": direction, "property": prop, "label": label,
                       "values": values})
    groups.sort(key=lambda g: (g["direction"] != "out", g["label"].lower()))
    return groups


# ---------------------------------------------------------------------- names

_NAMED_IN = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?s ?name WHERE {
  VALUES ?ns { UNDEF }
  ?s rdfs:label|skos:altLabel ?name .
  FILTER (isIRI(?s) && STRSTARTS(STR(?s), ?ns))
}"""


def closest(kg: "KnowledgeGraph", name: str, namespace: str = DATA_NS, n: int = 5) -> list[tuple[str, str]]:
    """Entities of `namespace` whose local name or label resembles `name`, best first: (IRI, label).

    For a "not found" page: spelling slips first (difflib on local names and labels), then what a
    search for the words finds."""
    wanted = name.strip()
    if not wanted:
        return []
    rows = kg.store.query(binding.fill(_NAMED_IN, ns=[binding.literal(namespace)]), "select").rows
    by_key: dict[str, str] = {}
    for s, label in rows:
        by_key.setdefault(s.value[len(namespace):].lower(), s.value)
        by_key.setdefault(label.value.lower(), s.value)
    found: list[str] = []
    for key in difflib.get_close_matches(wanted.lower(), list(by_key), n=n * 2, cutoff=0.6):
        if by_key[key] not in found:
            found.append(by_key[key])
    words = " ".join(part for part in _split_words(wanted) if len(part) > 2)
    if words and len(found) < n:
        try:
            hits = kg.search(words, limit=n * 2)
        except Exception:  # noqa: BLE001 - a suggestion must never turn a 404 into an error
            hits = []
        for hit in hits:
            if hit.iri.startswith(namespace) and hit.iri not in found:
                found.append(hit.iri)
    found = found[:n]
    labels = kg.labels(found) if found else {}
    return [(iri, labels.get(iri, compact(iri))) for iri in found]


def _split_words(text: str) -> list[str]:
    import re

    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])|[_\-./]+", " ", text)
    return spaced.split()


_MEMBERS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?s ?label WHERE {
  VALUES ?cls { UNDEF }
  ?s a/rdfs:subClassOf* ?cls .
  FILTER (isIRI(?s))
  OPTIONAL { ?s rdfs:label ?label FILTER (LANG(?label) IN ("en", "")) }
}"""


def class_members(kg: "KnowledgeGraph", cls: str, limit: int = 0) -> list[tuple[str, str]]:
    """The individuals of a class (a CURIE such as aihkg:Challenge, or an IRI) and its subclasses,
    sorted by label: (IRI, label). `limit` 0 means all."""
    cls_iri = expand(cls) or cls
    rows = kg.store.query(binding.fill(_MEMBERS, cls=[binding.iri(cls_iri)]), "select").rows
    members: dict[str, str] = {}
    for s, label in rows:
        if label is not None or s.value not in members:
            members[s.value] = label.value if label is not None else compact(s.value)
    ordered = sorted(members.items(), key=lambda item: (item[1].lower(), item[0]))
    return ordered[:limit] if limit else ordered


# ---------------------------------------------------------------------- completion vocabulary

_DECLARED_PREFIXES = """PREFIX sh: <http://www.w3.org/ns/shacl#>
PREFIX vann: <http://purl.org/vocab/vann/>
SELECT ?prefix ?ns WHERE {
  { ?d sh:prefix ?prefix ; sh:namespace ?ns }
  UNION
  { ?d vann:preferredNamespacePrefix ?prefix ; vann:preferredNamespaceUri ?ns }
}"""

_LABELLED = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?label ?type WHERE {
  ?s rdfs:label ?label .
  FILTER (isIRI(?s) && LANG(?label) IN ("en", ""))
  OPTIONAL { ?s a ?type VALUES ?type { UNDEF } }
}"""


def prefixes(kg: "KnowledgeGraph") -> dict[str, str]:
    """aihkg's prefixes plus those the graph declares itself (SHACL sh:prefix, VANN)."""
    found = dict(PREFIXES)
    for prefix, ns in kg.store.query(_DECLARED_PREFIXES, "select").rows:
        if prefix is not None and ns is not None and prefix.value not in found:
            found[prefix.value] = ns.value
    return found


def vocabulary(kg: "KnowledgeGraph", limit: int = 5000) -> dict[str, Any]:
    """What a SPARQL editor completes: the prefixes, and labelled terms as [CURIE, label, kind]
    (kind: class, property or entity), the ontology's terms first; at most `limit` terms."""
    known = prefixes(kg)
    kinds = [binding.iri(k) for k in TERM_KINDS]
    rows = kg.store.query(binding.fill(_LABELLED, type=kinds), "select").rows
    terms: dict[str, tuple[str, str, str]] = {}
    for s, label, kind in rows:
        curie = _curie(s.value, known)
        if curie is None:
            continue
        what = TERM_KINDS.get(kind.value, "entity") if kind is not None else "entity"
        previous = terms.get(curie)
        if previous is None or (previous[2] == "entity" and what != "entity"):
            terms[curie] = (curie, label.value, what)
    order = {"class": 0, "property": 1, "entity": 2}
    ranked = sorted(terms.values(), key=lambda t: (order[t[2]], t[0].lower()))
    return {"prefixes": known, "terms": [list(t) for t in ranked[:limit]], "truncated": len(ranked) > limit,
            "count": len(ranked)}


def _curie(iri: str, known: dict[str, str]) -> str | None:
    best = ""
    name = ""
    for prefix, ns in known.items():
        if iri.startswith(ns) and len(ns) > len(best):
            best, name = ns, prefix
    local = iri[len(best):] if best else ""
    if best and local and all(c.isalnum() or c in "-_." for c in local) and not local.endswith("."):
        return f"{name}:{local}"
    return None


# ---------------------------------------------------------------------- the ontology

_TERMS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?t ?type ?label ?definition ?rel ?other ?otherLabel WHERE {
  VALUES ?ns { UNDEF }
  VALUES ?type { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty owl:SymmetricProperty
                 owl:TransitiveProperty owl:FunctionalProperty }
  ?t a ?type .
  FILTER (isIRI(?t) && STRSTARTS(STR(?t), ?ns))
  OPTIONAL { ?t rdfs:label ?label FILTER (LANG(?label) IN ("en", "")) }
  OPTIONAL { ?t skos:definition|rdfs:comment ?definition FILTER (LANG(?definition) IN ("en", "")) }
  OPTIONAL {
    VALUES ?rel { rdfs:subClassOf rdfs:subPropertyOf rdfs:domain rdfs:range owl:inverseOf }
    ?t ?rel ?other FILTER (isIRI(?other))
    OPTIONAL { ?other rdfs:label ?otherLabel FILTER (LANG(?otherLabel) IN ("en", "")) }
  }
}"""

_CLASS_SIZES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?cls (COUNT(DISTINCT ?s) AS ?n) WHERE {
  VALUES ?ns { UNDEF }
  ?cls a <http://www.w3.org/2002/07/owl#Class> .
  FILTER (isIRI(?cls) && STRSTARTS(STR(?cls), ?ns))
  ?sub rdfs:subClassOf* ?cls . ?s a ?sub .
} GROUP BY ?cls"""


def ontology_terms(kg: "KnowledgeGraph", namespace: str = ONTOLOGY_NS) -> dict[str, list[Term]]:
    """The classes and properties of the ontology (or of another namespace), sorted by label."""
    ns = [binding.literal(namespace)]
    terms: dict[str, Term] = {}
    slots = {PREFIXES["rdfs"] + "subClassOf": "parents", PREFIXES["rdfs"] + "subPropertyOf": "parents",
             PREFIXES["rdfs"] + "domain": "domain", PREFIXES["rdfs"] + "range": "range",
             PREFIXES["owl"] + "inverseOf": "inverse"}
    for row in kg.store.query(binding.fill(_TERMS, ns=ns), "select").dicts():
        iri = row["t"].value
        kind = "class" if row["type"].value.endswith("#Class") else "property"
        term = terms.get(iri)
        if term is None:
            term = terms[iri] = Term(iri, compact(iri), compact(iri).split(":")[-1], kind)
        if kind == "class":
            term.kind = "class"
        type_name = compact(row["type"].value)
        if type_name not in term.types:
            term.types.append(type_name)
        if row.get("label") is not None:
            term.label = row["label"].value
        if row.get("definition") is not None and not term.definition:
            term.definition = row["definition"].value
        if row.get("rel") is not None:
            other = row["other"].value
            item = (other, row["otherLabel"].value if row.get("otherLabel") is not None else compact(other))
            bucket = getattr(term, slots[row["rel"].value])
            if item not in bucket:
                bucket.append(item)
    for cls, count in kg.store.query(binding.fill(_CLASS_SIZES, ns=ns), "select").rows:
        if cls.value in terms:
            terms[cls.value].members = int(count.value)
    ordered = sorted(terms.values(), key=lambda t: (t.label.lower(), t.iri))
    return {"classes": [t for t in ordered if t.kind == "class"],
            "properties": [t for t in ordered if t.kind == "property"]}


_ONTOLOGY_RDF = """PREFIX owl: <http://www.w3.org/2002/07/owl#>
DESCRIBE ?t WHERE {
  VALUES ?ns { UNDEF }
  VALUES ?doc { UNDEF }
  ?t ?p ?o .
  FILTER (isIRI(?t) && (STRSTARTS(STR(?t), ?ns) || ?t = ?doc))
}"""


def ontology_triples(kg: "KnowledgeGraph") -> list[Any]:
    """The ontology as the store holds it: every term of the aihkg namespace and the ontology's own
    description (with the blank nodes of its restrictions), sorted."""
    text = binding.fill(_ONTOLOGY_RDF, ns=[binding.literal(ONTOLOGY_NS)], doc=[binding.iri(ONTOLOGY_IRI)])
    found = {str(t): t for t in kg.store.query(text, "graph").triples}
    return [found[k] for k in sorted(found)]


# ---------------------------------------------------------------------- the whole graph

_TOP_COUNTS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?top (COUNT(DISTINCT ?s) AS ?n) WHERE {
  VALUES ?top { UNDEF }
  ?cls rdfs:subClassOf* ?top . ?s a ?cls .
} GROUP BY ?top"""


def summary(kg: "KnowledgeGraph", classes: Sequence[str] = DOMAIN_CLASSES) -> dict[str, Any]:
    """How big the graph is: triples, and individuals per top class (most first)."""
    tops = [binding.iri(ONTOLOGY_NS + c) for c in classes]
    counts = {row[0].value[len(ONTOLOGY_NS):]: int(row[1].value)
              for row in kg.store.query(binding.fill(_TOP_COUNTS, top=tops), "select").rows}
    labels = kg.labels([ONTOLOGY_NS + c for c in counts])
    per_class = sorted(((c, labels.get(ONTOLOGY_NS + c, c), n) for c, n in counts.items() if n),
                       key=lambda item: (-item[2], item[0]))
    return {"triples": kg.store.size(), "store": kg.store.name, "classes": per_class}


def local_name(iri: str) -> tuple[str, str] | None:
    """("id", name) or ("source", name) for an IRI of aihkg's data or source namespaces, else None."""
    for kind, ns in (("id", DATA_NS), ("source", SOURCE_NS)):
        if iri.startswith(ns) and len(iri) > len(ns):
            rest = iri[len(ns):]
            if "/" not in rest and "#" not in rest and "?" not in rest:
                return kind, rest
    return None
