"""graph/cache.py and graph/atomic.py: nothing lost, nothing half-written.

A corrupted, stale or unwritable cache never changes an answer; eight processes started together
on a cold cache agree and leave one valid entry; a failed export or result write leaves an
existing file with its old bytes and no temp file beside it.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from aihkg.graph import builtin
from aihkg.graph.cache import read_entry
from conftest import ROOT, Run, aihkg

# TSV, not CSV: its "\n" line ends read the same in-process and through a text-mode pipe.
ANSWER = ("query", "challenges_by_use_count", "--format", "tsv")
PRECIOUS = b"precious bytes that a failed command must keep\n"
# Still valid N-Quads after the edit, so only the checksum can tell that the entry is wrong.
REAL_LABEL = b'<https://w3id.org/aihkg/id/AlgorithmicBias> <http://www.w3.org/2000/01/rdf-schema#label> ' \
             b'"Algorithmic bias"@en .'
FORGED_LABEL = REAL_LABEL.replace(b"Algorithmic bias", b"Algorithmic BIAS")


@pytest.fixture
def cold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty cache folder for this test (subprocesses inherit it through the environment)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("AIHKG_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def reference() -> str:
    """The answer from the session's own cache, which no test here tampers with."""
    run = aihkg(*ANSWER)
    assert run.code == 0, run.err
    return run.out


def _entry(folder: Path) -> Path:
    return folder / f"builtin-{builtin.content_hash()[:32]}.nq"


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp"))


def _entries(folder: Path) -> list[Path]:
    """The built-in graph's entries (a query also caches its parsed header, under query-header-*)."""
    # filelock leaves its (empty) .lock files behind on purpose; they are not entries.
    return sorted(p for p in folder.iterdir() if p.name.startswith("builtin-") and not p.name.endswith(".lock"))


def _masked(body: bytes) -> list[bytes]:
    """N-Quads lines with blank-node labels masked: rdflib names blank nodes afresh on every build."""
    return sorted(re.sub(rb"_:[A-Za-z0-9]+", b"_:x", line) for line in body.splitlines())


def _flip_middle_byte(raw: bytes) -> bytes:
    middle = len(raw) // 2
    return raw[:middle] + bytes([raw[middle] ^ 0x01]) + raw[middle + 1:]


CORRUPTIONS: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda raw: raw[: len(raw) // 2],
    "flipped-byte": _flip_middle_byte,
    "garbage": lambda raw: b"\x00\xffnot a cache entry\n" * 4096,
    "empty": lambda raw: b"",
    "header-only": lambda raw: raw.partition(b"\n")[0] + b"\n",
    "forged-label": lambda raw: raw.replace(REAL_LABEL, FORGED_LABEL),
}


@pytest.mark.parametrize("corrupt", list(CORRUPTIONS.values()), ids=list(CORRUPTIONS))
def test_corrupt_entry_is_detected_and_rebuilt(corrupt: Callable[[bytes], bytes], cold: Path,
                                               cli_run: Callable[..., Run], reference: str) -> None:
    first = cli_run(*ANSWER)
    assert (first.code, first.out) == (0, reference), first.err
    entry = _entry(cold)
    good = entry.read_bytes()
    bad = corrupt(good)
    assert bad != good  # the corruption really happened
    entry.write_bytes(bad)

    again = cli_run(*ANSWER)

    assert (again.code, again.out, again.err) == (0, reference, "")
    rebuilt = read_entry(entry)
    assert rebuilt is not None
    assert _masked(rebuilt) == _masked(good.partition(b"\n")[2])
    assert FORGED_LABEL not in rebuilt
    assert _temps(cold) == []


def test_entry_replaced_by_a_folder_still_answers(cold: Path, cli_run: Callable[..., Run], reference: str) -> None:
    cold.mkdir()
    _entry(cold).mkdir()  # cannot be read, nor replaced by a rename
    run = cli_run(*ANSWER)
    assert (run.code, run.out, run.err) == (0, reference, "")
    assert _temps(cold) == []


def test_eight_processes_on_a_cold_cache(cold: Path, reference: str) -> None:
    # Popen, not conftest.aihkg: that one waits for each process before starting the next.
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-m", "aihkg", *ANSWER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              cwd=ROOT, env=env) for _ in range(8)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]

    assert [code for code, _, _ in results] == [0] * 8, [err[-500:] for _, _, err in results]
    assert {out.decode() for _, out, _ in results} == {reference}
    assert [err for _, _, err in results] == [b""] * 8
    entries = _entries(cold)
    assert [e.name for e in entries] == [_entry(cold).name]
    assert read_entry(entries[0]) is not None
    assert _temps(cold) == []


def test_stale_entry_is_ignored_and_pruned(cold: Path, cli_run: Callable[..., Run], reference: str) -> None:
    assert cli_run(*ANSWER).code == 0
    current = _entry(cold)
    # A well-formed entry from another build (another version or other data) with a different answer.
    stale_body = read_entry(current)
    assert stale_body is not None and REAL_LABEL in stale_body
    stale = cold / ("builtin-" + "0" * 32 + ".nq")
    from aihkg.graph.cache import write_entry

    write_entry(stale, stale_body.replace(REAL_LABEL, FORGED_LABEL))
    current.unlink()

    run = cli_run(*ANSWER)

    assert (run.code, run.out, run.err) == (0, reference, "")
    assert [e.name for e in _entries(cold)] == [current.name]  # the stale entry is gone
    assert _temps(cold) == []


def test_cache_folder_that_cannot_be_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            cli_run: Callable[..., Run], reference: str) -> None:
    # A regular file where the cache's parent folder should be: mkdir fails, as on a read-only
    # disk, even for root (who ignores permission bits).
    blocker = tmp_path / "not_a_folder"
    blocker.write_bytes(PRECIOUS)
    monkeypatch.setenv("AIHKG_CACHE_DIR", str(blocker / "cache"))
    run = cli_run(*ANSWER)
    assert (run.code, run.out, run.err) == (0, reference, "")
    assert blocker.read_bytes() == PRECIOUS


ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.mark.parametrize("warm", [
    pytest.param(False, id="empty",
                 marks=pytest.mark.skipif(ROOT_USER, reason="root writes into a read-only folder anyway")),
    # Meaningful even for root: a valid entry must only be read, so nothing in the folder changes.
    pytest.param(True, id="holding-a-valid-entry"),
])
def test_read_only_cache_folder(warm: bool, cold: Path, cli_run: Callable[..., Run], reference: str) -> None:
    if warm:
        assert cli_run(*ANSWER).code == 0
    cold.mkdir(exist_ok=True)
    before = {p.name: p.read_bytes() for p in cold.iterdir()}
    cold.chmod(0o555)
    try:
        run = cli_run(*ANSWER)
    finally:
        cold.chmod(0o755)
    assert (run.code, run.out, run.err) == (0, reference, "")
    assert {p.name: p.read_bytes() for p in cold.iterdir()} == before


# --------------------------------------------------------------------------- failed writes


@pytest.fixture
def precious(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding output files from an earlier run, which a failed command must keep."""
    for name in ("out.ttl", "out.graphml", "out.csv", "out.png"):
        (tmp_path / name).write_bytes(PRECIOUS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _kept(folder: Path) -> None:
    for name in ("out.ttl", "out.graphml", "out.csv", "out.png"):
        assert (folder / name).read_bytes() == PRECIOUS, name
    assert _temps(folder) == []


def test_export_stopped_by_the_timeout_keeps_the_old_file(precious: Path) -> None:
    # A real process: the watchdog ends the whole process, removing its temp files first.
    run = aihkg("--timeout", "0.05", "export", "-f", "turtle", "-o", "out.ttl", cwd=precious)
    assert run.code == 1 and "the export did not finish within 0.05 s" in run.err, run.err
    _kept(precious)


@pytest.mark.parametrize("args", [
    pytest.param(("export", "-f", "docx", "-o", "out.ttl"), id="unknown-format"),
    pytest.param(("export", "--inferred", "-f", "graphml", "-o", "out.graphml"), id="inferred-network"),
    pytest.param(("--data", "no_such.ttl", "export", "-o", "out.ttl"), id="missing-data"),
    pytest.param(("query", "no_such_query", "-o", "out.csv"), id="unknown-query"),
])
def test_export_refused_before_writing_keeps_the_old_file(args: tuple[str, ...], precious: Path,
                                                          cli_run: Callable[..., Run]) -> None:
    run = cli_run(*args)
    assert run.code in (1, 2) and run.err.startswith("aihkg: error: "), run.err
    _kept(precious)


def _fail_at_flush(exc: BaseException) -> Callable[[int], None]:
    def flush(fd: int) -> None:
        raise exc

    return flush


WRITE_FAILURES = [
    pytest.param(("export", "-o", "out.ttl"), OSError(errno.ENOSPC, "No space left on device"), 1,
                 r"out\.ttl: cannot write \(No space left on device\); nothing was changed", id="export-disk-full"),
    pytest.param(("export", "-o", "out.ttl"), KeyboardInterrupt(), 130, r"interrupted", id="export-ctrl-c"),
    pytest.param((*ANSWER, "-o", "out.csv"), OSError(errno.ENOSPC, "No space left on device"), 1,
                 r"out\.csv: cannot write \(No space left on device\)(; nothing was changed)?", id="query-disk-full"),
    pytest.param(("viz", "--focus", "MHRA", "-o", "out.png"), OSError(errno.ENOSPC, "No space left on device"), 1,
                 r"out\.png: cannot write \(No space left on device\)(; nothing was changed)?", id="viz-disk-full"),
]


@pytest.mark.parametrize(("args", "exc", "code", "message"), WRITE_FAILURES)
def test_failure_while_writing_keeps_the_old_file(args: tuple[str, ...], exc: BaseException, code: int,
                                                  message: str, precious: Path, cli_run: Callable[..., Run],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # The temp file exists and holds the new bytes when fsync fails: the last moment before rename.
    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", _fail_at_flush(exc))
        run = cli_run(*args)
    assert run.code == code, run.err
    assert re.fullmatch(rf"aihkg: error: {message}\n", run.err), run.err
    _kept(precious)


@pytest.mark.parametrize("corrupt", list(CORRUPTIONS.values()), ids=list(CORRUPTIONS))
def test_an_entry_opened_for_parsing_is_checked_first(corrupt: Callable[[bytes], bytes], tmp_path: Path) -> None:
    """open_entry hands a parser the cache file itself (the graph is not copied into Python): at the
    first byte of the body when its length and CRC hold, and never when they do not."""
    from aihkg.graph.cache import open_entry, write_entry

    entry = tmp_path / "builtin-x.nq"
    body = REAL_LABEL + b"\n" + b"<https://example.org/a> <https://example.org/b> <https://example.org/c> .\n"
    write_entry(entry, body)
    with open_entry(entry) as handle:  # type: ignore[union-attr]
        assert handle.read() == body
    entry.write_bytes(corrupt(entry.read_bytes()))
    assert open_entry(entry) is None
    assert open_entry(tmp_path / "missing.nq") is None
