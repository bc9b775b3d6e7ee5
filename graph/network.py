"""The knowledge graph as a networkx network, and what networks answer.

Individuals become nodes (IRI, label, class, top class); links between individuals through OWL
object properties become edges (property IRI and label). Literals, sources, vocabulary concepts
and the schema stay out. The network is read with SPARQL through the store interface, so it is
the same on every store.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aihkg.graph import DOMAIN_CLASSES, ONTOLOGY_NS, PREFIXES, compact
from aihkg.graph.errors import UsageProblem
from aihkg.queries.guard import template

# One colour per top class; the five top classes get the strongest.
CLASS_COLOURS: dict[str, str] = {
    "AIUse": "#1f77b4", "Impact": "#2ca02c", "Challenge": "#d62728", "Regulation": "#9467bd",
    "Organisation": "#ff7f0e", "Strategy": "#8c564b", "Programme": "#e377c2", "Funding": "#bcbd22",
    "Report": "#7f7f7f", "Jurisdiction": "#17becf", "AITechnique": "#aec7e8", "AffectedGroup": "#ff9896",
    "AISystem": "#98df8a", "DataResource": "#c5b0d5", "Event": "#c49c94", "Person": "#f7b6d2",
    "Statistic": "#dbdb8d", "Source": "#bdbdbd",
}
COMMUNITY_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                     "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39",
                     "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363"]

_VALUES_TOP = " ".join(f"aihkg:{c}" for c in DOMAIN_CLASSES)

_NODES = f"""PREFIX aihkg: <{ONTOLOGY_NS}>
PREFIX rdfs: <{PREFIXES['rdfs']}>
PREFIX dcterms: <{PREFIXES['dcterms']}>
PREFIX skos: <{PREFIXES['skos']}>
SELECT ?s ?cls ?clsLabel ?top ?label ?alt ?desc WHERE {{
  VALUES ?top {{ {_VALUES_TOP} }}
  ?s a ?cls . ?cls rdfs:subClassOf* ?top .
  FILTER (isIRI(?s))
  OPTIONAL {{ ?cls rdfs:label ?clsLabel FILTER (LANG(?clsLabel) IN ("en", "")) }}
  OPTIONAL {{ ?s rdfs:label ?label FILTER (LANG(?label) IN ("en", "")) }}
  OPTIONAL {{ ?s skos:altLabel ?alt }}
  OPTIONAL {{ ?s dcterms:description ?desc }}
}}"""

_EDGES = f"""PREFIX owl: <{PREFIXES['owl']}>
PREFIX rdfs: <{PREFIXES['rdfs']}>
SELECT DISTINCT ?s ?p ?o ?pLabel WHERE {{
  ?p a owl:ObjectProperty .
  ?s ?p ?o .
  FILTER (isIRI(?s) && isIRI(?o))
  OPTIONAL {{ ?p rdfs:label ?pLabel FILTER (LANG(?pLabel) IN ("en", "")) }}
}}"""

_INVERSES = f"""PREFIX owl: <{PREFIXES['owl']}>
PREFIX rdfs: <{PREFIXES['rdfs']}>
SELECT ?p ?invLabel WHERE {{
  {{ ?p owl:inverseOf ?inv }} UNION {{ ?inv owl:inverseOf ?p }}
  ?inv rdfs:label ?invLabel FILTER (LANG(?invLabel) IN ("en", ""))
}}"""

_SOURCES = f"""PREFIX dcterms: <{PREFIXES['dcterms']}>
PREFIX aihkg: <{ONTOLOGY_NS}>
PREFIX rdfs: <{PREFIXES['rdfs']}>
SELECT ?s ?src ?title ?srcLabel ?url WHERE {{
  ?s aihkg:describedBy|dcterms:source ?src . ?src dcterms:title ?title .
  FILTER (isIRI(?s))
  OPTIONAL {{ ?src aihkg:url ?url }}
  OPTIONAL {{ ?src rdfs:label ?srcLabel FILTER (LANG(?srcLabel) IN ("en", "")) }}
}}"""


def build_network(store: Any, *, classes: Sequence[str] = (), properties: Sequence[str] = (),
                  focus: str | None = None, depth: int = 1, with_sources: bool = False) -> Any:
    """A networkx MultiDiGraph of the store's individuals and the object-property links among them.

    Args:
        store: a graph.stores.Store.
        classes: keep only nodes whose class, or any class above it, has one of these names
            (local names like "Challenge" or labels like "AI use", case-insensitive).
        properties: keep only edges of these properties (local names, labels or CURIEs).
        focus: an IRI; keep its neighbourhood up to `depth` links away (either direction).
        with_sources: attach each node's source titles and URLs (for interactive pages).
    """
    g = _whole_network(store, with_sources=with_sources)
    g = _narrow(g, classes=classes, properties=properties)
    if focus:
        g = _neighbourhood(g, focus, depth)
    return _sorted(g)


def _whole_network(store: Any, *, with_sources: bool = False, source_nodes: bool = False) -> Any:
    """Every individual and every object-property link; with `source_nodes`, the source documents too,
    linked from what they support by "cites" edges."""
    import networkx as nx

    g = nx.MultiDiGraph()
    rank = {name: i for i, name in enumerate(DOMAIN_CLASSES)}
    for row in store.query(template(_NODES)).dicts():
        iri = row["s"].value
        top = row["top"].value[len(ONTOLOGY_NS):]
        cls_iri = row["cls"].value
        cls = row["clsLabel"].value if row.get("clsLabel") is not None else compact(cls_iri)
        data = g.nodes[iri] if iri in g else None
        if data is None:
            g.add_node(iri, iri=iri, curie=compact(iri), label=compact(iri), top=top, cls=cls,
                       cls_iri=cls_iri, alt="", description="", tops=(), names=frozenset())
            data = g.nodes[iri]
        if rank[top] < rank[data["top"]]:
            data["top"] = top
        data["tops"] = tuple(sorted({*data["tops"], top}, key=rank.__getitem__))
        data["names"] = data["names"] | {top.lower(), cls.lower(), cls_iri.rsplit("#", 1)[-1].lower()}
        if cls_iri.startswith(ONTOLOGY_NS) and cls_iri[len(ONTOLOGY_NS):] not in DOMAIN_CLASSES:
            data["cls"], data["cls_iri"] = cls, cls_iri  # a narrower class (Act, Guidance ...) wins
        if row.get("label") is not None:
            data["label"] = row["label"].value
        if row.get("alt") is not None and (not data["alt"] or len(row["alt"].value) < len(data["alt"])):
            data["alt"] = row["alt"].value
        if row.get("desc") is not None and not data["description"]:
            data["description"] = row["desc"].value
    for _iri, data in g.nodes(data=True):
        data["colour"] = CLASS_COLOURS.get(data["top"], "#999999")
    inverse = {r["p"].value: r["invLabel"].value for r in store.query(template(_INVERSES)).dicts()}
    for row in store.query(template(_EDGES)).dicts():
        s, p, o = row["s"].value, row["p"].value, row["o"].value
        if s in g and o in g and s != o:
            label = row["pLabel"].value if row.get("pLabel") is not None else compact(p)
            g.add_edge(s, o, key=compact(p), property=p, label=label, inverse_label=inverse.get(p, ""))
    if with_sources or source_nodes:
        cites = ONTOLOGY_NS + "describedBy"
        for row in store.query(template(_SOURCES)).dicts():
            iri = row["s"].value
            if iri not in g:
                continue
            url = row["url"].value if row.get("url") is not None else ""
            if with_sources:
                g.nodes[iri].setdefault("sources", []).append({"title": row["title"].value, "url": url})
            if source_nodes:
                src = row["src"].value
                if src not in g:
                    label = (row["srcLabel"] if row.get("srcLabel") is not None else row["title"]).value
                    g.add_node(src, iri=src, curie=compact(src), label=label, top="Source",
                               cls="Source document", cls_iri=ONTOLOGY_NS + "SourceDocument", alt="",
                               description=url, tops=("Source",),
                               names=frozenset({"source", "source document", "sourcedocument"}),
                               colour=CLASS_COLOURS["Source"])
                g.add_edge(iri, src, key="aihkg:describedBy", property=cites, label="cites", inverse_label="cited by")
    return g


def _narrow(g: Any, *, classes: Sequence[str] = (), properties: Sequence[str] = ()) -> Any:
    if classes:
        wanted = {c.strip().lower().replace(" ", "") for c in classes}
        keep = [n for n, d in g.nodes(data=True) if {name.replace(" ", "") for name in d["names"]} & wanted]
        if not keep:
            raise UsageProblem(f"no individual belongs to class {', '.join(classes)}")
        g = g.subgraph(keep).copy()
    if properties:
        wanted = {p.strip().lower() for p in properties}
        drop = [(u, v, k) for u, v, k, d in g.edges(keys=True, data=True)
                if not ({k.lower(), k.split(":")[-1].lower(), d["label"].lower()} & wanted)]
        if g.number_of_edges() and len(drop) == g.number_of_edges():
            raise UsageProblem(f"no link is of relation {', '.join(properties)}")
        g.remove_edges_from(drop)
    return g


def _neighbourhood(g: Any, focus: str, depth: int) -> Any:
    import networkx as nx

    if focus not in g:
        raise UsageProblem(f"{compact(focus)} is not a node of this view")
    near = nx.single_source_shortest_path_length(g.to_undirected(as_view=True), focus, cutoff=depth)
    g = g.subgraph(near).copy()
    g.graph["focus"] = focus
    return g


# --------------------------------------------------------------------------- picture views

# Folded out of pictures unless asked for: events and statistics link to almost everything (16 of
# the MHRA's 28 neighbours are events) and every individual cites sources, so they crowd out the rest.
FOLDABLE: dict[str, str] = {"events": "Event", "statistics": "Statistic", "sources": "Source"}


def network_view(store: Any, *, classes: Sequence[str] = (), properties: Sequence[str] = (),
                 focus: str | None = None, depth: int = 1, include: Iterable[str] = (),
                 with_sources: bool = False) -> Any:
    """The network as pictures show it: build_network's graph with events, statistics and sources
    folded away unless `include` names them (or `classes` asks for them).

    The focus is never folded, and a neighbourhood is taken after folding, so a focus view shows
    the entity's rules, bodies and programmes rather than the events that mention it. With
    `properties`, individuals left without a link of those relations are left out. The graph
    records what was left out in `graph["folded"]` (folded class name -> how many of them link to a
    drawn individual) and `graph["unlinked"]`.
    """
    import networkx as nx

    include = {i.strip().lower() for i in include}
    unknown = include - set(FOLDABLE)
    if unknown:
        raise UsageProblem(f"--include takes {', '.join(FOLDABLE)}; not {', '.join(sorted(unknown))}")
    wanted = {c.strip().lower().replace(" ", "") for c in classes}
    source_nodes = "sources" in include or bool(wanted & {"source", "sources", "sourcedocument"})
    whole = _whole_network(store, with_sources=with_sources, source_nodes=source_nodes)
    g = whole
    if classes:
        g = _narrow(g, classes=classes)  # whatever a class filter keeps was asked for: nothing is folded
        folded_tops: set[str] = set()
    else:
        folded_tops = {top for name, top in FOLDABLE.items() if name not in include}
        fold = [n for n, d in g.nodes(data=True) if d["top"] in folded_tops and n != focus]
        g = g.subgraph(set(g) - set(fold)).copy()
    unlinked = 0
    if properties:
        try:
            g = _narrow(g, properties=properties)
        except UsageProblem:
            if folded_tops and _narrow(whole, properties=properties).number_of_edges():
                hint = ", ".join(f"--include {n}" for n, top in FOLDABLE.items() if top in folded_tops)
                raise UsageProblem(f"every link of relation {', '.join(properties)} involves folded individuals "
                                   f"(bring them back with {hint})") from None
            raise
        lone = [n for n in g if g.degree(n) == 0 and n != focus]
        unlinked = len(lone)
        g.remove_nodes_from(lone)
    if focus:
        g = _neighbourhood(g, focus, depth)
    folded: Counter[str] = Counter(
        d["top"] for n, d in whole.nodes(data=True)
        if d["top"] in folded_tops and n not in g and any(m in g for m in nx.all_neighbors(whole, n)))
    g.graph.update(view="network", folded=dict(folded), unlinked=unlinked)
    return _sorted(g)


# The governance map's layers, left to right, and the relations drawn between neighbouring layers,
# each read in the direction of the story (use -> challenge -> response -> body).
GOVERNANCE_LAYERS: tuple[str, ...] = ("AI uses", "Challenges they face",
                                      "Rules, programmes, strategies and reports that address them",
                                      "Bodies that enforce, run or publish them")
GOVERNANCE_RELATIONS: tuple[str, ...] = ("faces", "addressed by", "enforced by", "run by", "published by")
RESPONSE_CLASSES: tuple[str, ...] = ("Regulation", "Programme", "Strategy", "Report")
# (property, relation, True when the story reads the property backwards)
_STORY_LINKS = (("facesChallenge", "faces", False), ("addressesChallenge", "addressed by", True),
                ("enforces", "enforced by", True), ("runBy", "run by", False), ("publishes", "published by", True))


def governance_map(store: Any, *, focus: str | None = None) -> Any:
    """The POSTnote's story as a layered graph: AI uses -> the challenges they face -> the rules,
    programmes, strategies and reports that address them -> the bodies that enforce, run or publish those.

    Nodes carry `layer` (0-3, an index into GOVERNANCE_LAYERS); challenges carry `gap` (True when no
    regulation addresses them, as `aihkg query challenges_without_regulation` reports). Edges run left
    to right and carry `relation` (one of GOVERNANCE_RELATIONS, also their label) and the property they
    come from. Uses enter the map when they face a challenge directly; `graph["uses_elsewhere"]` counts
    the other uses (their challenges are those of the broader uses they are part of). With `focus`, the
    map keeps what lies on a chain through that entity.
    """
    import networkx as nx

    whole = _whole_network(store)
    story = {ONTOLOGY_NS + p: (relation, backwards) for p, relation, backwards in _STORY_LINKS}
    challenges = {n for n, d in whole.nodes(data=True) if d["top"] == "Challenge"}
    links: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for u, v, d in whole.edges(data=True):
        if d["property"] not in story:
            continue
        relation, backwards = story[d["property"]]
        a, b = (v, u) if backwards else (u, v)
        links.setdefault((a, b), []).append((relation, d["property"]))
    layer: dict[str, int] = {c: 1 for c in challenges}
    for (a, b), rels in links.items():
        kinds = {r for r, _ in rels}
        if "faces" in kinds and b in challenges and whole.nodes[a]["top"] == "AIUse":
            layer[a] = 0
        if "addressed by" in kinds and a in challenges and whole.nodes[b]["top"] in RESPONSE_CLASSES:
            layer[b] = 2
    for (a, b), rels in links.items():
        if layer.get(a) == 2 and whole.nodes[b]["top"] == "Organisation" and {r for r, _ in rels} & {
                "enforced by", "run by", "published by"}:
            layer[b] = 3
    g = nx.MultiDiGraph()
    for n in sorted(layer):
        g.add_node(n, **whole.nodes[n], layer=layer[n])
    strength = {r: i for i, r in enumerate(GOVERNANCE_RELATIONS)}
    for (a, b), rels in sorted(links.items()):
        if a in layer and b in layer and layer[b] == layer[a] + 1:
            ordered = sorted(set(rels), key=lambda rp: strength[rp[0]])
            relation, prop = ordered[0]  # enforced by before published by: the stronger tie is drawn
            g.add_edge(a, b, key=relation, relation=relation, label=_joined([r for r, _ in ordered]),
                       property=prop, inverse_label="")
    regulations = {n for n, d in whole.nodes(data=True) if "Regulation" in d["tops"]}
    for c in challenges:
        g.nodes[c]["gap"] = not any(u in regulations and k == "aihkg:addressesChallenge"
                                    for u, _, k in whole.in_edges(c, keys=True))
    g.graph.update(view="governance", uses_elsewhere=sum(1 for n, d in whole.nodes(data=True)
                                                         if d["top"] == "AIUse" and n not in g))
    if focus:
        if focus not in g:
            d = whole.nodes[focus] if focus in whole else None
            what = f"{d['label']} ({d['cls']})" if d else compact(focus)
            raise UsageProblem(f"{what} is not on the governance map; draw its neighbourhood with --view network")
        chain = {focus} | nx.ancestors(g, focus) | nx.descendants(g, focus)
        g = g.subgraph(chain).copy()
        g.graph["focus"] = focus
    return _sorted(g)


def _joined(relations: list[str]) -> str:
    """"enforced by", "published by" -> "enforced and published by"."""
    if len(relations) > 1 and all(r.endswith(" by") for r in relations):
        return " and ".join(r.removesuffix(" by") for r in relations) + " by"
    return " and ".join(relations)


def _sorted(g: Any) -> Any:
    """The same graph with nodes and edges in a fixed order, so layouts and files are repeatable."""
    import networkx as nx

    out = nx.MultiDiGraph()
    out.graph.update(g.graph)
    out.add_nodes_from(sorted(g.nodes(data=True), key=lambda nd: nd[0]))
    out.add_edges_from(sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])))
    return out


def simple_undirected(g: Any) -> Any:
    import networkx as nx

    h = nx.Graph()
    h.add_nodes_from(g.nodes(data=True))
    for u, v in g.edges():
        if h.has_edge(u, v):
            h[u][v]["weight"] += 1
        else:
            h.add_edge(u, v, weight=1)
    return h


# --------------------------------------------------------------------------- answers


@dataclass
class Step:
    source: str
    target: str
    labels: list[str]  # property labels read in the direction of travel
    forward: bool


# Hubs that link almost everything to everything: a chain through them says little.
BYPASSED_BY_DEFAULT = ("Event", "Statistic", "Jurisdiction")


def shortest_paths(g: Any, a: str, b: str, *, all_paths: bool = False, limit: int = 50,
                   bypass: tuple[str, ...] = BYPASSED_BY_DEFAULT) -> list[list[Step]]:
    """Shortest chains of relationships from `a` to `b`, following links either way.

    Individuals of the `bypass` top classes may start or end a chain but are not passed through.
    """
    import networkx as nx

    for end in (a, b):
        if end not in g:
            raise UsageProblem(f"{compact(end)} is not an individual of the network")
    keep = [n for n, d in g.nodes(data=True) if n in (a, b) or d["top"] not in bypass]
    # Rebuilt in sorted order: a subgraph view walks its nodes in set order, which changes with the
    # hash seed, so a tie between paths would be broken differently from run to run.
    undirected = simple_undirected(_sorted(g.subgraph(keep)))
    try:
        if all_paths:
            paths = []
            for p in nx.all_shortest_paths(undirected, a, b):
                paths.append(p)
                if len(paths) >= limit:
                    break
        else:
            paths = [nx.shortest_path(undirected, a, b)]
    except nx.NetworkXNoPath:
        return []
    return [[_step(g, u, v) for u, v in zip(p, p[1:], strict=False)] for p in sorted(paths)]


def _step(g: Any, u: str, v: str) -> Step:
    forward = [d["label"] for d in g.get_edge_data(u, v, default={}).values()]
    if forward:
        return Step(u, v, sorted(set(forward)), True)
    backward = g.get_edge_data(v, u, default={}).values()
    labels = sorted({d["inverse_label"] or d["label"] for d in backward})
    has_inverse = all(d["inverse_label"] for d in backward)
    return Step(u, v, labels, has_inverse)


def format_path(g: Any, steps: list[Step]) -> str:
    if not steps:
        return ""
    parts = [g.nodes[steps[0].source]["label"]]
    for step in steps:
        label = "/".join(step.labels)
        arrow = f" --{label}--> " if step.forward else f" <--{label}-- "
        parts.append(arrow + g.nodes[step.target]["label"])
    return "".join(parts)


def centrality(g: Any, by: str = "degree") -> dict[str, float]:
    import networkx as nx

    h = simple_undirected(g)
    if by == "degree":
        return nx.degree_centrality(h)
    if by == "betweenness":
        return nx.betweenness_centrality(h, normalized=True)
    if by == "pagerank":
        directed = nx.DiGraph()
        directed.add_nodes_from(g.nodes)
        directed.add_edges_from((u, v) for u, v in g.edges())
        return nx.pagerank(directed, alpha=0.85)
    raise UsageProblem(f"unknown centrality '{by}' (use degree, betweenness or pagerank)")


def rank(g: Any, by: str = "degree", classes: Iterable[str] = (), top: int = 20) -> list[tuple[str, float]]:
    scores = centrality(g, by)
    wanted = {c.strip().lower().replace(" ", "") for c in classes}
    items = [(n, s) for n, s in scores.items()
             if not wanted or {g.nodes[n]["top"].lower(), g.nodes[n]["cls"].lower().replace(" ", "")} & wanted]
    if wanted and not items:
        raise UsageProblem(f"no individual belongs to class {', '.join(classes)}")
    items.sort(key=lambda item: (-item[1], g.nodes[item[0]]["label"].lower(), item[0]))
    return items[:top] if top else items


def communities(g: Any, seed: int = 42) -> list[list[str]]:
    """Groups found by modularity (Louvain, seeded), largest first; members sorted by degree."""
    import networkx as nx

    h = simple_undirected(g)
    if h.number_of_edges() == 0:
        return [[n] for n in sorted(h)]
    groups = nx.community.louvain_communities(h, weight="weight", seed=seed)
    degree = dict(h.degree())
    ordered = [sorted(c, key=lambda n: (-degree[n], g.nodes[n]["label"].lower(), n)) for c in groups]
    ordered.sort(key=lambda c: (-len(c), c[0]))
    return ordered


def community_of(groups: list[list[str]]) -> dict[str, int]:
    return {n: i for i, group in enumerate(groups) for n in group}


# --------------------------------------------------------------------------- exports


def _flat(g: Any, colour_by: dict[str, str] | None = None) -> Any:
    """A copy with only string/number attributes, as GraphML and GEXF require."""
    import networkx as nx

    out = nx.MultiDiGraph()
    for n, d in g.nodes(data=True):
        colour = (colour_by or {}).get(n, d["colour"])
        out.add_node(n, label=d["label"], curie=d["curie"], cls=d["cls"], top=d["top"], colour=colour,
                     description=d.get("description", ""), iri=n)
    for u, v, k, d in g.edges(keys=True, data=True):
        out.add_edge(u, v, key=k, label=d["label"], property=d["property"])
    return out


def _rgb(colour: str) -> dict[str, int]:
    return {"r": int(colour[1:3], 16), "g": int(colour[3:5], 16), "b": int(colour[5:7], 16)}


def to_graphml(g: Any) -> bytes:
    import io

    import networkx as nx

    buf = io.BytesIO()
    nx.write_graphml(_flat(g), buf, encoding="utf-8", prettyprint=True, named_key_ids=True)
    return buf.getvalue()


def to_gexf(g: Any) -> bytes:
    import io

    import networkx as nx

    flat = _flat(g)
    degree = dict(flat.degree())
    for n, d in flat.nodes(data=True):
        d["viz"] = {"color": {**_rgb(d["colour"]), "a": 1.0}, "size": float(4 + 2 * degree[n] ** 0.5)}
    buf = io.BytesIO()
    nx.write_gexf(flat, buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue()


def to_cytoscape(g: Any, positions: dict[str, tuple[float, float]] | None = None) -> dict[str, Any]:
    nodes = []
    for n, d in g.nodes(data=True):
        item: dict[str, Any] = {"data": {
            "id": n, "label": d["label"], "short": d.get("alt") or d["label"], "curie": d["curie"],
            "cls": d["cls"], "top": d["top"], "colour": d.get("draw_colour", d["colour"]),
            "description": d.get("description", ""), "sources": d.get("sources", []),
        }}
        if positions:
            x, y = positions[n]
            item["position"] = {"x": round(float(x), 2), "y": round(float(y), 2)}
        nodes.append(item)
    edges = [{"data": {"id": f"e{i}", "source": u, "target": v, "label": d["label"], "property": d["property"]}}
             for i, (u, v, _k, d) in enumerate(g.edges(keys=True, data=True))]
    return {"format_version": "1.0", "generated_by": "aihkg", "elements": {"nodes": nodes, "edges": edges}}


def export_network(kg: Any, fmt: str) -> bytes:
    # Cytoscape.js JSON carries each node's sources (title and URL); GraphML and GEXF attributes are scalars.
    g = build_network(kg.store, with_sources=fmt == "cytoscape")
    if fmt == "graphml":
        return to_graphml(g)
    if fmt == "gexf":
        return to_gexf(g)
    if fmt == "cytoscape":
        return (json.dumps(to_cytoscape(g), indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    raise UsageProblem(f"unknown network format '{fmt}'")


def class_summary(g: Any) -> Counter[str]:
    return Counter(d["top"] for _, d in g.nodes(data=True))
