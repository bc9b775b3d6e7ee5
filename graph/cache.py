"""A content-addressed cache of heavy work (the parsed built-in graph, its OWL-RL closure,
reasoner verdicts), in the user's cache folder.

Each entry is one file named by kind and the hash of its inputs. Its first line carries the
length and CRC-32 of the rest, so a truncated or corrupted entry is detected on read and rebuilt.
The name already says what the entry must hold (the hash of its inputs); the check only has to
catch damage, and CRC-32 catches every burst of up to 32 changed bits for a third of SHA-256's
time on the 1.7 MB graph, without a query having to load OpenSSL (hashlib) at all. Entries
are written to a temporary file and renamed, and one builder at a time holds a lock, so any
number of processes may start at once on a cold cache.
"""

from __future__ import annotations

import contextlib
import errno
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from aihkg.graph.atomic import atomic_write_bytes

_MAGIC = b"# aihkg-cache crc32="


def cache_dir() -> Path:
    """AIHKG_CACHE_DIR if set, else the platform's user cache folder for aihkg."""
    configured = os.environ.get("AIHKG_CACHE_DIR")
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("aihkg", appauthor=False))


def text_key(text: str) -> str:
    """A short name for an entry kept for one text (a query's verdict, a parsed header): the
    text's CRC-32 and length.

    Only a name, not a proof: such an entry holds its whole text and its reader uses it only for
    a text equal to it, so two texts that share a name never share an answer, with no
    cryptographic hash (nor OpenSSL, which hashlib loads) needed.
    """
    data = text.encode("utf-8", "surrogatepass")
    return f"{zlib.crc32(data):08x}{len(data):08x}"


def entry_path(kind: str, key: str, suffix: str) -> Path:
    return cache_dir() / f"{kind}-{key[:32]}{suffix}"


def read_entry(path: Path) -> bytes | None:
    """The entry's body if the file exists and its checksum holds, else None."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    header, sep, body = raw.partition(b"\n")
    if not sep or header != _header(body):
        return None
    return body


def open_entry(path: Path) -> BinaryIO | None:
    """The entry's file, open at the start of its body, if its checksum holds, else None.

    For a reader that parses files: the body is checked where it lies (mapped, not copied into
    Python), and read from the same open file, so what is read is what was checked.
    """
    import mmap

    try:
        handle = open(path, "rb")  # noqa: SIM115 - handed to the caller, who closes it
    except OSError:
        return None
    try:
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            end = mapped.find(b"\n", 0, 128)
            with memoryview(mapped) as view, view[end + 1:] as body:
                good = end > 0 and mapped[:end] == _header(body)
        if good:
            handle.seek(end + 1)
            return handle
    except (OSError, ValueError):  # an empty file cannot be mapped
        pass
    handle.close()
    return None


def _header(body: bytes | memoryview) -> bytes:
    return _MAGIC + b"%08x length=%d" % (zlib.crc32(body), len(body))


def write_entry(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, _header(body) + b"\n" + body)


def cached(kind: str, key: str | None, build: Callable[[], bytes], suffix: str = ".bin",
           check: Callable[[bytes], bool] | None = None) -> bytes:
    """Return the cached body for (kind, key), building and storing it first if needed.

    key=None builds without caching (the input has no stable identity). `check` vets a body whose
    checksum holds (one written by an older version may still not be what this one reads): a body
    it refuses is rebuilt and replaced. Waiting for another process that is building the same entry
    ends with the command's --timeout, with a message that says so.
    """
    if key is None:
        return build()
    path = entry_path(kind, key, suffix)
    body = _usable(read_entry(path), check)
    if body is not None:
        return body
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = _acquire(path)
        try:
            body = _usable(read_entry(path), check)  # another process may have built it while we waited
            if body is None:
                body = build()
                write_entry(path, body)
                _prune(kind, keep=path)
        finally:
            lock.release()
    except OSError:
        # A read-only or full cache folder must not stop the command: build in memory.
        body = build()
    return body


def cached_file(kind: str, key: str, build: Callable[[], bytes], suffix: str = ".bin") -> BinaryIO | bytes:
    """`cached` for a body a parser reads from a file: a good entry comes back as its open file at
    the start of the body (the caller closes it), a body built now (or read again after waiting
    for another builder) as bytes. The 1.7 MB built-in graph is parsed straight from the cache
    file, without two copies of it in Python's memory (a tenth of a query's page faults).
    """
    handle = open_entry(entry_path(kind, key, suffix))
    return handle if handle is not None else cached(kind, key, build, suffix)


def _usable(body: bytes | None, check: Callable[[bytes], bool] | None) -> bytes | None:
    if body is None or check is None:
        return body
    try:
        return body if check(body) else None
    except Exception:  # noqa: BLE001 - a check that cannot read the body refuses it
        return None


def _acquire(path: Path):  # noqa: ANN202 - a filelock.FileLock, held
    """The build lock for `path`, waiting at most until the command's --timeout (else 600 s)."""
    import time

    from filelock import FileLock, Timeout

    from aihkg.graph import deadline

    left = deadline.remaining()
    wait = 600.0 if left is None else max(0.0, left - 0.5)
    lock = FileLock(str(path) + ".lock")
    started = time.monotonic()
    try:
        lock.acquire(timeout=wait, poll_interval=0.05)
    except Timeout:
        if left is None:
            raise OSError("the cache lock is still held") from None  # build in memory, as for a read-only cache
        from aihkg.graph.errors import StoreProblem

        raise StoreProblem(
            f"another aihkg process is building the cache entry {path.name} (it holds {path.name}.lock); "
            f"stopped after waiting {time.monotonic() - started:.1f} s (--timeout); run again when it has "
            "finished") from None
    return lock


def _prune(kind: str, keep: Path) -> None:
    for old in keep.parent.glob(f"{kind}-*"):
        if old.name.startswith(keep.name):
            continue
        with contextlib.suppress(OSError):
            old.unlink()


def clear() -> int:
    """Remove every cache entry; return how many files went."""
    from aihkg.graph.errors import StoreProblem

    folder = cache_dir()
    removed = 0
    if folder.is_dir():
        for item in folder.iterdir():
            if item.is_file():
                try:
                    item.unlink()
                except OSError as exc:
                    reason = "read-only file system" if exc.errno == errno.EROFS else exc.strerror
                    raise StoreProblem(f"cache folder {folder}: cannot remove {item.name} ({reason}); "
                                       f"{removed} file(s) removed before it") from None
                removed += 1
    return removed
