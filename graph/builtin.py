"""Where the built-in graph's Turtle lives, and the content hash that keys every cache."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from aihkg.graph import __version__

# Package data sits beside the code that reads it (importlib.resources would cost every start-up).
GRAPH_DIR = Path(__file__).resolve().parent
ONTOLOGY_DIR = GRAPH_DIR.parent / "ontology"


def _ttl_files(root: Path, prefix: str) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for entry in root.iterdir():
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            found.extend(_ttl_files(entry, f"{name}/"))
        elif entry.name.endswith(".ttl"):
            found.append((name, entry))
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
    """
    h = hashlib.sha256()
    h.update(f"aihkg {__version__}\n".encode())
    for name, data in builtin_bytes():
        h.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0")
        h.update(data)
    h.update(extra)
    return h.hexdigest()
