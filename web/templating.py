"""The Jinja2 environment of the web explorer: autoescape on for every template, a few filters.

Every value from the graph or from `--data` reaches a page through these templates, so it is
escaped; JSON for a page travels in data blocks through `script_json`, which cannot end the element.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

TEMPLATES = Path(__file__).resolve().parent / "templates"


def entity_href(iri: str) -> str:
    """Where an IRI's page is on this server: /id/NAME, /source/NAME, else /entity?iri=IRI."""
    from aihkg.queries.explore import local_name

    where = local_name(iri)
    if where:
        return f"/{where[0]}/{quote(where[1], safe='')}"
    return "/entity?" + urlencode({"iri": iri})


def web_url(url: str | None) -> str | None:
    """`url` if it is an http(s) address a page may link to, else None (no javascript:, data: ...)."""
    text = (url or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else None


def curie(iri: str) -> str:
    from aihkg.graph import compact

    return compact(iri)


def number(text: Any) -> str:
    from aihkg.queries.explore import format_number

    return format_number(str(text))


def query_string(params: dict[str, Any] | list[tuple[str, Any]], **more: Any) -> str:
    items = list(params.items()) if isinstance(params, dict) else list(params)
    items += [(k, v) for k, v in more.items() if v is not None]
    flat: list[tuple[str, str]] = []
    for key, value in items:
        if isinstance(value, (list, tuple)):
            flat.extend((key, str(v)) for v in value)
        elif value is not None and value != "":
            flat.append((key, str(value)))
    return urlencode(flat)


@lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2
    import markupsafe

    from aihkg.graph import __version__
    from aihkg.web.page import script_json

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(href=entity_href, curie=curie, number=number, web_url=web_url,
                       script_json=lambda value: markupsafe.Markup(script_json(value)),
                       urlquote=lambda s: quote(str(s), safe=""))
    env.globals.update(version=__version__, query_string=query_string)
    return env
