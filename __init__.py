"""aihkg, the AI-in-healthcare knowledge graph, as a Python library.

Everything the CLI and the web explorer do is here, callable from a notebook::

    from aihkg import KnowledgeGraph, diff
    kg = KnowledgeGraph()                          # built-in graph, in memory
    kg.rows("funding_by_funder", funder="DHSC")    # rows as dicts of Python values
    kg.dataframe("challenges_by_use_count")        # a pandas DataFrame, if pandas is installed
    kg.sparql("SELECT ...")                        # your own read-only SPARQL
    kg.rdflib_graph()                              # the whole graph as rdflib
    diff("old.ttl", "new.ttl").rows()              # what changed between two versions, per entity

Importing this package is cheap: each name below is imported from its module on first use, so
`import aihkg` loads no RDF library, reasoner or plotting code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aihkg.graph import __version__

if TYPE_CHECKING:
    from aihkg.graph.diff import diff
    from aihkg.graph.errors import (
        AihkgError,
        DataProblem,
        IncompleteResult,
        QueryTimeout,
        StoreProblem,
        UsageProblem,
    )
    from aihkg.graph.stores import Result
    from aihkg.queries.api import KnowledgeGraph

# Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "KnowledgeGraph": "aihkg.queries.api",
    "Result": "aihkg.graph.stores",
    "AihkgError": "aihkg.graph.errors",
    "UsageProblem": "aihkg.graph.errors",
    "DataProblem": "aihkg.graph.errors",
    "StoreProblem": "aihkg.graph.errors",
    "QueryTimeout": "aihkg.graph.errors",
    "IncompleteResult": "aihkg.graph.errors",
    "diff": "aihkg.graph.diff",
}

__all__ = [
    "AihkgError", "DataProblem", "IncompleteResult", "KnowledgeGraph", "QueryTimeout", "Result", "StoreProblem",
    "UsageProblem", "__version__", "diff",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'aihkg' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
