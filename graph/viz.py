"""Pictures of the network: PNG/SVG/PDF through matplotlib, and a self-contained HTML page.

Layouts are seeded, so the same graph gives the same picture. In the static pictures, labels
are placed greedily from the most connected node down and a label that would overlap one
already placed is left out, so what is written can be read.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from aihkg.graph.errors import UsageProblem
from aihkg.graph.network import CLASS_COLOURS, COMMUNITY_COLOURS, class_summary, simple_undirected

LAYOUTS = ("spring", "kamada-kawai", "shell")
PICTURE_SUFFIXES = (".png", ".svg", ".pdf")
SEED = 42


def layout_positions(g: Any, layout: str = "spring") -> dict[str, tuple[float, float]]:
    import networkx as nx

    h = simple_undirected(g)
    if h.number_of_nodes() == 0:
        return {}
    if layout in ("spring", "kamada-kawai"):
        return _packed(h, layout)
    if layout == "shell":
        shells: dict[str, list[str]] = {}
        for n, d in h.nodes(data=True):
            shells.setdefault(d["top"], []).append(n)
        order = sorted(shells, key=lambda t: (-len(shells[t]), t))
        pos = nx.shell_layout(h, nlist=[sorted(shells[t]) for t in order])
    else:
        raise UsageProblem(f"unknown layout '{layout}' (use {', '.join(LAYOUTS)})")
    return {n: (float(x), float(y)) for n, (x, y) in pos.items()}


def _packed(h: Any, layout: str) -> dict[str, tuple[float, float]]:
    """Lay out each connected component on its own and pack them side by side.

    A force layout of a disconnected graph pushes small components to the far edges and squeezes
    the main one into the middle; packing keeps every part legible.
    """
    import networkx as nx

    parts = sorted((sorted(c) for c in nx.connected_components(h)), key=lambda c: (-len(c), c[0]))
    placed: dict[str, tuple[float, float]] = {}
    cursor_x, row_y, row_height = 0.0, 0.0, 0.0
    main_width = 0.0
    for i, nodes in enumerate(parts):
        sub = h.subgraph(nodes)
        size = math.sqrt(len(nodes))
        if len(nodes) == 1:
            local = {nodes[0]: (0.0, 0.0)}
        elif layout == "spring":
            local = nx.spring_layout(sub, seed=SEED, k=1.8 / size, iterations=300, weight=None)
        else:
            local = nx.kamada_kawai_layout(sub, weight=None)
        xs = [p[0] for p in local.values()]
        ys = [p[1] for p in local.values()]
        span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
        scale = size / span if len(nodes) > 1 else 0.0
        width = max(size, 1.0)
        if i == 0:
            main_width = width
            origin = (0.0, 0.0)
            cursor_x, row_y = main_width + 0.6, 0.0
        else:
            if cursor_x + width > main_width * 1.6 + 0.6:
                cursor_x, row_y = main_width + 0.6, row_y + row_height + 0.4
                row_height = 0.0
            origin = (cursor_x, row_y)
            cursor_x += width + 0.4
            row_height = max(row_height, width)
        cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        for n, (x, y) in local.items():
            placed[n] = (origin[0] + width / 2 + (x - cx) * scale, -(origin[1] + width / 2) + (y - cy) * scale)
    return placed


def colours_for(g: Any, groups: list[list[str]] | None) -> tuple[dict[str, str], list[tuple[str, str, int]]]:
    """Node colours and legend entries (colour, name, count): by top class, or by community."""
    if groups:
        colour = {n: COMMUNITY_COLOURS[i % len(COMMUNITY_COLOURS)] for i, grp in enumerate(groups) for n in grp}
        legend = [(COMMUNITY_COLOURS[i % len(COMMUNITY_COLOURS)], f"community {i + 1}", len(grp))
                  for i, grp in enumerate(groups[:12])]
        return colour, legend
    colour = {n: d["colour"] for n, d in g.nodes(data=True)}
    counts = class_summary(g)
    legend = [(CLASS_COLOURS.get(top, "#999999"), _class_name(top), counts[top])
              for top in sorted(counts, key=lambda t: (-counts[t], t))]
    return colour, legend


def _class_name(top: str) -> str:
    names = {"AIUse": "AI use", "AISystem": "AI system", "AITechnique": "AI technique",
             "AffectedGroup": "Affected group", "DataResource": "Data resource"}
    return names.get(top, top)


def _short_label(d: dict[str, Any], limit: int = 30) -> str:
    text = d.get("alt") or d["label"]
    if len(d["label"]) <= 18:
        text = d["label"]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def draw_picture(g: Any, path: str, *, layout: str = "spring", title: str = "",
                 groups: list[list[str]] | None = None, edge_labels: bool = False) -> dict[str, Any]:
    """Draw `g` to PNG, SVG or PDF (by the extension of `path`); return facts about the picture."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx
    from matplotlib.patches import Patch

    from aihkg.graph.atomic import atomic_writer

    suffix = Path(path).suffix.lower()
    if suffix not in PICTURE_SUFFIXES:
        raise UsageProblem(f"{path}: pictures are .png, .svg, .pdf (or .html for the interactive page)")
    matplotlib.rcParams["svg.hashsalt"] = "aihkg"
    n = g.number_of_nodes()
    if n == 0:
        raise UsageProblem("nothing to draw: the view has no individuals")
    pos = layout_positions(g, layout)
    big = n > 150
    width, height = (22, 16.5) if big else (16, 12)
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    ax.set_axis_off()
    colour, legend = colours_for(g, groups)
    h = simple_undirected(g)
    degree = dict(h.degree())
    nodes = list(g.nodes)
    sizes = [40 + 30 * min(degree[v], 40) for v in nodes]
    nx.draw_networkx_edges(h, pos, ax=ax, width=0.6, alpha=0.35, edge_color="#555555")
    nx.draw_networkx_nodes(g, pos, nodelist=nodes, node_size=sizes, ax=ax,
                           node_color=[colour[v] for v in nodes], linewidths=0.6, edgecolors="#333333")
    if edge_labels:
        pair_labels: dict[tuple[str, str], str] = {}
        for u, v, d in g.edges(data=True):
            key = (u, v) if (u, v) in h.edges else (v, u)
            pair_labels[key] = "/".join(sorted(set(filter(None, [pair_labels.get(key), d["label"]]))))
        nx.draw_networkx_edge_labels(h, pos, edge_labels=pair_labels, ax=ax, font_size=7,
                                     font_color="#333333", rotate=False,
                                     bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7})
    ax.set_title(title, fontsize=16)
    ax.legend(handles=[Patch(facecolor=c, edgecolor="#333333", label=f"{name} ({count})") for c, name, count in legend],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=10, frameon=False)
    fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    placed: list[Any] = []
    shown = 0
    focus = g.graph.get("focus")
    order = sorted(nodes, key=lambda v: (v != focus, -degree[v], g.nodes[v]["label"].lower()))
    for v in order:
        x, y = pos[v]
        text = ax.text(x, y, _short_label(g.nodes[v]), fontsize=9 if not big else 8, ha="center", va="bottom",
                       zorder=5, clip_on=True,
                       bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
        box = text.get_window_extent(renderer=renderer).expanded(1.02, 1.05)
        if any(box.overlaps(other) for other in placed):
            text.remove()
            continue
        placed.append(box)
        shown += 1
    out = Path(path)
    with atomic_writer(out) as fh:
        fig.savefig(fh, format=suffix[1:], dpi=100, bbox_inches=None,
                    metadata={"Date": None} if suffix == ".svg" else
                    ({"CreationDate": None} if suffix == ".pdf" else {"Software": "aihkg"}))
    plt.close(fig)
    return {"nodes": n, "edges": g.number_of_edges(), "labelled": shown, "pixels": (width * 100, height * 100)}
