"""graph/builtin.py: the content hash that keys every cache, kept beside the files' fingerprint.

The hash is read from the cache while the built-in files' fingerprint (size, modification and
change times, inode) is what it was; any change to a file, even one that keeps its size and
modification time, makes it computed again from the bytes, and a build then caches under the new
key. The files here are small copies, so the tests can change them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aihkg.graph import build, builtin
from aihkg.graph.cache import read_entry, write_entry

ONTOLOGY = """@prefix owl: <http://www.w3.org/2002/07/owl#> .
<https://w3id.org/aihkg/ontology> a owl:Ontology .
"""
DATA = """@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/aihkg/id/MHRA> rdfs:label "Medicines regulator" .
"""


@pytest.fixture
def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Built-in files of our own (one ontology file, one data file) and a fresh cache folder."""
    (tmp_path / "ontology").mkdir()
    (tmp_path / "ontology" / "aihkg.ttl").write_text(ONTOLOGY)
    (tmp_path / "graph" / "data").mkdir(parents=True)
    data = tmp_path / "graph" / "data" / "orgs.ttl"
    data.write_text(DATA)
    monkeypatch.setattr(builtin, "GRAPH_DIR", tmp_path / "graph")
    monkeypatch.setattr(builtin, "ONTOLOGY_DIR", tmp_path / "ontology")
    monkeypatch.setattr(builtin, "_known", None)
    monkeypatch.setenv("AIHKG_CACHE_DIR", str(tmp_path / "cache"))
    builtin.builtin_bytes.cache_clear()
    yield data
    builtin.builtin_bytes.cache_clear()


def _same_size_and_mtime(path: Path, old: str, new: str) -> None:
    """Rewrite `path` with `old` replaced by `new` (as long), putting its modification time back."""
    assert len(old) == len(new)
    before = path.stat()
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_the_key_is_the_hash_of_the_files_and_is_kept(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = builtin.content_hash()
    assert key == builtin.hash_files() and len(key) == 64
    [record] = (copy.parents[2] / "cache").glob("fingerprint-*.txt")
    assert read_entry(record) == (builtin.fingerprint() + f"sha256 {key}\n").encode()

    # Another process (no memory of this one) reads the key from the record, hashing nothing.
    monkeypatch.setattr(builtin, "_known", None)
    monkeypatch.setattr(builtin, "hash_files", lambda: pytest.fail("hashed the files again"))
    assert builtin.content_hash() == key


def test_a_changed_file_changes_the_key_even_with_its_size_and_mtime(copy: Path) -> None:
    key = builtin.content_hash()
    _same_size_and_mtime(copy, "Medicines regulator", "Medicines REGULATOR")

    changed = builtin.content_hash()

    assert changed != key
    builtin.builtin_bytes.cache_clear()
    assert changed == builtin.hash_files()  # the new bytes', not the old record's


def test_a_record_for_other_files_is_not_used(copy: Path) -> None:
    key = builtin.content_hash()
    [record] = (copy.parents[2] / "cache").glob("fingerprint-*.txt")
    forged = "0" * 64
    lines = read_entry(record).decode().splitlines()  # type: ignore[union-attr]
    # The same files but one inode off: the record is another file's, and its hash is not taken.
    name, size, mtime, ctime, inode, device = lines[-2].split("\t")
    lines[-2] = "\t".join((name, size, mtime, ctime, str(int(inode) + 1), device))
    write_entry(record, ("\n".join(lines[:-1]) + f"\nsha256 {forged}\n").encode())
    builtin._known = None

    assert builtin.content_hash() == key
    assert read_entry(record).endswith(f"sha256 {key}\n".encode())  # type: ignore[union-attr] - put right


@pytest.mark.parametrize("damage", ["", "garbage", "sha256 xyz\n", "checksum"],
                         ids=["empty", "garbage", "bad-hash", "bad-checksum"])
def test_a_damaged_record_is_rebuilt(copy: Path, damage: str) -> None:
    key = builtin.content_hash()
    [record] = (copy.parents[2] / "cache").glob("fingerprint-*.txt")
    if damage == "checksum":  # a forged hash without a checksum to match: not read
        record.write_bytes(record.read_bytes().replace(key.encode(), b"0" * 64))
    elif damage.startswith("sha"):
        write_entry(record, (builtin.fingerprint() + damage).encode())
    else:
        record.write_text(damage)
    builtin._known = None
    assert builtin.content_hash() == key


def test_a_changed_data_file_reaches_the_cached_graph(copy: Path) -> None:
    """The whole way: an edit that keeps size and mtime still gives a freshly built graph."""
    first = build.builtin_nquads()
    assert b'"Medicines regulator"' in first
    _same_size_and_mtime(copy, "Medicines regulator", "Medicines REGULATOR")
    builtin._known = None  # as a new process

    second = build.builtin_nquads()

    assert b'"Medicines REGULATOR"' in second and b'"Medicines regulator"' not in second
    entries = sorted(p.name for p in (copy.parents[2] / "cache").glob("builtin-*.nq"))
    assert entries == [f"builtin-{builtin.content_hash()[:32]}.nq"]  # the old entry was pruned


def test_a_build_refuses_bytes_that_are_not_the_keys(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aihkg.graph.errors import DataProblem

    key = builtin.content_hash()
    monkeypatch.setattr(builtin, "hash_files", lambda: "f" * 64)  # the files changed while being read
    with pytest.raises(DataProblem, match="changed while aihkg was reading them"):
        build.builtin_nquads()
    assert not list((copy.parents[2] / "cache").glob(f"builtin-{key[:32]}*.nq"))
