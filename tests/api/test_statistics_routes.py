"""``POST /statistics/frequencies``: differentially private allele frequencies for approved
collaborators, with the budget, the slice threshold, decide-once and refusals audited."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hgr.access.models import RequestRecord
from hgr.audit import record
from hgr.audit.models import AuditEvent
from hgr.beacon.frequencies import SLICE_RHO
from hgr.dates import utc_now
from hgr.genotypes.models import GenotypeSample
from hgr.privacy.exposure import datasets, set_exposure
from hgr.privacy.models import BeaconFrequencyRelease, BeaconFrequencySlice, PrivacySpent
from hgr.privacy.noise import rho_for
from hgr.registry.models import Sample
from tests.api.beacon_node import ADMIN
from tests.api.conftest import Api

PATH = "/statistics/frequencies"


def dataset_id(api: Api) -> str:
    with api.db.reader() as session:
        return next(d.id for d in datasets(session, Path(".")) if d.store is not None)


def approve(api: Api, user: str, institution: str) -> None:
    """An active access request of ``user`` covering ``institution`` (as governed access
    leaves it once approved)."""
    now = utc_now()
    with api.db.transaction() as session:
        session.add(
            RequestRecord(
                number=f"AR-TEST-{user}",
                requester=user,
                status="active",
                body={"cohort": {"institution": institution}},
                outcome="allow",
                reviews_needed=[],
                active_from=now.date(),
                expires_on=now.date() + dt.timedelta(days=30),
                note="",
                created_at=now,
                updated_at=now,
            )
        )
        # As governed access does: an audit event, so that no cached read keeps the old grants.
        number = f"access/requests/AR-TEST-{user}"
        record(session, ADMIN, "access.request.activate", number, grounds="test grant")


def common_variants(api: Api, n: int) -> list[tuple[str, float]]:
    """The ``n`` most common variants of the store as CONTIG-POS-REF-ALT, with their
    frequency over the whole store, read by the steward through Beacon records."""
    answer = api.get(
        "steward",
        "/api/g_variants",
        referenceName="1",
        start="0",
        end="300000000",
        requestedGranularity="record",
        limit=100,
    ).json()
    records = answer["response"]["resultSets"][0]["results"]
    out = []
    for r in records:
        v, info = r["variation"], r["variantLevelData"]["info"]
        pos = v["location"]["interval"]["start"]["value"] + 1
        out.append(
            (
                f"1-{pos}-{v['referenceBases']}-{v['alternateBases']}",
                info["alleleCount"] / info["alleleNumber"],
            )
        )
    return sorted(out, key=lambda x: -x[1])[:n]


ASKED = 6  # the variants the first test asks for
SD = 0.1  # noise on a frequency: the test store is too small for the default 0.01


def store_donors(api: Api) -> int:
    """The true number of genotyped donors of the test store (the "all" slice)."""
    with api.db.reader() as session:
        return len(
            set(
                session.scalars(
                    select(Sample.donor_id).join(
                        GenotypeSample, GenotypeSample.sample_id == Sample.id
                    )
                )
            )
        )


@pytest.fixture
def stats_api(beacon_api: Api) -> Api:
    """The beacon node with the foreign user approved and a budget that pays for the tests'
    questions whatever noise the slice's size draws.

    The size is released with discrete Gaussian noise of sigma 5 donors (SLICE_RHO), which
    cannot be seeded. The threshold is set half-way between the empty slice and the store's
    true size (65 donors: more than six sigma from either), and each holder's budget pays for
    sizing the slice and for ASKED variants over a slice as small as the threshold admits: so
    every slice the node admits affords the question by construction, not by a margin.
    """
    name = dataset_id(beacon_api)
    approve(beacon_api, "foreign", name.split(":")[0])
    true_size = store_donors(beacon_api)
    threshold = true_size // 2
    sigma = 1 / math.sqrt(2 * SLICE_RHO)
    assert threshold >= 6 * sigma, f"the test store has too few donors ({true_size})"
    budget = SLICE_RHO + rho_for(ASKED, threshold, SD)
    with beacon_api.db.transaction() as session:
        set_exposure(
            session,
            ADMIN,
            name,
            utc_now(),
            frequency_sd=SD,
            frequency_min_donors=threshold,
            frequency_rho=budget,
            frequency_rho_per_organisation=budget,
        )
    return beacon_api


def ask(api: Api, user: str | None, **body: Any):  # type: ignore[no-untyped-def]
    return api.post(user, PATH, json=body)


def test_an_approved_foreign_collaborator_gets_frequencies(stats_api: Api) -> None:
    name = dataset_id(stats_api)
    variants = common_variants(stats_api, ASKED)
    answer = ask(stats_api, "foreign", dataset=name, variants=[v for v, _f in variants])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["slice"] == "all"
    assert body["donors"] >= store_donors(stats_api) // 2
    rows = body["frequencies"]
    assert [r["variant"] for r in rows] == [v for v, _f in variants]
    for row, (_v, truth) in zip(rows, variants, strict=True):
        assert row["alleleNumber"] == 2 * body["donors"]
        if not row["suppressed"]:
            # Noise sd 0.1 plus sampling: five standard errors is a generous bound.
            assert abs(row["alleleFrequency"] - truth) < 5 * row["standardError"], row
    assert body["noise"]["frequencyStandardDeviation"] == SD
    privacy = body["privacy"]
    expected = ASKED / (2 * body["donors"] ** 2 * SD**2)
    assert privacy["rho"] == pytest.approx(expected)
    assert privacy["datasetRhoSpentThisYear"] == pytest.approx(expected + SLICE_RHO, abs=1e-6)
    assert 0 < privacy["membershipPowerBoundAt5PercentFpr"] < 1
    with stats_api.db.reader() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "beacon.frequencies")
        ).all()
    assert [e.outcome for e in events] == ["ok"]


def test_a_repeated_question_is_the_same_release_at_no_cost(stats_api: Api) -> None:
    name = dataset_id(stats_api)
    variants = [v for v, _f in common_variants(stats_api, 4)]
    first = ask(stats_api, "foreign", dataset=name, variants=variants).json()
    colons = [v.replace("-", ":") for v in variants]
    again = ask(stats_api, "foreign", dataset=name, variants=colons).json()
    assert again["frequencies"] == first["frequencies"]
    assert again["privacy"]["rho"] == 0
    assert (
        again["privacy"]["datasetRhoSpentThisYear"] == first["privacy"]["datasetRhoSpentThisYear"]
    )
    with stats_api.db.reader() as session:
        assert session.query(BeaconFrequencyRelease).count() == 1
        assert session.query(BeaconFrequencySlice).count() == 1


def test_requesters_without_a_grant_are_refused_and_audited(stats_api: Api) -> None:
    name = dataset_id(stats_api)
    body = {"dataset": name, "variants": ["1-1000-A-G"]}
    assert ask(stats_api, None, **body).status_code == 401
    for user in ("domestic", "debarred"):
        refused = ask(stats_api, user, **body)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "E_FORBIDDEN"
    with stats_api.db.reader() as session:
        outcomes = session.scalars(
            select(AuditEvent.outcome).where(AuditEvent.action == "beacon.frequencies")
        ).all()
        assert list(outcomes) == ["denied", "denied"]
        assert session.query(PrivacySpent).count() == 0  # nothing was charged


def test_the_budget_runs_out_with_a_refusal_that_says_what_it_affords(stats_api: Api) -> None:
    name = dataset_id(stats_api)
    many = [f"1-{1000 + i}-A-G" for i in range(5_000)]
    refused = ask(stats_api, "foreign", dataset=name, variants=many)
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert problem["code"] == "E_PRIVACY_BUDGET"
    affordable = int(problem["detail"].split("pays for ")[1].split(" variants")[0].replace(",", ""))
    assert 0 < affordable < 5_000
    with stats_api.db.reader() as session:
        # The slice's size was kept although the release was refused, and nothing else spent.
        (size,) = session.query(BeaconFrequencySlice).all()
        assert {r.holder: r.spent for r in session.query(PrivacySpent).filter_by(ledger="rho")} == {
            "dataset": pytest.approx(SLICE_RHO),
            "org:example university": pytest.approx(SLICE_RHO),
        }
    granted = ask(stats_api, "foreign", dataset=name, variants=many[:affordable])
    assert granted.status_code == 200, granted.text
    assert granted.json()["donors"] == size.donors
    assert granted.json()["privacy"]["organisationRhoLeft"] >= 0
    # Every further variant is refused now: the organisation's share is spent.
    more = ask(stats_api, "foreign", dataset=name, variants=many[affordable : affordable + 1])
    assert more.status_code == 403
    assert more.json()["code"] == "E_PRIVACY_BUDGET"


def test_a_slice_below_the_threshold_is_refused(stats_api: Api) -> None:
    name = dataset_id(stats_api)
    refused = ask(
        stats_api,
        "foreign",
        dataset=name,
        variants=["1-1000-A-G"],
        population="a population nobody belongs to",
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "E_SLICE_TOO_SMALL"
    province = ask(stats_api, "foreign", dataset=name, variants=["1-1000-A-G"], province="XX-NONE")
    assert province.json()["code"] == "E_SLICE_TOO_SMALL"


def test_a_variant_the_store_lacks_is_answered_like_the_others(stats_api: Api) -> None:
    name = dataset_id(stats_api)
    answer = ask(stats_api, "foreign", dataset=name, variants=["22-1-A-T", "X-5-C-G"])
    assert answer.status_code == 200, answer.text
    rows = answer.json()["frequencies"]
    assert [r["variant"] for r in rows] == ["22-1-A-T", "X-5-C-G"]
    assert all(set(r) == set(rows[0]) for r in rows)
    # Noised like any other count over the same slice: nothing marks them as absent.
    assert {r["alleleNumber"] for r in rows} == {2 * answer.json()["donors"]}


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {},
        {"dataset": "X:Y"},
        {"dataset": "X:Y", "variants": []},
        {"dataset": "no colon", "variants": ["1-1-A-G"]},
        {"dataset": "X:Y", "variants": ["1-0-A-G"]},
        {"dataset": "X:Y", "variants": ["1-100-A"]},
        {"dataset": "X:Y", "variants": ["1-100-A-<DEL>"]},
        {"dataset": "X:Y", "variants": [12]},
        {"dataset": "X:Y", "variants": ["1-1-A-G"], "population": "P", "province": "Q"},
        {"dataset": "X:Y", "variants": ["1-1-A-G"], "population": ""},
        {"dataset": "X:Y", "variants": ["1-1-A-G"], "population": "Han\x00"},
        {"dataset": "X:Y", "variants": ["1-1-A-G"], "province": "CN-11\n"},
        {"dataset": "X:Y", "variants": ["1-1-A-G"], "limit": 3},
        {"dataset": "X:Y", "variants": ["1-1-A-G"] * 100_001},
    ],
)
def test_bad_bodies_are_refused_with_a_clear_error(stats_api: Api, body: Any) -> None:
    answer = stats_api.post("foreign", PATH, json=body)
    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["detail"]


def test_an_unknown_dataset_is_not_found(stats_api: Api) -> None:
    answer = ask(stats_api, "foreign", dataset="NOPE:NONE", variants=["1-1-A-G"])
    assert answer.status_code == 404
