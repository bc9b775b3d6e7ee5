"""queries/guard.py: what may run, decided on the parsed query before any engine or server sees it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aihkg.graph.errors import UsageProblem
from aihkg.queries import guard
from aihkg.queries.guard import MAX_NESTING, MAX_QUERY_CHARS, MAX_TERMS, check, verdict
from conftest import aihkg
from listener import Listener

X = "http://127.0.0.1:9/sparql"


@pytest.mark.parametrize(("text", "form"), [
    ("SELECT * WHERE { ?s ?p ?o }", "select"),
    ("prefix ex: <http://e/> select ?x { ?x ex:SERVICE ?y }", "select"),
    ("ASK { ?s a <x:Y> FILTER (?s < ?o) }", "ask"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "graph"),
    ("DESCRIBE <http://example.org/x>", "graph"),
    ("BASE <http://e/> PREFIX : <http://e/> SELECT ?insert WHERE { ?insert :delete ?drop }", "select"),
    ("SELECT * { ?s ?p 'INSERT DATA { <a> <b> <c> }' }", "select"),
    ("SELECT * { ?s ?p ?o } # DELETE WHERE { ?s ?p ?o }", "select"),
    ("SELECT * { ?s ?p 'National Health Service' }", "select"),
    ("SELECT * { ?s ?p ?o }\r\n# a Windows line ending\r\n", "select"),
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
    ("# a comment\nINSERT DATA { <http://a> <http://b> <http://c> }", "INSERT"),
])
def test_updates_are_refused_with_their_keyword(text: str, word: str) -> None:
    with pytest.raises(UsageProblem, match=rf"read-only: SPARQL Update \({word}\)"):
        check(text)


SERVICE_SPELLINGS = [
    f"SELECT * WHERE {{ SERVICE <{X}> {{ ?s ?p ?o }} }}",
    "select * { service silent <http://x/> { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://x/> { ?s ?p ?o } }",
    "SELECT * WHERE { \\U00000053ERVICE <http://x/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o . SERVICE ?endpoint { ?s ?p ?o } }",
    # The bypasses: the old lexer read `false.SERVICE` as one name.
    f"SELECT * WHERE {{ ?s ?p false.SERVICE <{X}> {{ ?a ?b ?c }} }}",
    f"SELECT * WHERE {{ ?s ?p true.SERVICE <{X}> {{ ?a ?b ?c }} }}",
    f"SELECT * WHERE {{ ?s ?p 1.SERVICE <{X}> {{ ?a ?b ?c }} }}",
    f"SELECT * WHERE {{ ?s ?p 'x'@en.SERVICE <{X}> {{ ?a ?b ?c }} }}",
    f"SELECT * WHERE {{ ?s ?p <x:y>.SERVICE <{X}> {{ ?a ?b ?c }} }}",
    f"SELECT * WHERE {{ ?s ?p ?o.SERVICE <{X}> {{ ?a ?b ?c }} }}",
    f"SELECT * WHERE {{ ?s ?p [].SERVICE <{X}> {{ ?a ?b ?c }} }}",
    # Hidden in nested groups and OPTIONALs, and through a variable.
    f"SELECT * WHERE {{ OPTIONAL {{ {{ OPTIONAL {{ SERVICE <{X}> {{ ?s ?p ?o }} }} }} }} }}",
    "SELECT * WHERE { BIND (<http://x/> AS ?e) OPTIONAL { SERVICE ?e { ?s ?p ?o } } }",
    f"ASK {{ FILTER EXISTS {{ SERVICE <{X}> {{ ?s ?p ?o }} }} }}",
    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ MINUS {{ SERVICE <{X}> {{ ?s ?p ?o }} }} }}",
    f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{X}> {{ ?s ?p ?o }} }} }} }}",
]


@pytest.mark.parametrize("text", SERVICE_SPELLINGS)
def test_service_is_refused_unless_allowed(text: str) -> None:
    with pytest.raises(UsageProblem, match="SERVICE would contact another server"):
        check(text)
    assert check(text, allow_service=True) in ("select", "ask", "graph")
    assert verdict(text).service


def test_a_bare_carriage_return_is_refused() -> None:
    # SPARQL ends a comment at CR; rdflib's grammar only at LF. A lone CR is where they disagree.
    for text in (f"SELECT * WHERE {{ #c\rSERVICE <{X}> {{ ?a ?b ?c }} }}",
                 "SELECT * WHERE { ?s ?p ?o } #c\rINSERT DATA { <a:b> <a:c> <a:d> }",
                 "SELECT * WHERE { ?s ?p '''a\rb''' }"):
        with pytest.raises(UsageProblem, match="carriage return without a line feed"):
            check(text, allow_service=True)


def test_service_in_strings_comments_names_and_variables_is_not_service() -> None:
    text = ('PREFIX ex: <http://e/>\nSELECT ?service WHERE { ?service ex:SERVICE "SERVICE <x:y> {}" '
            "# SERVICE <http://x/> { }\n}")
    assert not verdict(text).service
    assert check(text) == "select"


def test_an_unreadable_text_that_spells_service_never_runs() -> None:
    # rdflib's parser stops at this (Oxigraph would read it and call the service); no parser's
    # blind spot may let SERVICE through, so the text is refused.
    text = f"PREFIX kg: <http://k/> SELECT * WHERE {{ VALUES ?x {{ kg:a\\# }} SERVICE <{X}> {{ ?s ?p ?o }} }}"
    assert not verdict(text).parsed
    with pytest.raises(UsageProblem, match="SERVICE may be in this query.*no connection was made"):
        check(text)
    # Keyword letters in any case or through a Unicode case mapping count (rdflib upper-cases).
    assert guard._spells_service("ſERVICE") and guard._spells_service("SERV\\u0049CE")


def test_an_unreadable_text_without_service_runs_locally_but_is_never_sent() -> None:
    text = "SELECT * WHERE { ?s ?p ?o "  # a syntax error: the local engine says where
    found = verdict(text)
    assert not found.parsed and not found.service and found.error
    assert guard.checked(text).parsed is False
    with pytest.raises(UsageProblem, match="SPARQL syntax error.*was not sent"):
        guard.checked(text, remote=True)


def test_nesting_size_and_term_limits() -> None:
    deep = "SELECT * WHERE " + "{" * (MAX_NESTING + 1) + " ?s ?p ?o " + "}" * (MAX_NESTING + 1)
    with pytest.raises(UsageProblem, match="nests brackets"):
        check(deep)
    ok = "SELECT * WHERE " + "{" * 20 + " ?s ?p ?o " + "}" * 20
    assert check(ok) == "select"
    huge = "SELECT * WHERE { ?s ?p ?o }" + " " * MAX_QUERY_CHARS
    with pytest.raises(UsageProblem, match="the limit is"):
        check(huge)
    patterns = "SELECT * WHERE { " + " . ".join(f"?s <http://e/p> ?o{i}" for i in range(MAX_TERMS)) + " }"
    with pytest.raises(UsageProblem, match=r"terms outside VALUES data; the limit is 2,000"):
        check(patterns)
    # VALUES rows are data, read flat by every engine: thousands are fine.
    rows = "SELECT * WHERE { VALUES ?x { " + " ".join(f"<http://e/{i}>" for i in range(20_000)) + " } }"
    assert check(rows) == "select"


@pytest.mark.parametrize("kind", ["patterns", "object-list", "collection", "semicolons"])
def test_query_texts_that_crash_an_engine_are_refused_before_parsing(kind: str) -> None:
    # The segmentation faults (exit 139): 9,000 patterns, 30,000 objects, 11,250-term
    # collections or ;-pairs, each far under the size cap.
    body = {
        "patterns": " . ".join(f"?s{i} <http://e/p> ?o{i}" for i in range(9_000)),
        "object-list": "?s <http://e/p> " + ", ".join(f"<x:{i}>" for i in range(30_000)),
        "collection": "?s <http://e/p> (" + " ".join(str(i) for i in range(11_250)) + ")",
        "semicolons": "?s " + " ; ".join(f"<http://e/p{i}> ?o{i}" for i in range(11_250)),
    }[kind]
    text = "SELECT * WHERE { " + body + " }"
    assert len(text) < MAX_QUERY_CHARS
    with pytest.raises(UsageProblem, match="the limit is"):
        check(text)


@pytest.mark.parametrize("text", ["", "   ", "hello world", "{ ?s ?p ?o }", "PREFIX ex: <http://e/>"])
def test_non_queries_are_refused(text: str) -> None:
    with pytest.raises(UsageProblem):
        check(text)


def test_invalid_escape_is_refused() -> None:
    with pytest.raises(UsageProblem, match="invalid"):
        check("SELECT * WHERE { ?s ?p '\\uD800' }")


def test_the_recursion_limit_is_put_back() -> None:
    before = sys.getrecursionlimit()
    check("SELECT * WHERE { " + " . ".join(f"?s <http://e/p> ?o{i}" for i in range(300)) + " }")
    assert sys.getrecursionlimit() == before


def test_a_template_keeps_its_verdict_when_its_values_are_filled(kg) -> None:
    from aihkg.queries.bind import fill, literal

    template = "SELECT ?s WHERE { VALUES ?q { UNDEF } ?s ?p ?q }"
    filled = fill(template, q=[literal("x\" } SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } #")])
    assert filled.trusted and not filled.service and filled.form == "select"
    assert "SERVICE" in filled.text  # inside the literal, escaped: one term
    assert kg.store.query(filled).rows == []


def test_stores_admit_only_checked_queries(kg) -> None:
    with pytest.raises(UsageProblem, match="SERVICE would contact another server"):
        kg.store.query(f"SELECT * WHERE {{ SERVICE <{X}> {{ ?s ?p ?o }} }}")
    with pytest.raises(UsageProblem, match="SERVICE would contact another server"):
        kg.store.query(guard.checked(f"SELECT * WHERE {{ SERVICE <{X}> {{ ?s ?p ?o }} }}", allow_service=True))
    with pytest.raises(UsageProblem, match="read-only"):
        kg.store.query("DELETE WHERE { ?s ?p ?o }")
    with pytest.raises(TypeError):
        kg.store.query(42)


# --------------------------------------------------------------------------- whole commands, no connection

SECRET = "private-literal-that-must-not-leave"
HIDDEN = {
    "false-dot": ("SELECT * WHERE {{ ?s ?p ?o . FILTER(?o = \"{secret}\") ?s ?p false.SERVICE <{url}/x> "
                  "{{ ?s ?p ?o }} }}"),
    "true-dot": "SELECT * WHERE {{ ?s <http://e/p> true.SERVICE <{url}/x> {{ ?a ?b ?c }} }}",
    "cr-comment": "SELECT * WHERE {{ #hidden\rSERVICE <{url}/x> {{ ?a ?b ?c }} }}",
    "nested-optional": "SELECT * WHERE {{ OPTIONAL {{ OPTIONAL {{ SERVICE <{url}/x> {{ ?a ?b ?c }} }} }} }}",
    "variable": "SELECT * WHERE {{ BIND(<{url}/x> AS ?e) SERVICE ?e {{ ?a ?b ?c }} }}",
}


def _mine(tmp_path: Path, url: str) -> None:
    (tmp_path / "private.ttl").write_text(f'<http://example.org/me> <http://example.org/secret> "{SECRET}" .\n')
    folder = tmp_path / "shared"
    folder.mkdir(exist_ok=True)
    for name, text in HIDDEN.items():
        (folder / f"hidden_{name.replace('-', '_')}.rq").write_text(
            "#+ summary: Looks harmless\n" + text.format(url=url, secret=SECRET) + "\n")


@pytest.mark.parametrize("store", ["memory", "rdflib", "oxigraph"])
@pytest.mark.parametrize("how", sorted(HIDDEN))
def test_hidden_service_never_connects(store: str, how: str, tmp_path: Path) -> None:
    with Listener() as server:
        _mine(tmp_path, server.url)
        spec = ["--store", f"oxigraph:{tmp_path / 'kg'}"] if store == "oxigraph" else \
            (["--store", "rdflib"] if store == "rdflib" else [])
        data = [] if store == "oxigraph" else ["--data", "private.ttl"]
        text = HIDDEN[how].format(url=server.url, secret=SECRET)
        direct = aihkg(*spec, *data, "--timeout", "60", "sparql", "-e", text, cwd=tmp_path)
        shared = aihkg(*spec, *data, "--timeout", "60", "--queries", "shared", "query",
                       f"hidden_{how.replace('-', '_')}", cwd=tmp_path)
        server.drain()
    assert server.requests == [], f"connected: {server.requests[:1]!r}"
    for run in (direct, shared):
        assert run.code == 2, run.err
        assert "refused" in run.err and "Traceback" not in run.err
        assert SECRET not in run.out + run.err


@pytest.mark.parametrize("how", sorted(HIDDEN))
def test_nothing_hidden_is_sent_to_a_remote_store(how: str, tmp_path: Path) -> None:
    with Listener() as endpoint:
        run = aihkg("--store", f"sparql:{endpoint.url}/sparql", "--timeout", "30", "sparql", "-e",
                    HIDDEN[how].format(url="http://127.0.0.1:9", secret=SECRET), cwd=tmp_path)
        endpoint.drain()
    assert endpoint.requests == [], endpoint.requests[:1]
    assert run.code == 2 and "refused" in run.err, run.err


def test_an_update_behind_a_cr_comment_is_never_sent(tmp_path: Path) -> None:
    with Listener() as endpoint:
        run = aihkg("--store", f"sparql:{endpoint.url}/sparql", "sparql", "-e",
                    "SELECT * WHERE { ?s ?p ?o } #\rINSERT DATA { <http://a> <http://b> <http://c> }", cwd=tmp_path)
        update = aihkg("--store", f"sparql:{endpoint.url}/sparql", "sparql", "-e",
                       "# looks like a query\nINSERT DATA { <http://a> <http://b> <http://c> }", cwd=tmp_path)
        endpoint.drain()
    assert endpoint.requests == []
    assert run.code == 2 and "carriage return" in run.err
    assert update.code == 2 and "read-only" in update.err


def test_a_remote_store_gets_exactly_the_checked_text(tmp_path: Path) -> None:
    # The positive control for the tests above: an allowed query does reach the endpoint, as checked.
    from urllib.parse import parse_qs

    from listener import http_reply

    text = "ASK { ?s ?p 'x' }"
    with Listener(http_reply(b'{"head": {}, "boolean": true}')) as endpoint:
        run = aihkg("--store", f"sparql:{endpoint.url}/sparql", "sparql", "-e", text, cwd=tmp_path)
        endpoint.drain()
    assert (run.code, run.out) == (0, "yes\n"), run.err
    assert len(endpoint.requests) == 1
    sent = parse_qs(endpoint.requests[0].partition(b"\r\n\r\n")[2].decode())["query"][0]
    assert sent.endswith(text) and sent.startswith("PREFIX aihkg:")


def test_allowed_service_connects_from_the_sandbox(tmp_path: Path) -> None:
    with Listener() as server:
        run = aihkg("--allow-service", "--timeout", "60", "sparql", "-e",
                    f"SELECT * WHERE {{ SERVICE <{server.url}/sparql> {{ ?s ?p ?o }} }}", cwd=tmp_path)
        server.drain()
    assert server.requests and server.requests[0].startswith((b"POST /sparql", b"GET /sparql")), run.err
    assert run.code == 0, run.err


# --------------------------------------------------------------------------- the sandbox

def _in_sandbox(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_a_memory_bomb_ends_in_one_line(tmp_path: Path) -> None:
    doubling = " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(40))
    text = f'SELECT (STRLEN(?a40) AS ?n) WHERE {{ BIND("aaaaaaaaaaaaaaaa" AS ?a0) {doubling} }}'
    for store in ([], ["--store", "rdflib"]):
        run = aihkg(*store, "--timeout", "100", "sparql", "-e", text, cwd=tmp_path,
                    env={"AIHKG_QUERY_MEMORY_MB": "512"})
        assert run.code == 1, run.err
        lines = run.err.strip().splitlines()
        assert len(lines) == 1 and "needed more memory than its limit of 512 MiB" in lines[0], run.err
        assert "panicked" not in run.err and "backtrace" not in run.err


def test_a_crash_in_the_engine_ends_in_one_line() -> None:
    # A child that dies of SIGSEGV stands for a native crash in an engine.
    code = ("import os, signal\nfrom aihkg.graph import sandbox\n"
            "from aihkg.graph.errors import AihkgError\n"
            "try:\n    sandbox.run_forked(lambda: os.kill(os.getpid(), signal.SIGSEGV), allow_network=False)\n"
            "except AihkgError as e:\n    print(type(e).__name__, e)\n")
    proc = _in_sandbox(code)
    assert proc.stdout.startswith("UsageProblem the query crashed the SPARQL engine (signal 11)"), proc


def test_the_sandbox_opens_no_socket_unless_service_is_allowed() -> None:
    code = ("import socket, json\nfrom aihkg.graph import sandbox\n"
            "def probe():\n    s = socket.socket()\n    s.settimeout(2)\n"
            "    try:\n        s.connect(('127.0.0.1', 9))\n"
            "    except OSError as e:\n        return str(e.errno).encode()\n"
            "    return b'connected'\n"
            "print(json.dumps([sandbox.run_forked(probe, allow_network=False).decode(),"
            " sandbox.run_forked(probe, allow_network=True).decode()]))\n")
    proc = _in_sandbox(code)
    assert proc.returncode == 0, proc.stderr
    closed, open_ = json.loads(proc.stdout)
    # Unreachable network (101, its own namespace) or no descriptor left (24), never refused by a port.
    assert closed in ("101", "24"), closed
    assert open_ == "111"  # ECONNREFUSED: a real network, nothing listening on port 9


def test_a_users_canned_query_runs_in_the_sandbox_and_a_builtin_one_does_not(kg, tmp_path: Path) -> None:
    from aihkg.queries.api import KnowledgeGraph

    (tmp_path / "mine.rq").write_text("#+ summary: Mine\nSELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n")
    mine = KnowledgeGraph(query_dirs=[str(tmp_path)])
    assert not mine.prepare("mine").checked.trusted
    assert kg.prepare("challenges_by_use_count").checked.trusted
    assert int(mine.rows("mine")[0]["n"]) > 8000
    mine.close()


def test_a_kept_verdict_is_used_only_for_its_own_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Verdict entries are named by a short CRC (no OpenSSL in a query process); two texts that share
    a name must never share a verdict, so an entry holding another text is decided afresh."""
    from aihkg.graph.cache import entry_path, text_key, write_entry

    monkeypatch.setenv("AIHKG_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(guard, "_memo", {})
    text = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    innocent = ["select", False, None, None]
    entry = entry_path("guard-mine", text_key(text), ".json")
    # An entry under this text's name that was written for another text (a CRC collision).
    write_entry(entry, json.dumps({"text": "SELECT * WHERE { ?s ?p ?o }", "verdict": innocent}).encode())

    found = verdict(text, remember="mine")

    assert found.form == "select" and found.service  # parsed again, not taken from the entry
    kept = json.loads(entry.read_bytes().partition(b"\n")[2])
    assert kept["text"] == text and kept["verdict"][1] is True  # the entry now holds this text's verdict
    monkeypatch.setattr(guard, "_memo", {})
    assert verdict(text, remember="mine") == found
