"""The canned queries on the built-in graph: every one answers, and the CLI's answers match two
independent SPARQL engines run on `aihkg export` (a fresh Oxigraph store and rdflib)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib

from aihkg.graph.build import rdflib_to_ox
from aihkg.graph.stores import Result
from aihkg.queries.catalog import Catalog
from canned import OPTIONAL_VARIANTS, SAMPLE_PARAMS, answer
from conftest import aihkg

CATALOG = Catalog()
NAMES = CATALOG.names()
PARAMETER_FREE = [n for n in NAMES if not any(p.required for p in CATALOG.get(n).params)]


@pytest.mark.parametrize("name", NAMES)
def test_every_canned_query_returns_rows(kg, name: str) -> None:
    result = kg.run(name, SAMPLE_PARAMS.get(name, {}))
    assert result.kind == "select" and len(result.rows) > 0


VARIANT_IDS = [f"{n}-{'-'.join(p)}" for n, p in OPTIONAL_VARIANTS]


@pytest.mark.parametrize(("name", "params"), OPTIONAL_VARIANTS, ids=VARIANT_IDS)
def test_optional_parameters_narrow_the_answer(kg, name: str, params: dict[str, str]) -> None:
    narrowed = kg.run(name, params)
    everything = kg.run(name)
    assert 0 < len(narrowed.rows) <= len(everything.rows)


@pytest.fixture(scope="module")
def exported() -> tuple[ox.Store, rdflib.Graph]:
    run = aihkg("export", "-f", "nt")
    assert run.code == 0, run.err
    store = ox.Store()
    store.load(run.out.encode(), format=ox.RdfFormat.N_TRIPLES)
    graph = rdflib.Graph()
    graph.parse(data=run.out, format="nt")
    return store, graph


def _rdflib_answer(graph: rdflib.Graph, text: str) -> Result:
    res = graph.query(text)
    rows = [tuple(None if t is None else rdflib_to_ox(t) for t in row) for row in res]
    return Result("select", [str(v) for v in res.vars], rows)


@pytest.mark.parametrize("name", PARAMETER_FREE)
def test_cli_answers_match_independent_engines_on_the_export(exported, name: str) -> None:
    store, graph = exported
    cli = aihkg("query", name, "--format", "json")
    assert cli.code == 0, cli.err
    parsed = ox.parse_query_results(cli.out.encode(), format=ox.QueryResultsFormat.JSON)
    variables = [v.value for v in parsed.variables]
    from_cli = Result("select", variables, [tuple(sol[v] for v in variables) for sol in parsed])
    shown = aihkg("query", name, "--show")  # the same text, defaults bound (e.g. from_year=2021)
    text = shown.out
    solutions = store.query(text)
    oxigraph = Result("select", [v.value for v in solutions.variables],
                      [tuple(sol[v] for v in solutions.variables) for sol in solutions])
    assert answer(from_cli) == answer(oxigraph)
    assert answer(from_cli) == answer(_rdflib_answer(graph, text))
