"""queries/bind.py: typed parameters, entity names, and VALUES blocks filled with terms."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from aihkg.graph.errors import UsageProblem
from aihkg.queries import bind
from aihkg.queries.catalog import Param, parse_query_file

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(("ptype", "raw", "expected"), [
    ("integer", " 42 ", ox.Literal("42", datatype=ox.NamedNode(XSD + "integer"))),
    ("decimal", "1.50", ox.Literal("1.50", datatype=ox.NamedNode(XSD + "decimal"))),
    ("year", "2021", ox.Literal("2021", datatype=ox.NamedNode(XSD + "integer"))),
    ("date", "2021-01-18", ox.Literal("2021-01-18", datatype=ox.NamedNode(XSD + "date"))),
    ("boolean", "Yes", ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))),
    ("string", 'a "quoted" } # value', ox.Literal('a "quoted" } # value')),
    ("iri", "kg:MHRA", ox.NamedNode("https://w3id.org/aihkg/id/MHRA")),
    ("iri", "<http://example.org/x>", ox.NamedNode("http://example.org/x")),
])
def test_coercion(ptype: str, raw: str, expected: object) -> None:
    assert bind.coerce(Param("p", ptype), raw) == expected


@pytest.mark.parametrize(("ptype", "raw", "says"), [
    ("integer", "ten", "a whole number"),
    ("year", "21", "a year such as 2021"),
    ("year", "2021-01", "a year such as 2021"),
    ("date", "18/01/2021", "a date such as 2021-01-18"),
    ("decimal", "NaN", "a number"),
    ("boolean", "maybe", "true or false"),
    ("iri", "not an iri", "an IRI or CURIE"),
    ("iri", "http://a> } DROP ALL", "an IRI or CURIE"),
])
def test_wrong_types_get_a_clear_error(ptype: str, raw: str, says: str) -> None:
    with pytest.raises(UsageProblem, match=f"parameter 'p' expects {says}.*, got"):
        bind.coerce(Param("p", ptype), raw)


def test_values_blocks_hold_only_serialised_terms() -> None:
    q = parse_query_file("q", "#+ summary: s\n#+ params:\n#+   - name: who\n#+     type: string\n"
                              "SELECT * WHERE {\n  VALUES ?who { UNDEF }\n  ?s ?p ?who\n}\n", "q.rq")
    text = bind.bind(q, {"who": ['x" } ; DROP ALL ; #\n']}, None)
    assert 'VALUES ?who { "x\\" } ; DROP ALL ; #\\n" }' in text
    assert text.count("VALUES") == 1
    assert bind.bind(q, {}, None) == q.text  # unset optional: UNDEF stays, nothing constrained


def test_parameter_errors() -> None:
    q = parse_query_file("q", "#+ summary: s\n#+ params:\n#+   - name: year\n#+     type: year\n"
                              "#+     required: true\nSELECT * WHERE { VALUES ?year { UNDEF } }\n", "q.rq")
    with pytest.raises(UsageProblem, match="needs -p year="):
        bind.bind(q, {}, None)
    with pytest.raises(UsageProblem, match="has no parameter 'yaer' \\(did you mean 'year'\\?\\)"):
        bind.bind(q, {"yaer": ["2020"]}, None)
    with pytest.raises(UsageProblem, match="takes one value, got 2"):
        bind.bind(q, {"year": ["2020", "2021"]}, None)


def test_entities_resolve_by_label_acronym_curie_iri_and_spacing(kg) -> None:
    mhra = "https://w3id.org/aihkg/id/MHRA"
    for name in ("MHRA", "mhra", "Medicines and Healthcare products Regulatory Agency", "kg:MHRA", f"<{mhra}>", mhra):
        assert kg.resolve(name) == mhra
    assert kg.resolve("skin lesion triage") == "https://w3id.org/aihkg/id/SkinLesionTriage"


def test_entity_errors_suggest_and_respect_class(kg) -> None:
    with pytest.raises(UsageProblem, match="no entity named 'MHRX'.*did you mean 'mhra' \\(kg:MHRA\\)"):
        kg.resolve("MHRX")
    with pytest.raises(UsageProblem, match="is not in the graph as a challenge"):
        kg.resolve("kg:MHRA", "aihkg:Challenge")
    with pytest.raises(UsageProblem, match="kg:NoSuchThing is not in the graph"):
        kg.resolve("kg:NoSuchThing")
