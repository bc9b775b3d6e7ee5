"""The baseline for `aihkg viz`: the picture a networkx user would script by hand.

    python bench/viz_naive.py GRAPH.graphml OUT.png

Reads the GraphML export of the graph (`aihkg export -o GRAPH.graphml`), lays it out with
networkx's spring layout, draws it with `nx.draw_networkx` (nodes in their class colours, labelled
with their labels) and saves a PNG of the size of aihkg's full network picture (2200 x 1650 px).
No aihkg code, no cache.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402


def main(graphml: str, out: str) -> None:
    g = nx.read_graphml(graphml)
    pos = nx.spring_layout(g, seed=42)
    plt.figure(figsize=(22, 16.5))
    nx.draw_networkx(g, pos, labels=nx.get_node_attributes(g, "label"),
                     node_color=[d["colour"] for _, d in g.nodes(data=True)], node_size=60, font_size=6)
    plt.savefig(out, dpi=100)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
