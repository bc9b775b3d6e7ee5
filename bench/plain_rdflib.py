"""The baseline for cold start: plain rdflib, no aihkg code, no cache.

    python bench/plain_rdflib.py QUERY.rq

Parses the built-in Turtle sources (ontology/aihkg.ttl and graph/data/**/*.ttl) into one
rdflib Graph, runs the query text as it stands and prints the rows as CSV.
"""

from __future__ import annotations

import sys
from pathlib import Path

import rdflib

ROOT = Path(__file__).resolve().parent.parent


def main(query_file: str) -> None:
    g = rdflib.Graph()
    for path in [ROOT / "ontology" / "aihkg.ttl", *sorted((ROOT / "graph" / "data").rglob("*.ttl"))]:
        g.parse(path, format="turtle")
    result = g.query(Path(query_file).read_text(encoding="utf-8"))
    sys.stdout.write(result.serialize(format="csv").decode("utf-8"))


if __name__ == "__main__":
    main(sys.argv[1])
