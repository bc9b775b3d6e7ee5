"""Funding totals that add up (queries/catalog/funding_*.rq): each top-level allocation counted once,
joint parties together, sub-allocations inside their parent, a revision in place of what it revises."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from rdflib import RDF, RDFS, Namespace

from aihkg.graph import ONTOLOGY_NS
from aihkg.queries.api import KnowledgeGraph
from conftest import DATA

AIHKG = Namespace(ONTOLOGY_NS)
M = Decimal(1_000_000)


def top_level(g) -> dict:
    """By hand from the triples: each allocation that neither revises nor sits inside another, at the
    amount of the last revision in its chain, with its year and its sorted funder and recipient labels."""
    out = {}
    for f in set(g.subjects(RDF.type, AIHKG.Funding)):
        if g.value(f, AIHKG.revises) is not None or g.value(f, AIHKG.partOfAllocation) is not None:
            continue
        current = f
        while (later := g.value(None, AIHKG.revises, current)) is not None:
            current = later
        names = {p: " + ".join(sorted(str(g.value(o, RDFS.label)) for o in g.objects(f, p)))
                 for p in (AIHKG.funder, AIHKG.fundingRecipient)}
        out[f] = {"amount": g.value(current, AIHKG.amount).toPython(), "year": int(str(g.value(f, AIHKG.fundingYear))),
                  "funders": names[AIHKG.funder], "recipients": names[AIHKG.fundingRecipient]}
    return out


def sums(allocations: dict, key: str) -> dict:
    totals: dict = defaultdict(Decimal)
    for a in allocations.values():
        totals[a[key]] += a["amount"]
    return dict(totals)


def test_every_view_adds_up_to_the_distinct_top_level_allocations(kg, rdf_graph) -> None:
    tops = top_level(rdf_graph)
    grand = sum(a["amount"] for a in tops.values())
    assert {r["funders"]: r["total"] for r in kg.rows("funding_by_funder")} == sums(tops, "funders")
    assert {r["year"]: r["total"] for r in kg.rows("funding_by_year")} == sums(tops, "year")
    assert {r["recipients"]: r["total"] for r in kg.rows("funding_by_programme")} == sums(tops, "recipients")
    counted = [r["counted"] for r in kg.rows("funding_allocations") if r["counted"] is not None]
    assert len(counted) == len(tops) and sum(counted) == grand


def test_hand_reconciliation_dhsc_nhs_ai_lab_ukri(kg) -> None:
    by_funder = {r["funders"]: r for r in kg.rows("funding_by_funder")}
    dhsc = by_funder["Department of Health and Social Care"]
    # NHS AI Lab 139 (the 250 as cut), further 50 for three centres, AI Diagnostic Fund 21, AI Airlock 1 + 3.6;
    # the 11.77 to regulators is inside the NHS AI Lab's budget.
    assert (dhsc["total"], dhsc["allocations"]) == (Decimal("214.6") * M, 5)
    ukri = kg.rows("funding_by_funder", funder="UKRI")
    # the GBP 50m for five centres, once, under BEIS and UKRI together; NPIC's 10.1m is inside it
    assert [(r["funders"], r["total"]) for r in ukri] == [
        ("Department for Business, Energy and Industrial Strategy + UK Research and Innovation", 50 * M)]
    lab = kg.rows("funding_by_funder", funder="NHS AI Lab")
    assert [(r["funders"], r["total"]) for r in lab] == [("NHS AI Lab + The Health Foundation", Decimal("1.4") * M)]
    received = {r["recipients"]: r["total"] for r in kg.rows("funding_by_programme")}
    assert received["NHS AI Lab"] == 139 * M
    # The 2023 GBP 113m is not credited to each of its three funders, nor added to the Lab's budget.
    assert not any(r["total"] == 113 * M for r in kg.rows("funding_by_funder"))


def test_a_revision_stays_in_the_year_the_allocation_was_made(kg) -> None:
    by_year = {r["year"]: r["total"] for r in kg.rows("funding_by_year")}
    assert by_year[2019] == (139 + 79) * M  # the NHS AI Lab at its current amount, in 2019
    assert by_year[2024] == (90 + 10) * M  # DSIT's two; the cut is not counted again in 2024
    before_cut = {r["year"]: r["total"] for r in kg.rows("funding_by_year", on="2024-06-02")}
    on_cut = {r["year"]: r["total"] for r in kg.rows("funding_by_year", on="2024-06-03")}
    assert (before_cut[2019], on_cut[2019]) == ((250 + 79) * M, (139 + 79) * M)


@pytest.fixture(scope="module")
def small():
    graph = KnowledgeGraph(data=[str(DATA / "funding_counts.ttl")], include_data=False)
    yield graph
    graph.close()


@pytest.mark.parametrize(("on", "big"), [("2021-02-28", 100), ("2021-03-01", 80), ("2022-02", 80), ("2022", 60),
                                         ("today", 60)])
def test_a_chain_of_revisions_counts_the_latest_in_force(small, on: str, big: int) -> None:
    by_year = {r["year"]: r["total"] for r in small.rows("funding_by_year", on=on)}
    assert by_year == {2019: Decimal(big), 2020: Decimal(5)}  # the sub-grant's 30 is inside the 2019 fund
    funders = {r["funders"]: r["total"] for r in small.rows("funding_by_funder", on=on)}
    assert funders == {"Alpha + Beta": Decimal(big), "Alpha": Decimal(5)}
    recipients = {r["recipients"]: r["total"] for r in small.rows("funding_by_programme", on=on)}
    assert recipients == {"Programme P": Decimal(big), "Programme Q + Programme R": Decimal(5)}


def test_allocations_say_how_each_counts(small) -> None:
    rows = {r["funding"].rsplit("/", 1)[-1]: r for r in small.rows("funding_allocations", on="2021-06")}
    assert set(rows) == {"BigFund", "FirstCut", "SubGrant", "SmallGrant"}  # the second cut is not yet announced
    assert (rows["BigFund"]["amount"], rows["BigFund"]["amountOn"], rows["BigFund"]["counted"]) == (100, 80, 80)
    assert rows["SubGrant"]["counted"] is None and rows["SubGrant"]["partOf"].endswith("/BigFund")
    assert rows["FirstCut"]["counted"] is None and rows["FirstCut"]["revises"].endswith("/BigFund")
    before = small.rows("funding_allocations", on="2019-12-31")
    assert [r["funding"].rsplit("/", 1)[-1] for r in before] == ["BigFund"]


def test_figure_details_of_an_allocation_are_never_added(kg) -> None:
    # GBP 1.2m a year is how the AI Airlock's GBP 3.6m is paid; the AI Ethics call offered GBP 1.55m and
    # GBP 1.4m was awarded. Totals count each allocation's aihkg:amount, once.
    counted = {r["funding"].rsplit("/", 1)[-1]: r["counted"] for r in kg.rows("funding_allocations")}
    assert counted["FundingAIAirlock2026"] == Decimal("3.6") * M
    assert counted["FundingAIEthicsInitiative2021"] == Decimal("1.4") * M
    received = {r["recipients"]: r["total"] for r in kg.rows("funding_by_programme")}
    assert received["AI Airlock"] == Decimal("4.6") * M  # GBP 1m (2025) + GBP 3.6m (2026-2029)
    # Expected co-investment (up to GBP 160m for ADD, GBP 7m from industry for NPIC) is a statistic, not funding.
    assert not any(r["amount"] in (160 * M, 7 * M) for r in kg.rows("funding_allocations"))
