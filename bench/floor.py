"""The floor for cold start: what a bare engine needs to answer the same question.

    python bench/floor.py GRAPH.nq QUERY.rq [QUERY.rq ...]

Imports pyoxigraph and nothing of aihkg, loads the built-in graph's N-Quads (the file in aihkg's
cache, as `aihkg query` reads it: its checksum line is an N-Quads comment) into an in-memory store,
runs each query text as it stands and writes its rows to stdout as CSV. bench/coldstart.py hands it
the exact texts aihkg runs for a command (captured from aihkg itself), so the two do the same work.
"""

import sys

import pyoxigraph as ox


def main(graph: str, queries: list[str]) -> None:
    store = ox.Store()
    store.load(path=graph, format=ox.RdfFormat.N_QUADS)
    out = sys.stdout.buffer
    for query in queries:
        with open(query, encoding="utf-8") as f:
            text = f.read()
        store.query(text).serialize(out, ox.QueryResultsFormat.CSV)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit("usage: python bench/floor.py GRAPH.nq QUERY.rq [QUERY.rq ...]")
    main(sys.argv[1], sys.argv[2:])
