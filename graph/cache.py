"""A content-addressed cache of heavy work (the parsed built-in graph, its OWL-RL closure,
reasoner verdicts), in the user's cache folder.

Each entry is one file named by kind and the hash of its inputs. Its first line carries the
SHA-256 of the rest, so a truncated or corrupted entry is detected on read and rebuilt. Entries
are written to a temporary file and renamed, and one builder at a time holds a lock, so any
number of processes may start at once on a cold cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from aihkg.graph.atomic import atomic_write_bytes

_MAGIC = b"# aihkg-cache sha256="


def cache_dir() -> Path:
    """AIHKG_CACHE_DIR if set, else the platform's user cache folder for aihkg."""
    configured = os.environ.get("AIHKG_CACHE_DIR")
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("aihkg", appauthor=False))


def entry_path(kind: str, key: str, suffix: str) -> Path:
    return cache_dir() / f"{kind}-{key[:32]}{suffix}"


def read_entry(path: Path) -> bytes | None:
    """The entry's body if the file exists and its checksum holds, else None."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    header, sep, body = raw.partition(b"\n")
    if not sep or not header.startswith(_MAGIC):
        return None
    if hashlib.sha256(body).hexdigest().encode() != header[len(_MAGIC):].strip():
        return None
    return body


def write_entry(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = _MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n"
    atomic_write_bytes(path, header + body)


def cached(kind: str, key: str, build: Callable[[], bytes], suffix: str = ".bin") -> bytes:
    """Return the cached body for (kind, key), building and storing it first if needed."""
    path = entry_path(kind, key, suffix)
    body = read_entry(path)
    if body is not None:
        return body
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        from filelock import FileLock

        lock = FileLock(str(path) + ".lock", timeout=600)
        with lock:
            body = read_entry(path)  # another process may have built it while we waited
            if body is None:
                body = build()
                write_entry(path, body)
                _prune(kind, keep=path)
    except OSError:
        # A read-only or full cache folder must not stop the command: build in memory.
        body = build()
    return body


def _prune(kind: str, keep: Path) -> None:
    for old in keep.parent.glob(f"{kind}-*"):
        if old.name.startswith(keep.name):
            continue
        with contextlib.suppress(OSError):
            old.unlink()


def clear() -> int:
    """Remove every cache entry; return how many files went."""
    folder = cache_dir()
    removed = 0
    if folder.is_dir():
        for item in folder.iterdir():
            if item.is_file():
                item.unlink()
                removed += 1
    return removed
