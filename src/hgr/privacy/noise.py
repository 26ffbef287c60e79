"""The noise of differentially private releases, drawn by OpenDP, and what it costs.

- Counts of the Beacon: discrete Laplace, pure epsilon-DP (:func:`laplace_count`).
- Allele counts released to collaborators: discrete Gaussian, zero-concentrated DP
  (:func:`noisy_counts`), whose cost :func:`rho_for` gives before anything is drawn and whose
  worst-case membership power :func:`membership_bound` gives after.

No noise is drawn by hand: OpenDP's samplers are exact, and its privacy maps are the authority
on each release's cost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["gaussian", "laplace_count", "membership_bound", "noisy_counts", "rho_for"]


def laplace_count(true_count: int, epsilon: float) -> int:
    """A count with OpenDP's discrete Laplace noise of scale 1/epsilon: epsilon-DP for a count
    one person changes by at most 1 (integer noise: no floating-point leak, Mironov 2012)."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    measurement = dp.m.make_laplace(
        dp.atom_domain(T=int), dp.absolute_distance(T=int), scale=1.0 / epsilon
    )
    return int(measurement(int(true_count)))


def membership_bound(rho: float, fpr: float = 0.05) -> float:
    """The most power any membership test has at ``fpr`` against Gaussian releases of total
    zCDP ``rho``: they are sqrt(2 rho)-GDP (Dong, Roth & Su 2022, Gaussian differential
    privacy, JRSS B 84:3), whose trade-off curve is Φ(Φ⁻¹(fpr) + μ)."""
    from scipy.stats import norm  # here: scipy.stats is slow to import

    return float(norm.cdf(norm.ppf(fpr) + math.sqrt(2 * rho)))


def rho_for(variants: int, donors: int, frequency_sd: float) -> float:
    """The zCDP rho of releasing ``variants`` counts over ``donors`` with noise of standard
    deviation ``frequency_sd`` on each frequency (security.md §2.2)."""
    return variants / (2 * donors**2 * frequency_sd**2)


def gaussian(values: Sequence[int], scale: float, sensitivity: float) -> tuple[list[int], float]:
    """``values`` with OpenDP's discrete Gaussian noise, and the zCDP rho it costs (OpenDP's
    own privacy map: no hand-rolled noise, Mironov 2012)."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    if len(values) == 1:
        scalar = dp.m.make_gaussian(
            dp.atom_domain(T=int), dp.absolute_distance(T=float), scale=scale
        )
        return [int(scalar(int(values[0])))], float(scalar.map(sensitivity))  # type: ignore[no-untyped-call]
    vector = dp.m.make_gaussian(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=float), scale=scale
    )
    return [int(v) for v in vector([int(v) for v in values])], float(vector.map(sensitivity))  # type: ignore[no-untyped-call]


def noisy_counts(
    counts: Sequence[int], donors: int, frequency_sd: float
) -> tuple[list[int], float]:
    """Allele counts over a slice of ``donors`` with the noise that puts ``frequency_sd`` on
    each frequency, and the rho that cost: one donor moves each count by at most 2, so the
    counts' L2 sensitivity is 2√M."""
    return gaussian(counts, frequency_sd * 2 * donors, 2 * math.sqrt(len(counts)))
