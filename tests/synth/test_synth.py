"""The synthetic nation: reproducible, importable, and genetically consistent with its truth."""

from __future__ import annotations

import csv
import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.registry.importer import import_files
from hgr.synth import SynthConfig, synthesise_nation


@pytest.fixture(scope="module")
def nation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nation")
    synthesise_nation(out, SynthConfig(donors=150, seed=7, sites_per_chromosome=60))
    return out


def _genotypes(path: Path) -> dict[str, np.ndarray]:
    """Alternate allele counts on the autosomes (-1 where the call is missing)."""
    with gzip.open(path, "rt") as handle:
        rows = [
            line.rstrip("\n").split("\t")
            for line in handle
            if not line.startswith("##") and not line.startswith(("chrX", "chrY"))
        ]
    names = rows[0][9:]
    calls = np.array(
        [
            [-1 if "." in gt else sum(int(a) for a in gt.split("|")) for gt in r[9:]]
            for r in rows[1:]
        ]
    )
    return {name: calls[:, i] for i, name in enumerate(names)}


def test_same_seed_same_files(nation: Path, tmp_path: Path) -> None:
    synthesise_nation(tmp_path, SynthConfig(donors=150, seed=7, sites_per_chromosome=60))
    for path in nation.rglob("*.csv"):
        assert path.read_bytes() == (tmp_path / path.relative_to(nation)).read_bytes(), path


def test_every_institution_imports_cleanly(nation: Path, db: Database, keys: NodeKeys) -> None:
    import_files(db, keys, [nation / "institutions.csv"])
    folders = sorted((nation / "institutions").iterdir())
    for folder in folders:
        files = [p for p in folder.iterdir() if p.suffix in {".csv", ".ped"}]
        result = import_files(db, keys, files, institution=folder.name)
        assert result.report.ok
        assert not result.report.warnings


def test_truth_matches_genotypes(nation: Path) -> None:
    genotypes = {}
    for folder in (nation / "institutions").iterdir():
        for sample, gt in _genotypes(folder / "genotypes.vcf.gz").items():
            genotypes[(folder.name, sample.removesuffix("-S1"))] = gt
    with (nation / "truth" / "duplicates.tsv").open() as handle:
        duplicates = list(csv.DictReader(handle, delimiter="\t"))
    assert duplicates
    for row in duplicates:
        a = genotypes[(row["institution_a"], row["donor_a"])]
        b = genotypes[(row["institution_b"], row["donor_b"])]
        assert np.mean(a != b) < 0.02  # the same person, up to assay noise
    with (nation / "truth" / "relationships.tsv").open() as handle:
        pairs = [
            r
            for r in csv.DictReader(handle, delimiter="\t")
            if r["relationship"] == "parent-offspring"
        ]
    assert pairs
    for row in pairs:
        parent = genotypes[(row["institution"], row["donor_a"])]
        child = genotypes[(row["institution"], row["donor_b"])]
        # Parent and child always share an allele: no opposite homozygotes (IBS0 = 0).
        assert not np.any((parent == 0) & (child == 2) | (parent == 2) & (child == 0))
    unrelated = list(genotypes.values())
    opposite = np.mean(
        [(unrelated[0] == 0) & (unrelated[-1] == 2) | (unrelated[0] == 2) & (unrelated[-1] == 0)]
    )
    assert opposite > 0  # while unrelated people do have opposite homozygotes


def test_data_files_record_each_vcf_with_its_checksum(nation: Path) -> None:
    for folder in (nation / "institutions").iterdir():
        with (folder / "data_files.csv").open() as handle:
            rows = {r["location"]: r for r in csv.DictReader(handle)}
        vcf = folder / "genotypes.vcf.gz"
        row = rows[f"file:{vcf.name}"]
        assert row["kind"] == "vcf"
        assert int(row["size_bytes"]) == vcf.stat().st_size
        assert row["sha256"] == hashlib.sha256(vcf.read_bytes()).hexdigest()
