"""Quality control at ingestion: sample flags, variant QC against PLINK 2, allele counts."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.genotypes.ingest import ingest
from hgr.genotypes.qc_report import qc_report
from hgr.genotypes.store import open_store
from tests.conftest import shared
from tests.genotypes.conftest import INSTITUTION, register
from tests.genotypes.test_hwe import _plink_rows
from tests.genotypes.vcfs import header, write

KG = ("1kg_phase3_subset",)


def _annotations() -> dict[str, dict[str, str]]:
    with shared(*KG, "samples_annot.tsv").open() as handle:
        return {row["sample.id"]: row for row in csv.DictReader(handle, delimiter="\t")}


def test_real_data_qc_and_allele_counts(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    files = [shared(*KG, "vcf", f"1KG_phase3_subset_chr{c}.vcf.gz") for c in ("22", "X")]
    annotations = _annotations()
    samples = list(annotations)
    sexes = [{"M": "male", "F": "female"}[annotations[s]["sex"]] for s in samples]
    populations = [annotations[s]["Population"] for s in samples]
    register(db, keys, tmp_path / "t", samples, sexes=sexes, populations=populations)
    result = ingest(db, tmp_path, keys, files, institution=INSTITUTION, collection="COL-GT")
    report = qc_report(db, institution=INSTITUTION, collection="COL-GT")
    by_sample = {row["sample"]: row for row in report.samples}

    males = [s for s, sex in zip(samples, sexes, strict=True) if sex == "male"]
    assert all(by_sample[s]["inferred_sex"] == "male" for s in males)
    assert all(by_sample[s]["x_f"] == pytest.approx(1.0) for s in males)
    # F against frequencies pooled over 12 populations called 346 of the 575 women female,
    # and there is no chrY to speak for the rest; the heterozygous ratio calls them
    # (hgr.genotypes.sex).
    women = [s for s, sex in zip(samples, sexes, strict=True) if sex == "female"]
    assert sum(by_sample[s]["inferred_sex"] == "female" for s in women) == 573  # of 575
    assert all(row["call_rate"] == 1.0 for row in report.samples)  # the release has no gaps
    flagged = {row["sample"]: row["flags"] for row in report.flagged}
    # Real data raise few flags: no gaps, and a handful of outliers among 12 populations.
    assert {f for flags in flagged.values() for f in flags} <= {
        "sex_mismatch",
        "heterozygosity_outlier",
    }
    assert len(flagged) <= 5  # 3 SD flags about 0.3% of 1,126 by chance alone
    assert 2.0 < np.median([row["ti_tv"] for row in report.samples]) < 3.0

    group = open_store(tmp_path / result.location)
    positions = group["variant_position"][:]
    chr22 = group["variant_contig"][:] == list(group["contig_id"][:]).index("22")
    index = {int(p): i for i, p in zip(np.flatnonzero(chr22), positions[chr22], strict=True)}
    counts, hwe = group["variant_allele_count"][:], group["variant_hwe_p_value"][:]
    plink = [r for r in _plink_rows() if int(r["POS"]) in index]
    assert len(plink) > 1000
    for row in plink:
        i = index[int(row["POS"])]
        assert counts[i, 1] == int(row["HET"]) + 2 * int(row["HOM_ALT"]), row
        assert hwe[i] == pytest.approx(float(row["P"]), rel=5e-6), row
    assert report.variant_counts["hwe_tested"] == int((~np.isnan(hwe)).sum())

    ids = [str(p) for p in group["population_id"][:]]
    assert ids == sorted(set(populations))
    by_population = group["population_allele_total"][:]
    np.testing.assert_array_equal(by_population.sum(axis=1), group["variant_allele_total"][:])
    np.testing.assert_array_equal(group["population_allele_count"][:].sum(axis=1), counts)
    yri = ids.index("YRI")
    assert by_population[0, yri] == 2 * populations.count("YRI")
    assert [str(r) for r in group["region_id"][:]] == ["110000"]


def _synthetic(tmp_path: Path, rng: np.random.Generator) -> tuple[Path, list[str], list[str]]:
    """40 samples; S00 has 20% missing calls, S01 is heterozygous everywhere, S02 is
    declared female but hemizygous on chrX, like the males S20-S39."""
    samples = [f"S{i:02d}" for i in range(40)]
    sexes = ["female"] * 20 + ["male"] * 20
    lines = header(samples, contigs=("1", "X"))
    for pos in range(1_000, 301_000, 1_000):
        p = rng.uniform(0.1, 0.5)
        calls = [f"{int(rng.random() < p)}/{int(rng.random() < p)}" for _ in samples]
        calls[1] = "0/1"
        if rng.random() < 0.2:
            calls[0] = "./."
        lines.append("\t".join(["1", str(pos), ".", "A", "G", ".", "PASS", ".", "GT", *calls]))
    for pos in range(3_000_000, 3_200_000, 2_000):
        p = rng.uniform(0.2, 0.5)
        calls = [
            f"{int(rng.random() < p)}"
            if i >= 20 or i == 2
            else f"{int(rng.random() < p)}/{int(rng.random() < p)}"
            for i in range(40)
        ]
        lines.append("\t".join(["X", str(pos), ".", "C", "A", ".", "PASS", ".", "GT", *calls]))
    return write(tmp_path / "cohort.vcf.gz", lines), samples, sexes


def test_planted_problems_are_flagged_and_nothing_else(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    path, samples, sexes = _synthetic(tmp_path, np.random.default_rng(7))
    register(db, keys, tmp_path / "t", samples, sexes=sexes)
    ingest(db, tmp_path, keys, [path], institution=INSTITUTION, collection="COL-GT")
    report = qc_report(db, institution=INSTITUTION, collection="COL-GT")
    flagged = {row["sample"]: row["flags"] for row in report.flagged}
    assert flagged == {
        "S00": ["low_call_rate"],
        "S01": ["heterozygosity_outlier"],
        "S02": ["sex_mismatch"],
    }
    rows = {row["sample"]: row for row in report.samples}
    assert rows["S02"]["inferred_sex"] == "male"
    assert rows["S03"]["inferred_sex"] == "female"
    assert rows["S30"]["inferred_sex"] == "male"
    assert rows["S03"]["ti_tv"] > 0  # A>G on chr1 are transitions, C>A on chrX transversions


def test_no_sex_evidence_means_unknown(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    register(db, keys, tmp_path / "t", ["S1", "S2", "S3"], sexes=["male", "female", "male"])
    lines = [
        *header(),
        "\t".join(["1", "100", ".", "A", "G", ".", "PASS", ".", "GT", "0/1", "1/1", "0/0"]),
    ]
    ingest(
        db,
        tmp_path,
        keys,
        [write(tmp_path / "a.vcf.gz", lines)],
        institution=INSTITUTION,
        collection="COL-GT",
    )
    report = qc_report(db, institution=INSTITUTION, collection="COL-GT")
    assert {row["inferred_sex"] for row in report.samples} == {"unknown"}
    assert report.flagged == []
    assert report.variant_counts["variants"] == 1


def test_qc_finds_what_synth_planted(sqlite_db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    """End to end over a synthetic nation, on SQLite: QC reads the stores, and the database
    work of ingestion and reports runs on both databases in the tests above."""
    from hgr.registry.importer import import_files

    db = sqlite_db
    from hgr.synth import SynthConfig, synthesise_nation

    nation = tmp_path / "nation"
    synthesise_nation(nation, SynthConfig(donors=300, seed=11, sites_per_chromosome=80))
    import_files(db, keys, [nation / "institutions.csv"])
    flagged: dict[tuple[str, str], list[str]] = {}
    for folder in sorted((nation / "institutions").iterdir()):
        files = [p for p in folder.iterdir() if p.suffix in {".csv", ".ped"}]
        import_files(db, keys, files, institution=folder.name)
        ingest(
            db,
            tmp_path,
            keys,
            [folder / "genotypes.vcf.gz"],
            institution=folder.name,
            collection=f"{folder.name}-POP",
        )
        report = qc_report(db, institution=folder.name, collection=f"{folder.name}-POP")
        flagged.update({(folder.name, row["sample"]): row["flags"] for row in report.flagged})
    with (nation / "truth" / "planted.tsv").open() as handle:
        planted = list(csv.DictReader(handle, delimiter="\t"))
    expected = {
        (row["institution"], row["sample_id"]): [
            {"sex_mismatch": "sex_mismatch", "low_quality": "low_call_rate"}[row["kind"]]
        ]
        for row in planted
        if row["kind"] != "sample_swap"  # same-sex swaps are for the relatedness checks
    }
    assert {k for k, v in expected.items() if v == ["sex_mismatch"]}
    assert {k for k, v in expected.items() if v == ["low_call_rate"]}
    assert flagged == expected
