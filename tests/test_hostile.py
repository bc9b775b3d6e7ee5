"""Hostile input: bad files, queries, parameters, options, names, special files and faulty servers.

Each case in CORPUS is one command line and what a careful tool must answer: the exit code (2 for
usage, 1 for data and runtime), one `aihkg: error:` line on stderr that names what is at fault, no
traceback, nothing on stdout, no raw control character on stderr, and nothing changed on disk (the
working folder, the cache, the persistent store). Each case in BOUNDED is input that must be
handled, not refused: exit 0, with at most a note. Cases that run as a process are held to their
bounds: address space capped with RLIMIT_AS (so a memory bomb fails instead of exhausting the
machine), peak memory (ru_maxrss) under 1 GiB, and wall time under --timeout + 5 s.

A recording listener on 127.0.0.1 stands for "another server" in every case that names one; it
must see no connection over the whole corpus. bench/hostile_report.py runs every case and prints
its exit code, wall time and peak memory.

Cases run in-process (fast) unless they need a real process: stdin, a timeout that ends the
process, a crash that would take pytest down with it, bounds to measure, or a lock held on a
persistent store.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import signal
import socket
import stat
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
# Address space for a process case: a normal command needs about 0.5 GB, an entity bomb far more.
MEMORY_CAP = 1024**3
# HermiT's JVM reserves its 2 GB heap up front, so cases that run the reasoner get more address
# space; their resident memory is still held under MEMORY_CAP.
JVM_ADDRESS_SPACE = 8 * 1024**3
GRACE = 5.0  # seconds past --timeout that a process case may take to end
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0


def _closed_port() -> int:
    # A port that was free a moment ago: nothing listens there, so a connection would be refused.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CLOSED = _closed_port()
NOWHERE = f"http://127.0.0.1:{CLOSED}"


# --------------------------------------------------------------------------- servers on 127.0.0.1


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


# The "other server" of the whole corpus: bound now, so the cases below can name its port.
RECORDER = Listener()
WATCHED = RECORDER.url

_RESULTS = b'{"head":{"vars":["n"]},"results":{"bindings":[{"n":{"type":"literal","value":"7"}}]}}'
_NO_ROWS = b'{"head":{"vars":["n"]},"results":{"bindings":[]}}'


class FaultyServer:
    """A SPARQL endpoint on 127.0.0.1 that answers by path with a fault, one connection per thread:

    /redirect-other  302 to another server (a closed port here)
    /redirect-same   302 to /answer on this server, which answers 7 only if the query arrived
    /huge            a 2 GB body, streamed
    /bad-status      a status line that is not HTTP
    /truncated       a body shorter than its Content-Length
    /headers         200 headers
    """

    HUGE = 2 * 1024**3

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FaultyServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def _answer(self, conn: socket.socket) -> None:
        with conn, suppress(OSError):
            conn.settimeout(10)
            request = self._read_request(conn)
            self.requests.append(request)
            path = request.split(b" ", 2)[1] if request.count(b" ") >= 2 else b"/"
            json_ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
            if path.startswith(b"/redirect-other"):
                conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: " + NOWHERE.encode() + b"/sparql\r\n"
                             b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            elif path.startswith(b"/redirect-same"):
                conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /answer\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
            elif path.startswith(b"/answer"):
                body = _RESULTS if b"query=" in request else _NO_ROWS
                conn.sendall(json_ok + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
            elif path.startswith(b"/huge"):
                conn.sendall(json_ok + b"Connection: close\r\n\r\n")
                chunk = b" " * (1 << 20)
                for _ in range(self.HUGE // len(chunk)):
                    conn.sendall(chunk)
            elif path.startswith(b"/bad-status"):
                conn.sendall(b"HTTP/1.1 OK-ish\r\n\r\n")
            elif path.startswith(b"/truncated"):
                conn.sendall(json_ok + b"Content-Length: 5000\r\nConnection: close\r\n\r\n" + _RESULTS[:40])
            elif path.startswith(b"/headers"):
                conn.sendall(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(200))
                             + b"Content-Length: 0\r\n\r\n")


FAULTY = FaultyServer()


@pytest.fixture(scope="module", autouse=True)
def servers() -> Iterator[None]:
    with RECORDER, FAULTY:
        yield


# --------------------------------------------------------------------------- the workspace


@dataclass(frozen=True)
class Workspace:
    root: Path
    secret: str

    @property
    def store(self) -> Path:
        return self.root / "store"


def _nested(kind: str, depth: int) -> str:
    open_, close = {"bnode": ("[ ex:p ", " ]"), "collection": ("( ", " )"), "mixed": ("( [ ex:p ", " ] )"),
                    "formula": ("{ ex:a ex:p ", " }")}[kind]
    return "@prefix ex: <http://example.org/> .\nex:a ex:p " + open_ * depth + "ex:z" + close * depth + " .\n"


def _ten_megabytes(kind: str, seed: int = 15) -> str:
    """About 10 MB of plausible RDF, the same bytes on every run."""
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    i = 0
    while size < 10_000_000:
        if kind == "nt":
            part = f'<http://example.org/s{i}> <http://example.org/p{i % 50}> "{rng.random()} value {i}" .\n'
        elif kind == "bnodes":
            part = f'_:b{i} <http://example.org/next> _:b{i + 1} .\n_:b{i} <http://example.org/v> "{i}" .\n'
        elif kind == "jsonld":
            part = (("[" if not i else ",") + f'{{"@id": "http://example.org/s{i}", '
                    f'"http://example.org/p": [{{"@value": "v{i} {rng.random()}"}}]}}')
        else:  # rdfxml
            part = (f'<rdf:Description rdf:about="http://example.org/s{i}"><ex:p>v{i} {rng.random()}</ex:p>'
                    "</rdf:Description>\n")
        parts.append(part)
        size += len(part)
        i += 1
    body = "".join(parts)
    if kind == "jsonld":
        return body + "]"
    if kind == "rdfxml":
        return ('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                'xmlns:ex="http://example.org/">\n' + body + "</rdf:RDF>\n")
    return body


CHALLENGE_FOR = "https://w3id.org/aihkg/ontology#challengeFor"


def _write_generated(root: Path, secret: str) -> None:
    """Fixtures too big, too binary or too machine-specific to keep in git."""
    secret_file = root / "secret.txt"
    precious = b"precious bytes that a failed command must keep\n"
    rng = random.Random(15)
    private_text = "".join(rng.choice("abcdefghij klmnop\n") for _ in range(5_000_000))
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
        # Deep nesting: RDFC-1.0 canonicalisation of these blew up in time and memory.
        "nested_bnodes_10000.ttl": _nested("bnode", 10_000),
        "nested_collections_10000.ttl": _nested("collection", 10_000),
        "nested_mixed_10000.ttl": _nested("mixed", 5_000),
        "nested_formulas_10000.n3": _nested("formula", 10_000),
        "nested_bnodes_10000.trig": "@prefix ex: <http://example.org/> .\nex:g { ex:a ex:p " + "[ ex:p " * 10_000
                                    + "ex:z" + " ]" * 10_000 + " . }\n",
        "nested_descriptions_10000.rdf": (
            '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:ex="http://example.org/">\n<rdf:Description rdf:about="http://example.org/a">'
            + "<ex:p><rdf:Description>" * 10_000 + "<ex:p>x</ex:p>" + "</rdf:Description></ex:p>" * 10_000
            + "</rdf:Description></rdf:RDF>\n"),
        "ring_5000.nt": "".join(f"_:b{i} <http://example.org/p> _:b{(i + 1) % 5000} .\n" for i in range(5000)),
        # About 10 MB each: must run in under 1 GiB.
        "ten_mb.nt": _ten_megabytes("nt"),
        "ten_mb_bnodes.nt": _ten_megabytes("bnodes"),
        "ten_mb.jsonld": _ten_megabytes("jsonld"),
        "ten_mb.rdf": _ten_megabytes("rdfxml"),
        # Terms past the parser's 16 MiB token buffer, read whole (20 MB) and streamed (70 MB).
        "literal_20mb.nt": '<http://example.org/a> <http://example.org/p> "x" .\n' * 3
                           + '<http://example.org/a> <http://example.org/p> "' + "x" * 20_000_000 + '" .\n',
        "iri_20mb.nt": '<http://example.org/a> <http://example.org/p> <http://example.org/'
                       + "x" * 20_000_000 + "> .\n",
        "literal_70mb.nt": '<http://example.org/a> <http://example.org/p> "' + "x" * 70_000_000 + '" .\n',
        # Files that are not RDF, holding secrets: errors must not quote them.
        "fake_shadow": f"root:$6$rounds=5000${secret}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
        "secrets.rdf": f"# credentials\nAWS_SECRET_ACCESS_KEY={secret}\npassword = {secret}\n",
        "secrets.trig": f"AWS_SECRET_ACCESS_KEY={secret}\n",
        "text_in_rdf.rdf": '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                           f"my password is {secret}</rdf:RDF>\n",
        "private.ttl": private_text[:1000] + f"\n{secret}\n" + private_text[1000:],
        "long_token.ttl": "a" * 5000 + secret + "b" * 5000 + " <http://example.org/p> 1 .\n",
        # Terminal escapes in the data: tables and text show them escaped; data formats keep them.
        "escapes.ttl": ("@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                        "<https://w3id.org/aihkg/id/Evil> a <https://w3id.org/aihkg/ontology#Challenge> ;\n"
                        '  rdfs:label "Evil \\u001b]0;PWNED\\u0007\\u001b[31mred\\u009b2J label"@en ;\n'
                        '  rdfs:comment "line one\\nline two \\u001b]52;c;Y2xpcGJvYXJk\\u0007" ;\n'
                        f"  <{CHALLENGE_FOR}> <https://w3id.org/aihkg/id/SkinLesionTriage> .\n"),
        "escape_\x1b]0;title\x07.ttl": "not turtle at all\n",
        # A data IRI that would make viz's default file name climb out of the working folder.
        "climbing.ttl": ("@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                         "<http://example.org/x/../../../../tmp/aihkg-climb>\n"
                         "  a <https://w3id.org/aihkg/ontology#Challenge> ;\n"
                         '  rdfs:label "Climber" ;\n'
                         f"  <{CHALLENGE_FOR}> <https://w3id.org/aihkg/id/SkinLesionTriage> .\n"),
    }
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    for folder in ("folder.ttl", "folder.png", "outdir"):
        (root / folder).mkdir()
    # Special files: a FIFO nobody writes or reads, a socket, symlinks, and device nodes of our own.
    for fifo in ("fifo.ttl", "fifo.rq", "out.fifo"):
        os.mkfifo(root / fifo)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(root / "socket.ttl"))
    (root / "shadow.rdf").symlink_to("fake_shadow")
    (root / "shadow.ttl").symlink_to("fake_shadow")
    for name, minor in DEVICE_NODES.items():
        _device(root / name, minor)


# Char devices of the memory driver (major 1): null is 3, full is 7. As root the tests make their
# own nodes in the workspace, so a regression that replaced a device with a file would replace a
# node of ours, never /dev/null; other users cannot replace anything in /dev, so they use its nodes.
DEVICE_NODES = {"full": 7, "full.png": 7, "full.csv": 7, "null": 3}


def _device(path: Path, minor: int) -> None:
    if ROOT_USER and DEVICES_WORK:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
        path.chmod(0o666)


def _devices_work() -> bool:
    """Whether device nodes of our own can be used here (not on a file system mounted nodev)."""
    if not ROOT_USER:
        return True
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        node = Path(folder) / "full"
        try:
            os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
            os.close(os.open(node, os.O_WRONLY))
        except OSError:
            return False
    return True


DEVICES_WORK = _devices_work()
# viz takes its format from the name: only a node of our own can be called full.png.
NEEDS_OWN_DEVICES = pytest.mark.skipif(not (ROOT_USER and DEVICES_WORK), reason="needs a device node named full.png")
NEEDS_DEVICES = pytest.mark.skipif(not DEVICES_WORK, reason="device nodes cannot be opened here (nodev), and "
                                   "root must not write to the real /dev nodes")


def device(name: str) -> str:
    """The name of a device node for a case: ours in the workspace as root, else /dev's."""
    return name if ROOT_USER else {"full": "/dev/full", "full.png": "/dev/full", "full.csv": "/dev/full",
                                   "null": "/dev/null"}[name]


def build_workspace(root: Path) -> Workspace:
    """The corpus's working folder: fixtures, generated files, special files, a persistent store and
    a damaged copy of it."""
    shutil.copytree(HOSTILE, root, dirs_exist_ok=True)
    secret = f"TOPSECRET-{uuid.uuid4().hex}"
    (root / "secret.txt").write_text(secret + "\n")
    _write_generated(root, secret)
    made = aihkg("--store", "oxigraph:store", "sparql", "-e", "ASK { ?s ?p ?o }", cwd=root)
    assert made.code == 0, made.err
    shutil.copytree(root / "store", root / "damaged")
    table = max((root / "damaged" / "oxigraph").glob("*.sst"), key=lambda p: p.stat().st_size)
    os.truncate(table, table.stat().st_size // 3)
    return Workspace(root, secret)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build_workspace(tmp_path_factory.mktemp("hostile"))


_DIGESTS: dict[tuple[str, int, int, int], str] = {}


def _files(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every entry under `root`: regular files with the SHA-256 of their bytes (memoised by inode,
    size and mtime), anything else with its kind, so a FIFO is never opened."""
    found: dict[str, str] = {}
    if not root.is_dir():
        return found
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if any(rel == s or rel.startswith(s + "/") for s in skip):
            continue
        st = path.lstat()
        if stat.S_ISREG(st.st_mode):
            key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
            if key not in _DIGESTS:
                _DIGESTS[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            found[rel] = _DIGESTS[key]
        elif stat.S_ISLNK(st.st_mode):
            found[rel] = f"<symlink to {os.readlink(path)}>"
        else:
            found[rel] = f"<{stat.S_IFMT(st.st_mode):o}>"
    return found


def _store_digest(store: Path) -> str:
    """The persistent store's content as aihkg reads it (RocksDB rewrites its own files even when no
    triple changes; a load stopped by --timeout is undone when the store is next opened)."""
    from aihkg.graph.stores import disk_store

    opened = disk_store(str(store))
    try:
        return hashlib.sha256("\n".join(sorted(str(q) for q in opened.store)).encode()).hexdigest()
    finally:
        opened.close()


def _cache_files() -> dict[str, str]:
    return {k: v for k, v in _files(Path(os.environ["AIHKG_CACHE_DIR"])).items() if not k.endswith(".lock")}


# --------------------------------------------------------------------------- running with bounds


@dataclass
class Measured(Run):
    seconds: float = 0.0
    peak_bytes: int = 0  # ru_maxrss of the process and the children it waited for


def run_measured(args: tuple[str, ...], cwd: Path, *, stdin: bytes | None = None, address_space: int = MEMORY_CAP,
                 env: dict[str, str] | None = None, kill_after: float = 300) -> Measured:
    """`aihkg ARGS` as a process in its own session, under RLIMIT_AS, with its wall time and peak
    resident memory; killed (with everything it started) if it outlives `kill_after` seconds."""
    import resource

    def limits() -> None:
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    merged = dict(os.environ)
    merged.update(env or {})
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "aihkg", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=cwd, env=merged, preexec_fn=limits)
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()), daemon=True)
               for s, b in ((proc.stdout, out), (proc.stderr, err))]
    for reader in readers:
        reader.start()
    with suppress(BrokenPipeError):
        proc.stdin.write(stdin or b"")  # type: ignore[union-attr]
    with suppress(BrokenPipeError):
        proc.stdin.close()  # type: ignore[union-attr]
    killer = threading.Timer(kill_after, lambda: os.killpg(proc.pid, signal.SIGKILL))
    killer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        killer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # anything it left behind (its session is its own)
    for reader in readers:
        reader.join(30)
    return Measured(proc.returncode, b"".join(out).decode("utf-8", "replace"),
                    b"".join(err).decode("utf-8", "replace"), seconds, usage.ru_maxrss * 1024)


def _timeout_of(args: tuple[str, ...]) -> float:
    """The --timeout a case gives (60 s, the default, when it gives none or one that is refused)."""
    try:
        seconds = float(args[args.index("--timeout") + 1])
    except (ValueError, IndexError):
        return 60.0
    return seconds if 0 < seconds <= 3600 else 60.0


# Raw control characters that must never reach stderr (tab and newline are layout).
_RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# --------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Bad:
    args: tuple[str, ...]
    code: int
    err: str  # a regex the error line must match: it names what is at fault
    stdin: str | bytes | None = None
    process: bool = False  # run as a real process, with bounds on time and memory
    notes: bool = False  # progress notes may precede the error line
    within: float | None = None  # the process must end within this many seconds (default: --timeout + 5)
    reasoner: bool = False  # runs HermiT's JVM: more address space, the same bound on resident memory
    env: tuple[tuple[str, str], ...] = ()
    touches: tuple[str, ...] = ()  # workspace entries the command may change (a store it writes)


def bad(case_id: str, *args: str, code: int, err: str, marks: Any = (), **kw: Any) -> Any:
    if "env" in kw:
        kw["env"] = tuple(kw["env"].items())
    return pytest.param(Bad(tuple(args), code, err, **kw), id=case_id, marks=marks)


Q = ("query", "challenges_by_use_count")  # a cheap command that loads the graph and any --data
READ_ONLY = r"queries are read-only: SPARQL Update \({}\) is refused"
NO_SERVICE = r"SPARQL SERVICE .*so it is refused and no connection was made"
SERVICE_AT = f"SERVICE <{WATCHED}/sparql> {{ ?s ?p ?o }}"
TRIPLE = "<http://example.org/a> <http://example.org/b> <http://example.org/c>"
ASK_N = "SELECT ?n WHERE { }"
REGEX_BOMB = ('ASK { BIND("' + "a" * 48 + 'b" AS ?x) FILTER(REGEX(?x, "^(a+)+$")) }')
DTD_REFUSED = r"RDF/XML refused: its DTD "
PLAIN_ONLY = r'; only entities with plain-text values \(<!ENTITY name "text">\) are read'

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
    bad("update-load", "sparql", "-e", f"LOAD <{WATCHED}/x.ttl>", code=2, err=READ_ONLY.format("LOAD")),
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
    bad("service-silent-lowercase", "sparql", "-e", f"select * {{ service silent <{WATCHED}/> {{ ?s ?p ?o }} }}",
        code=2, err=NO_SERVICE),
    bad("service-u-escape", "sparql", "-e", f"SELECT * WHERE {{ \\u0053ERVICE <{WATCHED}/> {{ ?s ?p ?o }} }}",
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
    bad("data-billion-laughs", "--data", "billion_laughs.rdf", *Q, process=True, code=1,
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
    bad("data-remote-http", "--data", f"{WATCHED}/x.ttl", *Q, code=2,
        err=r"remote data is not loaded by default \(no connection was made\).*--allow-remote"),
    bad("data-remote-https", "--data", "https://example.org/x.ttl", *Q, code=2,
        err=r"https://example\.org/x\.ttl: remote data is not loaded by default"),
    bad("data-remote-validate", "validate", "--no-reasoner", f"{WATCHED}/x.ttl", code=2,
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
    bad("load-sparql-store", "--store", f"sparql:{WATCHED}/q", "load", "syntax_error.ttl", code=2,
        err=r"`aihkg load` writes to a persistent store"),
    bad("load-no-files", "--store", "oxigraph:store", "load", process=True, code=2,
        err=r"name at least one FILE to load"),
    bad("load-remote", "--store", "oxigraph:store", "load", f"{WATCHED}/x.ttl", process=True, notes=True, code=2,
        err=r"`aihkg load` reads local files only"),
    bad("load-missing", "--store", "oxigraph:store", "load", "no_such.ttl", process=True, notes=True, code=1,
        err=r"no_such\.ttl: no such file"),
    bad("load-unknown-extension", "--store", "oxigraph:store", "load", "data.docx", process=True, notes=True, code=2,
        err=r"data\.docx: cannot tell the RDF format"),
    bad("load-syntax-error", "--store", "oxigraph:store", "load", "syntax_error.ttl", process=True, notes=True,
        code=1, err=r"syntax_error\.ttl:3:\d+: not valid Turtle: .*nothing from this load was kept"),
    bad("load-huge-literal", "--store", "oxigraph:store", "load", "huge_literal.nt", process=True, notes=True,
        code=1, err=r"huge_literal\.nt: a literal of 10,000,001 characters"),
    bad("load-billion-laughs", "--store", "oxigraph:store", "load", "billion_laughs.rdf", process=True, notes=True,
        code=1,
        err=r"billion_laughs\.rdf: RDF/XML refused: its DTD declares an entity whose value refers to other "
            r"entities.*nothing from this load was kept"),
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
    # ---- RDF/XML DTDs: every spelling of an entity declaration, refused before the parser sees it
    *(bad(f"dtd-{name.replace('_', '-')}", "--timeout", "20", "--data", f"entities/{name}.rdf", *Q, process=True,
          code=1, err=rf"entities/{name}\.rdf: {DTD_REFUSED}{what}.*{PLAIN_ONLY}")
      for name, what in [
          ("nested", "declares an entity whose value refers to other entities"),
          ("nested_unreferenced", "declares an entity whose value refers to other entities"),
          ("parameter", "declares a parameter entity"),
          ("no_space", "declares an entity in a form aihkg does not read"),
          ("colon_names", "declares an entity in a form aihkg does not read"),
          ("char_reference", "declares an entity whose value refers to other entities"),
          ("single_quoted", "declares an entity in a form aihkg does not read"),
          ("system", "declares an external entity"),
          ("public", "declares an external entity"),
          ("external_dtd", "is an external DTD"),
          ("lowercase", "holds a declaration other than a plain-text entity"),
          ("comment_in_dtd", "holds a declaration other than a plain-text entity"),
          ("element_declaration", "holds a declaration other than a plain-text entity"),
          ("two_doctypes", "appears more than once"),
          ("outside_doctype", "is followed by an entity declaration outside it"),
      ]),
    bad("dtd-many-references", "--timeout", "20", "--data", "entities/many_references.rdf", *Q, process=True, code=1,
        err=r"many_references\.rdf: its XML entities expand to 20,000,000 characters; the limit is 10,000,000"),
    bad("dtd-parameter-validate", "--timeout", "20", "validate", "--no-reasoner", "entities/parameter.rdf",
        process=True, code=1, err=rf"parameter\.rdf: {DTD_REFUSED}declares a parameter entity"),
    bad("dtd-no-space-export", "--timeout", "20", "--data", "entities/no_space.rdf", "export", "-f", "nt",
        process=True, code=1, err=rf"no_space\.rdf: {DTD_REFUSED}declares an entity in a form"),
    bad("dtd-colon-names-load", "--timeout", "20", "--store", "oxigraph:store", "load", "entities/colon_names.rdf",
        process=True, notes=True, code=1, err=rf"colon_names\.rdf: {DTD_REFUSED}.*nothing from this load was kept"),
    bad("dtd-nested-rdflib", "--timeout", "20", "--store", "rdflib", "--data", "entities/nested.rdf", *Q,
        process=True, code=1, err=rf"nested\.rdf: {DTD_REFUSED}declares an entity whose value refers"),
    # ---- --timeout: a usable number, and it stops every phase, even a C call that holds the GIL
    bad("timeout-infinite", "--timeout", "inf", *Q, code=2, err=r"'--timeout': 'inf': .*to 604,800 \(a week\)"),
    bad("timeout-absurd", "--timeout", "1e10", *Q, code=2, err=r"'--timeout': '1e10': .*to 604,800 \(a week\)"),
    bad("timeout-nan", "--timeout", "nan", *Q, code=2, err=r"'--timeout': 'nan'"),
    bad("timeout-not-a-number", "--timeout", "soon", *Q, code=2, err=r"'--timeout': 'soon': not a number"),
    bad("timeout-gil-held-regex", "--store", "rdflib", "--timeout", "2", "sparql", "-e", REGEX_BOMB, process=True,
        code=1, err=r"the query did not finish within 2 s \(--timeout\); stopped"),
    bad("timeout-while-loading", "--timeout", "0.3", "--data", "ten_mb.nt", *Q, process=True, code=1,
        err=r"the query did not finish within 0\.3 s \(--timeout\); stopped"),
    bad("timeout-validate", "--timeout", "0.5", "validate", "--no-reasoner", process=True, code=1,
        err=r"validation did not finish within 0\.5 s \(--timeout\); stopped"),
    bad("timeout-validate-nested", "--timeout", "4", "validate", "nested_bnodes_10000.ttl", process=True,
        reasoner=True, code=1, err=r"validation did not finish within 4 s \(--timeout\); stopped"),
    bad("timeout-viz", "--timeout", "0.5", "viz", "-o", "new.png", process=True, code=1,
        err=r"aihkg viz did not finish within 0\.5 s \(--timeout\); stopped"),
    bad("timeout-describe", "--timeout", "0.3", "--data", "ten_mb.nt", "describe", "MHRA", process=True, code=1,
        err=r"aihkg describe did not finish within 0\.3 s"),
    bad("timeout-load", "--timeout", "0.5", "--store", "oxigraph:store", "load", "ten_mb.nt", process=True,
        notes=True, code=1, err=r"the load|aihkg load did not finish within 0\.5 s \(--timeout\); stopped"),
    # ---- errors quote at most a short, escaped excerpt: never lines of a file that is not RDF
    bad("leak-shadow-symlink-rdf", "--data", "shadow.rdf", *Q, code=1,
        err=r"shadow\.rdf: not RDF/XML \(starts with text, not with '<'\)$"),
    bad("leak-shadow-symlink-turtle", "--data", "shadow.ttl", *Q, code=1,
        err=r"shadow\.ttl:1:1: not valid Turtle: The prefix root: has not been declared$"),
    bad("leak-secrets-named-rdf", "--data", "secrets.rdf", *Q, code=1,
        err=r"secrets\.rdf: not RDF/XML \(starts with text"),
    bad("leak-secrets-named-trig", "--data", "secrets.trig", *Q, code=1,
        err=r"secrets\.trig:1:1: not valid TriG: AWS_SECRET_ACCESS_KEY is not a valid subject"),
    bad("leak-text-inside-rdf", "--data", "text_in_rdf.rdf", *Q, code=1,
        err=r"text_in_rdf\.rdf: not valid RDF/XML: text where RDF/XML expects an element$"),
    bad("leak-private-5mb", "--data", "private.ttl", *Q, process=True, code=1,
        err=r"private\.ttl:1:1: not valid Turtle: .{1,40} is not a valid subject"),
    bad("leak-long-token", "--data", "long_token.ttl", *Q, code=1,
        err=r"long_token\.ttl:1:\d+: not valid Turtle: a{30}a?…"),
    bad("leak-validate-shadow", "validate", "--no-reasoner", "shadow.rdf", code=1, err=r"shadow\.rdf: not RDF/XML"),
    bad("leak-load-secrets", "--timeout", "20", "--store", "oxigraph:store", "load", "secrets.rdf", process=True,
        notes=True, code=1, err=r"secrets\.rdf: not RDF/XML \(starts with text"),
    bad("escape-file-name", "--data", "escape_\x1b]0;title\x07.ttl", *Q, code=1,
        err=r"escape_\\x1b\]0;title\\x07\.ttl:1:1: not valid Turtle"),
    bad("escape-parameter", "query", "regulations_enforced_by", "-p", "organisation=\x1b]52;c;SGVsbG8=\x07", code=2,
        err=r"no organisation named '\\x1b\]52;c;SGVsbG8=\\x07' in the graph"),
    bad("escape-option", "--store", "bogus\x1b[2J", *Q, code=2, err=r"unknown store 'bogus\\x1b\[2J'"),
    # ---- special files as input: refused at once, never read until memory or patience runs out
    bad("input-dev-zero", "--timeout", "20", "--data", "/dev/zero", "--data-format", "nt", *Q, process=True, code=1,
        err=r"/dev/zero: is a character device, not an RDF file; aihkg reads only regular files"),
    bad("input-dev-urandom", "--timeout", "20", "--data", "/dev/urandom", "--data-format", "turtle", *Q,
        process=True, code=1, err=r"/dev/urandom: is a character device, not an RDF file"),
    bad("input-dev-zero-validate", "--timeout", "20", "--data-format", "nt", "validate", "--no-reasoner",
        "/dev/zero", process=True, code=1, err=r"/dev/zero: is a character device"),
    bad("input-dev-zero-sparql", "--timeout", "20", "sparql", "/dev/zero", process=True, code=1,
        err=r"/dev/zero: is a character device, not a query file"),
    bad("input-dev-zero-load", "--timeout", "20", "--data-format", "nt", "--store", "oxigraph:store", "load",
        "/dev/zero", process=True, notes=True, code=1, err=r"/dev/zero: is a character device"),
    bad("input-fifo-data", "--timeout", "20", "--data", "fifo.ttl", *Q, process=True, code=1,
        err=r"fifo\.ttl: is a FIFO \(named pipe\), not an RDF file"),
    bad("input-fifo-validate", "--timeout", "20", "validate", "--no-reasoner", "fifo.ttl", process=True, code=1,
        err=r"fifo\.ttl: is a FIFO \(named pipe\)"),
    bad("input-fifo-load", "--timeout", "20", "--store", "oxigraph:store", "load", "fifo.ttl", process=True,
        notes=True, code=1, err=r"fifo\.ttl: is a FIFO \(named pipe\)"),
    bad("input-fifo-sparql", "--timeout", "20", "sparql", "fifo.rq", process=True, code=1,
        err=r"fifo\.rq: is a FIFO \(named pipe\), not a query file"),
    bad("input-socket", "--data", "socket.ttl", *Q, code=1, err=r"socket\.ttl: is a socket, not an RDF file"),
    bad("input-folder-load", "--store", "oxigraph:store", "load", "folder.ttl", process=True, notes=True, code=1,
        err=r"folder\.ttl: is a folder, not an RDF file"),
    bad("input-folder-validate", "validate", "--no-reasoner", "folder.ttl", code=1,
        err=r"folder\.ttl: is a folder, not an RDF file"),
    # ---- terms too large for the parser: say which file, which line, how large
    bad("data-literal-20mb", "--timeout", "30", "--data", "literal_20mb.nt", *Q, process=True, code=1,
        err=r"literal_20mb\.nt:4: a literal or IRI of more than 16 MiB.*line 4 is 20,000,050 bytes long"),
    bad("data-iri-20mb", "--timeout", "30", "--data", "iri_20mb.nt", *Q, process=True, code=1,
        err=r"iri_20mb\.nt:1: a literal or IRI of more than 16 MiB.*line 1 is 20,000,069 bytes long"),
    bad("data-literal-70mb-streamed", "--timeout", "30", "--data", "literal_70mb.nt", *Q, process=True, code=1,
        err=r"literal_70mb\.nt:1: a literal or IRI of more than 16 MiB.*line 1 is 70,000,050 bytes long"),
    bad("load-literal-20mb", "--timeout", "30", "--store", "oxigraph:store", "load", "literal_20mb.nt",
        process=True, notes=True, code=1, err=r"literal_20mb\.nt:4: a literal or IRI of more than 16 MiB"),
    # ---- special outputs: a FIFO nobody reads, a full device, a socket
    bad("output-fifo-no-reader", "--timeout", "20", "export", "-f", "nt", "-o", "out.fifo", process=True, code=1,
        err=r"out\.fifo: cannot write \(no process is reading from this FIFO\)$"),
    bad("output-full-device", "--timeout", "20", "export", "-f", "nt", "-o", device("full"), process=True, code=1,
        err=r"full: cannot write \(No space left on device\)$", marks=NEEDS_DEVICES),
    bad("output-full-device-query", "--timeout", "20", *Q, "--format", "csv", "-o", device("full.csv"),
        process=True, code=1, err=r"full(\.csv)?: cannot write \(No space left on device\)$", marks=NEEDS_DEVICES),
    bad("output-full-device-viz", "--timeout", "60", "viz", "--focus", "MHRA", "-o", device("full.png"), process=True,
        code=1, err=r"full\.png: cannot write \(No space left on device\)$", marks=NEEDS_OWN_DEVICES),
    bad("output-socket", "export", "-f", "nt", "-o", "socket.ttl", code=1,
        err=r"socket\.ttl: cannot write \(it is a socket\)"),
    # ---- stores that cannot be used as they are
    bad("store-damaged", "--timeout", "20", "--store", "oxigraph:damaged", *Q, process=True, code=1,
        err=r"oxigraph:damaged: the store is damaged \(Corruption: .*\); move the folder damaged aside and build"),
    bad("store-damaged-export", "--timeout", "20", "--store", "oxigraph:damaged", "export", "-f", "nt",
        process=True, code=1, err=r"oxigraph:damaged: the store is damaged"),
    # ---- SPARQL servers that misbehave: named, bounded, never followed elsewhere
    bad("remote-redirect-other-server", "--timeout", "20", "--store", f"sparql:{FAULTY.url}/redirect-other",
        "sparql", "-e", ASK_N, process=True, code=1,
        err=r"redirected the request to another server \(http://127\.0\.0\.1:\d+/sparql\); it was not followed"),
    bad("remote-huge-answer", "--timeout", "30", "--store", f"sparql:{FAULTY.url}/huge", "sparql", "-e", ASK_N,
        process=True, code=1, err=r"the answer is larger than 268,435,456 bytes; stopped reading it"),
    bad("remote-bad-status-line", "--timeout", "20", "--store", f"sparql:{FAULTY.url}/bad-status", "sparql", "-e",
        ASK_N, process=True, code=1, err=r"the server's answer is not valid HTTP \(a malformed status line\)"),
    bad("remote-truncated-body", "--timeout", "20", "--store", f"sparql:{FAULTY.url}/truncated", "sparql", "-e",
        ASK_N, process=True, code=1, err=r"not valid HTTP \(the body ended after 40 of the 5,000 bytes"),
    bad("remote-too-many-headers", "--timeout", "20", "--store", f"sparql:{FAULTY.url}/headers", "sparql", "-e",
        ASK_N, process=True, code=1, err=r"not valid HTTP \(too many headers\)"),
    bad("remote-bad-ipv6-url", "--store", "sparql:http://[::1", *Q, code=2,
        err=r"--store sparql:http://\[::1: expected .*\(Invalid IPv6 URL\)"),
    bad("remote-bad-port", "--store", "sparql:http://127.0.0.1:99999/q", *Q, code=2,
        err=r"--store sparql:http://127\.0\.0\.1:99999/q: expected .*out of range"),
    bad("push-graph-injection", "--store", f"sparql:{WATCHED}/q,{WATCHED}/u", "push",
        env={"AIHKG_SPARQL_GRAPH": "urn:x> ; DROP ALL ; #"}, code=2,
        err=r"AIHKG_SPARQL_GRAPH='urn:x> ; DROP ALL ; #' is not a valid IRI"),
    bad("push-graph-relative", "--store", f"sparql:{WATCHED}/q,{WATCHED}/u", "push",
        env={"AIHKG_SPARQL_GRAPH": "mygraph"}, code=2, err=r"AIHKG_SPARQL_GRAPH='mygraph' is not a valid IRI"),
    # ---- query headers and parameters that would expand before they are checked
    bad("query-dir-yaml-billion-laughs", "--timeout", "20", "--queries", "queries", "query", "yaml_bomb",
        process=True, code=1, err=r"queries/yaml_bomb\.rq: the #\+ header expands to 102,908,577 YAML values"),
    bad("query-dir-yaml-cycle", "--queries", "queries", "query", "yaml_cycle", code=1,
        err=r"queries/yaml_cycle\.rq: the #\+ header expands without end"),
    bad("param-decimal-huge-exponent", "--timeout", "20", "--queries", "queries", "query", "decimal_param", "-p",
        "amount=1e999999999", process=True, code=2,
        err=r"parameter 'amount' expects a number of at most 1,000 digits, got '1e999999999'"),
    bad("param-decimal-tiny-exponent", "--queries", "queries", "query", "decimal_param", "-p", "amount=1e-5000",
        code=2, err=r"parameter 'amount' expects a number of at most 1,000 digits"),
]


@dataclass(frozen=True)
class Fine:
    """Input that must be handled, not refused: exit `code`, bounded, and what stderr may say."""

    args: tuple[str, ...]
    note: str = ""  # a regex stderr must match ("" = stderr must be empty)
    out: str = ""  # a regex stdout must match
    code: int = 0
    reasoner: bool = False
    touches: tuple[str, ...] = ()


def fine(case_id: str, *args: str, marks: Any = (), **kw: Any) -> Any:
    return pytest.param(Fine(tuple(args), **kw), id=case_id, marks=marks)


NO_CANONICAL = r"aihkg: note: blank nodes keep arbitrary labels: [\d,]+ blank nodes cannot be told apart"
WROTE = r"wrote out\.\w+ \(\w+, [\d,]+ bytes\)\n"
ANSWERED = r"27 rows\n$"

BOUNDED = [
    # ---- deep nesting of every kind: canonical labels are given up within their budget, and said so
    *(fine(f"nested-{name}-export-{fmt}", "--timeout", "20", "--data", file, "export", "-f", fmt, "-o", f"out.{fmt}",
           note=NO_CANONICAL + r".*\n" + WROTE)
      for name, file, fmt in [
          ("bnodes-1000", "nested/bnodes_1000.ttl", "nt"), ("bnodes-10000", "nested_bnodes_10000.ttl", "nt"),
          ("bnodes-10000", "nested_bnodes_10000.ttl", "turtle"), ("bnodes-10000", "nested_bnodes_10000.ttl", "trig"),
          ("collections-1000", "nested/collections_1000.ttl", "turtle"),
          ("collections-10000", "nested_collections_10000.ttl", "nt"),
          ("ring-5000", "ring_5000.nt", "nt"), ("mixed-10000", "nested_mixed_10000.ttl", "nt"),
          ("formulas-10000", "nested_formulas_10000.n3", "nt"), ("trig-10000", "nested_bnodes_10000.trig", "trig"),
          ("rdfxml-10000", "nested_descriptions_10000.rdf", "nt"),
      ]),
    # rdflib's writers recurse (pretty RDF/XML, JSON-LD) or drop cyclic blank nodes (JSON-LD): Oxigraph writes them.
    fine("nested-bnodes-10000-export-jsonld", "--timeout", "20", "--data", "nested_bnodes_10000.ttl", "export",
         "-f", "jsonld", "-o", "out.jsonld",
         note=r"aihkg: note: the graph's blank nodes nest deeper than rdflib's writer can follow; wrote it with "
              r"Oxigraph instead \(expanded JSON-LD, no @context\)\n" + WROTE),
    fine("nested-ring-5000-export-jsonld", "--timeout", "20", "--data", "ring_5000.nt", "export", "-f", "jsonld",
         "-o", "out.jsonld", note=r"aihkg: note: rdflib's writer kept [\d,]+ of the graph's [\d,]+ triples "
                                  r"\(it drops blank nodes that refer to each other in a cycle\).*\n" + WROTE),
    fine("nested-bnodes-10000-export-xml", "--timeout", "20", "--data", "nested_bnodes_10000.ttl", "export", "-f",
         "xml", "-o", "out.xml", note=r"aihkg: note: the graph's blank nodes nest deeper.*flat RDF/XML\)\n" + WROTE),
    fine("nested-bnodes-10000-query", "--timeout", "20", "--data", "nested_bnodes_10000.ttl", *Q, out=ANSWERED),
    fine("nested-collections-10000-query-rdflib", "--timeout", "30", "--store", "rdflib", "--data",
         "nested_collections_10000.ttl", *Q, out=ANSWERED),
    fine("nested-ring-5000-validate", "--timeout", "30", "validate", "--no-reasoner", "ring_5000.nt",
         out=r"result: valid\n$"),
    fine("nested-bnodes-1000-validate-reasoner", "--timeout", "60", "validate", "nested/bnodes_1000.ttl",
         reasoner=True, out=r"OWL \(HermiT via owlready2\): consistent.*\nresult: valid\n$"),
    fine("nested-ring-5000-load", "--timeout", "20", "--store", "oxigraph:scratch", "load", "ring_5000.nt",
         note=r"done: 5,000 new triples added to oxigraph:scratch \(5,000 read; 0 were already there\); "
              r"it holds [\d,]+\n$", touches=("scratch",)),
    # ---- about 10 MB of input: under 1 GiB
    fine("ten-mb-nt-export", "--timeout", "60", "--data", "ten_mb.nt", "export", "-f", "nt", "-o", "out.nt",
         note="^" + WROTE + "$"),
    fine("ten-mb-bnodes-query", "--timeout", "60", "--data", "ten_mb_bnodes.nt", *Q, out=ANSWERED),
    fine("ten-mb-jsonld-query", "--timeout", "60", "--data", "ten_mb.jsonld", *Q, out=ANSWERED),
    fine("ten-mb-rdfxml-query", "--timeout", "60", "--data", "ten_mb.rdf", *Q, out=ANSWERED),
    fine("ten-mb-nt-rdflib-query", "--timeout", "60", "--store", "rdflib", "--data", "ten_mb.nt", *Q, out=ANSWERED),
    fine("ten-mb-nt-validate", "--timeout", "90", "validate", "--no-reasoner", "ten_mb.nt", out=r"result: valid\n$"),
    # ---- what is accepted: plain entities (as ontology editors write them), devices and FIFOs written through
    fine("dtd-plain-entities-accepted", "--data", "entities/plain_ok.rdf", "sparql", "-e",
         "SELECT ?o WHERE { <http://example.org/a> ?p ?o }", "--format", "csv",
         out=r"^o\r\nhttp://www\.w3\.org/2002/07/owl#Thing\r\n$"),
    fine("output-null-device", "export", "-f", "nt", "-o", device("null"),
         note=r"wrote \S*null \(nt, [\d,]+ bytes\)\n$", marks=NEEDS_DEVICES),
    fine("output-proc-self-fd-1", "export", "-f", "nt", "-o", "/proc/self/fd/1",
         out=r"^<", note=r"wrote /proc/self/fd/1 \(nt, [\d,]+ bytes\)\n$"),
    fine("output-dev-stdout", *Q, "--format", "csv", "-o", "/dev/stdout", out=r"^challenge,",
         note=r"wrote /dev/stdout\n$"),
    fine("remote-redirect-same-server", "--timeout", "20", "--store", f"sparql:{FAULTY.url}/redirect-same",
         "sparql", "-e", ASK_N, "--format", "csv", out=r"^n\r\n7\r\n$"),
]


def _stdin_bytes(stdin: str | bytes | None) -> bytes | None:
    return stdin.encode() if isinstance(stdin, str) else stdin


def run_case(case: Bad | Fine, root: Path) -> Measured:
    """Any corpus case as a bounded process (what bench/hostile_report.py measures)."""
    space = JVM_ADDRESS_SPACE if case.reasoner else MEMORY_CAP
    env = dict(getattr(case, "env", ()))
    return run_measured(case.args, root, stdin=_stdin_bytes(getattr(case, "stdin", None)), address_space=space,
                        env=env, kill_after=_timeout_of(case.args) + 60)


def _check_bounds(case: Bad | Fine, run: Measured) -> None:
    limit = case.within if isinstance(case, Bad) and case.within is not None else _timeout_of(case.args) + GRACE
    assert run.seconds < limit, f"took {run.seconds:.1f} s; the bound is {limit:g} s"
    assert run.peak_bytes < MEMORY_CAP, f"peak memory {run.peak_bytes / 1024**2:,.0f} MiB; the bound is 1 GiB"


def _run(case: Bad, ws: Workspace, cli_run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch) -> Run:
    if case.process or isinstance(case.stdin, bytes):
        run = run_case(case, ws.root)
        _check_bounds(case, run)
        return run
    monkeypatch.chdir(ws.root)
    for key, value in case.env:
        monkeypatch.setenv(key, value)
    return cli_run(*case.args)


def _crash_free(err: str) -> None:
    for crash in ("Traceback", "stack backtrace", "panicked", "internal error", "core dumped"):
        assert crash not in err, err[-2000:]
    assert not _RAW_CONTROL.search(err), f"a raw control character reached stderr: {err[-500:]!r}"


@pytest.mark.parametrize("case", CORPUS)
def test_hostile_input_is_refused_cleanly(case: Bad, workspace: Workspace, cli_run: Callable[..., Run],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    touches_store = any(a.startswith("oxigraph:store") for a in case.args)
    files_before = _files(workspace.root, skip=("store", *case.touches))
    cache_before = _cache_files()
    store_before = _store_digest(workspace.store) if touches_store else None

    run = _run(case, workspace, cli_run, monkeypatch)

    assert run.code == case.code, f"exit {run.code}; stderr: {run.err[-2000:]!r}"
    _crash_free(run.err)
    lines = run.err.strip().splitlines()
    assert lines and lines[-1].startswith("aihkg: error: "), run.err
    assert sum(line.startswith("aihkg: error:") for line in lines) == 1, run.err
    if not case.notes:
        assert len(lines) == 1, run.err
    assert re.search(case.err, lines[-1]), f"{case.err!r} not in {lines[-1]!r}"
    assert len(lines[-1]) < 600, "an error line quotes at most a short excerpt"
    assert run.out == "", "a refused command must not print a partial answer"
    assert workspace.secret not in run.out + run.err

    assert _files(workspace.root, skip=("store", *case.touches)) == files_before
    cache_after = _cache_files()
    assert {k: cache_after.get(k) for k in cache_before} == cache_before
    assert not [k for k in cache_after if k.endswith(".tmp")]
    if touches_store:
        assert _store_digest(workspace.store) == store_before


@pytest.mark.parametrize("case", BOUNDED)
def test_hostile_input_is_handled_within_bounds(case: Fine, workspace: Workspace) -> None:
    before = _files(workspace.root, skip=("store", *case.touches))
    run = run_case(case, workspace.root)
    try:
        assert run.code == case.code, f"exit {run.code}; stderr: {run.err[-2000:]!r}"
        _crash_free(run.err)
        if case.note:
            assert re.search(case.note, run.err, re.S), f"{case.note!r} not in {run.err[-1000:]!r}"
        else:
            assert run.err == "", run.err[-2000:]
        assert re.search(case.out, run.out, re.S), f"{case.out!r} not in {run.out[-500:]!r}"
        _check_bounds(case, run)
        after = _files(workspace.root, skip=("store", *case.touches))
        # Only its own output may appear: a regular out.* file, or bytes through a device or FIFO.
        assert {k: v for k, v in after.items() if not k.startswith("out.")} == \
            {k: v for k, v in before.items() if not k.startswith("out.")}
        for name, kind in before.items():
            assert after.get(name) == kind or not kind.startswith("<"), f"{name} changed kind: {after.get(name)}"
    finally:
        for leftover in workspace.root.glob("out.*"):
            if leftover.is_file() and not leftover.is_symlink():
                leftover.unlink()
        for name in case.touches:
            shutil.rmtree(workspace.root / name, ignore_errors=True)


def test_corpus_is_broad() -> None:
    categories = {p.id.split("-", 1)[0] for p in CORPUS}
    assert len(CORPUS) >= 40
    assert {"option", "query", "param", "entity", "update", "service", "sparql", "limit", "data", "store", "load",
            "push", "export", "viz", "path", "timeout", "dtd", "leak", "escape", "input", "output",
            "remote"} <= categories
    assert {p.id.split("-", 1)[0] for p in BOUNDED} >= {"nested", "ten", "output", "dtd", "remote"}


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


def test_no_case_of_the_corpus_reached_another_server() -> None:
    # Runs after the corpus above (pytest keeps a module's order): every URL of "another server" in
    # it is the recorder's, and every one of them had to be refused before connecting.
    assert RECORDER.requests == [], f"connected: {RECORDER.requests[:1]!r}"


# --------------------------------------------------------------------------- special outputs


def _export(*args: str, cwd: Path) -> Run:
    return aihkg("export", "-f", "nt", *args, cwd=cwd)


def test_output_through_a_symlink_replaces_the_file_it_points_at(tmp_path: Path) -> None:
    (tmp_path / "real.nt").write_bytes(b"old\n")
    (tmp_path / "link.nt").symlink_to("real.nt")
    run = _export("-o", "link.nt", cwd=tmp_path)
    assert run.code == 0, run.err
    assert (tmp_path / "link.nt").is_symlink() and os.readlink(tmp_path / "link.nt") == "real.nt"
    assert (tmp_path / "real.nt").read_bytes().startswith(b"<")
    (tmp_path / "new.link").symlink_to("missing.nt")  # a dangling link: its target is created
    assert _export("-o", "new.link", cwd=tmp_path).code == 0
    assert (tmp_path / "new.link").is_symlink() and (tmp_path / "missing.nt").stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.nt", "missing.nt", "new.link", "real.nt"]


def test_output_into_a_fifo_with_a_reader_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.nt"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    time.sleep(0.2)  # the reader opens first; a writer with no reader fails at once (see the corpus)
    run = _export("-o", "pipe.nt", cwd=tmp_path)
    reader.join(30)
    assert run.code == 0, run.err
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced"
    assert got and got[0] == _export(cwd=tmp_path).out.encode()


def test_output_onto_proc_self_fd_appends_to_a_redirected_stdout(tmp_path: Path) -> None:
    # `>> log`: stdout appends; opening /proc/self/fd/1 afresh must not start at offset 0 or replace the file.
    log = tmp_path / "log.txt"
    log.write_bytes(b"first line\n")
    with log.open("ab") as out:
        proc = subprocess.run([sys.executable, "-m", "aihkg", "query", "challenges_by_use_count", "--format", "csv",
                               "-o", "/proc/self/fd/1"], stdout=out, stderr=subprocess.PIPE, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    body = log.read_bytes()
    assert body.startswith(b"first line\nchallenge,") and body.count(b"\r\n") == 28


# --------------------------------------------------------------------------- data reaching a terminal


def test_terminal_escapes_in_data_are_shown_escaped_and_kept_in_data_formats(workspace: Workspace) -> None:
    ws = workspace.root
    text = {
        "table": aihkg("--data", "escapes.ttl", "sparql", "-e", "SELECT ?l WHERE { kg:Evil rdfs:label ?l }", cwd=ws),
        "md": aihkg("--data", "escapes.ttl", "sparql", "-e", "SELECT ?l WHERE { kg:Evil rdfs:label ?l }",
                    "--format", "md", cwd=ws),
        "describe": aihkg("--data", "escapes.ttl", "describe", "Evil", cwd=ws),
        "search": aihkg("--data", "escapes.ttl", "search", "Evil", cwd=ws),
        "path": aihkg("--data", "escapes.ttl", "path", "Evil", "MHRA", cwd=ws),
    }
    for name, run in text.items():
        assert run.code == 0, (name, run.err)
        assert not _RAW_CONTROL.search(run.out), (name, run.out)
        assert "\\x1b]0;PWNED\\x07" in run.out, (name, run.out)
    assert "\\x9b2J" in text["table"].out and "\\x1b]52;c;" in text["describe"].out
    label = "Evil \x1b]0;PWNED\x07\x1b[31mred\x9b2J label"
    csv_out = aihkg("--data", "escapes.ttl", "sparql", "-e", "SELECT ?l WHERE { kg:Evil rdfs:label ?l }",
                    "--format", "csv", cwd=ws)
    assert csv_out.out.splitlines()[1] == label
    json_out = aihkg("--data", "escapes.ttl", "sparql", "-e", "SELECT ?l WHERE { kg:Evil rdfs:label ?l }",
                     "--format", "json", cwd=ws)
    import json

    assert json.loads(json_out.out)["results"]["bindings"][0]["l"]["value"] == label


def test_viz_default_name_stays_in_the_working_folder(workspace: Workspace, tmp_path: Path) -> None:
    shutil.copy(workspace.root / "climbing.ttl", tmp_path)
    run = aihkg("--data", "climbing.ttl", "viz", "--focus", "Climber", cwd=tmp_path)
    assert run.code == 0, run.err
    name = run.out.strip()
    assert re.fullmatch(r"aihkg-[a-z0-9_-]+\.png", name), name
    assert (tmp_path / name).is_file()
    assert not Path("/tmp/aihkg-climb.png").exists()


# --------------------------------------------------------------------------- stores and caches


def _count(store: Path, cwd: Path) -> int:
    run = aihkg("--store", f"oxigraph:{store}", "sparql", "-e", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                "--format", "csv", cwd=cwd)
    assert run.code == 0, run.err
    return int(run.out.split()[-1])


def test_refreshing_the_builtin_graph_twice_leaves_one_copy(tmp_path: Path) -> None:
    fresh = _count(tmp_path / "kg", tmp_path)
    counts = []
    for _ in range(2):
        run = aihkg("--store", "oxigraph:kg", "load", "--refresh-builtin", cwd=tmp_path)
        assert run.code == 0, run.err
        counts.append(_count(tmp_path / "kg", tmp_path))
    assert counts == [fresh, fresh]  # 8,266 -> 8,607 -> 8,948 before: blank-node triples were never removed
    assert not (tmp_path / "kg" / "refresh-pending.nq").exists()


def test_refresh_repairs_a_store_whose_blank_nodes_were_relabelled(tmp_path: Path) -> None:
    # Stores made before the fix hold the built-in blank nodes under the labels bulk_load gave them,
    # some with two extra copies left by earlier refreshes: all of them go, and one copy comes back.
    import pyoxigraph as ox

    from aihkg.graph.build import builtin_nquads

    fresh = _count(tmp_path / "kg", tmp_path)
    db = ox.Store(str(tmp_path / "kg" / "oxigraph"))
    for quad in [q for q in db if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)]:
        db.remove(quad)
    for _ in range(3):
        db.load(builtin_nquads(), format=ox.RdfFormat.N_QUADS)  # renames blank nodes, as bulk_load did
    db.flush()
    del db
    assert _count(tmp_path / "kg", tmp_path) > fresh
    assert aihkg("--store", "oxigraph:kg", "load", "--refresh-builtin", cwd=tmp_path).code == 0
    assert _count(tmp_path / "kg", tmp_path) == fresh
    mine = aihkg("--store", "oxigraph:kg", "export", "-f", "nt", cwd=tmp_path).out
    assert mine == aihkg("export", "-f", "nt", cwd=tmp_path).out


def _in_private_mount(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["unshare", "--mount", "sh", "-c", script], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ))


needs_mount_namespace = pytest.mark.skipif(
    not ROOT_USER or shutil.which("unshare") is None or subprocess.run(
        ["unshare", "--mount", "true"], capture_output=True).returncode != 0,
    reason="a read-only bind mount needs root and a private mount namespace")


@needs_mount_namespace
def test_a_store_on_a_read_only_file_system_can_be_queried(tmp_path: Path) -> None:
    _count(tmp_path / "kg", tmp_path)
    (tmp_path / "kg" / ".aihkg.lock").unlink()  # a reader must not need to create it
    filled = aihkg("query", "challenges_by_use_count", cwd=tmp_path, env={"AIHKG_CACHE_DIR": str(tmp_path / "cache")})
    assert filled.code == 0 and any((tmp_path / "cache").iterdir())
    python = f"{sys.executable} -m aihkg"
    result = _in_private_mount(
        f"mount --bind -o ro {tmp_path}/kg {tmp_path}/kg && mount --bind -o ro {tmp_path}/cache {tmp_path}/cache"
        f" && cd {tmp_path} && "
        f"{python} --store oxigraph:kg query challenges_by_use_count --format csv > answer.csv 2> query.err;"
        f" echo query=$?; {python} --store oxigraph:kg load nothing.ttl; echo load=$?;"
        f" AIHKG_CACHE_DIR={tmp_path}/cache {python} cache clear; echo clear=$?", tmp_path)
    assert "query=0" in result.stdout, result.stdout + result.stderr
    assert (tmp_path / "answer.csv").read_text().count("\n") == 28 and (tmp_path / "query.err").read_text() == ""
    assert "load=1" in result.stdout and "clear=1" in result.stdout, result.stdout
    errors = result.stderr.splitlines()
    assert any(re.fullmatch(r"aihkg: error: oxigraph:kg: the store folder is read-only \(Read-only file "
                            r"system\); `aihkg load` needs to write to it.*", e) for e in errors), errors
    assert any(re.fullmatch(r"aihkg: error: cache folder .*cache: cannot remove .* \(read-only file system\).*", e)
               for e in errors), errors
    assert "Traceback" not in result.stderr


@pytest.fixture
def cold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("AIHKG_CACHE_DIR", str(folder))
    return folder


def test_a_header_entry_that_is_not_json_is_rebuilt(cold: Path, tmp_path: Path) -> None:
    from aihkg.graph.cache import read_entry, write_entry

    assert aihkg("query", "challenges_by_use_count", cwd=tmp_path).code == 0
    [entry] = cold.glob("query-header-challenges_by_use_count-*.json")
    write_entry(entry, b"this is not JSON {")  # a valid checksum over a body the reader cannot use
    for _ in range(2):
        run = aihkg("query", "challenges_by_use_count", cwd=tmp_path)
        assert run.code == 0 and run.err == "", run.err
    assert read_entry(entry).startswith(b"{")  # type: ignore[union-attr]


@pytest.mark.parametrize("args", [("validate", "--no-reasoner"), ("viz", "--focus", "MHRA", "-o", "x.png"),
                                  ("query", "challenges_by_use_count")], ids=["validate", "viz", "query"])
def test_a_cache_lock_held_elsewhere_ends_with_the_timeout(args: tuple[str, ...], cold: Path,
                                                           tmp_path: Path) -> None:
    from filelock import FileLock

    from aihkg.graph import builtin
    from aihkg.graph.cache import entry_path

    cold.mkdir()
    lock = FileLock(str(entry_path("builtin", builtin.content_hash(), ".nq")) + ".lock")
    with lock:
        run = run_measured(("--timeout", "3", *args), tmp_path)
    assert run.code == 1, run.err
    assert run.seconds < 3 + GRACE
    assert re.fullmatch(r"aihkg: error: another aihkg process is building the cache entry builtin-\w+\.nq "
                        r"\(it holds builtin-\w+\.nq\.lock\); stopped after waiting [\d.]+ s \(--timeout\); run "
                        r"again when it has finished\n", run.err), run.err
    assert not (tmp_path / "x.png").exists()


def test_a_store_lock_held_elsewhere_ends_with_the_timeout(tmp_path: Path) -> None:
    import fcntl

    _count(tmp_path / "kg", tmp_path)
    with open(tmp_path / "kg" / ".aihkg.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        run = run_measured(("--timeout", "2", "--store", "oxigraph:kg", "query", "challenges_by_use_count"),
                           tmp_path)
    assert run.code == 1 and run.seconds < 2 + GRACE, run.err
    assert run.err.splitlines()[-1].startswith("aihkg: error: oxigraph:kg is in use by another aihkg process"), run.err


# --------------------------------------------------------------------------- pushing to a real server


def _server_counts(base: str) -> dict[str, int]:
    import json
    import urllib.parse
    import urllib.request

    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    request = urllib.request.Request(f"{base}/query", data=urllib.parse.urlencode({"query": query}).encode(),
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our loopback server
        rows = json.loads(response.read())["results"]["bindings"]
    return {r["g"]["value"]: int(r["n"]["value"]) for r in rows}


@pytest.mark.server
def test_an_interrupted_push_leaves_the_old_graph_and_an_injected_name_touches_nothing(tmp_path: Path) -> None:
    from aihkg.graph import GRAPH_IRI
    from servers import oxigraph_server

    with oxigraph_server() as base:
        spec = f"sparql:{base}/query,{base}/update"
        import urllib.parse
        import urllib.request

        other = urllib.parse.urlencode({"update": "INSERT DATA { GRAPH <urn:other> { <urn:a> <urn:b> <urn:c> } }"})
        urllib.request.urlopen(urllib.request.Request(f"{base}/update", data=other.encode()), timeout=30)  # noqa: S310
        assert aihkg("--store", spec, "push", cwd=tmp_path).code == 0
        whole = _server_counts(base)
        assert whole == {GRAPH_IRI: whole[GRAPH_IRI], "urn:other": 1} and whole[GRAPH_IRI] > 8000
        rng = random.Random(15)
        for moment in sorted(rng.uniform(0.3, 1.2) for _ in range(3)):
            proc = subprocess.Popen([sys.executable, "-m", "aihkg", "--store", spec, "push"], cwd=tmp_path,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(moment)
            proc.kill()
            proc.wait(30)
            counts = _server_counts(base)
            assert counts[GRAPH_IRI] == whole[GRAPH_IRI] and counts["urn:other"] == 1, (moment, counts)
            answer = aihkg("--store", spec, "query", "challenges_by_use_count", cwd=tmp_path)
            assert answer.code == 0 and answer.out.strip().endswith("27 rows"), answer.err
        injected = aihkg("--store", spec, "push", cwd=tmp_path, env={"AIHKG_SPARQL_GRAPH": "urn:x> ; DROP ALL ; #"})
        assert injected.code == 2 and "is not a valid IRI" in injected.err
        assert aihkg("--store", spec, "push", cwd=tmp_path).code == 0  # drops a leftover staging graph first
        assert _server_counts(base) == whole


# --------------------------------------------------------------------------- kill -9 at random moments


def _kill_at(args: tuple[str, ...], moment: float, cwd: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "aihkg", *args], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(moment)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)


def moments(last: float, n: int = 6) -> list[float]:
    """When to kill: n moments up to `last` seconds, the same on every run (seeded)."""
    return sorted(random.Random(15).uniform(0.05, last) for _ in range(n))


def test_kill_9_during_export_leaves_the_old_file_or_the_new_one(tmp_path: Path) -> None:
    old = b"precious bytes that a failed command must keep\n"
    (tmp_path / "out.nt").write_bytes(old)
    new = aihkg("export", "-f", "nt", cwd=tmp_path).out.encode()
    for moment in moments(1.2, 8):  # an export takes about 0.7 s: some moments fall after it
        _kill_at(("export", "-f", "nt", "-o", "out.nt"), moment, tmp_path)
        body = (tmp_path / "out.nt").read_bytes()
        assert body in (old, new), moment
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.nt"], moment  # no temp file left
        (tmp_path / "out.nt").write_bytes(old)


def test_kill_9_during_load_leaves_a_usable_store(tmp_path: Path, workspace: Workspace) -> None:
    shutil.copy(workspace.root / "ten_mb.nt", tmp_path)
    before = _count(tmp_path / "kg", tmp_path)
    added = 0
    for moment in moments(2.5):  # a load of this file takes about 1.5 s
        _kill_at(("--store", "oxigraph:kg", "load", "ten_mb.nt"), moment, tmp_path)
        count = _count(tmp_path / "kg", tmp_path)  # it opens and answers
        added = added or count - before
        assert count in (before, before + added), (moment, count)
        if count != before:  # loaded whole: start again from the built-in graph alone
            shutil.rmtree(tmp_path / "kg")
            assert _count(tmp_path / "kg", tmp_path) == before


def test_kill_9_while_the_cache_is_built_leaves_a_usable_cache(cold: Path, tmp_path: Path) -> None:
    from aihkg.graph.cache import read_entry

    reference = aihkg("query", "challenges_by_use_count", "--format", "tsv", cwd=tmp_path,
                      env={"AIHKG_CACHE_DIR": str(tmp_path / "reference")}).out
    for moment in moments(5.0):  # building the cache takes about 3 s
        shutil.rmtree(cold, ignore_errors=True)
        _kill_at(("query", "challenges_by_use_count"), moment, tmp_path)
        entries = [p for p in cold.glob("*") if not p.name.endswith(".lock")] if cold.exists() else []
        assert not [p for p in entries if p.name.endswith(".tmp")], (moment, entries)
        assert all(read_entry(p) is not None for p in entries), moment  # complete, or not there at all
        again = aihkg("query", "challenges_by_use_count", "--format", "tsv", cwd=tmp_path)
        assert (again.code, again.out) == (0, reference), moment
