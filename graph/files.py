"""Reading RDF files a user hands us: format by extension, clear errors, nothing fetched.

Every user file is parsed by Oxigraph's parsers, which resolve no external entities (an RDF/XML
DTD that points at a file or URL is rejected) and report errors with line and column.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from aihkg.graph.errors import DataProblem, UsageProblem

# Extension -> pyoxigraph RdfFormat attribute name.
FORMAT_BY_EXTENSION: dict[str, str] = {
    ".ttl": "TURTLE", ".turtle": "TURTLE",
    ".nt": "N_TRIPLES", ".ntriples": "N_TRIPLES",
    ".nq": "N_QUADS", ".nquads": "N_QUADS",
    ".trig": "TRIG",
    ".n3": "N3",
    ".rdf": "RDF_XML", ".owl": "RDF_XML", ".xml": "RDF_XML",
    ".jsonld": "JSON_LD", ".json": "JSON_LD",
}
FORMAT_NAMES: dict[str, str] = {
    "turtle": "TURTLE", "ttl": "TURTLE", "nt": "N_TRIPLES", "ntriples": "N_TRIPLES",
    "nq": "N_QUADS", "nquads": "N_QUADS", "trig": "TRIG", "n3": "N3",
    "xml": "RDF_XML", "rdfxml": "RDF_XML", "rdf/xml": "RDF_XML",
    "jsonld": "JSON_LD", "json-ld": "JSON_LD",
}
TEXT_FORMATS = set(FORMAT_NAMES.values())
# A literal longer than this is almost certainly a mistake or an attack on memory.
MAX_LITERAL_CHARS = 10_000_000
MAX_JSON_DEPTH = 500
# Oxigraph's parsers hold one token (a literal, an IRI) in a buffer of at most this many bytes.
PARSER_TOKEN_BYTES = 16 * 1024 * 1024
_REMOTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_POSITION = re.compile(r"(?:at|between) line (\d+)(?: column (\d+)| between columns (\d+))?")


def resolve_format(path: str, override: str | None = None) -> str:
    """The pyoxigraph format name for `path`, from `override` or else the file extension."""
    if override:
        name = FORMAT_NAMES.get(override.lower())
        if not name:
            raise UsageProblem(
                f"unknown RDF format '{override}' (use one of: {', '.join(sorted(set(FORMAT_NAMES)))})"
            )
        return name
    suffix = Path(path).suffix.lower()
    if suffix not in FORMAT_BY_EXTENSION:
        raise UsageProblem(
            f"{path}: cannot tell the RDF format from the extension '{suffix or '(none)'}'; "
            "name it with --data-format (turtle, nt, nq, trig, xml, jsonld, n3)"
        )
    return FORMAT_BY_EXTENSION[suffix]


def is_remote(location: str) -> bool:
    return bool(_REMOTE.match(location)) and not location.lower().startswith("file://")


# Files larger than this are parsed as a stream (not read whole), with the checks that need the
# whole text (UTF-8 position, JSON-LD depth, XML entities) done on the formats that need them.
STREAM_BYTES = 64 * 1024 * 1024


def iter_rdf(location: str, *, format_override: str | None = None, allow_remote: bool = False,
             remote_timeout: float = 30.0) -> Iterator[Any]:
    """Parse one RDF file (or, if allowed, URL) into pyoxigraph quads, lazily, or raise a clear error.

    Blank nodes are renamed apart, so two files that both say _:b1 do not merge their nodes.
    """
    import pyoxigraph as ox

    stream: str | None = None
    if is_remote(location):
        if not allow_remote:
            raise UsageProblem(
                f"{location}: remote data is not loaded by default (no connection was made); "
                "download it first or pass --allow-remote"
            )
        data = _fetch(location, remote_timeout)
        name = location
        fmt = resolve_format(location.split("?")[0], format_override)
        base = location
    else:
        if location.lower().startswith("file://"):
            location = location[7:]
        path = Path(location)
        if path.is_dir():  # before the extension: a folder's name has none, and that is not the problem
            raise DataProblem(f"{location}: is a folder, not an RDF file")
        fmt = resolve_format(location, format_override)
        name = location
        with open_regular(location, "an RDF file") as fh:
            base = path.resolve().as_uri()
            size = os.fstat(fh.fileno()).st_size
            try:
                if size > STREAM_BYTES and fmt in ("TURTLE", "N_TRIPLES", "N_QUADS", "TRIG"):
                    data = fh.read(65536)
                    stream = str(path)
                else:
                    data = fh.read()
            except OSError as exc:
                raise DataProblem(f"{location}: cannot read ({exc.strerror})") from None
    if stream is None:
        _check_bytes(name, data, fmt)
    elif b"\0" in data:
        raise DataProblem(f"{name}: looks like a binary file, not {_pretty(fmt)}")
    source = {"path": stream} if stream else {"input": data}
    # In N-Triples and N-Quads a literal cannot span lines and each of its characters takes at least
    # one byte, so a file with no line longer than the limit has no literal longer than it either:
    # checked on the bytes at disk speed instead of on every quad.
    lines_bound_literals = fmt in ("N_TRIPLES", "N_QUADS") and _lines_at_most(stream, data, MAX_LITERAL_CHARS)
    count = 0
    try:
        quads = ox.parse(**source, format=getattr(ox.RdfFormat, fmt), base_iri=base, rename_blank_nodes=True)
        if lines_bound_literals:
            first = next(quads, None)
            if first is not None:
                count = 1
                yield first
                yield from quads
            quads = iter(())
        for quad in quads:
            obj = quad.object
            if isinstance(obj, ox.Literal) and len(obj.value) > MAX_LITERAL_CHARS:
                raise DataProblem(
                    f"{name}: a literal of {len(obj.value):,} characters on {_short(quad.subject)} "
                    f"exceeds the limit of {MAX_LITERAL_CHARS:,}"
                )
            count += 1
            yield quad
    except (SyntaxError, ValueError) as exc:
        raise engine_errors(name, fmt, exc) from None
    except MemoryError as exc:
        if not str(exc).startswith("Reached the buffer maximal size"):
            raise
        raise DataProblem(_too_long_token(name, stream, data)) from None
    if not count:
        raise DataProblem(f"{name}: contains no triples")


def _lines_at_most(path: str | None, data: bytes, limit: int, chunk: int = 4 * 1024 * 1024) -> bool:
    """Whether no line of the file at `path` (or of `data`) is longer than `limit` bytes.

    Read in pieces no larger than `limit`, so a longer line must run across a piece's end: only
    the runs that do are measured.
    """
    import io

    chunk = max(1, min(chunk, limit))  # a line inside one piece is then shorter than the limit
    run = 0
    try:
        with (open(path, "rb") if path else io.BytesIO(data)) as fh:
            while piece := fh.read(chunk):
                first = piece.find(b"\n")
                if first < 0:
                    run += len(piece)
                else:
                    if run + first > limit:
                        return False
                    run = len(piece) - piece.rfind(b"\n") - 1
                if run > limit:
                    return False
    except OSError:
        return False  # the parser will say what is wrong with the file
    return True


# A line that holds no triple in N-Triples: blank or a comment (the \n before it is matched).
_NO_TRIPLE_AFTER = re.compile(rb"\n(?=[ \t]*(?:#|\r?\n|\r?\Z))")
_NO_TRIPLE_FIRST = re.compile(rb"[ \t]*(?:#|\r?\n|\r?\Z)")


def engine_ntriples(location: str, format_override: str | None = None) -> int | None:
    """The number of triples in a big local N-Triples file the engine can read itself, else None.

    For such a file, every check `iter_rdf` makes before and while parsing is decided on its bytes
    at disk speed (a regular file, not binary, no line and so no literal over the limit), so it can
    go to Oxigraph's own loader without passing each triple through Python. N-Triples holds one
    triple a line, so the triples are the lines that are neither blank nor a comment.
    """
    import mmap

    if is_remote(location) or resolve_format(location, format_override) != "N_TRIPLES":
        return None
    with open_regular(location, "an RDF file") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size <= STREAM_BYTES or b"\0" in fh.read(65536):
            return None  # small files take the usual path; a binary file gets its error there
        if not _lines_at_most(location, b"", MAX_LITERAL_CHARS):
            return None
        piece = 4 * 1024 * 1024
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            lines = 1 + sum(mm[at:at + piece].count(b"\n") for at in range(0, size, piece))
            empty = sum(1 for _ in _NO_TRIPLE_AFTER.finditer(mm)) + bool(_NO_TRIPLE_FIRST.match(mm))
    return (lines - empty) or None  # a file of comments only gets its "contains no triples" there


def engine_errors(name: str, fmt: str, exc: SyntaxError | ValueError) -> DataProblem:
    """The DataProblem for an error Oxigraph's parser raised while reading `name`."""
    if isinstance(exc, SyntaxError):
        return DataProblem(f"{name}{_position(str(exc))}: not valid {_pretty(fmt)}: {_reason(str(exc))}")
    return DataProblem(f"{name}: not valid {_pretty(fmt)}: {_reason(str(exc))}")


_FILE_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"))


@contextmanager
def open_regular(location: str, what: str) -> Iterator[BinaryIO]:
    """`location` opened for reading if it is a regular file; else a DataProblem saying what it is.

    /dev/zero or /dev/urandom would be read until memory runs out, and a FIFO with no writer would
    wait for ever, so only regular files are read. The file is opened before it is looked at
    (O_NONBLOCK, so that a FIFO cannot block the open), so what is checked is what is read.
    """
    try:
        fd = os.open(location, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise DataProblem(f"{location}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket cannot be opened
            raise DataProblem(f"{location}: is a socket, not {what}") from None
        raise DataProblem(f"{location}: cannot read ({exc.strerror})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise DataProblem(f"{location}: is a folder, not {what}")
        kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")
        raise DataProblem(f"{location}: is {kind}, not {what}; aihkg reads only regular files "
                          "(save it to a file first)")
    os.set_blocking(fd, True)
    with os.fdopen(fd, "rb") as fh:
        yield fh


def read_query_file(location: str, limit: int = 2_000_000) -> str:
    """A query file's text: a regular file of at most `limit` bytes, in UTF-8."""
    with open_regular(location, "a query file") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise DataProblem(f"{location}: {size:,} bytes is too large for a query file (the limit is {limit:,})")
        try:
            raw = fh.read(limit + 1)
        except OSError as exc:
            raise DataProblem(f"{location}: cannot read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataProblem(f"{location}:{line}: not valid UTF-8 (byte offset {exc.start})") from None


def add_in_batches(store: Any, quads: Iterable[Any], batch: int = 100_000) -> int:
    """Add quads to a pyoxigraph Store a batch at a time (bounded memory); return how many."""
    total = 0
    chunk: list[Any] = []
    for quad in quads:
        chunk.append(quad)
        if len(chunk) >= batch:
            store.extend(chunk)
            total += len(chunk)
            chunk = []
    if chunk:
        store.extend(chunk)
        total += len(chunk)
    return total


# RDF/XML DTDs. Oxigraph resolves no external entity, but it expands internal ones, nested ones
# included, without a bound, and it reads more spellings of a declaration than XML allows
# (<!ENTITY"x" ...>, names with ':'). So the one form ontology editors write is accepted, read
# strictly: a general entity whose value is plain text (`<!ENTITY owl "http://...owl#">`), which
# can expand to at most its length per reference. Any other declaration in a DTD (parameter
# entities, external entities, values that refer to entities, anything not read exactly) is
# refused before the parser sees the file, and so is an external DTD.
_DOCTYPE_WORD = re.compile(rb"<!DOCTYPE", re.I)
_ENTITY_WORD = re.compile(rb"<!ENTITY", re.I)
_DOCTYPE_HEAD = re.compile(rb"<!DOCTYPE\s+[A-Za-z_][\w.:-]*\s*")
# Double quotes only: Oxigraph refuses single-quoted entity values.
_PLAIN_ENTITY = re.compile(rb"""<!ENTITY\s+([A-Za-z_][A-Za-z0-9._-]*)\s+("[^"&%<]*")\s*>""")
_REFERENCE = re.compile(rb"&([^\s&;<>\"']{1,200});")
_XML_BUILTIN = {b"lt", b"gt", b"amp", b"apos", b"quot"}
MAX_ENTITIES = 10_000


def _refuse_dtd(name: str, what: str, at: bytes) -> DataProblem:
    from aihkg.graph.terminal import excerpt

    end = at.find(b">")
    shown = excerpt(at[: end + 1 if end >= 0 else len(at)].decode("utf-8", "replace"), 32)
    return DataProblem(f"{name}: RDF/XML refused: its DTD {what} ({shown}); only entities with plain-text "
                       'values (<!ENTITY name "text">) are read, as they can neither fetch nor expand without bound')


def _check_dtd(name: str, data: bytes) -> None:
    """Refuse RDF/XML whose DTD could fetch anything or expand without bound ("billion laughs")."""
    doctypes = [m.start() for m in _DOCTYPE_WORD.finditer(data)]
    if not doctypes:
        if _ENTITY_WORD.search(data):
            at = _ENTITY_WORD.search(data).start()  # type: ignore[union-attr]
            raise _refuse_dtd(name, "declares an entity outside a DOCTYPE", data[at:at + 40])
        return
    if len(doctypes) > 1:
        raise _refuse_dtd(name, "appears more than once", data[doctypes[1]:doctypes[1] + 40])
    start = doctypes[0]
    head = _DOCTYPE_HEAD.match(data, start)
    if not head:
        raise _refuse_dtd(name, "is not written as aihkg reads it", data[start:start + 40])
    at = head.end()
    if data.startswith((b"SYSTEM", b"PUBLIC"), at):
        raise _refuse_dtd(name, "is an external DTD", data[at:at + 40])
    values: dict[bytes, int] = {}
    if data.startswith(b"[", at):
        at += 1
        while True:
            while at < len(data) and data[at:at + 1].isspace():
                at += 1
            if data.startswith(b"]", at):
                at += 1
                break
            declared = _PLAIN_ENTITY.match(data, at)
            if not declared:
                raise _refuse_dtd(name, _what_is_declared(data[at:at + 400]), data[at:at + 40])
            values[declared.group(1)] = len(declared.group(2)) - 2
            if len(values) > MAX_ENTITIES:
                raise _refuse_dtd(name, f"declares more than {MAX_ENTITIES:,} entities", data[at:at + 40])
            at = declared.end()
    while at < len(data) and data[at:at + 1].isspace():
        at += 1
    if not data.startswith(b">", at):
        raise _refuse_dtd(name, "is not written as aihkg reads it", data[at:at + 40])
    # Every declaration inside the DOCTYPE was read above; one anywhere else is refused.
    outside = [m.start() for m in _ENTITY_WORD.finditer(data) if not start <= m.start() < at]
    if outside:
        where = outside[0]
        raise _refuse_dtd(name, "is followed by an entity declaration outside it", data[where:where + 40])
    if not values:
        return
    total = 0
    for ref in _REFERENCE.finditer(data, at):
        total += values.get(ref.group(1), 0)
    if total > MAX_LITERAL_CHARS:
        raise DataProblem(f"{name}: its XML entities expand to {total:,} characters; the limit is "
                          f"{MAX_LITERAL_CHARS:,}")


def _what_is_declared(text: bytes) -> str:
    if re.match(rb"<!ENTITY\s*%", text):
        return "declares a parameter entity"
    if re.match(rb"<!ENTITY\s+\S+\s+(SYSTEM|PUBLIC)\b", text):
        return "declares an external entity"
    if re.match(rb"""<!ENTITY\s+\S+\s+("[^"]*[&%][^"]*"|'[^']*[&%][^']*')""", text):
        return "declares an entity whose value refers to other entities"
    if text.startswith(b"<!ENTITY"):
        return "declares an entity in a form aihkg does not read"
    return "holds a declaration other than a plain-text entity"


def _check_bytes(name: str, data: bytes, fmt: str) -> None:
    if not data.strip():
        raise DataProblem(f"{name}: file is empty")
    if fmt in TEXT_FORMATS and b"\0" in data[:65536]:
        raise DataProblem(f"{name}: looks like a binary file, not {_pretty(fmt)}")
    if fmt == "RDF_XML":
        if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            raise DataProblem(f"{name}: not RDF/XML (starts with text, not with '<')")
        _check_dtd(name, data)
        return  # XML declares its own encoding; Oxigraph reads UTF-8 only, and says so
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataProblem(f"{name}:{line}: not valid UTF-8 (byte offset {exc.start})") from None
    if fmt == "JSON_LD":
        _check_json_depth(name, text)


def _check_json_depth(name: str, text: str) -> None:
    # Oxigraph's JSON-LD parser recurses per nesting level; a hostile file could overflow its stack.
    import json

    try:
        json.loads(text)
    except RecursionError:
        raise DataProblem(f"{name}: JSON-LD is nested too deeply to read safely") from None
    except ValueError as exc:
        line, reason = getattr(exc, "lineno", "?"), getattr(exc, "msg", exc)
        raise DataProblem(f"{name}:{line}: not valid JSON ({reason})") from None
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    if deepest > MAX_JSON_DEPTH:
        raise DataProblem(f"{name}: JSON-LD is nested {deepest} levels deep; the limit is {MAX_JSON_DEPTH}")


def _fetch(url: str, timeout: float) -> bytes:
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": "text/turtle, application/n-triples;q=0.9, */*;q=0.1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - opt-in only
            return response.read()
    except OSError as exc:
        raise DataProblem(f"{url}: cannot download ({exc})") from None


def _position(message: str) -> str:
    m = _POSITION.search(message)
    if not m:
        return ""
    column = m.group(2) or m.group(3)
    return f":{m.group(1)}" + (f":{column}" if column else "")


def _reason(message: str) -> str:
    """The parser's reason, safe to print: what it quotes from the file is cut to a short, escaped
    excerpt, so an error on a file that is not RDF (a key file, /etc/shadow) never shows its lines."""
    from aihkg.graph.terminal import excerpt, one_line

    # Oxigraph says "Parser error at line 3 column 7: <reason> (line 3)"; keep the reason.
    reason = message.split(": ", 1)[1] if message.startswith("Parser error") and ": " in message else message
    reason = re.sub(r"\s*\(line \d+\)$", "", reason).strip()
    if reason.startswith("Unexpected text event"):
        return "text where RDF/XML expects an element"
    reason = re.sub(r"'([^']*)'", lambda m: "'" + excerpt(m.group(1), 24) + "'", reason, flags=re.S)
    words = [w if len(w) <= 32 else w[:31] + "…" for w in one_line(reason).split(" ")]
    return excerpt(" ".join(words), 200)


def _too_long_token(name: str, stream: str | None, data: bytes | None) -> str:
    """Say where the term too long for the parser's buffer is: the first line longer than it."""
    found = _long_line(_chunks(stream) if stream else iter([data or b""]))
    where, size = (f":{found[0]}", f"; line {found[0]} is {found[1]:,} bytes long") if found else ("", "")
    return (f"{name}{where}: a literal or IRI of more than {PARSER_TOKEN_BYTES // 1024**2} MiB, more than the parser "
            f"reads as one term{size}; literals may have at most {MAX_LITERAL_CHARS:,} characters")


def _long_line(chunks: Iterable[bytes]) -> tuple[int, int] | None:
    """(line number, length in bytes) of the first line longer than PARSER_TOKEN_BYTES."""
    line, length = 1, 0
    for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            length += end - start
            if length > PARSER_TOKEN_BYTES:
                return line, length
            line, length, start = line + 1, 0, end + 1
        length += len(chunk) - start
    return (line, length) if length > PARSER_TOKEN_BYTES else None


def _chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            yield chunk


def _pretty(fmt: str) -> str:
    return {"TURTLE": "Turtle", "N_TRIPLES": "N-Triples", "N_QUADS": "N-Quads", "TRIG": "TriG",
            "N3": "N3", "RDF_XML": "RDF/XML", "JSON_LD": "JSON-LD"}.get(fmt, fmt)


def _short(term: object) -> str:
    text = str(term)
    return text if len(text) < 80 else text[:77] + "..."
