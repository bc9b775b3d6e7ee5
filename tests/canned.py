"""Shared for tests that run the canned queries: sample parameters and a way to compare answers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# Values for every required parameter, and for some optional ones, that exist in the built-in graph.
SAMPLE_PARAMS: dict[str, dict[str, str]] = {
    "regulations_addressing_challenge": {"challenge": "privacy"},
    "organisation_profile": {"organisation": "MHRA"},
    "regulations_enforced_by": {"organisation": "MHRA"},
    "regulations_for_use": {"use": "kg:AmbientVoiceTechnology"},
    "sources_for": {"entity": "kg:NHSAILab"},
    "events_involving": {"entity": "kg:NHSX"},
}
OPTIONAL_VARIANTS: list[tuple[str, dict[str, str]]] = [
    ("challenges_by_use_count", {"category": "legal"}),
    ("uses_and_challenges", {"use": "kg:SkinLesionTriage"}),
    ("regulations_by_jurisdiction", {"jurisdiction": "England", "status": "in force"}),
    ("regulations_by_jurisdiction", {"jurisdiction": "Northern Ireland"}),
    ("regulatory_timeline", {"from_year": "2023", "to_year": "2024"}),
    ("funding_by_funder", {"funder": "DHSC"}),
    ("funding_allocations", {"recipient": "NHS AI Lab"}),
    ("use_impacts", {"area": "cost", "direction": "positive"}),
    ("example_deployments", {"use": "kg:DiagnosisAndScreening"}),
    ("statistics_about", {"entity": "kg:NHSAILab"}),
    ("affected_groups", {"group": "kg:EthnicMinorityGroups"}),
]


def norm_term(term: Any) -> Any:
    """A term as a comparable value: numbers by value, blank nodes as one token."""
    if term is None:
        return None
    kind = type(term).__name__
    if kind == "BlankNode":
        return ("bnode",)
    if kind == "NamedNode":
        return ("iri", term.value)
    dtype = term.datatype.value if term.datatype is not None else ""
    if dtype.endswith(("#decimal", "#integer", "#double", "#float", "#long", "#int")):
        return ("number", Decimal(term.value).normalize())
    return ("literal", term.value, term.language or "", dtype)


def answer(result: Any) -> Any:
    """What a result says, independent of engine: variables and the sorted multiset of rows."""
    if result.kind == "ask":
        return ("ask", result.boolean)
    if result.kind == "graph":
        return ("graph", sorted(tuple(map(str, (norm_term(t.subject), norm_term(t.predicate), norm_term(t.object))))
                                for t in result.triples))
    rows = sorted((tuple(norm_term(t) for t in row) for row in result.rows), key=repr)
    return ("select", tuple(result.variables), rows)
