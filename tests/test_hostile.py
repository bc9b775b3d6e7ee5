"""Hostile input: bad files, queries, parameters, options and names, on every command.

Each case in CORPUS is one command line and what a careful tool must answer: the exit code (2 for
usage, 1 for data and runtime), one `aihkg: error:` line on stderr that names what is at fault, no
traceback, nothing on stdout, and nothing changed on disk (the working folder, the cache, the
persistent store). The second half proves "no network": a local listener sees no connection when
SERVICE or remote data is refused, and does see one when the user allows it.

Cases run in-process (fast) unless they need a real process: stdin, a timeout that ends the
process, a crash that would take pytest down with it, or a lock held on a persistent store.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import DATA, Run, aihkg

HOSTILE = DATA / "hostile"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"
# Enough address space for a normal command (~0.5 GB), far too little for an entity bomb.
MEMORY_CAP = 2 * 1024**3


def _closed_port() -> int:
    # A port that was free a moment ago: nothing listens there, so a connection would be refused.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CLOSED = _closed_port()
NOWHERE = f"http://127.0.0.1:{CLOSED}"


# --------------------------------------------------------------------------- the workspace


@dataclass(frozen=True)
class Workspace:
    root: Path
    secret: str

    @property
    def store(self) -> Path:
        return self.root / "store"


def _write_generated(root: Path, secret_file: Path) -> None:
    """Fixtures too big, too binary or too machine-specific to keep in git."""
    precious = b"precious bytes that a failed command must keep\n"
    files: dict[str, bytes | str] = {
        "bad_utf8.ttl": b'@prefix ex: <http://example.org/> .\nex:a ex:b "ok" .\nex:a ex:b "\xff\xfe" .\n',
        "binary.ttl": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "empty.ttl": b"  \n\n",
        "data.docx": b"PK\x03\x04 not an RDF file",
        "README": b"a file with no extension\n",
        "a_file": b"a regular file, named where a folder is expected\n",
        "existing.ttl": precious, "existing.rdf": precious, "existing.docx": precious,
        "existing.graphml": precious, "existing.csv": precious,
        "bad_utf8.rq": b'SELECT * WHERE { ?s ?p "\xff" }\n',
        "queries/bad_utf8.rq": b"#+ summary: caf\xe9 in Latin-1\nSELECT * WHERE { ?s ?p ?o } LIMIT 1\n",
        "deep.jsonld": '{"@id": "http://example.org/a", "http://example.org/p": '
                       + "[" * 5000 + "1" + "]" * 5000 + "}",
        "deep601.jsonld": '{"@id": "http://example.org/a", "http://example.org/p": '
                          + '{"http://example.org/p": ' * 600 + "1" + "}" * 600 + "}",
        "huge_literal.nt": '<http://example.org/a> <http://example.org/p> "' + "x" * 10_000_001 + '" .\n',
        "xxe_absolute.rdf": (
            '<?xml version="1.0"?>\n'
            f'<!DOCTYPE rdf:RDF [ <!ENTITY secret SYSTEM "{secret_file.as_uri()}"> ]>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">\n'
            '  <rdf:Description rdf:about="http://example.org/a"><ex:b>&secret;</ex:b></rdf:Description>\n'
            "</rdf:RDF>\n"
        ),
        "huge_query.rq": "SELECT * WHERE { ?s ?p ?o }" + " " * 600_000,
        "deep_braces.rq": "SELECT * WHERE " + "{" * 10_000 + " ?s ?p ?o " + "}" * 10_000,
        "deep_parens.rq": "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }",
        # `kg:a\#` is one prefixed name (PN_LOCAL_ESC); a lexer that reads `#` as a comment misses the rest.
        "hidden_deep.rq": "SELECT * WHERE { VALUES ?x { kg:a\\# } " + "{" * 10_000 + " ?s ?p ?o "
                          + "}" * 10_000 + " }",
        # Flat, short texts whose parse trees are thousands of levels deep.
        "plus_chain.rq": "SELECT (" + "+".join(["1"] * 20_000) + " AS ?x) WHERE {}",
        "or_chain.rq": "SELECT * WHERE { ?s ?p ?o FILTER(" + " || ".join(["?o"] * 20_000) + ") } LIMIT 1",
        "union_chain.rq": "SELECT * WHERE { " + " UNION ".join(["{ ?s a ?o }"] * 15_000) + " }",
        "bind_chain.rq": "SELECT * WHERE { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(5_000)) + " }",
    }
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    for folder in ("folder.ttl", "folder.png", "outdir"):
        (root / folder).mkdir()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(HOSTILE, root, dirs_exist_ok=True)
    secret = f"TOPSECRET-{uuid.uuid4().hex}"
    (root / "secret.txt").write_text(secret + "\n")
    _write_generated(root, root / "secret.txt")
    made = aihkg("--store", "oxigraph:store", "sparql", "-e", "ASK { ?s ?p ?o }", cwd=root)
    assert made.code == 0, made.err
    return Workspace(root, secret)


def _files(root: Path, skip: str | None = None) -> dict[str, str]:
    """Every file and folder under `root` with the SHA-256 of its bytes."""
    found: dict[str, str] = {}
    if not root.is_dir():
        return found
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if skip and (rel == skip or rel.startswith(skip + "/")):
            continue
        found[rel] = "<folder>" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _store_digest(store: Path) -> str:
    """The persistent store's content (RocksDB rewrites its own files even when no triple changes)."""
    import pyoxigraph as ox

    db = ox.Store.read_only(str(store / "oxigraph"))
    digest = hashlib.sha256("\n".join(sorted(str(q) for q in db)).encode()).hexdigest()
    del db
    return digest


def _cache_files() -> dict[str, str]:
    return {k: v for k, v in _files(Path(os.environ["AIHKG_CACHE_DIR"])).items() if not k.endswith(".lock")}


# --------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Bad:
    args: tuple[str, ...]
    code: int
    err: str  # a regex the error line must match: it names what is at fault
    stdin: str | bytes | None = None
    process: bool = False  # run as a real process
    notes: bool = False  # progress notes may precede the error line
    within: float | None = None  # the process must end within this many seconds
    memory_cap: bool = False  # run under RLIMIT_AS, so a memory bomb fails fast instead of swapping


def bad(case_id: str, *args: str, code: int, err: str, **kw: Any) -> Any:
    return pytest.param(Bad(tuple(args), code, err, **kw), id=case_id)


Q = ("query", "challenges_by_use_count")  # a cheap command that loads the graph and any --data
READ_ONLY = r"queries are read-only: SPARQL Update \({}\) is refused"
NO_SERVICE = r"SPARQL SERVICE would contact another server, so it is refused and no connection was made"
SERVICE_AT = f"SERVICE <{NOWHERE}/sparql> {{ ?s ?p ?o }}"
TRIPLE = "<http://example.org/a> <http://example.org/b> <http://example.org/c>"

CORPUS = [
    # ---- commands and options: Click's own checks, reworded to one line with the command's help
    bad("option-unknown-command", "frobnicate", code=2, err=r"No such command 'frobnicate'.*'aihkg --help'"),
    bad("option-unknown-global", "--frobnicate", "queries", code=2, err=r"No such option '--frobnicate'"),
    bad("option-unknown-for-command", *Q, "--frobnicate", code=2,
        err=r"No such option '--frobnicate'.*'aihkg query --help'"),
    bad("option-unknown-result-format", *Q, "--format", "xls", code=2, err=r"'--format'.*'xls' is not one of"),
    bad("option-unknown-export-format", "export", "-f", "docx", "-o", "existing.ttl", code=2,
        err=r"'-f' / '--format'.*'docx' is not one of"),
    bad("option-export-format-from-name", "export", "-o", "existing.docx", code=2,
        err=r"cannot tell the export format from 'existing\.docx'; name it with -f"),
    bad("option-unknown-data-format", "--data", "data.docx", "--data-format", "word", *Q, code=2,
        err=r"unknown RDF format 'word'"),
    bad("option-negative-timeout", "--timeout", "-1", "queries", code=2, err=r"'--timeout'.*-1"),
    bad("option-limit-not-a-number", *Q, "--limit", "many", code=2, err=r"'--limit'.*'many'"),
    bad("option-depth-out-of-range", "viz", "--focus", "MHRA", "--depth", "99", code=2, err=r"'--depth'.*99"),
    bad("option-sparql-no-query", "sparql", code=2, err=r"give the query as FILE, '-' \(stdin\) or -e TEXT"),
    bad("option-sparql-two-queries", "sparql", "-e", "ASK {}", "syntax_error.rq", code=2, err=r"exactly one"),
    bad("option-rank-unknown-class", "rank", "--class", "Nonsense", code=2,
        err=r"no individual belongs to class Nonsense"),
    bad("option-viz-unknown-property", "viz", "--property", "nonsenseRelation", "-o", "new.png", code=2,
        err=r"nonsenseRelation"),
    # ---- canned query names and user query folders
    bad("query-name-typo", "query", "challenges_by_use_cnt", code=2,
        err=r"no canned query named 'challenges_by_use_cnt'; did you mean challenges_by_use_count"),
    bad("query-name-unknown", "query", "weather_forecast", code=2,
        err=r"no canned query named 'weather_forecast'; `aihkg queries` lists them"),
    bad("query-name-path", "query", "../../etc/passwd", code=2, err=r"no canned query named '\.\./\.\./etc/passwd'"),
    bad("query-dir-missing", "--queries", "no_such_folder", "query", "x", code=2,
        err=r"--queries no_such_folder: no such folder"),
    bad("query-dir-bad-yaml", "--queries", "queries", "query", "bad_yaml", code=1,
        err=r"queries/bad_yaml\.rq: the #\+ header is not valid YAML"),
    bad("query-dir-unsafe-yaml", "--queries", "queries", "query", "unsafe_yaml", code=1,
        err=r"queries/unsafe_yaml\.rq: the #\+ header is not valid YAML"),
    bad("query-dir-no-summary", "--queries", "queries", "query", "no_summary", code=1,
        err=r"queries/no_summary\.rq: the #\+ header needs at least a 'summary:' line"),
    bad("query-dir-unknown-type", "--queries", "queries", "query", "unknown_type", code=1,
        err=r"queries/unknown_type\.rq: parameter 'colour' has unknown type 'colour'"),
    bad("query-dir-not-utf8", "--queries", "queries", "query", "bad_utf8", code=1,
        err=r"queries/bad_utf8\.rq(:\d+)?: not valid UTF-8"),
    bad("query-dir-syntax-error", "--queries", "queries", "query", "syntax_error", code=2,
        err=r"queries/syntax_error\.rq.*SPARQL syntax error"),
    # ---- parameters
    bad("param-not-a-year", "query", "regulatory_timeline", "-p", "from_year=abc", code=2,
        err=r"parameter 'from_year' expects a year such as 2021, got 'abc'"),
    bad("param-year-overflow", "query", "regulatory_timeline", "-p", "from_year=99999999999999999999", code=2,
        err=r"parameter 'from_year' expects a year"),
    bad("param-year-injection", "query", "regulatory_timeline", "-p", "from_year=2021 } ; DROP ALL ; #", code=2,
        err=r"parameter 'from_year' expects a year"),
    bad("param-unknown-suggests", *Q, "-p", "categry=legal", code=2,
        err=r"query 'challenges_by_use_count' has no parameter 'categry' \(did you mean 'category'\?\)"),
    bad("param-missing-required", "query", "regulations_enforced_by", code=2,
        err=r"query 'regulations_enforced_by' needs -p organisation=\.\.\."),
    bad("param-not-key-value", "query", "regulations_enforced_by", "-p", "organisation", code=2,
        err=r"-p expects KEY=VALUE, got 'organisation'"),
    bad("param-empty-key", "query", "regulations_enforced_by", "-p", "=MHRA", code=2,
        err=r"-p expects KEY=VALUE, got '=MHRA'"),
    bad("param-repeated", "query", "regulatory_timeline", "-p", "from_year=2021", "-p", "from_year=2022", code=2,
        err=r"parameter 'from_year' takes one value, got 2"),
    # ---- entity names (parameters, describe, search, path, viz)
    bad("entity-unknown-suggests", "query", "regulations_enforced_by", "-p", "organisation=MHRB", code=2,
        err=r"no organisation named 'MHRB' in the graph; did you mean 'mhra' \(kg:MHRA\)"),
    bad("entity-empty", "query", "regulations_enforced_by", "-p", "organisation=", code=2,
        err=r"organisation name is empty"),
    bad("entity-wrong-class", "query", "regulations_enforced_by", "-p", "organisation=kg:AlgorithmicBias", code=2,
        err=r"kg:AlgorithmicBias is not in the graph as an organisation"),
    bad("entity-unknown-curie", "query", "sources_for", "-p", "entity=kg:NoSuchThing", code=2,
        err=r"kg:NoSuchThing is not in the graph"),
    bad("entity-iri-injection", "query", "sources_for", "-p", f"entity=kg:MHRA> }} {SERVICE_AT} {{", code=2,
        err=r"is not a valid IRI"),
    bad("entity-label-injection", "query", "sources_for", "-p", 'entity=" } ; DROP ALL ; SELECT * { "', code=2,
        err=r"no entity named '\" \} ; DROP ALL ; SELECT \* \{ \"' in the graph"),
    bad("entity-not-utf8", "query", "sources_for", "-p", "entity=caf\udce9", code=2, err=r"not valid UTF-8"),
    bad("entity-backslash-u-rdflib", "--store", "rdflib", "describe", "MHRA\\u0041", code=2,
        err=r"no entity named 'MHRA\\u0041' in the graph"),
    bad("describe-unknown-suggests", "describe", "MHRB", code=2,
        err=r"no entity named 'MHRB' in the graph; did you mean 'mhra' \(kg:MHRA\)"),
    bad("describe-invalid-iri", "describe", "<not an iri>", code=2, err=r"'not an iri' is not a valid IRI"),
    bad("describe-not-utf8", "describe", "MH\udcffRA", code=2, err=r"not valid UTF-8"),
    bad("search-empty", "search", "   ", code=2, err=r"search text is empty"),
    bad("search-not-utf8", "search", "bi\udcffas", code=2, err=r"not valid UTF-8"),
    bad("path-unknown-start", "path", "Atlantis", "Narnia", code=2, err=r"no entity named 'Atlantis' in the graph"),
    bad("path-unknown-end", "path", "MHRA", "Narnia", code=2, err=r"no entity named 'Narnia' in the graph"),
    bad("viz-unknown-focus", "viz", "--focus", "Atlantis", "-o", "new.png", code=2,
        err=r"no entity named 'Atlantis' in the graph"),
    bad("viz-unknown-class", "viz", "--class", "Nonsense", "-o", "new.png", code=2,
        err=r"no individual belongs to class Nonsense"),
    # ---- SPARQL Update, however it is spelled or wherever it comes from
    bad("update-insert-data", "sparql", "-e", f"INSERT DATA {{ {TRIPLE} }}", code=2, err=READ_ONLY.format("INSERT")),
    bad("update-delete-where", "sparql", "-e", "DELETE WHERE { ?s ?p ?o }", code=2, err=READ_ONLY.format("DELETE")),
    bad("update-with", "sparql", "-e", "WITH <http://e/g> DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
        code=2, err=READ_ONLY.format("WITH")),
    bad("update-load", "sparql", "-e", f"LOAD <{NOWHERE}/x.ttl>", code=2, err=READ_ONLY.format("LOAD")),
    bad("update-clear", "sparql", "-e", "CLEAR ALL", code=2, err=READ_ONLY.format("CLEAR")),
    bad("update-drop", "sparql", "-e", "DROP GRAPH <https://w3id.org/aihkg/graph/builtin>", code=2,
        err=READ_ONLY.format("DROP")),
    bad("update-copy", "sparql", "-e", "COPY DEFAULT TO <http://e/g>", code=2, err=READ_ONLY.format("COPY")),
    bad("update-lowercase", "sparql", "-e", f"insert data {{ {TRIPLE} }}", code=2, err=READ_ONLY.format("INSERT")),
    bad("update-behind-prefix-and-comment", "sparql", "-e",
        f"PREFIX ex: <http://e/>\n# SELECT * WHERE {{ }}\nINSERT DATA {{ {TRIPLE} }}", code=2,
        err=READ_ONLY.format("INSERT")),
    bad("update-after-select", "sparql", "-e", f"SELECT * WHERE {{ ?s ?p ?o }} ; INSERT DATA {{ {TRIPLE} }}",
        code=2, err=READ_ONLY.format("INSERT")),
    bad("update-u-escape", "sparql", "-e", f"\\u0049NSERT DATA {{ {TRIPLE} }}", code=2,
        err=READ_ONLY.format("INSERT")),
    bad("update-U-escape", "sparql", "-e", "\\U00000044ELETE WHERE { ?s ?p ?o }", code=2,
        err=READ_ONLY.format("DELETE")),
    bad("update-file", "sparql", "queries/update.rq", code=2, err=READ_ONLY.format("INSERT")),
    bad("update-canned", "--queries", "queries", "query", "update", code=2, err=READ_ONLY.format("INSERT")),
    bad("update-canned-escaped", "--queries", "queries", "query", "escaped_update", code=2,
        err=READ_ONLY.format("DELETE")),
    bad("update-stdin", "sparql", "-", stdin=f"DELETE DATA {{ {TRIPLE} }}", process=True, code=2,
        err=READ_ONLY.format("DELETE")),
    bad("update-persistent-store", "--store", "oxigraph:store", "sparql", "-e", "CLEAR ALL", process=True, code=2,
        err=READ_ONLY.format("CLEAR")),
    bad("update-rdflib-store", "--store", "rdflib", "sparql", "-e", "DROP ALL", code=2, err=READ_ONLY.format("DROP")),
    # ---- SERVICE (the listener tests below prove no connection is made)
    bad("service-plain", "sparql", "-e", f"SELECT * WHERE {{ {SERVICE_AT} }}", code=2, err=NO_SERVICE),
    bad("service-silent-lowercase", "sparql", "-e", f"select * {{ service silent <{NOWHERE}/> {{ ?s ?p ?o }} }}",
        code=2, err=NO_SERVICE),
    bad("service-u-escape", "sparql", "-e", f"SELECT * WHERE {{ \\u0053ERVICE <{NOWHERE}/> {{ ?s ?p ?o }} }}",
        code=2, err=NO_SERVICE),
    bad("service-variable", "sparql", "-e", "SELECT * WHERE { ?s ?p ?o . SERVICE ?endpoint { ?s ?p ?o } }",
        code=2, err=NO_SERVICE),
    bad("service-canned", "--queries", "queries", "query", "service", code=2, err=NO_SERVICE),
    bad("service-rdflib-store", "--store", "rdflib", "sparql", "-e", f"SELECT * WHERE {{ {SERVICE_AT} }}", code=2,
        err=NO_SERVICE),
    bad("service-after-variable-dot", "sparql", "-e", f"SELECT * WHERE {{ ?s ?p ?o.{SERVICE_AT} }}", code=2,
        err=NO_SERVICE),
    bad("service-after-escaped-hash", "sparql", "-e", f"SELECT * WHERE {{ VALUES ?x {{ kg:a\\# }} {SERVICE_AT} }}",
        code=2, err=NO_SERVICE),
    bad("service-after-escaped-quote", "sparql", "-e", f"SELECT * WHERE {{ VALUES ?x {{ kg:a\\' }} {SERVICE_AT} }}",
        code=2, err=NO_SERVICE),
    # ---- query text: syntax, encoding, size, nesting, parse trees deep enough to crash the engine
    bad("sparql-syntax-position", "sparql", "-e", "SELECT * WHERE { ?s ?p ?o ", code=2,
        err=r"SPARQL syntax error: error at 1:27\b"),
    bad("sparql-syntax-position-file", "sparql", "syntax_error.rq", code=2, err=r"SPARQL syntax error.*\b4:1\b"),
    bad("sparql-empty", "sparql", "-e", "", code=2, err=r"query text is empty"),
    bad("sparql-not-a-query", "sparql", "-e", "hello world", code=2, err=r"not a SPARQL query"),
    bad("sparql-bad-escape", "sparql", "-e", 'SELECT * WHERE { ?s ?p "\\uD800" }', code=2,
        err=r"invalid \\u escape at character 25"),
    bad("sparql-file-missing", "sparql", "no_such.rq", code=1, err=r"no_such\.rq: no such file"),
    bad("sparql-file-folder", "sparql", "folder.ttl", code=1, err=r"folder\.ttl: is a folder, not a query file"),
    bad("sparql-file-not-utf8", "sparql", "bad_utf8.rq", code=1, err=r"bad_utf8\.rq:1: not valid UTF-8"),
    bad("sparql-stdin-not-utf8", "sparql", "-", stdin=b'SELECT * WHERE { ?s ?p "\xff\xfe" }', process=True,
        code=1, err=r"stdin.*not valid UTF-8"),
    bad("sparql-argument-not-utf8", "sparql", "-e", 'SELECT * WHERE { ?s ?p "\udcff" }', code=2,
        err=r"not valid UTF-8"),
    bad("limit-huge-query", "sparql", "huge_query.rq", code=2,
        err=r"query text is 600,027 characters; the limit is 500,000"),
    bad("limit-deep-braces", "sparql", "deep_braces.rq", process=True, code=2,
        err=r"query nests brackets 10000 levels deep; the limit is 100"),
    bad("limit-deep-parens", "sparql", "deep_parens.rq", process=True, code=2,
        err=r"query nests brackets 10002 levels deep; the limit is 100"),
    bad("limit-deep-behind-escape", "sparql", "hidden_deep.rq", process=True, code=2,
        err=r"query nests brackets 1000\d levels deep"),
    bad("limit-plus-chain", "sparql", "plus_chain.rq", process=True, code=2, err=r"the limit is"),
    bad("limit-or-chain", "sparql", "or_chain.rq", process=True, code=2, err=r"the limit is"),
    bad("limit-union-chain", "sparql", "union_chain.rq", process=True, code=2, err=r"the limit is"),
    bad("limit-bind-chain", "sparql", "bind_chain.rq", process=True, code=2, err=r"the limit is"),
    # ---- --data files
    bad("data-missing", "--data", "no_such.ttl", *Q, code=1, err=r"no_such\.ttl: no such file"),
    bad("data-folder", "--data", "folder.ttl", *Q, code=1, err=r"folder\.ttl: is a folder, not an RDF file"),
    bad("data-empty", "--data", "empty.ttl", *Q, code=1, err=r"empty\.ttl: file is empty"),
    bad("data-binary", "--data", "binary.ttl", *Q, code=1, err=r"binary\.ttl: looks like a binary file, not Turtle"),
    bad("data-not-utf8", "--data", "bad_utf8.ttl", *Q, code=1, err=r"bad_utf8\.ttl:3: not valid UTF-8"),
    bad("data-turtle-syntax", "--data", "syntax_error.ttl", *Q, code=1,
        err=r"syntax_error\.ttl:3:\d+: not valid Turtle: "),
    bad("data-turtle-syntax-rdflib", "--store", "rdflib", "--data", "syntax_error.ttl", *Q, code=1,
        err=r"syntax_error\.ttl:3:\d+: not valid Turtle: "),
    bad("data-unknown-extension", "--data", "data.docx", *Q, code=2,
        err=r"data\.docx: cannot tell the RDF format from the extension '\.docx'; name it with --data-format"),
    bad("data-no-extension", "--data", "README", *Q, code=2,
        err=r"README: cannot tell the RDF format from the extension '\(none\)'"),
    bad("data-wrong-format-named", "--data", "syntax_error.ttl", "--data-format", "jsonld", *Q, code=1,
        err=r"syntax_error\.ttl:1: not valid JSON"),
    bad("data-xxe-absolute", "--data", "xxe_absolute.rdf", *Q, code=1,
        err=r"xxe_absolute\.rdf: RDF/XML refused: its DTD declares an external entity"),
    bad("data-xxe-relative", "--data", "xxe_relative.rdf", *Q, code=1,
        err=r"xxe_relative\.rdf: RDF/XML refused: its DTD declares an external entity"),
    bad("data-xxe-parameter", "--data", "xxe_parameter.rdf", *Q, code=1,
        err=r"xxe_parameter\.rdf: RDF/XML refused: its DTD declares a parameter entity"),
    bad("data-xxe-export", "--data", "xxe_absolute.rdf", "export", "-f", "nt", code=1,
        err=r"xxe_absolute\.rdf: RDF/XML refused: its DTD declares an external entity"),
    bad("data-xxe-validate", "validate", "--no-reasoner", "xxe_absolute.rdf", code=1,
        err=r"xxe_absolute\.rdf: RDF/XML refused: its DTD declares an external entity"),
    bad("data-billion-laughs", "--data", "billion_laughs.rdf", *Q, process=True, memory_cap=True, code=1,
        err=r"billion_laughs\.rdf.*entit"),
    bad("data-jsonld-deep", "--data", "deep.jsonld", *Q, code=1,
        err=r"deep\.jsonld: JSON-LD is nested too deeply to read safely"),
    bad("data-jsonld-over-limit", "--data", "deep601.jsonld", *Q, code=1,
        err=r"deep601\.jsonld: JSON-LD is nested 601 levels deep; the limit is 500"),
    bad("data-jsonld-remote-context", "--data", "remote_context.jsonld", *Q, code=1,
        err=r"remote_context\.jsonld: not valid JSON-LD: .*remote context"),
    bad("data-jsonld-bad-json", "--data", "bad_json.jsonld", *Q, code=1, err=r"bad_json\.jsonld:2: not valid JSON"),
    bad("data-huge-literal", "--data", "huge_literal.nt", *Q, code=1,
        err=r"huge_literal\.nt: a literal of 10,000,001 characters on <http://example\.org/a> exceeds the limit"),
    bad("data-remote-http", "--data", f"{NOWHERE}/x.ttl", *Q, code=2,
        err=r"remote data is not loaded by default \(no connection was made\).*--allow-remote"),
    bad("data-remote-https", "--data", "https://example.org/x.ttl", *Q, code=2,
        err=r"https://example\.org/x\.ttl: remote data is not loaded by default"),
    bad("data-remote-validate", "validate", "--no-reasoner", f"{NOWHERE}/x.ttl", code=2,
        err=r"remote data is not loaded by default"),
    bad("data-file-url-missing", "--data", "file:///no/such/x.ttl", *Q, code=1, err=r"/no/such/x\.ttl: no such file"),
    bad("data-validate-missing", "validate", "--no-reasoner", "no_such.ttl", code=1, err=r"no_such\.ttl: no such file"),
    bad("data-with-persistent-store", "--store", "oxigraph:store", "--data", "syntax_error.ttl", *Q, process=True,
        code=2, err=r"--data merges files into the memory or rdflib store only; use `aihkg load FILE`"),
    # ---- stores
    bad("store-unknown", "--store", "bogus", *Q, code=2, err=r"unknown store 'bogus'"),
    bad("store-oxigraph-without-folder", "--store", "oxigraph:", *Q, code=2, err=r"unknown store 'oxigraph:'"),
    bad("store-oxigraph-on-a-file", "--store", "oxigraph:a_file", *Q, code=2, err=r"oxigraph:a_file: not a folder"),
    bad("store-oxigraph-under-a-file", "--store", "oxigraph:a_file/store", *Q, process=True, code=1,
        err=r"oxigraph:a_file/store: cannot create the store folder \(Not a directory\)"),
    bad("store-sparql-not-http", "--store", "sparql:ftp://example.org/q", *Q, code=2,
        err=r"--store sparql:ftp://example\.org/q: expected sparql:QUERY_URL"),
    bad("store-sparql-three-urls", "--store", "sparql:http://a/q,http://b/u,http://c/x", *Q, code=2,
        err=r"expected sparql:QUERY_URL or sparql:QUERY_URL,UPDATE_URL"),
    bad("store-sparql-unreachable", "--store", f"sparql:{NOWHERE}/q", *Q, code=1,
        err=rf"cannot reach {re.escape(NOWHERE)}/q"),
    bad("store-no-builtin-data-persistent", "--no-builtin-data", "--store", "oxigraph:store", *Q, process=True,
        code=2, err=r"--no-builtin-data applies to the memory and rdflib stores"),
    bad("load-memory-store", "load", "syntax_error.ttl", code=2,
        err=r"`aihkg load` writes to a persistent store: use --store oxigraph:DIR"),
    bad("load-sparql-store", "--store", f"sparql:{NOWHERE}/q", "load", "syntax_error.ttl", code=2,
        err=r"`aihkg load` writes to a persistent store"),
    bad("load-no-files", "--store", "oxigraph:store", "load", process=True, code=2,
        err=r"name at least one FILE to load"),
    bad("load-remote", "--store", "oxigraph:store", "load", f"{NOWHERE}/x.ttl", process=True, notes=True, code=2,
        err=r"`aihkg load` reads local files only"),
    bad("load-missing", "--store", "oxigraph:store", "load", "no_such.ttl", process=True, notes=True, code=1,
        err=r"no_such\.ttl: no such file"),
    bad("load-unknown-extension", "--store", "oxigraph:store", "load", "data.docx", process=True, notes=True, code=2,
        err=r"data\.docx: cannot tell the RDF format"),
    bad("load-syntax-error", "--store", "oxigraph:store", "load", "syntax_error.ttl", process=True, notes=True,
        code=1, err=r"syntax_error\.ttl:3:\d+: not valid Turtle: .*nothing from this file was kept"),
    bad("load-huge-literal", "--store", "oxigraph:store", "load", "huge_literal.nt", process=True, notes=True,
        code=1, err=r"huge_literal\.nt: a literal of 10,000,001 characters"),
    bad("load-billion-laughs", "--store", "oxigraph:store", "load", "billion_laughs.rdf", process=True, notes=True,
        memory_cap=True, code=1,
        err=r"billion_laughs\.rdf: RDF/XML refused: its DTD declares an entity whose value refers to other "
            r"entities.*nothing from this file was kept"),
    bad("push-memory-store", "push", code=2, err=r"`aihkg push` uploads to a SPARQL endpoint"),
    bad("push-persistent-store", "--store", "oxigraph:store", "push", process=True, code=2,
        err=r"`aihkg push` uploads to a SPARQL endpoint"),
    # ---- outputs: an existing file keeps its bytes, a failed write leaves no temp file
    bad("export-under-a-file", "export", "-o", "a_file/out.ttl", code=1,
        err=r"a_file/out\.ttl: cannot write \(Not a directory\); nothing was changed"),
    bad("export-to-a-folder", "export", "-f", "nt", "-o", "outdir", code=1,
        err=r"outdir: cannot write \(Is a directory\); nothing was changed"),
    bad("export-inferred-network", "export", "--inferred", "-f", "graphml", "-o", "existing.graphml", code=2,
        err=r"--inferred applies to RDF formats"),
    # A limit far below what loading the graph takes, so the export always overruns it.
    bad("export-timeout", "--timeout", "0.05", "export", "-f", "turtle", "-o", "existing.ttl", process=True,
        within=15, code=1, err=r"the export did not finish within 0\.05 s \(--timeout\); stopped"),
    bad("output-under-a-file", *Q, "--format", "csv", "-o", "a_file/out.csv", code=1,
        err=r"a_file/out\.csv: cannot write \(Not a directory\)"),
    bad("output-timeout", "--timeout", "1", "sparql", "-e", CARTESIAN, "-o", "existing.csv", process=True,
        within=15, code=1, err=r"the query did not finish within 1 s"),
    bad("viz-not-a-picture", "viz", "-o", "file.txt", code=2,
        err=r"file\.txt: pictures are \.png, \.svg, \.pdf \(or \.html"),
    bad("viz-to-a-folder", "viz", "--focus", "MHRA", "-o", "folder.png", code=1,
        err=r"folder\.png: cannot write \(Is a directory\)"),
    bad("viz-under-a-file", "viz", "--focus", "MHRA", "-o", "a_file/x.png", code=1, err=r"a_file/x\.png: cannot write"),
    # ---- --timeout ends a runaway query, in native code (Oxigraph) and in Python (rdflib)
    bad("timeout-oxigraph", "--timeout", "2", "sparql", "-e", CARTESIAN, process=True, within=2 + 4, code=1,
        err=r"the query did not finish within 2 s \(--timeout\); stopped"),
    bad("timeout-rdflib", "--store", "rdflib", "--timeout", "2", "sparql", "-e", CARTESIAN, process=True,
        within=2 + 4, code=1, err=r"the query did not finish within 2 s \(--timeout\); stopped"),
]


def _capped_process(args: tuple[str, ...], cwd: Path, stdin: bytes | None) -> Run:
    """Like conftest.aihkg, but with bytes on stdin and a cap on address space (for a memory bomb)."""
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "aihkg", *args], input=stdin, capture_output=True, cwd=cwd,
                          env=env, timeout=300, preexec_fn=cap)
    return Run(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


def _run(case: Bad, ws: Workspace, cli_run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch) -> Run:
    if case.memory_cap or isinstance(case.stdin, bytes):
        stdin = case.stdin.encode() if isinstance(case.stdin, str) else case.stdin
        return _capped_process(case.args, ws.root, stdin)
    if case.process:
        return aihkg(*case.args, stdin=case.stdin, cwd=ws.root)
    monkeypatch.chdir(ws.root)
    return cli_run(*case.args)


@pytest.mark.parametrize("case", CORPUS)
def test_hostile_input_is_refused_cleanly(case: Bad, workspace: Workspace, cli_run: Callable[..., Run],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    touches_store = any(a.startswith("oxigraph:store") for a in case.args)
    files_before = _files(workspace.root, skip="store")
    cache_before = _cache_files()
    store_before = _store_digest(workspace.store) if touches_store else None

    started = time.monotonic()
    run = _run(case, workspace, cli_run, monkeypatch)
    elapsed = time.monotonic() - started

    assert run.code == case.code, f"exit {run.code}; stderr: {run.err[-2000:]!r}"
    for crash in ("Traceback", "stack backtrace", "panicked", "internal error"):
        assert crash not in run.err, run.err[-2000:]
    lines = run.err.strip().splitlines()
    assert lines and lines[-1].startswith("aihkg: error: "), run.err
    assert sum(line.startswith("aihkg: error:") for line in lines) == 1, run.err
    if not case.notes:
        assert len(lines) == 1, run.err
    assert re.search(case.err, lines[-1]), f"{case.err!r} not in {lines[-1]!r}"
    assert run.out == "", "a refused command must not print a partial answer"
    assert workspace.secret not in run.out + run.err
    if case.within is not None:
        assert elapsed < case.within, f"took {elapsed:.1f} s"

    assert _files(workspace.root, skip="store") == files_before
    cache_after = _cache_files()
    assert {k: cache_after.get(k) for k in cache_before} == cache_before
    assert not [k for k in cache_after if k.endswith(".tmp")]
    if touches_store:
        assert _store_digest(workspace.store) == store_before


def test_corpus_is_broad() -> None:
    categories = {p.id.split("-", 1)[0] for p in CORPUS}
    assert len(CORPUS) >= 40
    assert {"option", "query", "param", "entity", "update", "service", "sparql", "limit", "data", "store", "load",
            "push", "export", "viz", "path", "timeout"} <= categories


# --------------------------------------------------------------------------- row limits are announced


def test_table_row_limit_is_announced(cli_run: Callable[..., Run]) -> None:
    shown = cli_run("query", "challenges_by_use_count", "--limit", "2")
    assert shown.code == 0, shown.err
    lines = shown.out.rstrip("\n").splitlines()
    notice = re.fullmatch(r"(\d+) rows \(showing the first 2; --limit 0 shows all, --format csv writes all\)",
                          lines[-1])
    assert notice, lines[-1]
    assert len(lines) == 2 + 2 + 1  # header, rule, two rows, the notice
    every = cli_run("query", "challenges_by_use_count", "--format", "csv")
    assert len(every.out.strip().splitlines()) == int(notice.group(1)) + 1  # csv: a header and every row
    default = cli_run("sparql", "-e", "SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    assert default.code == 0
    assert re.search(r"^\d+ rows \(showing the first 200; --limit 0 shows all", default.out, re.M)


EXPORTS = ["turtle", "nt", "jsonld", "trig", "graphml", "gexf", "cytoscape", "xml"]


@pytest.mark.parametrize("fmt", EXPORTS)
def test_every_export_reports_in_one_line(fmt: str, tmp_path: Path) -> None:
    # A real process: in-process, pytest's own warning capture would hide what a user sees.
    run = aihkg("export", "-f", fmt, "-o", "out.file", cwd=tmp_path)
    assert run.code == 0, run.err
    assert run.err.splitlines() == [next(iter(run.err.splitlines()), "")]
    assert re.fullmatch(rf"wrote out\.file \({fmt}, [\d,]+ bytes\)\n", run.err), run.err[:500]


# --------------------------------------------------------------------------- no network unless allowed


class Listener:
    """A TCP server on 127.0.0.1 that records every connection made to it.

    It answers each request with `reply`, so a client that does connect finishes quickly
    instead of waiting for its own timeout.
    """

    def __init__(self, reply: bytes = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                      b"Connection: close\r\n\r\n") -> None:
        self.reply = reply
        self.requests: list[bytes] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        # A connection that arrived after the thread's last accept() still waits in the backlog.
        self._sock.setblocking(False)
        with suppress(OSError):
            while True:
                conn, _ = self._sock.accept()
                self._answer(conn)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.setblocking(True)
            conn.settimeout(5)
            try:
                data = conn.recv(65536)
            except OSError:
                data = b""
            self.requests.append(data or b"<connected>")
            with suppress(OSError):
                conn.sendall(self.reply)


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as server:
        yield server


def _user_queries(folder: Path, port: int) -> Path:
    folder.mkdir(exist_ok=True)
    here = f"http://127.0.0.1:{port}/sparql"
    (folder / "federated.rq").write_text(
        f"#+ summary: Reaches another server\nSELECT * WHERE {{ SERVICE <{here}> {{ ?s ?p ?o }} }}\n")
    (folder / "federated_hidden.rq").write_text(
        f"#+ summary: Reaches another server behind a var name\nSELECT * WHERE {{ ?s ?p ?o.SERVICE <{here}> "
        "{ ?s ?p ?o } }\n")
    return folder


SERVICE_REFUSED = [
    pytest.param(("sparql", "-e", "SELECT * WHERE { SERVICE <{url}/sparql> { ?s ?p ?o } }"), id="sparql-e"),
    pytest.param(("sparql", "query.rq"), id="sparql-file"),
    pytest.param(("sparql", "-"), id="sparql-stdin"),
    pytest.param(("--queries", "mine", "query", "federated"), id="canned-user-query"),
    pytest.param(("--store", "rdflib", "sparql", "-e", "SELECT * WHERE { SERVICE <{url}/s> { ?s ?p ?o } }"),
                 id="rdflib-store"),
    pytest.param(("sparql", "-e", "SELECT * WHERE { ?s ?p ?o.SERVICE <{url}/sparql> { ?s ?p ?o } }"),
                 id="hidden-after-variable-dot"),
    pytest.param(("sparql", "-e", "SELECT * WHERE { VALUES ?x { kg:a\\# } SERVICE <{url}/sparql> { ?s ?p ?o } }"),
                 id="hidden-after-escaped-hash"),
    pytest.param(("--queries", "mine", "query", "federated_hidden"), id="canned-user-query-hidden"),
]


@pytest.mark.parametrize("args", SERVICE_REFUSED)
def test_refused_service_never_connects(args: tuple[str, ...], listener: Listener, tmp_path: Path) -> None:
    _user_queries(tmp_path / "mine", listener.port)
    text = f"SELECT * WHERE {{ SERVICE <{listener.url}/sparql> {{ ?s ?p ?o }} }}"
    (tmp_path / "query.rq").write_text(text)
    argv = [a.replace("{url}", listener.url) for a in args]
    run = aihkg("--timeout", "20", *argv, stdin=text if argv[-1] == "-" else None, cwd=tmp_path)
    assert listener.requests == [], f"connected although refused: {listener.requests[:1]!r}; {run.err!r}"
    assert run.code == 2, run.err
    assert "no connection was made" in run.err


def test_allowed_service_does_connect(listener: Listener, tmp_path: Path) -> None:
    # The positive control: the same query with --allow-service reaches the listener, so the
    # silence above means "refused", not "the listener could not be reached".
    run = aihkg("--allow-service", "--timeout", "20", "sparql", "-e",
                f"SELECT * WHERE {{ SERVICE <{listener.url}/sparql> {{ ?s ?p ?o }} }}", cwd=tmp_path)
    assert listener.requests, run.err
    assert listener.requests[0].startswith((b"POST /sparql", b"GET /sparql"))
    assert run.code == 1 and "Traceback" not in run.err  # the listener answers 503


REMOTE_REFUSED = [
    pytest.param(("--data", "{url}/x.ttl", "query", "challenges_by_use_count"), id="data-memory"),
    pytest.param(("--store", "rdflib", "--data", "{url}/x.ttl", "query", "challenges_by_use_count"),
                 id="data-rdflib"),
    pytest.param(("validate", "--no-reasoner", "{url}/x.ttl"), id="validate"),
    pytest.param(("--store", "oxigraph:store", "load", "{url}/x.ttl"), id="load"),
]


@pytest.mark.parametrize("args", REMOTE_REFUSED)
def test_refused_remote_data_never_connects(args: tuple[str, ...], listener: Listener, tmp_path: Path) -> None:
    run = aihkg("--timeout", "20", *[a.replace("{url}", listener.url) for a in args], cwd=tmp_path)
    assert listener.requests == [], f"connected although refused: {listener.requests[:1]!r}"
    assert run.code == 2, run.err
    assert re.search(r"no connection was made|reads local files only", run.err)


def test_allowed_remote_data_does_connect(tmp_path: Path) -> None:
    body = b"<http://example.org/fetched> <http://example.org/p> \"over the wire\" .\n"
    reply = (b"HTTP/1.1 200 OK\r\nContent-Type: application/n-triples\r\nContent-Length: "
             + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    with Listener(reply) as server:
        run = aihkg("--allow-remote", "--timeout", "20", "--data", f"{server.url}/x.nt", "sparql", "-e",
                    "ASK { <http://example.org/fetched> ?p ?o }", cwd=tmp_path)
    assert server.requests and server.requests[0].startswith(b"GET /x.nt"), run.err
    assert (run.code, run.out.strip()) == (0, "yes"), run.err


@pytest.mark.parametrize("allow", [False, True], ids=["default", "allow-remote"])
def test_remote_jsonld_context_is_never_fetched(allow: bool, listener: Listener, tmp_path: Path) -> None:
    # A remote @context would be fetched while parsing a local file; --allow-remote is about
    # --data locations, and must not turn a local file into a network request either.
    (tmp_path / "doc.jsonld").write_text(
        f'{{"@context": "{listener.url}/context.jsonld", "@id": "http://example.org/a", "name": "x"}}')
    run = aihkg(*(["--allow-remote"] if allow else []), "--timeout", "20", "--data", "doc.jsonld",
                "query", "challenges_by_use_count", cwd=tmp_path)
    assert listener.requests == []
    assert run.code == 1 and re.search(r"doc\.jsonld: not valid JSON-LD: .*remote context", run.err), run.err
