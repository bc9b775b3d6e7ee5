"""Canned-query plans on Oxigraph: the work follows the answer, not whatever else the store holds.

Users merge aihkg with large graphs of their own (Wikidata, MeSH extracts): millions of labels and
types that no canned query asks about. Oxigraph's planner has no statistics, so a query written in
one order can start from `?x rdfs:label ?l` and hash every label in the store. These tests add
unrelated labelled, typed nodes to a store and check, with `oxigraph query --explain --stats`, that
no step of any canned query's plan reads them.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pyoxigraph as ox
import pytest

from aihkg.graph.build import builtin_nquads
from aihkg.graph.explain import find_program, oxigraph_plan, plan_steps, store_location
from aihkg.queries.api import KnowledgeGraph
from aihkg.queries.catalog import Catalog
from canned import SAMPLE_PARAMS

UNRELATED = 20_000  # more than any step of any canned query reads on the built-in graph
NAMES = Catalog().names()


@pytest.fixture(scope="module")
def noisy_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if find_program("oxigraph") is None:
        pytest.skip("the oxigraph program (PyPI package 'oxigraph') is not installed")
    folder = tmp_path_factory.mktemp("noisy") / "store"
    store = ox.Store(str(folder))
    store.bulk_load(builtin_nquads(), format=ox.RdfFormat.N_QUADS)
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    kind = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    thing = ox.NamedNode("urn:example:Thing")
    store.bulk_extend(q for i in range(UNRELATED) for q in (
        ox.Quad(ox.NamedNode(f"urn:example:thing/{i}"), label, ox.Literal(f"unrelated thing {i}", language="en")),
        ox.Quad(ox.NamedNode(f"urn:example:thing/{i}"), kind, thing)))
    store.flush()
    del store
    gc.collect()  # release RocksDB's lock before the oxigraph program opens the folder
    return folder


def test_the_fixture_really_holds_the_unrelated_nodes(noisy_store: Path) -> None:
    plan = oxigraph_plan(noisy_store, "SELECT ?x WHERE { ?x a <urn:example:Thing> }")
    assert max(s.rows or 0 for s in plan_steps(plan["plan"])) == UNRELATED


@pytest.mark.parametrize("name", NAMES)
def test_no_step_reads_data_unrelated_to_the_answer(noisy_store: Path, name: str) -> None:
    text = KnowledgeGraph("memory").prepare(name, SAMPLE_PARAMS.get(name)).text
    steps = list(plan_steps(oxigraph_plan(noisy_store, text)["plan"]))
    heavy = [s for s in steps if (s.rows or 0) >= UNRELATED]
    assert not heavy, f"{name}: " + "; ".join(f"{s.name[:120]} -> {s.rows:,} rows" for s in heavy)


def test_store_location_refuses_a_folder_that_is_not_a_store(tmp_path: Path) -> None:
    from aihkg.graph.errors import StoreProblem

    with pytest.raises(StoreProblem, match="not an Oxigraph store folder"):
        store_location(tmp_path)
