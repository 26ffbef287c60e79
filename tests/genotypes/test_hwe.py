"""The exact HWE test: compiled kernel against the reference, and against PLINK 2."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hgr.genotypes.hwe import hwe_exact, hwe_exact_reference

PLINK_HARDY = Path(__file__).parent / "data" / "plink2_hardy_chr22.tsv"


def _plink_rows() -> list[dict[str, str]]:
    with PLINK_HARDY.open() as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def test_matches_plink2_hardy_on_real_data() -> None:
    rows = _plink_rows()
    counts = np.array([[int(r["HET"]), int(r["HOM_REF"]), int(r["HOM_ALT"])] for r in rows])
    expected = np.array([float(r["P"]) for r in rows])
    ours = hwe_exact(counts[:, 0], counts[:, 1], counts[:, 2])
    # PLINK prints six significant digits.
    np.testing.assert_allclose(ours, expected, rtol=5e-6, atol=1e-12)
    assert (expected < 0.05).sum() > 10  # the fixture does exercise small p-values


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 300), st.integers(0, 300), st.integers(0, 300))
def test_kernel_equals_reference(hets: int, hom1: int, hom2: int) -> None:
    kernel = hwe_exact(np.array([hets]), np.array([hom1]), np.array([hom2]))[0]
    assert kernel == pytest.approx(hwe_exact_reference(hets, hom1, hom2), rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(
    ("hets", "hom1", "hom2", "p"),
    [
        (0, 0, 0, 1.0),  # no genotypes
        (0, 100, 0, 1.0),  # monomorphic
        (0, 50, 50, 0.0),  # no heterozygotes at p = 0.5: far from equilibrium
        (50, 25, 25, 1.0),  # exactly the expected proportions
    ],
)
def test_edge_cases(hets: int, hom1: int, hom2: int, p: float) -> None:
    assert hwe_exact_reference(hets, hom1, hom2) == pytest.approx(p, abs=1e-20)
    assert hwe_exact(np.array([hets]), np.array([hom1]), np.array([hom2]))[0] == pytest.approx(
        p, abs=1e-20
    )


def test_symmetry_and_bad_counts() -> None:
    assert hwe_exact_reference(10, 3, 40) == hwe_exact_reference(10, 40, 3)
    with pytest.raises(ValueError, match="negative"):
        hwe_exact_reference(-1, 2, 3)
