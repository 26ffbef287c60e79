"""Import 100,000 donors, 200,000 samples and 100,000 consents from CSV templates.

Target (issue: registry foundation): under 60 s on SQLite and on PostgreSQL on a 2-core
machine, peak memory under 1 GB. Each database runs in a child process so that its peak
resident memory is measured alone. Prints seconds and peak MiB per database, and the
throughput of a re-import (which must change nothing).

    python benchmarks/bench_import.py [--donors N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from scratch import DEFAULT_POSTGRES, postgres_schema

TARGET_SECONDS = 60.0
TARGET_MIB = 1024.0


def write_templates(folder: Path, donors: int) -> list[Path]:
    sha = hashlib.sha256(b"consent form v1").hexdigest()
    provinces = ["110000", "310000", "440000", "510000"]
    paths = []
    with (folder / "institutions.csv").open("w", newline="") as h:
        w = csv.writer(h)
        w.writerow(["code", "name", "kind", "legal_person_id", "country", "region_code", "control"])
        w.writerow(
            [
                "BENCH",
                "Benchmark biobank",
                "biobank",
                "121100004000000014",
                "CN",
                "110000",
                "domestic",
            ]
        )
    with (folder / "collections.csv").open("w", newline="") as h:
        w = csv.writer(h)
        w.writerow(["collection_id", "name", "material_types", "duo_codes"])
        w.writerow(["C1", "Cohort", "whole_blood;dna", "GRU"])
    with (folder / "donors.csv").open("w", newline="") as h:
        w = csv.writer(h)
        w.writerow(["donor_id", "sex", "birth_year", "residence_region", "population", "diagnoses"])
        for i in range(donors):
            w.writerow(
                [
                    f"D{i:08d}",
                    "male" if i % 2 else "female",
                    1930 + i % 70,
                    provinces[i % 4],
                    "Han",
                    "ICD10:E11" if i % 10 == 0 else "",
                ]
            )
    with (folder / "samples.csv").open("w", newline="") as h:
        w = csv.writer(h)
        w.writerow(["sample_id", "donor_id", "material_type", "collection_id", "collection_date"])
        for i in range(donors):
            for s, material in enumerate(("whole_blood", "dna")):
                w.writerow([f"S{i:08d}-{s}", f"D{i:08d}", material, "C1", "2020-05-01"])
    with (folder / "consents.csv").open("w", newline="") as h:
        w = csv.writer(h)
        w.writerow(
            [
                "donor_id",
                "document_version",
                "document_sha256",
                "signed_on",
                "permission",
                "status",
                "withdrawn_on",
            ]
        )
        for i in range(donors):
            withdrawn = i % 50 == 0
            w.writerow(
                [
                    f"D{i:08d}",
                    "v1",
                    sha,
                    "2020-05-01",
                    "GRU",
                    "withdrawn" if withdrawn else "active",
                    "2024-01-01" if withdrawn else "",
                ]
            )
    for name in ("collections", "donors", "samples", "consents"):
        paths.append(folder / f"{name}.csv")
    return paths


def child(url: str, folder: Path) -> None:
    from hgr.crypto import create_node_keys
    from hgr.db import Database, upgrade_schema
    from hgr.registry.importer import import_files
    from hgr.registry.regions import default_region_file, load_regions

    upgrade_schema(url)
    db = Database(url)
    keys = create_node_keys(folder / f"keys-{uuid.uuid4().hex[:6]}")
    db.seal_with(keys.record_key())  # as the node opens it: regions are sealed rows too
    load_regions(db, default_region_file())
    import_files(db, keys, [folder / "institutions.csv"])
    paths = sorted(folder.glob("*.csv"))
    paths = [p for p in paths if p.name != "institutions.csv"]
    start = time.perf_counter()
    result = import_files(db, keys, paths, institution="BENCH")
    first = time.perf_counter() - start
    start = time.perf_counter()
    again = import_files(db, keys, paths, institution="BENCH")
    second = time.perf_counter() - start
    assert not again.changed, "re-import changed something"
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{first:.2f} {second:.2f} {peak_mib:.0f} {result.changes['samples'].inserted}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--donors", type=int, default=100_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--child", nargs=2, metavar=("URL", "DIR"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory() as tmp, postgres_schema(args.postgres) as (pg, _, _):
        folder = Path(tmp)
        write_templates(folder, args.donors)
        targets = {"sqlite": f"sqlite:///{folder / 'bench.sqlite'}", "postgresql": pg}
        print(
            f"import of {args.donors:,} donors, {2 * args.donors:,} samples, "
            f"{args.donors:,} consents from CSV templates (one transaction)"
        )
        print(f"{'database':<12}{'first s':>10}{'re-import s':>13}{'peak MiB':>10}{'target':>22}")
        for name, url in targets.items():
            out = subprocess.run(
                [sys.executable, __file__, "--child", url, str(folder)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            first, second, peak = float(out[0]), float(out[1]), float(out[2])
            verdict = "ok" if first < TARGET_SECONDS and peak < TARGET_MIB else "MISSED"
            print(
                f"{name:<12}{first:>10.1f}{second:>13.1f}{peak:>10.0f}"
                f"{'< 60 s, < 1024 MiB ' + verdict:>22}"
            )


if __name__ == "__main__":
    main()
