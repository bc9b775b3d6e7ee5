"""graph/ordering.py: ORDER BY done in Python for the on-disk store gives Oxigraph's order.

Every comparison is against Oxigraph's own ORDER BY on the same data: the in-memory store, or the
same store with the Python sort turned off. Rows that tie on every order condition may come in
another order (SPARQL leaves it open, and Oxigraph's sort is unstable), so such runs of rows are
compared as multisets, in place; everything else must be identical.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from aihkg.graph import ordering, stores
from aihkg.queries import guard
from aihkg.queries.api import KnowledgeGraph
from aihkg.queries.catalog import Catalog
from canned import SAMPLE_PARAMS

DATA = Path(__file__).parent / "data" / "ordering.ttl"
PREFIX = "PREFIX ex: <http://example.org/ord#>\n"


def _runs(rows: list[tuple[Any, ...]], key: Any) -> list[tuple[Any, Counter[str]]]:
    """Consecutive rows with equal order keys, each run as (key, multiset of rows)."""
    runs: list[tuple[Any, Counter[str]]] = []
    for row in rows:
        k = key(row)
        if runs and runs[-1][0] == k:
            runs[-1][1][repr(row)] += 1
        else:
            runs.append((k, Counter([repr(row)])))
    return runs


def _key_for(text: str, variables: list[str]) -> Any:
    sorting = ordering.plan(text)
    assert sorting is not None

    def key(row: tuple[Any, ...]) -> tuple[str, ...]:
        values = dict(zip(variables, row, strict=True))
        return tuple(repr(ordering._evaluate(expr, values)) for expr, _ in sorting.keys)

    return key


def _same_order(expected: stores.Result, got: stores.Result, text: str) -> None:
    assert got.variables == expected.variables
    assert len(got.rows) == len(expected.rows)
    key = _key_for(text, expected.variables)
    assert _runs(got.rows, key) == _runs(expected.rows, key)


class Recorder:
    """The texts a store's engine was given."""

    def __init__(self, store: stores.OxigraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts: list[str] = []
        engine = store._engine

        def spy(text: str, started: float) -> stores.Result:
            self.texts.append(text)
            return engine(text, started)

        monkeypatch.setattr(store, "_engine", spy)


# --------------------------------------------------------------------------- the canned queries


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> stores.OxigraphStore:
    store = stores.disk_store(str(tmp_path_factory.mktemp("ordering") / "store"))
    yield store
    store.close()


@pytest.mark.parametrize("name", Catalog().names())
def test_canned_query_sorted_in_python_matches_the_memory_store(name: str, disk: stores.OxigraphStore,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    memory = KnowledgeGraph("memory")
    on_disk = KnowledgeGraph()
    on_disk._store = disk
    expected = memory.run(name, SAMPLE_PARAMS.get(name))
    prepared = on_disk.prepare(name, SAMPLE_PARAMS.get(name))
    recorder = Recorder(disk, monkeypatch)
    got = disk.query(prepared.checked)
    assert len(recorder.texts) == 1  # one run of the engine, never two
    if ordering.plan(prepared.checked.text).sortable():
        # The Python sort was used: the text ran without its top-level ORDER BY (an ORDER BY inside
        # a sub-select, which orders a GROUP_CONCAT, stays).
        assert recorder.texts[0].upper().count("ORDER BY") == prepared.checked.text.upper().count("ORDER BY") - 1
    else:  # it orders by a variable it does not return (sources_for's ?rank): the engine sorts
        assert recorder.texts[0] == prepared.checked.text
    assert expected.rows, f"{name}: no rows on the built-in graph, nothing is compared"
    _same_order(expected, got, prepared.checked.text)
    disk.sort_in_python = False
    try:
        engine_sorted = disk.query(prepared.checked)
    finally:
        disk.sort_in_python = True
    _same_order(engine_sorted, got, prepared.checked.text)


@pytest.mark.parametrize("name", Catalog().names())
def test_canned_query_without_its_order_passes_the_guard(name: str) -> None:
    text = Catalog().get(name).text
    sorting = ordering.plan(text)
    assert sorting is not None, f"{name}: its ORDER BY is not done in Python"
    verdict = guard.verdict(sorting.text)
    assert verdict.form == "select" and verdict.parsed and not verdict.service
    assert ordering.plan(sorting.text) is None  # nothing left to cut: the ORDER BY is gone
    assert sorting.text.replace(" ", "") in text.replace(" ", "") or len(sorting.text) < len(text)


def test_user_queries_keep_the_engines_order(disk: stores.OxigraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(disk, monkeypatch)
    text = "SELECT ?s WHERE { ?s a ?c } ORDER BY ?s LIMIT 3"
    checked = guard.checked(text)  # a user's text: checked, not trusted
    assert not checked.trusted
    monkeypatch.setattr(disk, "_run_isolated", lambda q, started: disk._engine(q.text, started))
    disk.query(checked)
    assert recorder.texts == [text]


# --------------------------------------------------------------------------- ties, unbound, mixed types


@pytest.fixture(scope="module")
def small() -> stores.OxigraphStore:
    db = ox.Store()
    db.load(path=str(DATA), format=ox.RdfFormat.TURTLE)
    store = stores.OxigraphStore(db, "ordering-fixture")
    return store


def _both(store: stores.OxigraphStore, text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, list[str]]:
    template = guard.template(PREFIX + text)
    store.sort_in_python = False
    engine = store.query(template)
    store.sort_in_python = True
    recorder = Recorder(store, monkeypatch)
    try:
        python = store.query(template)
    finally:
        store.sort_in_python = False
    return engine, python, recorder.texts


EXACT = [
    # unbound < blank node < IRI < literal; strings and tagged strings by (form, datatype, language)
    "SELECT ?s ?name WHERE { ?s ex:n ?n OPTIONAL { ?s ex:name ?name } } ORDER BY ?name ?s",
    "SELECT ?s ?name WHERE { ?s ex:group ?g OPTIONAL { ?s ex:name ?name } } ORDER BY DESC(?name) ?s",
    # numbers by value across integer, decimal and double, with INF and -INF; equal values tie
    "SELECT ?s ?n WHERE { ?s ex:n ?n } ORDER BY ?n ?s",
    "SELECT ?s ?n WHERE { ?s ex:n ?n } ORDER BY DESC(?n) DESC(?s)",
    "SELECT ?s ?n WHERE { ?s ex:n ?n FILTER (DATATYPE(?n) != <http://www.w3.org/2001/XMLSchema#double>) } "
    "ORDER BY DESC(?n) ?s",
    # expressions: STR of an IRI, a blank node (an error: sorts as unbound) and literals; COALESCE
    "SELECT ?s ?name WHERE { ?s ex:group ?g OPTIONAL { ?s ex:name ?name } } ORDER BY STR(?name) ?s",
    "SELECT ?s ?name WHERE { ?s ex:group ?g OPTIONAL { ?s ex:name ?name } } "
    "ORDER BY COALESCE(STR(?name), \"~\") (?s)",
    # slicing after the sort
    "SELECT ?s ?n WHERE { ?s ex:n ?n } ORDER BY ?n ?s LIMIT 4 OFFSET 3",
    "SELECT ?s ?n WHERE { ?s ex:n ?n } ORDER BY ?n ?s OFFSET 12",
    "SELECT ?s ?n WHERE { ?s ex:n ?n } ORDER BY DESC(?n) ?s OFFSET 1 LIMIT 2",
    "SELECT ?s ?n WHERE { ?s ex:n ?n } ORDER BY ?n ?s LIMIT 0",
    # DISTINCT, aggregates, a VALUES clause after the modifiers, a comment in the way
    "SELECT DISTINCT ?g WHERE { ?s ex:group ?g } ORDER BY DESC(?g)",
    "SELECT ?g (COUNT(*) AS ?c) WHERE { ?s ex:group ?g } GROUP BY ?g ORDER BY DESC(?c) ?g",
    "SELECT ?s ?g WHERE { ?s ex:group ?g } ORDER BY ?g # the group first\n ?s LIMIT 5 VALUES ?g { \"a\" \"b\" }",
]


@pytest.mark.parametrize("text", EXACT)
def test_python_order_is_oxigraphs_order(small: stores.OxigraphStore, text: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    engine, python, texts = _both(small, text, monkeypatch)
    assert len(texts) == 1 and "ORDER" not in texts[0]  # sorted here, not by the engine
    assert engine.rows or "LIMIT 0" in text, "the fixture must give rows"
    assert python.rows == engine.rows


def test_ties_keep_their_run(small: stores.OxigraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "SELECT ?s ?g WHERE { ?s ex:group ?g } ORDER BY ?g"
    engine, python, texts = _both(small, text, monkeypatch)
    assert len(texts) == 1 and "ORDER" not in texts[0]
    runs = _runs(engine.rows, lambda row: row[1])
    assert [len(r[1]) > 1 for r in runs] == [True, True, True]  # real ties: 5, 5 and 3 rows
    assert _runs(python.rows, lambda row: row[1]) == runs


FALLBACK = [
    # numbers mixed with strings, IRIs, tagged strings and booleans: not a total order a key can hold
    "SELECT ?s ?m WHERE { ?s ex:n ?n OPTIONAL { ?s ex:mixed ?m } } ORDER BY ?m ?s",
    # dates: compared by value, left to the engine
    "SELECT ?s ?w WHERE { ?s ex:group ?g OPTIONAL { ?s ex:when ?w } } ORDER BY DESC(?w) ?s",
]


@pytest.mark.parametrize("text", FALLBACK)
def test_what_only_the_engine_orders_runs_the_original(small: stores.OxigraphStore, text: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    engine, python, texts = _both(small, text, monkeypatch)
    assert len(texts) == 2 and "ORDER" not in texts[0] and texts[1] == PREFIX + text
    assert python.rows == engine.rows


def test_an_order_variable_not_projected_goes_to_the_engine_at_once(small: stores.OxigraphStore,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    text = "SELECT ?s WHERE { ?s ex:n ?n } ORDER BY ?n ?s"
    engine, python, texts = _both(small, text, monkeypatch)
    assert texts == [PREFIX + text]  # known from the text: no unordered run first
    assert python.rows == engine.rows


NOT_PLANNED = [
    "SELECT ?s WHERE { { SELECT ?s WHERE { ?s ex:n ?n } ORDER BY ?n LIMIT 2 } }",  # only in a subquery
    "SELECT ?s WHERE { ?s ex:name ?x } ORDER BY LCASE(?x)",  # a function not mirrored here
    "SELECT ?s WHERE { ?s ex:name ?x } ORDER BY (?x + 1)",
    "SELECT ?s WHERE { ?s ex:name ?x } ORDER BY ?x LIMIT 2 LIMIT 3",
    "SELECT ?s WHERE { ?s ex:name ?x FILTER (?x != \"a\\\"b\") } ORDER BY ?x",  # an escape in a string
    "SELECT ?s WHERE { ?s ex:name ?x FILTER (?x != '''a''') } ORDER BY ?x",  # a long string
    "SELECT ?s WHERE { ?s ex:name ?x } ORDER BY STR(?x, ?s)",
    "SELECT ?s WHERE { ?s ex:name ?x } ORDER BY \"a\"",
    "SELECT ?s WHERE { ?s ex:name ?x } ORDER BY ASC ?x",
    "SELECT ?s WHERE { ?s ex:name ?x } ORDER BY COALESCE(?x, \"a\"@en)",
    "SELECT ?s WHERE { ?s ex:name ?x } ORDER BY ?x LIMIT -1",
    "ASK { ?s ex:name ?x }",
    "CONSTRUCT { ?s ex:p ?x } WHERE { ?s ex:name ?x } ORDER BY ?x",
    "SELECT ?s WHERE { ?s ex:name ?x }",
    "SELECT ?s WHERE { ?s ex:name ?x # ORDER BY ?x\n}",
    "SELECT ?s WHERE { ?s ex:name \"ORDER BY ?x\" }",
    "SELECT ?s WHERE { ?s ex:name ?x } ORDER BY ?x }",
]


@pytest.mark.parametrize("text", NOT_PLANNED)
def test_texts_left_to_the_engine(text: str) -> None:
    assert ordering.plan(PREFIX + text) is None


def test_plan_cuts_only_the_modifiers() -> None:
    text = PREFIX + "SELECT ?s WHERE { ?s ex:n ?n } ORDER BY DESC(?n) ?s LIMIT 2 OFFSET 1 VALUES ?n { 1 }"
    sorting = ordering.plan(text)
    assert sorting is not None
    assert sorting.text == PREFIX + "SELECT ?s WHERE { ?s ex:n ?n }   VALUES ?n { 1 }"
    assert sorting.keys == ((("var", "n"), True), (("var", "s"), False))
    assert (sorting.limit, sorting.offset) == (2, 1)


def test_an_order_by_a_variable_not_returned_is_left_to_the_engine_before_it_runs() -> None:
    projected = ordering.plan("SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s ORDER BY ?n ?s")
    assert projected is not None and projected.sortable()
    hidden = ordering.plan("SELECT ?s WHERE { ?s ?p ?o . BIND (1 AS ?rank) } ORDER BY ?rank ?s")
    assert hidden is not None and not hidden.sortable()
    star = ordering.plan("SELECT * WHERE { ?s ?p ?o } ORDER BY ?o")
    assert star is not None and star.sortable() and star.projection is None
    sub = ordering.plan("SELECT ?s WHERE { { SELECT ?s ?x WHERE { ?s ?p ?x } } } ORDER BY ?x")
    assert sub is not None and not sub.sortable()  # ?x is the sub-select's, not returned at the top
