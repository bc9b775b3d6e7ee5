"""The web explorer and SPARQL endpoint: a Starlette app over one `Explorer`, views kept thin.

`Explorer` is the core object (Datasette's model): it holds the KnowledgeGraph, the settings and the
worker pool; `Explorer.app()` is the ASGI app that uvicorn serves (or that tests call in process).
Views parse the request, ask a worker (web.ops, which calls the library) and render a template or a
protocol answer. Read-only: no route writes anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from aihkg.graph import DATA_NS, GRAPH_IRI, ONTOLOGY_IRI, SOURCE_NS, compact
from aihkg.graph.errors import AihkgError, QueryTimeout, UsageProblem
from aihkg.queries import guard, protocol
from aihkg.web import negotiate, ops
from aihkg.web.templating import entity_href, environment
from aihkg.web.workers import Pool

HTML = "text/html"
RDF_DOCS = {"html": HTML, "ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json",
            "rdf": "application/rdf+xml"}
RDF_EXT = {media: ext for ext, media in RDF_DOCS.items()}
RDF_OFFERED = [HTML, "text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml",
               "application/x-turtle", "text/plain", "application/json+ld"]
RDF_ALIASES = {"application/x-turtle": "text/turtle", "text/plain": "application/n-triples",
               "application/json+ld": "application/ld+json"}
FORMAT_ALIASES = {"turtle": "ttl", "n-triples": "nt", "ntriples": "nt", "json-ld": "jsonld", "rdfxml": "rdf",
                  "xml": "rdf"}
TABLE_FORMATS = {"csv": "text/csv", "tsv": "text/tab-separated-values", "json": "application/sparql-results+json",
                 "html": HTML}


@dataclass
class Settings:
    """How the server behaves; every limit is per request."""

    host: str = "127.0.0.1"
    port: int = 8000
    timeout: float = 10.0  # seconds before a request's worker is killed
    max_rows: int = 10_000  # rows (or triples) a /sparql answer carries; canned-query downloads are whole
    cors: str | None = None  # an origin allowed to read answers from a browser (off by default)
    workers: int = 4
    allow_service: bool = False
    max_body: int = 1_000_000  # bytes of a request body
    max_query_chars: int = 100_000  # characters of a query text (the guard's own limit is larger)
    table_rows: int = 1_000  # rows an HTML table shows (downloads have all of them)
    cache: bool = True  # keep answers of a store that cannot change while serving
    worker_memory: int = 4 << 30  # bytes a worker may allocate beyond the graph it shares
    network_timeout: float = 300.0  # the network layout is our own, bounded work: seconds it may take
    warm: bool = True  # lay out the whole network in the background at start


@dataclass
class Explorer:
    """The served graph: settings, the worker pool, and a small cache of answers."""

    kg: Any
    settings: Settings = field(default_factory=Settings)
    pool: Pool | None = None
    _cache: OrderedDict[Any, Any] = field(default_factory=OrderedDict)
    _warming: Any = None
    responses: OrderedDict[Any, Any] = field(default_factory=OrderedDict)
    response_bytes: int = 0

    RESPONSE_MAX_BYTES = 4 << 20
    RESPONSE_CACHE_BYTES = 256 << 20

    CACHE_ENTRIES = 512
    CACHE_MAX_ROWS = 5_000

    def start(self) -> "Explorer":
        """Fork the worker pool (the graph is loaded in its zygote). Raises the load error, if any."""
        kg = self.kg
        self.pool = Pool(lambda: ops.setup_state(kg), ops.OPERATIONS, size=self.settings.workers,
                         timeout=self.settings.timeout, memory_limit=self.settings.worker_memory).start()
        return self

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    @property
    def facts(self) -> dict[str, Any]:
        return self.pool.facts if self.pool else {}

    @property
    def static_store(self) -> bool:
        """Whether answers can be kept: a store loaded at start, or one opened read-only."""
        import os

        kind = (self.kg.store_spec or os.environ.get("AIHKG_STORE") or "memory").split(":", 1)[0]
        return kind in ("memory", "rdflib", "oxigraph")  # not a SPARQL server, which others may change

    async def call(self, op: str, *args: Any, cache: bool = False, timeout: float | None = None) -> Any:
        if self.pool is None:
            raise RuntimeError("the explorer is not started")
        keep = cache and self.settings.cache and self.static_store
        key = (op, _freeze(args))
        if keep and key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        answer = await self.pool.call(op, *args, timeout=timeout)
        if keep and _small(answer, self.CACHE_MAX_ROWS):
            self._cache[key] = answer
            while len(self._cache) > self.CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return answer

    def warm(self) -> None:
        """Lay out the whole network in the background (in a worker of its own), so that the first /graph
        is quick; skipped when answers are not kept."""
        if self.pool is None or not (self.settings.cache and self.static_store):
            return
        pool, key = self.pool, ("network", _freeze((None, 1)))

        async def run() -> None:
            with contextlib.suppress(Exception):  # a warm-up that fails is just not warm
                answer = await pool.call_aside("network", None, 1, timeout=self.settings.network_timeout)
                self._cache.setdefault(key, answer)

        self._warming = asyncio.get_running_loop().create_task(run())

    def app(self) -> Starlette:
        return build_app(self)


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _small(answer: Any, rows: int) -> bool:
    if isinstance(answer, dict) and isinstance(answer.get("body"), bytes):
        return len(answer["body"]) <= 8 << 20
    result = answer.get("result") if isinstance(answer, dict) else None
    if result is None:
        return True
    return len(getattr(result, "rows", ())) + len(getattr(result, "triples", ())) <= rows


# ---------------------------------------------------------------------- responses

def csp(nonce: str | None = None) -> str:
    style = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return ("default-src 'none'; script-src 'self'; style-src " + style + "; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def page(request: Request, template: str, status: int = 200, headers: dict[str, str] | None = None,
         styles_nonce: bool = False, **context: Any) -> Response:
    """A page from a template. `styles_nonce`: the page's script adds <style> elements (CodeMirror), so the
    CSP allows styles carrying this response's nonce (scripts stay 'self' only)."""
    nonce = secrets.token_urlsafe(12) if styles_nonce else None
    explorer: Explorer = request.app.state.explorer
    body = environment().get_template(template).render(
        request_path=request.url.path, nonce=nonce, facts=explorer.facts, settings=explorer.settings, **context)
    out = Response(body, status_code=status, media_type="text/html; charset=utf-8", headers=headers)
    out.headers["Content-Security-Policy"] = csp(nonce)
    return out


def text_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(message.rstrip() + "\n", status_code=status, media_type="text/plain; charset=utf-8",
                    headers=headers)


def wants_html(request: Request, others: list[str]) -> bool:
    return negotiate.choose(request.headers.get("accept"), [*others, HTML]) == HTML


def error_response(request: Request, status: int, message: str, *, title: str | None = None,
                   suggestions: list[tuple[str, str]] | None = None, headers: dict[str, str] | None = None) -> Response:
    """An error as a page for people, as plain text for programs; never a traceback."""
    if wants_html(request, ["text/plain"]) and not request.url.path.startswith("/sparql"):
        return page(request, "error.html", status=status, headers=headers, status_code=status,
                    title=title or _REASONS.get(status, "Error"), message=message, suggestions=suggestions or [])
    return text_error(status, message, headers)


_REASONS = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
            406: "Not acceptable", 413: "Too large", 414: "Query too long", 415: "Unsupported media type",
            500: "Internal error", 503: "The query took too long"}


def problem_status(exc: AihkgError) -> int:
    if isinstance(exc, QueryTimeout):
        return 503
    if isinstance(exc, UsageProblem):
        return 400
    return 500


async def read_body(request: Request, cap: int) -> bytes:
    """The request body, refused with 413 once it passes `cap` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.strip().isdigit() and int(declared) > cap:
        raise HTTPException(413, f"the request body is {int(declared):,} bytes; the limit is {cap:,}")
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > cap:
            raise HTTPException(413, f"the request body is over the limit of {cap:,} bytes")
    return bytes(chunks)


def _download(media: str, body: bytes, filename: str | None, headers: dict[str, str] | None = None) -> Response:
    out = Response(body, media_type=protocol.charset(media), headers=headers)
    if filename:
        out.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return out


def cached_response(view: Any) -> Any:
    """Keep a GET view's successful responses, keyed by path, query and Accept, when the store cannot change:
    a page asked for again is sent without a worker or a template."""
    async def wrapper(request: Request) -> Response:
        ex: Explorer = request.app.state.explorer
        if request.method != "GET" or not (ex.settings.cache and ex.static_store):
            return await view(request)
        key = ("response", request.url.path, request.url.query, request.headers.get("accept", ""))
        hit = ex.responses.get(key)
        if hit is not None:
            ex.responses.move_to_end(key)
            body, status_code, headers = hit
            return Response(body, status_code=status_code, headers=headers)
        response = await view(request)
        body = getattr(response, "body", None)
        if response.status_code in (200, 303, 404) and body is not None and len(body) <= ex.RESPONSE_MAX_BYTES:
            headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
            ex.responses[key] = (body, response.status_code, headers)
            ex.response_bytes += len(body)
            while len(ex.responses) > ex.CACHE_ENTRIES * 2 or ex.response_bytes > ex.RESPONSE_CACHE_BYTES:
                _, (old, _, _) = ex.responses.popitem(last=False)
                ex.response_bytes -= len(old)
        return response

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


# ---------------------------------------------------------------------- views: home, search, queries

async def home(request: Request) -> Response:
    ex: Explorer = request.app.state.explorer
    summary = await ex.call("summary", cache=True)
    catalog = list(ex.kg.catalog)
    return page(request, "home.html", summary=summary, queries=catalog, tags=_by_tag(catalog))


def _by_tag(catalog: list[Any]) -> list[tuple[str, list[Any]]]:
    tags: dict[str, list[Any]] = {}
    for q in catalog:
        for tag in q.tags or ("other",):
            tags.setdefault(tag, []).append(q)
    return sorted(tags.items())


async def search(request: Request) -> Response:
    ex: Explorer = request.app.state.explorer
    q = request.query_params.get("q", "").strip()
    fmt = request.query_params.get("format")
    try:
        limit = min(max(int(request.query_params.get("limit", "20")), 1), 500)
    except ValueError:
        raise HTTPException(400, "limit must be a whole number") from None
    as_json = fmt == "json" or (fmt is None and not wants_html(request, ["application/json"]))
    if not q:
        if as_json:
            raise HTTPException(400, "search needs q=TEXT")
        return page(request, "search.html", q="", hits=[], searched=False)
    hits = await ex.call("search", q, limit, cache=True)
    if as_json:
        return JSONResponse([h.__dict__ for h in hits])
    return page(request, "search.html", q=q, hits=hits, searched=True)


async def list_queries(request: Request) -> Response:
    ex: Explorer = request.app.state.explorer
    catalog = list(ex.kg.catalog)
    fmt = request.query_params.get("format")
    if fmt == "json" or (fmt is None and not wants_html(request, ["application/json"])):
        return JSONResponse([q.as_dict() for q in catalog])
    return page(request, "queries.html", queries=catalog, tags=_by_tag(catalog))


def _given(request: Request, query: Any) -> dict[str, list[str]]:
    given: dict[str, list[str]] = {}
    for p in query.params:
        values = [v for v in request.query_params.getlist(p.name) if v.strip()]
        if values:
            given[p.name] = values
    return given


async def canned_query(request: Request) -> Response:
    ex: Explorer = request.app.state.explorer
    name = request.path_params["name"]
    if name.endswith(".rq"):
        return await canned_text(request, name[:-3])
    try:
        query = ex.kg.catalog.get(name)
    except UsageProblem as exc:
        raise HTTPException(404, str(exc)) from None
    fmt = request.query_params.get("format")
    if fmt is not None and fmt not in TABLE_FORMATS:
        raise HTTPException(400, f"format must be one of {', '.join(TABLE_FORMATS)}")
    media = TABLE_FORMATS[fmt] if fmt else negotiate.choose(
        request.headers.get("accept"), [HTML, "text/csv", "text/tab-separated-values",
                                        "application/sparql-results+json", "application/json"])
    if media is None:
        return _not_acceptable(request, [HTML, "text/csv", "text/tab-separated-values",
                                         "application/sparql-results+json"])
    given = _given(request, query)
    unknown = [k for k in request.query_params if k != "format" and query.param(k) is None]
    if media != HTML:
        if unknown:
            raise HTTPException(400, f"query '{name}' has no parameter '{unknown[0]}'")
        media = "application/sparql-results+json" if media == "application/json" else media
        answer = await ex.call("canned", name, given, media, cache=True)
        body = answer["body"]
        ext = {"text/csv": "csv", "text/tab-separated-values": "tsv"}.get(media, "json")
        return _download(media, body, f"{name}.{ext}" if fmt else None, {"Vary": "Accept"})
    missing = [p.name for p in query.params if p.required and p.name not in given and p.default is None]
    options = {}
    for p in query.params:
        if p.type == "entity" and p.cls:
            options[p.name] = await ex.call("class_members", p.cls, 1001, cache=True)
    answer, error, status = None, None, 200
    submitted = any(k in request.query_params for k in [p.name for p in query.params])
    if unknown:
        error, status = f"query '{name}' has no parameter '{unknown[0]}'", 400
    elif missing and submitted:
        error, status = "please give " + ", ".join(missing), 400
    elif not missing:
        try:
            answer = await ex.call("canned", name, given, None, ex.settings.table_rows, cache=True)
        except UsageProblem as exc:
            error, status = str(exc), 400
    table = None
    if answer is not None:
        from aihkg.web.tables import result_table

        table = result_table(answer["result"], answer["labels"], ex.settings.table_rows)
        table.total = answer["total"]
    downloads = {f: f"/query/{name}?" + urlencode([*[(k, v) for k, vs in given.items() for v in vs], ("format", f)])
                 for f in ("csv", "tsv", "json")}
    selected = answer["selected"] if answer else {}
    return page(request, "query.html", status=status, query=query, given=given, options=options, error=error,
                selected=selected,
                table=table, answer=answer, downloads=downloads,
                sparql_link="/sparql?" + urlencode({"query": answer["text"]}) if answer else None,
                headers={"Vary": "Accept"})


async def canned_text(request: Request, name: str) -> Response:
    ex: Explorer = request.app.state.explorer
    try:
        query = ex.kg.catalog.get(name)
    except UsageProblem as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(query.text, media_type="application/sparql-query; charset=utf-8")


async def openapi(request: Request) -> Response:
    from aihkg.web.openapi import document

    ex: Explorer = request.app.state.explorer
    return JSONResponse(document(ex.kg.catalog, str(request.base_url).rstrip("/")))


async def status(request: Request) -> Response:
    ex: Explorer = request.app.state.explorer
    stats = ex.pool.stats() if ex.pool else None
    return JSONResponse({"store": ex.facts.get("store"), "triples": ex.facts.get("triples"),
                         "workers": stats.__dict__ if stats else None, "timeout": ex.settings.timeout,
                         "max_rows": ex.settings.max_rows, "read_only": True})


# ---------------------------------------------------------------------- views: entities

def _not_acceptable(request: Request, offered: list[str]) -> Response:
    listed = ", ".join(offered)
    return text_error(406, f"none of the types in Accept: {request.headers.get('accept', '')} can be given; "
                           f"available: {listed}", {"Vary": "Accept"})


def _pick_rdf(request: Request) -> tuple[str | None, bool]:
    """(media type, was it asked for by ?format=); media None means 406 (or 400 for an unknown format)."""
    fmt = request.query_params.get("format")
    if fmt is not None:
        fmt = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
        if fmt not in RDF_DOCS:
            raise HTTPException(400, f"format must be one of {', '.join(RDF_DOCS)}")
        return RDF_DOCS[fmt], True
    chosen = negotiate.choose(request.headers.get("accept"), RDF_OFFERED)
    return (RDF_ALIASES.get(chosen, chosen) if chosen else None), False


async def thing(request: Request) -> Response:
    """/id/NAME and /source/NAME: the IRI of a thing, so 303 See Other to a document about it."""
    kind = request.url.path.split("/")[1]
    name = request.path_params["name"]
    for ext, _media in RDF_DOCS.items():
        if name.endswith("." + ext):
            return await document(request, kind, name[: -len(ext) - 1], RDF_DOCS[ext])
    media, _ = _pick_rdf(request)
    if media is None:
        return _not_acceptable(request, list(RDF_DOCS.values()))
    target = f"/{kind}/{quote(name, safe='')}.{RDF_EXT[media]}"
    return RedirectResponse(target, status_code=303, headers={"Vary": "Accept"})


async def document(request: Request, kind: str, name: str, media: str) -> Response:
    namespace = DATA_NS if kind == "id" else SOURCE_NS
    return await entity_document(request, namespace + name, media, namespace)


async def any_entity(request: Request) -> Response:
    iri = request.query_params.get("iri", "").strip()
    if not iri:
        raise HTTPException(400, "entity needs iri=IRI")
    media, _ = _pick_rdf(request)
    if media is None:
        return _not_acceptable(request, list(RDF_DOCS.values()))
    for namespace in (DATA_NS, SOURCE_NS):
        if iri.startswith(namespace):
            return await entity_document(request, iri, media, namespace, vary=True)
    return await entity_document(request, iri, media, None, vary=True)


async def entity_document(request: Request, iri: str, media: str, namespace: str | None,
                          vary: bool = False) -> Response:
    ex: Explorer = request.app.state.explorer
    headers = {"Vary": "Accept"} if vary else {}
    from aihkg.queries.bind import iri as make_iri

    try:
        make_iri(iri)
    except UsageProblem as exc:
        raise HTTPException(400, str(exc)) from None
    if media == HTML:
        info = await ex.call("entity", iri, namespace, cache=True)
        if info["missing"]:
            return _missing(request, iri, info["closest"])
        from aihkg.web.history import columns

        desc = info["description"]
        nearby = _neighbourhood(desc)
        return page(request, "entity.html", headers=headers, d=desc, info=info, iri=iri, curie=compact(iri),
                    history=info["history"], history_columns=columns(info["history"]), nearby=nearby,
                    sparql_link="/sparql?" + urlencode({"query": info["query"]}),
                    data_links={ext: _doc_link(iri, ext) for ext in RDF_DOCS if ext != "html"},
                    graph_link="/graph?" + urlencode({"focus": iri}) if nearby["nodes"] else None)
    info = await ex.call("entity_rdf", iri, namespace, cache=True)
    if info["missing"]:
        return _missing(request, iri, info["closest"])
    return Response(protocol.serialize_triples(info["triples"], media), media_type=protocol.charset(media),
                    headers=headers)


def _doc_link(iri: str, ext: str) -> str:
    href = entity_href(iri)
    if href.startswith(("/id/", "/source/")):
        return f"{href}.{ext}"
    return f"{href}&format={ext}"


def _missing(request: Request, iri: str, closest: list[tuple[str, str]]) -> Response:
    message = f"nothing is known about {compact(iri)} in this graph"
    if closest:
        message += "; closest: " + ", ".join(f"{label} ({compact(i)})" for i, label in closest)
    return error_response(request, 404, message, title="Not in the graph",
                          suggestions=[(entity_href(i), label, compact(i)) for i, label in closest])


def _neighbourhood(desc: Any, limit: int = 18) -> dict[str, Any]:
    """A small radial picture of up to `limit` linked neighbours, taken in turn from each relation so that
    every kind of link shows; positions in a 700x440 box."""
    import math

    groups = [[(iri, text, label if direction == "out" else f"{label} (points here)") for iri, text in values
               if iri and iri != desc.iri]
              for (label, direction, _prop), values in sorted(desc.relations.items(), key=lambda kv: kv[0][0].lower())]
    seen: dict[str, dict[str, Any]] = {}
    depth = 0
    while len(seen) < limit and any(depth < len(g) for g in groups):
        for g in groups:
            if depth < len(g) and len(seen) < limit and g[depth][0] not in seen:
                iri, text, relation = g[depth]
                seen[iri] = {"iri": iri, "text": text if len(text) <= 22 else text[:21] + "…", "full": text,
                             "relation": relation, "href": entity_href(iri)}
        depth += 1
    nodes = list(seen.values())
    cx, cy, rx, ry = 350, 220, 150, 175
    for i, node in enumerate(nodes):
        angle = -math.pi / 2 + 2 * math.pi * i / max(len(nodes), 1)
        node["x"], node["y"] = round(cx + rx * math.cos(angle)), round(cy + ry * math.sin(angle))
        node["anchor"] = "middle" if abs(math.cos(angle)) < 0.3 else ("start" if math.cos(angle) > 0 else "end")
    linked = {iri for g in groups for iri, _, _ in g}
    return {"nodes": nodes, "cx": cx, "cy": cy, "more": max(len(linked) - len(nodes), 0)}


async def ontology(request: Request) -> Response:
    ex: Explorer = request.app.state.explorer
    fmt_path = request.path_params.get("ext")
    if fmt_path:
        ext = FORMAT_ALIASES.get(fmt_path, fmt_path)
        if ext not in RDF_DOCS:
            raise HTTPException(404, f"/ontology.{fmt_path}: use .html, .ttl, .nt, .jsonld or .rdf")
        media, vary = RDF_DOCS[ext], False
    else:
        media, _ = _pick_rdf(request)
        vary = True
        if media is None:
            return _not_acceptable(request, list(RDF_DOCS.values()))
    headers = {"Vary": "Accept"} if vary else {}
    if media == HTML:
        terms = await ex.call("ontology", cache=True)
        return page(request, "ontology.html", headers=headers, terms=terms, iri=ONTOLOGY_IRI)
    triples = await ex.call("ontology_rdf", cache=True)
    return Response(protocol.serialize_triples(triples, media), media_type=protocol.charset(media), headers=headers)


async def graph_page(request: Request) -> Response:
    ex: Explorer = request.app.state.explorer
    focus = request.query_params.get("focus", "").strip() or None
    try:
        depth = int(request.query_params.get("depth", "1"))
    except ValueError:
        raise HTTPException(400, "depth must be a whole number from 1 to 4") from None
    if not 1 <= depth <= 4:
        raise HTTPException(400, "depth must be a whole number from 1 to 4")
    as_json = request.url.path.endswith(".json")
    op = "network_export" if as_json else "network"
    try:
        data = await ex.call(op, focus, depth, cache=True, timeout=max(ex.settings.network_timeout,
                                                                          ex.settings.timeout))
    except UsageProblem as exc:  # an unknown focus (404), or a network too large to lay out (400)
        code = 404 if focus else 400
        if as_json:
            raise HTTPException(code, str(exc)) from None
        return error_response(request, code, str(exc), title="Not in the network" if focus else "Too large")
    if as_json:
        return JSONResponse(data)
    from aihkg.web.page import script_json

    data = dict(data, offline=False)
    title = (f"aihkg: neighbourhood of {data['focus_label']} (depth {depth})" if focus
             else "aihkg: the AI-in-healthcare knowledge graph")
    title += f": {data['nodes']} entities, {data['edges']} links"
    body = environment().get_template("graph.html").render(
        title=title, data=data, data_json=script_json(data), offline=False, assets={}, focus_name=focus or "",
        depth=depth)
    out = Response(body, media_type="text/html; charset=utf-8")
    out.headers["Content-Security-Policy"] = csp()
    return out


# ---------------------------------------------------------------------- views: SPARQL

SELECT_OFFERED = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                  "text/tab-separated-values", "application/json", "application/xml", "text/xml"]
GRAPH_OFFERED = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml",
                 "application/x-turtle", "text/plain", "application/json+ld"]


async def sparql(request: Request) -> Response:
    ex: Explorer = request.app.state.explorer
    fields: list[tuple[str, str]] = list(request.query_params.multi_items())
    body_query: str | None = None
    if request.method == "POST":
        ctype, _, params = request.headers.get("content-type", "").partition(";")
        ctype = ctype.strip().lower()
        body = await read_body(request, ex.settings.max_body)
        charset = dict(parse_qsl(params.replace(";", "&").replace(" ", ""))).get("charset", "utf-8").lower()
        if ctype == "application/x-www-form-urlencoded":
            try:
                fields += parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=False,
                                    encoding="utf-8", errors="strict")
            except UnicodeDecodeError:
                return text_error(400, "the form body is not valid UTF-8 (percent-encoded)")
        elif ctype == "application/sparql-query":
            if charset not in ("utf-8", "utf8"):
                return text_error(400, f"a query must be sent as UTF-8 (charset={charset} given)")
            try:
                body_query = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                return text_error(400, f"the query is not valid UTF-8 (byte offset {exc.start})")
        elif ctype == "application/sparql-update":
            return text_error(403, "this endpoint is read-only: SPARQL Update is refused")
        elif not ctype:
            return text_error(400, "a POST needs a Content-Type: application/x-www-form-urlencoded (query=...) "
                                   "or application/sparql-query")
        else:
            return text_error(415, f"unsupported Content-Type {ctype}: send application/x-www-form-urlencoded "
                                   "(query=...) or application/sparql-query")
    queries = [v for k, v in fields if k == "query"]
    if body_query is not None:
        if queries:
            return text_error(400, "give the query once: in the body or as query=, not both")
        queries = [body_query]
    if any(k in ("update", "using-graph-uri", "using-named-graph-uri") for k, _ in fields):
        return text_error(403, "this endpoint is read-only: SPARQL Update is refused")
    if len(queries) > 1:
        return text_error(400, f"give one query, not {len(queries)}")
    # One dataset is served: its default graph is the aihkg graph, so naming that graph (as aihkg's own
    # SPARQL client does) asks for what is served anyway; any other dataset is refused, not guessed.
    if any(k == "named-graph-uri" or (k == "default-graph-uri" and v != GRAPH_IRI) for k, v in fields):
        return text_error(400, f"this endpoint serves one dataset, the graph <{GRAPH_IRI}>: other default-graph-uri "
                               "and named-graph-uri values are not supported (use FROM or GRAPH in the query)")
    fmt = next((v for k, v in fields if k == "format"), None)
    example = next((v for k, v in fields if k == "example"), None)
    if not queries:
        return await sparql_without_query(request, fmt, example)
    text = queries[0]
    if len(text) > ex.settings.max_query_chars:
        return text_error(413, f"the query is {len(text):,} characters; this server's limit is "
                               f"{ex.settings.max_query_chars:,}")
    try:
        form = guard.check(text, allow_service=ex.settings.allow_service)
    except UsageProblem as exc:
        return await sparql_problem(request, text, fmt, 400, str(exc))
    offered = GRAPH_OFFERED if form == "graph" else SELECT_OFFERED
    if fmt:
        media = protocol.FORMAT_NAMES.get(fmt.lower()) if fmt.lower() != "html" else HTML
        if media is None:
            return text_error(400, f"unknown format '{fmt}' (json, xml, csv, tsv, turtle, nt, jsonld, rdfxml, html)")
        if media != HTML and media not in protocol.media_types(form):
            return text_error(406, f"a {form.upper() if form != 'graph' else 'CONSTRUCT/DESCRIBE'} answer cannot "
                                   f"be given as {fmt}")
    else:
        media = negotiate.choose(request.headers.get("accept"), [*offered, HTML])
        if media is None:
            return _not_acceptable(request, offered)
    html = media == HTML
    canonical = protocol.ALIASES.get(media, media)
    try:
        answer = await ex.call("sparql", text, ex.settings.max_rows, None if html else canonical,
                               ex.settings.table_rows)
    except AihkgError as exc:
        return await sparql_problem(request, text, fmt, problem_status(exc), str(exc), html=html)
    total = answer["total"]
    headers = {"Vary": "Accept"}
    truncated = bool(ex.settings.max_rows) and total > ex.settings.max_rows
    if truncated:
        headers["X-SPARQL-MaxRows"] = str(ex.settings.max_rows)
    if html:
        return await sparql_editor(request, text, answer=answer, truncated=truncated, headers=headers)
    body = answer["body"]
    filename = None
    if fmt:
        filename = "query." + (protocol.RESULT_TYPES.get(canonical) or protocol.GRAPH_TYPES[canonical])[1]
    return _download(media, body, filename, headers)


async def sparql_without_query(request: Request, fmt: str | None, example: str | None) -> Response:
    """GET /sparql with no query: the editor for a browser, the service description for a program."""
    ex: Explorer = request.app.state.explorer
    offered = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]
    media = HTML if fmt == "html" else negotiate.choose(request.headers.get("accept"), [*offered, HTML])
    if fmt and fmt != "html":
        media = protocol.FORMAT_NAMES.get(fmt.lower())
        if media not in offered:
            return text_error(400, "the service description is given as turtle, nt, jsonld or rdfxml")
    if media == HTML:
        text = ""
        if example:
            try:
                text = ex.kg.catalog.get(example).text
            except UsageProblem as exc:
                raise HTTPException(404, str(exc)) from None
        return await sparql_editor(request, text or DEFAULT_QUERY)
    if media is None:
        return _not_acceptable(request, offered)
    endpoint = str(request.url_for("sparql"))
    triples = protocol.service_description(endpoint, triples=ex.facts.get("triples"),
                                           federated=ex.settings.allow_service)
    return Response(protocol.serialize_triples(triples, media), media_type=protocol.charset(media),
                    headers={"Vary": "Accept"})


DEFAULT_QUERY = """# Which challenges does no regulation address? (Ctrl-Enter runs the query.)
# aihkg's prefixes (aihkg:, kg:, src:, rdfs:, skos:, dcterms: ...) are declared for you.
SELECT ?challenge ?challengeLabel WHERE {
  ?challenge a aihkg:Challenge ; rdfs:label ?challengeLabel .
  FILTER NOT EXISTS { ?rule aihkg:addressesChallenge ?challenge . ?rule a/rdfs:subClassOf* aihkg:Regulation }
}
ORDER BY ?challengeLabel
"""


async def sparql_problem(request: Request, text: str, fmt: str | None, status_code: int, message: str,
                         html: bool | None = None) -> Response:
    if html is None:
        html = fmt == "html" or (fmt is None and wants_html(request, SELECT_OFFERED + ["text/plain"]))
    if html:
        return await sparql_editor(request, text, error=message, status_code=status_code)
    return text_error(status_code, message)


async def sparql_editor(request: Request, text: str, *, answer: dict[str, Any] | None = None, truncated: bool = False,
                        error: str | None = None, status_code: int = 200, headers: dict[str, str] | None = None
                        ) -> Response:
    ex: Explorer = request.app.state.explorer
    table = None
    if answer is not None and answer["result"].kind in ("select", "ask"):
        from aihkg.web.tables import result_table

        table = result_table(answer["result"], answer["labels"], ex.settings.table_rows)
        table.total = answer["total"] if answer["result"].kind == "select" else 1
    turtle = None
    if answer is not None and answer["result"].kind == "graph":
        turtle = protocol.serialize_triples(answer["result"].triples[: ex.settings.table_rows],
                                            "text/turtle").decode("utf-8")
    permalink = "/sparql?" + urlencode({"query": text}) if len(text) <= 6000 else None
    examples = list(ex.kg.catalog)
    return page(request, "sparql.html", status=status_code, headers=headers, styles_nonce=True, text=text,
                table=table, turtle=turtle,
                answer=answer, truncated=truncated, error=error, permalink=permalink, examples=examples)


async def vocabulary(request: Request) -> Response:
    ex: Explorer = request.app.state.explorer
    return JSONResponse(await ex.call("vocabulary", 5000, cache=True))


# ---------------------------------------------------------------------- app


async def favicon(request: Request) -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=308)


def _error_handlers() -> dict[Any, Any]:
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        return error_response(request, exc.status_code, str(exc.detail), headers=headers)

    async def aihkg_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AihkgError)
        return error_response(request, problem_status(exc), str(exc))

    async def internal(request: Request, exc: Exception) -> Response:
        import sys
        import traceback

        traceback.print_exception(exc, file=sys.stderr)  # for the operator; the client gets one line
        return error_response(request, 500, "internal error: the server could not answer this request")

    return {HTTPException: http_error, AihkgError: aihkg_error, Exception: internal}


class SecurityHeaders:
    """Headers every response carries: a CSP (unless a view set its own), no sniffing, no referrer."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", csp().encode()))
                headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
                            (b"x-frame-options", b"DENY")]
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, with_headers)


def build_app(explorer: Explorer) -> Starlette:
    static = StaticFiles(packages=[("aihkg.web", "static"), ("aihkg.graph", "static")])
    routes = [
        Route("/", cached_response(home)),
        Route("/search", cached_response(search)),
        Route("/queries", cached_response(list_queries)),
        Route("/query/{name}", cached_response(canned_query)),
        Route("/openapi.json", openapi),
        Route("/status", status),
        Route("/sparql", sparql, methods=["GET", "POST"], name="sparql"),
        Route("/sparql/vocabulary.json", cached_response(vocabulary)),
        Route("/id/{name}", cached_response(thing)),
        Route("/source/{name}", cached_response(thing)),
        Route("/entity", cached_response(any_entity)),
        Route("/ontology", cached_response(ontology)),
        Route("/ontology.{ext}", cached_response(ontology)),
        Route("/graph", cached_response(graph_page)),
        Route("/graph.json", cached_response(graph_page)),
        Route("/favicon.ico", favicon),
        Mount("/static", app=static, name="static"),
    ]
    middleware = [Middleware(SecurityHeaders)]
    if explorer.settings.cors:
        from starlette.middleware.cors import CORSMiddleware

        origins = ["*"] if explorer.settings.cors == "*" else [explorer.settings.cors]
        middleware.append(Middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                                     allow_headers=["Accept", "Content-Type"], expose_headers=["X-SPARQL-MaxRows"]))
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        if explorer.settings.warm:
            explorer.warm()
        yield
        if explorer.pool is not None:  # a warm-up still running must not hold the shutdown
            explorer.pool.stop_aside()

    app = Starlette(routes=routes, middleware=middleware, exception_handlers=_error_handlers(), lifespan=lifespan)
    app.state.explorer = explorer
    return app
