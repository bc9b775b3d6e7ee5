"""The Python API: the same operations the CLI offers, callable from a notebook.

>>> from queries.api import KnowledgeGraph
>>> kg = KnowledgeGraph()
>>> rows = kg.rows("regulations_enforced_by", organisation="MHRA")
>>> sorted(r["regulation"] for r in rows)[:1]  # doctest: +SKIP
['https://w3id.org/aihkg/id/UKMDR2002']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aihkg.graph import PREFIXES, compact, sparql_prefixes
from aihkg.graph.errors import UsageProblem
from aihkg.graph.stores import Result, Store, open_store
from aihkg.queries import bind as binding
from aihkg.queries import guard
from aihkg.queries.catalog import CannedQuery, Catalog

XSD = PREFIXES["xsd"]


# Plain classes rather than dataclasses: generating a dataclass's methods compiles source text,
# which every query process would pay for at import.
class Prepared:
    """A canned query with its parameters bound: the exact text that will run, checked."""

    def __init__(self, query: CannedQuery, checked: guard.CheckedQuery) -> None:
        self.query = query
        self.checked = checked

    def __repr__(self) -> str:
        return f"Prepared(query={self.query.name!r}, checked={self.checked!r})"

    @property
    def text(self) -> str:
        return self.checked.text

    @property
    def form(self) -> str:
        return self.checked.form


class Description:
    """Everything about one entity: its names and classes, its relations grouped, its sources."""

    def __init__(self, iri: str, label: str, classes: list[str] | None = None, alt_labels: list[str] | None = None,
                 descriptions: list[str] | None = None,
                 relations: dict[tuple[str, str, str], list[tuple[str | None, str]]] | None = None,
                 sources: list[dict[str, str]] | None = None,
                 backing: dict[tuple[str, str], list[str]] | None = None) -> None:
        self.iri = iri
        self.label = label
        self.classes = classes if classes is not None else []
        self.alt_labels = alt_labels if alt_labels is not None else []
        self.descriptions = descriptions if descriptions is not None else []
        # (relation label, direction "out"/"in", property IRI) -> [(IRI or None, text)]
        self.relations = relations if relations is not None else {}
        self.sources = sources if sources is not None else []
        # (property IRI, value: IRI or lexical form) -> the source IRIs that back that statement
        self.backing = backing if backing is not None else {}

    def __repr__(self) -> str:
        return f"Description(iri={self.iri!r}, label={self.label!r}, {len(self.relations)} relations)"

    def __eq__(self, other: object) -> bool:
        return vars(self) == vars(other) if isinstance(other, Description) else NotImplemented

    __hash__ = None  # type: ignore[assignment] - mutable


class Hit:
    """One entity that matched a search: where it matched, a snippet, and its score."""

    def __init__(self, iri: str, label: str, classes: list[str], field: str, snippet: str, score: float) -> None:
        self.iri = iri
        self.label = label
        self.classes = classes
        self.field = field
        self.snippet = snippet
        self.score = score

    def __repr__(self) -> str:
        return f"Hit({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"

    def __eq__(self, other: object) -> bool:
        return vars(self) == vars(other) if isinstance(other, Hit) else NotImplemented

    __hash__ = None  # type: ignore[assignment] - mutable


def to_python(term: Any) -> Any:
    """A pyoxigraph term as a plain Python value (IRIs as strings, typed literals converted)."""
    if term is None:
        return None
    kind = type(term).__name__
    if kind in ("NamedNode", "BlankNode"):
        return term.value
    dtype = term.datatype.value if term.datatype is not None else ""
    value = term.value
    try:
        if dtype in (XSD + "integer", XSD + "int", XSD + "long", XSD + "nonNegativeInteger"):
            return int(value)
        if dtype == XSD + "decimal":
            from decimal import Decimal  # lazily: a query that is only printed never needs it

            return Decimal(value)
        if dtype in (XSD + "double", XSD + "float"):
            return float(value)
        if dtype == XSD + "boolean":
            return value in ("true", "1")
        if dtype == XSD + "date":
            return dt.date.fromisoformat(value)
    except ValueError:
        return value
    return value


class KnowledgeGraph:
    """The aihkg graph on a store, with the canned-query catalog and the query helpers.

    Args:
        store: "memory" (default), "rdflib", "oxigraph:DIR" or "sparql:URL[,UPDATE_URL]".
        data: the user's own RDF files to merge (memory and rdflib stores).
        data_format: RDF format of `data` when the extension does not say it.
        allow_remote: let `data` name http(s) URLs (off by default: nothing is fetched).
        allow_service: let queries use SPARQL SERVICE (off by default).
        timeout: seconds a remote store may take to answer.
        query_dirs: folders of the user's own `.rq` files.
        include_data: False to leave out the built-in instance data (the ontology stays).
    """

    def __init__(self, store: str | None = None, *, data: Sequence[str] = (), data_format: str | None = None,
                 allow_remote: bool = False, allow_service: bool = False, timeout: float = 60.0,
                 query_dirs: Sequence[str] = (), note: Callable[[str], None] | None = None,
                 include_data: bool = True) -> None:
        self.store_spec = store
        self.data = list(data)
        self.data_format = data_format
        self.allow_remote = allow_remote
        self.allow_service = allow_service
        self.timeout = timeout
        self.catalog = Catalog(query_dirs)
        self._note = note
        self.include_data = include_data
        self._store: Store | None = None
        self._facts: Any = None

    # ------------------------------------------------------------------ store

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.store_spec, data_files=self.data, data_format=self.data_format,
                                     allow_remote=self.allow_remote, timeout=self.timeout, note=self._note,
                                     include_data=self.include_data, allow_service=self.allow_service)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        self._facts = None

    def __enter__(self) -> "KnowledgeGraph":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ queries

    def prepare(self, name: str, params: Mapping[str, str | Sequence[str]] | None = None) -> Prepared:
        query = self.catalog.get(name)
        given: dict[str, list[str]] = {}
        for key, value in (params or {}).items():
            if value is None:
                continue
            given[key] = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        needs_store = any(p.type == "entity" and (p.name in given or p.default is not None) for p in query.params)
        template = guard.checked(query.text, allow_service=self.allow_service, remember=query.name,
                                 trusted=query.builtin)
        text = binding.bind(query, given, self.store if needs_store else None)
        return Prepared(query, guard.refill(template, text))

    def run(self, name: str, params: Mapping[str, str | Sequence[str]] | None = None, **kw: Any) -> Result:
        """Run a canned query by name; parameters as a mapping and/or keyword arguments."""
        merged = dict(params or {})
        merged.update(kw)
        prepared = self.prepare(name, merged)
        return self.store.query(prepared.checked)

    def sparql(self, text: str) -> Result:
        """Run a read-only SPARQL query (our prefixes are declared for you when missing).

        The text is checked as it will run (with the prefixes), on a real SPARQL parser: SPARQL
        Update is refused, and SERVICE unless the graph was opened with allow_service=True.
        """
        guard.check_text(text)  # size and emptiness of what the user wrote, not of the PREFIX lines
        full = with_prefixes(text)
        added = full[: len(full) - len(text)]
        try:
            checked = guard.checked(full, allow_service=self.allow_service, remote=self.store.remote)
            return self.store.query(checked)
        except UsageProblem as exc:
            # Report positions in the text the user wrote, not in the PREFIX lines added above it.
            raise UsageProblem(_shift_position(str(exc), added.count("\n"), len(added))) from None

    def rows(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """A canned query's rows as dicts of plain Python values."""
        result = self.run(name, params)
        return [{k: to_python(v) for k, v in row.items()} for row in result.dicts()]

    def dataframe(self, query: str | Result, **params: Any) -> Any:
        """A pandas DataFrame, one column per SELECT variable, values as `rows` gives them (Decimal, date ...).

        `query` is a canned query's name (parameters as keyword arguments) or the Result of a query
        already run, such as `kg.sparql(...)`. Needs pandas: pip install 'aihkg[notebooks]'.
        """
        pd = _pandas("kg.dataframe()")
        if isinstance(query, str):
            result = self.run(query, params)
        else:
            if params:
                raise UsageProblem("kg.dataframe() takes parameters only with a canned query's name")
            result = query
        if result.kind != "select":
            raise UsageProblem(f"kg.dataframe() needs SELECT rows; this query gave a {result.kind} result")
        return pd.DataFrame([[to_python(t) for t in row] for row in result.rows], columns=result.variables)

    def resolve(self, ref: str, cls: str | None = None) -> str:
        """The IRI for a label, acronym, CURIE or IRI."""
        return binding.resolve_entity(self.store, ref, cls)

    def labels(self, iris: Sequence[str]) -> dict[str, str]:
        """English (or plain) rdfs:labels for the given IRIs."""
        if not iris:
            return {}
        terms = [binding.iri(i) for i in dict.fromkeys(iris)]
        text = binding.fill(_LABELS, s=terms)
        out: dict[str, str] = {}
        for s, label in self.store.query(text).rows:
            out.setdefault(s.value, label.value)
        return out

    # ------------------------------------------------------------------ describe / search

    def describe(self, ref: str) -> Description:
        target = self.resolve(ref)
        result = self.store.query(binding.fill(_DESCRIBE, s=[binding.iri(target)]))
        desc = Description(iri=target, label=compact(target))
        sources: dict[str, dict[str, str]] = {}
        for row in result.dicts():
            p, o, direction = row["p"].value, row["o"], row["dir"].value
            if direction == "out" and p == PREFIXES["rdfs"] + "label":
                if not getattr(o, "language", None) or o.language == "en":
                    desc.label = o.value
                continue
            if direction == "out" and p == PREFIXES["rdf"] + "type":
                name = row.get("olabel").value if row.get("olabel") is not None else compact(o.value)
                if name not in desc.classes:
                    desc.classes.append(name)
                continue
            if direction == "out" and p == PREFIXES["skos"] + "altLabel":
                if o.value not in desc.alt_labels:
                    desc.alt_labels.append(o.value)
                continue
            if direction == "out" and p in (PREFIXES["dcterms"] + "description", PREFIXES["skos"] + "definition"):
                if o.value not in desc.descriptions:
                    desc.descriptions.append(o.value)
                continue
            if direction == "in" and p == PREFIXES["rdf"] + "subject":
                continue  # a reified statement about this entity: shown as the sources of that statement
            if direction == "out" and p in _CITES:
                info = sources.setdefault(o.value, {"iri": o.value})
                for key in ("title", "publisher", "date", "url"):
                    if row.get(key) is not None:
                        info[key] = row[key].value
                continue
            if direction == "in" and row.get("symmetric") is not None:
                rel = (row["plabel"].value if row.get("plabel") is not None else compact(p), "out", p)
            elif direction == "in" and row.get("invlabel") is not None:
                rel = (row["invlabel"].value, "out", row["inv"].value)
            elif direction == "in":
                plabel = row["plabel"].value if row.get("plabel") is not None else compact(p)
                rel = (plabel, "in", p)
            else:
                rel = (row["plabel"].value if row.get("plabel") is not None else compact(p), "out", p)
            if type(o).__name__ == "NamedNode":
                text = row["olabel"].value if row.get("olabel") is not None else compact(o.value)
                item = (o.value, text)
            else:
                item = (None, o.value)
            bucket = desc.relations.setdefault(rel, [])
            if item not in bucket:
                bucket.append(item)
        if len(result.rows) == 0:
            raise UsageProblem(f"nothing is known about {compact(target)}")
        # Which source backs which statement: the reified rdf:Statements about this entity.
        labels = {prop: rel for rel, _direction, prop in desc.relations}
        for row in self.store.query(binding.fill(_STATEMENT_SOURCES, s=[binding.iri(target)])).dicts():
            key, src = (row["p"].value, row["o"].value), row["source"].value
            info = sources.setdefault(src, {"iri": src})
            for name in ("title", "publisher", "date", "url"):
                if row.get(name) is not None:
                    info.setdefault(name, row[name].value)
            backs = info.setdefault("backs", [])
            stated = f"{labels.get(key[0], compact(key[0]))}: {key[1]}"
            if stated not in backs:
                backs.append(stated)
            if src not in desc.backing.setdefault(key, []):
                desc.backing[key].append(src)
        desc.sources = sorted(sources.values(), key=lambda s: s.get("date", ""))
        for bucket in desc.relations.values():
            bucket.sort(key=lambda item: item[1].lower())
        return desc

    def search(self, text: str, limit: int = 20) -> list[Hit]:
        """Entities whose labels, alternative labels or descriptions contain `text`, best first."""
        needle = " ".join(text.lower().split())
        if not needle:
            raise UsageProblem("search text is empty")
        words = needle.split()
        rows = self.store.query(binding.fill(_SEARCH, q=[binding.literal(words[0])])).dicts()
        hits: dict[str, Hit] = {}
        for row in rows:
            iri = row["s"].value
            field_name = compact(row["field"].value).split(":")[-1]
            value = row["text"].value
            low = " ".join(value.lower().split())
            if not all(w in low for w in words):
                continue
            score = _score(needle, low, field_name)
            label = row["label"].value if row.get("label") is not None else compact(iri)
            hit = hits.get(iri)
            if hit is None:
                hit = Hit(iri, label, [], field_name, _snippet(value, words[0]), score)
                hits[iri] = hit
            elif score > hit.score:
                hit.score, hit.field, hit.snippet = score, field_name, _snippet(value, words[0])
            if row.get("cls") is not None:
                name = row["clslabel"].value if row.get("clslabel") is not None else compact(row["cls"].value)
                if name not in hit.classes:
                    hit.classes.append(name)
        ranked = sorted(hits.values(), key=lambda h: (-h.score, h.label.lower()))
        return ranked[:limit] if limit else ranked

    # ------------------------------------------------------------------ time

    def time_facts(self) -> Any:
        """The graph's dated facts (aihkg.queries.time.Facts), read once per store."""
        if self._facts is None:
            from aihkg.queries import time

            self._facts = time.load_facts(self.store)
        return self._facts

    def as_of_result(self, date: str = "today", *, kind: str = "all", jurisdiction: str | None = None) -> Result:
        """`as_of` as a Result of RDF terms (for the CLI's formats)."""
        from aihkg.queries import time

        return time.to_result(self._as_of_rows(date, kind, jurisdiction), time.ASOF_VARIABLES)

    def _as_of_rows(self, date: str, kind: str, jurisdiction: str | None) -> list[Any]:
        from aihkg.queries import time

        on = time.parse_when(date)
        where = self.resolve(jurisdiction, "aihkg:Jurisdiction") if jurisdiction else None
        return time.as_of(self.time_facts(), on, kind=kind, jurisdiction=where)

    def as_of(self, date: str = "today", *, kind: str = "all", jurisdiction: str | None = None,
              frame: bool = False) -> Any:
        """The landscape on `date` (YYYY-MM-DD, YYYY-MM, YYYY, "today" or "postnote"): one row per rule and
        organisation that existed or was proposed by then, with entity, label, kind, status, since (the
        date the status began, as precise as known), jurisdiction and note. `kind`: rules, organisations
        or all. Rows are dicts (dates as ISO text); `frame=True` gives a pandas DataFrame."""
        from aihkg.queries import time

        return _rows_or_frame(time.to_dicts(self._as_of_rows(date, kind, jurisdiction), time.ASOF_VARIABLES),
                              time.ASOF_VARIABLES, frame)

    def changes_result(self, since: str | None = None, until: str | None = "today") -> Result:
        from aihkg.queries import time

        return time.to_result(self._change_rows(since, until), time.CHANGE_VARIABLES)

    def _change_rows(self, since: str | None, until: str | None) -> list[Any]:
        from aihkg.queries import time

        start = time.parse_when(since, what="--since") if since else None
        end = time.parse_when(until, what="--until") if until else None
        return time.changes(self.time_facts(), start, end)

    def changes(self, since: str | None = None, until: str | None = "today", *, frame: bool = False) -> Any:
        """Every dated change from the start of `since` to the end of `until`, oldest first: date, entity,
        label, change (proposed, made, in force, applies, repealed, founded, merged, leader changed,
        funding revised ...), detail and the source that states it."""
        from aihkg.queries import time

        return _rows_or_frame(time.to_dicts(self._change_rows(since, until), time.CHANGE_VARIABLES),
                              time.CHANGE_VARIABLES, frame)

    def timeline_result(self, name: str) -> Result:
        from aihkg.queries import time

        return time.to_result(time.timeline(self.time_facts(), self.resolve(name)), time.TIMELINE_VARIABLES)

    def timeline(self, name: str, *, frame: bool = False) -> Any:
        """One entity's dated history with sources, then the dates not known about it (date None)."""
        from aihkg.queries import time

        rows = time.timeline(self.time_facts(), self.resolve(name))
        return _rows_or_frame(time.to_dicts(rows, time.TIMELINE_VARIABLES), time.TIMELINE_VARIABLES, frame)

    # ------------------------------------------------------------------ validate / network

    def validate(self, *files: str, reasoner: bool = True) -> Any:
        """Check this graph (its `data` plus any further `files`) as `aihkg validate` does: the SHACL
        shapes by pySHACL and, with `reasoner`, OWL consistency by HermiT (needs Java). It reads the
        built-in graph and the files, not what a persistent or remote store holds (as `aihkg validate`).
        Returns an aihkg.ontology.validate.Report: `.ok`, `.violations`, `.findings`, `.text()`, `.as_dict()`."""
        from aihkg.ontology.validate import validate_graph

        return validate_graph([*self.data, *files], data_format=self.data_format, allow_remote=self.allow_remote,
                              reasoner=reasoner, include_data=self.include_data)

    def network(self, *, focus: str | None = None, depth: int = 1, classes: Sequence[str] = (),
                properties: Sequence[str] = (), include: Sequence[str] = ()) -> Any:
        """The graph as a networkx MultiDiGraph, as `aihkg viz --view network` draws it: individuals
        (attributes label, cls, top, colour) and their links (attributes label, property), with events,
        statistics and sources folded away unless `include` names them. `focus` is any name
        (label, acronym, CURIE or IRI); `depth` links around it are kept."""
        from aihkg.graph.network import network_view

        return network_view(self.store, classes=classes, properties=properties, include=include, depth=depth,
                            focus=self.resolve(focus) if focus else None)

    # ------------------------------------------------------------------ whole graph

    def rdflib_dataset(self) -> Any:
        """Everything the store holds for aihkg, as an rdflib Dataset (named graphs kept)."""
        import rdflib

        from aihkg.graph.build import bind_prefixes, default_graph, ox_to_rdflib

        ds = rdflib.Dataset(default_union=True)
        bind_prefixes(ds)
        default = default_graph(ds)
        for s, p, o, g in self.store.triples():
            target = ds.graph(rdflib.URIRef(g.value)) if g is not None else default
            target.add((ox_to_rdflib(s), ox_to_rdflib(p), ox_to_rdflib(o)))
        return ds

    def rdflib_graph(self) -> Any:
        """Everything the store holds for aihkg, merged into one rdflib Graph."""
        from aihkg.graph.build import union_graph

        return union_graph(self.rdflib_dataset())


def _pandas(what: str) -> Any:
    """pandas, or an error that says how to get it (it is the `notebooks` extra, not a dependency)."""
    try:
        import pandas
    except ImportError:
        raise UsageProblem(f"{what} needs pandas, which is not installed: pip install 'aihkg[notebooks]' "
                           "(or pip install pandas)") from None
    return pandas


def _rows_or_frame(rows: list[dict[str, Any]], columns: list[str], frame: bool) -> Any:
    if not frame:
        return rows
    return _pandas("frame=True").DataFrame(rows, columns=columns)


def _shift_position(message: str, lines: int, chars: int) -> str:
    """An engine's error message with its line (Oxigraph "at L:C", rdflib "line:L") and offset moved back."""
    import re

    message = re.sub(r"\bat character (\d+)\b", lambda m: f"at character {int(m.group(1)) - chars}", message)
    message = re.sub(r"\bat (\d+):(\d+)", lambda m: f"at {int(m.group(1)) - lines}:{m.group(2)}", message)
    message = re.sub(r"\(line:(\d+),", lambda m: f"(line:{int(m.group(1)) - lines},", message)
    return re.sub(r"\(at char (\d+)\)", lambda m: f"(at char {int(m.group(1)) - chars})", message)


def with_prefixes(text: str) -> str:
    """Declare aihkg's prefixes ahead of a hand-written query (its own PREFIX lines still win)."""
    declared = {line.split()[1].rstrip(":").lower() for line in text.splitlines()
                if line.strip().upper().startswith("PREFIX") and len(line.split()) > 1}
    missing = "".join(line for line in sparql_prefixes().splitlines(keepends=True)
                      if line.split()[1].rstrip(":").lower() not in declared)
    return missing + text


def _score(needle: str, text: str, field_name: str) -> float:
    weight = {"label": 1.0, "altLabel": 0.95, "prefLabel": 0.9, "title": 0.6}.get(field_name, 0.3)
    if text == needle:
        base = 100
    elif text.startswith(needle):
        base = 80
    elif f" {needle}" in f" {text}":
        base = 65
    elif needle in text:
        base = 50
    else:
        base = 35
    return base * weight + min(text.count(needle.split()[0]), 5)


def _snippet(text: str, word: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    at = flat.lower().find(word)
    if len(flat) <= width or at < 0:
        return flat[:width] + ("…" if len(flat) > width else "")
    start = max(at - width // 3, 0)
    return ("…" if start else "") + flat[start:start + width] + ("…" if start + width < len(flat) else "")


_CITES = (PREFIXES["aihkg"] + "describedBy", PREFIXES["dcterms"] + "source")

_STATEMENT_SOURCES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX aihkg: <https://w3id.org/aihkg/ontology#>
SELECT ?p ?o ?source ?title ?publisher ?date ?url WHERE {
  VALUES ?s { UNDEF }
  ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; dcterms:source ?source .
  OPTIONAL { ?source dcterms:title ?title } OPTIONAL { ?source dcterms:publisher ?publisher }
  OPTIONAL { ?source dcterms:date ?date } OPTIONAL { ?source aihkg:url ?url }
}
ORDER BY ?p ?o ?source"""

_LABELS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?label WHERE {
  VALUES ?s { UNDEF }
  ?s rdfs:label ?label .
  FILTER (LANG(?label) = "en" || LANG(?label) = "")
}"""

_DESCRIBE = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX aihkg: <https://w3id.org/aihkg/ontology#>
SELECT ?dir ?p ?o ?plabel ?olabel ?inv ?invlabel ?symmetric ?title ?publisher ?date ?url WHERE {
  VALUES ?s { UNDEF }
  # No FILTER on outer variables inside OPTIONAL: Virtuoso plans such a group as a cross product
  # (it refused the earlier form, estimating ~160000 s). Sources get their own branch instead.
  # aihkg:describedBy, or dcterms:source as older data may say it of an individual.
  {
    { ?s ?p ?o BIND ("out" AS ?dir) } UNION { ?o ?p ?s BIND ("in" AS ?dir) }
    FILTER (?p != dcterms:source && ?p != aihkg:describedBy)
  } UNION {
    # One branch per property and direction, each binding ?p itself: a VALUES ?p here made
    # Virtuoso return rows with an inverse label but no inverse property.
    { ?s aihkg:describedBy ?o BIND ("out" AS ?dir) BIND (aihkg:describedBy AS ?p) }
    UNION { ?o aihkg:describedBy ?s BIND ("in" AS ?dir) BIND (aihkg:describedBy AS ?p) }
    UNION { ?s dcterms:source ?o BIND ("out" AS ?dir) BIND (dcterms:source AS ?p) }
    UNION { ?o dcterms:source ?s BIND ("in" AS ?dir) BIND (dcterms:source AS ?p) }
    OPTIONAL { ?o dcterms:title ?title } OPTIONAL { ?o dcterms:publisher ?publisher }
    OPTIONAL { ?o dcterms:date ?date } OPTIONAL { ?o aihkg:url ?url }
  }
  OPTIONAL { ?p rdfs:label ?plabel FILTER (LANG(?plabel) = "en" || LANG(?plabel) = "") }
  OPTIONAL { ?o rdfs:label ?olabel FILTER (LANG(?olabel) = "en" || LANG(?olabel) = "") }
  OPTIONAL { { ?p owl:inverseOf ?inv } UNION { ?inv owl:inverseOf ?p }
             ?inv rdfs:label ?invlabel FILTER (LANG(?invlabel) = "en" || LANG(?invlabel) = "")
             BIND ("in" AS ?dir) }
  OPTIONAL { ?p a owl:SymmetricProperty BIND (true AS ?symmetric) }
}"""

_SEARCH = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?s ?field ?text ?label ?cls ?clslabel WHERE {
  VALUES ?q { UNDEF }
  VALUES ?field { rdfs:label skos:altLabel skos:prefLabel dcterms:description skos:definition dcterms:title }
  ?s ?field ?text .
  FILTER (isIRI(?s) && CONTAINS(LCASE(STR(?text)), ?q))
  OPTIONAL { ?s rdfs:label ?label FILTER (LANG(?label) = "en" || LANG(?label) = "") }
  OPTIONAL { ?s a ?cls .
             OPTIONAL { ?cls rdfs:label ?clslabel FILTER (LANG(?clslabel) = "en" || LANG(?clslabel) = "") } }
}"""
