"""The GPU backend: KING counts as indicator-matrix products equal the compiled CPU kernels.

The same PyTorch code runs on the CPU here and on a CUDA GPU where one is present; either way
every count and every kinship must equal the CPU kernels' to the last bit (which are checked
against the pure-Python reference and PLINK 2 in ``test_king.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hgr.exceptions import UsageError
from hgr.relatedness import gpu
from hgr.relatedness.king import KingPairs, _assemble, king_all_pairs
from hgr.relatedness.packed import MISSING, PackedGenotypes, pack_dosages
from hgr.relatedness.readers import read_genotype_files
from tests.conftest import shared

torch = pytest.importorskip("torch")

DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here"),
    ),
]
FIELDS = ("a", "b", "hethet", "ibs0", "het_a", "het_b", "n_sites")


def _names(n: int) -> list[str]:
    return [f"S{i}" for i in range(n)]


def _on_torch(packed: PackedGenotypes, device: str, min_kinship: float, **kw: Any) -> KingPairs:
    return _assemble(packed, gpu.torch_pairs(packed, min_kinship=min_kinship, device=device, **kw))


def _assert_same(expected: KingPairs, got: KingPairs) -> None:
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)
    # Bit for bit, NaN where there is no kinship.
    np.testing.assert_array_equal(got.kinship, expected.kinship)


def _mixed_cohort(sites: int, samples: int, seed: int) -> PackedGenotypes:
    rng = np.random.default_rng(seed)
    dosages = rng.integers(0, 3, (sites, samples)).astype(np.int8)
    dosages[rng.random(dosages.shape) < 0.03] = MISSING
    dosages[:, : samples // 2] = np.abs(dosages[:, : samples // 2])  # complete samples
    dosages[:, 3] = dosages[:, samples - 1]  # a duplicate across blocks
    dosages[:, 1] = np.abs(dosages[:, 2])  # a near-duplicate, one of them complete
    return pack_dosages(_names(samples), [dosages])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    ("block", "chunk_words"),
    [
        (32, 1),  # three row blocks, the last padded; one word of sites a chunk
        (64, 5),  # chunks that do not divide the 16 words
        (gpu.DEFAULT_BLOCK, gpu.DEFAULT_CHUNK_WORDS),  # one block, one chunk
    ],
)
def test_every_pair_equals_the_cpu_kernels(device: str, block: int, chunk_words: int) -> None:
    # 1,000 sites: the last word is partly padding; 70 samples: blocks with ragged edges.
    packed = _mixed_cohort(1_000, 70, seed=11)
    expected = king_all_pairs(packed, min_kinship=-np.inf, tile=9)
    got = _on_torch(packed, device, -np.inf, block=block, chunk_words=chunk_words)
    assert len(got) == 70 * 69 // 2
    _assert_same(expected, got)


@pytest.mark.parametrize("device", DEVICES)
def test_the_threshold_keeps_the_same_pairs(device: str) -> None:
    packed = _mixed_cohort(3_000, 100, seed=4)
    expected = king_all_pairs(packed, min_kinship=0.0442)
    got = _on_torch(packed, device, 0.0442, block=32)
    assert len(got) >= 2  # the planted duplicates
    _assert_same(expected, got)


@pytest.mark.parametrize("device", DEVICES)
def test_samples_without_sites_or_het_calls_get_no_kinship(device: str) -> None:
    no_sites = pack_dosages(_names(3), [np.zeros((0, 3), dtype=np.int8)])
    got = _on_torch(no_sites, device, -np.inf)
    _assert_same(king_all_pairs(no_sites, min_kinship=-np.inf), got)
    assert np.isnan(got.kinship).all()
    homozygous = pack_dosages(_names(3), [np.array([[0, 2, 0], [2, 2, 1]], dtype=np.int8)])
    _assert_same(
        king_all_pairs(homozygous, min_kinship=-np.inf), _on_torch(homozygous, device, -np.inf)
    )


@settings(max_examples=30, deadline=None)
@given(
    arrays(
        np.int8, st.tuples(st.integers(1, 300), st.integers(2, 40)), elements=st.integers(-1, 2)
    ),
    st.sampled_from([32, 64]),
    st.integers(1, 3),
)
def test_any_matrix_gives_the_cpu_counts(dosages: np.ndarray, block: int, chunk: int) -> None:
    packed = pack_dosages(_names(dosages.shape[1]), [dosages])
    got = _on_torch(packed, "cpu", -np.inf, block=block, chunk_words=chunk)
    _assert_same(king_all_pairs(packed, min_kinship=-np.inf), got)


@pytest.mark.parametrize("device", DEVICES)
def test_1000_genomes_pairs_equal_the_cpu_kernels(device: str) -> None:
    folder = shared("1kg_phase3_subset")
    files = sorted((folder / "vcf").glob("1KG_phase3_subset_chr[0-9]*.vcf.gz"))
    packed, _counts = read_genotype_files(files)
    # The CPU kernels equal PLINK 2's --make-king-table on these (test_king.py).
    _assert_same(king_all_pairs(packed, min_kinship=0.03), _on_torch(packed, device, 0.03))


def test_block_and_chunk_sizes_are_checked() -> None:
    packed = _mixed_cohort(100, 4, seed=1)
    with pytest.raises(UsageError, match="at least 32"):
        gpu.torch_pairs(packed, min_kinship=0.1, device="cpu", block=16)
    with pytest.raises(UsageError, match="at least one word"):
        gpu.torch_pairs(packed, min_kinship=0.1, device="cpu", chunk_words=0)


def test_the_device_is_chosen_with_clear_refusals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu, "cuda_available", lambda: False)
    assert gpu.choose_device("auto") == "cpu"
    assert gpu.choose_device("cpu") == "cpu"
    with pytest.raises(UsageError, match="sees no CUDA GPU") as refused:
        gpu.choose_device("gpu")
    assert refused.value.code == "E_NO_GPU"
    with pytest.raises(UsageError, match="choose one of auto, cpu, gpu"):
        gpu.choose_device("tpu")
    monkeypatch.setattr(gpu, "cuda_available", lambda: True)
    assert gpu.choose_device("auto") == "gpu"
    assert gpu.choose_device("gpu") == "gpu"
    # A Dask cluster computes on its workers' CPUs.
    assert gpu.choose_device("auto", distributed=True) == "cpu"
    with pytest.raises(UsageError, match="cannot be combined with --scheduler"):
        gpu.choose_device("gpu", distributed=True)


def test_king_all_pairs_refuses_an_unknown_device_and_gpu_on_dask() -> None:
    packed = _mixed_cohort(100, 4, seed=2)
    with pytest.raises(UsageError, match="unknown device"):
        king_all_pairs(packed, device="tpu")
    with pytest.raises(UsageError, match="Dask"):
        king_all_pairs(packed, device="gpu", client=object())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_king_all_pairs_on_the_gpu_equals_the_cpu() -> None:
    packed = _mixed_cohort(2_000, 300, seed=8)
    _assert_same(
        king_all_pairs(packed, min_kinship=-np.inf),
        king_all_pairs(packed, min_kinship=-np.inf, device="gpu"),
    )


def test_blocks_shrink_to_fit_a_smaller_gpu() -> None:
    sites = gpu.DEFAULT_CHUNK_WORDS * 64
    assert gpu.fit_block(gpu.DEFAULT_BLOCK, sites, 80 * 2**30) == gpu.DEFAULT_BLOCK
    smaller = gpu.fit_block(gpu.DEFAULT_BLOCK, sites, 8 * 2**30)
    assert 32 <= smaller < gpu.DEFAULT_BLOCK
    assert smaller % 32 == 0
    assert gpu._working_bytes(smaller, sites) <= 0.6 * 8 * 2**30
    assert gpu.fit_block(gpu.DEFAULT_BLOCK, sites, 1) == 32  # never below one aligned block
