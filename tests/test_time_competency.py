"""Competency questions about time, each answered from /work/shared/sources/FACTS.md (fact IDs in the
docstrings) through `kg.as_of`, `kg.changes`, `kg.timeline` and the canned queries' `on` parameter.

They cover the POSTnote's date (19 January 2021), today, and dates in between (GDPR day 25 May 2018,
the EU MDR's 26 May 2021, the NHS Digital merger of 1 February 2023, the EU AI Act's 1 August 2024),
for rules, organisations, leadership and funding. Edge days are asked on the day before and the day of
a change; a date known only to a month or year is asked on its last day and on the day after it
(it counts from the day after: queries/time.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from aihkg.graph import DATA_NS, SOURCE_NS
from aihkg.queries import time

K = DATA_NS


@pytest.fixture(scope="module")
def kg():
    from aihkg.queries.api import KnowledgeGraph

    graph = KnowledgeGraph()
    yield graph
    graph.close()


def status(kg, entity: str, on: str) -> tuple[str, str | None] | None:
    """(status, since) of kg:`entity` on `on`, or None when it is absent that day."""
    rows = [r for r in kg.as_of(on) if r["entity"] == K + entity]
    assert len(rows) <= 1
    return (rows[0]["status"], rows[0]["since"]) if rows else None


def leaders(kg, organisation: str, on: str) -> list[str]:
    """Who led kg:`organisation` on `on`, from the canned organisation_profile query (SPARQL)."""
    rows = kg.rows("organisation_profile", organisation=f"kg:{organisation}", on=on)
    return sorted(r["other"][len(K):] for r in rows if r["relation"] == "led by")


def parents(kg, organisation: str, on: str) -> set[str]:
    rows = kg.rows("organisation_profile", organisation=f"kg:{organisation}", on=on)
    return {r["other"][len(K):] for r in rows if r["relation"] == "part of"}


def changes_of(kg, entity: str, since: str | None = None, until: str | None = "today") -> list[tuple[str, str]]:
    return [(r["date"], r["change"]) for r in kg.changes(since, until) if r["entity"] == K + entity]


# ------------------------------------------------------------------------------------- rules


def test_cq_t01_mmda_was_still_a_bill_when_the_postnote_was_written(kg) -> None:
    """R08, R08a, E36: on 19 January 2021 the MMDA 2021 was a Bill (introduced February 2020)."""
    assert status(kg, "MMDA2021", "postnote") == ("proposed", "2020-02")
    assert status(kg, "MMDA2021", "2021-01-19") == ("proposed", "2020-02")


def test_cq_t02_mmda_royal_assent_on_11_february_2021(kg) -> None:
    """L01, R08: Royal Assent 11 February 2021; some provisions in force on the day it was passed."""
    assert status(kg, "MMDA2021", "2021-02-10") == ("proposed", "2020-02")
    assert status(kg, "MMDA2021", "2021-02-11") == ("in force", "2021-02-11")
    assert ("2021-02-11", "made") in changes_of(kg, "MMDA2021", "2021-02-11", "2021-02-11")


def test_cq_t03_mmda_device_enforcement_commenced_26_may_2021(kg) -> None:
    """R08b: SI 2021/610 brought the medical-device enforcement provisions into force on 26 May 2021."""
    rows = [r for r in kg.timeline("MMDA 2021") if r["change"] == "in force" and r["date"] == "2021-05-26"]
    assert len(rows) == 1 and "enforcement" in rows[0]["detail"]
    assert rows[0]["source"] == SOURCE_NS + "legislation-made-data"
    assert changes_of(kg, "MMDA2021", "2021-05-25", "2021-05-25") == []


def test_cq_t04_dpa_1998_was_replaced_on_gdpr_day(kg) -> None:
    """R04, R01, X29: the DPA 1998 was repealed and replaced by the DPA 2018 (25 May 2018)."""
    assert status(kg, "DataProtectionAct1998", "2018-05-24") == ("in force", "2000-03-01")
    assert status(kg, "DataProtectionAct1998", "2018-05-25") == ("no longer in force", "2018-05-25")
    row = next(r for r in kg.as_of("postnote") if r["entity"] == K + "DataProtectionAct1998")
    assert row["status"] == "no longer in force" and "repealed by Data Protection Act 2018" in row["note"]
    assert status(kg, "DataProtectionAct2018", "postnote") == ("in force", "2018-05-23")


def test_cq_t05_uk_gdpr_applies_from_1_january_2021(kg) -> None:
    """R03: the UK GDPR applies from the end of the transition period (1 January 2021)."""
    assert status(kg, "UKGDPR", "2020-12-31") is None
    assert status(kg, "UKGDPR", "2021-01-01") == ("in force", "2021-01-01")
    assert status(kg, "UKGDPR", "postnote") == ("in force", "2021-01-01")


def test_cq_t06_eu_gdpr_applies_from_25_may_2018(kg) -> None:
    """R02, E11: the GDPR applied from 25 May 2018 (in force since 2016, applying two years later)."""
    assert status(kg, "EUGDPR", "2018-05-24") == ("in force", "2016-05-24")
    assert ("2018-05-25", "applies") in changes_of(kg, "EUGDPR", "2018-05-25", "2018-05-25")


def test_cq_t07_eu_ai_act_entered_into_force_on_1_august_2024(kg) -> None:
    """R12, L17: published in the OJ on 12 July 2024, in force on 1 August 2024."""
    assert status(kg, "EUAIAct", "2024-07-11") == ("proposed", "2021-04-21")
    assert status(kg, "EUAIAct", "2024-07-31") == ("not yet in force", "2024-07-12")
    assert status(kg, "EUAIAct", "2024-08-01") == ("in force", "2024-08-01")
    assert status(kg, "EUAIAct", "postnote") is None  # not yet proposed in January 2021


def test_cq_t08_eu_ai_act_applies_in_stages(kg) -> None:
    """R12: prohibitions 2 Feb 2025, general-purpose AI 2 Aug 2025, most rules 2 Aug 2026, high-risk
    AI in products (most AI medical devices) 2 Aug 2027."""
    def note(on: str) -> str:
        return next(r["note"] for r in kg.as_of(on) if r["entity"] == K + "EUAIAct") or ""
    assert note("2025-02-01").startswith("0 of 4 stages apply; next 2025-02-02: prohibited AI practices")
    assert note("2025-02-02").startswith("1 of 4 stages apply; next 2025-08-02")
    assert note("2027-08-01").startswith("3 of 4 stages apply; next 2027-08-02: high-risk AI in regulated products")
    assert "stages" not in note("2027-08-02")
    applies = [r["date"] for r in kg.timeline("EU AI Act") if r["change"] == "applies"]
    assert applies == ["2025-02-02", "2025-08-02", "2026-08-02", "2027-08-02"]


def test_cq_t09_the_digital_omnibus_proposes_to_delay_high_risk_rules(kg) -> None:
    """L27, R12: the Commission proposed the Digital Omnibus on 19 November 2025 (Annex I high-risk
    obligations, incl. medical devices, to August 2028)."""
    assert status(kg, "DigitalOmnibusAI", "2025-11-18") is None
    assert status(kg, "DigitalOmnibusAI", "2025-11-19") == ("proposed", "2025-11-19")
    delays = [r["detail"] for r in kg.timeline("EU AI Act") if r["change"] == "delay proposed"]
    assert any("Annex I" in d and "to 2028-08" in d and "Digital Omnibus" in d for d in delays)


def test_cq_t10_the_data_use_and_access_act_2025(kg) -> None:
    """R13, L23: introduced 23 October 2024, Royal Assent 19 June 2025; it amends the UK GDPR."""
    assert status(kg, "DUAA2025", "2024-10-22") is None
    assert status(kg, "DUAA2025", "2025-06-18") == ("proposed", "2024-10-23")
    assert status(kg, "DUAA2025", "2025-06-19") == ("in force", "2025-06-19")
    amended = [r for r in kg.changes("2025-06-19", "2025-06-19") if r["change"] == "amended"]
    assert {r["entity"][len(K):] for r in amended} >= {"UKGDPR", "DataProtectionAct2018", "HSCA2012"}


def test_cq_t11_post_market_surveillance_regulations(kg) -> None:
    """R20, L19: made 16 December 2024, in force 16 June 2025, amending the UK MDR 2002."""
    assert status(kg, "PMSRegulations2024", "2025-06-15") == ("not yet in force", "2024-12-16")
    assert status(kg, "PMSRegulations2024", "2025-06-16") == ("in force", "2025-06-16")
    assert ("2025-06-16", "amended") in changes_of(kg, "UKMDR2002", "2025-06-16", "2025-06-16")


def test_cq_t12_eu_mdr_replaced_the_medical_devices_directive_on_26_may_2021(kg) -> None:
    """R09, R11: the EU MDR applies from 26 May 2021, when Directive 93/42/EEC was repealed."""
    assert status(kg, "MedicalDevicesDirective", "2021-05-25")[0] == "in force"
    assert status(kg, "MedicalDevicesDirective", "2021-05-26") == ("no longer in force", "2021-05-26")
    assert ("2021-05-26", "applies") in changes_of(kg, "EUMDR", "2021-05-26", "2021-05-26")
    gb = {r["entity"] for r in kg.as_of("2021-05-26", kind="rules", jurisdiction="Great Britain")}
    assert K + "EUMDR" not in gb and K + "UKMDR2002" in gb


def test_cq_t13_the_code_of_conduct_was_replaced_on_19_february_2019(kg) -> None:
    """G01, E13, E21: initial code 5 September 2018; updated code 19 February 2019 replaced it."""
    assert status(kg, "CodeOfConduct2018", "2019-02-18") == ("in force", "2018-09-05")
    assert status(kg, "CodeOfConduct2018", "2019-02-19") == ("no longer in force", "2019-02-19")
    assert status(kg, "CodeOfConduct2019", "2019-02-18") is None
    assert status(kg, "CodeOfConduct2019", "2019-02-19") == ("in force", "2019-02-19")


def test_cq_t14_nice_esf_update_of_august_2022_counts_from_september(kg) -> None:
    """G02, G02a, L09: the ESF (first published 10 December 2018) was updated in August 2022; a
    month-precise change counts from the day after the month."""
    assert status(kg, "NICEESF2019", "2022-08-31") == ("in force", "2018-12-10")
    assert status(kg, "NICEESF2019", "2022-09-01") == ("no longer in force", "2022-08")
    assert status(kg, "NICEESF2022", "2022-08-31") is None
    assert status(kg, "NICEESF2022", "2022-09-01") == ("in force", "2022-08")


def test_cq_t15_dtac_launched_after_the_postnote(kg) -> None:
    """G08, L02: DTAC launched on 23 February 2021."""
    assert status(kg, "DTAC", "postnote") is None
    assert status(kg, "DTAC", "2021-02-23") == ("in force", "2021-02-23")


def test_cq_t16_ndg_act_in_force_1_april_2019(kg) -> None:
    """R17, E18: Royal Assent 20 December 2018, in force 1 April 2019."""
    assert status(kg, "NDGAct2018", "2019-03-31") == ("not yet in force", "2018-12-20")
    assert status(kg, "NDGAct2018", "2019-04-01") == ("in force", "2019-04-01")


def test_cq_t17_a_date_not_known_is_said(kg) -> None:
    """R19, R05: the Equality Act's commencement and the common law duty's origin are not dated; they
    are listed as in force with no 'since', and their timelines say what is not known."""
    assert status(kg, "EqualityAct2010", "postnote") == ("in force", None)
    assert status(kg, "CommonLawDutyOfConfidentiality", "1990") == ("in force", None)
    unknown = [r for r in kg.timeline("Equality Act 2010") if r["date"] is None]
    assert unknown and unknown[0]["detail"].startswith("date not known:")


def test_cq_t18_what_changed_since_the_postnote(kg) -> None:
    """E36, L01, L10, L17: `changes --since postnote` starts after the POSTnote and holds the MMDA's
    Royal Assent, the NHS Digital merger and the EU AI Act's entry into force, oldest first."""
    rows = kg.changes("postnote", "2026-06-30")
    assert rows == sorted(rows, key=lambda r: time.key(r["date"]))
    seen = {(r["entity"][len(K):], r["date"], r["change"]) for r in rows}
    assert {("MMDA2021", "2021-02-11", "made"), ("NHSDigital", "2023-02-01", "merged"),
            ("EUAIAct", "2024-08-01", "in force")} <= seen
    assert all(time.key(r["date"]) >= "2021-01-19" for r in rows)
    assert all(r["source"] for r in rows)  # every change cites the source that states it


# ------------------------------------------------------------------------------------- bodies


def test_cq_t19_nhsx_set_up_in_april_2019(kg) -> None:
    """O03, E23: NHSX was set up in April 2019 (month precision: active from 1 May 2019)."""
    assert status(kg, "NHSX", "2019-04-30") is None
    assert status(kg, "NHSX", "2019-05-01") == ("active", "2019-04")
    assert status(kg, "NHSX", "postnote") == ("active", "2019-04")


def test_cq_t20_nhsx_merger_announced_2021_and_done_in_2022(kg) -> None:
    """L03, X53: merger announced 22 November 2021; NHSX became part of the Transformation Directorate
    in 2022 (year precision: closed once 2022 is over)."""
    assert ("2021-11-22", "closure announced") in changes_of(kg, "NHSX")
    row = next(r for r in kg.as_of("2021-12-01") if r["entity"] == K + "NHSX")
    assert row["status"] == "active" and "closure announced 2021-11-22" in row["note"]
    assert status(kg, "NHSX", "2022-12-31")[0] == "active"
    assert status(kg, "NHSX", "2022") == ("closed", "2022")


def test_cq_t21_nhs_digital_merged_into_nhs_england_on_1_february_2023(kg) -> None:
    """L10, X54, O07: NHS Digital (created April 2013) merged into NHS England on 1 February 2023."""
    assert status(kg, "NHSDigital", "2023-01-31") == ("active", "2013-04")
    assert status(kg, "NHSDigital", "2023-02-01") == ("closed", "2023-02-01")
    row = next(r for r in kg.as_of("2023-02-01") if r["entity"] == K + "NHSDigital")
    assert "merged into NHS England" in row["note"]


def test_cq_t22_hee_merged_on_1_april_2023(kg) -> None:
    """L10, X55, O08: Health Education England merged into NHS England on 1 April 2023."""
    assert status(kg, "HEE", "2023-03-31")[0] == "active"
    assert status(kg, "HEE", "2023-04-01") == ("closed", "2023-04-01")


def test_cq_t23_cdei_renamed_in_february_2024(kg) -> None:
    """O15, X56, L13: the CDEI (2018) was renamed the Responsible Technology Adoption Unit in Feb 2024."""
    assert status(kg, "CDEI", "2024-02-29") == ("active", "2018")
    assert status(kg, "CDEI", "2024-03-01") == ("closed", "2024-02")
    assert status(kg, "RTAU", "2024-03") == ("active", "2024-02")
    assert ("2024-02", "renamed") in changes_of(kg, "CDEI")


def test_cq_t24_abolition_of_nhs_england_announced(kg) -> None:
    """L29 (recalled in FACTS.md; sourced here to AT Today and Brevia): the abolition of NHS England was
    announced on 13 March 2025; it is still active."""
    row = next(r for r in kg.changes("2025-03-13", "2025-03-13") if r["entity"] == K + "NHSEngland")
    assert row["change"] == "closure announced" and row["source"] == SOURCE_NS + "h3-attoday-nhs-england-abolished"
    assert status(kg, "NHSEngland", "2026-06-01")[0] == "active"


# ------------------------------------------------------------------------------------- leaders


def test_cq_t25_who_led_the_ico_in_2017_and_who_leads_it_now(kg) -> None:
    """O13, E05: Elizabeth Denham was Information Commissioner at the Royal Free ruling (3 July 2017);
    John Edwards has held the post since 3 January 2022 (sources beyond FACTS.md, cited in the graph)."""
    assert leaders(kg, "ICO", "2017-07-03") == ["ElizabethDenham"]
    assert leaders(kg, "ICO", "2021-11-30") == ["ElizabethDenham"]
    assert leaders(kg, "ICO", "2021-12-15") == []  # between terms: deputies held the duties
    assert leaders(kg, "ICO", "2022-01-03") == ["JohnEdwards"]
    today = dt.date.today().isoformat()
    assert leaders(kg, "ICO", today) == ["JohnEdwards"]


def test_cq_t26_national_data_guardian_then_and_now(kg) -> None:
    """O14, G20: Dame Fiona Caldicott was the National Data Guardian (from November 2014) until February
    2021; Dr Nicola Byrne was appointed in March 2021."""
    assert leaders(kg, "NationalDataGuardian", "2016") == ["FionaCaldicott"]
    assert leaders(kg, "NationalDataGuardian", "2021-02-28") == ["FionaCaldicott"]
    assert leaders(kg, "NationalDataGuardian", "2021-04-01") == ["NicolaByrne"]


def test_cq_t27_commons_science_committee_chair(kg) -> None:
    """O30: Greg Clark chaired the Commons Science, Innovation and Technology Committee in 2023; Chi
    Onwurah took over on 11 September 2024."""
    assert leaders(kg, "CommonsSITCommittee", "2023-08-31") == ["GregClark"]
    assert leaders(kg, "CommonsSITCommittee", "2024-09-10") == ["GregClark"]
    assert leaders(kg, "CommonsSITCommittee", "2024-09-11") == ["ChiOnwurah"]


def test_cq_t28_aomrc_chair_then_and_now(kg) -> None:
    """O38, G06: Carrie MacEwen chaired the Academy of Medical Royal Colleges when it published its AI
    report (January 2019); the Academy's own pages now name Jeanette Dickson."""
    assert leaders(kg, "AoMRC", "2019-01-28") == ["CarrieMacEwen"]
    assert leaders(kg, "AoMRC", "2026-06-01") == ["JeanetteDickson"]


def test_cq_t29_the_nhs_ai_lab_its_head_and_its_parent_bodies(kg) -> None:
    """O04, X52: Indra Joshi led the NHS AI Lab at NHSX from 2019 to March 2022; the Lab sat in NHSX,
    then (from 2022) in NHS England's Transformation Directorate."""
    assert leaders(kg, "NHSAILab", "2020-06-01") == ["IndraJoshi"]
    assert leaders(kg, "NHSAILab", "2022-03-31") == ["IndraJoshi"]
    assert leaders(kg, "NHSAILab", "2022-04-01") == []  # no later head is recorded, so none is claimed
    assert "NHSX" in parents(kg, "NHSAILab", "2020-06-01")
    later = parents(kg, "NHSAILab", "2023-06-01")
    assert "NHSETransformationDirectorate" in later and "NHSX" not in later


# ------------------------------------------------------------------------------------- funding


def test_cq_t30_nhs_ai_lab_budget_cut_to_139m(kg) -> None:
    """S07, S07b, L16: GBP 250m announced 8 August 2019; cut to GBP 139m, reported 3 June 2024."""
    announced = kg.changes("2019-08-08", "2019-08-08")
    assert any(r["entity"] == K + "FundingNHSAILab2019" and r["change"] == "funding announced" for r in announced)
    revised = [r for r in kg.changes("2024-06", "2024-06") if r["change"] == "funding revised"]
    assert len(revised) == 1 and revised[0]["entity"] == K + "FundingNHSAILab2024"
    assert "GBP 139,000,000" in revised[0]["detail"] and revised[0]["source"] == SOURCE_NS + "digitalhealth-p-190419"


def test_cq_t31_ai_airlock_phases_and_funding(kg) -> None:
    """L15, S19, X48: AI Airlock launched 9 May 2024; the pilot ran to April 2025; phase 2 from 23 June
    2025 with GBP 1m; GBP 3.6m for 2026-2029 (reported April 2026)."""
    rows = [(r["date"], r["label"], r["change"]) for r in kg.timeline("AI Airlock") if r["date"]]
    assert ("2024-05-09", "AI Airlock", "launched") in rows
    assert ("2025-04", "AI Airlock pilot phase", "ended") in rows
    assert ("2025-06-23", "AI Airlock phase 2", "launched") in rows
    assert [r[2] for r in rows if r[0] in ("2025-06-23", "2026-04") and r[2].startswith("funding")] == \
        ["funding announced", "funding announced"]
    assert [r[0] for r in rows] == sorted((r[0] for r in rows), key=time.key)


# ------------------------------------------------------------------------------------- today


def test_cq_t32_today_is_the_date_computed_now(kg) -> None:
    """The one case that depends on today: `today` is today's date, computed here explicitly."""
    today = dt.date.today().isoformat()
    assert kg.as_of("today") == kg.as_of(today)
    assert kg.changes(None, "today") == kg.changes(None, today)
