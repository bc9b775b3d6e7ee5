"""Where the built-in graph's Turtle lives, and the content hash that keys every cache."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from aihkg.graph import __version__

# Package data sits beside the code that reads it (importlib.resources would cost every start-up).
GRAPH_DIR = Path(__file__).resolve().parent
ONTOLOGY_DIR = GRAPH_DIR.parent / "ontology"


def _ttl_files(root: Path, prefix: str) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    with os.scandir(root) as entries:
        for entry in entries:
            name = f"{prefix}{entry.name}"
            if entry.is_dir():
                found.extend(_ttl_files(Path(entry.path), f"{name}/"))
            elif entry.name.endswith(".ttl"):
                found.append((name, Path(entry.path)))
    return found


def ontology_files() -> list[tuple[str, Path]]:
    """The ontology's own Turtle (not the shapes), as (name, resource) pairs."""
    return [("ontology/aihkg.ttl", ONTOLOGY_DIR / "aihkg.ttl")]


def shapes_file() -> Path:
    return ONTOLOGY_DIR / "shapes.ttl"


def data_files() -> list[tuple[str, Path]]:
    """The instance data, sorted by name so every build sees the same order."""
    return sorted(_ttl_files(GRAPH_DIR / "data", "graph/data/"), key=lambda p: p[0])


def builtin_files() -> list[tuple[str, Path]]:
    return ontology_files() + data_files()


@lru_cache(maxsize=1)
def builtin_bytes() -> tuple[tuple[str, bytes], ...]:
    return tuple((name, res.read_bytes()) for name, res in builtin_files())


def content_hash(extra: bytes = b"") -> str:
    """SHA-256 over the code version and every built-in file's name and bytes.

    A cache entry whose name carries this hash can only hold a graph built from exactly these
    inputs, so a changed source file or a new release makes every old entry unreachable.

    Hashing every file on every start would cost a query a few milliseconds, so the hash is kept
    in the cache beside the files' fingerprint (see `fingerprint`) and computed again only when
    the fingerprint changes. `extra` keys a variant: the hash of this hash and `extra`.
    """
    key = _builtin_key()
    if not extra:
        return key
    import hashlib

    return hashlib.sha256(key.encode() + b"\0" + extra).hexdigest()


def hash_files() -> str:
    """The content hash itself, from the files' bytes as `builtin_bytes` read them (what `content_hash`
    keeps, and what a build of the graph checks its bytes against)."""
    import hashlib

    h = hashlib.sha256()
    h.update(f"aihkg {__version__}\n".encode())
    for name, data in builtin_bytes():
        h.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0")
        h.update(data)
    return h.hexdigest()


def fingerprint() -> str:
    """What the file system says about each built-in file: name, size, modification and change
    times (ns), inode and device, one line each, after the code version.

    Writing a file changes its change time (st_ctime), which no program can set back: unlike the
    modification time, which `touch -r` or a copy that keeps times can, it cannot be made to match
    the old file's. A reinstall gives new inodes. So a file whose bytes differ from when the hash
    was kept differs here too, and the hash is computed again.
    """
    lines = [f"aihkg {__version__}"]
    for name, res in builtin_files():
        st = res.stat()
        lines.append(f"{name}\t{st.st_size}\t{st.st_mtime_ns}\t{st.st_ctime_ns}\t{st.st_ino}\t{st.st_dev}")
    return "\n".join(lines) + "\n"


_KEY_LINE = "sha256 "
_known: tuple[str, str] | None = None  # (fingerprint, hash) already seen in this process


def _fingerprint_path() -> Path:
    import zlib

    from aihkg.graph.cache import cache_dir

    # One record per installed copy (two versions may share a cache folder), named by its place.
    return cache_dir() / f"fingerprint-{zlib.crc32(str(GRAPH_DIR).encode('utf-8', 'surrogateescape')):08x}.txt"


def _builtin_key() -> str:
    global _known
    before = fingerprint()
    if _known is not None and _known[0] == before:
        return _known[1]
    from aihkg.graph.cache import read_entry, write_entry

    record = _fingerprint_path()  # a cache entry like any other: checked by its length and CRC
    try:
        kept = (read_entry(record) or b"").decode("utf-8")
    except UnicodeDecodeError:
        kept = ""
    if kept.startswith(before):
        line = kept[len(before):]
        digest = line[len(_KEY_LINE):].rstrip("\n")
        if line.startswith(_KEY_LINE) and line.endswith("\n") and len(digest) == 64 \
                and all(c in "0123456789abcdef" for c in digest):
            _known = (before, digest)
            return digest
    builtin_bytes.cache_clear()  # the files changed, or were never read: read them afresh
    digest = hash_files()
    # Kept only if nothing changed while the files were read: else the next run hashes them again.
    if fingerprint() == before:
        _known = (before, digest)
        import contextlib

        with contextlib.suppress(OSError):  # a read-only cache folder: hash again next time
            write_entry(record, (before + _KEY_LINE + digest + "\n").encode("utf-8"))
    return digest
