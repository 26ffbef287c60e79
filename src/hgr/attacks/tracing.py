"""Tracing attacks on released allele frequencies (security.md T5).

A cohort slice of N members releases allele frequencies of M variants through the same noise
and presentation as :func:`hgr.beacon.frequencies.release_frequencies` (``noisy_counts`` and
``frequency_rows``). An attacker who holds a victim's genotype and the population's true
frequencies asks whether the victim is in the slice, with three statistics:

- **Homer** et al. 2008 (PLoS Genet 4:e1000167): ``Σ |y − p| − |y − p̂|``, with y the
  victim's allele dosage over 2, p the population's frequency and p̂ the released one;
- **LR**, Sankararaman et al. 2009 (Nat Genet 41:965): the log-likelihood ratio
  ``Σ x log(p̂/p) + (2 − x) log((1 − p̂)/(1 − p))``;
- **inner product**, Dwork et al. 2015 (robust traceability): ``Σ (y − p)(p̂ − p)``.

Power is read at a 5% false-positive rate over ``victims`` members and as many outsiders of
the same population. Suppressed frequencies are left out of every statistic. Without noise
(``frequency_sd`` 0) the same code shows what the attack does to a plain release.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hgr.beacon.frequencies import frequency_rows
from hgr.privacy.noise import membership_bound, noisy_counts

__all__ = [
    "ATTACKS",
    "TracingResult",
    "TracingScenario",
    "default_scenarios",
    "shortfalls",
    "trace",
]

ATTACKS = ("homer", "lr", "inner product")
FPR = 0.05


@dataclass(frozen=True)
class TracingResult:
    """One release attacked: its size, noise and cost, and each statistic's power."""

    members: int
    variants: int
    frequency_sd: float  # 0: no noise
    rho: float  # inf without noise
    power: dict[str, float]
    bound: float  # the most power any test has against this release (1.0 without noise)
    released_within_001: float  # share of released frequencies within 0.01 of the truth


def _power(members: NDArray[np.float64], outsiders: NDArray[np.float64]) -> float:
    cut = np.quantile(outsiders, 1 - FPR)
    return float(np.mean(members > cut))


def trace(
    members: int = 1_000,
    victims: int = 300,
    variants: int = 1_000,
    frequency_sd: float = 0.01,
    min_count: int = 5,
    seed: int = 7,
) -> TracingResult:
    """Release the frequencies of ``variants`` common variants (population frequency uniform on
    [0.05, 0.5]) over ``members`` donors and attack ``victims`` of them and as many outsiders."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.5, size=variants)
    cohort = rng.binomial(2, p, size=(members, variants)).astype(np.int8)
    outside = rng.binomial(2, p, size=(victims, variants)).astype(np.int8)
    counts = cohort.sum(axis=0, dtype=np.int64)
    keys = [str(j) for j in range(variants)]
    if frequency_sd > 0:
        noisy, rho = noisy_counts([int(c) for c in counts], members, frequency_sd)
    else:
        noisy, rho = [int(c) for c in counts], float("inf")
    rows = frequency_rows(keys, noisy, members, frequency_sd, min_count)
    shown = np.array([r.frequency is not None for r in rows])
    released = np.array([r.frequency if r.frequency is not None else np.nan for r in rows])
    truth = counts / (2 * members)
    within = float(np.mean(np.abs(released[shown] - truth[shown]) < 0.01)) if shown.any() else 0.0
    q, f = p[shown], np.clip(released[shown], 1e-3, 1 - 1e-3)

    def scores(x: NDArray[np.int8]) -> dict[str, NDArray[np.float64]]:
        dosage = x[:, shown].astype(np.float64)
        y = dosage / 2
        return {
            "homer": (np.abs(y - q) - np.abs(y - f)).sum(axis=1),
            "lr": (dosage * np.log(f / q) + (2 - dosage) * np.log((1 - f) / (1 - q))).sum(axis=1),
            "inner product": ((y - q) * (f - q)).sum(axis=1),
        }

    inside, out = scores(cohort[:victims]), scores(outside)
    return TracingResult(
        members=members,
        variants=variants,
        frequency_sd=frequency_sd,
        rho=rho,
        power={a: _power(inside[a], out[a]) for a in ATTACKS},
        bound=membership_bound(rho) if frequency_sd > 0 else 1.0,
        released_within_001=within,
    )


@dataclass(frozen=True)
class TracingScenario:
    """A release to attack: its variants and the noise on each frequency (0: none)."""

    name: str
    variants: int
    frequency_sd: float


def default_scenarios(members: int, rho: float = 0.25, sd: float = 0.01) -> list[TracingScenario]:
    """Plain releases of 1,000, 10,000 and 50,000 variants (the teeth: security.md T5 anchors
    0.15, 0.73 and 1.00 at N = 1,000), the most variants a year's dataset budget ``rho`` pays
    for at noise ``sd``, and the same rho spread over 10,000 variants with more noise."""
    affordable = max(1, math.floor(2 * members**2 * sd**2 * rho))
    spread = math.sqrt(10_000 / (2 * members**2 * rho))  # rho_for(10,000, N, spread) = rho
    return [
        TracingScenario("plain 1k", 1_000, 0.0),
        TracingScenario("plain 10k", 10_000, 0.0),
        TracingScenario("plain 50k", 50_000, 0.0),
        TracingScenario(f"private {affordable:,}", affordable, sd),
        TracingScenario("private 10k", 10_000, spread),
    ]


def shortfalls(results: list[tuple[TracingScenario, TracingResult]]) -> list[str]:
    """The T5 targets missed: a private release attacked with more power than its Gaussian-DP
    bound (which would prove a bug), private releases attacked with power over 0.10 on
    average (one release is one noise draw, so a single reading varies by about 0.015), or no
    plain release reaching 0.95 (the attacks would have no teeth)."""
    missed = []
    private = [(s, r) for s, r in results if s.frequency_sd > 0]
    for scenario, result in private:
        worst = max(result.power.values())
        if worst > result.bound:
            missed.append(f"{scenario.name}: power {worst:.2f} over its bound {result.bound:.2f}")
    powers = [p for _s, r in private for p in r.power.values()]
    if powers and float(np.mean(powers)) > 0.10:
        missed.append(f"private releases: mean power {np.mean(powers):.3f} (target 0.10)")
    plain = [max(r.power.values()) for s, r in results if s.frequency_sd == 0]
    if plain and max(plain) < 0.95:
        missed.append(f"plain releases reach only {max(plain):.2f} (0.95 expected)")
    return missed
