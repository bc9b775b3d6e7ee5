"""What changed between two versions of a graph, grouped by entity: text, Markdown, JSON, RDF Patch.

The model, after ROBOT's `diff` (whose Markdown report groups axioms by the entity they are about)
and the "minimum self-contained graph" decomposition of RDF diffs (Tummarello et al., RDFSync):

- A statement without blank nodes is compared as it is: the two graphs are turned into sets of
  N-Triples lines and subtracted, in C, before anything else is looked at.
- Statements with blank nodes form *blank-node structures*: the statements joined by shared blank
  nodes (an OWL list with the statement that points to it; a reified statement; an OWL
  restriction). A structure is compared whole, after RDF Dataset Canonicalization (RDFC-1.0) of
  that structure alone, so blank-node labels never matter and no graph is ever matched against
  another (no exponential isomorphism search; rdflib's ``compare.graph_diff`` canonicalises both
  whole graphs). A changed structure is one removed and one added.
- Each change is reported under the named entity it is about: the subject of a statement; for a
  structure, the named subject that reaches it (``kg:X owl:unionOf ( ... )``), else the named
  resource it annotates (``rdf:subject``, ``owl:annotatedSource``, ``owl:sourceIndividual``), else
  the structure is anonymous and named by its root blank node.

Named graphs are merged: a graph is the set of triples that queries see (the store's default
graph is the union of what was loaded).

Canonicalisation is exponential on some graphs (large symmetric blank-node structures). A
structure whose blank nodes RDFC-1.0 cannot tell apart at first sight is canonicalised in a child
process with a time limit, and refused with a one-line error when it runs out, so a diff always
ends in bounded time (:func:`canonical_structures` is the one place this module canonicalises).
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any, Union

from aihkg.graph import PREFIXES, compact
from aihkg.graph.errors import DataProblem, UsageProblem

if TYPE_CHECKING:
    from aihkg.graph.stores import Store
    from aihkg.queries.api import KnowledgeGraph

RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
OWL = PREFIXES["owl"]
SKOS = PREFIXES["skos"]
RDF_FIRST, RDF_REST, RDF_NIL = RDF + "first", RDF + "rest", RDF + "nil"
# A blank node these properties hang off is about their (named) value: a reified statement, an
# OWL axiom annotation, an OWL negative property assertion.
ANCHORS = (RDF + "subject", OWL + "annotatedSource", OWL + "sourceIndividual")
LABEL_PROPERTIES = (RDFS + "label", SKOS + "prefLabel")
# Readable names for the few vocabulary terms the ontology itself does not label.
VOCABULARY_LABELS = {
    RDF + "type": "type", RDFS + "label": "label", RDFS + "comment": "comment",
    RDFS + "subClassOf": "subclass of", RDFS + "subPropertyOf": "subproperty of",
    RDFS + "domain": "domain", RDFS + "range": "range", RDFS + "seeAlso": "see also",
    RDF + "subject": "subject", RDF + "predicate": "predicate", RDF + "object": "object",
    SKOS + "prefLabel": "preferred label", OWL + "sameAs": "same as", OWL + "inverseOf": "inverse of",
}
CHUNK = 100_000
# A structure whose blank nodes RDFC-1.0 cannot tell apart by their own statements is canonicalised
# in a child process when more than this many of them are linked to each other (measured: a
# 6-clique takes 0.03 s, an 8-clique 5 s, a ring of 300 indistinguishable nodes 7 s).
IN_PROCESS_SYMMETRY = 4
FORMATS = ("text", "md", "json", "patch")
# Blank nodes nested deeper than this are continued in a group of their own (see _Writer).
MAX_DEPTH = 32

Source = Union[str, "os.PathLike[str]", "KnowledgeGraph", "Store", Iterable[Any]]


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class Blank:
    """A blank node, written where a statement reaches it.

    ``statements`` are the blank node's own statements (``None`` when they were already written
    at its first mention: a node reached twice, or a cycle). ``label`` is stable: see
    :func:`structure_labels`.
    """

    label: str
    statements: tuple[Statement, ...] | None = None


@dataclass(frozen=True)
class RdfList:
    """A well-formed RDF collection (rdf:first / rdf:rest down to rdf:nil), written as its items."""

    items: tuple[Value, ...]


Value = str | Blank | RdfList


@dataclass(frozen=True)
class Statement:
    """One statement about an entity: ``property`` (an IRI) and ``value``.

    A value is an IRI (the IRI itself), a literal (its N-Triples form: ``"29"^^<...#decimal>``,
    ``"text"@en``, ``"plain"``), a :class:`Blank` or an :class:`RdfList`. A property written
    ``^IRI`` is read backwards: the *value* has that property, pointing at the entity (a
    reified statement is ``^rdf:subject`` of the resource it is about).
    """

    property: str
    value: Value


@dataclass
class EntityChange:
    """What changed about one entity: ``change`` is "added", "removed" or "changed"."""

    entity: str
    label: str
    change: str
    added: list[Statement] = field(default_factory=list)
    removed: list[Statement] = field(default_factory=list)
    continues: str | None = None  # for a blank node nested too deep: the entity it belongs to

    def as_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "label": self.label, "change": self.change,
                "added": [statement_json(s) for s in self.added],
                "removed": [statement_json(s) for s in self.removed]}


@dataclass
class GraphDiff:
    """Two graphs compared: the changed entities, and the changed triples (for RDF Patch)."""

    old: str
    new: str
    old_triples: int
    new_triples: int
    entities: list[EntityChange]
    added_lines: list[bytes]  # N-Triples lines, blank nodes labelled as structure_labels() does
    removed_lines: list[bytes]
    labels: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added_lines or self.removed_lines)

    @property
    def summary(self) -> dict[str, int]:
        count = {c: sum(1 for e in self.entities if e.change == c and e.continues is None)
                 for c in ("added", "removed", "changed")}
        return {**count, "statements added": len(self.added_lines), "statements removed": len(self.removed_lines)}

    def rows(self) -> list[dict[str, Any]]:
        """One dict per changed entity, as ``--format json`` writes them."""
        return [e.as_dict() for e in self.entities]

    def dataframe(self) -> Any:
        """One row per statement added or removed, as a pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise UsageProblem("dataframe() needs pandas: pip install pandas") from None
        columns = ["entity", "label", "change", "statement", "property", "property_label", "value", "value_label"]
        rows = [(e.entity, e.label, e.change, op, s.property, self._name(s.property.lstrip("^")),
                 value_json(s.value), self._value_text(s.value))
                for e in self.entities for op, group in (("removed", e.removed), ("added", e.added)) for s in group]
        return pd.DataFrame(rows, columns=columns)

    def render(self, fmt: str) -> str:
        if fmt == "text":
            return self.text()
        if fmt == "md":
            return self.markdown()
        if fmt == "json":
            return self.json()
        if fmt == "patch":
            return self.patch()
        raise UsageProblem(f"unknown diff format '{fmt}' (use one of: {', '.join(FORMATS)})")

    def json(self) -> str:
        return json.dumps(self.rows(), indent=2, ensure_ascii=False) + "\n"

    def patch(self) -> str:
        """RDF Patch (https://afs.github.io/rdf-patch/) that turns OLD into NEW: D rows, then A rows.

        The id is derived from the changes, so the same change always gets the same patch. Blank
        nodes are named as :func:`structure_labels` names them in OLD (D rows) and NEW (A rows).
        """
        body = [b"D " + line for line in self.removed_lines] + [b"A " + line for line in self.added_lines]
        digest = hashlib.sha256(b"\n".join(body)).hexdigest()
        patch_id = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:sha256:{digest}")
        head = [f"H id <urn:uuid:{patch_id}> .", "TX ."]
        return "\n".join(head + [row.decode("utf-8") for row in body] + ["TC ."]) + "\n"

    # ------------------------------------------------------------------ for people

    def _name(self, iri: str) -> str:
        return _plain(self.labels.get(iri) or VOCABULARY_LABELS.get(iri) or compact(iri))

    def _iri_text(self, iri: str) -> str:
        label = self.labels.get(iri)
        return f"{_plain(label)}  ({compact(iri)})" if label else compact(iri)

    def _value_text(self, value: Value) -> str:
        if isinstance(value, RdfList):
            return "( " + ", ".join(self._value_text(v) for v in value.items) + " )" if value.items else "( )"
        if isinstance(value, Blank):
            if value.statements is None:
                return value.label
            inner = " ; ".join(f"{self._property_text(s.property)}: {self._value_text(s.value)}"
                               for s in value.statements)
            return f"[ {inner} ]"
        if value.startswith('"'):
            return _literal_text(value)
        return self._iri_text(value)

    def _property_text(self, prop: str) -> str:
        if prop.startswith("^"):
            return f"is {self._name(prop[1:])} of"
        return self._name(prop)

    def _heading(self) -> list[str]:
        s = self.summary
        return [f"old: {self.old} ({self.old_triples:,} triples)",
                f"new: {self.new} ({self.new_triples:,} triples)",
                f"{_count(s['added'], 'entity', 'entities')} added, {s['removed']:,} removed, "
                f"{s['changed']:,} changed; {_count(s['statements added'], 'statement')} added, "
                f"{s['statements removed']:,} removed"]

    def text(self) -> str:
        if not self:
            return (f"no differences: {self.old} and {self.new} hold the same graph "
                    f"({self.new_triples:,} triples)\n")
        lines = self._heading()
        for e in self.entities:
            lines.append("")
            lines.append(f"{e.change}: {self._entity_text(e)}")
            lines.extend(f"  - {self._property_text(s.property)}: {self._value_text(s.value)}" for s in e.removed)
            lines.extend(f"  + {self._property_text(s.property)}: {self._value_text(s.value)}" for s in e.added)
        return "\n".join(lines) + "\n"

    def _entity_text(self, e: EntityChange) -> str:
        if e.entity.startswith("_:") or e.label == compact(e.entity):
            return _plain(e.label)
        return f"{_plain(e.label)}  ({compact(e.entity)})"

    def markdown(self) -> str:
        s = self.summary
        out = ["# Graph comparison", "",
               "## Old", f"- Loaded from: {_md_code(self.old)}", f"- Triples: {self.old_triples:,}", "",
               "## New", f"- Loaded from: {_md_code(self.new)}", f"- Triples: {self.new_triples:,}", "",
               "## Summary"]
        if not self:
            out.append("- No differences: both hold the same graph.")
            return "\n".join(out) + "\n"
        out += [f"- Entities: {s['added']:,} added, {s['removed']:,} removed, {s['changed']:,} changed",
                f"- Statements: {s['statements added']:,} added, {s['statements removed']:,} removed"]
        for e in self.entities:
            curie = compact(e.entity)
            title = _md_escape(e.label) if e.entity.startswith("_:") else self._md_iri(e.entity, e.label) + (
                "" if curie.startswith("<") else " " + _md_code(curie))
            out += ["", f"### {title} ({e.change})"]
            for heading, group in (("Removed", e.removed), ("Added", e.added)):
                if group:
                    out += [f"#### {heading}"]
                    out += [f"- {self._md_property(st.property)} {self._md_value(st.value)}" for st in group]
        return "\n".join(out) + "\n"

    def _md_iri(self, iri: str, label: str | None = None) -> str:
        name = label or self._name(iri)
        return f"<{iri}>" if name == f"<{iri}>" else f"[{_md_escape(name)}](<{iri}>)"

    def _md_property(self, prop: str) -> str:
        if prop.startswith("^"):
            return f"is {self._md_iri(prop[1:])} of"
        return self._md_iri(prop)

    def _md_value(self, value: Value) -> str:
        if isinstance(value, RdfList):
            return "( " + " ".join(self._md_value(v) for v in value.items) + " )"
        if isinstance(value, Blank):
            if value.statements is None:
                return _md_code(value.label)
            inner = " ; ".join(f"{self._md_property(s.property)} {self._md_value(s.value)}" for s in value.statements)
            return f"\\[ {inner} \\]"
        if value.startswith('"'):
            return _md_code(_literal_text(value))
        return self._md_iri(value)


def statement_json(s: Statement) -> list[Any]:
    return [s.property, value_json(s.value)]


def value_json(value: Value) -> Any:
    """A value as JSON: a string (IRI or N-Triples literal), or an object for a blank node or list."""
    if isinstance(value, RdfList):
        return {"list": [value_json(v) for v in value.items]}
    if isinstance(value, Blank):
        if value.statements is None:
            return {"bnode": value.label}
        return {"bnode": value.label, "statements": [statement_json(s) for s in value.statements]}
    return value


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _literal_text(nt: str) -> str:
    """A literal in N-Triples form, with its datatype compacted (``"2021"^^xsd:gYear``)."""
    if nt.endswith(">") and '"^^<' in nt:
        lexical, _, datatype = nt.rpartition("^^<")
        return f"{lexical}^^{compact(datatype[:-1])}"
    return nt


def _plain(text: str) -> str:
    """A label from the data on one line, with any other control character shown as an escape
    (so a label cannot break a report's lines or send terminal escape sequences)."""
    text = " ".join(text.split())
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _md_escape(text: str) -> str:
    return "".join("\\" + c if c in "\\`*_[]<>#|!" else c for c in _plain(text))


def _md_code(text: str) -> str:
    text = " ".join(text.split())
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# --------------------------------------------------------------------------- reading a graph


@dataclass
class _Side:
    """One graph, read once: what the comparison needs of it, gathered in a single pass."""

    name: str
    ground: set[bytes] = field(default_factory=set)  # statements without blank nodes, as N-Triples lines
    blank: list[Any] = field(default_factory=list)  # distinct statements with a blank node (pyoxigraph terms)
    labels: list[Any] = field(default_factory=list)  # rdfs:label and skos:prefLabel statements about IRIs
    subjects: set[Any] = field(default_factory=set)  # every subject term

    @property
    def size(self) -> int:
        return len(self.ground) + len(self.blank)


def _ntriples(chunk: Sequence[Any]) -> bytes:
    import pyoxigraph as ox

    try:
        return ox.serialize(chunk, format=ox.RdfFormat.N_TRIPLES)
    except ValueError:  # quads in named graphs: the graph is their union
        return ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in chunk],
                            format=ox.RdfFormat.N_TRIPLES)


def _gather(name: str, items: Iterable[Any]) -> _Side:
    """Read pyoxigraph quads or triples a chunk at a time (bounded memory): Oxigraph writes each
    chunk as N-Triples lines, and one pass over the terms picks out what needs more than a line."""
    import pyoxigraph as ox

    blank_node = ox.BlankNode
    label, pref = (ox.NamedNode(p) for p in LABEL_PROPERTIES)
    side = _Side(name)
    blank: dict[bytes, Any] = {}  # N-Triples line -> the statement (the line tells duplicates apart)
    subject_seen = side.subjects.add
    it = iter(items)
    with _collector_paused():
        while chunk := list(islice(it, CHUNK)):
            lines = _ntriples(chunk).splitlines()  # one line per statement, in order
            side.ground.update(lines)
            for q, line in zip(chunk, lines, strict=True):
                s, o = q.subject, q.object
                subject_seen(s)
                if type(s) is blank_node or type(o) is blank_node:
                    blank[line] = q
                elif q.predicate == label or q.predicate == pref:
                    side.labels.append(q)
    if blank:
        side.blank = list(blank.values())
        side.ground -= blank.keys()
    return side


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while millions of acyclic term objects are made
    (it would scan them again and again; measured 10-20 % of reading a 10^6-triple file)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _store_items(store: Store) -> Iterable[Any]:
    import pyoxigraph as ox

    from aihkg.graph.stores import OxigraphStore

    if isinstance(store, OxigraphStore) and store.store is not None and not getattr(store, "_union", False):
        # A store aihkg built keeps every triple in its default graph (named-graph quads are
        # copied into it), which is what queries read.
        return store.store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    return (ox.Triple(s, p, o) for s, p, o, _ in store.triples())


def _read(source: Source, *, data_format: str | None, allow_remote: bool, kg: KnowledgeGraph | None) -> _Side:
    from aihkg.graph.stores import Store

    if isinstance(source, (str, os.PathLike)):
        location = os.fspath(source)
        if location == "-":
            if kg is None:
                from aihkg.queries.api import KnowledgeGraph

                kg = KnowledgeGraph()
            return _gather(f"the {kg.store.name} store", _store_items(kg.store))
        from aihkg.graph.files import iter_rdf

        return _gather(location, iter_rdf(location, format_override=data_format, allow_remote=allow_remote))
    if isinstance(source, Store):
        return _gather(f"the {source.name} store", _store_items(source))
    if type(source).__name__ == "KnowledgeGraph":
        return _gather(f"the {source.store.name} store", _store_items(source.store))  # type: ignore[union-attr]
    if isinstance(source, Iterable):
        return _gather("(triples)", source)
    raise UsageProblem(f"cannot compare {type(source).__name__}: give a file, '-', a KnowledgeGraph or triples")


def _parse_lines(lines: Iterable[bytes]) -> list[Any]:
    import pyoxigraph as ox

    data = b"\n".join(lines)
    return [ox.Triple(q.subject, q.predicate, q.object)
            for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)] if data else []


# --------------------------------------------------------------------------- blank-node structures


@dataclass
class _Structure:
    """Statements joined by shared blank nodes, in canonical form."""

    canonical: list[bytes]  # sorted N-Triples lines, blank nodes labelled c14n0, c14n1 ...
    digest: str = ""

    def __post_init__(self) -> None:
        self.digest = hashlib.sha256(b"\n".join(self.canonical)).hexdigest()[:12]


def _structures(triples: list[Any]) -> list[list[Any]]:
    """Group statements with blank nodes into structures: those joined by a shared blank node."""
    import pyoxigraph as ox

    from aihkg.graph.disjoint import DisjointSets

    sets = DisjointSets()
    keys = []
    for t in triples:
        s, o = t.subject, t.object
        if isinstance(s, ox.BlankNode):
            key = s.value
            if isinstance(o, ox.BlankNode):
                sets.union(o.value, key)
        else:
            key = o.value
        keys.append(key)
    groups: dict[str, list[Any]] = defaultdict(list)
    for key, t in zip(keys, triples, strict=True):
        groups[sets.find(key)].append(t)
    return list(groups.values())


def _blank_nodes(triples: Sequence[Any]) -> list[Any]:
    """The distinct blank nodes of some triples (told apart by label: cheaper than hashing terms)."""
    import pyoxigraph as ox

    blank = ox.BlankNode
    seen: dict[str, Any] = {}
    for t in triples:
        s, o = t.subject, t.object
        if type(s) is blank:
            seen.setdefault(s.value, s)
        if type(o) is blank:
            seen.setdefault(o.value, o)
    return list(seen.values())


def _needs_isolation(triples: Sequence[Any], nodes: Sequence[Any]) -> bool:
    """Whether RDFC-1.0 might take exponential time: more than IN_PROCESS_SYMMETRY blank nodes
    that their own statements do not tell apart (equal first-degree hashes) are linked together.

    Blank nodes with a unique first-degree hash are named first and never searched, so only the
    others, and only those linked to each other, can make the search blow up.
    """
    if len(nodes) <= IN_PROCESS_SYMMETRY:
        return False
    import pyoxigraph as ox

    def term(x: Any, me: Any) -> str:
        if isinstance(x, ox.BlankNode):
            return "_:a" if x == me else "_:z"
        return str(x)

    first_degree: dict[Any, list[str]] = defaultdict(list)
    for t in triples:
        for node in {t.subject, t.object}:
            if isinstance(node, ox.BlankNode):
                first_degree[node].append(f"{term(t.subject, node)} {t.predicate} {term(t.object, node)}")
    hashes = {n: "\n".join(sorted(v)) for n, v in first_degree.items()}
    count: dict[str, int] = defaultdict(int)
    for h in hashes.values():
        count[h] += 1
    alike = {n for n, h in hashes.items() if count[h] > 1}
    if len(alike) <= IN_PROCESS_SYMMETRY:
        return False
    from aihkg.graph.disjoint import DisjointSets

    sets = DisjointSets()
    for t in triples:
        if t.subject in alike and t.object in alike:
            sets.union(t.subject.value, t.object.value)
    sizes: dict[str, int] = defaultdict(int)
    for n in alike:
        sizes[sets.find(n.value)] += 1
    return max(sizes.values()) > IN_PROCESS_SYMMETRY


def _canonical_in_process(triples: Sequence[Any]) -> list[bytes]:
    import pyoxigraph as ox

    nodes = _blank_nodes(triples)
    if len(nodes) == 1:  # one blank node: any name is canonical; RDFC-1.0 would also call it c14n0
        only, named = nodes[0], ox.BlankNode("c14n0")
        renamed = [ox.Triple(named if t.subject == only else t.subject, t.predicate,
                             named if t.object == only else t.object) for t in triples]
        return sorted(_ntriples(renamed).splitlines())
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).splitlines())


class CanonicalisationTimeout(DataProblem):
    """Blank-node structures that could not be canonicalised within the time allowed."""

    def __init__(self, structure: Sequence[Any], seconds: float, *, isolated: bool, done: int = 0,
                 memory: bool = False) -> None:
        super().__init__(f"blank nodes not canonicalised within {seconds:.1f} s")
        self.structure = structure  # the one being canonicalised when time (or memory) ran out
        self.seconds = seconds
        self.isolated = isolated  # True: a structure alone used it all up, in the child process
        self.done = done
        self.memory = memory  # True: it ran out of memory (CHILD_MEMORY), not time


def canonical_structures(structures: Sequence[Sequence[Any]], *, deadline: float | None) -> list[list[bytes]]:
    """The RDFC-1.0 canonical N-Triples lines (sorted) of each structure, canonicalised on its own.

    The one place this module canonicalises. Structures that might take exponential time (see
    `_needs_isolation`) go to one child process, stopped at `deadline` (a time.monotonic() value;
    None: no limit); the others are canonicalised here, and time is checked between them. When
    it runs out, CanonicalisationTimeout names the structure being worked on.
    """
    import pyoxigraph as ox

    started = time.monotonic()
    out: list[list[bytes] | None] = [None] * len(structures)
    risky: list[int] = []
    # One blank node (a reified statement, a restriction, an annotation): any name is canonical,
    # and RDFC-1.0 would call it c14n0 too; these are renamed and written in one batch.
    single, blank = ox.BlankNode("c14n0"), ox.BlankNode
    singles: list[tuple[int, int]] = []
    batch: list[Any] = []
    for i, triples in enumerate(structures):
        if deadline is not None and time.monotonic() > deadline:
            raise CanonicalisationTimeout(triples, deadline - started, isolated=False, done=i)
        nodes = _blank_nodes(triples)
        if len(nodes) == 1:  # so every blank node in it is that one: no need to compare terms
            batch.extend(ox.Triple(single if type(t.subject) is blank else t.subject, t.predicate,
                                   single if type(t.object) is blank else t.object) for t in triples)
            singles.append((i, len(triples)))
        elif _needs_isolation(triples, nodes):
            risky.append(i)
        else:
            out[i] = _canonical_in_process(triples)
    if batch:
        lines = _ntriples(batch).splitlines()
        at = 0
        for i, count in singles:
            out[i] = sorted(lines[at:at + count])
            at += count
    if risky:
        seconds = None if deadline is None else max(deadline - time.monotonic(), 0.1)
        try:
            forms = _canonical_in_child([structures[i] for i in risky], seconds)
        except CanonicalisationTimeout as exc:
            raise CanonicalisationTimeout(structures[risky[exc.done]], deadline - started if deadline else 0.0,
                                          isolated=True, memory=exc.memory) from None
        for i, lines in zip(risky, forms, strict=True):
            out[i] = lines
    return out  # type: ignore[return-value]


# The child that canonicalises structures RDFC-1.0 may take exponential time or memory on: it
# imports nothing of aihkg, runs isolated (-I) under an address-space limit, and writes one JSON
# line per structure, so the parent knows how far it got if it has to stop it.
CHILD_MEMORY = 1024**3
_CHILD = """
import json, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_AS)
cap = int(sys.argv[1])
cap = cap if soft == resource.RLIM_INFINITY else min(soft, cap)
resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
import pyoxigraph as ox
for text in json.loads(sys.stdin.buffer.read()):
    dataset = ox.Dataset(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    lines = sorted(ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).decode("utf-8").splitlines())
    sys.stdout.write(json.dumps(lines) + "\\n")
    sys.stdout.flush()
"""


def _canonical_in_child(structures: Sequence[Sequence[Any]], seconds: float | None) -> list[list[bytes]]:
    """What _canonical_in_process gives for each structure, from the child, within `seconds`."""
    payload = json.dumps([_ntriples(list(s)).decode("utf-8") for s in structures]).encode("utf-8")
    try:
        proc = subprocess.Popen([sys.executable, "-I", "-c", _CHILD, str(CHILD_MEMORY)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise DataProblem(f"canonicalising blank nodes needs a child process, and none could start ({exc})") from None
    try:
        out, err = proc.communicate(payload, timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise CanonicalisationTimeout((), seconds or 0.0, isolated=True, done=out.count(b"\n")) from None
    if proc.returncode != 0:
        if b"memory allocation" in err or b"MemoryError" in err:
            raise CanonicalisationTimeout((), seconds or 0.0, isolated=True, done=out.count(b"\n"),
                                          memory=True) from None
        tail = err.decode("utf-8", "replace").strip().splitlines()
        raise DataProblem(f"canonicalising blank nodes failed ({tail[-1] if tail else f'exit {proc.returncode}'})")
    return [[line.encode("utf-8") for line in json.loads(row)] for row in out.splitlines()]


def structure_labels(canonical: list[bytes], digest: str, copy: int) -> list[Any]:
    """The structure's triples with its blank nodes named for good: ``b<digest>_<n>`` (``_<copy>``
    inserted for the second and later isomorphic copies in one graph).

    The name depends only on the structure itself (its canonical form's SHA-256), not on the rest
    of the graph, so a structure keeps its blank-node names from one version of a graph to the
    next; an RDF Patch's D rows name OLD's blank nodes so.
    """
    import pyoxigraph as ox

    stem = f"b{digest}_" + (f"{copy}_" if copy else "")
    names: dict[Any, Any] = {}

    def rename(term: Any) -> Any:
        if isinstance(term, ox.BlankNode):
            if term not in names:
                names[term] = ox.BlankNode(stem + term.value.removeprefix("c14n"))
            return names[term]
        return term

    return [ox.Triple(rename(t.subject), t.predicate, rename(t.object)) for t in _parse_lines(canonical)]


# --------------------------------------------------------------------------- attributing and writing


def _term_json(term: Any) -> str:
    """An IRI as itself, a literal in N-Triples form (xsd:string literals without their datatype)."""
    kind = type(term).__name__
    if kind == "NamedNode":
        return term.value
    if kind == "BlankNode":
        return f"_:{term.value}"
    return str(term)


class _Writer:
    """Writes one structure's triples as statements about the entity it belongs to.

    Blank nodes are written nested where a statement reaches them, each once; nesting stops at
    MAX_DEPTH levels, where a blank node is written as a reference and its own statements
    continue in a group of their own (so no report, JSON or text, nests without bound).
    """

    def __init__(self, triples: list[Any]) -> None:
        self.out: dict[Any, list[Any]] = defaultdict(list)
        self.into: dict[Any, list[Any]] = defaultdict(list)
        for t in triples:
            self.out[t.subject].append(t)
            self.into[t.object].append(t)
        self.triples = triples
        self.done: set[Any] = set()
        self.visited: set[Any] = set()
        self.pending: list[Any] = []

    def anchor(self) -> tuple[str, Any]:
        """The entity the structure belongs to (an IRI, or "_:root" when anonymous), and how it
        is reached: the named subject, the anchoring triple, or the root blank node."""
        import pyoxigraph as ox

        named = min((t.subject.value for t in self.triples if isinstance(t.subject, ox.NamedNode)), default=None)
        if named is not None:
            return named, ox.NamedNode(named)
        anchored = min(((t.object.value, t.predicate.value, str(t.subject), t) for t in self.triples
                        if t.predicate.value in ANCHORS and isinstance(t.object, ox.NamedNode)), default=None)
        if anchored is not None:
            return anchored[0], anchored[3]
        nodes = _blank_nodes(self.triples)
        roots = [n for n in nodes if not self.into.get(n)] or nodes
        root = min(roots, key=lambda n: n.value)
        return f"_:{root.value}", root

    def groups(self) -> list[tuple[str, list[Statement]]]:
        """(entity, statements) for the structure: its entity, then any blank nodes continued."""
        import pyoxigraph as ox

        entity, start = self.anchor()
        if isinstance(start, ox.Triple):
            self.done.add(start)
            first = [Statement("^" + start.predicate.value, self._value(start.subject, start, 1))]
        else:
            if isinstance(start, ox.BlankNode):
                self.visited.add(start)
            first = self._edges(start, 0)
        out = [(entity, first)]
        while self.pending:
            node = self.pending.pop(0)
            out.append((f"_:{node.value}", self._edges(node, 0)))
        return out

    def _edges(self, node: Any, depth: int) -> list[Statement]:
        found = []
        for t in self.out.get(node, ()):
            if t not in self.done:
                self.done.add(t)
                found.append(Statement(t.predicate.value, self._value(t.object, t, depth + 1)))
        for t in self.into.get(node, ()):
            if t not in self.done:
                self.done.add(t)
                found.append(Statement("^" + t.predicate.value, self._value(t.subject, t, depth + 1)))
        return sorted(found, key=_statement_key)

    def _value(self, term: Any, via: Any, depth: int) -> Value:
        if type(term).__name__ != "BlankNode":
            return _term_json(term)
        if term in self.visited:
            return Blank(f"_:{term.value}")
        if depth > MAX_DEPTH:
            self.visited.add(term)
            self.pending.append(term)
            return Blank(f"_:{term.value}")
        items = self._list(term, via, depth)
        if items is not None:
            return RdfList(tuple(items))
        self.visited.add(term)
        return Blank(f"_:{term.value}", tuple(self._edges(term, depth)))

    def _list(self, head: Any, via: Any, depth: int) -> list[Value] | None:
        """The items of a well-formed list starting at `head` (reached by `via` only), else None."""
        import pyoxigraph as ox

        chain: list[Any] = []
        seen: set[Any] = set()
        node, arrived = head, via
        while not (isinstance(node, ox.NamedNode) and node.value == RDF_NIL):
            if not isinstance(node, ox.BlankNode) or node in self.visited or node in seen:
                return None
            out = self.out.get(node, [])
            if sorted(t.predicate.value for t in out) != [RDF_FIRST, RDF_REST] or self.into.get(node) != [arrived]:
                return None
            chain.append(node)
            seen.add(node)
            arrived = next(t for t in out if t.predicate.value == RDF_REST)
            node = arrived.object
        self.visited.update(chain)
        for node in chain:
            self.done.update(self.out[node])
        items = []
        for node in chain:
            first = next(t for t in self.out[node] if t.predicate.value == RDF_FIRST)
            items.append(self._value(first.object, first, depth + 1))
        return items


def _statement_key(s: Statement) -> tuple[int, str, str]:
    """Type first, then label, then by property IRI and value: the same order in every format."""
    rank = 0 if s.property == RDF + "type" else 1 if s.property in LABEL_PROPERTIES else 2
    return (rank, s.property, json.dumps(value_json(s.value), sort_keys=True))


def _collect_iris(statements: Iterable[Statement], into: set[str]) -> None:
    for s in statements:
        into.add(s.property.lstrip("^"))
        _collect_value(s.value, into)


def _collect_value(value: Value, into: set[str]) -> None:
    if isinstance(value, RdfList):
        for v in value.items:
            _collect_value(v, into)
    elif isinstance(value, Blank):
        _collect_iris(value.statements or (), into)
    elif not value.startswith('"'):
        into.add(value)


def _labels(statements: Iterable[Any], wanted: set[str]) -> dict[str, str]:
    """English (else untagged, else any) rdfs:label, else skos:prefLabel, of the wanted IRIs."""
    import pyoxigraph as ox

    best: dict[str, tuple[int, str]] = {}
    for t in statements:
        subject, value = t.subject, t.object
        if not isinstance(value, ox.Literal) or not isinstance(subject, ox.NamedNode) or subject.value not in wanted:
            continue
        lang = value.language or ""
        rank = 0 if lang == "en" or lang.startswith("en-") else 1 if not lang else 2
        rank = rank * 2 + (0 if t.predicate.value == RDFS + "label" else 1)
        if subject.value not in best or (rank, value.value) < best[subject.value]:
            best[subject.value] = (rank, value.value)
    return {k: v for k, (_, v) in best.items()}


def _ontology_labels(wanted: set[str]) -> dict[str, str]:
    """Labels of aihkg's own classes and properties, from the built-in ontology (cached)."""
    import pyoxigraph as ox

    from aihkg.graph.build import builtin_nquads

    quads = ox.parse(builtin_nquads(False), format=ox.RdfFormat.N_QUADS)
    return _labels((q for q in quads if q.predicate.value in LABEL_PROPERTIES), wanted)


# --------------------------------------------------------------------------- the comparison


def diff(old: Source, new: Source, *, data_format: str | None = None, allow_remote: bool = False,
         timeout: float | None = 60.0, kg: KnowledgeGraph | None = None) -> GraphDiff:
    """What changed from `old` to `new`, grouped by entity.

    Each of `old` and `new` is an RDF file (any format aihkg reads, by extension or
    `data_format`), ``"-"`` for the graph of `kg` (default: the built-in graph on the memory
    store), a KnowledgeGraph or Store (its whole graph), or an iterable of pyoxigraph triples or
    quads. `timeout` bounds the only part whose time does not grow in proportion to the input,
    canonicalising blank-node structures (None or 0: no limit); reading is linear in the input.
    """
    same = old is new or (isinstance(old, str) and old == new == "-")
    a = _read(old, data_format=data_format, allow_remote=allow_remote, kg=kg)
    b = a if same else _read(new, data_format=data_format, allow_remote=allow_remote, kg=kg)
    if not isinstance(old, (str, os.PathLike)) or not isinstance(new, (str, os.PathLike)):
        a.name, b.name = ("old" if a.name == "(triples)" else a.name), ("new" if b.name == "(triples)" else b.name)
    return compare(a, b, timeout=timeout)


def _canonical(side: _Side, structs: list[list[Any]], deadline: float | None, budget: float) -> list[_Structure]:
    """Canonicalise a graph's structures by `deadline`, `budget` seconds after the comparison began."""
    try:
        forms = canonical_structures(structs, deadline=deadline)
    except CanonicalisationTimeout as exc:
        entity = _Writer(list(exc.structure)).anchor()[0]
        where = "" if entity.startswith("_:") else f" under {compact(entity)}"
        size = f"{_count(len(_blank_nodes(exc.structure)), 'blank node')}, {_count(len(exc.structure), 'statement')}"
        if exc.memory:
            raise DataProblem(
                f"{side.name}: a blank-node structure{where} ({size}) needed more than {CHILD_MEMORY // 1024**2:,} MiB "
                "to canonicalise (RDFC-1.0 is exponential on such graphs); refusing it") from None
        if exc.isolated:
            raise DataProblem(
                f"{side.name}: a blank-node structure{where} ({size}) is too symmetric to canonicalise within "
                f"{budget:g} s (RDFC-1.0 is exponential on such graphs); refusing it (--timeout sets the "
                "limit)") from None
        raise DataProblem(
            f"{side.name}: {exc.done:,} of its {len(structs):,} blank-node structures were canonicalised within "
            f"{budget:g} s, then time ran out (at the one{where}, {size}); --timeout sets the limit") from None
    except DataProblem as exc:  # the child could not run at all
        raise DataProblem(f"{side.name}: {exc}") from None
    return [_Structure(form) for form in forms]


def _owner_text(entity: str, labels: dict[str, str]) -> str:
    return "an anonymous structure" if entity.startswith("_:") else labels.get(entity) or compact(entity)


def _ends_at(timeout: float | None) -> float | None:
    """When canonicalisation must stop: `timeout` from now, or a little before the command's own
    --timeout ends (graph.deadline), so that the error says which structure took the time."""
    from aihkg.graph import deadline as command_deadline

    ends = time.monotonic() + timeout if timeout and timeout > 0 else None
    left = command_deadline.remaining()
    if left is not None:
        whole = time.monotonic() + max(left - 0.25, 0.05)
        ends = whole if ends is None else min(ends, whole)
    return ends


def compare(a: _Side, b: _Side, *, timeout: float | None = 60.0) -> GraphDiff:
    """Compare two graphs read by `_read`: statements without blank nodes by set difference,
    blank-node structures by canonical form, canonicalised within `timeout` seconds in all."""
    import pyoxigraph as ox

    if a is b:
        return GraphDiff(a.name, b.name, a.size, b.size, [], [], [])
    ground_removed = sorted(a.ground - b.ground)
    ground_added = sorted(b.ground - a.ground)
    deadline = _ends_at(timeout)
    # Blank-node labels are local to each graph: statements with blank nodes are compared only
    # as whole structures, by canonical form.
    old_by: dict[str, list[_Structure]] = defaultdict(list)
    new_by: dict[str, list[_Structure]] = defaultdict(list)
    budget = timeout or 0.0
    for s in _canonical(a, _structures(a.blank), deadline, budget):
        old_by[s.digest].append(s)
    for s in _canonical(b, _structures(b.blank), deadline, budget):
        new_by[s.digest].append(s)

    changes: dict[str, dict[str, list[Statement]]] = defaultdict(lambda: {"added": [], "removed": []})
    anonymous: dict[str, str] = {}  # structure named by its root blank node -> "added" / "removed"
    continued: dict[str, str] = {}  # blank node too deep to nest -> the entity its structure belongs to
    removed, added = list(ground_removed), list(ground_added)

    def take(struct: _Structure, copy: int, op: str, lines: list[bytes]) -> None:
        triples = structure_labels(struct.canonical, struct.digest, copy)
        lines.extend(_ntriples(triples).splitlines())
        groups = _Writer(triples).groups()
        for n, (entity, statements) in enumerate(groups):
            changes[entity][op].extend(statements)
            if entity.startswith("_:"):
                anonymous[entity] = op
            if n:
                continued[entity] = groups[0][0]

    for digest in sorted(set(old_by) | set(new_by)):
        olds, news = old_by.get(digest, []), new_by.get(digest, [])
        for copy in range(len(news), len(olds)):
            take(olds[copy], copy, "removed", removed)
        for copy in range(len(olds), len(news)):
            take(news[copy], copy, "added", added)
    for op, lines in (("removed", ground_removed), ("added", ground_added)):
        for t in _parse_lines(lines):
            changes[t.subject.value][op].append(Statement(t.predicate.value, _term_json(t.object)))

    named = {e for e in changes if not e.startswith("_:")}
    wanted = set(named)
    for ops in changes.values():
        for group in ops.values():
            _collect_iris(group, wanted)
    old_labels = _labels(a.labels, wanted)
    new_labels = {**old_labels, **_labels(b.labels, wanted)}
    missing = wanted - new_labels.keys()
    if missing:
        new_labels.update(_ontology_labels(missing))

    entities: list[EntityChange] = []
    for entity, ops in changes.items():
        if entity in continued:
            change = anonymous[entity]
            owner = continued[entity]
            label = f"blank node reached from {_owner_text(owner, new_labels)}"
        elif entity in anonymous:
            change = anonymous[entity]
            kinds = sorted({s.value for s in ops[change] if s.property == RDF + "type" and isinstance(s.value, str)})
            label = "anonymous " + (", ".join(new_labels.get(k) or compact(k) for k in kinds) if kinds
                                    else "blank-node structure")
        else:
            term = ox.NamedNode(entity)
            in_old, in_new = term in a.subjects, term in b.subjects
            change = "added" if in_new and not in_old else "removed" if in_old and not in_new else "changed"
            label = (old_labels.get(entity) if change == "removed" else None) or new_labels.get(entity) \
                or old_labels.get(entity) or compact(entity)
        entities.append(EntityChange(entity, label, change, sorted(ops["added"], key=_statement_key),
                                     sorted(ops["removed"], key=_statement_key), continued.get(entity)))
    order = {"added": 0, "removed": 1, "changed": 2}
    tops = sorted((e for e in entities if e.continues is None),
                  key=lambda e: (order[e.change], e.entity in anonymous, e.label.casefold(), e.entity))
    parts: dict[str, list[EntityChange]] = defaultdict(list)
    for e in entities:  # in the order the structures were written: shallower first
        if e.continues is not None:
            parts[e.continues].append(e)
    entities = [x for e in tops for x in (e, *parts.get(e.entity, ()))]
    return GraphDiff(a.name, b.name, a.size, b.size, entities, sorted(added), sorted(removed), new_labels)


# --------------------------------------------------------------------------- applying a patch


def label_structures(source: Source, *, data_format: str | None = None, allow_remote: bool = False,
                     timeout: float | None = 60.0, kg: KnowledgeGraph | None = None) -> list[Any]:
    """The graph of `source` as pyoxigraph triples, its blank nodes named as `aihkg diff` names
    them (see :func:`structure_labels`): the graph an RDF Patch from `aihkg diff` applies to."""
    side = _read(source, data_format=data_format, allow_remote=allow_remote, kg=kg)
    deadline = _ends_at(timeout)
    copies: dict[str, int] = defaultdict(int)
    out = _parse_lines(side.ground)
    for struct in _canonical(side, _structures(side.blank), deadline, timeout or 0.0):
        out.extend(structure_labels(struct.canonical, struct.digest, copies[struct.digest]))
        copies[struct.digest] += 1
    return out


def apply_patch(source: Source, patch: str, **options: Any) -> list[Any]:
    """`source`'s triples with an RDF Patch (as `aihkg diff --format patch` writes it) applied.

    `options` are those of :func:`label_structures`. D rows name blank nodes as
    :func:`structure_labels` does, so the patch applies to OLD however its file labels them.
    """
    import pyoxigraph as ox

    graph = {t: None for t in label_structures(source, **options)}
    for number, row in enumerate(patch.splitlines(), 1):
        op, _, rest = row.strip().partition(" ")
        if op in ("", "H", "TX", "TC", "PA", "PD") or op.startswith("#"):
            continue
        if op not in ("A", "D"):
            raise DataProblem(f"patch line {number}: unknown row '{op}' (this reader takes H, TX, TC, A and D)")
        try:
            (quad,) = list(ox.parse(rest.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
        except (SyntaxError, ValueError) as exc:
            raise DataProblem(f"patch line {number}: not an N-Triples statement ({exc})") from None
        triple = ox.Triple(quad.subject, quad.predicate, quad.object)
        if op == "D":
            graph.pop(triple, None)
        else:
            graph[triple] = None
    return list(graph)
