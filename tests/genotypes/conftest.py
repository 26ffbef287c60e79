"""Registry holdings for genotype tests: an institution, a collection and its samples."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.registry.importer import import_files
from tests.conftest import EXAMPLES

INSTITUTION = "BJ-H001"


def register(
    db: Database,
    keys: NodeKeys,
    folder: Path,
    samples: Sequence[str],
    *,
    collections: Sequence[str] = ("COL-GT",),
    sexes: Sequence[str] | None = None,
    populations: Sequence[str] | None = None,
) -> None:
    """Register the example institution, ``collections`` and one donor per sample code."""
    folder.mkdir(parents=True, exist_ok=True)
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    files = {name: folder / f"{name}.csv" for name in ("collections", "donors", "samples")}
    with files["collections"].open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["collection_id", "name", "material_types", "data_categories"])
        for code in collections:
            out.writerow([code, f"Genotyped cohort {code}", "dna", "genotype_array"])
    with files["donors"].open("w", newline="") as d, files["samples"].open("w", newline="") as s:
        donors, rows = csv.writer(d), csv.writer(s)
        donors.writerow(["donor_id", "sex", "birth_year", "residence_region", "population"])
        rows.writerow(["sample_id", "donor_id", "material_type", "collection_id"])
        for i, code in enumerate(samples):
            sex = sexes[i] if sexes else "unknown"
            population = populations[i] if populations else "Han"
            donors.writerow([f"D-{code}", sex, 1970, "110000", population])
            rows.writerow([code, f"D-{code}", "dna", collections[0]])
    import_files(db, keys, list(files.values()), institution=INSTITUTION)
