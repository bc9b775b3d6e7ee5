"""Query results as HTML tables: cells with text, a link for IRIs, numbers aligned.

As the CLI's table does, a column ?x and its label column ?xLabel become one column whose cells
show the label and link to the entity's page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aihkg.graph import PREFIXES, compact

XSD = PREFIXES["xsd"]
_NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long", "nonNegativeInteger",
                               "positiveInteger", "short")}


@dataclass
class Cell:
    text: str = ""
    href: str | None = None
    curie: str | None = None  # shown beside a label, for IRIs
    numeric: bool = False
    title: str | None = None  # the full IRI or datatype, as a tooltip


@dataclass
class Table:
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    total: int = 0  # rows in the answer
    shown: int = 0  # rows in this table


def cell(term: Any, label: str | None = None) -> Cell:
    from aihkg.queries.explore import format_number
    from aihkg.web.templating import entity_href

    if term is None:
        return Cell()
    kind = type(term).__name__
    if kind == "NamedNode":
        short = compact(term.value)
        return Cell(label or short, entity_href(term.value), short if label else None, title=term.value)
    if kind == "BlankNode":
        return Cell(f"_:{term.value}")
    datatype = term.datatype.value if term.datatype is not None else ""
    if datatype in _NUMERIC:
        return Cell(format_number(term.value), numeric=True, title=compact(datatype))
    text = " ".join(term.value.split()) if len(term.value) < 2000 else term.value[:2000] + "…"
    return Cell(text, title=compact(datatype) if datatype and datatype != XSD + "string" else None)


def result_table(result: Any, labels: dict[str, str] | None = None, limit: int = 1000) -> Table:
    """The first `limit` rows of a SELECT result as a Table (ASK: one yes/no cell)."""
    labels = labels or {}
    if result.kind == "ask":
        return Table(["answer"], [[Cell("yes" if result.boolean else "no")]], 1, 1)
    index = {v: i for i, v in enumerate(result.variables)}
    paired = {v for v in result.variables if f"{v}Label" in index}
    plan: list[tuple[int, int | None]] = []
    header: list[str] = []
    for i, var in enumerate(result.variables):
        if var.endswith("Label") and var[: -len("Label")] in paired:
            continue
        plan.append((i, index[f"{var}Label"] if var in paired else None))
        header.append(var[: -len("Label")] if var.endswith("Label") and len(var) > 5 and var not in paired else var)
    rows = []
    for row in result.rows[:limit]:
        cells = []
        for i, label_at in plan:
            term = row[i]
            label = None
            if term is not None and type(term).__name__ == "NamedNode":
                if label_at is not None and row[label_at] is not None:
                    label = " ".join(row[label_at].value.split())
                else:
                    label = labels.get(term.value)
            elif term is None and label_at is not None and row[label_at] is not None:
                term = row[label_at]
            cells.append(cell(term, label))
        rows.append(cells)
    return Table(header, rows, len(result.rows), len(rows))
