"""`aihkg validate`: SHACL (pySHACL) and OWL consistency (HermiT), reported in words."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graph import compact
from ontology.reasoning import OwlVerdict, check_consistency, disjointness_clashes

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
        out.append("result: valid" if self.ok else "result: NOT valid")
        return "\n".join(out)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "triples": self.triples, "files": self.files, "individuals": self.counts,
            "shacl": [f.__dict__ for f in self.findings],
            "owl": None if self.owl is None else self.owl.as_dict(),
            "disjointness_clashes": [{"individual": x, "class_a": a, "class_b": b} for x, a, b in self.clashes],
        }


def shacl_findings(graph: Any) -> list[Finding]:
    import pyshacl
    import rdflib

    from graph.builtin import shapes_file

    shapes = rdflib.Graph().parse(data=shapes_file().read_bytes(), format="turtle")
    _conforms, results, _text = pyshacl.validate(graph, shacl_graph=shapes, advanced=True,
                                                 allow_warnings=True, inference="none")
    sh = rdflib.Namespace(SH)
    parent_label: dict[Any, str] = {}
    for node_shape, prop_shape in shapes.subject_objects(sh.property):
        label = shapes.value(node_shape, rdflib.RDFS.label)
        parent_label[prop_shape] = str(label) if label else compact(str(node_shape))
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
    return findings


def _show(term: Any) -> str:
    import rdflib

    if isinstance(term, rdflib.URIRef):
        return compact(str(term))
    if isinstance(term, rdflib.BNode):
        return "a blank node"
    text = str(term)
    return repr(text if len(text) < 60 else text[:57] + "...")


def class_counts(graph: Any) -> dict[str, int]:
    from graph import DOMAIN_CLASSES, ONTOLOGY_NS

    rows = graph.query("""
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?top (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a/rdfs:subClassOf* ?top } GROUP BY ?top""")
    counts = {str(top)[len(ONTOLOGY_NS):]: int(n) for top, n in rows if str(top).startswith(ONTOLOGY_NS)}
    return {name: counts.get(name, 0) for name in DOMAIN_CLASSES}


def validate_graph(files: Sequence[str] = (), *, data_format: str | None = None, allow_remote: bool = False,
                   reasoner: bool = True, include_data: bool = True) -> Report:
    """Validate the built-in graph plus `files`; parse errors raise DataProblem naming file and line."""
    from graph.build import load_graph

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
