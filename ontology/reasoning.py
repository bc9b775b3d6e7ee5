"""OWL consistency with HermiT, through owlready2.

owlready2 reads N-Triples, not Turtle, so rdflib writes the graph out as N-Triples first. HermiT
supports only the OWL 2 datatype map. The ontology uses no datatype outside it (its date and year
properties have no rdfs:range), so the ontology alone reasons in stock HermiT with default settings,
as Protege runs it. The data's dates (xsd:date, xsd:gYear, xsd:gYearMonth) do lie outside the map:
when a graph holds such literals HermiT is told to ignore them, the verdict says how many it could
not check, and SHACL checks them instead (ontology/shapes.ttl). Verdicts are cached by the hash of
the graph, so Java runs once per distinct graph.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
# The OWL 2 datatype map (OWL 2 Structural Specification, section 4): what HermiT reasons with.
OWL2_DATATYPES = frozenset(
    [XSD + t for t in ("decimal", "integer", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger",
                       "negativeInteger", "long", "int", "short", "byte", "unsignedLong", "unsignedInt",
                       "unsignedShort", "unsignedByte", "double", "float", "string", "normalizedString", "token",
                       "language", "Name", "NCName", "NMTOKEN", "boolean", "hexBinary", "base64Binary", "anyURI",
                       "dateTime", "dateTimeStamp")]
    + [RDF + "PlainLiteral", RDF + "XMLLiteral", RDF + "langString", "http://www.w3.org/2000/01/rdf-schema#Literal",
       "http://www.w3.org/2002/07/owl#real", "http://www.w3.org/2002/07/owl#rational"])


@dataclass
class OwlVerdict:
    ran: bool
    consistent: bool = True
    unsatisfiable: list[str] = field(default_factory=list)
    problem: str | None = None  # why the check could not run, or what HermiT said
    unchecked: dict[str, int] = field(default_factory=dict)  # datatype IRI -> literals HermiT ignored

    def as_dict(self) -> dict[str, Any]:
        return {"ran": self.ran, "consistent": self.consistent, "unsatisfiable": self.unsatisfiable,
                "problem": self.problem, "unchecked": self.unchecked}


def unsupported_literals(graph: Any) -> dict[str, int]:
    """Literals HermiT would reason with whose datatype lies outside the OWL 2 datatype map, by datatype.

    Values of annotation properties (a source document's dcterms:date, say) are not reasoned with, so
    they are not counted.
    """
    from collections import Counter

    import rdflib

    annotation = set(graph.subjects(rdflib.RDF.type, rdflib.OWL.AnnotationProperty))
    counts: Counter[str] = Counter()
    for _s, p, o in graph:
        if isinstance(o, rdflib.Literal) and o.datatype is not None and str(o.datatype) not in OWL2_DATATYPES \
                and p not in annotation:
            counts[str(o.datatype)] += 1
    return dict(sorted(counts.items()))


def check_consistency(graph: Any) -> OwlVerdict:
    """Run HermiT on `graph` (an rdflib Graph): consistent? which classes are unsatisfiable?"""
    from aihkg.graph import cache
    from aihkg.graph.export import canonical_ntriples, rdflib_quads

    # The verdict is cached under the hash of the canonical N-Triples. A graph whose blank nodes
    # could not get canonical labels within their budget (graph.canon) has no stable hash: its
    # verdict is computed, not cached.
    nt, exact = canonical_ntriples(rdflib_quads(graph))
    unchecked = unsupported_literals(graph)
    key = hashlib.sha256(b"hermit-v2\n" + nt).hexdigest() if exact else None
    try:
        body = cache.cached("hermit", key, lambda: json.dumps(_run_hermit(nt, ignore=bool(unchecked)).as_dict())
                            .encode(), suffix=".json")
    except _NoJava as exc:
        return OwlVerdict(ran=False, consistent=False, problem=str(exc), unchecked=unchecked)
    data = json.loads(body)
    data["unchecked"] = unchecked
    return OwlVerdict(**data)


class _NoJava(Exception):
    pass


def _run_hermit(nt: bytes, *, ignore: bool) -> OwlVerdict:
    """HermiT on `nt`; `ignore` passes its ignore-unsupported-datatypes switch (off: stock settings)."""
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
                                           ignore_unsupported_datatypes=ignore)
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
