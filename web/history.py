"""An entity's dated history for its page, from `KnowledgeGraph.timeline` (queries/time.py).

``kg.timeline(name)`` gives rows like ``kg.rows`` (dicts of plain values: date, entity, label, change,
detail, source, otherSources). On the entity's own page the entity and its label go without saying,
a date not known says so, and a count of further sources is shown only when there are any. On a
graph or store where the timeline fails, the page has no history section: `history` returns [].
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aihkg.graph.errors import AihkgError

# Columns shown first when a row has them, in this order; any others follow as they come.
PREFERRED = ("date", "change", "detail", "source", "other sources")
_OWN = ("entity", "label")  # the page's own entity: said by the page itself


def history(kg: Any, iri: str) -> list[dict[str, Any]]:
    """The dated history of `iri` as rows of plain values (date first), or [] when there is none.

    Rows come from ``kg.timeline(iri)`` when the KnowledgeGraph has it; a row may be a dict or an
    object with attributes (a dataclass). Values are turned into text or kept as IRIs (str).
    """
    timeline = getattr(kg, "timeline", None)
    if timeline is None:
        return []
    try:
        raw = timeline(f"<{iri}>")
    except AihkgError:
        return []
    if hasattr(raw, "dicts"):  # a Result
        raw = raw.dicts()
    rows = []
    for item in raw or []:
        row = item if isinstance(item, dict) else getattr(item, "__dict__", {})
        shown = {key: _plain(value) for key, value in row.items() if key not in _OWN and key != "otherSources"}
        if shown.get("date") is None:
            shown["date"] = "not known"
        if row.get("otherSources"):
            shown["other sources"] = row["otherSources"]
        rows.append(shown)
    return rows


def columns(rows: list[dict[str, Any]]) -> list[str]:
    """The columns to show for history rows: the preferred ones first, then the rest in order."""
    seen: list[str] = []
    for row in rows:
        for key in row:
            if key not in seen:
                seen.append(key)
    return sorted(seen, key=lambda k: (PREFERRED.index(k) if k in PREFERRED else len(PREFERRED), seen.index(k)))


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "value"):  # a pyoxigraph term
        return value.value
    return str(value)
