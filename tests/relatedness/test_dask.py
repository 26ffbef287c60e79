"""The same KING pairs in-process and on a Dask cluster of two worker processes."""

from __future__ import annotations

import numpy as np
import pytest

from hgr.relatedness.king import king_all_pairs
from hgr.relatedness.packed import MISSING, pack_dosages


@pytest.mark.slow
def test_a_local_cluster_gives_identical_pairs() -> None:
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(11)
    frequencies = rng.uniform(0.05, 0.5, 4_000)
    dosages = (rng.random((4_000, 2, 60)) < frequencies[:, None, None]).sum(axis=1)
    dosages = dosages.astype(np.int8)
    dosages[:, 50:] = dosages[:, :10]  # ten duplicates
    dosages[rng.random(dosages.shape) < 0.01] = MISSING
    packed = pack_dosages([f"S{i}" for i in range(60)], [dosages])
    here = king_all_pairs(packed, min_kinship=-np.inf, tile=16)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        there = king_all_pairs(packed, min_kinship=-np.inf, tile=16, client=client)
    assert len(here) == 60 * 59 // 2
    for name in ("a", "b", "hethet", "ibs0", "het_a", "het_b", "n_sites", "kinship"):
        np.testing.assert_array_equal(getattr(here, name), getattr(there, name))
