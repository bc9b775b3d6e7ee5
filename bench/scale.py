"""Scale the built-in graph by copying its individuals: copy 0 is the original graph.

Every triple that mentions an individual (an IRI under ``https://w3id.org/aihkg/id/`` or
``https://w3id.org/aihkg/source/``), together with any blank-node structure hanging off it, is
repeated once per copy with those IRIs renamed (``kg:MHRA`` becomes ``kg:MHRA-c17`` in copy 17)
and its blank nodes relabelled, so links stay inside a copy and every canned query keeps its
shape. The ontology (schema and the SKOS concept individuals under ``aihkg:``) is written once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

INDIVIDUAL_PREFIXES = ("https://w3id.org/aihkg/id/", "https://w3id.org/aihkg/source/")
GENERATOR_VERSION = "1"


@dataclass
class Split:
    """The built-in graph split into what is written once and what is copied."""

    shared: list[str]  # N-Triples lines (no newline), written once
    # per copied triple: (subject, predicate, object) as (text, renamed?) where a renamed text is
    # the serialisation without its closing '>' (IRIs) or as-is (blank nodes), ready for a suffix
    copied: list[tuple[tuple[str, bool], str, tuple[str, bool]]]


def _is_individual(term: object) -> bool:
    import pyoxigraph as ox

    return isinstance(term, ox.NamedNode) and term.value.startswith(INDIVIDUAL_PREFIXES)


def split_builtin(nquads: bytes) -> Split:
    """Separate the ontology (kept once) from the individuals' triples (copied)."""
    import pyoxigraph as ox

    triples = [(q.subject, q.predicate, q.object) for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS)]
    # Blank nodes travel with the group of triples they connect (union-find over blank nodes).
    from aihkg.graph.disjoint import DisjointSets

    sets = DisjointSets()
    find = sets.find
    for s, _, o in triples:
        if isinstance(s, ox.BlankNode) and isinstance(o, ox.BlankNode):
            sets.union(s.value, o.value)
    data_groups: set[str] = set()
    for s, _, o in triples:
        if _is_individual(s) or _is_individual(o):
            for t in (s, o):
                if isinstance(t, ox.BlankNode):
                    data_groups.add(find(t.value))

    def in_data_group(t: object) -> bool:
        return isinstance(t, ox.BlankNode) and find(t.value) in data_groups

    def slot(t: object) -> tuple[str, bool]:
        if _is_individual(t):
            return str(t)[:-1], True
        if in_data_group(t):
            return str(t), True
        return str(t), False

    shared: list[str] = []
    copied: list[tuple[tuple[str, bool], str, tuple[str, bool]]] = []
    for s, p, o in triples:
        if _is_individual(s) or _is_individual(o) or in_data_group(s) or in_data_group(o):
            copied.append((slot(s), str(p), slot(o)))
        else:
            shared.append(f"{s} {p} {o} .")
    return Split(shared, copied)


def _render(slot: tuple[str, bool], suffix: str, bnode_suffix: str) -> str:
    text, renamed = slot
    if not renamed:
        return text
    if text.startswith("_:"):
        return text + bnode_suffix
    return f"{text}{suffix}>"


def copy_lines(split: Split, copy: int) -> Iterator[str]:
    """The copied triples of one copy, as N-Triples lines; copy 0 keeps the original names."""
    suffix = f"-c{copy}" if copy else ""
    bsuffix = f"c{copy}" if copy else ""
    for s, p, o in split.copied:
        yield f"{_render(s, suffix, bsuffix)} {p} {_render(o, suffix, bsuffix)} .\n"


def copies_for(target: int, split: Split) -> int:
    """How many copies bring the graph closest to `target` triples (at least one)."""
    per_copy = max(len(split.copied), 1)
    return max(1, round((target - len(split.shared)) / per_copy))


@dataclass
class ScaledFiles:
    full: Path  # ontology + copies 0..n-1 (what the memory and rdflib stores load)
    extra: Path  # copies 1..n-1 only (added to a persistent store that already holds the built-in graph)
    copies: int
    triples: int
    extra_triples: int
    reused: bool


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_scaled(folder: Path, label: str, copies: int, split: Split, source_key: str) -> ScaledFiles:
    """Write (or reuse, when the recorded hashes still match) the N-Triples for `copies` copies."""
    folder.mkdir(parents=True, exist_ok=True)
    full = folder / f"scaled-{label}.nt"
    extra = folder / f"scaled-{label}-copies.nt"
    meta_path = folder / f"scaled-{label}.json"
    want = {"source": source_key, "copies": copies, "generator": GENERATOR_VERSION}
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        meta = {}
    if (all(meta.get(k) == v for k, v in want.items()) and full.is_file() and extra.is_file()
            and meta.get("sha256") == _sha256(full) and meta.get("sha256_extra") == _sha256(extra)):
        return ScaledFiles(full, extra, copies, meta["triples"], meta["extra_triples"], True)
    triples = extra_triples = 0
    with open(full, "w", encoding="utf-8") as fh, open(extra, "w", encoding="utf-8") as fx:
        for line in split.shared:
            fh.write(line + "\n")
            triples += 1
        for k in range(copies):
            for line in copy_lines(split, k):
                fh.write(line)
                triples += 1
                if k:
                    fx.write(line)
                    extra_triples += 1
    meta = dict(want, triples=triples, extra_triples=extra_triples, sha256=_sha256(full),
                sha256_extra=_sha256(extra))
    meta_path.write_text(json.dumps(meta, indent=2))
    return ScaledFiles(full, extra, copies, triples, extra_triples, False)
