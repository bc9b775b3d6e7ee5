"""Pictures of the network: PNG/SVG/PDF through matplotlib, and a self-contained HTML page.

Layouts are seeded, so the same graph gives the same picture. In the static pictures, labels
are placed greedily from the most connected node down and a label that would overlap one
already placed is left out, so what is written can be read.
"""

from __future__ import annotations

import json
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


_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
 html, body { margin: 0; height: 100%; font: 14px system-ui, sans-serif; }
 #cy { position: absolute; left: 0; right: 300px; top: 48px; bottom: 0; }
 #bar { position: absolute; left: 0; right: 0; top: 0; height: 48px; display: flex; gap: 12px;
        align-items: center; padding: 0 12px; border-bottom: 1px solid #ddd; background: #fafafa; }
 #bar h1 { font-size: 16px; margin: 0; flex: 1; }
 #search { width: 280px; padding: 6px; }
 #side { position: absolute; right: 0; width: 300px; top: 48px; bottom: 0; overflow: auto;
         border-left: 1px solid #ddd; padding: 10px; box-sizing: border-box; background: #fff; }
 #legend div { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
 #legend span.sw { width: 14px; height: 14px; border: 1px solid #333; display: inline-block; }
 #tip { position: absolute; pointer-events: none; display: none; max-width: 380px; background: #fff;
        border: 1px solid #999; padding: 8px; box-shadow: 0 2px 6px rgba(0,0,0,.2); z-index: 10; }
 #tip b { display: block; margin-bottom: 4px; }
 #details a { word-break: break-all; }
 .muted { color: #666; font-size: 12px; }
</style></head>
<body>
<div id="bar"><h1>__TITLE__</h1>
 <input id="search" type="search" placeholder="Search a name or acronym, then Enter" aria-label="search">
 <button id="reset" type="button">Show all</button></div>
<div id="cy"></div>
<div id="side"><div id="legend"></div><hr><div id="details" class="muted">Hover a node for its definition
 and sources; click it to focus on its neighbourhood; click the background to show all.</div></div>
<div id="tip"></div>
<script>__CYTOSCAPE__</script>
<script>
const DATA = __DATA__;
const LEGEND = __LEGEND__;
const cy = cytoscape({
  container: document.getElementById('cy'),
  elements: DATA.elements,
  layout: { name: 'preset' },
  wheelSensitivity: 0.3,
  style: [
    { selector: 'node', style: { 'background-color': 'data(colour)', 'label': 'data(short)',
      'font-size': 9, 'width': 'mapData(degree, 0, 30, 10, 40)', 'height': 'mapData(degree, 0, 30, 10, 40)',
      'border-width': 1, 'border-color': '#333', 'text-valign': 'top', 'text-margin-y': -2,
      'min-zoomed-font-size': 7 } },
    { selector: 'edge', style: { 'width': 1, 'line-color': '#999', 'target-arrow-color': '#999',
      'target-arrow-shape': 'triangle', 'arrow-scale': 0.6, 'curve-style': 'bezier', 'opacity': 0.6,
      'label': 'data(label)', 'font-size': 7, 'text-rotation': 'autorotate', 'min-zoomed-font-size': 10,
      'color': '#555' } },
    { selector: '.faded', style: { 'opacity': 0.08 } },
    { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#000' } }
  ]
});
cy.nodes().forEach(n => n.data('degree', n.degree()));
const legend = document.getElementById('legend');
LEGEND.forEach(([colour, name, count]) => {
  const row = document.createElement('div');
  const sw = document.createElement('span'); sw.className = 'sw'; sw.style.background = colour;
  row.appendChild(sw); row.appendChild(document.createTextNode(name + ' (' + count + ')'));
  legend.appendChild(row);
});
const tip = document.getElementById('tip');
function fill(box, d) {
  box.textContent = '';
  const b = document.createElement('b'); b.textContent = d.label + ' (' + d.curie + ')'; box.appendChild(b);
  const c = document.createElement('div'); c.className = 'muted'; c.textContent = d.cls; box.appendChild(c);
  if (d.description) { const p = document.createElement('p'); p.textContent = d.description; box.appendChild(p); }
  (d.sources || []).forEach(s => {
    const line = document.createElement('div'); line.className = 'muted';
    if (/^https?:\\/\\//.test(s.url || '')) {
      const a = document.createElement('a'); a.href = s.url; a.textContent = s.title; a.rel = 'noopener noreferrer';
      a.target = '_blank'; line.appendChild(document.createTextNode('source: ')); line.appendChild(a);
    } else { line.textContent = 'source: ' + s.title; }
    box.appendChild(line);
  });
}
cy.on('mouseover', 'node', e => { fill(tip, e.target.data()); tip.style.display = 'block'; });
cy.on('mousemove', 'node', e => { const p = e.renderedPosition; tip.style.left = (p.x + 16) + 'px';
  tip.style.top = (p.y + 64) + 'px'; });
cy.on('mouseout', 'node', () => { tip.style.display = 'none'; });
function focusOn(nodes) {
  const near = nodes.closedNeighborhood();
  cy.elements().addClass('faded'); near.removeClass('faded');
  cy.animate({ fit: { eles: near, padding: 40 } }, { duration: 300 });
}
function showAll() { cy.elements().removeClass('faded'); cy.animate({ fit: { padding: 20 } }, { duration: 300 }); }
cy.on('tap', 'node', e => { focusOn(e.target); fill(document.getElementById('details'), e.target.data()); });
cy.on('tap', e => { if (e.target === cy) showAll(); });
document.getElementById('reset').addEventListener('click', showAll);
document.getElementById('search').addEventListener('keydown', e => {
  if (e.key !== 'Enter') return;
  const q = e.target.value.trim().toLowerCase();
  if (!q) { showAll(); return; }
  const hits = cy.nodes().filter(n => [n.data('label'), n.data('short'), n.data('curie')]
    .some(t => (t || '').toLowerCase().includes(q)));
  cy.nodes().unselect();
  if (hits.length) { hits.select(); focusOn(hits); fill(document.getElementById('details'), hits[0].data()); }
  else { document.getElementById('details').textContent = 'No node matches "' + e.target.value + '".'; }
});
</script></body></html>
"""


def _script_json(value: Any) -> str:
    # Inside <script>, "</" could end the element early and "<!--" could open a comment.
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def html_page(g: Any, *, title: str, layout: str = "spring", groups: list[list[str]] | None = None) -> str:
    from aihkg.graph.network import to_cytoscape

    colour, legend = colours_for(g, groups)
    for n in g.nodes:
        g.nodes[n]["draw_colour"] = colour[n]
    pos = layout_positions(g, layout)
    scale = 60 * math.sqrt(max(g.number_of_nodes(), 1))
    data = to_cytoscape(g, {n: (x * scale, -y * scale) for n, (x, y) in pos.items()})
    library = (Path(__file__).resolve().parent / "static" / "cytoscape.min.js").read_text(encoding="utf-8")
    import html as html_lib

    parts = {
        "TITLE": html_lib.escape(title),
        "DATA": _script_json(data),
        "LEGEND": _script_json(legend),
        "CYTOSCAPE": library.replace("</script", "<\\/script"),
    }
    import re

    return re.sub(r"__(TITLE|DATA|LEGEND|CYTOSCAPE)__", lambda m: parts[m.group(1)], _HTML)


def write_html(g: Any, path: str, **kw: Any) -> dict[str, Any]:
    from aihkg.graph.atomic import atomic_write_bytes

    atomic_write_bytes(path, html_page(g, **kw).encode("utf-8"))
    return {"nodes": g.number_of_nodes(), "edges": g.number_of_edges()}
