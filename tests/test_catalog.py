"""queries/catalog.py: the .rq catalog describes itself and every query is well formed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aihkg.graph.errors import DataProblem, UsageProblem
from aihkg.queries.catalog import PARAM_TYPES, Catalog, parse_query_file
from conftest import ROOT

CATALOG = Catalog()
NAMES = CATALOG.names()


def test_at_least_twenty_canned_queries() -> None:
    assert len(NAMES) >= 20


@pytest.mark.parametrize("name", NAMES)
def test_each_query_describes_itself(name: str) -> None:
    q = CATALOG.get(name)
    assert q.summary and len(q.summary) < 120
    assert len(q.description) > 40
    for p in q.params:
        assert p.type in PARAM_TYPES
        assert p.description
        assert f"VALUES ?{p.name} {{ UNDEF }}" in q.text


def test_unknown_names_suggest_close_matches() -> None:
    with pytest.raises(UsageProblem, match="did you mean challenges_by_use_count"):
        CATALOG.get("challenges_by_use_cont")


def test_header_errors_name_the_file() -> None:
    with pytest.raises(DataProblem, match="x.rq: the #\\+ header needs at least a 'summary:'"):
        parse_query_file("x", "#+ description: no summary\nSELECT * {}", "x.rq")
    with pytest.raises(DataProblem, match="parameter 'who' needs exactly one"):
        parse_query_file("x", "#+ summary: s\n#+ params:\n#+   - name: who\nSELECT * {}", "x.rq")
    with pytest.raises(DataProblem, match="unknown type 'colour'"):
        parse_query_file("x", "#+ summary: s\n#+ params:\n#+   - name: who\n#+     type: colour\n"
                              "SELECT * { VALUES ?who { UNDEF } }", "x.rq")
    with pytest.raises(DataProblem, match="not valid YAML"):
        parse_query_file("x", "#+ summary: [unclosed\nSELECT * {}", "x.rq")


def test_user_query_folders_add_and_override(tmp_path) -> None:
    (tmp_path / "my_question.rq").write_text("#+ summary: Mine\nSELECT * { ?s ?p ?o } LIMIT 1\n")
    (tmp_path / "funding_by_year.rq").write_text("#+ summary: My funding\nSELECT * { ?s ?p ?o } LIMIT 1\n")
    catalog = Catalog([str(tmp_path)])
    assert "my_question" in catalog.names()
    assert catalog.get("funding_by_year").summary == "My funding"
    with pytest.raises(UsageProblem, match="no such folder"):
        Catalog([str(tmp_path / "missing")]).names()



def _two_fresh_processes(code: str, cache: Path) -> list[Any]:
    """Run `code` twice, each time in a new Python sharing one cache folder; its printed JSON, per run."""
    env = {**os.environ, "AIHKG_CACHE_DIR": str(cache)}
    return [json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                      check=True, cwd=ROOT).stdout) for _ in range(2)]


_READS_A_CACHED_AND_A_DATED_HEADER = """
import json, sys
from aihkg.queries.catalog import Catalog, parse_query_file
q = Catalog().get("funding_by_funder")
dated = parse_query_file("dated", "#+ summary: s\\n#+ params:\\n#+   - name: since\\n#+     type: date\\n"
                         "#+     default: 2023-01-01\\nSELECT * { VALUES ?since { UNDEF } }", "dated.rq")
print(json.dumps({"yaml": "yaml" in sys.modules, "query": q.as_dict(),
                  "default": [type(dated.params[0].default).__name__, str(dated.params[0].default)]}))
"""


def test_a_header_read_before_comes_from_the_cache_without_pyyaml(tmp_path: Path) -> None:
    runs = _two_fresh_processes(_READS_A_CACHED_AND_A_DATED_HEADER, tmp_path)
    assert runs[0]["yaml"] is True  # first read: parsed with PyYAML, then cached
    assert runs[1]["query"] == runs[0]["query"] == CATALOG.get("funding_by_funder").as_dict()
    # A YAML date is not JSON: that header is parsed every time, so the second run imports PyYAML
    # for it, and the default stays a date rather than turning into a string.
    assert runs[1]["default"] == runs[0]["default"] == ["date", "2023-01-01"]
    assert sorted(p.name.split("-")[2] for p in tmp_path.glob("query-header-*.json")) == ["dated", "funding_by_funder"]


def test_only_the_cached_header_skips_pyyaml(tmp_path: Path) -> None:
    code = ("import json, sys\nfrom queries.catalog import Catalog\nCatalog().get('funding_by_funder')\n"
            "print(json.dumps('yaml' in sys.modules))")
    assert _two_fresh_processes(code, tmp_path) == [True, False]
