"""Turning what a user typed into RDF terms, and terms into a query's VALUES blocks.

Values never enter a query as raw text: each becomes a pyoxigraph term (whose constructor
validates IRIs and whose serialiser escapes literals) and only that serialisation fills the
``VALUES ?name { ... }`` block the query declares for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aihkg.graph import DATA_NS, PREFIXES, compact, expand
from aihkg.graph.errors import UsageProblem
from aihkg.queries.catalog import CannedQuery, Param, placeholder

if TYPE_CHECKING:
    from aihkg.graph.stores import Store
    from aihkg.queries.guard import CheckedQuery

XSD = PREFIXES["xsd"]
# Patterns are passed to re's functions as text: each is compiled on first use (and kept by re),
# so a query that binds no parameter of its kind never compiles it.
_YEAR = r"^-?\d{4}$"
_IRI_SCHEME = r"^[A-Za-z][A-Za-z0-9+.-]*:"
MAX_DECIMAL_DIGITS = 1_000
TRUE_WORDS = {"true", "yes", "1", "y", "on"}
FALSE_WORDS = {"false", "no", "0", "n", "off"}


_ESCAPED_U = r"(?<!\\)((?:\\\\)+)([uU])"


def term_text(term: Any) -> str:
    """The SPARQL serialisation of a pyoxigraph term, read alike by Oxigraph and rdflib.

    rdflib expands \\uXXXX before it reads strings, even after an escaping backslash, so a typed
    '\\u0041' would become 'A' (or a syntax error); a u or U after an escaped backslash is therefore
    written as the codepoint escape \\U00000075 or \\U00000055, which both engines decode.
    """
    text = str(term)
    if "\\" in text and type(term).__name__ == "Literal":
        text = re.sub(_ESCAPED_U, lambda m: m.group(1) + ("\\U00000075" if m.group(2) == "u" else "\\U00000055"), text)
    return text


def values_block(var: str, terms: Sequence[Any]) -> str:
    return f"VALUES ?{var} {{ {' '.join(term_text(t) for t in terms)} }}"


def literal(value: str, datatype: str | None = None) -> Any:
    import pyoxigraph as ox

    try:
        return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype)) if datatype else ox.Literal(value)
    except ValueError:  # a lone surrogate: bytes on the command line that were not UTF-8
        raise UsageProblem(f"{value!r} is not valid UTF-8 text") from None


def iri(value: str) -> Any:
    import pyoxigraph as ox

    try:
        return ox.NamedNode(value)
    except ValueError as exc:
        raise UsageProblem(f"'{value}' is not a valid IRI ({exc})") from None


def parse_iri_reference(raw: str) -> str | None:
    """An IRI if `raw` is written as one (<...>, http..., urn:..., or a CURIE we know), else None."""
    text = raw.strip()
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    expanded = expand(text)
    if expanded:
        return expanded
    if re.match(_IRI_SCHEME, text) and (text.lower().startswith(("http://", "https://", "urn:", "file:"))):
        return text
    return None


def coerce(param: Param, raw: str) -> Any:
    """The typed literal or IRI for a non-entity parameter, or a UsageProblem saying what was expected."""
    text = raw.strip()
    kind = param.type
    try:
        if kind == "string":
            return literal(raw)
        if kind == "integer":
            return literal(str(int(text)), "integer")
        if kind == "decimal":
            from decimal import Decimal, InvalidOperation  # only here: most queries take no decimal

            try:
                value = Decimal(text)
            except InvalidOperation:
                raise ValueError from None
            if not value.is_finite():
                raise ValueError
            # Written out in full, 1e999999999 is a billion digits: measure before writing.
            _sign, digits, exponent = value.as_tuple()
            length = max(len(digits), len(digits) + int(exponent), -int(exponent))
            if length > MAX_DECIMAL_DIGITS:
                raise UsageProblem(f"parameter '{param.name}' expects a number of at most {MAX_DECIMAL_DIGITS:,} "
                                   f"digits, got {_shown(raw)} ({length:,} digits written out)")
            return literal(format(value, "f"), "decimal")
        if kind == "year":
            if not re.match(_YEAR, text):
                raise ValueError
            return literal(str(int(text)), "integer")
        if kind == "date":
            # A day, month or year typed as stated (xsd:date, gYearMonth, gYear), or today / postnote.
            from aihkg.queries.when import parse_when, when_literal

            try:
                return when_literal(parse_when(text))
            except UsageProblem:
                raise ValueError from None
        if kind == "boolean":
            if text.lower() in TRUE_WORDS:
                return literal("true", "boolean")
            if text.lower() in FALSE_WORDS:
                return literal("false", "boolean")
            raise ValueError
        if kind == "iri":
            ref = parse_iri_reference(text)
            if ref is None:
                raise ValueError
            try:
                return iri(ref)
            except UsageProblem:
                raise ValueError from None
    except ValueError:
        raise UsageProblem(f"parameter '{param.name}' expects {describe_type(param)}, got {_shown(raw)}") from None
    raise UsageProblem(f"parameter '{param.name}' has an unsupported type '{kind}'")


def _shown(raw: str) -> str:
    from aihkg.graph.terminal import excerpt

    return f"'{excerpt(raw, 40)}'"


def describe_type(param: Param) -> str:
    return {
        "string": "text", "integer": "a whole number", "decimal": "a number",
        "year": "a year such as 2021", "date": "a date such as 2021-01-18 (or 2021-01, 2021, today, postnote)",
        "boolean": "true or false", "iri": "an IRI or CURIE such as kg:MHRA",
        "entity": f"{_class_phrase(param.cls)}: a label, acronym, CURIE or IRI",
    }.get(param.type, param.type)


def _class_phrase(cls: str | None) -> str:
    if not cls:
        return "an entity"
    local = cls.split(":")[-1].split("#")[-1]
    words = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", local).lower()
    if words.startswith("ai "):
        words = "AI " + words[3:]
    return ("an " if words[:1].lower() in "aeiou" else "a ") + words


_LOOKUP = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?s ?label WHERE {
  VALUES ?q { UNDEF }
  VALUES ?cls { UNDEF }
  ?s rdfs:label|skos:altLabel|skos:prefLabel ?name .
  FILTER (LCASE(STR(?name)) = ?q)
  FILTER (!BOUND(?cls) || EXISTS { ?s a/rdfs:subClassOf* ?cls })
  OPTIONAL { ?s rdfs:label ?label }
}"""

# Subject and object positions are asked separately: rdflib evaluates a UNION over the whole graph
# before it joins the VALUES row, which made this lookup grow with the graph.
_EXISTS_TEMPLATE = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s WHERE {
  VALUES ?s { UNDEF }
  VALUES ?cls { UNDEF }
  TRIPLE .
  FILTER (!BOUND(?cls) || EXISTS { ?s a/rdfs:subClassOf* ?cls })
} LIMIT 1"""
_EXISTS = {
    "subject": _EXISTS_TEMPLATE.replace("TRIPLE", "?s ?p ?o"),
    "object": _EXISTS_TEMPLATE.replace("TRIPLE", "?x ?p ?s"),
}

_NAMES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?s ?name WHERE {
  VALUES ?cls { UNDEF }
  ?s rdfs:label|skos:altLabel ?name .
  FILTER (isIRI(?s))
  FILTER (!BOUND(?cls) || EXISTS { ?s a/rdfs:subClassOf* ?cls })
}"""


def fill_text(template: str, **values: Sequence[Any] | None) -> str:
    """Replace each ``VALUES ?name { UNDEF }`` in `template` by the given terms."""
    for name, terms in values.items():
        if terms:
            block = values_block(name, terms)
            template = placeholder(name).sub(lambda _m, b=block: b, template, count=1)
    return template


def fill(template: str, **values: Sequence[Any] | None) -> CheckedQuery:
    """One of aihkg's own query templates with its VALUES lines filled, ready for `store.query`.

    The template is checked (once; the verdict is cached) and the filled text keeps its verdict:
    each value is one RDF term, serialised by Oxigraph, and cannot change the query around it.
    """
    from aihkg.queries import guard

    return guard.refill(guard.template(template), fill_text(template, **values))


def resolve_entity(store: "Store", raw: str, cls: str | None = None, what: str = "entity") -> str:
    """The IRI of the entity a user named by label, acronym, CURIE or IRI (case-insensitive)."""
    class_term = [iri(expand(cls) or cls)] if cls else None
    ref = parse_iri_reference(raw)
    if ref is not None:
        for template in _EXISTS.values():
            if store.query(fill(template, s=[iri(ref)], cls=class_term)).rows:
                return ref
        raise UsageProblem(f"{what} {compact(ref)} is not in the graph"
                           + (f" as {_class_phrase(cls)}" if cls else ""))
    wanted = raw.strip().lower()
    if not wanted:
        raise UsageProblem(f"{what} name is empty")
    rows = store.query(fill(_LOOKUP, q=[literal(wanted)], cls=class_term)).rows
    matches: dict[str, str] = {}
    for s, label in rows:
        if s is not None and type(s).__name__ == "NamedNode":
            matches.setdefault(s.value, label.value if label is not None else s.value)
    if len(matches) == 1:
        return next(iter(matches))
    if len(matches) > 1:
        listed = "; ".join(f"{compact(i)} ({label})" for i, label in sorted(matches.items())[:6])
        raise UsageProblem(f"'{raw}' names more than one {what}: {listed}; use a CURIE or IRI")
    names = store.query(fill(_NAMES, cls=class_term)).rows
    by_name: dict[str, str] = {}
    by_squashed: dict[str, set[str]] = {}
    for s, name in names:
        by_name.setdefault(name.value.lower(), s.value)
        local = s.value[len(DATA_NS):] if s.value.startswith(DATA_NS) else None
        for text in filter(None, (local, name.value)):
            by_squashed.setdefault(_squash(text), set()).add(s.value)
    # "skin lesion triage" finds kg:SkinLesionTriage: spacing, case and punctuation aside.
    same = by_squashed.get(_squash(raw), set())
    if len(same) == 1:
        return next(iter(same))
    if cls:
        other = store.query(fill(_LOOKUP, q=[literal(wanted)])).rows
        if other:
            raise UsageProblem(f"'{raw}' names {compact(other[0][0].value)}, which is not {_class_phrase(cls)}")
    import difflib

    close = difflib.get_close_matches(wanted, list(by_name), n=3, cutoff=0.6)
    hint = ""
    if close:
        hint = "; did you mean " + ", ".join(f"'{c}' ({compact(by_name[c])})" for c in close) + "?"
    scope = _class_phrase(cls).split(" ", 1)[1] if cls else what
    raise UsageProblem(f"no {scope} named '{raw}' in the graph{hint}")


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def bind(query: CannedQuery, given: dict[str, list[str]], store: "Store | None") -> str:
    """The query text with every given (or defaulted) parameter bound, ready to run as it is."""
    unknown = [name for name in given if query.param(name) is None]
    if unknown:
        known = ", ".join(p.name for p in query.params) or "none"
        import difflib

        close = difflib.get_close_matches(unknown[0], [p.name for p in query.params], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise UsageProblem(f"query '{query.name}' has no parameter '{unknown[0]}'{hint}; its parameters: {known}")
    values: dict[str, list[Any]] = {}
    for param in query.params:
        raws = given.get(param.name)
        if not raws:
            if param.default is not None:
                raws = [str(param.default)]
            elif param.required:
                raise UsageProblem(f"query '{query.name}' needs -p {param.name}=... ({describe_type(param)})")
            else:
                continue
        if len(raws) > 1 and not param.multiple:
            raise UsageProblem(f"parameter '{param.name}' takes one value, got {len(raws)}")
        terms = []
        for raw in raws:
            if param.type == "entity":
                if store is None:
                    raise UsageProblem(f"parameter '{param.name}' needs the graph to resolve '{raw}'")
                terms.append(iri(resolve_entity(store, raw, param.cls, what=param.name)))
            else:
                terms.append(coerce(param, raw))
        values[param.name] = terms
    return fill_text(query.text, **values)
