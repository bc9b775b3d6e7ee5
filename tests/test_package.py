"""The installed package: one `aihkg` namespace, a pinned public API, and a light `import aihkg`."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import aihkg
from conftest import ROOT

PUBLIC_API = [
    "AihkgError", "DataProblem", "IncompleteResult", "KnowledgeGraph", "QueryTimeout", "Result", "StoreProblem",
    "UsageProblem", "__version__", "diff",
]
HEAVY = ("rdflib", "networkx", "matplotlib", "owlready2", "pyshacl", "owlrl", "scipy", "pyoxigraph")
GENERIC = ("graph", "queries", "ontology", "cli")


def test_public_api_is_pinned() -> None:
    assert aihkg.__all__ == PUBLIC_API
    assert sorted([*aihkg._EXPORTS, "__version__"]) == PUBLIC_API  # every public name resolves lazily
    for name in PUBLIC_API:
        assert getattr(aihkg, name) is not None, name
    assert aihkg.KnowledgeGraph.__module__ == "aihkg.queries.api"
    assert aihkg.diff.__module__ == "aihkg.graph.diff" and callable(aihkg.diff)
    assert issubclass(aihkg.UsageProblem, aihkg.AihkgError)
    with pytest.raises(AttributeError):
        aihkg.no_such_name  # noqa: B018


def _fresh(code: str, cwd: Path) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, check=True)
    return proc.stdout


def test_import_aihkg_stays_light(tmp_path: Path) -> None:
    loaded = set(_fresh("import sys, aihkg; print(' '.join(sys.modules))", tmp_path).split())
    assert "aihkg" in loaded
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]


def test_every_module_lives_under_aihkg(tmp_path: Path) -> None:
    # From another folder, so the repository's own folders cannot be found by accident.
    modules = sorted("aihkg." + ".".join(p.relative_to(ROOT).with_suffix("").parts)
                     for folder in ("graph", "queries", "ontology", "web") for p in (ROOT / folder).glob("*.py")
                     if p.name != "__init__.py") + ["aihkg.cli"]
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "print(' '.join(sys.modules))")
    loaded = set(_fresh(code, tmp_path).split())
    assert set(modules) <= loaded
    assert not [m for m in loaded if m.split(".")[0] in GENERIC], "a module imported a top-level name"


def test_python_dash_m_aihkg(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "aihkg", "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert (proc.returncode, proc.stdout.strip()) == (0, f"aihkg, version {aihkg.__version__}")


def _collections_during(entry: str, tmp_path: Path) -> tuple[int, bool, int]:
    code = ("import gc, sys, atexit\n"
            "seen = []\n"
            "gc.callbacks.append(lambda phase, info: seen.append(phase) if phase == 'start' else None)\n"
            "atexit.register(lambda: print(len(seen), gc.isenabled(), gc.get_freeze_count(), file=sys.stderr))\n"
            "sys.argv = ['aihkg', 'describe', 'MHRA']\n"
            f"from {entry} import main\n"
            "main()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0 and "Medicines and Healthcare products Regulatory Agency" in out.stdout, out.stderr
    seen, enabled, frozen = out.stderr.split()[-3:]
    return int(seen), enabled == "True", int(frozen)


def test_the_command_collects_garbage_while_it_works_but_not_while_it_imports(tmp_path: Path) -> None:
    # What the installed `aihkg` script runs (pyproject's [project.scripts]) against calling the CLI directly.
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["aihkg"] == "aihkg.__main__:main"
    plain, _, _ = _collections_during("aihkg.cli", tmp_path)  # first: it fills the describe cache if need be
    entry, enabled, frozen = _collections_during("aihkg.__main__", tmp_path)
    assert enabled and frozen > 1000  # the imports' objects are frozen; the command's own work is collected
    assert entry * 2 < plain, (entry, plain)


def test_the_package_is_typed() -> None:
    assert (Path(aihkg.__file__).parent / "py.typed").is_file()


def _local_setuptools() -> bool:
    if importlib.util.find_spec("setuptools") is None:
        return False
    from importlib.metadata import version

    return int(version("setuptools").split(".")[0]) >= 77


def test_the_wheel_holds_only_the_aihkg_package(tmp_path: Path) -> None:
    # Build offline with the installed setuptools when it is new enough; else pip fetches it.
    isolation = ["--no-build-isolation"] if _local_setuptools() else []
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *isolation, "-w", str(tmp_path),
                    str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("aihkg-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"aihkg", f"aihkg-{aihkg.__version__}.dist-info"}
    for needed in ("aihkg/py.typed", "aihkg/__main__.py", "aihkg/cli.py", "aihkg/ontology/aihkg.ttl",
                   "aihkg/queries/catalog/challenges_by_use_count.rq", "aihkg/graph/static/cytoscape.min.js",
                   "aihkg/graph/data/core.ttl", "aihkg/web/templates/entity.html",
                   "aihkg/web/static/editor.bundle.js"):
        assert needed in names, needed
    assert not [n for n in names if n.startswith(("aihkg/tests/", "aihkg/bench/", "aihkg/.ci"))]
