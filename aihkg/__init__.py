"""aihkg for notebooks: ``from aihkg import KnowledgeGraph``.

A thin re-export of the library API that the CLI itself uses (see queries/api.py)::

    from aihkg import KnowledgeGraph
    kg = KnowledgeGraph()                          # built-in graph, in memory
    kg.rows("funding_by_funder", funder="DHSC")    # rows as dicts of Python values
    kg.dataframe("challenges_by_use_count")        # a pandas DataFrame, if pandas is installed
    kg.sparql("SELECT ...")                        # your own read-only SPARQL
    kg.rdflib_graph()                              # the whole graph as rdflib
"""

from __future__ import annotations

from graph import __version__

__all__ = ["KnowledgeGraph", "__version__"]


def __getattr__(name: str):  # noqa: ANN202 - lazy, so `import aihkg` stays cheap
    if name == "KnowledgeGraph":
        from queries.api import KnowledgeGraph

        return KnowledgeGraph
    raise AttributeError(name)
