"""The example notebooks run, their committed outputs are the answers they give, and the API they use holds.

Each notebook in notebooks/ is executed on a fresh kernel (nbclient); any cell that raises fails the test.
Cells tagged "answer" hold answers that do not depend on today's date (funding, gaps, the POSTnote's day,
validation); their text outputs must match the committed ones, so a notebook whose outputs went stale fails
here. Refresh them with `AIHKG_UPDATE_NOTEBOOKS=1 pytest tests/test_notebooks.py`, which writes the executed
notebooks back.

The notebooks need the `notebooks` extra (part of `test`): without it these tests skip on a developer's
machine and fail under CI.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

import pytest

from aihkg.graph.errors import UsageProblem
from conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
NAMES = ["analyst_tour", "researcher_workflow"]
EXTRA = "pip install 'aihkg[notebooks]'"


def _need(module: str) -> Any:
    try:
        return pytest.importorskip(module, reason=f"{module} is missing ({EXTRA})")
    except pytest.skip.Exception:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{module} is missing under CI: the test extra must bring the notebooks extra", pytrace=False)
        raise


def _committed(name: str) -> Any:
    nbformat = _need("nbformat")
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def _texts(cell: Any) -> list[str]:
    """A code cell's text outputs: what it printed to stdout and the plain-text form of what it returned."""
    out = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream" and o["name"] == "stdout":
            out.append(o["text"])
        elif o["output_type"] in ("execute_result", "display_data") and "image/png" not in o["data"]:
            out.append(o["data"].get("text/plain", ""))
    # An object's default repr carries its address, which differs from run to run.
    return [re.sub(r" at 0x[0-9a-f]+", " at 0x…", t) for t in out]


def _code_cells(nb: Any) -> list[Any]:
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.fixture(scope="module")
def kernel_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A `python3` kernel spec for this very interpreter, ahead of any other on the machine."""
    _need("ipykernel")
    folder = tmp_path_factory.mktemp("jupyter")
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python",
    }))
    return str(folder)


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_executed_and_clean(name: str) -> None:
    nb = _committed(name)
    cells = _code_cells(nb)
    assert cells, name
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1)), "run top to bottom, once"
    for cell in cells:
        assert cell.outputs, f"{name}: a cell without output: {cell.source[:60]!r}"
        assert not [o for o in cell.outputs if o["output_type"] == "error"], f"{name}: {cell.source[:60]!r}"
    figures = [o for c in cells for o in c.outputs if "image/png" in o.get("data", {})]
    assert figures, f"{name} draws nothing"
    assert [c for c in cells if "answer" in c.metadata.get("tags", [])], f"{name} tags no answer to check"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_and_gives_its_committed_answers(name: str, kernel_path: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    nbclient = _need("nbclient")
    nbformat = _need("nbformat")
    _need("pandas")
    monkeypatch.setenv("JUPYTER_PATH", kernel_path)
    committed = _committed(name)
    fresh = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(fresh, timeout=300, kernel_name="python3", record_timing=False,
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    if os.environ.get("AIHKG_UPDATE_NOTEBOOKS") == "1":
        nbformat.write(fresh, NOTEBOOKS / f"{name}.ipynb")
        return
    pairs = list(zip(_code_cells(committed), _code_cells(fresh), strict=True))
    checked = 0
    for old, new in pairs:
        assert new.outputs, f"{name}: no output now from {new.source[:60]!r}"
        if "answer" in old.metadata.get("tags", []):
            assert _texts(new) == _texts(old), (
                f"{name}: the committed output of {old.source[:60]!r} is stale; "
                "refresh with AIHKG_UPDATE_NOTEBOOKS=1 pytest tests/test_notebooks.py")
            checked += 1
    assert checked >= 5


def test_notebooks_use_only_the_public_api() -> None:
    """`import aihkg` names only, so the notebooks show what a user may rely on."""
    for name in NAMES:
        for cell in _code_cells(_committed(name)):
            for line in cell.source.splitlines():
                if re.match(r"\s*(from|import)\s+aihkg\b", line):
                    assert re.match(r"\s*from aihkg import [\w, ]+$", line), f"{name}: {line}"


# ---------------------------------------------------------------------- the API the notebooks lean on


def test_dataframe_without_pandas_names_the_extra(kg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now raises ImportError
    with pytest.raises(UsageProblem) as caught:
        kg.dataframe("funding_by_year")
    assert str(caught.value).startswith("kg.dataframe() needs pandas, which is not installed:")
    assert EXTRA in str(caught.value)
    with pytest.raises(UsageProblem, match=re.escape(EXTRA)):
        kg.as_of("postnote", frame=True)
    assert kg.as_of("postnote")  # rows as dicts need no pandas


def test_dataframe_of_a_canned_query_and_of_a_result(kg: Any) -> None:
    _need("pandas")
    import datetime as dt
    from decimal import Decimal

    by_year = kg.dataframe("funding_by_year")
    assert list(by_year.columns) == ["year", "currency", "total", "allocations"]
    assert all(isinstance(t, Decimal) for t in by_year["total"])  # money stays exact
    assert by_year["total"].sum() == sum(r["total"] for r in kg.rows("funding_by_year"))
    sources = kg.dataframe(kg.sparql("SELECT ?s ?date WHERE { ?s a aihkg:SourceDocument ; dcterms:date ?date }"))
    assert list(sources.columns) == ["s", "date"]
    postnote = sources[sources["s"] == "https://w3id.org/aihkg/source/postnote-637"]
    assert list(postnote["date"]) == [dt.date(2021, 1, 19)]  # xsd:date arrives as a date
    one = kg.dataframe("funding_by_funder", funder="DHSC")
    assert list(one["funders"]) == ["Department of Health and Social Care"]


def test_dataframe_refuses_what_has_no_rows(kg: Any) -> None:
    _need("pandas")
    with pytest.raises(UsageProblem, match="needs SELECT rows; this query gave a ask result"):
        kg.dataframe(kg.sparql("ASK { ?s a aihkg:Challenge }"))
    with pytest.raises(UsageProblem, match="parameters only with a canned query's name"):
        kg.dataframe(kg.sparql("SELECT ?s WHERE { ?s a aihkg:Challenge }"), funder="DHSC")


def test_validate_finds_the_drafts_mistakes_and_passes_the_fix(kg: Any) -> None:
    from aihkg import KnowledgeGraph

    draft = KnowledgeGraph(data=[str(NOTEBOOKS / "data" / "trust_pilots_draft.ttl")]).validate(reasoner=False)
    assert not draft.ok
    found = sorted((f.focus, f.rule, f.value) for f in draft.violations)
    assert found == [
        ("<https://example.org/trust/AmbientScribePilot>", "domain individual", None),
        ("<https://example.org/trust/ChestXrayTriagePilot>", "relation ranges, aihkg:facesChallenge",
         "kg:AutomationBais"),
    ]
    fixed = KnowledgeGraph(data=[str(NOTEBOOKS / "data" / "trust_pilots.ttl")])
    report = fixed.validate(reasoner=False)
    assert report.ok and report.findings == [] and report.owl is None
    assert report.files == [str(NOTEBOOKS / "data" / "trust_pilots.ttl")]
    built_in_uses = kg.sparql("SELECT (COUNT(?u) AS ?n) WHERE { ?u a aihkg:AIUse }").rows[0][0].value
    assert report.counts["AIUse"] == int(built_in_uses) + 2


def test_network_focus_by_any_name(kg: Any) -> None:
    g = kg.network(focus="MHRA")
    mhra = kg.resolve("MHRA")
    assert mhra in g
    assert all(g.has_edge(mhra, n) or g.has_edge(n, mhra) for n in g if n != mhra)  # depth 1: neighbours only
    assert not [n for n, d in g.nodes(data=True) if d["top"] in ("Event", "Statistic")]  # folded by default
    assert g.graph["folded"].get("Event", 0) > 0
    with_events = kg.network(focus="MHRA", include=["events"])
    assert [n for n, d in with_events.nodes(data=True) if d["top"] == "Event"]
    with pytest.raises(UsageProblem):
        kg.network(focus="no such body anywhere")
