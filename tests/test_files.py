"""graph/files.py: the literal-size check on N-Triples and N-Quads, done on line lengths."""

from __future__ import annotations

from pathlib import Path

import pytest

from aihkg.graph import files
from aihkg.graph.errors import DataProblem


@pytest.mark.parametrize(("data", "fits"), [
    (b"", True),
    (b"0123456789\n0123456789", True),  # exactly the limit, with and without a final newline
    (b"0123456789\n01234567890", False),
    (b"01234567890\nabc\n", False),
    (b"abc\n" * 50 + b"x" * 11 + b"\nabc", False),  # over the limit across pieces
    (b"abc\n" * 50 + b"x" * 10 + b"\n", True),
    (b"x" * 25, False),  # no newline at all
])
def test_lines_at_most(data: bytes, fits: bool, tmp_path: Path) -> None:
    path = tmp_path / "f.nt"
    path.write_bytes(data)
    for chunk in (3, 4, 7, 1 << 20):
        assert files._lines_at_most(None, data, 10, chunk) is fits
        assert files._lines_at_most(str(path), b"", 10, chunk) is fits


def _nt(tmp_path: Path, value: str) -> str:
    path = tmp_path / "data.nt"
    path.write_text(f'<http://example.org/a> <http://example.org/p> "{value}" .\n'
                    '<http://example.org/a> <http://example.org/q> "short" .\n', encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("stream", [False, True])
def test_long_literals_refused_with_or_without_the_line_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               stream: bool) -> None:
    monkeypatch.setattr(files, "MAX_LITERAL_CHARS", 50)
    if stream:
        monkeypatch.setattr(files, "STREAM_BYTES", 10)
    with pytest.raises(DataProblem, match="a literal of 51 characters on <http://example.org/a> exceeds the limit"):
        list(files.iter_rdf(_nt(tmp_path, "x" * 51)))
    # 50 characters written with escapes: a line far over 50 bytes, a literal within the limit
    quads = list(files.iter_rdf(_nt(tmp_path, "\\u00e9" * 50)))
    assert len(quads) == 2 and quads[0].object.value == "é" * 50
    # short lines: the per-quad check is skipped, and the answer is the same
    quads = list(files.iter_rdf(_nt(tmp_path, "x" * 20)))
    assert [q.object.value for q in quads] == ["x" * 20, "short"]


def test_empty_ntriples_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.nt"
    path.write_text("# nothing here\n")
    with pytest.raises(DataProblem, match="contains no triples"):
        list(files.iter_rdf(str(path)))
