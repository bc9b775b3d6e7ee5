"""graph/stores.py: every store gives the same answers; persistent and remote stores work end to end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aihkg.graph.errors import UsageProblem
from aihkg.queries.api import KnowledgeGraph
from aihkg.queries.catalog import Catalog
from canned import SAMPLE_PARAMS, answer
from conftest import DATA, aihkg
from servers import free_port, oxigraph_server

NAMES = Catalog().names()


@pytest.fixture(scope="module")
def oxigraph() -> Iterator[str]:
    """`oxigraph serve` on 127.0.0.1 and a free port, in memory; stopped after the module."""
    with oxigraph_server() as base:
        yield base


@pytest.fixture(scope="module")
def stores(tmp_path_factory, oxigraph):
    """The built-in graph on every store: memory, rdflib, oxigraph:DIR and sparql (pushed)."""
    folder = tmp_path_factory.mktemp("store") / "kg"
    spec = f"sparql:{oxigraph}/query,{oxigraph}/update"
    pushed = aihkg("--store", spec, "push")
    assert pushed.code == 0, pushed.err
    opened = {
        "memory": KnowledgeGraph(),
        "rdflib": KnowledgeGraph("rdflib"),
        "oxigraph": KnowledgeGraph(f"oxigraph:{folder}"),
        "sparql": KnowledgeGraph(spec),
    }
    yield opened
    for kg in opened.values():
        kg.close()


@pytest.mark.server
@pytest.mark.parametrize("name", NAMES)
def test_every_canned_query_gives_the_same_answer_on_every_store(stores, name: str) -> None:
    params = SAMPLE_PARAMS.get(name, {})
    expected = answer(stores["memory"].run(name, params))
    assert expected[2], f"{name} returned no rows"
    for store in ("rdflib", "oxigraph", "sparql"):
        assert answer(stores[store].run(name, params)) == expected, f"{name} differs on {store}"


@pytest.mark.server
def test_describe_search_export_and_network_agree_across_stores(stores) -> None:
    from aihkg.graph.export import export_bytes
    from aihkg.graph.network import build_network

    ref = stores["memory"]
    d = ref.describe("MHRA")
    hits = [(h.iri, h.field) for h in ref.search("algorithmic bias")]
    nt = set(export_bytes(ref, "nt").splitlines())
    net = build_network(ref.store)
    for name in ("rdflib", "oxigraph", "sparql"):
        other = stores[name]
        od = other.describe("MHRA")
        assert (od.label, sorted(od.relations), od.sources) == (d.label, sorted(d.relations), d.sources), name
        assert [(h.iri, h.field) for h in other.search("algorithmic bias")] == hits, name
        assert set(export_bytes(other, "nt").splitlines()) == nt, name  # blank nodes canonicalised
        g = build_network(other.store)
        assert sorted(g.edges(keys=True)) == sorted(net.edges(keys=True)), name


def test_disk_store_is_created_once_read_only_and_loadable(tmp_path: Path) -> None:
    folder = tmp_path / "kg"
    first = aihkg("--store", f"oxigraph:{folder}", "query", "funding_by_year", "--format", "csv")
    assert first.code == 0 and "creating the Oxigraph store" in first.err
    assert (folder / "aihkg.json").exists()
    again = aihkg("--store", f"oxigraph:{folder}", "query", "funding_by_year", "--format", "csv")
    assert again.out == first.out and "creating" not in again.err
    extra = tmp_path / "extra.ttl"
    extra.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b ex:d .\n")
    loaded = aihkg("--store", f"oxigraph:{folder}", "load", str(extra))
    assert loaded.code == 0, loaded.err
    assert "2 triples loaded" in loaded.err and "triples/s" in loaded.err
    count = aihkg("--store", f"oxigraph:{folder}", "sparql", "-e",
                  "SELECT (COUNT(*) AS ?n) WHERE { <http://example.org/a> ?p ?o }", "--format", "csv")
    assert count.out.splitlines()[1] == "2"
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:x ex:y .\n")
    failed = aihkg("--store", f"oxigraph:{folder}", "load", str(bad))
    assert failed.code == 1 and "bad.ttl:2" in failed.err


def test_persistent_and_remote_stores_refuse_data_files(tmp_path: Path) -> None:
    with pytest.raises(UsageProblem, match="use `aihkg load FILE`"):
        _ = KnowledgeGraph(f"oxigraph:{tmp_path / 'kg'}", data=[str(DATA / "mini.ttl")]).store
    with pytest.raises(UsageProblem, match="unknown store"):
        _ = KnowledgeGraph("postgres:db").store
    with pytest.raises(UsageProblem, match="expected sparql:QUERY_URL"):
        _ = KnowledgeGraph("sparql:ftp://x").store


def test_unreachable_endpoint_is_a_clear_error() -> None:
    port = free_port()
    run = aihkg("--store", f"sparql:http://127.0.0.1:{port}/query", "query", "funding_by_year")
    assert run.code == 1
    assert "cannot reach http://127.0.0.1" in run.err
    assert "Traceback" not in run.err


def _store_count(folder: Path) -> int:
    run = aihkg("--store", f"oxigraph:{folder}", "sparql", "-e", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                "--format", "csv")
    assert run.code == 0, run.err
    return int(run.out.splitlines()[1])


def test_a_load_that_fails_part_way_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "st"
    before = _store_count(folder)
    good = tmp_path / "good.nt"
    good.write_text("".join(f"<http://example.org/s{i}> <http://example.org/p> \"{i}\" .\n" for i in range(2000)))
    bad = tmp_path / "bad.nt"
    bad.write_text('<http://example.org/a> <http://example.org/p> "1" .\nthis is not N-Triples\n')
    run = aihkg("--store", f"oxigraph:{folder}", "load", str(good), str(bad))
    assert run.code == 1 and "bad.nt:2:" in run.err and "nothing from this load was kept" in run.err, run.err
    assert _store_count(folder) == before  # the first file's 2,000 triples went too
    assert sorted(p.name for p in folder.iterdir() if "load" in p.name) == []


def test_a_load_killed_by_the_timeout_is_undone_when_the_store_is_next_opened(tmp_path: Path) -> None:
    folder = tmp_path / "st"
    before = _store_count(folder)
    big = tmp_path / "big.nt"
    with big.open("w") as out:
        for i in range(600_000):
            out.write(f'<http://example.org/s{i}> <http://example.org/p> "value {i}" .\n')
    run = aihkg("--timeout", "0.5", "--store", f"oxigraph:{folder}", "load", str(big))
    assert run.code == 1 and "did not finish within 0.5 s" in run.err, run.err
    assert (folder / ".oxigraph.load-undo").is_dir()  # the process was ended: the undo waits for the next open
    reader = aihkg("--store", f"oxigraph:{folder}", "sparql", "-e", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                   "--format", "csv")
    assert reader.code == 0 and int(reader.out.splitlines()[1]) == before
    assert "a load was interrupted; reading the store as it was before it" in reader.err
    small = tmp_path / "small.nt"
    small.write_text('<http://example.org/x> <http://example.org/p> "1" .\n')
    run = aihkg("--store", f"oxigraph:{folder}", "load", str(small))
    assert run.code == 0 and "a load did not finish; the store is back as it was before it" in run.err, run.err
    assert _store_count(folder) == before + 1
    assert sorted(p.name for p in folder.iterdir() if "load" in p.name) == []


def test_loading_a_file_again_adds_nothing_and_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "st"
    data = tmp_path / "three.nt"
    data.write_text("".join(f'<http://example.org/s{i}> <http://example.org/p> "{i}" .\n' for i in range(3)))
    first = aihkg("--store", f"oxigraph:{folder}", "load", str(data))
    assert first.code == 0 and "done: 3 new triples added" in first.err
    assert "(3 read; 0 were already there)" in first.err
    again = aihkg("--store", f"oxigraph:{folder}", "load", str(data))
    assert again.code == 0 and "done: 0 new triples added" in again.err, again.err
    assert "(3 read; 3 were already there)" in again.err
    assert again.err.rsplit("it holds ", 1)[1].strip() == first.err.rsplit("it holds ", 1)[1].strip()


def _load_in_process(folder: Path, files: list[Path]) -> tuple[int, list[str]]:
    from aihkg.graph.stores import all_or_nothing, bulk_load, disk_store

    said: list[str] = []
    store = disk_store(str(folder), write=True)
    try:
        with all_or_nothing(store):
            total = bulk_load(store, [str(f) for f in files], data_format=None, allow_remote=False,
                              progress=said.append)
    finally:
        store.close()
    return total, said


def _triples_of(folder: Path) -> set[tuple[str, str, str]]:
    from aihkg.graph.stores import disk_store

    store = disk_store(str(folder))
    try:
        return {(str(q.subject), str(q.predicate), str(q.object)) for q in store.store
                if not str(q.subject).startswith("_:")}
    finally:
        store.close()


def test_a_big_n_triples_file_goes_to_the_engine_and_loads_the_same_triples(tmp_path: Path, monkeypatch) -> None:
    from aihkg.graph import files

    data = tmp_path / "big.nt"
    data.write_text("# a comment line\n\n" + "".join(
        f'<http://example.org/s{i}> <http://example.org/p> "v {i}" . # trailing comment\n' for i in range(500))
        + "   \n_:b1 <http://example.org/p> \"blank\" .\n\t# indented comment\n_:b1 <http://example.org/q> \"x\" .")
    through_python, said_python = _load_in_process(tmp_path / "python", [data])
    monkeypatch.setattr(files, "STREAM_BYTES", 0)  # every file counts as big: the engine reads it
    assert files.engine_ntriples(str(data)) == 502
    through_engine, said_engine = _load_in_process(tmp_path / "engine", [data])
    assert through_engine == through_python == 502
    assert any("502 triples, loading" in line for line in said_engine)
    assert not any("loading ..." in line for line in said_python)
    assert _triples_of(tmp_path / "engine") == _triples_of(tmp_path / "python")
    again, _ = _load_in_process(tmp_path / "engine", [data])  # its blank node stays apart from the first one's
    from aihkg.graph.stores import disk_store

    store = disk_store(str(tmp_path / "engine"))
    try:
        blank = sum(1 for q in store.store if str(q.subject).startswith("_:") and "blank" in str(q.object))
    finally:
        store.close()
    assert again == 502 and blank == 2


def test_a_bad_line_in_a_big_file_is_reported_with_its_place_and_nothing_is_kept(tmp_path: Path,
                                                                                 monkeypatch) -> None:
    from aihkg.graph import files
    from aihkg.graph.errors import DataProblem

    monkeypatch.setattr(files, "STREAM_BYTES", 0)
    folder = tmp_path / "st"
    good = tmp_path / "good.nt"
    good.write_text("".join(f'<http://example.org/s{i}> <http://example.org/p> "{i}" .\n' for i in range(3000)))
    _load_in_process(folder, [good])
    before = _triples_of(folder)
    bad = tmp_path / "bad.nt"
    bad.write_text("".join(f'<http://example.org/t{i}> <http://example.org/p> "{i}" .\n' for i in range(3000))
                   + "<no-scheme> <http://example.org/p> \"1\" .\n")
    with pytest.raises(DataProblem, match=r"bad\.nt:3001:.*not valid N-Triples.*nothing from this load was kept"):
        _load_in_process(folder, [bad])
    assert _triples_of(folder) == before


def test_a_big_file_whose_lines_may_hold_a_huge_literal_takes_the_checked_path(tmp_path: Path, monkeypatch) -> None:
    from aihkg.graph import files
    from aihkg.graph.errors import DataProblem

    monkeypatch.setattr(files, "STREAM_BYTES", 0)
    monkeypatch.setattr(files, "MAX_LITERAL_CHARS", 100)
    data = tmp_path / "long.nt"
    data.write_text(f'<http://example.org/s> <http://example.org/p> "{"x" * 150}" .\n')
    assert files.engine_ntriples(str(data)) is None
    with pytest.raises(DataProblem, match="a literal of 150 characters"):
        _load_in_process(tmp_path / "st", [data])
    comments = tmp_path / "comments.nt"
    comments.write_text("# nothing but a comment\n")
    assert files.engine_ntriples(str(comments)) is None  # "contains no triples" comes from the checked path
