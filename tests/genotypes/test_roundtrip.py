"""Property: any valid VCF goes through ingest → store → verify unchanged (hypothesis)."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.genotypes.ingest import ingest
from hgr.genotypes.store import open_store
from hgr.genotypes.verify import verify_store
from tests.genotypes.conftest import INSTITUTION, register
from tests.genotypes.vcfs import header, write

SAMPLES = [f"P{i}" for i in range(6)]
EXAMPLES = 12
BASES = "ACGT"


@st.composite
def vcfs(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, int, list[str], list[str]]]]:
    """Samples and records: (contig, position, alleles, calls) sorted by contig and position."""
    samples = SAMPLES[: draw(st.integers(1, len(SAMPLES)))]
    records = []
    for contig in ("1", "2", "X"):
        positions = sorted(draw(st.sets(st.integers(1, 5_000_000), max_size=6)))
        for position in positions:
            ref = draw(st.text(BASES, min_size=1, max_size=3))
            alts = draw(
                st.lists(
                    st.text(BASES, min_size=1, max_size=3).filter(lambda a, r=ref: a != r),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            )
            alleles = [ref, *alts]
            allele = st.one_of(st.just("."), st.integers(0, len(alts)).map(str))
            haploid_ok = contig == "X"
            calls = []
            for _ in samples:
                first = draw(allele)
                if haploid_ok and draw(st.booleans()):
                    calls.append(first)
                else:
                    calls.append(first + draw(st.sampled_from("/|")) + draw(allele))
            records.append((contig, position, alleles, calls))
    if not records:
        records.append(("1", 1, ["A", "C"], ["0/1"] * len(samples)))
    return samples, records


def _expected(call: str) -> list[int]:
    parts = call.replace("|", "/").split("/")
    values = [-1 if part == "." else int(part) for part in parts]
    return values + [-2] * (2 - len(values))


def test_random_vcfs_round_trip(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    codes = [f"C{i}" for i in range(EXAMPLES + 1)]
    register(db, keys, tmp_path / "t", SAMPLES, collections=codes)
    counter = itertools.count()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(vcfs())
    def round_trip(example: tuple[list[str], list[tuple[str, int, list[str], list[str]]]]) -> None:
        samples, records = example
        number = next(counter)
        lines = [*header(samples)]
        for contig, position, alleles, calls in records:
            lines.append(
                "\t".join(
                    [
                        contig,
                        str(position),
                        ".",
                        alleles[0],
                        ",".join(alleles[1:]),
                        ".",
                        "PASS",
                        ".",
                        "GT",
                        *calls,
                    ]
                )
            )
        path = write(tmp_path / f"r{number}.vcf.gz", lines)
        result = ingest(
            db, tmp_path, keys, [path], institution=INSTITUTION, collection=codes[number]
        )
        group = open_store(tmp_path / result.location)
        assert group["variant_position"][:].tolist() == [r[1] for r in records]
        width = group["variant_allele"].shape[1]
        for index, (_contig, _position, alleles, calls) in enumerate(records):
            stored = [str(a) for a in group["variant_allele"][index]]
            assert stored == alleles + [""] * (width - len(alleles))
            assert group["call_genotype"][index].tolist() == [_expected(c) for c in calls]
            phased = [("|" in c) for c in calls]
            diploid = ["/" in c or "|" in c for c in calls]
            stored_phase = group["call_genotype_phased"][index].tolist()
            assert [p for p, d in zip(stored_phase, diploid, strict=True) if d] == [
                p for p, d in zip(phased, diploid, strict=True) if d
            ]
        report = verify_store(db, tmp_path, keys, institution=INSTITUTION, collection=codes[number])
        assert report.ok, report.problems

    round_trip()
