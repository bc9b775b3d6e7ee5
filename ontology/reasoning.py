"""OWL consistency with HermiT, through owlready2.

owlready2 reads N-Triples, not Turtle, so rdflib writes the graph out as N-Triples first. HermiT
supports only the OWL 2 datatype map; our dates (xsd:date, xsd:gYear, xsd:gYearMonth) lie outside
it, so HermiT is told to ignore unsupported datatypes and SHACL checks those literals instead.
Verdicts are cached by the hash of the graph, so Java runs once per distinct graph.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any


@dataclass
class OwlVerdict:
    ran: bool
    consistent: bool = True
    unsatisfiable: list[str] = field(default_factory=list)
    problem: str | None = None  # why the check could not run, or what HermiT said

    def as_dict(self) -> dict[str, Any]:
        return {"ran": self.ran, "consistent": self.consistent, "unsatisfiable": self.unsatisfiable,
                "problem": self.problem}


def check_consistency(graph: Any) -> OwlVerdict:
    """Run HermiT on `graph` (an rdflib Graph): consistent? which classes are unsatisfiable?"""
    from aihkg.graph import cache
    from aihkg.graph.export import canonical_ntriples, rdflib_quads

    # The verdict is cached under the hash of the canonical N-Triples. A graph whose blank nodes
    # could not get canonical labels within their budget (graph.canon) has no stable hash: its
    # verdict is computed, not cached.
    nt, exact = canonical_ntriples(rdflib_quads(graph))
    key = hashlib.sha256(b"hermit-v1\n" + nt).hexdigest() if exact else None
    try:
        body = cache.cached("hermit", key, lambda: json.dumps(_run_hermit(nt).as_dict()).encode(), suffix=".json")
    except _NoJava as exc:
        return OwlVerdict(ran=False, consistent=False, problem=str(exc))
    data = json.loads(body)
    return OwlVerdict(**data)


class _NoJava(Exception):
    pass


def _run_hermit(nt: bytes) -> OwlVerdict:
    import shutil

    import owlready2

    java = owlready2.JAVA_EXE if os.path.isabs(owlready2.JAVA_EXE) else shutil.which(owlready2.JAVA_EXE)
    if not java:
        raise _NoJava("the OWL check needs Java (HermiT runs on it) and none was found; "
                      "install Java 11+ or pass --no-reasoner")
    with tempfile.TemporaryDirectory(prefix="aihkg-hermit-") as folder:
        path = os.path.join(folder, "graph.nt")
        with open(path, "wb") as fh:
            fh.write(nt)
        world = owlready2.World()
        try:
            world.get_ontology("file://" + path).load(format="ntriples")
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0,
                                           ignore_unsupported_datatypes=True)
        except owlready2.OwlReadyInconsistentOntologyError:
            return OwlVerdict(ran=True, consistent=False, problem="HermiT found the ontology and data inconsistent")
        except owlready2.OwlReadyJavaError as exc:
            first = next((line for line in str(exc).splitlines() if "Exception" in line), str(exc).splitlines()[-1])
            return OwlVerdict(ran=True, consistent=False, problem=f"HermiT failed: {first.strip()}")
        unsat = sorted(str(c.iri) for c in world.inconsistent_classes()
                       if str(c.iri) != "http://www.w3.org/2002/07/owl#Nothing")
        return OwlVerdict(ran=True, consistent=True, unsatisfiable=unsat)


_DISJOINT_CLASH = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?x ?a ?b WHERE {
  { ?axiom a owl:AllDisjointClasses ; owl:members ?list .
    ?list rdf:rest*/rdf:first ?a . ?list rdf:rest*/rdf:first ?b . FILTER (STR(?a) < STR(?b)) }
  UNION { ?a owl:disjointWith ?b }
  ?x rdf:type/rdfs:subClassOf* ?a .
  ?x rdf:type/rdfs:subClassOf* ?b .
}"""


def disjointness_clashes(graph: Any) -> list[tuple[str, str, str]]:
    """Individuals typed with two disjoint classes: the usual cause of an inconsistency, named."""
    return [(str(x), str(a), str(b)) for x, a, b in graph.query(_DISJOINT_CLASH)]
