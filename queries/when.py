"""Dates as users type them and as the graph states them: a year, a month or a day.

Apart from queries/time.py so that a canned query's date parameter (`-p on=2021`, default today)
is read without importing the time views and their dataclasses.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, NamedTuple

from aihkg.graph import PREFIXES
from aihkg.graph.errors import UsageProblem

XSD = PREFIXES["xsd"]
POSTNOTE = "2021-01-19"  # the day POSTnote 637 was circulated (published 18 January 2021)
_DATE = r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$"


class When(NamedTuple):
    """A date as precise as it is known: a year, a month or a day (ISO text)."""

    text: str

    @property
    def precision(self) -> str:
        return {4: "year", 7: "month", 10: "day"}[len(self.text)]

    @property
    def end(self) -> str:
        """The comparison key for "by the end of this period" (after every day in it)."""
        return key(self.text)

    @property
    def start(self) -> str:
        """The comparison key for "from the start of this period" (before every day in it)."""
        return self.text

    def datatype(self) -> str:
        return XSD + {"year": "gYear", "month": "gYearMonth", "day": "date"}[self.precision]

    def __str__(self) -> str:
        return self.text


def key(text: str) -> str:
    """The key a stated date is compared by: it sorts after every day of the period the date names."""
    return text + "~"


def parse_when(raw: str, *, today: dt.date | None = None, what: str = "date") -> When:
    """A date typed by a user: YYYY-MM-DD, YYYY-MM, YYYY, "today" or "postnote" (19 January 2021)."""
    text = (raw or "").strip().lower()
    if text == "today":
        return When((today or dt.date.today()).isoformat())
    if text == "postnote":
        return When(POSTNOTE)
    match = re.match(_DATE, text)
    if not match:
        raise UsageProblem(f"{what} {raw!r} is not a date: use YYYY-MM-DD, YYYY-MM, YYYY, today or postnote")
    year, month, day = match.groups()
    try:
        if day is not None:
            dt.date(int(year), int(month), int(day))
        elif month is not None and not 1 <= int(month) <= 12:
            raise ValueError
    except ValueError:
        raise UsageProblem(f"{what} {raw!r} is not a day that exists in the calendar") from None
    return When(text)


def when_literal(when: When) -> Any:
    """The typed literal (xsd:date, xsd:gYearMonth or xsd:gYear) for a date."""
    import pyoxigraph as ox

    return ox.Literal(when.text, datatype=ox.NamedNode(when.datatype()))
