"""Slow, plain-Python KING counts: the reference the compiled kernels are tested against.

It walks a (sites, samples) dosage matrix call by call, exactly as the definitions read, with
no bit tricks. Use it only on small inputs.
"""

from __future__ import annotations

from collections.abc import Sequence

from hgr.relatedness.packed import MISSING

__all__ = ["reference_counts"]


def reference_counts(
    dosages: Sequence[Sequence[int]], i: int, j: int
) -> tuple[int, int, int, int, int]:
    """(hethet, ibs0, het_i, het_j, n) for samples ``i`` and ``j`` over sites both called."""
    hethet = ibs0 = het_i = het_j = n = 0
    for site in dosages:
        a, b = int(site[i]), int(site[j])
        if a == MISSING or b == MISSING:
            continue
        n += 1
        het_i += a == 1
        het_j += b == 1
        hethet += a == 1 and b == 1
        ibs0 += {a, b} == {0, 2}
    return hethet, ibs0, het_i, het_j, n
