"""hgr relate's HTML report: the scatter a KING or peddy user reads, hostile names, many pairs."""

from __future__ import annotations

import re

import numpy as np
import pytest

from hgr.relatedness import relate_report
from hgr.relatedness.king import king_all_pairs
from hgr.relatedness.packed import pack_dosages
from hgr.relatedness.relate_report import relate_html


def _cohort(names: list[str], sites: int = 3_000, seed: int = 0):  # type: ignore[no-untyped-def]
    """Unrelated people, the second a copy of the first (a duplicate pair)."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.1, 0.5, sites)[:, None]
    dosages = (rng.random((sites, len(names))) < p).astype(np.int8)
    dosages += rng.random((sites, len(names))) < p
    dosages[:, 1] = dosages[:, 0]
    return pack_dosages(names, [dosages], expected_sites=sites)


def _points(page: str) -> int:
    return len(re.findall(r'<circle [^>]*r="2.5"', page))


def test_every_pair_is_drawn_coloured_by_its_relationship() -> None:
    packed = _cohort([f"S{i}" for i in range(12)])
    pairs = king_all_pairs(packed, min_kinship=-np.inf)
    page = relate_html("Relatedness: x.vcf", 12, packed.n_sites, 0.01, [], pairs, -np.inf)
    assert _points(page) == len(pairs) == 66
    duplicate = relate_report.COLOURS[pairs.relationships()[0]]
    assert pairs.relationships()[0] == "duplicate"
    assert f'fill="{duplicate}" fill-opacity="0.75"><title>S0 – S1: duplicate' in page
    assert "<script" not in page
    assert "66 of 66 pairs drawn (every pair)" in page


def test_sample_names_cannot_write_markup() -> None:
    names = ["<script>alert(1)</script>", "a&b", *(f"S{i}" for i in range(8))]
    packed = _cohort(names)
    pairs = king_all_pairs(packed, min_kinship=-np.inf)
    page = relate_html("<b>title</b>", 10, packed.n_sites, 0.01, ["<i>w</i>"], pairs, -np.inf)
    assert "<script>" not in page
    assert "<b>title</b>" not in page
    assert "<i>w</i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; – a&amp;b: duplicate" in page


def test_past_the_most_points_every_related_pair_is_drawn_and_the_rest_sampled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(relate_report, "MOST_POINTS", 20)
    packed = _cohort([f"S{i}" for i in range(30)])
    pairs = king_all_pairs(packed, min_kinship=-np.inf)
    page = relate_html("t", 30, packed.n_sites, 0.01, [], pairs, -np.inf)
    assert _points(page) == 20
    assert "S0 – S1: duplicate" in page
    assert "20 of 435 pairs drawn (every pair; every related pair, the unrelated sampled)" in page


def test_declared_pairs_are_ringed() -> None:
    from hgr.relatedness.pedigree_check import FamilyReport, PairCheck
    from hgr.vocabulary import Relationship

    packed = _cohort([f"S{i}" for i in range(6)])
    pairs = king_all_pairs(packed, min_kinship=-np.inf)
    declared = PairCheck(
        "F1", "S0", "S1", Relationship.PARENT_OFFSPRING, 0.25, Relationship.DUPLICATE, 0.5, 0, 1
    )
    family = FamilyReport("F1", ["S0", "S1"], [], pairs=[declared])
    page = relate_html("t", 6, packed.n_sites, 0.01, [], pairs, -np.inf, [family])
    rings = re.findall(r'<circle [^>]*r="6"[^>]*><title>([^<]*)</title>', page)
    assert rings == ["S0 – S1: duplicate"]
    assert "1 declared families checked, 0 with flags" in page
