"""Competency questions: what a policy analyst asks, answered in SPARQL from the built-in graph.

Each expected answer comes from FACTS.md (section 11 lists most of these questions) or the seed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from aihkg.graph import DATA_NS
from aihkg.queries.api import to_python


def ask(kg, text: str) -> list[tuple]:
    """Rows of a hand-written query as plain values; IRIs of our individuals shortened to their local name."""
    result = kg.sparql(text)
    if result.kind == "ask":
        return [(result.boolean,)]
    out = []
    for row in result.rows:
        values = []
        for value in map(to_python, row):
            if isinstance(value, str) and value.startswith(DATA_NS):
                value = value[len(DATA_NS):]
            values.append(value)
        out.append(tuple(values))
    return out


def column(rows: list[tuple], i: int = 0) -> set:
    return {r[i] for r in rows}


def test_cq01_which_uses_does_the_postnote_describe(kg) -> None:
    rows = ask(kg, """SELECT ?u WHERE { ?u a aihkg:AIUse ;
        aihkg:describedBy ?s . FILTER (?s IN (src:postnote-637, src:covington-postnote-summary)) }""")
    assert {"ClinicalDecisionSupport", "PatientMonitoring", "AdministrativeAutomation",
            "MedicalImageInterpretation", "TreatmentPlanning", "PatientFacingTools"} <= column(rows)


def test_cq02_which_challenges_does_the_postnote_name(kg) -> None:
    rows = ask(kg, "SELECT ?c WHERE { kg:AIInHealthcare aihkg:facesChallenge ?c }")
    assert column(rows) == {"PatientSafety", "Privacy", "DataSharing", "Trust", "Accountability",
                            "HealthInequalities", "AlgorithmicBias", "LegalLiability"}


def test_cq03_nhs_ai_lab_money_and_its_cut(kg) -> None:
    rows = ask(kg, """SELECT ?amount ?year ?funder ?revised WHERE {
        ?f aihkg:fundingRecipient kg:NHSAILab ; aihkg:amount ?amount ; aihkg:fundingYear ?year ; aihkg:funder ?funder .
        OPTIONAL { ?f aihkg:revises ?revised } } ORDER BY ?year""")
    assert rows[0][:3] == (Decimal("250000000"), "2019", "DHSC")
    assert rows[-1][:3] == (Decimal("139000000"), "2024", "DHSC") and rows[-1][3] == "FundingNHSAILab2019"
    announced = ask(kg, "SELECT ?d WHERE { ?e a aihkg:Event ; aihkg:eventDate ?d ; aihkg:involves kg:NHSAILab . "
                        "FILTER (?d = '2019-08-08'^^xsd:date) }")
    assert announced


def test_cq04_where_the_nhs_ai_lab_sits(kg) -> None:
    rows = ask(kg, "SELECT ?p WHERE { kg:NHSAILab aihkg:subOrganisationOf ?p }")
    assert {"NHSX", "NHSETransformationDirectorate"} <= column(rows)
    assert ask(kg, "ASK { kg:NHSX aihkg:mergedInto kg:NHSETransformationDirectorate . "
                   "kg:NHSETransformationDirectorate aihkg:subOrganisationOf kg:NHSEngland }") == [(True,)]


def test_cq05_regulator_and_law_for_ai_as_a_medical_device(kg) -> None:
    rows = ask(kg, "SELECT ?law WHERE { kg:MHRA aihkg:enforces ?law }")
    assert "UKMDR2002" in column(rows)
    rows = ask(kg, "SELECT ?id ?reform WHERE { kg:UKMDR2002 aihkg:officialIdentifier ?id . "
                   "?reform aihkg:citation '2021 c. 3' }")
    assert rows == [("http://www.legislation.gov.uk/uksi/2002/618", "MMDA2021")]


def test_cq06_ico_ruling_on_royal_free_and_deepmind(kg) -> None:
    rows = ask(kg, """SELECT ?date ?law WHERE { ?e a aihkg:Event ; aihkg:eventDate ?date ;
        aihkg:involves kg:ICO, kg:RoyalFree, ?law . ?law a aihkg:Act }""")
    assert (dt.date(2017, 7, 3), "DataProtectionAct1998") in rows


def test_cq07_evidence_framework_and_its_ai_update(kg) -> None:
    rows = ask(kg, "SELECT ?newer ?date WHERE { kg:NICEESF2019 aihkg:replacedBy ?newer . "
                   "?newer aihkg:publicationDate ?date . kg:NICE aihkg:publishes ?newer }")
    assert rows == [("NICEESF2022", "2022-08")]
    assert ask(kg, "ASK { kg:NICEESF2022 aihkg:addressesChallenge kg:AdaptiveAlgorithms, kg:AlgorithmicBias }") \
        == [(True,)]


def test_cq08_ten_principles_of_the_code_of_conduct(kg) -> None:
    rows = ask(kg, "SELECT ?p WHERE { kg:CodeOfConduct2019 aihkg:principle ?p }")
    assert len(rows) == 10
    text = " ".join(r[0].lower() for r in rows)
    assert "open standards" in text and "commercial strategy" in text
    assert ask(kg, "SELECT ?f WHERE { kg:CodeOfConduct2019 aihkg:legalForce ?f }") == \
        [("https://w3id.org/aihkg/ontology#NonBinding",)]


def test_cq09_public_money_for_imaging_and_pathology_centres(kg) -> None:
    rows = ask(kg, """SELECT ?year ?amount ?funder WHERE { ?f aihkg:amount ?amount ; aihkg:fundingYear ?year ;
        aihkg:funder ?funder ; aihkg:fundingRecipient ?r .
        FILTER (?f IN (kg:FundingAICentres2018, kg:FundingAICentres2020)) }""")
    assert {(y, a) for y, a, _ in rows} == {("2018", Decimal("50000000")), ("2020", Decimal("50000000"))}
    centres = ask(kg, "SELECT ?c WHERE { ?c aihkg:participatesIn kg:AICentresOfExcellence }")
    assert {"NPIC", "PathLAKE", "LondonAICentre", "NCIMI", "iCAIRD"} <= column(centres)


def test_cq10_what_addresses_algorithmic_bias(kg) -> None:
    rows = ask(kg, "SELECT ?x WHERE { ?x aihkg:addressesChallenge kg:AlgorithmicBias }")
    assert {"AoMRCAIReport", "CodeOfConduct2019", "NICEESF2022", "AIEthicsInitiative", "STANDINGTogether",
            "AlgorithmicImpactAssessment", "EquityInMedicalDevicesReview"} <= column(rows)


def test_cq11_uk_and_eu_approaches_differ(kg) -> None:
    uk = ask(kg, "SELECT ?date ?by WHERE { kg:AIRegulationWhitePaper aihkg:publicationDate ?date . "
                 "?by aihkg:publishes kg:AIRegulationWhitePaper }")
    assert uk == [(dt.date(2023, 3, 29), "DSIT")]
    eu = ask(kg, "SELECT ?j WHERE { kg:EUAIAct aihkg:hasJurisdiction ?j }")
    assert column(eu) == {"EuropeanUnion", "NorthernIreland"}
    assert "GreatBritain" not in column(eu)


def test_cq12_when_eu_ai_act_high_risk_rules_apply_and_the_omnibus(kg) -> None:
    # The Act's stages are its provisions, each applying on a date of its own (ELI subdivisions).
    stages = ask(kg, "SELECT ?d WHERE { ?stage aihkg:provisionOf kg:EUAIAct ; aihkg:appliesFrom ?d }")
    assert dt.date(2027, 8, 2) in column(stages)
    delayed = ask(kg, "SELECT ?d WHERE { kg:EUAIActProductHighRisk aihkg:delayProposedBy kg:DigitalOmnibusAI ; "
                      "aihkg:proposedAppliesFrom ?d }")
    assert delayed == [("2028-08",)]
    rows = ask(kg, "SELECT ?status ?date WHERE { kg:DigitalOmnibusAI aihkg:hasStatus ?status ; "
                   "aihkg:proposedDate ?date }")
    assert rows == [("https://w3id.org/aihkg/ontology#Proposed", dt.date(2025, 11, 19))]


def test_cq13_the_mhra_ai_airlock(kg) -> None:
    assert ask(kg, "SELECT ?d ?by WHERE { kg:AIAirlock aihkg:foundedDate ?d ; aihkg:runBy ?by }") == \
        [(dt.date(2024, 5, 9), "MHRA")]
    money = ask(kg, "SELECT ?a ?y WHERE { ?f aihkg:fundingRecipient kg:AIAirlock ; aihkg:amount ?a ; "
                    "aihkg:fundingYear ?y }")
    assert set(money) == {(Decimal("1000000"), "2025"), (Decimal("3600000"), "2026")}


def test_cq14_bodies_of_the_ai_and_digital_regulations_service(kg) -> None:
    rows = ask(kg, "SELECT ?o WHERE { ?o aihkg:participatesIn kg:AIDRS }")
    assert column(rows) == {"NICE", "MHRA", "CQC", "HRA"}
    funded = ask(kg, "SELECT ?by WHERE { ?f aihkg:fundingRecipient kg:AIDRS ; aihkg:funder ?by }")
    assert "NHSAILab" in column(funded)
    assert ask(kg, "ASK { kg:AIDRS aihkg:addressesChallenge kg:RegulatoryComplexity }") == [(True,)]


def test_cq15_topol_review_on_the_workforce(kg) -> None:
    rows = ask(kg, "SELECT ?d ?by WHERE { kg:TopolReview aihkg:publicationDate ?d . "
                   "?by aihkg:publishes kg:TopolReview }")
    assert rows == [(dt.date(2019, 2, 11), "HEE")]
    assert ask(kg, "ASK { kg:TopolReview aihkg:addressesChallenge kg:WorkforceDigitalSkills }") == [(True,)]
    ninety = ask(kg, "SELECT ?v WHERE { ?s aihkg:statisticAbout ?x ; aihkg:value ?v ; aihkg:measures ?m . "
                     "FILTER (CONTAINS(LCASE(?m), 'digital skills')) }")
    assert (Decimal("90"),) in ninety


def test_cq16_nccid_and_who_set_it_up(kg) -> None:
    rows = ask(kg, "SELECT ?o WHERE { kg:NCCID aihkg:establishedBy ?o }")
    assert column(rows) == {"NHSX", "BSTI", "RoyalSurrey", "Faculty"}
    assert ask(kg, "ASK { kg:NCCID aihkg:partOfProgramme kg:AIInImagingProgramme }") == [(True,)]


def test_cq17_section_251_and_the_national_data_opt_out(kg) -> None:
    assert ask(kg, "SELECT ?act WHERE { kg:COPIRegulations2002 aihkg:madeUnder ?act }") == [("NHSAct2006",)]
    assert ask(kg, "SELECT ?d WHERE { kg:NationalDataOptOut aihkg:publicationDate ?d }") == [(dt.date(2018, 5, 25),)]
    assert ask(kg, "ASK { kg:NationalDataOptOut aihkg:addressesChallenge kg:Trust, kg:Privacy }") == [(True,)]


def test_cq18_what_happened_to_nhsx_nhs_digital_and_hee(kg) -> None:
    rows = ask(kg, "SELECT ?o ?into ?d WHERE { ?o aihkg:mergedInto ?into . OPTIONAL { ?o aihkg:dissolvedDate ?d } }")
    merged = {r[0]: (r[1], r[2]) for r in rows}
    assert merged["NHSDigital"] == ("NHSEngland", dt.date(2023, 2, 1))
    assert merged["HEE"] == ("NHSEngland", dt.date(2023, 4, 1))
    assert merged["NHSX"][0] == "NHSETransformationDirectorate"
    announced = ask(kg, "SELECT ?d WHERE { ?e aihkg:involves kg:NHSX, kg:NHSDigital ; aihkg:eventDate ?d }")
    assert (dt.date(2021, 11, 22),) in announced


def test_cq19_the_ai_in_health_and_care_award(kg) -> None:
    rows = ask(kg, "SELECT ?a ?y WHERE { ?f aihkg:fundingRecipient kg:AIAward ; aihkg:amount ?a ; "
                   "aihkg:fundingYear ?y }")
    assert set(rows) == {(Decimal("140000000"), "2020"), (Decimal("113000000"), "2023")}
    assert ask(kg, "SELECT ?by WHERE { kg:AIAward aihkg:runBy ?by }") == [("AAC",)]
    winners = column(ask(kg, "SELECT ?x WHERE { kg:AIAward aihkg:awardedTo ?x }"))
    assert {"KheironMia", "DERM", "BrainomixStrokeAI"} <= winners
    assert (Decimal("86"),) in ask(kg, "SELECT ?v WHERE { ?s aihkg:statisticAbout kg:AIAward ; aihkg:value ?v }")


def test_cq20_data_use_and_access_act(kg) -> None:
    rows = ask(kg, "SELECT ?d ?id WHERE { kg:DUAA2025 aihkg:royalAssentDate ?d ; aihkg:officialIdentifier ?id }")
    assert rows == [(dt.date(2025, 6, 19), "http://www.legislation.gov.uk/ukpga/2025/18")]
    amended = column(ask(kg, "SELECT ?x WHERE { kg:DUAA2025 aihkg:amends ?x }"))
    assert {"UKGDPR", "HSCA2012", "DataProtectionAct2018"} <= amended


def test_cq21_liability_for_ai_assisted_decisions(kg) -> None:
    rows = ask(kg, "SELECT ?r WHERE { ?r aihkg:addressesChallenge kg:LiabilitySink ; "
                   "a/rdfs:subClassOf* aihkg:Regulation }")
    assert "ConsumerProtectionAct1987" not in column(rows)  # it fails to clearly address it (X25)
    uses = column(ask(kg, "SELECT ?u WHERE { ?u aihkg:facesChallenge kg:LiabilitySink }"))
    assert {"AmbientVoiceTechnology", "ClinicalDecisionSupport"} <= uses
    gaps = column(ask(kg, """SELECT ?c WHERE { ?c a aihkg:Challenge . FILTER NOT EXISTS {
        ?r aihkg:addressesChallenge ?c ; a/rdfs:subClassOf* aihkg:Regulation } }"""))
    assert "LegalLiability" in gaps


def test_cq22_public_and_staff_support_in_2024(kg) -> None:
    rows = ask(kg, """SELECT ?v ?m WHERE { ?s a aihkg:Statistic ; aihkg:value ?v ; aihkg:measures ?m ;
        aihkg:referenceYear "2024"^^xsd:gYear . FILTER (CONTAINS(LCASE(?m), "support")) }""")
    values = {v for v, _ in rows}
    assert {Decimal("54"), Decimal("76"), Decimal("61"), Decimal("81")} <= values


def test_cq23_products_in_breast_screening_and_skin_cancer_triage(kg) -> None:
    rows = ask(kg, """SELECT ?s ?class ?dev WHERE { ?s aihkg:exemplifies ?u ; aihkg:developedBy ?dev ;
        aihkg:deviceClass ?class . FILTER (?u IN (kg:BreastScreeningReading, kg:SkinLesionTriage)) }""")
    assert ("DERM", "UKCA Class IIa", "SkinAnalytics") in rows
    assert any(s == "KheironMia" and dev == "Kheiron" for s, _, dev in rows)
    assert {"UKMDR2002", "NICESkinLesionEVA"} <= column(ask(kg, "SELECT ?r WHERE { kg:DERM aihkg:regulatedUnder ?r }"))


def test_cq24_the_2030_chronic_disease_ambition(kg) -> None:
    assert ask(kg, "SELECT ?d ?by WHERE { kg:IndustrialStrategy2017 aihkg:publicationDate ?d . "
                   "?by aihkg:publishes kg:IndustrialStrategy2017 }") == [(dt.date(2017, 11, 27), "BEIS")]
    assert ask(kg, "SELECT ?who ?d WHERE { kg:AIDataGrandChallengeMission aihkg:announcedBy ?who ; "
                   "aihkg:publicationDate ?d }") == [("TheresaMay", dt.date(2018, 5, 21))]


def test_cq25_who_is_developing_the_next_framework(kg) -> None:
    rows = ask(kg, "SELECT ?d ?by ?chair WHERE { kg:NationalCommissionAIHealthcare aihkg:foundedDate ?d ; "
                   "aihkg:establishedBy ?by . ?term aihkg:organisation kg:NationalCommissionAIHealthcare ; "
                   "aihkg:role aihkg:LeaderRole ; aihkg:member ?chair }")
    assert rows == [(dt.date(2025, 9, 26), "MHRA", "AlastairDenniston")]


def test_cq26_what_rules_apply_in_england_via_the_query_layer(kg) -> None:
    rows = kg.rows("regulations_by_jurisdiction", jurisdiction="England", status="in force", on="2026-06-01")
    names = {r["regulation"][len(DATA_NS):] for r in rows}
    assert {"DataProtectionAct2018", "UKMDR2002", "MMDA2021", "RegulatedActivitiesRegs2014"} <= names
    assert "EUAIAct" not in names and "DataProtectionAct1998" not in names


def test_cq27_who_enforces_data_protection_law(kg) -> None:
    enforcers = column(ask(kg, "SELECT ?o WHERE { ?o aihkg:enforces kg:DataProtectionAct2018 }"))
    assert enforcers == {"ICO"}


def test_cq28_devolution_shows_in_welsh_guidance(kg) -> None:
    rows = ask(kg, "SELECT ?r WHERE { ?r aihkg:hasJurisdiction kg:Wales ; a/rdfs:subClassOf* aihkg:Regulation }")
    assert "WelshAIScribesCircular" in column(rows)
    assert ask(kg, "ASK { kg:WelshAIScribesCircular aihkg:appliesToUse kg:AmbientVoiceTechnology }") == [(True,)]


def test_cq29_every_fact_traces_to_a_source_with_a_url(kg) -> None:
    rows = ask(kg, """SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a/rdfs:subClassOf* aihkg:AIUse .
        FILTER NOT EXISTS { ?x aihkg:describedBy/aihkg:url ?u } }""")
    assert rows == [(0,)]


@pytest.mark.parametrize("name", ["challenges_by_use_count", "funding_by_funder", "regulatory_timeline"])
def test_cq30_canned_answers_agree_with_hand_written_sparql(kg, name: str) -> None:
    rows = kg.rows(name)
    assert rows
    if name == "funding_by_funder":
        dhsc = next(r for r in rows if r["funders"] == "Department of Health and Social Care")
        # DHSC alone: its allocations that are not revisions or sub-allocations, each at its latest amount
        by_hand = ask(kg, """SELECT (SUM(COALESCE(?cut, ?a)) AS ?t) WHERE { ?f aihkg:funder kg:DHSC ; aihkg:amount ?a .
            FILTER NOT EXISTS { ?f aihkg:funder ?other FILTER (?other != kg:DHSC) }
            FILTER NOT EXISTS { ?f aihkg:revises ?e } FILTER NOT EXISTS { ?f aihkg:partOfAllocation ?p }
            OPTIONAL { ?g aihkg:revises ?f ; aihkg:amount ?cut } }""")
        assert dhsc["total"] == by_hand[0][0]
    if name == "regulatory_timeline":
        assert all(str(r["date"])[:4] >= "2021" for r in rows)
