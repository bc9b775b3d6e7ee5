"""Pictures of the network: PNG/SVG/PDF through matplotlib, and a self-contained HTML page.

Two kinds of static picture. The governance map (network.governance_map) is drawn in ordered
layers, uses -> challenges -> responses -> bodies, one labelled box per entity, with the gaps
(challenges no rule addresses) outlined in red. The network view draws any other view of the
network with a seeded force layout, arrowheads on every link and labels placed where they
overlap nothing.

A picture is first laid out as a *scene*: every box, circle, polyline, arrowhead and text in
pixel coordinates (at 100 dpi, origin bottom left). The scene is cached by the hash of the view's
nodes and edges and the layout parameters, so the layout and label placement run once per graph
content; drawing a cached scene is a handful of matplotlib collections. `draw_picture` returns the
geometry it drew, so tests can check that nothing overlaps, nothing is cut and every edge has its
arrowhead.
"""

from __future__ import annotations

import hashlib
import json
import math
import textwrap
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aihkg.graph.errors import UsageProblem
from aihkg.graph.network import (
    CLASS_COLOURS,
    COMMUNITY_COLOURS,
    GOVERNANCE_LAYERS,
    GOVERNANCE_RELATIONS,
    RESPONSE_CLASSES,
    class_summary,
    simple_undirected,
)

LAYOUTS = ("spring", "kamada-kawai", "shell")
VIEWS = ("governance", "network")
PICTURE_SUFFIXES = (".png", ".svg", ".pdf")
SEED = 42
DPI = 100
# Part of every cached scene's key: change it when the layout or placement code changes.
SCENE_VERSION = "3"
# Communities that get a colour and a legend entry of their own; the rest share grey.
NAMED_COMMUNITIES = 10
OTHER_COMMUNITIES = "#c7c7c7"
GAP_COLOUR = "#d00000"
FONT = "DejaVu Sans"

# How each governance relation is drawn: colour, line width, line alpha.
RELATION_STYLES: dict[str, tuple[str, float, float]] = {
    "faces": ("#2b5d8c", 1.1, 0.55),
    "addressed by": ("#7b3294", 1.0, 0.45),
    "enforced by": ("#b35806", 2.0, 0.9),
    "run by": ("#1b7837", 1.6, 0.9),
    "published by": ("#8c8c8c", 0.9, 0.6),
}
NETWORK_EDGE = ("#555555", 0.6, 0.4)
NETWORK_ARROW = "#333333"


# --------------------------------------------------------------------------- layouts


def layout_positions(g: Any, layout: str | None = "spring",
                     groups: list[list[str]] | None = None) -> dict[str, tuple[float, float]]:
    """Seeded node positions in layout units. With `groups`, links inside a group pull harder, so
    communities sit together."""
    import networkx as nx

    layout = layout or "spring"
    h = simple_undirected(g)
    if h.number_of_nodes() == 0:
        return {}
    if groups:
        where = {n: i for i, grp in enumerate(groups) for n in grp}
        for u, v, d in h.edges(data=True):
            d["weight"] = 1.0 if where.get(u) == where.get(v) else 0.08
    if layout in ("spring", "kamada-kawai"):
        return _packed(h, layout, weighted=bool(groups))
    if layout == "shell":
        shells: dict[str, list[str]] = {}
        for n, d in h.nodes(data=True):
            shells.setdefault(d["top"], []).append(n)
        order = sorted(shells, key=lambda t: (-len(shells[t]), t))
        pos = nx.shell_layout(h, nlist=[sorted(shells[t]) for t in order])
    else:
        raise UsageProblem(f"unknown layout '{layout}' (use {', '.join(LAYOUTS)})")
    return {n: (float(x), float(y)) for n, (x, y) in pos.items()}


def _packed(h: Any, layout: str, weighted: bool = False) -> dict[str, tuple[float, float]]:
    """Lay out each connected component on its own and shelf-pack them into a 4:3 rectangle.

    A force layout of a disconnected graph pushes small components to the far edges and squeezes
    the main one into the middle; packing keeps every part legible, and packing into rows as wide
    as the picture (not one column beside the main part) keeps many small parts readable too.
    """
    import networkx as nx

    parts = sorted((sorted(c) for c in nx.connected_components(h)), key=lambda c: (-len(c), c[0]))
    tiles: list[tuple[float, dict[str, tuple[float, float]]]] = []
    for nodes in parts:
        sub = h.subgraph(nodes)
        size = math.sqrt(len(nodes))
        if len(nodes) == 1:
            local = {nodes[0]: (0.0, 0.0)}
        elif layout == "spring":
            # From 500 nodes networkx switches to its sparse solver, a Python loop per node: fewer
            # rounds keep a first call on the whole graph within seconds.
            local = nx.spring_layout(sub, seed=SEED, k=1.8 / size, iterations=300 if len(nodes) < 500 else 80,
                                     weight="weight" if weighted else None)
        else:
            local = nx.kamada_kawai_layout(sub, weight=None)
        if len(nodes) >= 12:
            local = _spread(local)
        xs = [float(p[0]) for p in local.values()]
        ys = [float(p[1]) for p in local.values()]
        span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
        scale = size / span if len(nodes) > 1 else 0.0
        cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        width = max(size, 1.0)
        tiles.append((width, {n: ((float(x) - cx) * scale, (float(y) - cy) * scale) for n, (x, y) in local.items()}))
    area = sum((w + 0.5) ** 2 for w, _ in tiles)
    row_width = max(tiles[0][0] + 0.5, math.sqrt(area * 4 / 3))
    placed: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for width, local in tiles:
        if x > 0 and x + width > row_width:
            x, y, row_height = 0.0, y + row_height + 0.5, 0.0
        for n, (px, py) in local.items():
            placed[n] = (x + width / 2 + px, -(y + width / 2) + py)
        x += width + 0.5
        row_height = max(row_height, width)
    return placed


def _spread(local: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Even out a force layout's density: each coordinate moves halfway to its rank.

    Force layouts of hub-and-spoke graphs pack the hubs' neighbours into a dense core and leave
    the rim empty; blending each coordinate with its rank keeps every node's left/right and
    up/down order but gives the core room for labels.
    """
    names = list(local)
    out = {n: [0.0, 0.0] for n in names}
    for axis in (0, 1):
        values = [float(local[n][axis]) for n in names]
        lo, hi = min(values), max(values)
        span = (hi - lo) or 1.0
        ranked = sorted(range(len(names)), key=lambda i: (values[i], names[i]))
        for r, i in enumerate(ranked):
            out[names[i]][axis] = 0.5 * (2 * (values[i] - lo) / span - 1) + 0.5 * (2 * r / (len(names) - 1) - 1)
    return {n: (x, y) for n, (x, y) in out.items()}


# --------------------------------------------------------------------------- colours and names


def colours_for(g: Any, groups: list[list[str]] | None) -> tuple[dict[str, str], list[tuple[str, str, int]]]:
    """Node colours and legend entries (colour, name, count): by top class, or by community.

    A community is named by its most central member (groups come from network.communities, which
    puts the best-connected member first); the largest NAMED_COMMUNITIES get a colour each and the
    rest share one grey entry, so every colour in the picture is in the legend.
    """
    if groups:
        colour: dict[str, str] = {}
        legend: list[tuple[str, str, int]] = []
        for i, grp in enumerate(groups):
            c = COMMUNITY_COLOURS[i] if i < NAMED_COMMUNITIES else OTHER_COMMUNITIES
            colour.update({n: c for n in grp})
            if i < NAMED_COMMUNITIES:
                legend.append((c, f"around {_box_label(g.nodes[grp[0]], 36, 1)}", len(grp)))
        rest = groups[NAMED_COMMUNITIES:]
        if rest:
            legend.append((OTHER_COMMUNITIES, f"{len(rest)} smaller groups", sum(len(grp) for grp in rest)))
        return colour, legend
    colour = {n: d["colour"] for n, d in g.nodes(data=True)}
    counts = class_summary(g)
    legend = [(CLASS_COLOURS.get(top, "#999999"), _class_name(top), counts[top])
              for top in sorted(counts, key=lambda t: (-counts[t], t))]
    return colour, legend


def _class_name(top: str) -> str:
    names = {"AIUse": "AI use", "AISystem": "AI system", "AITechnique": "AI technique",
             "AffectedGroup": "Affected group", "DataResource": "Data resource", "Source": "Source document"}
    return names.get(top, top)


# Kinds of entity whose short names (MHRA, UK GDPR, DTAC) are what readers know them by.
_ACRONYM_CLASSES = ("Organisation", "Regulation", "Programme", "Strategy", "Report", "Funding", "DataResource")


def _box_label(d: dict[str, Any], width: int = 30, lines: int = 2) -> str:
    """The name to write, wrapped, not cut: the label, or the short name of an organisation or a
    document whose label is long (its skos:altLabel, when that is a proper name)."""
    text = d["label"]
    alt = d.get("alt") or ""
    if len(text) > width and alt and alt[0].isupper() and len(alt) < len(text) and d.get("top") in _ACRONYM_CLASSES:
        text = alt
    wrapped = textwrap.wrap(text, width, break_long_words=False) or [text]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 1].rstrip() + "…"
    return "\n".join(wrapped)


def _tint(colour: str, amount: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in (r, g, b))


# --------------------------------------------------------------------------- measuring text


class _Canvas:
    """A figure of the picture's size, used to measure text before anything is placed."""

    def __init__(self, width: float, height: float) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
        FigureCanvasAgg(self.fig)
        self.renderer = self.fig.canvas.get_renderer()
        self._cache: dict[tuple[str, float, str], tuple[float, float]] = {}

    def size(self, text: str, fontsize: float, weight: str = "normal") -> tuple[float, float]:
        """Width and height in pixels of `text` (several lines allowed), without any box around it."""
        key = (text, fontsize, weight)
        if key not in self._cache:
            t = self.fig.text(0, 0, text, fontsize=fontsize, fontweight=weight, family=FONT)
            box = t.get_window_extent(renderer=self.renderer)
            t.remove()
            self._cache[key] = (box.width, box.height)
        return self._cache[key]

    def wrap(self, text: str, fontsize: float, width: float, weight: str = "normal") -> str:
        """`text` broken into lines no wider than `width` pixels (a single long word stays whole)."""
        lines: list[str] = []
        for word in text.split():
            if lines and self.size(lines[-1] + " " + word, fontsize, weight)[0] <= width:
                lines[-1] += " " + word
            else:
                lines.append(word)
        return "\n".join(lines)


class _Occupied:
    """Boxes (x0, y0, x1, y1) already taken, in a uniform grid so an overlap test looks at few."""

    def __init__(self, cell: float = 80.0) -> None:
        self.cell = cell
        self.grid: dict[tuple[int, int], list[tuple[float, float, float, float]]] = defaultdict(list)

    def _cells(self, box: tuple[float, float, float, float]) -> Iterable[tuple[int, int]]:
        c = self.cell
        for i in range(int(box[0] // c), int(box[2] // c) + 1):
            for j in range(int(box[1] // c), int(box[3] // c) + 1):
                yield i, j

    def hits(self, box: tuple[float, float, float, float]) -> bool:
        return any(b[0] < box[2] and box[0] < b[2] and b[1] < box[3] and box[1] < b[3]
                   for cell in self._cells(box) for b in self.grid.get(cell, ()))

    def add(self, box: tuple[float, float, float, float]) -> None:
        for cell in self._cells(box):
            self.grid[cell].append(box)


def _arrowhead(tip: tuple[float, float], ux: float, uy: float, length: float, width: float) -> list[list[float]]:
    """A triangle pointing along (ux, uy) with its point at `tip`."""
    bx, by = tip[0] - ux * length, tip[1] - uy * length
    px, py = -uy * width / 2, ux * width / 2
    return [[tip[0], tip[1]], [bx + px, by + py], [bx - px, by - py]]


def _text(scene: dict[str, Any], text: str, x: float, y: float, size: float, *, ha: str = "left",
          va: str = "baseline", weight: str = "normal", colour: str = "#222222", kind: str = "text",
          box: str | None = None, node: str | None = None) -> None:
    scene["texts"].append({"text": text, "x": round(x, 2), "y": round(y, 2), "size": size, "ha": ha, "va": va,
                           "weight": weight, "colour": colour, "kind": kind, "box": box, "node": node})


def _new_scene(width: float, height: float) -> dict[str, Any]:
    return {"size": [math.ceil(width), math.ceil(height)], "boxes": [], "circles": [], "edges": [], "texts": [],
            "swatches": [], "lines": []}


# --------------------------------------------------------------------------- the governance map


_PAD_X, _PAD_Y, _ROW_GAP = 5.0, 3.5, 5.0
_GUTTER = 230.0
_ARROW_L, _ARROW_W = 8.0, 6.0
_MARGIN = 24.0


def _crossings(edges: list[tuple[float, float]]) -> int:
    edges = sorted(edges)
    return sum(1 for i, (a1, b1) in enumerate(edges) for a2, b2 in edges[i + 1:] if a2 > a1 and b2 < b1)


def _order_layers(g: Any, layers: list[list[str]], rounds: int = 12) -> list[list[str]]:
    """Order each layer to keep links from crossing: barycentre sweeps down and up, best kept.

    The responses stay in blocks by kind (rules, programmes, strategies, reports), so the column
    reads as a list; the order inside each block follows the links.
    """
    block = {n: (RESPONSE_CLASSES.index(g.nodes[n]["top"]) if g.nodes[n]["top"] in RESPONSE_CLASSES else 0)
             for n in g}
    label = {n: g.nodes[n]["label"].lower() for n in g}
    degree = dict(g.degree())
    order = [sorted(layer, key=lambda n: (block[n], -degree[n], label[n])) for layer in layers]
    column = {n: c for c, layer in enumerate(layers) for n in layer}  # empty layers are not columns
    rank: dict[str, float] = {}

    def renumber() -> None:
        for layer in order:
            for i, n in enumerate(layer):
                rank[n] = (i + 0.5) / len(layer)

    def total() -> int:
        return sum(_crossings([(rank[u], rank[v]) for u, v in g.edges() if column[u] == i])
                   for i in range(len(order) - 1))

    renumber()
    best, best_order = total(), [list(layer) for layer in order]
    sweeps = [(i, i - 1) for i in range(1, len(order))] + [(i, i + 1) for i in range(len(order) - 2, -1, -1)]
    for _ in range(rounds):
        for i, ref in sweeps:
            def centre(n: str, ref: int = ref) -> float:
                near = [rank[m] for m in (*g.predecessors(n), *g.successors(n)) if column[m] == ref]
                return sum(near) / len(near) if near else rank[n]
            order[i].sort(key=lambda n: (block[n], centre(n), label[n]))
            renumber()
        crossings = total()
        if crossings < best:
            best, best_order = crossings, [list(layer) for layer in order]
    return best_order


def _fit_column(nodes: list[str], heights: dict[str, float], wanted: dict[str, float],
                depth: float) -> dict[str, float]:
    """Centres (pixels down from the top) for a column of boxes in this order, each as near its
    wanted depth as the order and spacing allow (isotonic regression), all within [0, depth]."""
    from scipy.optimize import isotonic_regression

    offsets = [0.0]
    for a, b in zip(nodes, nodes[1:], strict=False):
        offsets.append(offsets[-1] + heights[a] / 2 + _ROW_GAP + heights[b] / 2)
    # centre_i = offset_i + z_i keeps the spacing exactly when z does not decrease.
    z = isotonic_regression([wanted[n] - off for n, off in zip(nodes, offsets, strict=True)]).x
    lo = heights[nodes[0]] / 2
    hi = max(lo, depth - heights[nodes[-1]] / 2 - offsets[-1])
    return {n: off + min(max(float(zi), lo), hi) for n, off, zi in zip(nodes, offsets, z, strict=True)}


def _governance_scene(g: Any, title: str) -> dict[str, Any]:
    canvas = _Canvas(1000, 1000)
    layers = [sorted(n for n in g if g.nodes[n]["layer"] == i) for i in range(len(GOVERNANCE_LAYERS))]
    shown = [i for i, layer in enumerate(layers) if layer]
    order = _order_layers(g, [layers[i] for i in shown])
    label = {n: _box_label(g.nodes[n], 34) for n in g}
    focus = g.graph.get("focus")
    weight = {n: "bold" if g.nodes[n].get("gap") or n == focus else "normal" for n in g}
    text_size = {n: canvas.size(label[n], 9, weight[n]) for n in g}
    # A box is tall enough to take each incoming arrowhead side by side, so none hides another.
    height = {n: max(text_size[n][1] + 2 * _PAD_Y, g.in_degree(n) * (_ARROW_W + 1) + 4) for n in g}
    col_w = [max(text_size[n][0] for n in col) + 2 * _PAD_X for col in order]
    stacked = [sum(height[n] for n in col) + _ROW_GAP * (len(col) - 1) for col in order]
    depth_total = max(stacked)
    depth: dict[str, float] = {}
    for col in order:  # first guess: spread evenly down the column
        for i, n in enumerate(col):
            depth[n] = (i + 0.5) / len(col) * depth_total
    for _ in range(4):
        for col in order:
            wanted = {}
            for n in col:
                near = [depth[m] for m in (*g.predecessors(n), *g.successors(n))]
                wanted[n] = sum(near) / len(near) if near else depth[n]
            depth.update(_fit_column(col, height, wanted, depth_total))

    headers = [canvas.wrap(GOVERNANCE_LAYERS[i], 11, max(col_w[c], 170.0), "bold") for c, i in enumerate(shown)]
    header_h = max(canvas.size(h, 11, "bold")[1] for h in headers)
    col_w = [max(w, canvas.size(h, 11, "bold")[0]) for w, h in zip(col_w, headers, strict=True)]
    xs = [_MARGIN]
    for w in col_w[:-1]:
        xs.append(xs[-1] + w + _GUTTER)
    width = xs[-1] + col_w[-1] + _MARGIN
    width = max(width, 1200.0)
    inner = width - 2 * _MARGIN

    title_text = canvas.wrap(title, 15, inner, "bold")
    title_h = canvas.size(title_text, 15, "bold")[1]

    # The legend: what each colour, outline and line means, with counts, flowing in rows.
    counts: dict[str, int] = {}
    for _n, d in g.nodes(data=True):
        counts[d["top"]] = counts.get(d["top"], 0) + 1
    gaps = sorted(n for n in g if g.nodes[n].get("gap"))
    relations: dict[str, int] = {}
    for *_e, d in g.edges(data=True):
        relations[d["relation"]] = relations.get(d["relation"], 0) + 1
    items: list[tuple[str, Any, str]] = []
    for top in ("AIUse", "Challenge", *RESPONSE_CLASSES, "Organisation"):
        if counts.get(top):
            items.append(("box", (CLASS_COLOURS[top], False), f"{_class_name(top)} ({counts[top]})"))
    if gaps:
        items.append(("box", (CLASS_COLOURS["Challenge"], True),
                      f"no rule addresses this ({len(gaps)}; aihkg query challenges_without_regulation)"))
    for relation in GOVERNANCE_RELATIONS:
        if relations.get(relation):
            items.append(("edge", relation, f"{relation} ({relations[relation]})"))
    legend_rows: list[list[tuple[str, Any, str, float]]] = [[]]
    row_w = 0.0
    for kind, what, text in items:
        w = 34 + canvas.size(text, 10)[0] + 22
        if legend_rows[-1] and row_w + w > inner:
            legend_rows.append([])
            row_w = 0.0
        legend_rows[-1].append((kind, what, text, w))
        row_w += w
    legend_h = 22.0 * len(legend_rows)

    notes = []
    if g.graph.get("uses_elsewhere") and not g.graph.get("focus"):
        notes.append(f"{g.graph['uses_elsewhere']} more specific uses are not drawn: they face the challenges of the "
                     "broader uses they belong to (aihkg query uses_and_challenges).")
    notes.append("Impacts, funding, events, statistics and sources are left out of the map: "
                 "aihkg viz --view network [--include events] draws them.")
    caption = canvas.wrap(" ".join(notes), 9, inner)
    caption_h = canvas.size(caption, 9)[1]

    total_h = (_MARGIN + title_h + 14 + header_h + 10 + depth_total + 18 + legend_h + 8 + caption_h + _MARGIN)
    scene = _new_scene(width, total_h)
    top_y = math.ceil(total_h) - _MARGIN
    _text(scene, title_text, _MARGIN, top_y, 15, va="top", weight="bold", kind="title")
    header_y = top_y - title_h - 14
    for c, text in enumerate(headers):
        _text(scene, text, xs[c], header_y, 11, va="top", weight="bold", colour="#333333", kind="header")
    content_top = header_y - header_h - 10

    box_of: dict[str, tuple[float, float, float, float]] = {}
    for c, col in enumerate(order):
        for n in col:
            d = g.nodes[n]
            yc = content_top - depth[n]
            x0, y0 = xs[c], yc - height[n] / 2
            box_of[n] = (x0, y0, x0 + col_w[c], y0 + height[n])
            gap = bool(d.get("gap"))
            edge, lw = (GAP_COLOUR, 2.6) if gap else (("#000000", 2.2) if n == focus else (d["colour"], 1.0))
            scene["boxes"].append({"node": n, "x0": round(x0, 2), "y0": round(y0, 2), "w": round(col_w[c], 2),
                                   "h": round(height[n], 2), "face": _tint(d["colour"], 0.78), "edge": edge, "lw": lw})
            _text(scene, label[n], x0 + _PAD_X, yc, 9, va="center", kind="node", node=n, weight=weight[n])

    # Links: S-curves from the right side of one box to the left side of the next column's box,
    # spread over each side so arrowheads do not sit on one another.
    outgoing: dict[str, list[str]] = defaultdict(list)
    incoming: dict[str, list[str]] = defaultdict(list)
    for u, v in g.edges():
        outgoing[u].append(v)
        incoming[v].append(u)

    def port(n: str, others: list[str], other: str) -> float:
        others = sorted(others, key=lambda m: (-(box_of[m][1] + box_of[m][3]), m))
        box = box_of[n]
        mid = (box[1] + box[3]) / 2
        if len(others) == 1:
            return mid
        step = min(_ARROW_W + 1, (box[3] - box[1] - 4) / (len(others) - 1))
        return mid + ((len(others) - 1) / 2 - others.index(other)) * step

    for u, v, d in sorted(g.edges(data=True), key=lambda e: (e[0], e[1])):
        colour, lw, alpha = RELATION_STYLES[d["relation"]]
        y0, y1 = port(u, outgoing[u], v), port(v, incoming[v], u)
        x0, x1 = box_of[u][2], box_of[v][0]
        tip = (x1, y1)
        end = x1 - _ARROW_L * 0.8
        bend = (end - x0) * 0.5
        points = []
        for k in range(25):
            t = k / 24
            a, b, c3, e = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
            points.append([round(a * x0 + b * (x0 + bend) + c3 * (end - bend) + e * end, 2),
                           round(a * y0 + b * y0 + c3 * y1 + e * y1, 2)])
        scene["edges"].append({"source": u, "target": v, "label": d["label"], "colour": colour, "lw": lw,
                               "alpha": alpha, "points": points,
                               "arrow": [[round(p, 2) for p in q]
                                         for q in _arrowhead(tip, 1.0, 0.0, _ARROW_L, _ARROW_W)]})

    y = content_top - depth_total - 18
    for row in legend_rows:
        x = _MARGIN
        yc = y - 11
        for kind, what, text, w in row:
            if kind == "box":
                colour, gap = what
                scene["boxes"].append({"node": None, "x0": x, "y0": yc - 7, "w": 26, "h": 14,
                                       "face": _tint(colour, 0.78), "edge": GAP_COLOUR if gap else colour,
                                       "lw": 2.6 if gap else 1.0})
            else:
                colour, lw, alpha = RELATION_STYLES[what]
                scene["edges"].append({"source": None, "target": None, "label": what, "colour": colour, "lw": lw,
                                       "alpha": alpha, "points": [[x, yc], [x + 26 - _ARROW_L * 0.8, yc]],
                                       "arrow": _arrowhead((x + 26, yc), 1.0, 0.0, _ARROW_L, _ARROW_W)})
            _text(scene, text, x + 34, yc, 10, va="center", kind="legend")
            x += w
        y -= 22
    _text(scene, caption, _MARGIN, _MARGIN, 9, va="bottom", colour="#444444", kind="caption")
    scene["labelled"] = g.number_of_nodes()
    return scene


# --------------------------------------------------------------------------- the network view


def _network_scene(g: Any, layout: str | None, title: str, groups: list[list[str]] | None,
                   edge_labels: bool) -> dict[str, Any]:
    n_nodes = g.number_of_nodes()
    big = n_nodes > 150
    width, height = (2200, 1650) if big else (1600, 1200)
    canvas = _Canvas(width, height)
    scene = _new_scene(width, height)
    occupied = _Occupied()
    inner = width - 2 * _MARGIN

    title_text = canvas.wrap(title, 15, inner, "bold")
    title_h = canvas.size(title_text, 15, "bold")[1]
    _text(scene, title_text, _MARGIN, height - _MARGIN, 15, va="top", weight="bold", kind="title")
    occupied.add((_MARGIN, height - _MARGIN - title_h, width - _MARGIN, height - _MARGIN))

    colour, legend = colours_for(g, groups)
    font = 10
    legend_texts = [f"{name} ({count})" for _c, name, count in legend] + ["link, pointing to its object"]
    legend_w = max(canvas.size(t, font)[0] for t in legend_texts) + 30
    legend_x = width - _MARGIN - legend_w
    y = height - _MARGIN - title_h - 18
    for (c, _name, _count), text in zip(legend, legend_texts, strict=False):
        scene["circles"].append({"node": None, "x": legend_x + 7, "y": y - 8, "r": 6, "face": c, "edge": "#333333"})
        _text(scene, text, legend_x + 22, y - 8, font, va="center", kind="legend")
        y -= 20
    ec, elw, ealpha = NETWORK_EDGE
    scene["edges"].append({"source": None, "target": None, "label": "", "colour": ec, "lw": elw, "alpha": ealpha,
                           "points": [[legend_x, y - 8], [legend_x + 14 - 7 * 0.8, y - 8]],
                           "arrow_colour": NETWORK_ARROW,
                           "arrow": _arrowhead((legend_x + 14, y - 8), 1.0, 0.0, 7, 5)})
    _text(scene, legend_texts[-1], legend_x + 22, y - 8, font, va="center", kind="legend")
    legend_bottom = y - 18
    occupied.add((legend_x - 4, legend_bottom, width - _MARGIN, height - _MARGIN - title_h - 10))

    caption_lines = 3
    caption_h = caption_lines * 9 * 1.45 * DPI / 72
    plot = (_MARGIN, _MARGIN + caption_h + 10, legend_x - 16, height - _MARGIN - title_h - 14)

    pos = layout_positions(g, layout, groups)
    h = simple_undirected(g)
    degree = dict(h.degree())
    focus = g.graph.get("focus")
    radius = {v: (9.0 if v == focus else 0.0) + (3.0 if big else 4.0) + 1.5 * math.sqrt(min(degree[v], 60))
              for v in g}
    r_max = max(radius.values())
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    x_lo, x_hi, y_lo, y_hi = min(xs), max(xs), min(ys), max(ys)
    room_x = 70.0 if not big else 40.0  # room beside the outermost nodes for their labels
    px0, px1 = plot[0] + r_max + room_x, plot[2] - r_max - room_x
    py0, py1 = plot[1] + r_max + 16, plot[3] - r_max - 16

    def place(value: float, lo: float, hi: float, a: float, b: float) -> float:
        return (a + b) / 2 if hi - lo < 1e-9 else a + (value - lo) / (hi - lo) * (b - a)

    xy = {v: (place(pos[v][0], x_lo, x_hi, px0, px1), place(pos[v][1], y_lo, y_hi, py0, py1)) for v in g}
    for v in g:
        x, y = xy[v]
        r = radius[v]
        scene["circles"].append({"node": v, "x": round(x, 2), "y": round(y, 2), "r": round(r, 2), "face": colour[v],
                                 "edge": "#000000" if v == focus else "#333333", "lw": 1.6 if v == focus else 0.6})
        occupied.add((x - r, y - r, x + r, y + r))

    # One drawn line per linked pair, an arrowhead at each end that is the object of a link.
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for u, v, d in g.edges(data=True):
        a, b = sorted((u, v))
        item = pairs.setdefault((a, b), {"heads": set(), "labels": set()})
        item["heads"].add(v)
        item["labels"].add(d["label"])
    arrow_l, arrow_w = (7.0, 5.0) if big else (9.0, 6.5)
    segments = []
    for (a, b), item in sorted(pairs.items()):
        (xa, ya), (xb, yb) = xy[a], xy[b]
        dist = math.hypot(xb - xa, yb - ya) or 1e-9
        ux, uy = (xb - xa) / dist, (yb - ya) / dist
        start = [xa + ux * radius[a], ya + uy * radius[a]]
        end = [xb - ux * radius[b], yb - uy * radius[b]]
        arrows = []
        if b in item["heads"]:
            arrows.append(_arrowhead((end[0], end[1]), ux, uy, arrow_l, arrow_w))
            end = [end[0] - ux * arrow_l * 0.8, end[1] - uy * arrow_l * 0.8]
        if a in item["heads"]:
            arrows.append(_arrowhead((start[0], start[1]), -ux, -uy, arrow_l, arrow_w))
            start = [start[0] + ux * arrow_l * 0.8, start[1] + uy * arrow_l * 0.8]
        for arrow in arrows:
            ax_ = [p[0] for p in arrow]
            ay_ = [p[1] for p in arrow]
            occupied.add((min(ax_), min(ay_), max(ax_), max(ay_)))
        segments.append((a, b, item, start, end, arrows))
        heads = sorted(item["heads"])
        scene["edges"].append({"source": a if heads == [b] else b if heads == [a] else a,
                               "target": heads[0] if len(heads) == 1 else b, "both": len(heads) == 2,
                               "label": " / ".join(sorted(item["labels"])), "colour": ec, "lw": elw, "alpha": ealpha,
                               "points": [[round(p, 2) for p in start], [round(p, 2) for p in end]],
                               "arrow_colour": NETWORK_ARROW,
                               "arrows": [[[round(p, 2) for p in q] for q in arrow] for arrow in arrows]})

    # Labels, most connected first, at the first of eight spots around the node that overlaps nothing.
    bounds = (_MARGIN / 2, plot[1] - 6, legend_x - 8, plot[3] + 6)
    font = 8 if big else 9
    pad = 0.2 * font * DPI / 72
    labelled = 0
    order = sorted(g, key=lambda v: (v != focus, -degree[v], g.nodes[v]["label"].lower(), v))
    for v in order:
        text = _box_label(g.nodes[v], 26)
        w, hh = canvas.size(text, font, "bold" if v == focus else "normal")
        w, hh = w + 2 * pad, hh + 2 * pad
        x, y = xy[v]
        spots = []
        for ring in (1.5, 9.0, 20.0):
            r = radius[v] + ring
            q = r * 0.7
            spots += [(x - w / 2, y + r), (x - w / 2, y - r - hh), (x + r, y - hh / 2), (x - r - w, y - hh / 2),
                      (x + q, y + q), (x - q - w, y + q), (x + q, y - q - hh), (x - q - w, y - q - hh)]
        for bx, by in spots:
            box = (bx, by, bx + w, by + hh)
            if box[0] < bounds[0] or box[2] > bounds[2] or box[1] < bounds[1] or box[3] > bounds[3]:
                continue
            if occupied.hits(box):
                continue
            occupied.add(box)
            _text(scene, text, bx + w / 2, by + hh / 2, font, ha="center", va="center", kind="node", node=v,
                  box="white", weight="bold" if v == focus else "normal")
            labelled += 1
            break

    placed_edge_labels = 0
    if edge_labels:
        efont = 7
        epad = 0.2 * efont * DPI / 72
        for _a, _b, item, start, end, _arrows in segments:
            text = " / ".join(sorted(item["labels"]))
            w, hh = canvas.size(text, efont)
            w, hh = w + 2 * epad, hh + 2 * epad
            for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78):
                cx, cy = start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t
                box = (cx - w / 2, cy - hh / 2, cx + w / 2, cy + hh / 2)
                if box[0] < bounds[0] or box[2] > bounds[2] or box[1] < bounds[1] or box[3] > bounds[3]:
                    continue
                if occupied.hits(box):
                    continue
                occupied.add(box)
                _text(scene, text, cx, cy, efont, ha="center", va="center", colour="#444444", kind="edge", box="white")
                placed_edge_labels += 1
                break

    notes = []
    folded = g.graph.get("folded") or {}
    if folded:
        names = {"Event": ("event", "events"), "Statistic": ("statistic", "statistics"),
                 "Source": ("source", "sources")}
        parts = [f"{count} {names[top][0] if count == 1 else names[top][1]}" for top, count in sorted(folded.items())]
        flags = ", ".join(f"--include {names[t][1]}" for t in sorted(folded))
        notes.append(f"Folded: {', '.join(parts)} linked to what is drawn ({flags} "
                     f"{'brings it' if len(folded) == 1 else 'bring them'} back).")
    if g.graph.get("unlinked"):
        notes.append(f"{g.graph['unlinked']} individuals with no link of the chosen relation are left out.")
    if labelled < n_nodes:
        notes.append(f"{labelled} of {n_nodes} individuals labelled, most connected first; the rest would overlap "
                     "(draw one neighbourhood with --focus NAME, or open the .html page to hover them).")
    if edge_labels and placed_edge_labels < len(segments):
        notes.append(f"{placed_edge_labels} of {len(segments)} linked pairs labelled.")
    caption = canvas.wrap(" ".join(notes), 9, inner)
    if caption:
        _text(scene, caption, _MARGIN, _MARGIN, 9, va="bottom", colour="#444444", kind="caption")
    scene["labelled"] = labelled
    scene["edge_labels"] = placed_edge_labels
    return scene


# --------------------------------------------------------------------------- drawing a scene


def _scene_key(g: Any, params: dict[str, Any]) -> str:
    import matplotlib

    digest = hashlib.sha256()
    digest.update(json.dumps({**params, "version": SCENE_VERSION, "matplotlib": matplotlib.__version__},
                             sort_keys=True, default=str).encode())
    for n, d in g.nodes(data=True):
        digest.update(json.dumps([n, d.get("label"), d.get("alt"), d.get("top"), d.get("colour"), d.get("layer"),
                                  d.get("gap")]).encode())
    for u, v, k, d in g.edges(keys=True, data=True):
        digest.update(json.dumps([u, v, k, d.get("label")]).encode())
    digest.update(json.dumps({k: v for k, v in g.graph.items()}, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def picture_scene(g: Any, *, layout: str | None = None, title: str = "", groups: list[list[str]] | None = None,
                  edge_labels: bool = False, cache_name: str | None = None, use_cache: bool = True) -> dict[str, Any]:
    """The laid-out picture of `g` (see the module's docstring), from the cache when it was laid out before.

    `cache_name` names the request (e.g. the command's options): each name keeps one cached scene,
    replaced when the graph's content changes.
    """
    governance = g.graph.get("view") == "governance"
    params = {"view": "governance" if governance else "network", "layout": layout or "spring", "title": title,
              "groups": groups, "edge_labels": edge_labels}

    def build() -> bytes:
        scene = (_governance_scene(g, title) if governance
                 else _network_scene(g, layout, title, groups, edge_labels))
        return json.dumps(scene, separators=(",", ":")).encode("utf-8")

    if not use_cache:
        return json.loads(build())
    from aihkg.graph.cache import cached

    name = cache_name or json.dumps([params["view"], g.graph.get("focus"), params["layout"], bool(groups), edge_labels])
    kind = "scene-" + hashlib.sha256(name.encode()).hexdigest()[:12]
    return json.loads(cached(kind, _scene_key(g, params), build, suffix=".json"))


def draw_picture(g: Any, path: str, *, layout: str | None = None, title: str = "",
                 groups: list[list[str]] | None = None, edge_labels: bool = False,
                 cache_name: str | None = None, use_cache: bool = True) -> dict[str, Any]:
    """Draw `g` to PNG, SVG or PDF (by the extension of `path`); return facts about the picture.

    A graph from network.governance_map is drawn as the layered governance map, any other as a
    network. The facts hold `geometry`: the size, every text's box, every node's box and every
    edge's polyline and arrowheads, in pixels from the bottom left, as drawn.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in PICTURE_SUFFIXES:
        raise UsageProblem(f"{path}: pictures are .png, .svg, .pdf (or .html for the interactive page)")
    if g.number_of_nodes() == 0:
        raise UsageProblem("nothing to draw: the view has no individuals")
    scene = picture_scene(g, layout=layout, title=title, groups=groups, edge_labels=edge_labels,
                          cache_name=cache_name, use_cache=use_cache)
    geometry = render_scene(scene, path)
    return {"nodes": g.number_of_nodes(), "edges": g.number_of_edges(), "labelled": scene["labelled"],
            "pixels": tuple(scene["size"]), "geometry": geometry}


def render_scene(scene: dict[str, Any], path: str) -> dict[str, Any]:
    """Draw a scene with one matplotlib collection per kind of mark; write it atomically; return its geometry."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import EllipseCollection, LineCollection, PatchCollection, PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    from aihkg.graph.atomic import atomic_writer

    suffix = Path(path).suffix.lower()
    width, height = scene["size"]
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()

    by_style: dict[tuple[str, float, float], list[Any]] = defaultdict(list)
    heads: dict[str, list[Any]] = defaultdict(list)
    for e in scene["edges"]:
        by_style[(e["colour"], e["lw"], e["alpha"])].append(e["points"])
        for arrow in e.get("arrows", [e["arrow"]] if "arrow" in e else []):
            heads[e.get("arrow_colour", e["colour"])].append(arrow)
    for (colour, lw, alpha), lines in sorted(by_style.items()):
        ax.add_collection(LineCollection(lines, colors=colour, linewidths=lw, alpha=alpha, zorder=1,
                                         capstyle="butt", antialiaseds=True))
    if scene["circles"]:
        circles = scene["circles"]
        ax.add_collection(EllipseCollection(
            [2 * c["r"] for c in circles], [2 * c["r"] for c in circles], [0.0] * len(circles), units="xy",
            offsets=[(c["x"], c["y"]) for c in circles], offset_transform=ax.transData,
            facecolors=[c["face"] for c in circles], edgecolors=[c["edge"] for c in circles],
            linewidths=[c.get("lw", 0.6) for c in circles], zorder=2))
    if scene["boxes"]:
        boxes = scene["boxes"]
        patches = [FancyBboxPatch((b["x0"], b["y0"]), b["w"], b["h"], boxstyle="round,pad=0,rounding_size=3")
                   for b in boxes]
        ax.add_collection(PatchCollection(patches, facecolors=[b["face"] for b in boxes],
                                          edgecolors=[b["edge"] for b in boxes],
                                          linewidths=[b["lw"] for b in boxes], zorder=2))
    for colour, arrows in sorted(heads.items()):
        ax.add_collection(PolyCollection(arrows, facecolors=colour, edgecolors="none", zorder=3, antialiaseds=True))
    artists = []
    for t in scene["texts"]:
        bbox = ({"boxstyle": "square,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85}
                if t["box"] == "white" else None)
        artists.append(ax.text(t["x"], t["y"], t["text"], fontsize=t["size"], ha=t["ha"], va=t["va"],
                               fontweight=t["weight"], color=t["colour"], family=FONT, bbox=bbox,
                               zorder=5 if t["kind"] in ("node", "edge") else 6,
                               multialignment="center" if t["ha"] == "center" else "left"))
    import matplotlib

    matplotlib.rcParams["svg.hashsalt"] = "aihkg"
    out = Path(path)
    with atomic_writer(out) as fh:
        fig.savefig(fh, format=suffix[1:], dpi=DPI,
                    metadata={"Date": None} if suffix == ".svg" else
                    ({"CreationDate": None} if suffix == ".pdf" else {"Software": "aihkg"}),
                    **({"pil_kwargs": {"compress_level": 3}} if suffix == ".png" else {}))
    if suffix != ".png":
        canvas.draw()  # the vector backends measured at 72 dpi; measure again as the PNG would be
    renderer = canvas.get_renderer()
    texts = []
    for t, artist in zip(scene["texts"], artists, strict=True):
        patch = artist.get_bbox_patch()
        box = (patch or artist).get_window_extent(renderer=renderer)
        texts.append({"text": t["text"], "kind": t["kind"], "node": t["node"],
                      "box": (box.x0, box.y0, box.x1, box.y1)})
    nodes = {b["node"]: (b["x0"], b["y0"], b["x0"] + b["w"], b["y0"] + b["h"]) for b in scene["boxes"] if b["node"]}
    nodes.update({c["node"]: (c["x"] - c["r"], c["y"] - c["r"], c["x"] + c["r"], c["y"] + c["r"])
                  for c in scene["circles"] if c["node"]})
    edges = [{"source": e["source"], "target": e["target"], "both": e.get("both", False), "label": e["label"],
              "points": e["points"], "arrows": e.get("arrows", [e["arrow"]] if "arrow" in e else []),
              "arrow_colour": e.get("arrow_colour", e["colour"])} for e in scene["edges"]]
    return {"size": (width, height), "texts": texts, "nodes": nodes, "edges": edges,
            "swatches": [(b["x0"], b["y0"], b["x0"] + b["w"], b["y0"] + b["h"]) for b in scene["boxes"]
                         if not b["node"]]}

