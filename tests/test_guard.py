"""queries/guard.py: what may run, decided before any engine sees the text."""

from __future__ import annotations

import pytest

from aihkg.graph.errors import UsageProblem
from aihkg.queries.guard import MAX_NESTING, MAX_QUERY_CHARS, check, verdict


@pytest.mark.parametrize(("text", "form"), [
    ("SELECT * WHERE { ?s ?p ?o }", "select"),
    ("prefix ex: <http://e/> select ?x { ?x ex:SERVICE ?y }", "select"),
    ("ASK { ?s a <x:Y> FILTER (?s < ?o) }", "ask"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "graph"),
    ("DESCRIBE <http://example.org/x>", "graph"),
    ("BASE <http://e/> PREFIX : <http://e/> SELECT ?insert WHERE { ?insert :delete ?drop }", "select"),
    ("SELECT * { ?s ?p 'INSERT DATA { <a> <b> <c> }' }", "select"),
    ("SELECT * { ?s ?p ?o } # DELETE WHERE { ?s ?p ?o }", "select"),
])
def test_read_queries_pass(text: str, form: str) -> None:
    assert check(text) == form


@pytest.mark.parametrize(("text", "word"), [
    ("INSERT DATA { <http://a> <http://b> <http://c> }", "INSERT"),
    ("PREFIX : <x:> DELETE WHERE { ?s ?p ?o }", "DELETE"),
    ("LOAD <http://example.org/data.ttl>", "LOAD"),
    ("CLEAR ALL", "CLEAR"),
    ("DROP GRAPH <http://e/g>", "DROP"),
    ("CREATE GRAPH <http://e/g>", "CREATE"),
    ("ADD DEFAULT TO <http://e/g>", "ADD"),
    ("MOVE DEFAULT TO <http://e/g>", "MOVE"),
    ("COPY DEFAULT TO <http://e/g>", "COPY"),
    ("WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
    ("insert data { <http://a> <http://b> <http://c> }", "INSERT"),
    ("\\u0049NSERT DATA { <http://a> <http://b> <http://c> }", "INSERT"),
])
def test_updates_are_refused_with_their_keyword(text: str, word: str) -> None:
    with pytest.raises(UsageProblem, match=rf"read-only: SPARQL Update \({word}\)"):
        check(text)


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
    "select * { service silent <http://x/> { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://x/> { ?s ?p ?o } }",
    "SELECT * WHERE { \\U00000053ERVICE <http://x/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o . SERVICE ?endpoint { ?s ?p ?o } }",
])
def test_service_is_refused_unless_allowed(text: str) -> None:
    with pytest.raises(UsageProblem, match="SERVICE would contact another server"):
        check(text)
    assert check(text, allow_service=True) == "select"


def test_service_in_strings_comments_names_and_variables_is_not_service() -> None:
    text = ('PREFIX ex: <http://e/>\nSELECT ?service WHERE { ?service ex:SERVICE "SERVICE <x:y> {}" '
            "# SERVICE <http://x/> { }\n}")
    assert not verdict(text).service
    assert check(text) == "select"


def test_nesting_and_size_limits() -> None:
    deep = "SELECT * WHERE " + "{" * (MAX_NESTING + 1) + " ?s ?p ?o " + "}" * (MAX_NESTING + 1)
    with pytest.raises(UsageProblem, match="nests brackets"):
        check(deep)
    ok = "SELECT * WHERE " + "{" * 20 + " ?s ?p ?o " + "}" * 20
    assert check(ok) == "select"
    huge = "SELECT * WHERE { ?s ?p ?o }" + " " * MAX_QUERY_CHARS
    with pytest.raises(UsageProblem, match="the limit is"):
        check(huge)


@pytest.mark.parametrize("text", ["", "   ", "hello world", "{ ?s ?p ?o }"])
def test_non_queries_are_refused(text: str) -> None:
    with pytest.raises(UsageProblem):
        check(text)


def test_invalid_escape_is_refused() -> None:
    with pytest.raises(UsageProblem, match="invalid"):
        check("SELECT * WHERE { ?s ?p '\\uD800' }")
