"""An OpenAPI 3.1 description of the explorer's API, generated from the canned queries' `#+` headers (as grlc does)."""

from __future__ import annotations

from typing import Any

from aihkg.graph import __version__
from aihkg.queries.bind import describe_type

_SCHEMAS: dict[str, dict[str, Any]] = {
    "entity": {"type": "string"},
    "iri": {"type": "string", "format": "iri"},
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "year": {"type": "integer", "minimum": -9999, "maximum": 9999},
    "date": {"type": "string", "format": "date"},
    "boolean": {"type": "boolean"},
}
_RESULTS = {
    "text/csv": {"schema": {"type": "string"}},
    "text/tab-separated-values": {"schema": {"type": "string"}},
    "application/sparql-results+json": {"schema": {"$ref": "#/components/schemas/SparqlResults"}},
    "text/html": {"schema": {"type": "string"}},
}
_ERRORS = {
    "400": {"description": "A parameter is missing or has the wrong type (the message says which).",
            "content": {"text/plain": {"schema": {"type": "string"}}}},
    "404": {"description": "No such query.", "content": {"text/plain": {"schema": {"type": "string"}}}},
    "503": {"description": "The query did not finish within the server's timeout.",
            "content": {"text/plain": {"schema": {"type": "string"}}}},
}


def parameter(p: Any) -> dict[str, Any]:
    schema = dict(_SCHEMAS.get(p.type, {"type": "string"}))
    if p.default is not None:
        schema["default"] = p.default
    if p.multiple:
        schema = {"type": "array", "items": schema}
    text = p.description or ""
    hint = describe_type(p)
    return {"name": p.name, "in": "query", "required": bool(p.required), "schema": schema,
            "description": f"{text} ({hint})".strip() if text else hint,
            **({"style": "form", "explode": True} if p.multiple else {})}


def document(catalog: Any, server_url: str) -> dict[str, Any]:
    """The OpenAPI document: one GET operation per canned query, plus /sparql, /search and entities."""
    paths: dict[str, Any] = {}
    tags: set[str] = set()
    fmt = {"name": "format", "in": "query", "required": False,
           "description": "Override the Accept header: csv, tsv, json (SPARQL JSON results) or html.",
           "schema": {"type": "string", "enum": ["csv", "tsv", "json", "html"]}}
    for q in catalog:
        tags.update(q.tags)
        paths[f"/query/{q.name}"] = {"get": {
            "operationId": q.name, "summary": q.summary, "description": q.description, "tags": list(q.tags),
            "parameters": [parameter(p) for p in q.params] + [fmt],
            "responses": {"200": {"description": "The query's rows (all of them for csv, tsv and json).",
                                  "content": _RESULTS}, **_ERRORS},
        }}
    paths["/sparql"] = {
        "get": {"operationId": "sparql", "summary": "SPARQL 1.1 Protocol query (read-only)", "tags": ["sparql"],
                "parameters": [{"name": "query", "in": "query", "required": False, "schema": {"type": "string"},
                                "description": "A SELECT, ASK, CONSTRUCT or DESCRIBE query; without it, the "
                                               "service description (or the editor, for a browser)."}],
                "responses": {"200": {"description": "Results, by Accept: SPARQL JSON, XML, CSV, TSV; graphs as "
                                                     "Turtle, N-Triples, JSON-LD or RDF/XML."}, **_ERRORS}},
        "post": {"operationId": "sparqlPost", "summary": "SPARQL 1.1 Protocol query by POST", "tags": ["sparql"],
                 "requestBody": {"content": {
                     "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                         "query": {"type": "string"}}, "required": ["query"]}},
                     "application/sparql-query": {"schema": {"type": "string"}}}},
                 "responses": {"200": {"description": "As for GET."}, **_ERRORS}},
    }
    paths["/search"] = {"get": {
        "operationId": "search", "summary": "Entities whose labels, acronyms or descriptions match, best first",
        "tags": ["search"],
        "parameters": [{"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
                       {"name": "limit", "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 20}},
                       {"name": "format", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": ["json", "html"]}}],
        "responses": {"200": {"description": "Ranked hits."}}}}
    paths["/id/{name}"] = {"get": {
        "operationId": "entity", "summary": "An entity of https://w3id.org/aihkg/id/: 303 to its page or data",
        "tags": ["entities"],
        "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                       {"name": "format", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": ["html", "ttl", "nt", "jsonld", "rdf"]}}],
        "responses": {"303": {"description": "See the document in the negotiated format."},
                      "404": {"description": "Unknown name (the page lists the closest matches)."},
                      "406": {"description": "None of the accepted types can be given."}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "aihkg: the AI-in-healthcare knowledge graph", "version": __version__,
                 "description": "Canned questions about AI in healthcare (uses, impacts, challenges, rules and "
                                "the organisations that govern them), each a GET operation generated from its "
                                "query's #+ header; a read-only SPARQL 1.1 endpoint; entity pages and search.",
                 "license": {"name": "Code MIT, data CC BY 4.0"}},
        "servers": [{"url": server_url}],
        "tags": [{"name": t} for t in sorted(tags | {"sparql", "search", "entities"})],
        "paths": paths,
        "components": {"schemas": {"SparqlResults": {
            "type": "object", "description": "W3C SPARQL 1.1 Query Results JSON",
            "properties": {"head": {"type": "object"}, "results": {"type": "object"},
                           "boolean": {"type": "boolean"}}}}},
    }
