"""The network page (web/page.py): `aihkg viz -o x.html` writes it for offline use; /graph serves it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pytest

from aihkg.graph import network
from aihkg.queries.api import KnowledgeGraph
from aihkg.web import page
from conftest import DATA

_REMOTE = re.compile(r"<script[^>]+src=|<link[^>]+href=|@import|url\(\s*['\"]?https?:|<img[^>]+src=['\"]?https?:"
                     r"|<iframe|fetch\(|XMLHttpRequest", re.I)


@pytest.fixture(scope="module")
def mini():
    kg = KnowledgeGraph(data=[str(DATA / "mini.ttl")], include_data=False)
    yield kg
    kg.close()


def _data(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', html, re.S).group(1))


def test_offline_page_is_self_contained_and_holds_every_node(mini, tmp_path: Path) -> None:
    g = network.build_network(mini.store, with_sources=True)
    out = tmp_path / "view.html"
    facts = page.write_html(g, str(out), title="mini <view>")
    html = out.read_text()
    assert facts == {"nodes": g.number_of_nodes(), "edges": g.number_of_edges()}
    assert not _REMOTE.search(html)
    assert "cytoscape" in html and "mini &lt;view&gt;" in html
    data = _data(html)
    nodes = data["elements"]["nodes"]
    assert {n["data"]["id"] for n in nodes} == set(g.nodes)
    assert all("position" in n for n in nodes)
    assert nodes[0]["data"]["sources"][0]["title"] == "Mini fixture"
    # What made the old page open blank and warn: every node carries its degree, rank and size.
    degree = dict(network.simple_undirected(g).degree())
    for n in nodes:
        d = n["data"]
        assert d["degree"] == degree[d["id"]] and d["size"] >= page.NODE_MIN
    assert sorted(n["data"]["rank"] for n in nodes) == list(range(len(nodes)))
    assert min(nodes, key=lambda n: n["data"]["rank"])["data"]["degree"] == max(degree.values())
    for feature in ("graph-search", "legend", "mouseover", "tap", "fit"):
        assert feature in html


def test_offline_page_links_only_to_web_addresses(tmp_path: Path) -> None:
    g = nx.MultiDiGraph()
    for iri in ("https://w3id.org/aihkg/id/A", "javascript:alert(1)"):
        g.add_node(iri, label=iri, curie=iri, cls="C", top="AIUse", colour="#000000", alt="", description="")
    data = page.network_data(g, link="iri")
    hrefs = {n["data"]["id"]: n["data"]["href"] for n in data["elements"]["nodes"]}
    assert hrefs == {"https://w3id.org/aihkg/id/A": "https://w3id.org/aihkg/id/A", "javascript:alert(1)": ""}
    served = {n["data"]["id"]: n["data"]["href"] for n in page.network_data(g)["elements"]["nodes"]}
    assert served["https://w3id.org/aihkg/id/A"] == "/id/A"
    assert served["javascript:alert(1)"].startswith("/entity?iri=javascript%3A")


def test_html_escapes_hostile_labels(tmp_path: Path) -> None:
    g = nx.MultiDiGraph()
    g.add_node("urn:x", label="</script><script>alert(1)</script>", curie="x", cls="C", top="AIUse",
               colour="#000000", alt="", description="<!-- & -->")
    out = tmp_path / "x.html"
    page.write_html(g, str(out), title="</title><script>alert(2)</script>")
    html = out.read_text()
    assert "<script>alert(" not in html and "<!-- &" not in html
    assert _data(html)["elements"]["nodes"][0]["data"]["label"] == "</script><script>alert(1)</script>"


def test_script_json_cannot_end_its_element() -> None:
    text = page.script_json({"a": "</script><!--&\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!--&\u2028"}


def test_large_layouts_are_cached(kg, tmp_path: Path) -> None:
    from aihkg.graph.cache import cache_dir
    from aihkg.graph.viz import layout_positions

    g = network.build_network(kg.store)
    calls = []

    def counting(graph, layout):  # noqa: ANN001, ANN202 - stands in for layout_positions
        calls.append(layout)
        return layout_positions(graph, layout)

    first = page.positions(g, "shell", counting)
    again = page.positions(g, "shell", counting)
    assert calls == ["shell"] and first == again
    assert list(cache_dir().glob("network-layout-shell-*.json"))


def test_viz_writes_the_page(cli_run, tmp_path: Path) -> None:
    out = tmp_path / "nice.html"
    run = cli_run("viz", "--focus", "NICE", "-o", str(out))
    assert run.code == 0, run.err
    html = out.read_text()
    data = _data(html)
    assert data["focus"] == "https://w3id.org/aihkg/id/NICE" and data["offline"] is True
    assert "<script>" in html  # Cytoscape.js and the page script, inlined
