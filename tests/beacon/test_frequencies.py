"""Differentially private allele frequencies: the question's parsing, the noise against its
claimed cost (security.md T6(a), (d)), and tracing attacks on the released frequencies (T5).
The rho ledger is tested in tests/privacy/test_budgets.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.stats import beta, norm

from hgr.attacks.tracing import default_scenarios, trace
from hgr.beacon.frequencies import (
    MAX_VARIANTS,
    frequency_rows,
    parse_question,
)
from hgr.exceptions import UsageError
from hgr.privacy.exposure import Exposure
from hgr.privacy.noise import membership_bound, noisy_counts, rho_for


def test_questions_are_read_into_canonical_variants() -> None:
    q = parse_question(
        {
            "dataset": "A:B",
            "variants": ["chr1:100:a:g", "1-100-A-G", "X-5-C-CT"],
            "population": "Han",
        }
    )
    assert q.variants == ("1-100-A-G", "X-5-C-CT")
    assert q.slice == "population:Han"
    assert parse_question({"dataset": "A:B", "variants": ["MT-1-A-G"]}).slice == "all"
    assert (
        parse_question({"dataset": "A:B", "variants": ["2-9-A-T"], "province": "CN-11"}).slice
        == "province:CN-11"
    )


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"dataset": "A:B", "variants": ["1-100-A-<DEL>"]}, "not a variant"),
        ({"dataset": "A:B", "variants": ["1-100-A-G"] * (MAX_VARIANTS + 1)}, "at most"),
        (
            {"dataset": "A:B", "variants": ["1-1-A-G"], "population": "x", "province": "y"},
            "not both",
        ),
        ({"dataset": "A:B", "variants": ["1-1-A-G"], "skip": 1}, "unknown field"),
        ({"dataset": "AB", "variants": ["1-1-A-G"]}, "INSTITUTION:COLLECTION"),
    ],
)
def test_malformed_questions_say_what_is_wrong(body: object, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        parse_question(body)


def test_the_noise_costs_what_the_budget_is_charged() -> None:
    # T6(a): OpenDP's own privacy map against the analytic 2√M / √(2ρ) (security.md §2.2).
    for variants, donors, sd in [(50, 1_000, 0.00707), (1_000, 10_000, 0.001), (1, 60, 0.1)]:
        _noisy, rho = noisy_counts([0] * variants, donors, sd)
        assert rho == pytest.approx(rho_for(variants, donors, sd), rel=1e-9)
        sigma = sd * 2 * donors
        assert sigma == pytest.approx(2 * math.sqrt(variants) / math.sqrt(2 * rho))
    # security.md §2.1: M = 50 at rho 0.5 has scale 14.14.
    assert 2 * math.sqrt(50) / math.sqrt(2 * 0.5) == pytest.approx(14.142, abs=1e-3)


def test_membership_bound_is_the_gaussian_dp_trade_off() -> None:
    assert membership_bound(0.5) == pytest.approx(norm.cdf(norm.ppf(0.05) + 1.0))
    assert membership_bound(1e-9) == pytest.approx(0.05, abs=1e-4)
    assert membership_bound(0.5) < membership_bound(1.0) < 1


def _discrete_gaussian_trade_off(
    sigma: float, shift: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The exact trade-off of telling the discrete Gaussian of scale ``sigma`` (pmf
    proportional to exp(-k²/2σ²), what OpenDP samples; Canonne, Kamath & Steinke 2020) from
    the same shifted by ``shift``: the (false-positive, power) points of the tests "above k",
    one per integer k. The likelihood ratio is monotone, so these tests and their mixtures
    (straight lines between the points) are the most powerful ones (Neyman–Pearson)."""
    k = np.arange(-int(20 * sigma) - shift, int(20 * sigma) + shift + 1)
    pmf = np.exp(-(k.astype(float) ** 2) / (2 * sigma**2))
    pmf /= pmf.sum()
    above = pmf[::-1].cumsum()[::-1] - pmf  # P(Z > k)
    power = np.concatenate([np.ones(shift), above[:-shift]])  # P(Z + shift > k) = P(Z > k-s)
    return above[::-1], power[::-1]  # ascending false-positive rates, for np.interp


def test_empirical_audit_finds_no_more_than_the_claimed_privacy() -> None:
    # T6(d): 20,000 releases of one count on neighbouring data sets (the added donor carries
    # two copies, the worst case) and a threshold attack at a 5% false-positive rate. The
    # attack's power must stay under the trade-off curve of the noise that was claimed: the
    # discrete Gaussian of the scale the claimed rho sets, computed exactly. The Clopper–
    # Pearson bounds are taken at 1 - 1e-6 each, so an honest sampler fails the test in fewer
    # than 2 runs in a million; noise of the wrong size (σ 1 for σ 2) still gives ~0.64
    # against 0.26.
    releases = 20_000
    without, rho = noisy_counts([400] * releases, 100, 0.01)
    with_donor, _ = noisy_counts([402] * releases, 100, 0.01)
    claimed = rho / releases  # the vector's rho is that of `releases` counts together
    cut = np.quantile(without, 0.95)
    false_positives = int(np.sum(np.array(without) > cut))
    true_positives = int(np.sum(np.array(with_donor) > cut))
    fpr_high = beta.ppf(1 - 1e-6, false_positives + 1, releases - false_positives)
    tpr_low = beta.ppf(1e-6, true_positives, releases - true_positives + 1)
    sigma = 2 / math.sqrt(2 * claimed)  # sensitivity 2 (two copies) at the claimed rho
    assert sigma == pytest.approx(2.0)
    fpr, power = _discrete_gaussian_trade_off(sigma, 2)
    assert tpr_low <= float(np.interp(fpr_high, fpr, power))
    assert true_positives / releases > 0.15  # the attack does see the donor: it is no null
    # The discrete curve is the continuous Gaussian-DP one (mu = sqrt(2 rho) = 1) to within
    # a few thousandths, the gap membership_bound leaves (Canonne, Kamath & Steinke 2020).
    grid = np.linspace(0.01, 0.5, 50)
    assert np.max(np.interp(grid, fpr, power) - norm.cdf(norm.ppf(grid) + 1.0)) < 0.01


def test_presented_rows_suppress_small_counts_and_give_standard_errors() -> None:
    rows = frequency_rows(["a", "b", "c"], [3, 40, 5_000], 1_000, 0.01, 5)
    assert rows[0].allele_count is None
    assert rows[0].frequency is None
    assert rows[1].frequency == pytest.approx(0.02)
    assert rows[1].standard_error == pytest.approx(
        math.sqrt(0.01**2 + 0.02 * 0.98 / 2_000), abs=1e-6
    )
    assert rows[2].allele_count == 2_000
    assert rows[2].frequency == 1.0


def test_tracing_breaks_a_plain_release_and_not_a_private_one() -> None:
    # T5, N = 1,000 with 300 members and 300 outsiders attacked. Without noise, 50,000
    # variants give every statistic full power (security.md anchor: 1.00 at 50k).
    plain = trace(members=1_000, victims=300, variants=50_000, frequency_sd=0.0)
    assert min(plain.power.values()) >= 0.95, plain.power
    # A whole year's dataset budget at the default noise (rho 0.25, 0.01) pays for 50
    # variants over 1,000 donors; the same rho spread over 10,000 variants needs noise 0.14.
    defaults = Exposure()
    powers = []
    for scenario in default_scenarios(1_000)[3:]:
        private = trace(1_000, 1_000, scenario.variants, scenario.frequency_sd)
        assert private.rho == pytest.approx(defaults.frequency_rho)
        assert private.bound == pytest.approx(membership_bound(defaults.frequency_rho))
        # The bound (0.17) is a theorem (security.md §2.3): beating it would prove a bug.
        assert max(private.power.values()) <= private.bound, (scenario, private.power)
        powers.extend(private.power.values())
    # The expected power against a typical member is about 0.075 (target 0.10). One release
    # read from every member and as many outsiders varies by about 0.015 (its one noise draw
    # moves every victim's score together), so the six readings are held to 0.10 on average.
    assert float(np.mean(powers)) <= 0.10, powers
