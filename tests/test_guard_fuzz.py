"""The guard against the engines: generated texts, and any text the guard lets run must not make
either engine connect anywhere or change anything.

Texts are built from the fragments where lexers and parsers have disagreed: comments ended by every
kind of line break, strings of every quote with keywords inside, escaped names, numbers and
booleans followed by a dot, codepoint escapes, and the SERVICE and update keywords in every case.
The oracles are the engines themselves: Oxigraph and rdflib each run the text against a one-triple
store whose SERVICE target is a recording listener, and Oxigraph's and rdflib's update parsers say
whether the text is an update. A disagreement where the guard is the weaker party fails the test;
the counts at the end prove the fuzz is not vacuous (it does produce texts the engines would send).
"""

from __future__ import annotations

import warnings
from collections import Counter

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aihkg.graph.errors import UsageProblem
from aihkg.queries import guard
from listener import Listener

FUZZ = settings(max_examples=250, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

BREAKS = ["", " ", "\n", "\r\n", "\r", "\t", "\x0b", "\x0c", "\u2028", "\u2029", "\x85", "\u00a0", "\ufeff"]
COMMENTS = ["#c{b}", "# SERVICE{b}", "# '{b}", '# "{b}', "# <{b}", "# {{{b}", "#\\{b}", "#'''{b}"]
PIECES = [
    "'a'", '"a"', "'''a\nb'''", '"""a"b"""', "'\\''", '"\\""', "'#'", '"#"', "'<'", "''' ' '''", '""""a"""',
    "'SERVICE <x:y> {}'", '"INSERT DATA { }"', "<x:a>", "<x:#>", "<x:a#SERVICE>", "ex:a", "ex:a\\#", "ex:a\\'",
    "ex:a.b", "ex:SERVICE", "?v", "$v", "?v.", "?SERVICE", "1", "1.5", "1.", "1e3", ".5", "true", "false", "true.",
    "false.", "[]", "[].", "_:b", "_:b.", "'x'@en", "'x'@en.", "'1'^^<x:t>", ".", ";", ",", "(", ")", "{", "}",
    "FILTER(true)", "OPTIONAL", "UNION", "\\u0023", "\\u0027", "\\u0022", "\\\\",
]
SERVICE = ["SERVICE", "service", "SeRvIcE", "SERVICE SILENT", "\\u0053ERVICE", "SERV\\u0049CE", "\\U00000053ERVICE",
           "ſERVICE"]
UPDATE = ["INSERT DATA { <x:a> <x:b> <x:d> }", "insert data { <x:a> <x:b> <x:d> }", "DELETE WHERE { ?s ?p ?o }",
          "\\u0049NSERT DATA { <x:a> <x:b> <x:d> }", "CLEAR ALL", "DROP ALL", "LOAD <{url}/x.ttl>"]


def _noise() -> st.SearchStrategy[str]:
    comment = st.builds(lambda c, b: c.format(b=b), st.sampled_from(COMMENTS), st.sampled_from(BREAKS[1:]))
    # Half the time only what may stand between tokens (so the text is often a valid query, and
    # the engines do call the service); otherwise anything.
    quiet = st.lists(st.one_of(comment, st.sampled_from(BREAKS)), max_size=4).map("".join)
    loud = st.lists(st.one_of(st.sampled_from(PIECES), comment, st.sampled_from(BREAKS)), max_size=5).map(" ".join)
    return st.one_of(quiet, loud)


def _service_text(url: str) -> st.SearchStrategy[str]:
    return st.builds(
        lambda head, before, kw, after: (f"PREFIX ex: <http://e/>\n{head} {before} {kw} <{url}/sparql> "
                                         f"{{ ?a ?b ?c }} {after} }}"),
        st.sampled_from(["SELECT * WHERE { ?s ?p ?o .", "SELECT * WHERE {", "ASK {", "SELECT * { ?s ?p ?o"]),
        _noise(), st.sampled_from(SERVICE), _noise())


def _update_text(url: str) -> st.SearchStrategy[str]:
    return st.builds(lambda before, kw, after: f"PREFIX ex: <http://e/>\n{before} {kw.replace('{url}', url)} {after}",
                     st.one_of(_noise(), st.just("SELECT * WHERE { ?s ?p ?o } ;")), st.sampled_from(UPDATE),
                     _noise())


def _guard(text: str) -> str:
    """'allowed', or why the guard refused."""
    try:
        guard.checked(text)
    except UsageProblem as exc:
        message = str(exc)
        return "service" if "SERVICE" in message else ("update" if "read-only" in message else "other")
    return "allowed"


def _oxigraph_runs(text: str) -> None:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("x:a"), ox.NamedNode("x:b"), ox.NamedNode("x:c")))
    try:
        result = store.query(text)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    except Exception:  # noqa: BLE001 - only whether it connected matters here
        pass


def _rdflib_runs(text: str) -> None:
    import rdflib
    import rdflib.plugins.sparql as rdflib_sparql

    rdflib_sparql.SPARQL_LOAD_GRAPHS = False
    ds = rdflib.Dataset(default_union=True)
    ds.add((rdflib.URIRef("x:a"), rdflib.URIRef("x:b"), rdflib.URIRef("x:c")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = ds.query(text)
            list(result) if result.type != "ASK" else bool(result.askAnswer)
        except Exception:  # noqa: BLE001
            pass


def _is_update(text: str) -> bool:
    """Whether either engine's update parser accepts the text (run on a throwaway store)."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql import parser

    try:
        ox.Store().update(text)
        return True
    except Exception:  # noqa: BLE001
        pass
    try:
        return bool(parser.parseUpdate(text).get("request"))
    except (ParseBaseException, Exception):  # noqa: BLE001
        return False


@pytest.fixture(scope="module")
def listener():
    with Listener(process=True) as server:
        yield server


def test_whatever_the_guard_lets_run_makes_no_engine_connect(listener: Listener) -> None:
    seen: Counter[str] = Counter()

    @FUZZ
    @given(text=_service_text(listener.url))
    def check(text: str) -> None:
        verdict = _guard(text)
        before = len(listener.requests)
        _oxigraph_runs(text)
        oxigraph = len(listener.requests) > before
        _rdflib_runs(text)
        rdflib = len(listener.requests) > before + oxigraph
        seen[verdict] += 1
        seen["oxigraph connected"] += oxigraph
        seen["rdflib connected"] += rdflib
        if verdict == "allowed":
            engine = "Oxigraph" if oxigraph else "rdflib"
            assert not (oxigraph or rdflib), f"the guard allowed {text!r}, and {engine} called the service"
        if oxigraph or rdflib:
            assert verdict == "service" or verdict == "other", (verdict, text)

    check()
    # Not vacuous: the engines did call the service for many generated texts, all of them refused.
    assert seen["oxigraph connected"] >= 15 and seen["rdflib connected"] >= 15, seen
    assert seen["allowed"] >= 1 or seen["service"] >= 100, seen


def test_whatever_the_guard_lets_run_is_no_update(listener: Listener) -> None:
    seen: Counter[str] = Counter()

    @FUZZ
    @given(text=_update_text(listener.url))
    def check(text: str) -> None:
        verdict = _guard(text)
        update = _is_update(text)
        seen[verdict] += 1
        seen["engine: update"] += update
        if verdict == "allowed":
            assert not update, f"the guard allowed {text!r}, which an engine parses as SPARQL Update"

    check()
    assert seen["engine: update"] >= 30 and seen["update"] >= 30, seen
