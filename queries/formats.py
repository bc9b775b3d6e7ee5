"""Writing results in the formats users already use.

- ``json``: W3C SPARQL 1.1 Query Results JSON.
- ``csv`` / ``tsv``: W3C SPARQL 1.1 Query Results CSV and TSV (CSV: plain values and full IRIs;
  TSV: RDF terms in N-Triples syntax, headers with ``?``).
- ``table`` and ``md``: for people: CURIEs instead of IRIs, labels beside them, numbers grouped,
  the row count, and a table fitted to the terminal. Control characters and terminal escapes in
  the data are shown escaped (``\\x1b``); the data formats keep every value exactly.
- CONSTRUCT / DESCRIBE results are written as Turtle.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aihkg.graph import PREFIXES, compact

if TYPE_CHECKING:
    from aihkg.graph.stores import Result

# Each writer imports its own module (csv, json, shutil): a command pays only for the format it writes.

RESULT_FORMATS = ("table", "csv", "tsv", "json", "md")
XSD = PREFIXES["xsd"]
_NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long", "nonNegativeInteger")}


def _kind(term: Any) -> str:
    return type(term).__name__


def json_term(term: Any) -> dict[str, str]:
    kind = _kind(term)
    if kind == "NamedNode":
        return {"type": "uri", "value": term.value}
    if kind == "BlankNode":
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD + "string":
        out["datatype"] = term.datatype.value
    return out


def to_json(result: Result) -> str:
    import json

    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)}, indent=2) + "\n"
    bindings = []
    for row in result.rows:
        bindings.append({v: json_term(t) for v, t in zip(result.variables, row, strict=False) if t is not None})
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}},
                      indent=2, ensure_ascii=False) + "\n"


def to_csv(result: Result) -> str:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if result.kind == "ask":
        writer.writerow(["boolean"])
        writer.writerow(["true" if result.boolean else "false"])
        return buf.getvalue()
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow(["" if t is None else (f"_:{t.value}" if _kind(t) == "BlankNode" else t.value) for t in row])
    return buf.getvalue()


def to_tsv(result: Result) -> str:
    if result.kind == "ask":
        return "?boolean\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    for row in result.rows:
        lines.append("\t".join("" if t is None else str(t) for t in row))
    return "\n".join(lines) + "\n"


def to_turtle(result: Result) -> str:
    import pyoxigraph as ox

    triples = sorted(result.triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES))
    return data.decode("utf-8") if isinstance(data, bytes) else str(data)


def display(term: Any, labels: Mapping[str, str] | None = None) -> str:
    """A term as a person reads it: label and CURIE for IRIs, grouped digits for big numbers."""
    if term is None:
        return ""
    kind = _kind(term)
    if kind == "NamedNode":
        short = compact(term.value)
        label = (labels or {}).get(term.value)
        return f"{label} ({short})" if label else short
    if kind == "BlankNode":
        return f"_:{term.value}"
    value = term.value
    if term.datatype is not None and term.datatype.value in _NUMERIC:
        try:
            number = float(value)
            if abs(number) >= 10000:
                from decimal import Decimal

                return f"{Decimal(value):,}"
        except ValueError:
            pass
    return " ".join(value.split())


def _fit(widths: list[int], total: int) -> list[int]:
    widths = list(widths)
    gaps = 3 * (len(widths) - 1)
    while sum(widths) + gaps > total and max(widths) > 8:
        widest = widths.index(max(widths))
        widths[widest] -= 1
    return widths


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _human_columns(variables: list[str], rows: list[tuple[Any, ...]],
                   labels: Mapping[str, str] | None) -> tuple[list[str], list[list[str]]]:
    """Columns for people: ?x and its ?xLabel become one column "Label (kg:X)"; a lone ?yLabel is "y"."""
    index = {v: i for i, v in enumerate(variables)}
    paired = {v for v in variables if f"{v}Label" in index}
    header: list[str] = []
    plan: list[tuple[int, int | None]] = []
    for i, var in enumerate(variables):
        if var.endswith("Label") and var[: -len("Label")] in paired:
            continue
        if var in paired:
            plan.append((i, index[f"{var}Label"]))
            header.append(var)
        else:
            plan.append((i, None))
            header.append(var[: -len("Label")] if var.endswith("Label") and len(var) > 5 else var)
    cells = []
    for row in rows:
        line = []
        for i, label_at in plan:
            term = row[i]
            if label_at is not None and term is not None and row[label_at] is not None \
                    and _kind(term) == "NamedNode":
                line.append(f"{' '.join(row[label_at].value.split())} ({compact(term.value)})")
            else:
                line.append(display(term, labels))
        cells.append(line)
    return header, cells


def to_table(result: Result, *, labels: Mapping[str, str] | None = None, width: int | None = None,
             limit: int | None = None, markdown: bool = False) -> str:
    if result.kind == "ask":
        return ("yes" if result.boolean else "no") + "\n"
    shown = result.rows if not limit else result.rows[:limit]
    header, cells = _human_columns(result.variables, shown, labels)
    from aihkg.graph.terminal import one_line

    # Tables are read on terminals: a label's ESC or OSC sequence would be obeyed, not shown.
    header = [one_line(h) for h in header]
    cells = [[one_line(c) for c in row] for row in cells]
    count = len(result.rows)
    note = f"{count} row{'s' if count != 1 else ''}"
    if limit and count > limit:
        note += f" (showing the first {limit}; --limit 0 shows all, --format csv writes all)"
    if markdown:
        esc = [[c.replace("|", "\\|") for c in row] for row in cells]
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in esc]
        return "\n".join(lines) + f"\n\n{note}\n"
    natural = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(header)]
    import shutil

    total = width or shutil.get_terminal_size((120, 24)).columns
    widths = _fit(natural, total) if header else []
    out = [" | ".join(_cut(h, w).ljust(w) for h, w in zip(header, widths, strict=False)).rstrip()]
    out.append("-+-".join("-" * w for w in widths))
    for row in cells:
        out.append(" | ".join(_cut(c, w).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
    out.append(note)
    return "\n".join(out) + "\n"


def render(result: Result, fmt: str, *, labels: Mapping[str, str] | None = None,
           width: int | None = None, limit: int | None = None) -> str:
    if result.kind == "graph":
        return to_turtle(result)
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_csv(result)
    if fmt == "tsv":
        return to_tsv(result)
    if fmt == "md":
        return to_table(result, labels=labels, limit=limit, markdown=True)
    return to_table(result, labels=labels, width=width, limit=limit)
