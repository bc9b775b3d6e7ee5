"""graph/viz.py and the picture views of graph/network.py: every view drawn, then checked by its
geometry (label boxes, node shapes, edge ends and arrowheads, as draw_picture reports them) and by
the pixels of the saved PNG."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from aihkg.graph import network, viz
from aihkg.graph.errors import UsageProblem
from aihkg.queries.api import KnowledgeGraph
from conftest import DATA

EX = "https://example.org/mini/"


@pytest.fixture(scope="module")
def mini():
    kg = KnowledgeGraph(data=[str(DATA / "mini.ttl"), str(DATA / "mini_events.ttl")], include_data=False)
    yield kg
    kg.close()


def names(g) -> set[str]:
    return {n.removeprefix(EX) for n in g}


# --------------------------------------------------------------------------- views


def test_network_view_folds_events_statistics_and_sources(mini) -> None:
    g = network.network_view(mini.store)
    assert names(g) == {"UseA", "UseB", "ChalX", "ChalY", "RegP", "RegQ", "OrgM", "OrgParent", "OrgLone", "Land",
                        "ProgZ"}
    assert g.graph["folded"] == {"Event": 1, "Statistic": 1}
    events = network.network_view(mini.store, include=["events"])
    assert "EvLaunch" in names(events) and "StatShare" not in names(events)
    assert events.graph["folded"] == {"Statistic": 1}
    assert {(u, v) for u, v in events.edges(EX + "EvLaunch")} == {(EX + "EvLaunch", EX + "OrgM"),
                                                                 (EX + "EvLaunch", EX + "RegP")}
    sources = network.network_view(mini.store, include=["sources", "events", "statistics"])
    assert sources.graph["folded"] == {}
    assert sources.nodes[EX + "doc"]["top"] == "Source" and sources.nodes[EX + "doc"]["label"] == "Mini fixture"
    assert sum(1 for _, v, d in sources.edges(data=True) if v == EX + "doc" and d["label"] == "cites") == 13
    with pytest.raises(UsageProblem, match="--include takes events, statistics, sources"):
        network.network_view(mini.store, include=["weather"])


def test_a_class_filter_is_never_folded(mini) -> None:
    g = network.network_view(mini.store, classes=["Event", "Organisation"])
    assert names(g) == {"EvLaunch", "OrgM", "OrgParent", "OrgLone"}


def test_focus_views_are_taken_after_folding(mini) -> None:
    near = network.network_view(mini.store, focus=EX + "OrgM", depth=1)
    assert names(near) == {"OrgM", "RegP", "OrgParent"}
    assert near.graph["folded"] == {"Event": 1}
    two = network.network_view(mini.store, focus=EX + "OrgM", depth=2)
    assert "EvLaunch" not in names(two) and {"ChalX", "Land", "OrgLone"} <= names(two)
    with_events = network.network_view(mini.store, focus=EX + "OrgM", include=["events"])
    assert names(with_events) == {"OrgM", "RegP", "OrgParent", "EvLaunch"}
    on_an_event = network.network_view(mini.store, focus=EX + "EvLaunch")  # the focus itself is never folded
    assert names(on_an_event) == {"EvLaunch", "OrgM", "RegP"}


def test_property_views_leave_out_what_has_no_such_link(mini) -> None:
    g = network.network_view(mini.store, properties=["enforces"])
    assert names(g) == {"OrgM", "RegP"} and g.graph["unlinked"] == 9
    with pytest.raises(UsageProblem, match=r"involves folded individuals \(bring them back with --include events"):
        network.network_view(mini.store, properties=["involves"])
    assert names(network.network_view(mini.store, properties=["involves"], include=["events"])) == {
        "EvLaunch", "OrgM", "RegP"}


def test_governance_map_layers_relations_and_gaps(mini) -> None:
    g = network.governance_map(mini.store)
    layers = {n.removeprefix(EX): d["layer"] for n, d in g.nodes(data=True)}
    assert layers == {"UseA": 0, "UseB": 0, "ChalX": 1, "ChalY": 1, "RegP": 2, "RegQ": 2, "ProgZ": 2,
                      "OrgM": 3, "OrgLone": 3}
    edges = {(u.removeprefix(EX), v.removeprefix(EX), d["relation"]) for u, v, d in g.edges(data=True)}
    assert edges == {("UseA", "ChalX", "faces"), ("UseB", "ChalX", "faces"), ("UseB", "ChalY", "faces"),
                     ("ChalX", "RegP", "addressed by"), ("ChalX", "RegQ", "addressed by"),
                     ("ChalY", "ProgZ", "addressed by"), ("RegP", "OrgM", "enforced by"),
                     ("ProgZ", "OrgLone", "run by")}
    # A programme addresses ChalY, but no rule does: it is a gap, as challenges_without_regulation says.
    assert {n.removeprefix(EX) for n, d in g.nodes(data=True) if d.get("gap")} == {"ChalY"}
    assert {r["challenge"] for r in mini.rows("challenges_without_regulation")} == {EX + "ChalY"}
    assert g.graph["uses_elsewhere"] == 0
    through = network.governance_map(mini.store, focus=EX + "OrgM")
    assert names(through) == {"OrgM", "RegP", "ChalX", "UseA", "UseB"}
    with pytest.raises(UsageProblem, match=r"Parent body \(Organisation\) is not on the governance map"):
        network.governance_map(mini.store, focus=EX + "OrgParent")


def test_governance_gaps_are_the_challenges_without_regulation(kg) -> None:
    g = network.governance_map(kg.store)
    gaps = {n for n, d in g.nodes(data=True) if d.get("gap")}
    assert gaps == {r["challenge"] for r in kg.rows("challenges_without_regulation")}
    assert len(gaps) >= 5
    assert {d["top"] for n, d in g.nodes(data=True) if d["layer"] == 2} <= set(network.RESPONSE_CLASSES)
    assert all(g.nodes[v]["layer"] == g.nodes[u]["layer"] + 1 for u, v in g.edges())


# --------------------------------------------------------------------------- every picture, checked


def _views(kg) -> dict[str, tuple]:
    mhra = kg.resolve("MHRA")
    gov = network.governance_map(kg.store)
    full = network.network_view(kg.store)
    return {
        "governance": (gov, {}),
        "governance-focus": (network.governance_map(kg.store, focus=mhra), {}),
        # A challenge no use faces: the map starts at its second column.
        "governance-no-uses": (network.governance_map(kg.store, focus=kg.resolve("Regulatory complexity")), {}),
        "network": (full, {}),
        "focus-1": (network.network_view(kg.store, focus=mhra, depth=1), {"edge_labels": True}),
        "focus-2": (network.network_view(kg.store, focus=mhra, depth=2), {"edge_labels": True}),
        "classes": (network.network_view(kg.store, classes=["Challenge", "Regulation"]), {}),
        "property": (network.network_view(kg.store, properties=["enforces", "publishes"]), {}),
        "communities": (full, {"groups": network.communities(full)}),
        "include-events": (network.network_view(kg.store, include=["events"]), {}),
        "kamada-kawai": (network.network_view(kg.store, focus=kg.resolve("NICE"), depth=2),
                         {"layout": "kamada-kawai", "edge_labels": True}),
    }


VIEWS = ["governance", "governance-focus", "governance-no-uses", "network", "focus-1", "focus-2", "classes",
         "property", "communities", "include-events", "kamada-kawai"]


@pytest.fixture(scope="module")
def drawn(kg, tmp_path_factory) -> dict[str, tuple]:
    folder = tmp_path_factory.mktemp("pictures")
    out = {}
    for name, (g, kw) in _views(kg).items():
        png = folder / f"{name}.png"
        facts = viz.draw_picture(g, str(png), title=f"aihkg test picture: {name}", **kw)
        out[name] = (g, facts, png)
    return out


def _overlap(a, b, slack: float = 0.5) -> bool:
    return a[0] + slack < b[2] and b[0] + slack < a[2] and a[1] + slack < b[3] and b[1] + slack < a[3]


def _inside(inner, outer, slack: float = 0.5) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack and inner[2] <= outer[2] + slack
            and inner[3] <= outer[3] + slack)


def _arrow_box(arrow):
    xs, ys = [p[0] for p in arrow], [p[1] for p in arrow]
    return (min(xs), min(ys), max(xs), max(ys))


@pytest.mark.parametrize("name", VIEWS)
def test_no_text_is_cut_or_overlaps_another(drawn, name: str) -> None:
    _g, facts, _png = drawn[name]
    geo = facts["geometry"]
    width, height = geo["size"]
    texts = geo["texts"]
    assert texts and all(t["text"] for t in texts)
    for t in texts:
        assert _inside(t["box"], (0, 0, width, height)), t  # nothing off the canvas
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert not _overlap(a["box"], b["box"]), (a["text"], b["text"])


@pytest.mark.parametrize("name", VIEWS)
def test_labels_cover_no_node_and_no_arrowhead(drawn, name: str) -> None:
    g, facts, _png = drawn[name]
    geo = facts["geometry"]
    width, height = geo["size"]
    nodes = geo["nodes"]
    assert set(nodes) == set(g.nodes)  # every node of the view is drawn, on the canvas
    assert all(_inside(box, (0, 0, width, height)) for box in nodes.values())
    arrows = [_arrow_box(a) for e in geo["edges"] for a in e["arrows"]]
    governance = g.graph.get("view") == "governance"
    for t in geo["texts"]:
        if governance and t["kind"] == "node":
            assert _inside(t["box"], nodes[t["node"]], slack=0), t  # the name sits inside its own box
        for n, box in nodes.items():
            if n != t["node"]:
                assert not _overlap(t["box"], box), (t["text"], g.nodes[n]["label"])
        assert not any(_overlap(t["box"], a) for a in arrows), t["text"]
    if governance:
        boxes = list(nodes.values())
        assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


@pytest.mark.parametrize("name", VIEWS)
def test_every_link_is_drawn_with_its_arrowhead(drawn, name: str) -> None:
    g, facts, _png = drawn[name]
    geo = facts["geometry"]
    nodes = geo["nodes"]
    drawn_edges = [e for e in geo["edges"] if e["source"] is not None]
    heads: dict[frozenset, set[str]] = {}
    for e in drawn_edges:
        pair = frozenset((e["source"], e["target"]))
        assert pair not in heads, "one line per linked pair"
        heads[pair] = {e["source"], e["target"]} if e["both"] else {e["target"]}
        assert len(e["arrows"]) == len(heads[pair])
        for arrow, target in zip(e["arrows"], sorted(heads[pair], key=lambda n: n != e["target"]), strict=True):
            tip = arrow[0]
            box = nodes[target]
            if g.graph.get("view") == "governance":
                assert tip[0] == pytest.approx(box[0], abs=0.01) and box[1] < tip[1] < box[3]
            else:
                centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
                radius = (box[2] - box[0]) / 2
                assert math.dist(tip, centre) == pytest.approx(radius, abs=0.05)  # the point touches the node
            base = ((arrow[1][0] + arrow[2][0]) / 2, (arrow[1][1] + arrow[2][1]) / 2)
            end = min(e["points"][0], e["points"][-1], key=lambda p: math.dist(p, base))
            assert math.dist(end, base) < 0.5 * math.dist(arrow[0], base) + 0.01  # the line runs into its arrow
    if g.graph.get("view") == "governance":  # boxes are tall enough for their arrowheads side by side
        tips = [_arrow_box(a) for e in drawn_edges for a in e["arrows"]]
        assert not any(_overlap(a, b) for i, a in enumerate(tips) for b in tips[i + 1:])
    wanted: dict[frozenset, set[str]] = {}
    for u, v in g.edges():
        wanted.setdefault(frozenset((u, v)), set()).add(v)
    assert heads == wanted  # each link between two drawn nodes, and the direction of each


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])


def _inside_triangle(p, tri) -> bool:
    (x1, y1), (x2, y2), (x3, y3) = tri
    d = (y2 - y3) * (x1 - x3) + (x3 - x2) * (y1 - y3)
    a = ((y2 - y3) * (p[0] - x3) + (x3 - x2) * (p[1] - y3)) / d
    b = ((y3 - y1) * (p[0] - x3) + (x1 - x3) * (p[1] - y3)) / d
    return a >= 0 and b >= 0 and 1 - a - b >= 0


@pytest.mark.parametrize("name", VIEWS)
def test_the_png_shows_every_arrowhead(drawn, name: str) -> None:
    g, facts, png = drawn[name]
    geo = facts["geometry"]
    img = (mpimg.imread(png)[..., :3] * 255).round().astype(int)
    height = img.shape[0]
    assert (img.shape[1], img.shape[0]) == tuple(geo["size"])
    arrows = [(a, e["arrow_colour"]) for e in geo["edges"] for a in e["arrows"]]
    assert arrows
    for arrow, colour in arrows:
        cx = sum(p[0] for p in arrow) / 3
        cy = sum(p[1] for p in arrow) / 3
        pixel = img[int(height - cy), int(cx)]
        # The colour of this arrowhead, or of another arrowhead drawn over the same spot.
        colours = [c for a, c in arrows if _inside_triangle((cx, cy), a)]
        assert any(np.abs(pixel - _rgb(c)).max() <= 12 for c in colours), (arrow, pixel, colour)


def test_gaps_are_outlined_in_red_and_named_in_the_legend(drawn) -> None:
    g, facts, png = drawn["governance"]
    geo = facts["geometry"]
    img = (mpimg.imread(png)[..., :3] * 255).round().astype(int)
    height = img.shape[0]
    gap_rgb = _rgb(viz.GAP_COLOUR)
    for n, d in g.nodes(data=True):
        x0, y0, x1, y1 = geo["nodes"][n]
        edge = img[int(height - (y0 + y1) / 2), int(round(x1)) - 1]  # the right side of the box, half way up
        is_red = np.abs(edge - gap_rgb).max() <= 20
        assert is_red == bool(d.get("gap")), (d["label"], edge)
    legend = [t["text"] for t in geo["texts"] if t["kind"] == "legend"]
    gaps = sum(1 for _, d in g.nodes(data=True) if d.get("gap"))
    assert f"no rule addresses this ({gaps}; aihkg query challenges_without_regulation)" in legend
    assert {t["text"].split(" (")[0] for t in geo["texts"] if t["kind"] == "header"} >= {"AI uses"}


def test_governance_map_labels_every_node_and_reads_left_to_right(drawn) -> None:
    g, facts, _png = drawn["governance"]
    geo = facts["geometry"]
    assert facts["labelled"] == g.number_of_nodes()
    written = {t["node"] for t in geo["texts"] if t["kind"] == "node"}
    assert written == set(g.nodes)
    columns = [sorted({geo["nodes"][n][0] for n, d in g.nodes(data=True) if d["layer"] == i}) for i in range(4)]
    assert all(len(c) == 1 for c in columns) and columns == sorted(columns)  # four aligned columns, in order
    assert all(e["points"][0][0] < e["points"][-1][0] for e in geo["edges"])  # every link runs to the right


def test_focus_views_label_every_node_and_their_links(drawn) -> None:
    g, facts, _png = drawn["focus-1"]
    assert facts["labelled"] == g.number_of_nodes()
    edge_labels = [t for t in facts["geometry"]["texts"] if t["kind"] == "edge"]
    pairs = {frozenset((u, v)) for u, v in g.edges()}
    assert len(edge_labels) == len(pairs)
    assert not any(d["top"] == "Event" for _, d in g.nodes(data=True))
    assert any(t["text"].startswith("Folded: ") and " event" in t["text"] for t in facts["geometry"]["texts"])


def test_community_legend_names_groups_by_their_most_central_member(drawn) -> None:
    g, facts, _png = drawn["communities"]
    legend = [t["text"] for t in facts["geometry"]["texts"] if t["kind"] == "legend"]
    groups = network.communities(g)
    first = viz._box_label(g.nodes[groups[0][0]], 36, 1)
    assert legend[0] == f"around {first} ({len(groups[0])})"
    colours = {c for c in viz.colours_for(g, groups)[0].values()}
    assert len(colours) == min(len(groups), viz.NAMED_COMMUNITIES) + (len(groups) > viz.NAMED_COMMUNITIES)


def test_property_view_spreads_its_parts_over_the_picture(drawn) -> None:
    g, facts, _png = drawn["property"]
    width, height = facts["geometry"]["size"]
    xs = [(b[0] + b[2]) / 2 for b in facts["geometry"]["nodes"].values()]
    ys = [(b[1] + b[3]) / 2 for b in facts["geometry"]["nodes"].values()]
    # Many small parts: they fill the width and the height, not one column.
    assert max(xs) - min(xs) > 0.6 * width and max(ys) - min(ys) > 0.5 * height
    assert len({round(x) for x in xs}) > len(xs) / 2


# --------------------------------------------------------------------------- caching and determinism


def test_a_scene_is_laid_out_once_per_graph_content(mini, tmp_path: Path, monkeypatch) -> None:
    from aihkg.graph import cache

    g = network.governance_map(mini.store)
    first = viz.draw_picture(g, str(tmp_path / "a.png"), title="mini", cache_name="test-once")
    entries = sorted(cache.cache_dir().glob("scene-*.json"))
    assert entries

    def boom(*_a, **_k):
        raise AssertionError("laid out again")

    monkeypatch.setattr(viz, "_governance_scene", boom)
    again = viz.draw_picture(g, str(tmp_path / "b.png"), title="mini", cache_name="test-once")
    assert again["geometry"] == first["geometry"]
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    g.nodes[EX + "ChalX"]["label"] = "Challenge X, renamed"  # new content: laid out again
    with pytest.raises(AssertionError, match="laid out again"):
        viz.draw_picture(g, str(tmp_path / "c.png"), title="mini", cache_name="test-once")


def test_pictures_are_deterministic_without_the_cache(mini, tmp_path: Path) -> None:
    for make in (lambda: network.governance_map(mini.store), lambda: network.network_view(mini.store)):
        a, b = tmp_path / "a.png", tmp_path / "b.png"
        fa = viz.draw_picture(make(), str(a), title="t", use_cache=False)
        fb = viz.draw_picture(make(), str(b), title="t", use_cache=False)
        assert a.read_bytes() == b.read_bytes() and fa["geometry"] == fb["geometry"]


def test_svg_and_pdf_hold_the_same_picture(mini, tmp_path: Path) -> None:
    g = network.governance_map(mini.store)
    png = viz.draw_picture(g, str(tmp_path / "m.png"), title="mini")
    svg = viz.draw_picture(g, str(tmp_path / "m.svg"), title="mini")
    pdf = viz.draw_picture(g, str(tmp_path / "m.pdf"), title="mini")
    assert svg["geometry"] == png["geometry"] == pdf["geometry"]
    text = (tmp_path / "m.svg").read_text()
    assert "<svg" in text and "Challenge Y" in text
    assert (tmp_path / "m.pdf").read_bytes().startswith(b"%PDF")


# --------------------------------------------------------------------------- the command


def test_viz_draws_the_governance_map_by_default(cli_run, tmp_path: Path) -> None:
    out = tmp_path / "map.png"
    run = cli_run("--no-builtin-data", "--data", str(DATA / "mini.ttl"), "--data", str(DATA / "mini_events.ttl"),
                  "viz", "-o", str(out))
    assert run.code == 0, run.err
    assert run.err.strip() == "9 individuals, 8 links, 9 labelled"
    assert mpimg.imread(out).shape[1] >= 1200


@pytest.mark.parametrize(("args", "message"), [
    (("--view", "governance", "--class", "Challenge"), "--class applies to --view network"),
    (("--view", "governance", "--include", "events", "--layout", "shell"),
     "--layout, --include apply to --view network"),
    (("--view", "governance", "-o", "x.html"), "the governance map is drawn as .png, .svg or .pdf"),
    (("--include", "weather"), "'weather' is not one of 'events', 'statistics', 'sources'"),
])
def test_viz_refuses_options_the_view_cannot_use(cli_run, args: tuple[str, ...], message: str) -> None:
    run = cli_run("viz", *args)
    assert run.code == 2 and message in run.err


def test_viz_network_view_and_its_page(cli_run, tmp_path: Path) -> None:
    run = cli_run("--no-builtin-data", "--data", str(DATA / "mini.ttl"), "--data", str(DATA / "mini_events.ttl"),
                  "viz", "--view", "network", "--include", "events", "-o", str(tmp_path / "n.png"))
    assert run.code == 0 and run.err.startswith("12 individuals, ")
    page = tmp_path / "n.html"
    run = cli_run("--no-builtin-data", "--data", str(DATA / "mini.ttl"), "--data", str(DATA / "mini_events.ttl"),
                  "viz", "-o", str(page))
    assert run.code == 0 and run.err.startswith("11 individuals, ")  # a page shows the network, folded too
    data = json.loads(page.read_text().split('<script type="application/json" id="graph-data">', 1)[1]
                      .split("</script>", 1)[0])
    assert len(data["elements"]["nodes"]) == 11


def test_viz_default_names(tmp_path: Path) -> None:
    from conftest import aihkg

    mini = ("--no-builtin-data", "--data", str(DATA / "mini.ttl"))
    assert aihkg(*mini, "viz", cwd=tmp_path).out.strip() == "aihkg-governance.png"
    assert aihkg(*mini, "viz", "--view", "network", cwd=tmp_path).out.strip() == "aihkg-graph.png"
    assert aihkg(*mini, "viz", "--view", "governance", "--focus", "Rule P", cwd=tmp_path).out.strip() == \
        "aihkg-governance-regp.png"
    assert {p.name for p in tmp_path.iterdir()} >= {"aihkg-governance.png", "aihkg-graph.png",
                                                    "aihkg-governance-regp.png"}
