"""The explorer in a real browser: Debian's chromium driven by Playwright, against `aihkg serve` on 127.0.0.1.

Playwright cannot download its own browser here, so it is pointed at /usr/bin/chromium (installed by
.ci/run). Without chromium or Playwright the tests skip on a developer's machine and fail under CI.
An axe-core audit (tests/vendor/axe.min.js, from npm) checks the main pages' accessibility.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from webserver import Server

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("AIHKG_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install '.[test]')")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server("serve", "--port", "0", "--workers", "3")
    yield s
    s.stop()


def launch(playwright: Any, **options: Any) -> Any:
    """A fresh chromium (its own new --user-data-dir) with a 1280x900 window."""
    profile = tempfile.mkdtemp(prefix="aihkg-chromium-")
    return playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, args=ARGS, viewport={"width": 1280, "height": 900},
        **options)


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    context = launch(playwright)
    yield context
    context.close()


class Console:
    """What a page said on its console, and the errors it threw."""

    def __init__(self, page: Any) -> None:
        self.messages: list[tuple[str, str]] = []
        page.on("console", lambda m: self.messages.append((m.type, m.text)))
        page.on("pageerror", lambda e: self.messages.append(("pageerror", str(e))))

    def problems(self) -> list[tuple[str, str]]:
        return [(kind, text) for kind, text in self.messages if kind in ("error", "warning", "pageerror")]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    p = browser.new_page()
    p.console = Console(p)
    yield p
    p.close()


def test_editor_runs_a_query_and_shows_rows(page: Any, server: Server) -> None:
    page.goto(server.url + "/sparql")
    editor = page.locator(".cm-content")
    editor.wait_for()
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type("SELECT ?org ?orgLabel WHERE { ?org a aihkg:Organisation ; rdfs:label ?orgLabel }\n"
                       "ORDER BY ?orgLabel LIMIT 7")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r".*/sparql\?query=.*"))
    rows = page.locator("table.results tbody tr")
    assert rows.count() == 7
    assert "7 rows" in page.locator("table.results caption").inner_text()
    assert rows.first.locator("a").get_attribute("href").startswith("/id/")
    # The address is a permalink: opening it again shows the same answer, the query in the editor.
    permalink = page.locator("#permalink").get_attribute("href")
    assert urllib.parse.parse_qs(urllib.parse.urlparse(permalink).query)["query"][0].startswith("SELECT ?org")
    page.goto(server.url + permalink)
    assert page.locator("table.results tbody tr").count() == 7
    assert "LIMIT 7" in page.locator(".cm-content").inner_text()
    assert page.locator(".cm-content .ͼb, .cm-content span[class^='ͼ']").count() > 0  # highlighted tokens
    assert page.console.problems() == []


def test_editor_completes_prefixes_and_terms_from_the_graph(page: Any, server: Server) -> None:
    page.goto(server.url + "/sparql")
    editor = page.locator(".cm-content")
    editor.wait_for()
    page.wait_for_function("() => performance.getEntriesByName(location.origin + '/sparql/vocabulary.json').length")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("kg:MHR")
    options = page.locator(".cm-tooltip-autocomplete li")
    options.first.wait_for()
    assert "kg:MHRA" in options.all_inner_texts()[0]
    tooltip = page.locator(".cm-tooltip-autocomplete").inner_text()
    assert "Medicines and Healthcare products Regulatory Agency" in tooltip
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    page.keyboard.type("aihkg:Challen")
    options.first.wait_for()
    assert any("aihkg:Challenge" in t for t in options.all_inner_texts())
    page.keyboard.press("Enter")  # accept
    assert "aihkg:Challenge" in editor.inner_text()
    assert page.console.problems() == []


def test_editor_examples_and_downloads(page: Any, server: Server) -> None:
    page.goto(server.url + "/sparql")
    page.select_option("#example", "funding_by_year")
    page.wait_for_url(re.compile(r".*example=funding_by_year"))
    # CodeMirror renders only the lines in view: the whole text is in the form's textarea
    assert "GROUP BY" in page.input_value("#query")
    assert page.locator(".cm-content").inner_text().startswith("#+ summary: Funding totals by year")
    page.locator("#run").click()
    page.wait_for_selector("table.results")
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV").click()
    body = Path(download.value.path()).read_text()
    assert body.splitlines()[0] == "year,currency,total,allocations"
    assert download.value.suggested_filename == "query.csv"


def test_canned_form_submits_and_shows_results(page: Any, server: Server) -> None:
    page.goto(server.url + "/query/regulations_enforced_by")
    page.select_option("#p-organisation", label="Medicines and Healthcare products Regulatory Agency (kg:MHRA)")
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("table.results")
    assert page.locator("table.results tbody tr").count() == 6
    assert "organisation=https" in page.url
    assert page.get_by_role("link", name="Medical Devices Regulations 2002").count() >= 1
    page.goto(server.url + "/query/regulatory_timeline")
    page.fill("#p-from_year", "2024")
    page.fill("#p-to_year", "2024")
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("table.results")
    dates = page.locator("table.results tbody tr td:first-child").all_inner_texts()
    assert dates and all(d.startswith("2024") for d in dates)
    assert page.console.problems() == []


def test_graph_view_opens_readable(page: Any, server: Server) -> None:
    page.goto(server.url + "/graph", timeout=300_000)
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    facts = page.evaluate("""() => {
      const cy = window.aihkgNetwork, ext = cy.extent();
      const named = cy.nodes('.named');
      const inside = named.filter(n => { const p = n.position();
        return p.x >= ext.x1 && p.x <= ext.x2 && p.y >= ext.y1 && p.y <= ext.y2; });
      const hub = cy.nodes().sort((a, b) => a.data('rank') - b.data('rank'))[0];
      return { nodes: cy.nodes().length, named: named.length, inside: inside.length,
               hubWidth: hub.renderedWidth(), hubLabelSize: parseFloat(hub.renderedStyle('font-size')),
               visible: cy.elements().boundingBox(), extent: ext, zoom: cy.zoom() };
    }""")
    assert facts["nodes"] > 300
    assert 20 <= facts["named"] == facts["inside"]  # labels for the most connected, all in view
    assert facts["hubWidth"] >= 20 and facts["hubLabelSize"] >= 9  # not 1 px wide, as the old page was
    box, ext = facts["visible"], facts["extent"]
    assert ext["x1"] <= box["x1"] + 1 and box["x2"] <= ext["x2"] + 1  # fitted: everything is in view
    assert page.locator("#legend li").count() >= 10
    assert page.console.problems() == []
    # Click the most connected node: its neighbourhood is focused and its page is one click away.
    point = page.evaluate("""() => { const cy = window.aihkgNetwork;
      const hub = cy.nodes().sort((a, b) => a.data('rank') - b.data('rank'))[0];
      const r = cy.container().getBoundingClientRect(), p = hub.renderedPosition();
      return { x: r.left + p.x, y: r.top + p.y, label: hub.data('label') }; }""")
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("() => window.aihkgNetwork.elements('.faded').length > 0")
    link = page.locator("#details").get_by_role("link", name="Open its page")
    link.click()
    page.wait_for_url(re.compile(r".*/(id|source)/.*\.html|.*/entity\?.*"))
    assert page.locator("h1").inner_text() == point["label"]


def test_graph_search_and_focus(page: Any, server: Server) -> None:
    page.goto(server.url + "/graph?focus=NICE&depth=1", timeout=120_000)
    page.wait_for_selector("body[data-ready=true]")
    assert "neighbourhood of National Institute for Health and Care Excellence" in page.locator("h1").inner_text()
    n = page.evaluate("() => window.aihkgNetwork.nodes().length")
    assert 5 < n < 200
    other = page.evaluate("() => window.aihkgNetwork.nodes().filter(n => n.data('rank') === 1)[0].data('label')")
    page.fill("#graph-q", other)
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.aihkgNetwork.nodes(':selected').length > 0")
    assert other in page.locator("#details").inner_text()
    page.fill("#graph-q", "no such node at all")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('details').textContent.includes('No node matches')")
    assert page.console.problems() == []


def test_entity_page_links_work(page: Any, server: Server) -> None:
    page.goto(server.url + "/id/MHRA")
    assert page.url.endswith("/id/MHRA.html")
    page.get_by_role("link", name="Medical Devices Regulations 2002").first.click()
    page.wait_for_url(re.compile(r".*/id/UKMDR2002(\.html)?$"))
    assert page.locator("h1").inner_text() == "Medical Devices Regulations 2002"
    page.get_by_role("link", name="Medicines and Healthcare products Regulatory Agency").first.click()
    page.wait_for_url(re.compile(r".*/id/MHRA(\.html)?$"))
    page.locator("svg.neighbourhood a circle").first.click()  # the picture's nodes are links too
    page.wait_for_url(re.compile(r".*/(id|source|entity).*"))
    assert page.locator("h1").count() == 1
    page.goto(server.url + "/id/MHRA.html")
    page.get_by_role("link", name="Open in SPARQL").click()
    page.wait_for_selector("table.results")
    assert page.locator("table.results tbody tr").count() > 20
    page.goto(server.url + "/id/MHRA.html")
    sources = page.locator("ol.sources a[rel='noopener noreferrer']").evaluate_all("els => els.map(e => e.href)")
    assert sources and all(h.startswith(("https://", "http://")) for h in sources)  # the sources link out
    assert page.console.problems() == []


def test_pages_work_without_javascript(playwright: Any, server: Server) -> None:
    context = launch(playwright, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url + "/id/MHRA")
        assert page.get_by_role("link", name="Medical Devices Regulations 2002").count() >= 1
        page.goto(server.url + "/query/regulations_enforced_by")
        page.select_option("#p-organisation", label="Medicines and Healthcare products Regulatory Agency (kg:MHRA)")
        page.get_by_role("button", name="Run").click()
        page.wait_for_selector("table.results")
        assert page.locator("table.results tbody tr").count() == 6
        page.goto(server.url + "/sparql")
        assert page.locator("textarea#query").is_visible()  # the plain form, with no editor
        page.fill("textarea#query", "SELECT ?s WHERE { ?s a aihkg:Challenge } LIMIT 4")
        page.get_by_role("button", name="Run query").click()
        page.wait_for_selector("table.results")
        assert page.locator("table.results tbody tr").count() == 4
        page.goto(server.url + "/sparql")
        page.select_option("#example", "funding_by_year")
        page.get_by_role("button", name="Load").click()
        assert "GROUP BY" in page.locator("textarea#query").input_value()
        page.goto(server.url + "/search?q=bias")
        assert page.get_by_role("link", name="Algorithmic bias").count() == 1
    finally:
        context.close()


PAGES = ["/", "/search?q=bias", "/queries", "/query/regulations_enforced_by?organisation=MHRA", "/id/MHRA.html",
         "/ontology", "/sparql", "/sparql?query=SELECT%20%3Fs%20WHERE%20%7B%20%3Fs%20a%20aihkg%3AAIUse%20%7D",
         "/graph?focus=NICE", "/id/NoSuchThing.html"]


@pytest.mark.parametrize("path", PAGES)
def test_no_console_errors(page: Any, server: Server, path: str) -> None:
    response = page.goto(server.url + path)
    page.wait_for_load_state("networkidle")
    problems = page.console.problems()
    if "NoSuchThing" in path:  # the browser reports the page's own 404 status, and nothing else
        assert response.status == 404
        problems = [p for p in problems if "status of 404" not in p[1]]
    else:
        assert response.status == 200
    assert problems == []


@pytest.mark.parametrize("path", PAGES)
def test_accessibility_axe(playwright: Any, server: Server, path: str) -> None:
    # axe is injected as an inline script, which our CSP forbids: this one context ignores the CSP.
    context = launch(playwright, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(server.url + path)
        if path.startswith("/graph"):
            page.wait_for_selector("body[data-ready=true]")
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        result = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
        problems = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
                    for v in result["violations"]]
        assert problems == []
    finally:
        context.close()
