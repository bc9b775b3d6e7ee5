"""What a worker process does for a request: one call into the library, answered with plain data.

Each operation takes the worker's state (``state["kg"]``: the KnowledgeGraph loaded in the zygote)
and returns picklable values (Results of pyoxigraph terms, dataclasses, dicts). No HTTP here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from aihkg.graph.errors import UsageProblem


def setup_state(kg: Any) -> dict[str, Any]:
    """Run in the zygote: open the store now, so that a bad store or --data file fails at start; load an
    in-process store (memory, rdflib) once, for every worker to share copy-on-write."""
    spec = (kg.store_spec or os.environ.get("AIHKG_STORE") or "memory").split(":", 1)[0]
    store = kg.store
    facts: dict[str, Any] = {"store": store.name}
    if spec != "sparql":  # counting a remote server's triples could take long; it is not needed
        facts["triples"] = store.size()
    if spec not in ("memory", "rdflib"):
        # A store on disk or a server is opened by each worker itself: nothing native is shared by fork.
        kg.close()
    import networkx  # noqa: F401 - imported once here rather than in every worker
    import pyoxigraph  # noqa: F401

    from aihkg.graph import network  # noqa: F401
    from aihkg.queries import explore, formats, protocol  # noqa: F401
    return {"kg": kg, "facts": facts}


def _kg(state: dict[str, Any]) -> Any:
    return state["kg"]


def capped(result: Any, max_rows: int) -> tuple[Any, int]:
    """The result cut to `max_rows` rows (or triples), and how many there were."""
    if result.kind == "select":
        total = len(result.rows)
        if max_rows and total > max_rows:
            result.rows = result.rows[:max_rows]
        return result, total
    if result.kind == "graph":
        total = len(result.triples)
        if max_rows and total > max_rows:
            result.triples = result.triples[:max_rows]
        return result, total
    return result, 1


def display_labels(kg: Any, result: Any, limit: int = 2000) -> dict[str, str]:
    """Labels for the IRIs of columns the query did not label itself (?x with no ?xLabel)."""
    if result.kind != "select":
        return {}
    labelled = {v[: -len("Label")] for v in result.variables if v.endswith("Label")}
    iris: list[str] = []
    for i, var in enumerate(result.variables):
        if var in labelled:
            continue
        iris.extend(row[i].value for row in result.rows[:limit]
                    if row[i] is not None and type(row[i]).__name__ == "NamedNode")
    return kg.labels(list(dict.fromkeys(iris))[:limit]) if iris else {}


def sparql(state: dict[str, Any], text: str, max_rows: int, media: str | None, table_rows: int = 1000
           ) -> dict[str, Any]:
    """A hand-written query's answer: for a page (media None) the first rows as terms, else the bytes in
    `media`; with "total", the size of the whole answer (the server caps it at max_rows)."""
    from aihkg.queries import protocol

    kg = _kg(state)
    if media is not None:  # written here, so that only bytes travel back to the server
        result, total = capped(kg.sparql(text), max_rows)
        return {"body": protocol.serialize(result, media), "total": total}
    result, total = capped(kg.sparql(text), min(max_rows, table_rows) if max_rows else table_rows)
    return {"result": result, "total": total, "labels": display_labels(kg, result)}


def canned(state: dict[str, Any], name: str, params: dict[str, list[str]], media: str | None,
           table_rows: int = 1000) -> dict[str, Any]:
    """A canned query's answer: for its page (media None) the bound text, the first rows as terms, the
    entities the parameters named; else the whole answer as bytes in `media`."""
    from aihkg.queries import protocol

    kg = _kg(state)
    prepared = kg.prepare(name, params)
    if media is not None:
        body, total = protocol.answer(kg.store, prepared.text, prepared.form, media)
        return {"body": body, "total": total, "text": prepared.text}
    result, total = capped(kg.store.query(prepared.text, prepared.form), table_rows)
    selected = {}
    for p in prepared.query.params:  # for the form: which entities the values named
        raws = params.get(p.name) or ([str(p.default)] if p.default is not None else [])
        if p.type == "entity" and raws:
            selected[p.name] = [kg.resolve(raw, p.cls) for raw in raws]
    return {"text": prepared.text, "result": result, "total": total, "selected": selected,
            "labels": display_labels(kg, result)}


def prepare(state: dict[str, Any], name: str, params: dict[str, list[str]]) -> str:
    return _kg(state).prepare(name, params).text


def _missing(kg: Any, iri: str, namespace: str | None) -> dict[str, Any]:
    from aihkg.graph import compact
    from aihkg.queries import explore

    name = iri[len(namespace):] if namespace and iri.startswith(namespace) else compact(iri)
    return {"missing": True, "iri": iri, "closest": explore.closest(kg, name, namespace) if namespace else []}


def _known(kg: Any, iri: str) -> bool:
    from aihkg.queries import bind as binding

    try:
        return binding.resolve_entity(kg.store, f"<{iri}>") == iri
    except UsageProblem:
        return False


def entity(state: dict[str, Any], iri: str, namespace: str | None = None) -> dict[str, Any]:
    """Everything an entity page shows, or {"missing": True, "closest": [...]} for an unknown IRI."""
    from aihkg.queries import explore
    from aihkg.web.history import history

    kg = _kg(state)
    try:
        desc = kg.describe(f"<{iri}>")  # resolves the IRI first: an IRI the graph does not hold is refused
    except UsageProblem:
        return _missing(kg, iri, namespace)
    return {"missing": False, "description": desc, "figures": explore.figures(desc),
            "groups": explore.relation_groups(desc), "history": history(kg, iri),
            "query": explore.entity_query(iri)}


def entity_rdf(state: dict[str, Any], iri: str, namespace: str | None = None) -> dict[str, Any]:
    from aihkg.queries import explore

    kg = _kg(state)
    if not _known(kg, iri):
        return _missing(kg, iri, namespace)
    return {"missing": False, "triples": explore.entity_triples(kg, iri)}


def search(state: dict[str, Any], text: str, limit: int) -> list[Any]:
    return _kg(state).search(text, limit=limit)


def class_members(state: dict[str, Any], cls: str, limit: int) -> list[tuple[str, str]]:
    from aihkg.queries import explore

    return explore.class_members(_kg(state), cls, limit)


def vocabulary(state: dict[str, Any], limit: int) -> dict[str, Any]:
    from aihkg.queries import explore

    return explore.vocabulary(_kg(state), limit)


def ontology(state: dict[str, Any]) -> dict[str, Any]:
    from aihkg.queries import explore

    return explore.ontology_terms(_kg(state))


def ontology_rdf(state: dict[str, Any]) -> list[Any]:
    from aihkg.queries import explore

    return explore.ontology_triples(_kg(state))


def summary(state: dict[str, Any]) -> dict[str, Any]:
    from aihkg.queries import explore

    return explore.summary(_kg(state))


def labels(state: dict[str, Any], iris: Sequence[str]) -> dict[str, str]:
    return _kg(state).labels(list(iris))


# A force layout of more nodes than this takes minutes and draws a hairball.
MAX_LAID_OUT = 3_000


def network(state: dict[str, Any], focus: str | None, depth: int) -> dict[str, Any]:
    """The network page's data (elements, legend), whole or around `focus` (a name, CURIE or IRI)."""
    from aihkg.graph.network import build_network
    from aihkg.web.page import network_data

    kg = _kg(state)
    focus_iri = kg.resolve(focus) if focus else None
    g = build_network(kg.store, focus=focus_iri, depth=depth, with_sources=True)
    if g.number_of_nodes() > MAX_LAID_OUT:
        raise UsageProblem(f"this network has {g.number_of_nodes():,} entities, too many to lay out in a page "
                           f"(the limit is {MAX_LAID_OUT:,}): choose an entity to focus on, or a smaller depth")
    data = network_data(g, link="entity")
    if focus_iri:
        data["focus_label"] = g.nodes[focus_iri]["label"]
    return data


def network_export(state: dict[str, Any], focus: str | None, depth: int) -> dict[str, Any]:
    """The same network as Cytoscape.js JSON (as `aihkg export -f cytoscape` writes the whole graph)."""
    from aihkg.graph.network import build_network, to_cytoscape

    kg = _kg(state)
    focus_iri = kg.resolve(focus) if focus else None
    return to_cytoscape(build_network(kg.store, focus=focus_iri, depth=depth))


OPERATIONS: dict[str, Callable[..., Any]] = {
    "sparql": sparql, "canned": canned, "prepare": prepare, "entity": entity, "entity_rdf": entity_rdf,
    "search": search, "class_members": class_members, "vocabulary": vocabulary, "ontology": ontology,
    "ontology_rdf": ontology_rdf, "summary": summary, "labels": labels, "network": network,
    "network_export": network_export,
}
