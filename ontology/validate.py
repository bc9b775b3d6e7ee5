"""`aihkg validate`: SHACL (pySHACL) and OWL consistency (HermiT), reported in words."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aihkg.graph import compact
from aihkg.ontology.reasoning import OwlVerdict, check_consistency, disjointness_clashes

SH = "http://www.w3.org/ns/shacl#"


@dataclass
class Finding:
    severity: str  # "violation", "warning" or "info"
    focus: str
    rule: str
    message: str
    value: str | None = None

    def line(self) -> str:
        value = f" (value: {self.value})" if self.value and self.value != self.focus else ""
        return f"{self.severity}: {self.focus}: {self.message}{value} [rule: {self.rule}]"


@dataclass
class Report:
    triples: int
    files: list[str]
    findings: list[Finding] = field(default_factory=list)
    owl: OwlVerdict | None = None
    clashes: list[tuple[str, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "violation"]

    @property
    def ok(self) -> bool:
        owl_ok = self.owl is None or (self.owl.ran and self.owl.consistent and not self.owl.unsatisfiable)
        return not self.violations and owl_ok

    def text(self) -> str:
        extra = f" + {len(self.files)} file(s): {', '.join(self.files)}" if self.files else ""
        out = [f"graph: {self.triples:,} triples (ontology and built-in data{extra})"]
        if self.counts:
            out.append("individuals: " + ", ".join(f"{k} {v}" for k, v in self.counts.items()))
        shown = sorted(self.findings, key=lambda f: (f.severity != "violation", f.focus, f.message))
        n_v = len(self.violations)
        n_w = len(self.findings) - n_v
        out.append(f"SHACL (pySHACL, ontology/shapes.ttl): {n_v} violation(s), {n_w} warning(s)")
        out.extend("  " + f.line() for f in shown)
        if self.owl is None:
            out.append("OWL (HermiT via owlready2): skipped (--no-reasoner)")
        elif not self.owl.ran:
            out.append(f"OWL (HermiT via owlready2): could not run: {self.owl.problem}")
        elif not self.owl.consistent:
            out.append(f"OWL (HermiT via owlready2): INCONSISTENT: {self.owl.problem}")
            for x, a, b in self.clashes:
                out.append(f"  violation: {compact(x)}: is both {compact(a)} and {compact(b)}, "
                           "which the ontology declares disjoint [rule: owl:AllDisjointClasses]")
        else:
            unsat = self.owl.unsatisfiable
            out.append(f"OWL (HermiT via owlready2): consistent, {len(unsat)} unsatisfiable class(es)")
            out.extend(f"  violation: {compact(c)}: class can have no members [rule: satisfiability]" for c in unsat)
        if self.owl is not None and self.owl.unchecked:
            out.append(f"  {unchecked_note(self.owl.unchecked)}")
        out.append("result: valid" if self.ok else "result: NOT valid")
        return "\n".join(out)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "triples": self.triples, "files": self.files, "individuals": self.counts,
            "shacl": [f.__dict__ for f in self.findings],
            "owl": None if self.owl is None else self.owl.as_dict(),
            "disjointness_clashes": [{"individual": x, "class_a": a, "class_b": b} for x, a, b in self.clashes],
        }


def unchecked_note(unchecked: dict[str, int]) -> str:
    """What HermiT could not check, and what checks it instead."""
    total = sum(unchecked.values())
    kinds = ", ".join(f"{compact(dtype)} {n:,}" for dtype, n in unchecked.items())
    return (f"HermiT did not check {total:,} literal(s) whose datatype lies outside the OWL 2 datatype map "
            f"({kinds}); SHACL checks them instead (ontology/shapes.ttl: typed dates, funding, statistic)")


def shacl_findings(graph: Any) -> list[Finding]:
    """SHACL Core by pySHACL; SHACL-SPARQL constraints by Oxigraph (see sparql_constraint_findings)."""
    import pyshacl
    import rdflib

    from aihkg.graph.builtin import shapes_file

    shapes = rdflib.Graph().parse(data=shapes_file().read_bytes(), format="turtle")
    sh = rdflib.Namespace(SH)
    parent_label: dict[Any, str] = {}
    for node_shape, prop_shape in shapes.subject_objects(sh.property):
        label = shapes.value(node_shape, rdflib.RDFS.label)
        parent_label[prop_shape] = str(label) if label else compact(str(node_shape))
    sparql_findings = sparql_constraint_findings(graph, shapes)
    core = rdflib.Graph()
    for triple in shapes:
        if triple[1] != sh.sparql:
            core.add(triple)
    _conforms, results, _text = pyshacl.validate(graph, shacl_graph=core, advanced=True,
                                                 allow_warnings=True, inference="none")
    findings = []
    for res in results.subjects(rdflib.RDF.type, sh.ValidationResult):
        severity = str(results.value(res, sh.resultSeverity)).rsplit("#", 1)[-1].lower()
        focus = results.value(res, sh.focusNode)
        path = results.value(res, sh.resultPath)
        source = results.value(res, sh.sourceShape)
        label = shapes.value(source, rdflib.RDFS.label) if source is not None else None
        rule = parent_label.get(source) or (str(label) if label else "shape")
        if path is not None and isinstance(path, rdflib.URIRef):
            rule += f", {compact(str(path))}"
        value = results.value(res, sh.value)
        message = results.value(res, sh.resultMessage)
        findings.append(Finding(
            severity=severity, focus=_show(focus), rule=rule,
            message=str(message) if message else "fails the shape",
            value=None if value is None else _show(value),
        ))
    return findings + sparql_findings


def sparql_constraint_findings(graph: Any, shapes: Any) -> list[Finding]:
    """Evaluate the shapes' SHACL-SPARQL constraints with Oxigraph, $this pre-bound per focus node.

    pySHACL runs each through rdflib's engine, which re-parses the query for every focus node
    (about a minute for this graph's orphan rule); Oxigraph's substitution is the same pre-binding
    in milliseconds. Targets follow SHACL: class (with subclasses), node, subjects-of, objects-of.
    """
    import pyoxigraph as ox
    import rdflib

    from aihkg.graph.build import rdflib_to_ox

    sh = rdflib.Namespace(SH)
    store = ox.Store()
    store.extend(ox.Quad(rdflib_to_ox(s), rdflib_to_ox(p), rdflib_to_ox(o), ox.DefaultGraph()) for s, p, o in graph)
    findings: list[Finding] = []
    for node_shape, constraint in shapes.subject_objects(sh.sparql):
        select = str(shapes.value(constraint, sh.select))
        declared = shapes.value(constraint, sh.prefixes)
        prefixes = {}
        for decl in shapes.objects(declared, sh.declare):
            prefixes[str(shapes.value(decl, sh.prefix))] = str(shapes.value(decl, sh.namespace))
        message = str(shapes.value(constraint, sh.message) or "fails a SPARQL constraint")
        severity = str(shapes.value(constraint, sh.severity) or sh.Violation).rsplit("#", 1)[-1].lower()
        label = shapes.value(node_shape, rdflib.RDFS.label)
        rule = str(label) if label else compact(str(node_shape))
        for focus in sorted(_focus_nodes(store, shapes, node_shape), key=str):
            rows = store.query(select, prefixes=prefixes, substitutions={ox.Variable("this"): focus})
            for row in rows:
                value = row["value"] if "value" in [v.value for v in rows.variables] else None
                findings.append(Finding(severity=severity, focus=_show_ox(focus), rule=rule, message=message,
                                        value=None if value is None else _show_ox(value)))
    return findings


def _focus_nodes(store: Any, shapes: Any, node_shape: Any) -> set[Any]:
    import pyoxigraph as ox
    import rdflib

    sh = rdflib.Namespace(SH)
    found: set[Any] = set()
    for cls in shapes.objects(node_shape, sh.targetClass):
        rows = store.query("SELECT DISTINCT ?x ?c WHERE { ?x a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?c }",
                           substitutions={ox.Variable("c"): ox.NamedNode(str(cls))})
        found.update(row["x"] for row in rows)
    for node in shapes.objects(node_shape, sh.targetNode):
        found.add(ox.NamedNode(str(node)))
    for prop in shapes.objects(node_shape, sh.targetSubjectsOf):
        found.update(q.subject for q in store.quads_for_pattern(None, ox.NamedNode(str(prop)), None))
    for prop in shapes.objects(node_shape, sh.targetObjectsOf):
        found.update(q.object for q in store.quads_for_pattern(None, ox.NamedNode(str(prop)), None))
    return found


def _show_ox(term: Any) -> str:
    kind = type(term).__name__
    if kind == "NamedNode":
        return compact(term.value)
    if kind == "BlankNode":
        return "a blank node"
    text = term.value
    return repr(text if len(text) < 60 else text[:57] + "...")


def _show(term: Any) -> str:
    import rdflib

    if isinstance(term, rdflib.URIRef):
        return compact(str(term))
    if isinstance(term, rdflib.BNode):
        return "a blank node"
    text = str(term)
    return repr(text if len(text) < 60 else text[:57] + "...")


def class_counts(graph: Any) -> dict[str, int]:
    from aihkg.graph import DOMAIN_CLASSES, ONTOLOGY_NS

    rows = graph.query("""
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?top (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a/rdfs:subClassOf* ?top } GROUP BY ?top""")
    counts = {str(top)[len(ONTOLOGY_NS):]: int(n) for top, n in rows if str(top).startswith(ONTOLOGY_NS)}
    return {name: counts.get(name, 0) for name in DOMAIN_CLASSES}


def validate_graph(files: Sequence[str] = (), *, data_format: str | None = None, allow_remote: bool = False,
                   reasoner: bool = True, include_data: bool = True) -> Report:
    """Validate the built-in graph plus `files`; parse errors raise DataProblem naming file and line."""
    from aihkg.graph.build import load_graph

    graph = load_graph(list(files), data_format=data_format, allow_remote=allow_remote, include_data=include_data)
    report = Report(triples=len(graph), files=list(files))
    report.counts = class_counts(graph)
    report.findings = shacl_findings(graph)
    if reasoner:
        report.owl = check_consistency(graph)
        if report.owl.ran and not report.owl.consistent:
            report.clashes = disjointness_clashes(graph)
    return report


def severity_counts(report: Report) -> Counter[str]:
    return Counter(f.severity for f in report.findings)
