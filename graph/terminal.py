"""Text that is safe to show on a terminal.

Labels, literals, file names and parser messages come from files we do not control. A terminal
obeys the control characters in what it prints: ESC starts colour changes, cursor moves, window
titles and clipboard writes (OSC 52), and bidirectional overrides reorder what a reader sees. Text
meant for people (tables, descriptions, error lines) shows each such character as an escape
(``\\x1b``, ``\\u202e``) instead; data formats (CSV, TSV, JSON, RDF) keep exact values.
"""

from __future__ import annotations

import re
from functools import cache

# C0 controls except tab and newline, DEL, C1 controls (0x9b is a one-byte CSI), the Unicode line
# and paragraph separators, bidirectional embeddings, overrides and isolates, and lone surrogates
# (bytes that were not UTF-8, as Python decodes them from a command line or a file name).
_UNSAFE_CLASS = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


# Compiled on first use, not at import: the class above takes a millisecond to compile, which a
# command that prints only data (CSV, JSON) would pay for nothing.
@cache
def _unsafe() -> re.Pattern[str]:
    return re.compile(_UNSAFE_CLASS)


@cache
def _spaces() -> re.Pattern[str]:
    return re.compile(r"[ \t\n\r\f\v]+")


@cache
def _breaks() -> re.Pattern[str]:
    return re.compile(r"[\t\n\r\f\v]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control character shown as an escape; tabs and newlines are kept."""
    return _unsafe().sub(_escape, text)


def flat(text: str) -> str:
    """`text` on one line, its spacing kept: line breaks and tabs become spaces, controls are escaped."""
    return printable(_breaks().sub(" ", text))


def one_line(text: object) -> str:
    """`text` as one printable line: each run of spaces, tabs and line breaks becomes one space."""
    return _unsafe().sub(_escape, " ".join(_spaces().split(str(text).strip(" \t\n\r\f\v"))))


def excerpt(text: str, limit: int = 24) -> str:
    """A short, escaped quotation of `text` for an error line (never a whole line of a file)."""
    if text and not text.strip():  # only spaces: show which ones
        text = text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        shown = printable(text)
    else:
        shown = one_line(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
