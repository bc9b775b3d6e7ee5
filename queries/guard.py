"""Checks a SPARQL text before any engine sees it.

A light lexer (no SPARQL parser import on the hot path) finds the query form, refuses SPARQL
Update, refuses SERVICE unless allowed (before any connection could be made), and refuses texts
that are too large or nested too deeply for a parser to handle safely.

SPARQL lets \\uXXXX escapes stand for any character anywhere in a query, so they are decoded
first, as the engines do; a keyword cannot hide behind them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aihkg.graph.errors import UsageProblem

MAX_QUERY_CHARS = 500_000
MAX_NESTING = 100
# Oxigraph's parser recurses once per operator or clause of a chain and overflows its stack
# (SIGSEGV) from about 3,000 BINDs or OPTIONALs, 10,000 '+' or '||', 10,000 UNIONs.
MAX_OPERATORS = 1_000
_CHAIN_WORDS = {"UNION", "OPTIONAL", "MINUS", "BIND", "FILTER", "SERVICE", "GRAPH"}

FORMS = {"SELECT": "select", "ASK": "ask", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_IRI = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_NAME_CHARS = re.compile(r"[A-Za-z0-9_\-.\u00B7-\U000EFFFF]*")
# SPARQL VARNAME has no '.' or '-': in `?o.SERVICE` the '.' ends the variable.
_VAR_CHARS = re.compile(r"[A-Za-z0-9_\u00B7-\U000EFFFF]*")
# PN_LOCAL also takes %XX and backslash escapes (`ex:a\#` is one name, not a name and a comment).
_LOCAL_CHARS = re.compile(r"(?:[A-Za-z0-9_\-.:\u00B7-\U000EFFFF]|\\[_~.\-!$&'()*+,;=/?#@%]|%[0-9A-Fa-f]{2})*")


@dataclass(frozen=True)
class QueryShape:
    form: str  # "select", "ask", "graph" or "update"
    update_word: str | None
    uses_service: bool
    depth: int
    keywords: tuple[str, ...]
    operators: int = 0


def unescape_codepoints(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise UsageProblem(f"invalid \\u escape at character {m.start() + 1}")
        return chr(code)

    return _ESCAPE.sub(repl, text)


def shape(text: str) -> QueryShape:
    """Keywords, form and nesting of a SPARQL text, ignoring comments, strings, IRIs and names."""
    src = unescape_codepoints(text)
    keywords: list[str] = []
    depth = max_depth = operators = 0
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "#":
            j = src.find("\n", i)
            i = n if j < 0 else j + 1
        elif c in "\"'":
            i = _skip_string(src, i)
        elif c == "<":
            m = _IRI.match(src, i)
            operators += m is None
            i = m.end() if m else i + 1
        elif c in "?$":
            m = _VAR_CHARS.match(src, i + 1)
            i = m.end() if m else i + 1
        elif c in "{([":
            depth += 1
            max_depth = max(max_depth, depth)
            i += 1
        elif c in "})]":
            depth -= 1
            i += 1
        elif c.isalpha() or c == "_":
            m = _WORD.match(src, i)
            end = m.end() if m else i + 1
            # A prefixed name (ex:Thing) or a local name after a colon is not a keyword.
            while end < n and (src[end] == ":" or (src[end] == "." and end + 1 < n and src[end + 1].isalnum())):
                rest = _LOCAL_CHARS.match(src, end + 1)
                end = rest.end() if rest else end + 1
                m = None
            if m is not None and (i == 0 or src[i - 1] != ":"):
                keywords.append(m.group(0).upper())
            i = end
        elif c == ":":
            rest = _LOCAL_CHARS.match(src, i + 1)
            i = rest.end() if rest and rest.end() > i + 1 else i + 1
        else:
            operators += c in "|&+-*/=!>^"
            i += 1
    form = "unknown"
    update_word = None
    for word in keywords:
        if word in ("PREFIX", "BASE"):
            continue
        if word in FORMS:
            form = FORMS[word]
            break
        if word in UPDATE_WORDS:
            form, update_word = "update", word
            break
    if form != "update":
        update_word = next((w for w in keywords if w in UPDATE_WORDS), None)
        if update_word:
            form = "update"
    operators += sum(word in _CHAIN_WORDS for word in keywords)
    return QueryShape(form, update_word, "SERVICE" in keywords, max_depth, tuple(keywords), operators)


def _skip_string(src: str, i: int) -> int:
    quote = src[i]
    if src.startswith(quote * 3, i):
        end = src.find(quote * 3, i + 3)
        while end > 0 and _escaped(src, end):
            end = src.find(quote * 3, end + 1)
        return len(src) if end < 0 else end + 3
    j = i + 1
    while j < len(src):
        ch = src[j]
        if ch == "\\":
            j += 2
            continue
        if ch == quote or ch == "\n":
            return j + 1
        j += 1
    return len(src)


def _escaped(src: str, pos: int) -> bool:
    backslashes = 0
    k = pos - 1
    while k >= 0 and src[k] == "\\":
        backslashes += 1
        k -= 1
    return backslashes % 2 == 1


def check(text: str, *, allow_service: bool = False, allow_update: bool = False) -> str:
    """The query form ("select", "ask" or "graph") if `text` may run, else a UsageProblem."""
    if len(text) > MAX_QUERY_CHARS:
        raise UsageProblem(f"query text is {len(text):,} characters; the limit is {MAX_QUERY_CHARS:,}")
    if not text.strip():
        raise UsageProblem("query text is empty")
    surrogate = next((i for i, ch in enumerate(text) if "\ud800" <= ch <= "\udfff"), None)
    if surrogate is not None:
        raise UsageProblem(f"query text is not valid UTF-8 (at character {surrogate + 1})")
    info = shape(text)
    if info.depth > MAX_NESTING:
        raise UsageProblem(f"query nests brackets {info.depth} levels deep; the limit is {MAX_NESTING}")
    if info.operators > MAX_OPERATORS:
        raise UsageProblem(f"query chains {info.operators:,} operators and clauses; the limit is {MAX_OPERATORS:,}")
    if info.form == "update" and not allow_update:
        raise UsageProblem(
            f"queries are read-only: SPARQL Update ({info.update_word}) is refused; "
            "add data with `aihkg load` or `--data`"
        )
    if info.uses_service and not allow_service:
        raise UsageProblem(
            "SPARQL SERVICE would contact another server, so it is refused and no connection was made; "
            "pass --allow-service to permit federated queries"
        )
    if info.form == "unknown":
        raise UsageProblem("not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    return info.form
