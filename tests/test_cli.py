"""cli.py: every command and option, output formats, exit codes and messages."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from aihkg.queries.catalog import Catalog
from conftest import DATA, aihkg

COMMANDS = ["queries", "query", "sparql", "describe", "search", "export", "validate", "viz", "path", "rank",
            "gaps", "communities", "load", "push", "cache"]


def test_version_and_help(cli_run) -> None:
    from aihkg.graph import __version__

    run = cli_run("--version")
    assert run.code == 0 and __version__ in run.out
    bare = cli_run()
    assert bare.code == 0 and "Usage:" in bare.out
    for command in COMMANDS:
        run = cli_run(command, "--help")
        assert run.code == 0 and "Usage: aihkg" in run.out, command
    main_help = cli_run("--help").out
    for command in COMMANDS:
        assert command in main_help


def test_usage_errors_are_one_line_with_exit_2(cli_run) -> None:
    run = cli_run("query", "challenges_by_use_count", "--format", "yaml")
    assert run.code == 2
    assert run.err.count("\n") == 1 and run.err.startswith("aihkg: error: ")
    assert "see 'aihkg query --help'" in run.err
    assert cli_run("frobnicate").code == 2


def test_catalog_table_and_json(cli_run) -> None:
    table = cli_run("queries")
    assert table.code == 0
    names = Catalog().names()
    assert all(name in table.out for name in names)
    assert f"{len(names)} queries" in table.out
    data = json.loads(cli_run("queries", "--format", "json").out)
    assert {q["name"] for q in data} == set(names)
    profile = next(q for q in data if q["name"] == "organisation_profile")
    assert profile["summary"] and profile["params"][0] == {
        "name": "organisation", "type": "entity", "required": True, "default": None,
        "description": profile["params"][0]["description"], "multiple": False, "class": "aihkg:Organisation",
    }


def test_query_formats(cli_run) -> None:
    table = cli_run("query", "funding_by_year")
    assert table.code == 0 and "rows" in table.out.splitlines()[-1] and "https://" not in table.out
    csv_rows = list(csv.reader(io.StringIO(cli_run("query", "funding_by_year", "--format", "csv").out)))
    assert csv_rows[0] == ["year", "currency", "total", "allocations"]
    tsv = cli_run("query", "funding_by_year", "--format", "tsv").out
    parsed = ox.parse_query_results(tsv.encode(), format=ox.QueryResultsFormat.TSV)
    assert len(list(parsed)) == len(csv_rows) - 1
    data = json.loads(cli_run("query", "funding_by_year", "--format", "json").out)
    assert data["head"]["vars"] == ["year", "currency", "total", "allocations"]
    assert data["results"]["bindings"][0]["total"]["datatype"] == "http://www.w3.org/2001/XMLSchema#decimal"
    md = cli_run("query", "funding_by_year", "--format", "md").out
    assert md.startswith("| year | currency | total | allocations |")


def test_query_parameters_by_label_acronym_curie_and_repeat(cli_run) -> None:
    by_acronym = cli_run("query", "regulations_enforced_by", "-p", "organisation=MHRA", "--format", "csv")
    by_curie = cli_run("query", "regulations_enforced_by", "-p", "organisation=kg:MHRA", "--format", "csv")
    by_label = cli_run("query", "regulations_enforced_by", "-p",
                       "organisation=Medicines and Healthcare products Regulatory Agency", "--format", "csv")
    assert by_acronym.code == 0 and by_acronym.out == by_curie.out == by_label.out
    assert "UKMDR2002" in by_acronym.out
    window = cli_run("query", "regulatory_timeline", "-p", "from_year=2023", "-p", "to_year=2023", "--format", "csv")
    years = {row[0][:4] for row in list(csv.reader(io.StringIO(window.out)))[1:]}
    assert years == {"2023"}


def test_show_prints_exactly_the_text_that_runs(cli_run, tmp_path: Path) -> None:
    shown = cli_run("query", "regulations_enforced_by", "-p", "organisation=MHRA", "--show")
    assert shown.code == 0
    assert "VALUES ?organisation { <https://w3id.org/aihkg/id/MHRA> }" in shown.out
    text_file = tmp_path / "q.rq"
    text_file.write_text(shown.out)
    via_sparql = cli_run("sparql", str(text_file), "--format", "csv")
    via_query = cli_run("query", "regulations_enforced_by", "-p", "organisation=MHRA", "--format", "csv")
    assert via_sparql.out == via_query.out


def test_limit_and_output_file(cli_run, tmp_path: Path) -> None:
    limited = cli_run("query", "regulatory_timeline", "--limit", "3")
    assert "showing the first 3" in limited.out
    full = cli_run("query", "regulatory_timeline", "--limit", "0")
    assert "showing" not in full.out
    out = tmp_path / "result.json"
    run = cli_run("query", "funding_by_year", "--format", "json", "-o", str(out))
    assert run.code == 0 and run.out == "" and f"wrote {out}" in run.err
    assert json.loads(out.read_text())["head"]["vars"]


def test_sparql_from_file_stdin_and_expression(cli_run, tmp_path: Path) -> None:
    query = "SELECT ?l WHERE { kg:MHRA rdfs:label ?l }"
    (tmp_path / "q.rq").write_text(query)
    from_file = cli_run("sparql", str(tmp_path / "q.rq"), "--format", "csv")
    from_expr = cli_run("sparql", "-e", query, "--format", "csv")
    assert from_file.out == from_expr.out == "l\r\nMedicines and Healthcare products Regulatory Agency\r\n"
    from_stdin = aihkg("sparql", "-", "--format", "csv", stdin=query)
    assert from_stdin.code == 0 and from_stdin.out.splitlines() == from_expr.out.splitlines()
    ask = cli_run("sparql", "-e", "ASK { kg:MHRA a aihkg:Organisation }")
    assert ask.out == "yes\n"
    construct = cli_run("sparql", "-e", "CONSTRUCT { kg:MHRA rdfs:label ?l } WHERE { kg:MHRA rdfs:label ?l }")
    assert "@prefix kg:" in construct.out and "kg:MHRA" in construct.out
    describe = cli_run("sparql", "-e", "DESCRIBE kg:MHRA")
    assert describe.code == 0 and "enforces" in describe.out
    both = cli_run("sparql", str(tmp_path / "q.rq"), "-e", query)
    assert both.code == 2


def test_sparql_table_labels_bare_iris(cli_run) -> None:
    run = cli_run("sparql", "-e", "SELECT ?law WHERE { kg:MHRA aihkg:enforces ?law }")
    assert "Medical Devices Regulations 2002 (kg:UKMDR2002)" in run.out


def test_describe_text_and_json(cli_run) -> None:
    run = cli_run("describe", "MHRA")
    assert run.code == 0
    assert run.out.startswith("Medicines and Healthcare products Regulatory Agency  (kg:MHRA)")
    assert "enforces:" in run.out and "sources:" in run.out and "http" in run.out
    data = json.loads(cli_run("describe", "kg:UKMDR2002", "--format", "json").out)
    relations = {r["relation"] for r in data["relations"]}
    assert "enforced by" in relations  # incoming enforces, read through owl:inverseOf
    assert data["sources"] and all("url" in s for s in data["sources"])


def test_search_ranks_label_matches_first(cli_run) -> None:
    run = cli_run("search", "algorithmic bias", "--format", "json")
    hits = json.loads(run.out)
    assert hits[0]["iri"].endswith("/AlgorithmicBias")
    assert hits[0]["score"] > hits[-1]["score"]
    table = cli_run("search", "MHRA", "--limit", "3")
    assert "kg:MHRA" in table.out.splitlines()[2]
    none = cli_run("search", "zzzznotaword")
    assert none.code == 0 and "no entity matches" in none.out


@pytest.mark.parametrize(("fmt", "suffix", "check"), [
    ("turtle", ".ttl", b"@prefix aihkg:"), ("nt", ".nt", b"<https://w3id.org/aihkg/"),
    ("jsonld", ".jsonld", b"\"@context\""), ("xml", ".rdf", b"<rdf:RDF"), ("trig", ".trig", b"@prefix"),
    ("graphml", ".graphml", b"<graphml"), ("gexf", ".gexf", b"<gexf"), ("cytoscape", ".cyjs", b"\"elements\""),
])
def test_export_every_format_to_file_and_stdout(cli_run, tmp_path: Path, fmt: str, suffix: str, check: bytes) -> None:
    out = tmp_path / f"graph{suffix}"
    run = cli_run("export", "-o", str(out))  # format from the extension
    assert run.code == 0, run.err
    assert check in out.read_bytes()[:4000] or check in out.read_bytes()
    if fmt in ("nt", "turtle"):
        stdout = aihkg("export", "-f", fmt)
        assert stdout.code == 0 and stdout.out.encode() == out.read_bytes()


def test_data_files_are_merged_and_no_builtin_data_leaves_them_alone(cli_run) -> None:
    mine = str(DATA / "valid_addition.ttl")
    run = cli_run("--data", mine, "query", "uses_and_challenges", "-p", "use=SPP", "--format", "csv")
    assert run.code == 0 and "Sepsis prediction pilot" in run.out and "directly" in run.out
    alone = cli_run("--no-builtin-data", "--data", str(DATA / "mini.ttl"), "sparql", "-e",
                    "SELECT (COUNT(?u) AS ?n) WHERE { ?u a aihkg:AIUse }", "--format", "csv")
    assert alone.out.splitlines()[1] == "2"


def test_rdflib_store_gives_the_same_rows(cli_run) -> None:
    memory = cli_run("query", "challenges_by_use_count", "--format", "csv").out
    rdflib_rows = cli_run("--store", "rdflib", "query", "challenges_by_use_count", "--format", "csv").out
    assert sorted(memory.splitlines()) == sorted(rdflib_rows.splitlines())


def test_user_query_folder(cli_run, tmp_path: Path) -> None:
    (tmp_path / "count_uses.rq").write_text(
        "#+ summary: How many AI uses\n#+ description: Counts every aihkg:AIUse in the graph, for a test.\n"
        "PREFIX aihkg: <https://w3id.org/aihkg/ontology#>\nSELECT (COUNT(?u) AS ?n) WHERE { ?u a aihkg:AIUse }\n")
    run = cli_run("--queries", str(tmp_path), "query", "count_uses", "--format", "csv")
    assert run.code == 0 and int(run.out.splitlines()[1]) >= 15
    assert "count_uses" in cli_run("--queries", str(tmp_path), "queries").out


def test_viz_pictures_and_page(cli_run, tmp_path: Path) -> None:
    png = tmp_path / "mhra.png"
    run = cli_run("viz", "--focus", "MHRA", "-o", str(png))
    assert run.code == 0 and run.out.strip() == str(png) and png.stat().st_size > 10_000
    html = tmp_path / "challenges.html"
    run = cli_run("viz", "--class", "Challenge", "--class", "AI use", "-o", str(html))
    assert run.code == 0 and "<html" in html.read_text()[:200]
    svg = tmp_path / "shell.svg"
    assert cli_run("viz", "--layout", "shell", "--class", "Regulation", "-o", str(svg)).code == 0
    kk = tmp_path / "kk.pdf"
    assert cli_run("viz", "--layout", "kamada-kawai", "--focus", "NICE", "--depth", "2", "-o", str(kk)).code == 0
    comm = tmp_path / "comm.png"
    assert cli_run("viz", "--communities", "--class", "Organisation", "-o", str(comm)).code == 0


def test_viz_default_file_name(tmp_path: Path) -> None:
    run = aihkg("viz", "--focus", "NICE", cwd=tmp_path)
    assert run.code == 0 and run.out.strip() == "aihkg-nice.png"
    assert (tmp_path / "aihkg-nice.png").exists()


def test_path_rank_gaps_communities_on_the_built_in_graph(cli_run) -> None:
    path = cli_run("path", "skin lesion triage", "MHRA")
    assert path.code == 0 and "--" in path.out and "Medicines and Healthcare products Regulatory Agency" in path.out
    every = cli_run("path", "DERM", "ICO", "--all")
    assert every.code == 0 and len(every.out.splitlines()) >= 1
    for by in ("degree", "betweenness", "pagerank"):
        rank = cli_run("rank", "--by", by, "--top", "5", "--format", "csv")
        assert rank.code == 0 and len(rank.out.splitlines()) == 6
    regs = cli_run("rank", "--class", "Regulation", "--top", "3", "--format", "csv")
    assert all("Regulation" in line or "Act" in line or "Guidance" in line or "Instrument" in line
               or "Framework" in line or "Code" in line or "Standard" in line or "Policy" in line
               or "law" in line.lower() or "Regulation" in line for line in regs.out.splitlines()[1:])
    gaps = cli_run("gaps")
    assert gaps.code == 0 and gaps.out.count("## ") == 4
    comm = cli_run("communities", "--top", "2")
    assert comm.code == 0 and comm.out.startswith("community 1:")
    data = json.loads(cli_run("communities", "--format", "json").out)
    assert sum(c["size"] for c in data) > 400


def test_cache_info_and_clear(cli_run) -> None:
    info = cli_run("cache", "info")
    assert info.code == 0 and "cache folder:" in info.out and "builtin-" in info.out
    cleared = cli_run("cache", "clear")
    assert cleared.code == 0 and "removed" in cleared.out
    again = cli_run("query", "funding_by_year", "--format", "csv")
    assert again.code == 0


def test_shell_completion_script() -> None:
    run = aihkg(env={"_CLI_COMPLETE": "bash_source", "_AIHKG_COMPLETE": "bash_source"})
    assert run.code == 0 and "complete" in run.out


@pytest.mark.parametrize("argv", [["query", "funding_by_year", "--format", "csv"], ["describe", "MHRA"],
                                  ["search", "bias"], ["query", "regulations_enforced_by", "-p", "organisation=MHRA"]],
                         ids=["query", "describe", "search", "query-with-entity"])
def test_a_query_imports_no_heavy_library(argv: list[str]) -> None:
    code = (f"import sys\nfrom aihkg import cli\ntry:\n    cli.main({argv!r})\n"
            "except SystemExit:\n    pass\nprint(' '.join(sorted(sys.modules)), file=sys.stderr)")
    import subprocess

    # The first run of a canned query or template checks it with rdflib's SPARQL parser and caches
    # the verdict; every later process reads the verdict and needs no RDF library but Oxigraph.
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    modules = set(proc.stderr.split())
    assert "pyoxigraph" in modules
    for heavy in ("rdflib", "pyparsing", "networkx", "matplotlib", "owlready2", "pyshacl", "owlrl", "scipy",
                  "starlette", "uvicorn", "jinja2", "aihkg.web"):
        assert heavy not in modules, heavy
    # Start-up: what a cold query does not need either (each costs milliseconds against a bare
    # pyoxigraph script; bench/coldstart.py measures the whole): PyYAML (headers are cached),
    # OpenSSL (cache entries are checked by CRC), tempfile, decimal and dataclasses, the RDF file
    # readers and the time views (a date parameter reads queries/when.py), importlib's resources.
    for light in ("yaml", "hashlib", "_hashlib", "tempfile", "decimal", "dataclasses", "aihkg.graph.files",
                  "aihkg.queries.time", "importlib.resources", "importlib.metadata"):
        assert light not in modules, light


def test_data_format_overrides_the_extension(cli_run, tmp_path: Path) -> None:
    odd = tmp_path / "mine.data"
    odd.write_text("<https://example.org/a> <https://example.org/b> \"c\" .\n")
    refused = cli_run("--data", str(odd), "query", "funding_by_year")
    assert refused.code == 2 and "--data-format" in refused.err
    run = cli_run("--data", str(odd), "--data-format", "nt", "sparql", "-e",
                  "ASK { <https://example.org/a> <https://example.org/b> \"c\" }")
    assert run.code == 0 and run.out == "yes\n"


def test_debug_shows_the_traceback_after_the_one_line_error(cli_run) -> None:
    plain = cli_run("describe", "kg:NoSuchThing")
    assert plain.code == 2 and "Traceback" not in plain.err
    debug = cli_run("--debug", "describe", "kg:NoSuchThing")
    assert debug.code == 2
    assert debug.err.startswith("aihkg: error: ") and "Traceback" in debug.err
