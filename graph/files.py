"""Reading RDF files a user hands us: format by extension, clear errors, nothing fetched.

Every user file is parsed by Oxigraph's parsers, which resolve no external entities (an RDF/XML
DTD that points at a file or URL is rejected) and report errors with line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

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
        if not path.exists():
            raise DataProblem(f"{location}: no such file")
        if path.is_dir():
            raise DataProblem(f"{location}: is a folder, not an RDF file")
        fmt = resolve_format(location, format_override)
        name = location
        base = path.resolve().as_uri()
        try:
            if path.stat().st_size > STREAM_BYTES and fmt in ("TURTLE", "N_TRIPLES", "N_QUADS", "TRIG"):
                with path.open("rb") as fh:
                    data = fh.read(65536)
                stream = str(path)
            else:
                data = path.read_bytes()
        except OSError as exc:
            raise DataProblem(f"{location}: cannot read ({exc.strerror})") from None
    if stream is None:
        _check_bytes(name, data, fmt)
    elif b"\0" in data:
        raise DataProblem(f"{name}: looks like a binary file, not {_pretty(fmt)}")
    source = {"path": stream} if stream else {"input": data}
    count = 0
    try:
        for quad in ox.parse(**source, format=getattr(ox.RdfFormat, fmt), base_iri=base, rename_blank_nodes=True):
            obj = quad.object
            if isinstance(obj, ox.Literal) and len(obj.value) > MAX_LITERAL_CHARS:
                raise DataProblem(
                    f"{name}: a literal of {len(obj.value):,} characters on {_short(quad.subject)} "
                    f"exceeds the limit of {MAX_LITERAL_CHARS:,}"
                )
            count += 1
            yield quad
    except SyntaxError as exc:
        raise DataProblem(f"{name}{_position(str(exc))}: not valid {_pretty(fmt)}: {_reason(str(exc))}") from None
    except ValueError as exc:
        raise DataProblem(f"{name}: not valid {_pretty(fmt)}: {exc}") from None
    if not count:
        raise DataProblem(f"{name}: contains no triples")


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


_ENTITY = re.compile(rb"<!ENTITY\s+([^\s%]+)\s+(\"[^\"]*\"|'[^']*')")
_REFERENCE = re.compile(rb"&([A-Za-z_][\w.\-]*);")


def _check_entity_expansion(name: str, data: bytes) -> None:
    """Refuse RDF/XML whose internal entities expand past MAX_LITERAL_CHARS ("billion laughs").

    Oxigraph resolves no external entity, but it does expand internal ones, without a bound.
    """
    values = {m.group(1): m.group(2)[1:-1] for m in _ENTITY.finditer(data)}
    if not values:
        return
    sizes: dict[bytes, int] = {}

    def size(entity: bytes, seen: frozenset[bytes] = frozenset()) -> int:
        if entity not in values or entity in seen:
            return 0
        if entity not in sizes:
            body = values[entity]
            sizes[entity] = len(body) + sum(size(r, seen | {entity}) for r in _REFERENCE.findall(body))
        return sizes[entity]

    total = sum(size(ref) for ref in _REFERENCE.findall(data))
    if total > MAX_LITERAL_CHARS:
        raise DataProblem(f"{name}: its XML entities expand to {total:,} characters; the limit is "
                          f"{MAX_LITERAL_CHARS:,}")


def _check_bytes(name: str, data: bytes, fmt: str) -> None:
    if not data.strip():
        raise DataProblem(f"{name}: file is empty")
    if fmt == "RDF_XML":
        _check_entity_expansion(name, data)
    if fmt in TEXT_FORMATS and b"\0" in data[:65536]:
        raise DataProblem(f"{name}: looks like a binary file, not {_pretty(fmt)}")
    if fmt != "RDF_XML":  # XML declares its own encoding
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
    # Oxigraph says "Parser error at line 3 column 7: <reason> (line 3)"; keep the reason.
    reason = message.split(": ", 1)[1] if ": " in message else message
    return re.sub(r"\s*\(line \d+\)$", "", reason).strip()


def _pretty(fmt: str) -> str:
    return {"TURTLE": "Turtle", "N_TRIPLES": "N-Triples", "N_QUADS": "N-Quads", "TRIG": "TriG",
            "N3": "N3", "RDF_XML": "RDF/XML", "JSON_LD": "JSON-LD"}.get(fmt, fmt)


def _short(term: object) -> str:
    text = str(term)
    return text if len(text) < 80 else text[:77] + "..."
