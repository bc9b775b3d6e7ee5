"""An entity's dated history for its page, from `KnowledgeGraph.timeline` once that exists.

The time feature (issue 12) adds ``kg.timeline(name)``, returning rows like ``kg.rows`` (dicts of
plain Python values: a date, the change, a label, a source ...). Until it lands, and on any graph or
store where it fails, the page simply has no history section: `history` returns [].
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aihkg.graph.errors import AihkgError

# Columns shown first when a row has them, in this order; any others follow as they come.
PREFERRED = ("date", "change", "label", "event", "eventLabel", "what", "source", "sourceLabel")


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
        rows.append({key: _plain(value) for key, value in row.items()})
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
