"""queries/time.py and `aihkg asof`, `changes`, `timeline`: statuses derived from dates, on every store.

The derivation rules are stated in queries/time.py; the canned queries' `-p on=DATE` derive the same
statuses in SPARQL, and these tests hold the two together on a grid of days, edge days included,
on memory, rdflib, a persistent Oxigraph store and two SPARQL servers (oxigraph serve, Virtuoso).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from aihkg.graph.errors import UsageProblem
from aihkg.queries import time
from aihkg.queries.api import KnowledgeGraph, to_python
from conftest import DATA, aihkg, needs_java

TIME_DATA = DATA / "time"
EX = "https://example.org/life/"
K = "https://w3id.org/aihkg/id/"

# Days the canned queries and `asof` must agree on: years, months, the POSTnote, edge days.
GRID = ["2000", "2016-05-24", "2018-05-24", "2018-05-25", "2019-02-19", "2019-04", "2019-05-01", "2020",
        "2021-01-19", "2021-02-10", "2021-02-11", "2021-05-26", "2022-08-31", "2022-09-01", "2023-02-01",
        "2024-07-31", "2024-08-01", "2025-06-16", "2026-06-01", "2030"]


# ------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(("raw", "text", "precision"), [
    ("2021-01-19", "2021-01-19", "day"), ("2021-01", "2021-01", "month"), ("2021", "2021", "year"),
    (" 2024-02-29 ", "2024-02-29", "day"), ("postnote", "2021-01-19", "day"), ("PostNote", "2021-01-19", "day"),
])
def test_dates_are_read_at_their_precision(raw: str, text: str, precision: str) -> None:
    when = time.parse_when(raw)
    assert (when.text, when.precision) == (text, precision)


def test_today_is_the_day_it_is_asked() -> None:
    assert time.parse_when("today", today=dt.date(2026, 3, 1)).text == "2026-03-01"
    assert time.parse_when("today").text == dt.date.today().isoformat()


@pytest.mark.parametrize(("raw", "says"), [
    ("2021-02-30", "is not a day that exists"), ("2023-02-29", "is not a day that exists"),
    ("2021-13", "is not a day that exists"), ("2021-00", "is not a day that exists"),
    ("19/01/2021", "is not a date"), ("21", "is not a date"), ("", "is not a date"), ("2021-1-9", "is not a date"),
])
def test_impossible_dates_are_refused(raw: str, says: str) -> None:
    with pytest.raises(UsageProblem, match=says):
        time.parse_when(raw)


def test_a_month_or_year_counts_from_the_day_after_it() -> None:
    # The comparison key puts a partial date after every day of its period and before the next.
    assert time.key("2021-12-31") < time.key("2021") < time.key("2022-01-01")
    assert time.key("2021-01-31") < time.key("2021-01") < time.key("2021-02-01")
    assert time.key("2021-01") < time.key("2021")
    # A date asked about covers its whole period: from its start (since) to its end (until, asof).
    year = time.parse_when("2021")
    assert year.start <= time.key("2021-01-01") and time.key("2021") <= year.end < time.key("2022-01-01")


# ------------------------------------------------------------------------------------- derivation


@pytest.fixture(scope="module")
def life() -> Iterator[KnowledgeGraph]:
    kg = KnowledgeGraph(data=[str(TIME_DATA / "lifecycle.ttl")], include_data=False)
    yield kg
    kg.close()


def life_status(kg: KnowledgeGraph, local: str, on: str) -> tuple[str, str | None] | None:
    rows = [r for r in kg.as_of(on) if r["entity"] == EX + local]
    return (rows[0]["status"], rows[0]["since"]) if rows else None


@pytest.mark.parametrize(("on", "expected"), [
    ("2020-02-29", None),                                    # proposed in February: not certain yet
    ("2020-03-01", ("proposed", "2020-02")),
    ("2021-02-10", ("proposed", "2020-02")),
    ("2021-02-11", ("not yet in force", "2021-02-11")),      # made on this day
    ("2021-12-31", ("not yet in force", "2021-02-11")),      # in force "in 2021": certain from 2022
    ("2022-01-01", ("in force", "2021")),
    ("2021", ("in force", "2021")),                          # asof 2021: once 2021 is over
    ("2024-06-29", ("in force", "2021")),
    ("2024-06-30", ("no longer in force", "2024-06-30")),
])
def test_a_rule_lives_through_every_status(life: KnowledgeGraph, on: str, expected: object) -> None:
    assert life_status(life, "Act1", on) == expected


def test_undated_and_half_dated_rules(life: KnowledgeGraph) -> None:
    assert life_status(life, "Undated", "1900") == ("in force", None)
    assert life_status(life, "MadeOnly", "2019-04-30") is None
    assert life_status(life, "MadeOnly", "2019-05-01") == ("in force", None)
    row = next(r for r in life.as_of("2019-05-01") if r["entity"] == EX + "MadeOnly")
    assert row["note"] == "made 2019-05-01; entry into force not known"


@pytest.mark.parametrize(("on", "expected"), [
    ("2010-12-31", None), ("2011-01-01", ("active", "2010")),
    ("2015-03-31", ("active", "2010")), ("2015-04-01", ("closed", "2015-03")),
])
def test_a_body_opens_and_closes(life: KnowledgeGraph, on: str, expected: object) -> None:
    assert life_status(life, "Body", on) == expected


def test_a_closed_body_says_what_became_of_it(kg) -> None:
    notes = {r["entity"]: r["note"] for r in kg.as_of("2024-03-01", kind="organisations")}
    assert notes[K + "NHSDigital"] == "merged into NHS England"
    assert notes[K + "CDEI"] == "renamed as Responsible Technology Adoption Unit"
    # BEIS has no successor in the graph: the note on its dated closure says what became of it.
    assert notes[K + "BEIS"].startswith("Broken up into the Department for Science, Innovation and Technology")
    assert not notes[K + "DSIT"]


@pytest.mark.parametrize(("on", "heads"), [
    ("2010-06-30", []), ("2010-07-01", ["Alice"]), ("2012-12-31", ["Alice"]), ("2013-06-01", []),
    ("2013", ["Bob"]), ("2014-04-30", ["Bob"]), ("2014-05-01", ["Carol"]),
])
def test_who_held_the_post(life: KnowledgeGraph, on: str, heads: list[str]) -> None:
    found = time.holders(life.time_facts(), EX + "Body", time.parse_when(on))
    assert [h[len(EX):] for h in found] == heads
    rows = life.rows("organisation_profile", organisation=EX + "Body", on=on)
    assert sorted(r["other"][len(EX):] for r in rows if r["relation"] == "led by") == heads


def test_kind_and_jurisdiction_filters(life: KnowledgeGraph) -> None:
    assert {r["kind"] for r in life.as_of("2025", kind="rules")} == {"Act", "Guidance", "Statutory instrument"}
    assert {r["kind"] for r in life.as_of("2025", kind="organisations")} == {"Organisation"}
    # Act Two applies in Province, part of Land: asked for Land it is left out, for Province it is in.
    in_land = {r["entity"] for r in life.as_of("2025", jurisdiction=EX + "Land")}
    in_province = {r["entity"] for r in life.as_of("2025", jurisdiction=EX + "Province")}
    assert EX + "Act2" not in in_land and EX + "Act2" in in_province and EX + "Undated" in in_province
    with pytest.raises(UsageProblem, match="--kind must be one of"):
        life.as_of("2025", kind="people")


def test_changes_and_timeline_on_the_fixture(life: KnowledgeGraph) -> None:
    rows = life.changes(None, "2030")
    act1 = [(r["date"], r["change"], r["detail"]) for r in rows if r["entity"] == EX + "Act1"]
    assert act1 == [("2020-02", "proposed", None), ("2021-02-11", "made", "Royal Assent"),
                    ("2021", "in force", "entered into force"), ("2024-06-30", "repealed", "by Act Two")]
    made = next(r for r in rows if r["entity"] == EX + "Act1" and r["change"] == "made")
    assert made["source"] == EX + "doc"  # the official record before the secondary report
    history = life.timeline(EX + "Act1")
    assert next(r for r in history if r["change"] == "made")["otherSources"] == 1
    heads = [(r["date"], r["change"], r["detail"]) for r in life.timeline("The Body")]
    assert ("2013", "in post", "Bob (Head)") in heads
    assert (None, "founded", "date not known: Seen in post in 2013.") not in heads
    assert any(d is None and detail == "Bob: date not known: Seen in post in 2013." for d, _, detail in heads)
    with pytest.raises(UsageProblem, match="range is backwards"):
        life.changes("2022", "2021")


def test_changes_are_what_turns_one_day_into_another(life: KnowledgeGraph, kg) -> None:
    """asof(U) differs from asof(S - 1 day) only for entities with a change from S to U."""
    for graph, spans in ((life, [("2021-01-01", "2021-12-31"), ("2015-03-01", "2015-04-30")]),
                         (kg, [("2021-01-19", "2023-12-31"), ("2024-08-01", "2025-12-31")])):
        for since, until in spans:
            before = dt.date.fromisoformat(since) - dt.timedelta(days=1)
            old = {r["entity"]: r["status"] for r in graph.as_of(before.isoformat())}
            new = {r["entity"]: r["status"] for r in graph.as_of(until)}
            moved = {e for e in set(old) | set(new) if old.get(e) != new.get(e)}
            changed = {r["entity"] for r in graph.changes(since, until)}
            assert moved and moved <= changed, sorted(moved - changed)


# ------------------------------------------------------------------------------------- canned `on`


def canned_rule_statuses(kg: KnowledgeGraph, on: str) -> dict[str, str]:
    rows = kg.run("regulations_by_jurisdiction", on=on).dicts()
    return {r["regulation"].value: r["statusLabel"].value for r in rows}


def asof_rule_statuses(kg: KnowledgeGraph, on: str) -> dict[str, str]:
    return {r["entity"]: r["status"] for r in kg.as_of(on, kind="rules")}


@pytest.mark.parametrize("on", GRID)
def test_canned_queries_derive_the_asof_status(kg, on: str) -> None:
    expected = asof_rule_statuses(kg, on)
    assert canned_rule_statuses(kg, on) == expected
    laws = {r["legislation"].value: r["statusLabel"].value
            for r in kg.run("legislation_identifiers", on=on).dicts()}
    assert laws == {e: s for e, s in expected.items() if e in laws} and set(laws) <= set(expected)


def test_the_status_filter_takes_a_status_on_the_date(kg) -> None:
    old = {r["regulation"] for r in kg.rows("regulations_by_jurisdiction", status="no longer in force",
                                             on="2021-01-19")}
    assert {K + "DataProtectionAct1998", K + "CodeOfConduct2018"} <= old
    repealed = {r["regulation"] for r in kg.rows("regulations_by_jurisdiction", status="repealed", on="2030")}
    assert K + "DataProtectionAct1998" in repealed and K + "CodeOfConduct2018" not in repealed  # replaced
    enforced = {r["regulation"]: r["statusLabel"] for r in kg.rows("regulations_enforced_by", organisation="MHRA",
                                                                    on="2021-01-19")}
    assert enforced[K + "MMDA2021"] == "proposed" and K + "PMSRegulations2024" not in enforced


def test_on_accepts_months_years_today_and_postnote_and_refuses_the_rest(kg) -> None:
    assert canned_rule_statuses(kg, "postnote") == canned_rule_statuses(kg, "2021-01-19")
    assert canned_rule_statuses(kg, "today") == asof_rule_statuses(kg, dt.date.today().isoformat())
    # A month asked about means once it is over: changes dated to that month count, unlike on its last day.
    august = canned_rule_statuses(kg, "2022-08")
    assert august == asof_rule_statuses(kg, "2022-08") == asof_rule_statuses(kg, "2022-09-01")
    assert august != asof_rule_statuses(kg, "2022-08-31")
    with pytest.raises(UsageProblem, match="parameter 'on' expects a date such as 2021-01-18"):
        kg.run("regulations_by_jurisdiction", on="2021-02-30")


# ------------------------------------------------------------------------------------- the CLI


def test_asof_cli_formats_and_counts() -> None:
    run = aihkg("asof", "2021-01-19", "--format", "json")
    assert run.code == 0, run.err
    body = json.loads(run.out)
    assert body["head"]["vars"] == ["entity", "label", "kind", "status", "since", "jurisdiction", "note"]
    mmda = next(b for b in body["results"]["bindings"] if b["entity"]["value"] == K + "MMDA2021")
    assert mmda["status"]["value"] == "proposed"
    assert mmda["since"] == {"type": "literal", "value": "2020-02",
                             "datatype": "http://www.w3.org/2001/XMLSchema#gYearMonth"}
    assert run.err.startswith("on 2021-01-19: ") and " rules (" in run.err and " organisations (" in run.err
    csv = aihkg("asof", "2021-01-19", "--kind", "organisations", "--format", "csv")
    assert csv.out.splitlines()[0] == "entity,label,kind,status,since,jurisdiction,note"
    assert all(",Organisation," in line for line in csv.out.splitlines()[1:])
    england = aihkg("asof", "2021", "--kind", "rules", "--jurisdiction", "England", "--format", "csv")
    rules = {line.split(",")[0][len(K):] for line in england.out.splitlines()[1:]}
    assert {"MMDA2021", "UKGDPR", "DataProtectionAct2018", "NDGAct2018"} <= rules  # UK-wide rules apply in England
    assert not {"EUAIAct", "EUGDPR", "EUMDR"} & rules
    table = aihkg("asof", "2021-01-19", "--limit", "3", env={"COLUMNS": "120"})
    assert table.out.splitlines()[0].split(" | ")[0].strip() == "entity" and "(showing the first 3;" in table.out


def test_changes_and_timeline_cli() -> None:
    run = aihkg("changes", "--since", "2023-02-01", "--until", "2023-02-01", "--format", "csv")
    assert run.code == 0, run.err
    assert run.out.splitlines()[0] == "date,entity,label,change,detail,source"
    assert any(",NHS Digital,merged,into NHS England," in line for line in run.out.splitlines())
    tl = aihkg("timeline", "ICO", "--format", "tsv")
    assert tl.code == 0 and "John Edwards became Information Commissioner" in tl.out


@pytest.mark.parametrize(("args", "code", "says"), [
    (["asof", "2021-02-30"], 2, "not a day that exists in the calendar"),
    (["asof", "yesterday"], 2, "is not a date"),
    (["asof", "2021", "--jurisdiction", "Atlantis"], 2, "no jurisdiction named 'Atlantis'"),
    (["changes", "--since", "2024", "--until", "2023-12"], 2, "the range is backwards"),
    (["changes", "--since", "2021-13"], 2, "--since '2021-13' is not a day"),
    (["timeline", "no such body"], 2, "no entity named 'no such body'"),
    (["query", "organisation_profile", "-p", "organisation=ICO", "-p", "on=2021-02-29"], 2,
     "parameter 'on' expects a date"),
    (["--data", "/nonexistent/mine.ttl", "asof", "2021"], 1, "mine.ttl"),
])
def test_bad_input_is_one_line_and_the_right_exit_code(args: list[str], code: int, says: str) -> None:
    run = aihkg(*args)
    assert run.code == code, run.err
    assert says in run.err and "Traceback" not in run.err and len(run.err.strip().splitlines()) == 1


def test_today_on_the_command_line_is_todays_date() -> None:
    today = dt.date.today().isoformat()
    assert aihkg("asof", "today", "--format", "csv").out == aihkg("asof", today, "--format", "csv").out


# ------------------------------------------------------------------------------------- every store


@pytest.fixture(scope="module")
def every_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, KnowledgeGraph]]:
    """The built-in graph on memory, rdflib, oxigraph:DIR, oxigraph serve and Virtuoso."""
    from aihkg.graph import GRAPH_IRI
    from aihkg.graph.build import builtin_nquads
    from servers import oxigraph_server, virtuoso_server

    with oxigraph_server() as base, virtuoso_server(tmp_path_factory.mktemp("virtuoso-time"),
                                                     load={GRAPH_IRI: builtin_nquads()}) as virtuoso:
        spec = f"sparql:{base}/query,{base}/update"
        pushed = aihkg("--store", spec, "push")
        assert pushed.code == 0, pushed.err
        opened = {
            "memory": KnowledgeGraph(), "rdflib": KnowledgeGraph("rdflib"),
            "oxigraph": KnowledgeGraph(f"oxigraph:{tmp_path_factory.mktemp('time-store') / 'kg'}"),
            "oxigraph-serve": KnowledgeGraph(spec), "virtuoso": KnowledgeGraph(f"sparql:{virtuoso.sparql_url}"),
        }
        yield opened
        for kg in opened.values():
            kg.close()


@pytest.mark.server
@pytest.mark.parametrize("store", ["rdflib", "oxigraph", "oxigraph-serve", "virtuoso"])
def test_asof_changes_timeline_and_on_agree_on_every_store(every_store: dict[str, KnowledgeGraph],
                                                           store: str) -> None:
    ref, other = every_store["memory"], every_store[store]
    for on in ("2018-05-25", "2021-01-19", "2022", "2024-08-01", "2030"):
        assert other.as_of(on) == ref.as_of(on), on
    assert other.changes() == ref.changes()
    assert other.changes("postnote", "2026-06-30") == ref.changes("postnote", "2026-06-30")
    for name in ("ICO", "EU AI Act", "NHS AI Lab", "AI Airlock", "Indra Joshi"):
        assert other.timeline(name) == ref.timeline(name), name
    for on in ("2021-01-19", "2024-08-01"):
        assert canned_rule_statuses(other, on) == asof_rule_statuses(ref, on), on
        for org in ("ICO", "NHS AI Lab"):
            assert profile(other, org, on) == profile(ref, org, on), (org, on)


def profile(kg: KnowledgeGraph, organisation: str, on: str) -> list[tuple[str, str]]:
    rows = kg.rows("organisation_profile", organisation=organisation, on=on)
    return sorted((r["relation"], r["other"]) for r in rows)


# ------------------------------------------------------------------------------------- validation


def test_shacl_refuses_a_stored_status_that_contradicts_the_dates(cli_run) -> None:
    run = cli_run("validate", "--no-reasoner", str(TIME_DATA / "status_contradicts_dates.ttl"))
    assert run.code == 1 and "result: NOT valid" in run.out
    violations = [line for line in run.out.splitlines() if line.strip().startswith("violation:")]
    expected = {
        "EndedButInForce": "the stored status says in force or not yet in force, but the rule's dates say it is",
        "MadeButProposed": "the stored status says proposed, but the rule's dates say it was made",
        "RepealedUndated": "the stored status says no longer in force, but no end date is given",
        "OutOfOrder": "the rule's dates are out of order",
    }
    for node, message in expected.items():
        assert any(f"time/{node}>" in line and message in line for line in violations), (node, run.out)
    assert len(violations) == len(expected)


def test_the_built_in_dates_all_cite_their_sources(cli_run) -> None:
    run = cli_run("validate", "--no-reasoner")
    assert "0 violation(s), 0 warning(s)" in run.out  # a date with no rdf:Statement would be a warning


def test_the_fixture_graph_is_valid(cli_run) -> None:
    run = cli_run("--no-builtin-data", "validate", "--no-reasoner", str(TIME_DATA / "lifecycle.ttl"))
    assert "0 violation(s)" in run.out, run.out


@needs_java
def test_the_ontology_alone_reasons_in_stock_hermit(tmp_path: Path) -> None:
    """HermiT with default settings (as Protege runs it), on `aihkg --no-builtin-data export`."""
    import owlready2

    out = tmp_path / "ontology.nt"
    assert aihkg("--no-builtin-data", "export", "-f", "nt", "-o", str(out)).code == 0
    world = owlready2.World()
    world.get_ontology(f"file://{out}").load(format="ntriples")
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)  # raises if HermiT fails
    assert [c for c in world.inconsistent_classes() if str(c.iri) != "http://www.w3.org/2002/07/owl#Nothing"] == []


@needs_java
def test_validate_says_what_hermit_could_not_check() -> None:
    full = aihkg("validate")
    assert full.code == 0, full.out
    line = next(x for x in full.out.splitlines() if "HermiT did not check" in x)
    assert "xsd:date" in line and "xsd:gYear" in line and "SHACL checks them instead" in line
    alone = aihkg("--no-builtin-data", "validate")
    assert alone.code == 0 and "HermiT did not check" not in alone.out  # nothing outside the map to ignore


# ------------------------------------------------------------------------------------- fixes14


@pytest.mark.parametrize(("on", "expected"), [
    ("2017", set()),                                     # before any source shows it held
    ("2018-01-31", {"BEIS", "DCMS", "UKGovernment"}),    # a joint BEIS/DCMS unit (PublicTechnology)
    ("2021-01-19", {"BEIS", "DCMS", "UKGovernment"}),    # not under DSIT, which did not exist yet
    ("2023-06-01", {"DCMS", "UKGovernment"}),            # BEIS broken up on 7 February 2023
    ("2024-02", {"DSIT", "UKGovernment"}),               # first shown within DSIT
])
def test_the_office_for_ai_parents_follow_its_dated_memberships(kg, on: str, expected: set[str]) -> None:
    rows = kg.rows("organisation_profile", organisation="kg:OfficeForAI", on=on)
    parents = [r["other"][len(K):] for r in rows if r["relation"] == "part of"]
    assert set(parents) == expected
    assert len(parents) == len(set(parents))  # UK Government once, though reached through two parents


def test_a_unit_term_seen_held_but_not_started_says_so(kg) -> None:
    rows = kg.timeline("Office for AI")
    seen = {(r["date"], r["detail"]) for r in rows if r["change"] == "in post"}
    assert ("2024-02", "a unit of Department for Science, Innovation and Technology") in seen
    unknown = [r["detail"] for r in rows if r["change"] == "parent changed" and not r["date"]]
    assert any(d.startswith("unit of Department for Science, Innovation and Technology: date not known")
               for d in unknown)
    # A date a term was seen held is not a change: `aihkg changes` leaves it out.
    assert not [r for r in kg.changes("2018-01-01", "2018-12-31") if r["entity"] == K + "OfficeForAI"]


def test_the_organisation_map_dates_each_dated_part_of_link(kg) -> None:
    rows = [r for r in kg.rows("organisation_structure") if r["organisation"] == K + "OfficeForAI"]
    dated = {(r["other"][len(K):], str(r["date"])) for r in rows if r["relation"] == "part of"}
    assert dated == {("BEIS", "2018-01-31"), ("DCMS", "2018-01-31"), ("DSIT", "2024-02")}


# ------------------------------------------------------------------------------------- tdates
# Dates the descriptions gave in words and the graph now holds as typed values (issue 14).

def _rows(kg, query: str) -> list[tuple]:
    """Rows as plain strings; our individuals' IRIs shortened to their local names."""
    out = []
    for row in kg.sparql(query).rows:
        values = [str(to_python(v)) for v in row]
        out.append(tuple(v[len(K):] if v.startswith(K) else v for v in values))
    return out


TDATES = {  # (individual, property): the value its source gives, at the source's precision
    ("AIDataGrandChallengeMission", "targetDate"): "2030",
    ("NationalDataOptOut", "targetDate"): "2020",
    ("WhitePaperResponse2024", "targetDate"): "2024-04-30",
    ("ICOTuringConsultation2019", "closingDate"): "2020-01-24",
    ("AIAwardLaunched2020", "closingDate"): "2020-03-04",
    ("NationalCommissionCallForEvidence2025", "closingDate"): "2026-02",
    ("GoldacreReview", "commissionedDate"): "2021-02",
    ("EquityInMedicalDevicesReview", "commissionedDate"): "2021-11",
    ("NHSDigital", "renamedDate"): "2016",
    ("DERM", "certificationDate"): "2022",
    ("Streams", "developmentStartDate"): "2015",
}


def test_dates_the_prose_gave_in_words_are_typed_values(kg) -> None:
    rows = _rows(kg, """SELECT ?s ?p (STR(?d) AS ?text) (STR(DATATYPE(?d)) AS ?type) WHERE {
        VALUES ?p { aihkg:targetDate aihkg:closingDate aihkg:commissionedDate aihkg:renamedDate
                    aihkg:certificationDate aihkg:developmentStartDate }
        ?s ?p ?d }""")
    found = {(s, p.rsplit("#", 1)[1]): (d, t) for s, p, d, t in rows}
    assert {k: v[0] for k, v in found.items()} == TDATES
    by_length = {4: "gYear", 7: "gYearMonth", 10: "date"}  # the type says the precision the text has
    assert all(t.endswith("#" + by_length[len(d)]) for d, t in found.values()), found


def test_every_new_date_cites_a_source_document(kg) -> None:
    rows = _rows(kg, """SELECT ?s ?p ?d (COUNT(DISTINCT ?url) AS ?urls) WHERE {
        VALUES ?p { aihkg:targetDate aihkg:closingDate aihkg:commissionedDate aihkg:renamedDate
                    aihkg:certificationDate aihkg:developmentStartDate }
        ?s ?p ?d .
        OPTIONAL { ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?d ; dcterms:source ?src .
                   ?src a aihkg:SourceDocument ; aihkg:url ?url }
    } GROUP BY ?s ?p ?d""")
    assert len(rows) == len(TDATES)
    assert all(int(urls) >= 1 for *_, urls in rows), rows


def test_a_contested_commissioning_date_is_the_claim_the_graph_prefers(kg) -> None:
    rows = _rows(kg, """SELECT (STR(?stated) AS ?s) (STR(?preferred) AS ?p) WHERE {
        kg:EquityInMedicalDevicesReview aihkg:commissionedDate ?stated .
        ?fact aihkg:contestedAbout kg:EquityInMedicalDevicesReview ; aihkg:prefers/aihkg:claimedValue ?preferred }""")
    assert rows == [("2021-11", "2021-11")]


def test_one_step_answers_the_dates_used_to_be_two_away(kg) -> None:
    """What an analyst asks of one individual now reaches the date in one step."""
    def one(query: str) -> list[str]:
        return sorted(r[0] for r in _rows(kg, query))

    # When did the call for evidence for the National Commission close, and how many answered it?
    assert one("SELECT ?d WHERE { ?e aihkg:involves kg:NationalCommissionAIHealthcare ; aihkg:closingDate ?d }") == \
        ["2026-02"]
    assert one("""SELECT ?v WHERE { ?s aihkg:statisticAbout kg:NationalCommissionCallForEvidence2025 ;
        aihkg:value ?v }""") == ["770"]
    # Which dates does the Commission's proposal move? (the provisions it would delay, from the proposal event)
    assert one("""SELECT ?d WHERE { kg:DigitalOmnibusProposed2025 aihkg:involves ?p .
        ?p aihkg:proposedAppliesFrom ?d }""") == ["2027-12", "2028-08"]
    # When did the AI Airlock's pilot end? (from the launch event)
    assert one("SELECT ?d WHERE { kg:AIAirlockLaunched2024 aihkg:involves ?p . ?p aihkg:dissolvedDate ?d }") == \
        ["2025-04"]
    # From when has the National Data Guardian been statutory?
    assert one("SELECT ?d WHERE { kg:NationalDataGuardian aihkg:statutoryBasis ?act . ?act aihkg:inForceFrom ?d }") == \
        ["2019-04-01"]
    # When did the regulations commencing the MMDA's device-enforcement provisions bring them into force?
    assert one("SELECT ?d WHERE { kg:MMDACommencementRegs2021 aihkg:commences ?p . ?p aihkg:inForceFrom ?d }") == \
        ["2021-05-26"]


def test_shacl_checks_the_new_date_properties(cli_run) -> None:
    run = cli_run("--no-builtin-data", "validate", "--no-reasoner", str(TIME_DATA / "tdates_dates.ttl"))
    assert run.code == 1 and "result: NOT valid" in run.out
    lines = [line.strip() for line in run.out.splitlines()]
    expected = {
        ("violation", "StringTarget"): "aihkg:targetDate is one xsd:date, xsd:gYearMonth or xsd:gYear",
        ("violation", "UnpaddedClosing"): "a date is written YYYY, YYYY-MM or YYYY-MM-DD",
        ("violation", "WrongCommencement"): "aihkg:commences points to an aihkg:Provision",
        ("warning", "UncitedReview"): "a date with no statement-level source",
    }
    for (level, node), message in expected.items():
        assert any(line.startswith(f"{level}:") and f"time/{node}>" in line and message in line for line in lines), \
            (node, run.out)
    # The well-stated target draws none of the date rules.
    assert not any("time/GoodMission>" in line and "typed dates" in line for line in lines), run.out
