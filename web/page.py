"""The interactive network page: served at /graph by `aihkg serve`, written by `aihkg viz -o x.html`.

One template (templates/graph.html) in two modes: served, where the page loads Cytoscape.js, its
script and its style sheet from the server (the Content-Security-Policy forbids inline scripts), and
offline, where the same three are inlined so the file works with no server and no network. The graph
itself travels as a JSON data block (never executed) in both.

The page opens readable: positions are scaled so that a fitted view shows nodes several pixels wide,
every node carries its degree and its rank by degree (the most connected are labelled first; more
labels appear as one zooms in), and nothing is computed in the browser that could warn.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parent / "static"
CYTOSCAPE = Path(__file__).resolve().parents[1] / "graph" / "static" / "cytoscape.min.js"
# Model units between neighbouring nodes in a fitted view; node diameters run from NODE_MIN to NODE_MAX.
SPACING = 50.0
NODE_MIN, NODE_MAX = 12.0, 44.0


def script_json(value: Any) -> str:
    """JSON that is safe inside an HTML <script> element: "</", "<!--" and "&" cannot end or open anything."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def network_data(g: Any, *, layout: str = "spring", groups: list[list[str]] | None = None,
                 link: str = "entity") -> dict[str, Any]:
    """Cytoscape elements with positions, degree, rank and links, and the legend, for a networkx graph.

    Args:
        g: a network from graph.network.build_network (sources attached for hover text).
        layout: spring, kamada-kawai or shell (graph.viz.layout_positions), seeded.
        groups: communities to colour by instead of top classes.
        link: "entity" links each node to its page on the server (/id/NAME, /source/NAME,
            /entity?iri=...); "iri" links to the IRI itself (for the offline page).
    """
    from urllib.parse import quote

    from aihkg.graph.network import simple_undirected, to_cytoscape
    from aihkg.graph.viz import colours_for, layout_positions
    from aihkg.queries.explore import local_name

    colour, legend = colours_for(g, groups)
    for n in g.nodes:
        g.nodes[n]["draw_colour"] = colour[n]
    pos = positions(g, layout, layout_positions)
    data = to_cytoscape(g, _scaled(pos, g.number_of_nodes()))
    degree = dict(simple_undirected(g).degree())
    order = sorted(g.nodes, key=lambda v: (v != g.graph.get("focus"), -degree.get(v, 0), g.nodes[v]["label"].lower()))
    rank = {v: i for i, v in enumerate(order)}
    top = max(degree.values(), default=1) or 1
    for node in data["elements"]["nodes"]:
        d = node["data"]
        d["degree"] = degree.get(d["id"], 0)
        d["rank"] = rank[d["id"]]
        d["size"] = round(NODE_MIN + (NODE_MAX - NODE_MIN) * math.sqrt(d["degree"] / top), 1)
        where = local_name(d["id"]) if link == "entity" else None
        if link != "entity":
            d["href"] = d["id"] if d["id"].lower().startswith(("http://", "https://")) else ""
        elif where:
            d["href"] = f"/{where[0]}/{quote(where[1])}"
        else:
            d["href"] = "/entity?iri=" + quote(d["id"], safe="")
    focus = g.graph.get("focus")
    return {"elements": data["elements"], "legend": [list(item) for item in legend], "focus": focus,
            "nodes": g.number_of_nodes(), "edges": g.number_of_edges()}


# A force layout of a few hundred nodes takes seconds; below this size it is cheap enough to redo.
CACHE_FROM_NODES = 150


def positions(g: Any, layout: str, compute: Any) -> dict[str, tuple[float, float]]:
    """The layout's positions, from the cache for a large graph (keyed by its nodes, its links, the
    layout and the module that computes it), else computed."""
    if g.number_of_nodes() < CACHE_FROM_NODES:
        return compute(g, layout)
    import hashlib
    import inspect

    from aihkg.graph.cache import cached

    h = hashlib.sha256()
    h.update(layout.encode())
    h.update(Path(inspect.getsourcefile(compute) or __file__).read_bytes())  # the layout code, all of it
    for n in sorted(g.nodes):
        h.update(n.encode() + b"\n")
    for u, v in sorted({tuple(sorted((u, v))) for u, v in g.edges()}):
        h.update(f"{u} {v}\n".encode())

    def build() -> bytes:
        return json.dumps({n: [x, y] for n, (x, y) in compute(g, layout).items()}).encode()

    stored = json.loads(cached(f"network-layout-{layout}", h.hexdigest(), build, ".json"))
    return {n: (float(x), float(y)) for n, (x, y) in stored.items()}


def _scaled(pos: dict[str, tuple[float, float]], n: int) -> dict[str, tuple[float, float]]:
    """Positions stretched so that the layout's larger side is about SPACING * sqrt(n) model units."""
    if not pos:
        return {}
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    scale = SPACING * math.sqrt(max(n, 2)) / span
    return {v: (x * scale, -y * scale) for v, (x, y) in pos.items()}


def render_page(g: Any, *, title: str, layout: str = "spring", groups: list[list[str]] | None = None,
                offline: bool = True, **context: Any) -> str:
    """The network page as HTML: self-contained (offline) or for the server."""
    from aihkg.web.templating import environment

    data = network_data(g, layout=layout, groups=groups, link="iri" if offline else "entity")
    data["offline"] = offline
    assets = {}
    if offline:
        assets = {
            "cytoscape": CYTOSCAPE.read_text(encoding="utf-8").replace("</script", "<\\/script"),
            "script": (STATIC / "graph.js").read_text(encoding="utf-8").replace("</script", "<\\/script"),
            "style": (STATIC / "graph.css").read_text(encoding="utf-8").replace("</style", "<\\/style"),
        }
    template = environment().get_template("graph.html")
    return template.render(title=title, data_json=script_json(data), offline=offline, assets=assets,
                           data=data, **context)


def write_html(g: Any, path: str, **kw: Any) -> dict[str, Any]:
    """Write the offline page atomically; return facts about it (as graph.viz.draw_picture does)."""
    from aihkg.graph.atomic import atomic_write_bytes

    atomic_write_bytes(path, render_page(g, offline=True, **kw).encode("utf-8"))
    return {"nodes": g.number_of_nodes(), "edges": g.number_of_edges()}
