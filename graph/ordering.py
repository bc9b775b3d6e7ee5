"""ORDER BY done in Python for the on-disk store: the same rows, in SPARQL's order, sooner.

On a persistent Oxigraph store a sort costs far more than on the in-memory one: the engine reads
every sort key's string back from RocksDB while it sorts, and then again for the answer. Sorting
the answer's own terms in Python after an unordered query was measured 1.2-2.7x faster on the
heavy canned queries. So for a SELECT whose ORDER BY is at the top level, `plan` cuts the ORDER
BY (and the LIMIT/OFFSET that must come after it) out of the text, and `order` sorts the rows as
Oxigraph's ORDER BY does, then slices them.

Only what is known to sort exactly as Oxigraph sorts is done here; everything else keeps the
engine's own ORDER BY:

- the text: order conditions that are variables, ``ASC(...)``/``DESC(...)``, ``STR(...)``,
  ``COALESCE(...)`` and plain string literals, in a text with no ``\\u`` escapes; `plan` returns
  None for anything else;
- the answer (`order` returns None, and the caller runs the original text): a condition's
  variable that is not in the answer, or a column whose literals Oxigraph would compare in a way
  that is not a total order a key can express (numbers mixed with other literals, NaN, dates and
  durations, derived numeric types, xsd:float mixed with other numbers).

Oxigraph's order (spareval `cmp_terms`): unbound < blank node < IRI < literal; numbers by value
across xsd:integer, decimal and double; other literals by (lexical form, datatype IRI, language),
which for strings and language-tagged strings is their SPARQL `<` order. Rows that tie on every
condition come in the order the unordered query gave them (Oxigraph's own sort is unstable, so
SPARQL leaves that order open and neither store promises one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

XSD = "http://www.w3.org/2001/XMLSchema#"
_STRING = XSD + "string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_EXACT = {XSD + "integer", XSD + "decimal"}
_DOUBLE = XSD + "double"
_FLOAT = XSD + "float"
# Datatypes Oxigraph compares by value in ways a key here does not mirror: left to the engine.
_ENGINE_ORDERED = {XSD + t for t in (
    "dateTime", "dateTimeStamp", "date", "time", "gYear", "gYearMonth", "gMonth", "gMonthDay", "gDay",
    "duration", "yearMonthDuration", "dayTimeDuration", "int", "long", "short", "byte", "nonNegativeInteger",
    "nonPositiveInteger", "negativeInteger", "positiveInteger", "unsignedLong", "unsignedInt", "unsignedShort",
    "unsignedByte")}
_INTEGER_LEX = re.compile(r"[+-]?[0-9]+\Z")
_DECIMAL_LEX = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
_DOUBLE_LEX = re.compile(r"(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?INF)\Z")
_I64 = 2**63


# --------------------------------------------------------------------------- the text


@dataclass(frozen=True)
class Plan:
    """How to answer a query with the sort done here: the text to run and the order to apply."""

    text: str  # the query without its top-level ORDER BY, LIMIT and OFFSET
    keys: tuple[tuple[Any, bool], ...]  # (expression, descending) per order condition
    limit: int | None
    offset: int
    projection: frozenset[str] | None = None  # the variables the SELECT returns; None for SELECT *

    def variables(self) -> set[str]:
        found: set[str] = set()
        for expr, _ in self.keys:
            _collect(expr, found)
        return found

    def sortable(self) -> bool:
        """Whether the rows will hold every variable the order reads (known before the query runs,
        so that an order only the engine can follow does not cost two runs)."""
        return self.projection is None or self.variables() <= self.projection


def _collect(expr: Any, found: set[str]) -> None:
    if expr[0] == "var":
        found.add(expr[1])
    elif expr[0] in ("str", "coalesce"):
        for arg in expr[1]:
            _collect(arg, found)


_TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<long>'''|\"\"\")
  | (?P<string>"[^"\\\n\r]*"|'[^'\\\n\r]*')
  | (?P<escaped>["'])
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][^\x00-/:-@\[-^`{-\xb6]+)
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<pname>(?:[^\x00-@\[-`{-\xbf][^\x00-,/:-@\[-^`{-\xb6]*)?:[^\s(){}\[\],;#"'<>]*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<open>[({\[])
  | (?P<close>[)}\]])
  | (?P<other>.)
""", re.X | re.S)


def _tokens(text: str) -> list[tuple[str, str, int, int, int]] | None:
    """(kind, value, start, end, depth) for each token outside comments; None where this lexer
    would have to guess (long strings, strings with escapes), so nothing is rewritten."""
    out: list[tuple[str, str, int, int, int]] = []
    depth = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind == "space":
            continue
        if kind in ("long", "escaped"):
            return None
        if kind == "close":
            depth -= 1
            if depth < 0:
                return None
        out.append((kind, m.group(), m.start(), m.end(), depth))
        if kind == "open":
            depth += 1
    return out if depth == 0 else None


def plan(text: str) -> Plan | None:
    """The Plan for a SELECT text whose top-level ORDER BY can be done here, else None."""
    if "\\" in text or "ORDER" not in text.upper():
        return None  # \u escapes are read before the grammar: leave such texts alone
    tokens = _tokens(text)
    if tokens is None:
        return None
    top = [i for i, t in enumerate(tokens) if t[4] == 0 and t[0] == "word"]
    forms = [tokens[i][1].upper() for i in top if tokens[i][1].upper() in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")]
    if not forms or forms[0] != "SELECT":
        return None
    orders = [i for i in top if tokens[i][1].upper() == "ORDER"]
    if len(orders) != 1:
        return None
    at = orders[0]
    if at + 1 >= len(tokens) or tokens[at + 1][0] != "word" or tokens[at + 1][1].upper() != "BY":
        return None
    pos = at + 2
    keys: list[tuple[Any, bool]] = []
    while pos < len(tokens):
        kind, value = tokens[pos][0], tokens[pos][1].upper()
        if kind == "word" and value in ("LIMIT", "OFFSET", "VALUES"):
            break
        parsed = _condition(tokens, pos)
        if parsed is None:
            return None
        key, pos = parsed
        keys.append(key)
    if not keys:
        return None
    limit: int | None = None
    offset = 0
    seen: set[str] = set()
    while pos < len(tokens) and tokens[pos][0] == "word" and tokens[pos][1].upper() in ("LIMIT", "OFFSET"):
        word = tokens[pos][1].upper()
        if word in seen or pos + 1 >= len(tokens) or tokens[pos + 1][0] != "number" \
                or not tokens[pos + 1][1].isdigit():
            return None
        seen.add(word)
        if word == "LIMIT":
            limit = int(tokens[pos + 1][1])
        else:
            offset = int(tokens[pos + 1][1])
        pos += 2
    if pos < len(tokens) and not (tokens[pos][0] == "word" and tokens[pos][1].upper() == "VALUES"):
        return None
    start = tokens[at][2]
    end = tokens[pos - 1][3]
    return Plan(text[:start] + " " + text[end:], tuple(keys), limit, offset, _projection(tokens, top))


def _projection(tokens: list[tuple[str, str, int, int, int]], top: list[int]) -> frozenset[str] | None:
    """The variables the top-level SELECT returns (None for SELECT *), read before the query runs,
    so that a sort this module cannot do is known without running the query twice."""
    start = next(i for i in top if tokens[i][1].upper() == "SELECT")
    names: set[str] = set()
    for i in range(start + 1, len(tokens)):
        kind, value, _, _, depth = tokens[i]
        if depth == 0 and (value == "{" or (kind == "word" and value.upper() in ("WHERE", "FROM"))):
            break
        if depth == 0 and value == "*":
            return None
        after_as = tokens[i - 1][0] == "word" and tokens[i - 1][1].upper() == "AS"
        if kind == "var" and (depth == 0 or after_as):
            names.add(value[1:])
    return frozenset(names)


def _condition(tokens: list[tuple[str, str, int, int, int]], pos: int) -> tuple[tuple[Any, bool], int] | None:
    kind, value = tokens[pos][0], tokens[pos][1]
    if kind == "word" and value.upper() in ("ASC", "DESC"):
        if pos + 1 >= len(tokens) or tokens[pos + 1][1] != "(":
            return None
        parsed = _expression(tokens, pos + 1)
        if parsed is None:
            return None
        return (parsed[0], value.upper() == "DESC"), parsed[1]
    if kind not in ("var", "word") and value != "(":
        return None
    parsed = _expression(tokens, pos)
    if parsed is None or parsed[0][0] == "lit":
        return None
    return (parsed[0], False), parsed[1]


def _expression(tokens: list[tuple[str, str, int, int, int]], pos: int) -> tuple[Any, int] | None:
    if pos >= len(tokens):
        return None
    kind, value = tokens[pos][0], tokens[pos][1]
    if kind == "var":
        return ("var", value[1:]), pos + 1
    if kind == "string":
        nxt = tokens[pos + 1][1] if pos + 1 < len(tokens) else ""
        if nxt.startswith(("@", "^")):
            return None
        return ("lit", value[1:-1]), pos + 1
    if value == "(":
        inner = _expression(tokens, pos + 1)
        if inner is None or inner[1] >= len(tokens) or tokens[inner[1]][1] != ")":
            return None
        return inner[0], inner[1] + 1
    if kind == "word" and value.upper() in ("STR", "COALESCE"):
        if pos + 1 >= len(tokens) or tokens[pos + 1][1] != "(":
            return None
        args: list[Any] = []
        pos += 2
        while True:
            arg = _expression(tokens, pos)
            if arg is None or arg[1] >= len(tokens):
                return None
            args.append(arg[0])
            pos = arg[1]
            if tokens[pos][1] == ",":
                pos += 1
                continue
            if tokens[pos][1] != ")":
                return None
            pos += 1
            break
        if value.upper() == "STR" and len(args) != 1:
            return None
        return (value.lower(), tuple(args)), pos
    return None


# --------------------------------------------------------------------------- the rows


class _EngineOrder(Exception):
    """This column is sorted in a way only the engine reproduces."""


def _evaluate(expr: Any, row: dict[str, Any]) -> Any:
    import pyoxigraph as ox

    tag = expr[0]
    if tag == "var":
        return row.get(expr[1])
    if tag == "lit":
        return ox.Literal(expr[1])
    if tag == "str":
        term = _evaluate(expr[1][0], row)
        if isinstance(term, (ox.NamedNode, ox.Literal)):
            return ox.Literal(term.value)
        return None  # STR of a blank node (or a triple) is an error; an error sorts as unbound
    for arg in expr[1]:  # coalesce
        term = _evaluate(arg, row)
        if term is not None:
            return term
    return None


def _column_keys(terms: list[Any]) -> list[tuple[Any, ...]]:
    """One sort key per term, mirroring Oxigraph's cmp_terms; raises _EngineOrder where it cannot."""
    import pyoxigraph as ox

    kinds: set[str] = set()
    literal_keys: dict[int, Any] = {}
    for i, term in enumerate(terms):
        if not isinstance(term, ox.Literal):
            continue
        datatype = term.datatype.value
        if datatype in _ENGINE_ORDERED:
            raise _EngineOrder(datatype)
        lexical = term.value
        if datatype in _EXACT:
            pattern = _INTEGER_LEX if datatype.endswith("integer") else _DECIMAL_LEX
            if not pattern.match(lexical):
                raise _EngineOrder("an ill-formed number")
            number = Decimal(lexical)
            if datatype.endswith("integer") and not -_I64 <= number < _I64:
                raise _EngineOrder("an integer outside 64 bits")
            if datatype.endswith("decimal") and (number.as_tuple().exponent < -18 or abs(number) >= 10**20):
                raise _EngineOrder("a decimal beyond Oxigraph's precision")
            kinds.add("exact")
            literal_keys[i] = number
        elif datatype in (_DOUBLE, _FLOAT):
            if not _DOUBLE_LEX.match(lexical):
                raise _EngineOrder("an ill-formed or NaN number")
            kinds.add("float" if datatype == _FLOAT else "double")
            literal_keys[i] = float(lexical)
        else:
            kinds.add("lexical")
            literal_keys[i] = (lexical, datatype, term.language or "")
    if "lexical" in kinds and len(kinds) > 1:
        raise _EngineOrder("numbers mixed with other literals")
    if "float" in kinds and len(kinds) > 1:
        raise _EngineOrder("xsd:float mixed with other numbers")
    if "exact" in kinds and "double" in kinds:
        # Oxigraph compares them as doubles: so does this.
        literal_keys = {i: float(v) for i, v in literal_keys.items()}
    if "float" in kinds:
        import struct

        literal_keys = {i: struct.unpack("f", struct.pack("f", v))[0] for i, v in literal_keys.items()}
    keys: list[tuple[Any, ...]] = []
    for i, term in enumerate(terms):
        if term is None:
            keys.append((0,))
        elif isinstance(term, ox.BlankNode):
            keys.append((1, term.value))
        elif isinstance(term, ox.NamedNode):
            keys.append((2, term.value))
        elif i in literal_keys:
            keys.append((3, literal_keys[i]))
        else:
            raise _EngineOrder(type(term).__name__)  # a triple term: left to the engine
    return keys


def order(variables: list[str], rows: list[tuple[Any, ...]], sorting: Plan) -> list[tuple[Any, ...]] | None:
    """`rows` sorted and sliced as the query's ORDER BY, LIMIT and OFFSET would; None where only
    the engine can tell (the caller then runs the original text)."""
    if not sorting.variables() <= set(variables):
        return None
    dicts = [dict(zip(variables, row, strict=False)) for row in rows]
    try:
        columns = [_column_keys([_evaluate(expr, d) for d in dicts]) for expr, _ in sorting.keys]
    except (_EngineOrder, InvalidOperation, ValueError, OverflowError):
        return None
    indexes = list(range(len(rows)))
    for column, (_, descending) in reversed(list(zip(columns, sorting.keys, strict=True))):
        indexes.sort(key=column.__getitem__, reverse=descending)  # stable, also when reversed
    ordered = [rows[i] for i in indexes]
    end = None if sorting.limit is None else sorting.offset + sorting.limit
    return ordered[sorting.offset:end]
