"""A scenario for every shipped rule: the request that makes it fire, with its citation."""

from __future__ import annotations

from typing import Any

import pytest

from hgr.policy import OUTCOMES, evaluate, load_packs
from hgr.policy.packs import rule_ids
from tests.policy.scenarios import EU_BASE, FOREIGN, PARTNER, UK_BASE, US_BASE, facts, request

PROVIDE_ABROAD = {
    "action": "provide",
    "requester": FOREIGN,
    "destination_country": "GB",
    "domestic_partner": PARTNER,
    "gdpr_basis": "research_safeguards",
}
COOPERATION = {"requester": FOREIGN, "domestic_partner": PARTNER}
CONCERN = {"name": "Example Genomics Co.", "country": "CN"}
FOREIGN_HELD = {"name": "Example Foreign-held Lab", "country": "CN", "foreign_equity_pct": 60}

# rule id: (changes to the base request, node facts)
SCENARIOS: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {
    "CN-15": ([{"data": {"categories": ["medical_records", "imaging"]}}], {}),
    "CN-21": ([], {"cn_ban": True}),
    "CN-01": ([{"action": "collect", "requester": FOREIGN}], {}),
    "CN-02": ([{"action": "provide", "destination_country": "US", "provider": FOREIGN_HELD}], {}),
    "CN-03": ([{"requester": FOREIGN}], {}),
    "CN-04": ([{"sale": True}], {}),
    "CN-19": ([{"action": "provide", "data": {"state_secret": True}}], {}),
    "CN-16": ([{"ethics_approved": False}], {}),
    "CN-17": ([{"written_consent": False}], {}),
    "CN-18": ([{"meets_technical_specifications": False}], {}),
    "CN-05": ([{"action": "collect"}], {"important_pedigree": True}),
    "CN-06": ([{"action": "preserve", "purpose": {"research_platform": True}}], {}),
    "CN-07": ([COOPERATION], {}),
    "CN-08": ([COOPERATION, {"purpose": {"clinical_trial_for_marketing": True}}], {}),
    "CN-09": ([{"changes_approved_cooperation": True}], {}),
    "CN-10": ([COOPERATION], {}),
    "CN-11": ([{"action": "export_material", "data": {"categories": ["biological_samples"]}}], {}),
    "CN-14": ([{"within_approved_cooperation": True}], {}),
    "CN-12": ([PROVIDE_ABROAD], {}),
    "CN-13": ([PROVIDE_ABROAD, {"data": {"categories": ["whole_genome"], "persons": 501}}], {}),
    "US-D14": ([US_BASE, {"usg_funded": True}], {}),
    "US-D15": ([US_BASE, {"regulatory_approval_data": True}], {}),
    "US-D08": (
        [US_BASE, {"action": "provide", "requester": CONCERN, "destination_country": "CN"}],
        {"prior_us_persons_12m": 60},
    ),
    "US-D10": ([US_BASE, {"transaction": "data_brokerage", "requester": FOREIGN}], {}),
    "US-D11": (
        [
            US_BASE,
            {
                "transaction": "vendor",
                "requester": CONCERN,
                "data": {"categories": ["medical_records"], "persons": 20000},
            },
        ],
        {},
    ),
    "US-N01": ([US_BASE, {"nih_controlled_access": True}], {"nist_800_171_attested": True}),
    "US-N02": ([US_BASE, {"nih_controlled_access": True}], {}),
    "US-N03": ([US_BASE, {"nih_controlled_access": True, "requester": CONCERN}], {}),
    "US-N05": (
        [
            US_BASE,
            {
                "nih_funded": True,
                "requester": CONCERN,
                "data": {"categories": ["biological_samples"]},
            },
        ],
        {},
    ),
    "UK-DP01-C": ([UK_BASE], {}),
    "UK-DP01-J": ([UK_BASE], {}),
    "UK-DP01": ([UK_BASE, {"gdpr_basis": "none"}], {}),
    "UK-DP03": ([UK_BASE, {"access_mode": "download", "destination_country": "SG"}], {}),
    "UK-DP03-S": (
        [
            UK_BASE,
            {
                "access_mode": "download",
                "destination_country": "SG",
                "transfer_basis": "safeguards",
            },
        ],
        {},
    ),
    "UK-G01": ([UK_BASE, {"access_mode": "download"}], {}),
    "EU-G01": ([EU_BASE], {}),
    "EU-G03-J": ([EU_BASE, {"gdpr_basis": "research_safeguards"}], {}),
    "EU-G03-A": ([EU_BASE], {}),
    "EU-G03-I": ([EU_BASE, {"gdpr_basis": "public_health"}], {}),
    "EU-G03-H": ([EU_BASE, {"gdpr_basis": "healthcare"}], {}),
    "EU-G02": ([EU_BASE, {"gdpr_basis": "none"}], {}),
    "EU-G05": ([EU_BASE, {"destination_country": "SG"}], {}),
    "EU-G05-S": ([EU_BASE, {"destination_country": "SG", "transfer_basis": "safeguards"}], {}),
    "EU-G06": ([EU_BASE, {"data": {"persons": 1000}}], {}),
    "DEB-M": ([], {"debarment": "mandatory"}),
    "DEB-D": ([], {"debarment": "discretionary"}),
    "DEB-N": ([], {"debarment_near_miss": True}),
}

PACKS = load_packs()
RULES = {r.id: (p, r) for p in PACKS for r in (*p.exemptions, *p.rules)}


def test_every_shipped_rule_has_a_scenario() -> None:
    assert sorted(SCENARIOS) == sorted(rule_ids(PACKS))


def test_the_base_request_is_allowed_with_nothing_fired() -> None:
    decision = evaluate(request(), facts(), PACKS)
    assert decision.outcome == "allow"
    assert decision.fired == []
    applied = {p.pack for p in decision.packs if p.applied}
    assert applied == {"cn-hgr", "debarment"}


@pytest.mark.parametrize("rule_id", sorted(SCENARIOS))
def test_the_rule_fires_in_its_scenario(rule_id: str) -> None:
    changes, known = SCENARIOS[rule_id]
    pack, rule = RULES[rule_id]
    decision = evaluate(request(*changes), facts(**known), PACKS)
    if rule in pack.exemptions:
        assert rule_id in [f.rule.id for f in decision.exempted]
        assert not next(p for p in decision.packs if p.pack == pack.id).applied
        return
    fired = {f.rule.id: f for f in decision.fired}
    assert rule_id in fired, decision.as_dict()
    assert fired[rule_id].rule.citation
    assert OUTCOMES.index(decision.outcome) >= OUTCOMES.index(rule.outcome)
    shown = decision.as_dict()
    assert any(r["rule"] == rule_id and r["citation"] == rule.citation for r in shown["rules"])


def test_a_foreign_wgs_provision_needs_filing_backup_and_security_review() -> None:
    genomes = {"data": {"categories": ["whole_genome"], "persons": 800}}
    decision = evaluate(request(PROVIDE_ABROAD, genomes), facts(), PACKS)
    assert decision.outcome == "security_review"
    fired = [f.rule.id for f in decision.fired]
    assert {"CN-07", "CN-10", "CN-12", "CN-13"} <= set(fired)
    kinds = {o.kind for _, o in decision.obligations}
    # The security review does not drop the filing and the backup (regulations.md §0.3).
    assert {"filing", "backup", "security_review", "report"} <= kinds
    assert decision.as_dict()["obligations"]


def test_under_the_threshold_the_filing_alone_is_needed() -> None:
    genomes = {"data": {"categories": ["whole_genome"], "persons": 500}}
    decision = evaluate(request(PROVIDE_ABROAD, genomes), facts(), PACKS)
    assert "CN-13" not in [f.rule.id for f in decision.fired]
    assert decision.outcome == "approval"  # the cooperation itself (CN-07)


def test_a_protected_catalogue_entry_triggers_the_security_review() -> None:
    asked = request(PROVIDE_ABROAD)
    assert evaluate(asked, facts(), PACKS).outcome == "approval"
    assert evaluate(asked, facts(specific_region=True), PACKS).outcome == "security_review"


def test_a_recipient_in_the_uk_or_the_eea_brings_its_data_protection_law() -> None:
    # GDPR and UK GDPR Art. 3(1): the recipient's processing is governed where it is established.
    to_uk = request(PROVIDE_ABROAD, {"gdpr_basis": "none"})
    decision = evaluate(to_uk, facts(), PACKS)
    assert "UK-DP01" in [f.rule.id for f in decision.fired]
    assert decision.outcome == "prohibited"
    german = {"name": "Example Universität", "country": "DE"}
    to_de = request(PROVIDE_ABROAD, {"requester": german, "destination_country": "DE"})
    decision = evaluate(to_de, facts(), PACKS)
    assert {p.pack for p in decision.packs if p.applied} == {"cn-hgr", "eu-gdpr", "debarment"}
    # The transfer rules are the data's source's: Chinese data to Germany is no EEA export.
    assert not {"EU-G05", "EU-G05-S"} & {f.rule.id for f in decision.fired}


def test_an_eu_transfer_of_genetic_data_is_flagged_special_category_with_its_condition() -> None:
    # GDPR Art. 9(1): recording the Art. 46 safeguards of the transfer is not enough; the data
    # is special-category, and research use names its Art. 9(2)(j) condition and the
    # Art. 89(1) safeguards, each obligation with its citation.
    transfer = {
        "destination_country": "SG",
        "transfer_basis": "safeguards",
        "gdpr_basis": "research_safeguards",
    }
    decision = evaluate(request(EU_BASE, transfer), facts(), PACKS)
    obligations = {o["kind"]: o for o in decision.as_dict()["obligations"]}
    assert {"transfer_basis", "special_category", "research_safeguards"} <= set(obligations)
    assert "Art. 9(1)" in obligations["special_category"]["citation"]
    assert obligations["research_safeguards"]["citation"] == "GDPR Art. 9(2)(j); Art. 89(1)"
    assert decision.outcome == "approval"  # the transfer's own approval (EU-G05-S) stands


def test_the_uk_pack_flags_genomic_data_special_category_and_names_the_research_condition() -> None:
    decision = evaluate(request(UK_BASE), facts(), PACKS)
    kinds = {o["kind"]: o["citation"] for o in decision.as_dict()["obligations"]}
    assert "Art. 9(1)" in kinds["special_category"]
    assert "Art. 9(2)(j)" in kinds["research_safeguards"]
    # Data that is not genetic brings no special-category flag from these rules.
    survey = evaluate(request(UK_BASE, {"data": {"categories": ["survey_data"]}}), facts(), PACKS)
    assert "special_category" not in {o["kind"] for o in survey.as_dict()["obligations"]}
