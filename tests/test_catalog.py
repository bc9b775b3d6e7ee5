"""queries/catalog.py: the .rq catalog describes itself and every query is well formed."""

from __future__ import annotations

import pytest

from graph.errors import DataProblem, UsageProblem
from queries.catalog import PARAM_TYPES, Catalog, parse_query_file

CATALOG = Catalog()
NAMES = CATALOG.names()


def test_at_least_twenty_canned_queries() -> None:
    assert len(NAMES) >= 20


@pytest.mark.parametrize("name", NAMES)
def test_each_query_describes_itself(name: str) -> None:
    q = CATALOG.get(name)
    assert q.summary and len(q.summary) < 120
    assert len(q.description) > 40
    for p in q.params:
        assert p.type in PARAM_TYPES
        assert p.description
        assert f"VALUES ?{p.name} {{ UNDEF }}" in q.text


def test_unknown_names_suggest_close_matches() -> None:
    with pytest.raises(UsageProblem, match="did you mean challenges_by_use_count"):
        CATALOG.get("challenges_by_use_cont")


def test_header_errors_name_the_file() -> None:
    with pytest.raises(DataProblem, match="x.rq: the #\\+ header needs at least a 'summary:'"):
        parse_query_file("x", "#+ description: no summary\nSELECT * {}", "x.rq")
    with pytest.raises(DataProblem, match="parameter 'who' needs exactly one"):
        parse_query_file("x", "#+ summary: s\n#+ params:\n#+   - name: who\nSELECT * {}", "x.rq")
    with pytest.raises(DataProblem, match="unknown type 'colour'"):
        parse_query_file("x", "#+ summary: s\n#+ params:\n#+   - name: who\n#+     type: colour\n"
                              "SELECT * { VALUES ?who { UNDEF } }", "x.rq")
    with pytest.raises(DataProblem, match="not valid YAML"):
        parse_query_file("x", "#+ summary: [unclosed\nSELECT * {}", "x.rq")


def test_user_query_folders_add_and_override(tmp_path) -> None:
    (tmp_path / "my_question.rq").write_text("#+ summary: Mine\nSELECT * { ?s ?p ?o } LIMIT 1\n")
    (tmp_path / "funding_by_year.rq").write_text("#+ summary: My funding\nSELECT * { ?s ?p ?o } LIMIT 1\n")
    catalog = Catalog([str(tmp_path)])
    assert "my_question" in catalog.names()
    assert catalog.get("funding_by_year").summary == "My funding"
    with pytest.raises(UsageProblem, match="no such folder"):
        Catalog([str(tmp_path / "missing")]).names()
