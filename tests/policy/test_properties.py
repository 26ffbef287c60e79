"""Properties of the engine under the shipped packs: more foreign control, more persons or a
debarment never make an outcome more permissive."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hgr.policy import OUTCOMES, evaluate, load_packs
from tests.policy.scenarios import BASE, facts, merged, request

PACKS = load_packs()
COUNTRIES = ["CN", "US", "GB", "DE", "SG", "HK", "RU", "JP"]
CATEGORIES = [
    "whole_genome",
    "whole_exome",
    "genotype_array",
    "biological_samples",
    "transcriptomics",
    "proteomics",
    "medical_records",
    "imaging",
]

organisations = st.fixed_dictionaries(
    {
        "name": st.just("Org"),
        "country": st.sampled_from(COUNTRIES),
        "not_for_profit": st.booleans(),
        "foreign_equity_pct": st.sampled_from([0, 10, 49, 50, 90]),
        "concern_ownership_pct": st.sampled_from([0, 25, 50, 100]),
    }
)
requests = st.fixed_dictionaries(
    {
        "action": st.sampled_from(
            ["collect", "preserve", "use", "provide", "open_use", "export_material"]
        ),
        "provider": organisations,
        "requester": organisations,
        "domestic_partner": st.one_of(st.none(), organisations),
        "data": st.fixed_dictionaries(
            {
                "categories": st.lists(
                    st.sampled_from(CATEGORIES), min_size=1, max_size=3, unique=True
                ),
                "persons": st.integers(0, 20_000),
                "donors_from": st.lists(
                    st.sampled_from(COUNTRIES), min_size=1, max_size=2, unique=True
                ),
            }
        ),
        "destination_country": st.sampled_from(COUNTRIES),
        "access_mode": st.sampled_from(["download", "secure_environment", "aggregate"]),
        "transaction": st.sampled_from(["research_collaboration", "data_brokerage", "vendor"]),
        "gdpr_basis": st.sampled_from(["none", "explicit_consent"]),
        "transfer_basis": st.sampled_from(["none", "safeguards"]),
        "nih_controlled_access": st.booleans(),
    }
)
known = st.fixed_dictionaries(
    {
        "important_pedigree": st.booleans(),
        "specific_region": st.booleans(),
        "debarment": st.sampled_from(["none", "discretionary", "mandatory"]),
        "prior_us_persons_12m": st.integers(0, 2_000),
    }
)


def _rank(changes: dict[str, Any], node: dict[str, Any]) -> int:
    return OUTCOMES.index(evaluate(request(changes), facts(**node), PACKS).outcome)


@settings(max_examples=300, deadline=None)
@given(
    requests,
    known,
    st.sampled_from(["provider", "requester", "domestic_partner"]),
    st.sampled_from(["foreign_equity_pct", "foreign_voting_pct", "control_by_agreement"]),
)
def test_adding_a_foreign_control_fact_is_never_more_permissive(
    changes: dict[str, Any], node: dict[str, Any], party: str, control: str
) -> None:
    if changes.get(party) is None:
        return
    controlled = merged(
        changes, {party: {control: True if control == "control_by_agreement" else 100}}
    )
    assert _rank(controlled, node) >= _rank(changes, node)


@settings(max_examples=300, deadline=None)
@given(requests, known, st.integers(1, 100_000))
def test_more_persons_is_never_more_permissive(
    changes: dict[str, Any], node: dict[str, Any], more: int
) -> None:
    grown = merged(changes, {"data": {"persons": changes["data"]["persons"] + more}})
    assert _rank(grown, node) >= _rank(changes, node)


@settings(max_examples=300, deadline=None)
@given(requests, known)
def test_a_debarred_organisation_is_never_allowed(
    changes: dict[str, Any], node: dict[str, Any]
) -> None:
    assert _rank(changes, node | {"debarment": "mandatory"}) == OUTCOMES.index("prohibited")
    assert _rank(changes, node | {"debarment": "discretionary"}) >= OUTCOMES.index("approval")


def test_the_bulk_count_adds_the_last_twelve_months() -> None:
    us = merged(
        BASE,
        {
            "provider": {"country": "US"},
            "requester": {"name": "X", "country": "CN"},
            "data": {"categories": ["whole_genome"], "persons": 60, "donors_from": ["US"]},
            "destination_country": "CN",
            "action": "provide",
        },
    )
    assert evaluate(request(us), facts(), PACKS).outcome != "prohibited"
    # Split into small transfers to the same counterparty, it is still bulk (202.205).
    assert evaluate(request(us), facts(prior_us_persons_12m=41), PACKS).outcome == "prohibited"
