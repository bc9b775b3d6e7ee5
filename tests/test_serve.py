"""`aihkg serve`: every route and content type, in process (Starlette's TestClient over the real app and
its real worker processes), and the server as a real process (timeouts, shutdown, errors)."""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import threading
import time
import urllib.parse

import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient

from aihkg.graph import DATA_NS, SOURCE_NS
from aihkg.queries.api import KnowledgeGraph
from aihkg.web.app import Explorer, Settings
from canned import SAMPLE_PARAMS
from conftest import DATA, aihkg
from webserver import Server, alive

HOSTILE = str(DATA / "web_hostile.ttl")
MAX_ROWS = 50
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def explorer():
    kg = KnowledgeGraph(data=[HOSTILE])
    ex = Explorer(kg, Settings(workers=2, timeout=60, max_rows=MAX_ROWS, warm=False)).start()
    yield ex
    ex.close()


@pytest.fixture(scope="module")
def client(explorer):
    with TestClient(explorer.app(), follow_redirects=False) as c:
        yield c


def html(client: TestClient, url: str, status: int = 200, **kw) -> str:
    r = client.get(url, headers={"Accept": "text/html"}, **kw)
    assert r.status_code == status, (url, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def hrefs(page: str) -> list[str]:
    """The links of a page, as a browser would request them."""
    return [h.replace("&amp;", "&").replace("&#39;", "'") for h in re.findall(r'href="([^"]+)"', page)]


def links(page: str) -> list[str]:
    """The links of a page, percent-decoded for reading."""
    return [urllib.parse.unquote(h) for h in hrefs(page)]


# ---------------------------------------------------------------------- pages


@pytest.mark.parametrize("url, needle", [
    ("/", "What the graph holds"),
    ("/search?q=bias", "Algorithmic bias"),
    ("/queries", "challenges_without_regulation"),
    ("/query/challenges_without_regulation", "Legal liability"),
    ("/query/regulations_enforced_by?organisation=MHRA", "Medical Devices Regulations 2002"),
    ("/id/MHRA.html", "Medicines and Healthcare products Regulatory Agency"),
    ("/ontology", "aihkg:Challenge"),
    ("/sparql", "SPARQL"),
    ("/graph", "graph-data"),
    ("/graph?focus=NICE&depth=1", "NICE"),
])
def test_every_page_renders(client: TestClient, url: str, needle: str) -> None:
    page = html(client, url)
    assert needle in page
    assert "Traceback" not in page


def _a_source(client: TestClient) -> str:
    query = "SELECT ?s WHERE { ?s a aihkg:SourceDocument FILTER STRSTARTS(STR(?s), STR(src:)) } ORDER BY ?s LIMIT 1"
    r = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    return r.json()["results"]["bindings"][0]["s"]["value"][len(SOURCE_NS):]


def test_every_page_carries_a_csp_that_forbids_inline_scripts(client: TestClient) -> None:
    for url in ("/", "/id/MHRA.html", "/sparql", "/graph", "/query/funding_by_year", "/nope"):
        r = client.get(url, headers={"Accept": "text/html"})
        policy = r.headers["content-security-policy"]
        script = re.search(r"script-src ([^;]+)", policy).group(1)
        assert script.strip() == "'self'", policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert r.headers["x-content-type-options"] == "nosniff"
        if r.headers["content-type"].startswith("text/html"):
            # No inline script at all: only <script src> and JSON data blocks.
            for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", r.text, re.S):
                assert "src=" in attrs or 'type="application/json"' in attrs, attrs
                assert 'type="application/json"' not in attrs or "</" not in body


def test_assets_are_served_by_aihkg_itself(client: TestClient) -> None:
    for url in ("/", "/sparql", "/graph", "/id/MHRA.html", "/query/funding_by_year"):
        page = html(client, url)
        for ref in re.findall(r'(?:src|href)="([^"]+)"', page):
            if ref.startswith(("http://", "https://")):
                assert ref.startswith(("https://w3id.org/", "http://testserver")) or "<a " in page, ref
        for asset in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page):
            assert asset.startswith("/static/"), asset
            assert client.get(asset).status_code == 200, asset


def test_home_counts_the_graph(client: TestClient, explorer: Explorer) -> None:
    page = html(client, "/")
    assert f"{explorer.facts['triples']:,}" in page
    assert "Organisation" in page


# ---------------------------------------------------------------------- entities and content negotiation


@pytest.mark.parametrize("accept, ext", [
    ("text/html", "html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),  # a browser
    ("*/*", "html"),
    (None, "html"),
    ("text/turtle", "ttl"),
    ("application/x-turtle", "ttl"),
    ("application/n-triples", "nt"),
    ("text/plain", "nt"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdf"),
    ("text/turtle;q=0.5, application/ld+json", "jsonld"),
    ("application/ld+json;q=0.2, text/turtle;q=0.9, text/html;q=0.1", "ttl"),
    ("text/*;q=0.3, text/turtle", "ttl"),
    ("text/*", "html"),
    ("*/*;q=0.1, application/rdf+xml", "rdf"),
    ("text/html;q=0, */*", "ttl"),
    ("TEXT/TURTLE; charset=utf-8", "ttl"),
])
def test_entity_iri_negotiates_with_303(client: TestClient, accept: str | None, ext: str) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    if accept is None:
        headers = {"Accept": ""}
    r = client.get("/id/MHRA", headers=headers)
    assert r.status_code == 303
    assert r.headers["location"] == f"/id/MHRA.{ext}"
    assert r.headers["vary"] == "Accept"


@pytest.mark.parametrize("fmt, ext", [("ttl", "ttl"), ("turtle", "ttl"), ("nt", "nt"), ("jsonld", "jsonld"),
                                      ("rdf", "rdf"), ("html", "html")])
def test_format_parameter_overrides_accept(client: TestClient, fmt: str, ext: str) -> None:
    r = client.get(f"/id/MHRA?format={fmt}", headers={"Accept": "image/png"})
    assert (r.status_code, r.headers["location"]) == (303, f"/id/MHRA.{ext}")


def test_406_when_nothing_acceptable(client: TestClient) -> None:
    for url in ("/id/MHRA", "/entity?iri=https://w3id.org/aihkg/id/MHRA", "/ontology"):
        r = client.get(url, headers={"Accept": "image/png, application/pdf"})
        assert r.status_code == 406, url
        assert r.headers["vary"] == "Accept"
        assert "text/turtle" in r.text
    assert client.get("/id/MHRA?format=docx").status_code == 400


@pytest.mark.parametrize("ext, fmt", [("ttl", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES),
                                      ("jsonld", ox.RdfFormat.JSON_LD), ("rdf", ox.RdfFormat.RDF_XML)])
def test_entity_documents_parse_and_hold_both_directions(client: TestClient, ext: str, fmt: ox.RdfFormat) -> None:
    r = client.get(f"/id/MHRA.{ext}")
    assert r.status_code == 200
    media = {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json",
             "rdf": "application/rdf+xml"}[ext]
    assert r.headers["content-type"].split(";")[0] == media
    triples = {(q.subject, q.predicate, q.object) for q in ox.parse(r.content, format=fmt)}
    mhra = ox.NamedNode(DATA_NS + "MHRA")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    assert (mhra, label, ox.Literal("Medicines and Healthcare products Regulatory Agency", language="en")) in triples
    incoming = {s for s, p, o in triples if o == mhra}
    assert ox.NamedNode(DATA_NS + "AIAirlockLaunched2024") in incoming


def test_entity_page_shows_what_the_issue_asks(client: TestClient) -> None:
    page = html(client, "/id/MHRA.html")
    assert "Also known as" in page and ">MHRA<" in page
    assert "Organisation" in page
    assert "UK regulator of medicines" in page
    assert "enforces" in page and "Medical Devices Regulations 2002" in page  # outgoing (via the inverse)
    assert "involves MHRA" in page and "(links that point here)" in page  # incoming, readable
    assert 'href="https://www.hsj.co.uk/' in page  # sources with titles and links
    assert "<svg" in page and 'class="neighbourhood"' in page
    decoded = links(page)
    assert "/id/UKMDR2002" in decoded
    assert "/graph?focus=https://w3id.org/aihkg/id/MHRA" in decoded
    sparql = next(h for h in hrefs(page) if h.startswith("/sparql?query="))
    r = client.get(sparql, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) > 20
    for ext in ("ttl", "nt", "jsonld", "rdf"):
        assert f"/id/MHRA.{ext}" in decoded


def test_entity_page_shows_figures_with_units(client: TestClient) -> None:
    page = html(client, "/id/FundingRegulatorsFromAILab.html")
    assert "GBP 11,774,263.82" in page
    page = html(client, "/id/StatAutomationGPWorkload2018.html")
    assert "31%" in page and "reference year: 2018" in page


def test_unknown_entity_is_404_with_the_closest_matches(client: TestClient) -> None:
    page = html(client, "/id/MHRX.html", status=404)
    assert "/id/MHRA" in links(page)
    r = client.get("/id/NHSAiLab.ttl")
    assert r.status_code == 404 and "kg:NHSAILab" in r.text
    r = client.get("/entity?iri=https://example.org/nothing", headers={"Accept": "text/html"})
    assert r.status_code == 404


def test_any_iri_has_a_page(client: TestClient) -> None:
    page = html(client, "/entity?iri=" + urllib.parse.quote("https://w3id.org/aihkg/ontology#Challenge"))
    assert "Challenge" in page and "Algorithmic bias" in page  # its members point at it
    r = client.get("/entity?iri=" + urllib.parse.quote("https://w3id.org/aihkg/ontology#Challenge"),
                   headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["vary"] == "Accept"
    assert client.get("/entity?iri=not%20an%20iri", headers={"Accept": "text/html"}).status_code in (400, 404)
    assert client.get("/entity").status_code == 400


def test_ontology_negotiates(client: TestClient) -> None:
    page = html(client, "/ontology")
    assert 'id="Challenge"' in page and "addresses" in page
    r = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["vary"] == "Accept"
    triples = list(ox.parse(r.content, format=ox.RdfFormat.TURTLE))
    owl_class = ox.NamedNode("http://www.w3.org/2002/07/owl#Class")
    assert sum(1 for t in triples if t.object == owl_class) > 20
    assert client.get("/ontology.nt").headers["content-type"].startswith("application/n-triples")
    assert client.get("/ontology.docx").status_code == 404


def test_source_pages(client: TestClient) -> None:
    name = _a_source(client)
    assert client.get(f"/source/{name}").headers["location"] == f"/source/{name}.html"
    page = html(client, f"/source/{name}.html")
    assert "Source document" in page or "source" in page.lower()


# ---------------------------------------------------------------------- canned queries


def _cli(cli_run, name: str, fmt: str, params: dict[str, str]) -> str:
    args = ["--data", HOSTILE, "query", name, "--format", fmt]
    for key, value in params.items():
        args += ["-p", f"{key}={value}"]
    run = cli_run(*args)
    assert run.code == 0, run.err
    return run.out


@pytest.mark.parametrize("name", KnowledgeGraph().catalog.names())
def test_downloads_are_the_bytes_the_cli_writes(client: TestClient, cli_run, name: str) -> None:
    params = SAMPLE_PARAMS.get(name, {})
    for fmt, media in (("csv", "text/csv"), ("tsv", "text/tab-separated-values"),
                       ("json", "application/sparql-results+json")):
        r = client.get(f"/query/{name}", params={**params, "format": fmt})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].split(";")[0] == media
        assert r.headers["content-disposition"] == f'attachment; filename="{name}.{fmt}"'
        assert r.text == _cli(cli_run, name, fmt, params), (name, fmt)


def test_downloads_by_accept_and_whole(client: TestClient) -> None:
    r = client.get("/query/uses_and_challenges", headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["vary"] == "Accept"
    rows = list(csv.reader(io.StringIO(r.text)))
    assert len(rows) - 1 > MAX_ROWS  # the whole answer, not the /sparql cap
    r = client.get("/query/funding_by_year", headers={"Accept": "application/json"})
    assert r.json()["head"]["vars"]
    assert client.get("/query/funding_by_year", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/query/funding_by_year?format=xlsx").status_code == 400


def test_canned_form_from_params(client: TestClient) -> None:
    page = html(client, "/query/regulations_enforced_by")
    assert '<select id="p-organisation" name="organisation" required' in page
    assert 'value="https://w3id.org/aihkg/id/MHRA"' in page  # entities of the declared class
    assert "Answer" not in page  # a required parameter is missing: the form, not an error
    page = html(client, "/query/regulations_enforced_by?organisation=MHRA")
    assert 'value="https://w3id.org/aihkg/id/MHRA" selected' in page
    assert "/id/UKMDR2002" in links(page)
    assert "/query/regulations_enforced_by?organisation=MHRA&format=csv" in links(page)
    sparql = next(h for h in hrefs(page) if h.startswith("/sparql?query="))
    r = client.get(sparql, headers={"Accept": "text/csv"})
    assert len(list(csv.reader(io.StringIO(r.text)))) - 1 == 6
    page = html(client, "/query/regulatory_timeline")
    assert 'type="number"' in page and 'value="2021"' in page  # a year, with its default


def test_canned_form_validates(client: TestClient) -> None:
    page = html(client, "/query/regulatory_timeline?from_year=twenty", status=400)
    assert "from_year" in page and "a year such as 2021" in page
    page = html(client, "/query/regulations_enforced_by?organisation=", status=400)
    assert "please give organisation" in page
    page = html(client, "/query/regulations_enforced_by?organisation=Nobody%20at%20all", status=400)
    assert "no organisation named" in page
    page = html(client, "/query/funding_by_year?colour=red", status=400)
    assert "has no parameter &#39;colour&#39;" in page
    r = client.get("/query/regulatory_timeline?from_year=twenty&format=csv")
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/plain")


def test_unknown_query_is_404(client: TestClient) -> None:
    page = html(client, "/query/challenges_by_usecount", status=404)
    assert "challenges_by_use_count" in page


def test_query_text_and_listing(client: TestClient, cli_run) -> None:
    r = client.get("/query/funding_by_year.rq")
    assert r.text.startswith("#+ summary:") and "SELECT" in r.text
    r = client.get("/queries", headers={"Accept": "application/json"})
    assert r.json() == json.loads(cli_run("queries", "--format", "json").out)
    page = html(client, "/queries")
    for name in KnowledgeGraph().catalog.names():
        assert f'href="/query/{name}"' in page
    assert 'id="tag-gaps"' in page


def test_openapi_describes_every_canned_query(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    catalog = KnowledgeGraph().catalog
    for q in catalog:
        op = doc["paths"][f"/query/{q.name}"]["get"]
        assert op["operationId"] == q.name and op["summary"] == q.summary
        declared = {p.name: p for p in q.params}
        given = {p["name"]: p for p in op["parameters"] if p["name"] != "format"}
        assert set(given) == set(declared)
        for name, p in declared.items():
            assert given[name]["required"] == p.required
            if p.type == "year":
                assert given[name]["schema"]["type"] == "integer"
    assert "/sparql" in doc["paths"] and "/search" in doc["paths"]


# ---------------------------------------------------------------------- search


def test_search_matches_the_cli(client: TestClient, cli_run) -> None:
    r = client.get("/search?q=bias&format=json")
    assert r.json() == json.loads(cli_run("--data", HOSTILE, "search", "bias", "--format", "json").out)
    page = html(client, "/search?q=bias")
    assert "/id/AlgorithmicBias" in links(page)
    assert "No entity matches" in html(client, "/search?q=zzzzqqq")
    assert client.get("/search?q=bias&limit=x").status_code == 400


# ---------------------------------------------------------------------- SPARQL 1.1 Protocol

SELECT = "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s LIMIT 3"


def test_query_via_get_post_form_and_post_direct(client: TestClient) -> None:
    accept = {"Accept": "application/sparql-results+json"}
    a = client.get("/sparql", params={"query": SELECT}, headers=accept)
    b = client.post("/sparql", data={"query": SELECT}, headers=accept)
    c = client.post("/sparql", content=SELECT.encode(), headers={**accept, "Content-Type": "application/sparql-query"})
    d = client.post("/sparql", content=SELECT.encode(),
                    headers={**accept, "Content-Type": "application/sparql-query; charset=UTF-8"})
    for r in (a, b, c, d):
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/sparql-results+json")
        assert len(r.json()["results"]["bindings"]) == 3
    assert a.json() == b.json() == c.json() == d.json()


@pytest.mark.parametrize("accept, media, fmt", [
    ("application/sparql-results+json", "application/sparql-results+json", ox.QueryResultsFormat.JSON),
    ("application/sparql-results+xml", "application/sparql-results+xml", ox.QueryResultsFormat.XML),
    ("text/csv", "text/csv", ox.QueryResultsFormat.CSV),
    ("text/tab-separated-values", "text/tab-separated-values", ox.QueryResultsFormat.TSV),
    ("application/json", "application/json", ox.QueryResultsFormat.JSON),
    ("application/xml", "application/xml", ox.QueryResultsFormat.XML),
    ("*/*", "application/sparql-results+json", ox.QueryResultsFormat.JSON),
    ("", "application/sparql-results+json", ox.QueryResultsFormat.JSON),
    ("text/csv;q=0.4, application/sparql-results+xml;q=0.8", "application/sparql-results+xml",
     ox.QueryResultsFormat.XML),
    ("text/*", "text/csv", ox.QueryResultsFormat.CSV),
    ("application/sparql-results+json;q=0, */*;q=0.5", "application/sparql-results+xml", ox.QueryResultsFormat.XML),
])
def test_select_results_by_accept(client: TestClient, accept: str, media: str, fmt: ox.QueryResultsFormat) -> None:
    r = client.get("/sparql", params={"query": SELECT}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    assert r.headers["vary"] == "Accept"
    if fmt == ox.QueryResultsFormat.CSV:  # lossy: pyoxigraph does not read it back
        assert len(list(csv.reader(io.StringIO(r.text)))) == 4
    else:
        assert len(list(ox.parse_query_results(r.content, format=fmt))) == 3


def test_ask_results(client: TestClient) -> None:
    for query, expected in (("ASK { kg:MHRA ?p ?o }", True), ("ASK { kg:Nobody ?p ?o }", False)):
        r = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
        assert r.json()["boolean"] is expected
        r = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+xml"})
        assert bool(ox.parse_query_results(r.content, format=ox.QueryResultsFormat.XML)) is expected


@pytest.mark.parametrize("accept, media, fmt", [
    ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("*/*", "text/turtle", ox.RdfFormat.TURTLE),
    ("text/plain", "text/plain", ox.RdfFormat.N_TRIPLES),
])
@pytest.mark.parametrize("query", ["DESCRIBE kg:MHRA", "CONSTRUCT { kg:MHRA ?p ?o } WHERE { kg:MHRA ?p ?o }"])
def test_graph_results_by_accept(client: TestClient, query: str, accept: str, media: str, fmt: ox.RdfFormat) -> None:
    r = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    subjects = {q.subject for q in ox.parse(r.content, format=fmt)}
    assert ox.NamedNode(DATA_NS + "MHRA") in subjects


def test_406_for_a_form_that_cannot_be_given(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "DESCRIBE kg:MHRA"}, headers={"Accept": "text/csv"})
    assert r.status_code == 406
    r = client.get("/sparql", params={"query": SELECT}, headers={"Accept": "image/png"})
    assert r.status_code == 406 and r.headers["vary"] == "Accept"
    r = client.get("/sparql", params={"query": SELECT, "format": "turtle"})
    assert r.status_code == 406
    assert client.get("/sparql", params={"query": SELECT, "format": "docx"}).status_code == 400


def test_format_parameter_gives_a_download(client: TestClient) -> None:
    r = client.post("/sparql", data={"query": SELECT, "format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="query.csv"'
    from aihkg.queries.formats import to_csv

    assert r.text == to_csv(KnowledgeGraph(data=[HOSTILE]).sparql(SELECT))


@pytest.mark.parametrize("request_kw, status", [
    ({"method": "PUT", "content": SELECT, "headers": {"Content-Type": "application/sparql-query"}}, 405),  # bad method
    ({"method": "DELETE"}, 405),
    ({"method": "GET", "params": [("query", SELECT), ("query", SELECT)]}, 400),  # bad_multiple_queries
    ({"method": "POST", "content": SELECT, "headers": {"Content-Type": "text/plain"}}, 415),  # wrong media type
    ({"method": "POST", "content": "query=" + urllib.parse.quote(SELECT)}, 400),  # missing form type
    ({"method": "POST", "content": SELECT.encode("utf-16"),
      "headers": {"Content-Type": "application/sparql-query; charset=UTF-16"}}, 400),  # non-UTF-8
    ({"method": "POST", "content": b"SELECT * WHERE { ?s ?p \xff }",
      "headers": {"Content-Type": "application/sparql-query"}}, 400),
    ({"method": "GET", "params": {"query": "SELECT * WHERE { ?s ?p }"}}, 400),  # bad syntax
    ({"method": "GET", "params": {"query": "SELEKT * WHERE { ?s ?p ?o }"}}, 400),
    ({"method": "GET", "params": {"update": "CLEAR DEFAULT"}}, 403),  # bad_update_get
    ({"method": "POST", "content": "CLEAR DEFAULT", "headers": {"Content-Type": "application/sparql-update"}}, 403),
    ({"method": "POST", "data": {"update": "INSERT DATA { <a:b> <a:c> <a:d> }"}}, 403),
    ({"method": "GET", "params": {"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}}, 400),  # the guard: read-only
    ({"method": "GET", "params": {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}},
     400),
    ({"method": "GET", "params": {"query": SELECT, "default-graph-uri": "https://example.org/other"}}, 400),
    ({"method": "GET", "params": {"query": SELECT, "named-graph-uri": "https://w3id.org/aihkg/graph"}}, 400),
])
def test_protocol_errors(client: TestClient, request_kw: dict, status: int) -> None:
    kw = dict(request_kw)
    method = kw.pop("method")
    kw.setdefault("headers", {})
    kw["headers"] = {"Accept": "application/sparql-results+json", **kw["headers"]}
    r = client.request(method, "/sparql", **kw)
    assert r.status_code == status, r.text
    assert "Traceback" not in r.text
    if status != 405:
        assert r.headers["content-type"].startswith("text/plain")
        assert r.text.strip() and "\n" not in r.text.strip()  # one line that says what is wrong


def test_a_refused_query_is_explained(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "INSERT DATA { <a:b> <a:c> <a:d> }"})
    assert "read-only" in r.text
    r = client.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }"})
    assert "SERVICE" in r.text and "no connection was made" in r.text
    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert "syntax error" in r.text.lower()


def test_row_cap_is_honest(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"})
    assert r.status_code == 200
    assert r.headers["x-sparql-maxrows"] == str(MAX_ROWS)
    assert len(list(csv.reader(io.StringIO(r.text)))) == MAX_ROWS + 1
    page = html(client, "/sparql?" + urllib.parse.urlencode({"query": "SELECT * WHERE { ?s ?p ?o }"}))
    assert f"this server gives at most {MAX_ROWS}" in page
    r = client.get("/sparql", params={"query": SELECT}, headers={"Accept": "text/csv"})
    assert "x-sparql-maxrows" not in r.headers


def test_the_store_reads_the_cap_header(explorer: Explorer, client: TestClient) -> None:
    # aihkg's own SPARQL client understands the cap this server signals.
    from aihkg.graph.stores import _truncation

    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert _truncation(r.headers, None) is not None


def test_service_description(client: TestClient, explorer: Explorer) -> None:
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    triples = list(ox.parse(r.content, format=ox.RdfFormat.TURTLE))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert any(t.predicate.value == sd + "endpoint" and t.object.value == "http://testserver/sparql" for t in triples)
    assert any(t.object == ox.NamedNode(sd + "SPARQL11Query") for t in triples)
    assert not any(t.object == ox.NamedNode(sd + "BasicFederatedQuery") for t in triples)
    void = [t.object.value for t in triples if t.predicate.value.endswith("void#triples")]
    assert void == [str(explorer.facts["triples"])]
    assert client.get("/sparql").headers["content-type"].startswith("text/turtle")  # no Accept: a program


def test_editor_page(client: TestClient) -> None:
    page = html(client, "/sparql")
    assert '<textarea id="query" name="query"' in page
    assert "/static/editor.bundle.js" in page and 'data-vocabulary="/sparql/vocabulary.json"' in page
    for name in KnowledgeGraph().catalog.names():
        assert f'<option value="{name}">' in page
    page = html(client, "/sparql?example=funding_by_year")
    assert "SELECT" in page and "funding" in page
    page = html(client, "/sparql?" + urllib.parse.urlencode({"query": SELECT}))
    assert "3 rows" in page and "Permalink" in page
    assert "/sparql?query=" in " ".join(links(page))
    page = html(client, "/sparql?" + urllib.parse.urlencode({"query": "SELECT * WHERE { ?s ?p }"}), status=400)
    assert 'role="alert"' in page and "syntax error" in page.lower()
    page = html(client, "/sparql?" + urllib.parse.urlencode({"query": "DESCRIBE kg:MHRA"}))
    assert "triples" in page and "kg:MHRA" in page


def test_vocabulary_for_completion(client: TestClient) -> None:
    vocab = client.get("/sparql/vocabulary.json").json()
    assert vocab["prefixes"]["kg"] == DATA_NS
    terms = {t[0]: t for t in vocab["terms"]}
    assert terms["kg:MHRA"][1] == "Medicines and Healthcare products Regulatory Agency"
    assert terms["aihkg:Challenge"][2] == "class"
    assert terms["aihkg:enforcedBy"][2] == "property"


def test_caps_on_bodies_and_query_texts(client: TestClient, explorer: Explorer) -> None:
    big = "#" + "x" * (explorer.settings.max_body + 10)
    r = client.post("/sparql", content=big, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413
    long_query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * explorer.settings.max_query_chars
    r = client.post("/sparql", data={"query": long_query})
    assert r.status_code == 413
    nested = "SELECT * WHERE " + "{" * 150 + " ?s ?p ?o " + "}" * 150
    r = client.post("/sparql", data={"query": nested})
    assert r.status_code == 400 and "nests brackets" in r.text


# ---------------------------------------------------------------------- safety


def test_hostile_values_are_escaped_everywhere(client: TestClient) -> None:
    pages = [html(client, "/id/HostileUse.html"), html(client, "/search?q=hostile"),
             html(client, "/sparql?" + urllib.parse.urlencode({"query": "SELECT ?s ?l WHERE { ?s rdfs:label ?l } "
                                                                          "ORDER BY ?l LIMIT 5"})),
             html(client, "/id/HostileSource.html"), html(client, "/graph?focus=kg:HostileUse"),
             html(client, "/query/uses_and_challenges?use=kg:HostileUse")]
    for page in pages:
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "<b>markup</b>" not in page
        assert 'onmouseover="alert' not in page
        assert 'href="javascript:' not in page and "href='javascript:" not in page
    entity = pages[0]
    assert "&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt; hostile use" in entity
    assert "Source &lt;i&gt;title&lt;/i&gt;" in pages[3]
    data = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', pages[4], re.S).group(1)
    assert "<" not in data  # the data block cannot close itself
    assert "<script>alert('label')</script>" in json.dumps(json.loads(data))
    # An IRI with & and ' is a link to its page, correctly quoted.
    assert "/entity?iri=" + urllib.parse.quote("https://example.org/x?a=1&b='2'", safe="") in entity


@pytest.mark.parametrize("path", ["/static/../cli.py", "/static/%2e%2e/cli.py", "/static/..%2fcli.py",
                                  "/static/%2e%2e%2f%2e%2e%2fpyproject.toml", "/static//etc/passwd",
                                  "/static/", "/static/src/editor.js", "/id/..%2f..%2fcli.py",
                                  "/static/..\\cli.py"])
def test_no_directory_traversal(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code in (400, 404), (path, r.status_code)
    assert "import" not in r.text and "[project]" not in r.text and "root:" not in r.text


def test_no_write_routes(client: TestClient) -> None:
    for path in ("/", "/id/MHRA", "/query/funding_by_year", "/ontology", "/search"):
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            assert client.request(method, path).status_code == 405, (method, path)


def test_cors_is_off_by_default(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": SELECT}, headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in r.headers
    r = client.options("/sparql", headers={"Origin": "https://elsewhere.example",
                                           "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_when_asked() -> None:
    kg = KnowledgeGraph()
    ex = Explorer(kg, Settings(workers=1, cors="https://team.example", warm=False)).start()
    try:
        with TestClient(ex.app()) as c:
            r = c.get("/sparql", params={"query": SELECT}, headers={"Origin": "https://team.example"})
            assert r.headers["access-control-allow-origin"] == "https://team.example"
            r = c.get("/sparql", params={"query": SELECT}, headers={"Origin": "https://other.example"})
            assert "access-control-allow-origin" not in r.headers
    finally:
        ex.close()


def test_errors_are_pages_never_tracebacks(monkeypatch: pytest.MonkeyPatch) -> None:
    from aihkg.web import ops

    def broken(state, *args):  # noqa: ANN001, ANN002, ANN202 - a stand-in operation
        raise RuntimeError("something inside broke: secret detail")

    monkeypatch.setitem(ops.OPERATIONS, "summary", broken)
    ex = Explorer(KnowledgeGraph(), Settings(workers=1, warm=False)).start()
    try:
        with TestClient(ex.app(), raise_server_exceptions=False) as c:
            r = c.get("/", headers={"Accept": "text/html"})
            assert r.status_code == 500
            assert r.headers["content-type"].startswith("text/html")
            assert "Traceback" not in r.text and "secret detail" not in r.text
            assert "internal error" in r.text
            r = c.get("/", headers={"Accept": "text/plain"})
            assert r.status_code == 500 and r.text.strip() == "internal error: the server could not answer this request"
            assert c.get("/id/MHRA.html").status_code == 200  # the worker that failed is still serving
    finally:
        ex.close()


def test_status(client: TestClient) -> None:
    s = client.get("/status").json()
    assert s["read_only"] is True and s["workers"]["size"] == 2 and len(s["workers"]["pids"]) == 2


# ---------------------------------------------------------------------- the server as a real process


def test_a_timeout_really_stops_the_query_and_others_are_answered() -> None:
    server = Server("--timeout", "3", "serve", "--port", "0", "--workers", "2", "--no-cache")
    try:
        before = server.get("/status").json()["workers"]
        slow: dict[str, object] = {}

        def run_slow() -> None:
            started = time.monotonic()
            r = server.get("/sparql?" + urllib.parse.urlencode({"query": CARTESIAN}),
                           headers={"Accept": "application/sparql-results+json"})
            slow.update(status=r.status_code, text=r.text, seconds=time.monotonic() - started)

        thread = threading.Thread(target=run_slow)
        thread.start()
        answered = []
        while thread.is_alive():  # the other worker answers everyone else meanwhile
            r = server.get("/id/MHRA.html", headers={"Accept": "text/html"})
            answered.append(r.status_code)
            if len(answered) >= 200:
                break
        thread.join(60)
        assert slow["status"] == 503 and "did not finish within 3 s" in slow["text"], slow
        assert answered and set(answered) == {200}
        assert len(answered) >= 3
        after = server.get("/status").json()["workers"]
        assert after["timeouts"] == 1 and after["restarts"] == 1
        assert after["size"] == 2 and len(after["pids"]) == 2
        gone = set(before["pids"]) - set(after["pids"])
        assert len(gone) == 1  # the worker that ran the product was replaced ...
        assert not alive(gone.pop())  # ... and it is no longer running
        r = server.get("/sparql?" + urllib.parse.urlencode({"query": SELECT}),
                       headers={"Accept": "application/sparql-results+json"})
        assert len(r.json()["results"]["bindings"]) == 3
    finally:
        code, err = server.stop()
    assert code == 0, err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_clean_shutdown(sig: int) -> None:
    server = Server("serve", "--port", "0", "--workers", "2")
    pids = server.get("/status").json()["workers"]["pids"]
    assert server.get("/id/MHRA.ttl").status_code == 200
    code, err = server.stop(sig)
    assert code == 0, err
    assert "server stopped" in err and "Traceback" not in err
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(p) for p in pids)


def test_serve_binds_loopback_and_prints_its_url() -> None:
    server = Server("serve", "--port", "0", "--workers", "1")
    try:
        assert server.url.startswith("http://127.0.0.1:")
    finally:
        server.stop()


@pytest.mark.parametrize("args, code, message", [
    (("serve", "--host", "no such host.invalid", "--port", "0"), 2, "--host"),
    (("--data", str(DATA / "broken_syntax.ttl"), "serve", "--port", "0"), 1, "broken_syntax.ttl"),
    (("serve", "--port", "70000"), 2, "--port"),
    (("--store", "nowhere:x", "serve", "--port", "0"), 2, "unknown store"),
])
def test_serve_errors_are_one_line(args: tuple[str, ...], code: int, message: str) -> None:
    run = aihkg(*args, timeout=120)
    assert run.code == code, run.err
    assert message in run.err and "Traceback" not in run.err
    assert len(run.err.strip().splitlines()) == 1, run.err


def test_port_in_use_is_one_line() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        run = aihkg("serve", "--port", str(port), timeout=120)
    assert run.code == 1 and "cannot listen on 127.0.0.1" in run.err and "Traceback" not in run.err


def test_answers_are_kept_when_the_store_cannot_change(client: TestClient, explorer: Explorer) -> None:
    served = explorer.pool.stats().served
    first = client.get("/id/NHSX.html", headers={"Accept": "text/html"})
    again = client.get("/id/NHSX.html", headers={"Accept": "text/html"})
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert explorer.pool.stats().served == served + 1  # the second answer came from the cache
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]


def test_aihkg_itself_can_use_the_endpoint_as_its_store() -> None:
    # --store sparql:URL sends default-graph-uri=https://w3id.org/aihkg/graph, the graph served here.
    server = Server("serve", "--port", "0", "--workers", "2")
    try:
        remote = KnowledgeGraph(f"sparql:{server.url}/sparql")
        local = KnowledgeGraph()
        for name, params in (("regulations_enforced_by", {"organisation": "MHRA"}), ("funding_by_year", {})):
            assert remote.rows(name, **params) == local.rows(name, **params)
        assert remote.describe("MHRA").label == local.describe("MHRA").label
    finally:
        code, err = server.stop()
    assert code == 0, err


def test_an_entity_page_shows_its_dated_history(client) -> None:
    # NHS Digital: founded 2013-04, merger announced 2021-11-22, merged into NHS England 2023-02-01 (FACTS L03, L10).
    page = client.get("/id/NHSDigital", headers={"Accept": "text/html"}, follow_redirects=True)
    assert page.status_code == 200
    history = page.text.split('id="history"', 1)[1].split("</section>", 1)[0]
    assert "2013-04" in history and "2021-11-22" in history and "2023-02-01" in history
    assert "closure announced" in history and "merged" in history
    assert "<th scope=\"col\">entity</th>" not in history  # the page's own entity goes without saying
    assert 'href="/source/' in history  # each change links to the source that states it
