"""queries/formats.py: standard result formats round-trip through an independent parser."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from aihkg.graph.stores import Result
from aihkg.queries.formats import display, render, to_table

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture
def result() -> Result:
    rows = [
        (ox.NamedNode("https://w3id.org/aihkg/id/MHRA"), ox.Literal("Medicines, \"devices\"\nand more", language="en"),
         ox.Literal("250000000", datatype=ox.NamedNode(XSD + "decimal")), None),
        (ox.BlankNode("b1"), ox.Literal("tab\there"), ox.Literal("2019", datatype=ox.NamedNode(XSD + "gYear")),
         ox.NamedNode("http://example.org/x y".replace(" ", "%20"))),
    ]
    return Result("select", ["entity", "label", "amount", "other"], rows)


@pytest.mark.parametrize(("fmt", "oxfmt"), [("json", ox.QueryResultsFormat.JSON),
                                            ("tsv", ox.QueryResultsFormat.TSV)])
def test_json_and_tsv_read_back_identically(result: Result, fmt: str, oxfmt: ox.QueryResultsFormat) -> None:
    text = render(result, fmt)
    parsed = ox.parse_query_results(text.encode(), format=oxfmt)
    assert [v.value for v in parsed.variables] == result.variables
    back = [tuple(sol[v] for v in result.variables) for sol in parsed]
    # TSV and JSON keep blank-node identity only up to renaming.
    assert [tuple(None if t is None else (t if not isinstance(t, ox.BlankNode) else "bnode") for t in row)
            for row in back] == [tuple(None if t is None else (t if not isinstance(t, ox.BlankNode) else "bnode")
                                       for t in row) for row in result.rows]


def test_csv_is_w3c_plain_values(result: Result) -> None:
    import csv
    import io

    text = render(result, "csv")
    values = list(csv.reader(io.StringIO(text, newline="")))[1:]
    assert values[0][0] == "https://w3id.org/aihkg/id/MHRA"
    assert values[0][1] == "Medicines, \"devices\"\nand more"
    assert values[0][2] == "250000000"
    assert values[0][3] == ""
    assert values[1][0] == "_:b1"
    assert text.splitlines()[0] == "entity,label,amount,other"
    assert "\r\n" in text


def test_ask_results() -> None:
    yes = Result("ask", boolean=True)
    assert json.loads(render(yes, "json")) == {"head": {}, "boolean": True}
    assert render(yes, "table") == "yes\n"
    assert render(Result("ask", boolean=False), "csv").splitlines() == ["boolean", "false"]


def test_table_shows_curies_labels_grouped_numbers_and_row_count(result: Result) -> None:
    text = to_table(result, labels={"https://w3id.org/aihkg/id/MHRA": "Medicines and Healthcare products"},
                    width=200)
    assert "Medicines and Healthcare products (kg:MHRA)" in text
    assert "250,000,000" in text
    assert "https://w3id.org" not in text
    assert text.rstrip().endswith("2 rows")


def test_table_fits_the_width_and_notes_the_row_limit(result: Result) -> None:
    text = to_table(result, width=60, limit=1)
    assert all(len(line) <= 60 for line in text.splitlines()[:3])
    assert "showing the first 1" in text
    assert "…" in text


def test_markdown_escapes_pipes() -> None:
    r = Result("select", ["a"], [(ox.Literal("x | y"),)])
    assert "x \\| y" in render(r, "md")


def test_display_of_plain_values() -> None:
    assert display(None) == ""
    assert display(ox.Literal("12", datatype=ox.NamedNode(XSD + "integer"))) == "12"
    assert display(ox.Literal("  two\nlines ")) == "two lines"


def test_no_table_line_ends_in_spaces(kg) -> None:
    from aihkg.queries.formats import to_table

    text = to_table(kg.run("regulations_without_enforcer"), width=100)
    assert all(line == line.rstrip() for line in text.splitlines())
