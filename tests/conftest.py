"""Shared fixtures: a private cache folder, the CLI run in-process or as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every test session builds its caches in a fresh folder, never the user's."""
    folder = tmp_path_factory.mktemp("aihkg-cache")
    os.environ["AIHKG_CACHE_DIR"] = str(folder)
    os.environ.pop("AIHKG_STORE", None)
    os.environ.pop("AIHKG_QUERY_PATH", None)
    return folder


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli_run(capfd: pytest.CaptureFixture[str]):
    """Run `aihkg ARGS...` in this process; return exit code, stdout and stderr."""
    from aihkg import cli

    def run(*args: str) -> Run:
        capfd.readouterr()
        try:
            cli.main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capfd.readouterr()
        return Run(code, out, err)

    return run


def aihkg(*args: str, stdin: str | None = None, cwd: Path | None = None, env: dict[str, str] | None = None,
          timeout: float = 300) -> Run:
    """Run `aihkg ARGS...` as its own process (for stdin, timeouts, imports and concurrency)."""
    merged = dict(os.environ)
    merged.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "aihkg", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd or ROOT, env=merged, timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def kg():
    """The built-in graph on the default (memory) store."""
    from aihkg.queries.api import KnowledgeGraph

    graph = KnowledgeGraph()
    yield graph
    graph.close()


@pytest.fixture(scope="session")
def rdf_graph():
    """The built-in graph (ontology + data) as one rdflib Graph."""
    from aihkg.graph.build import load_graph

    return load_graph()


def java_available() -> bool:
    import shutil

    return shutil.which("java") is not None


needs_java = pytest.mark.skipif(not java_available(), reason="HermiT needs Java")
