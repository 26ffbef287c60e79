"""Genotype ingestion against bcftools' parse time, on a simulated 5,000 × 100,000 VCF.

Target (issue: genotype store): ``hgr genotypes ingest`` with 2 workers takes at most 3× the
time of ``bcftools view -Ou -o /dev/null`` on the same bgzipped VCF, with peak memory under
4 GB. The VCF comes from ``hgr synth-cohort`` (msprime, seeded) and is kept under
build/bench between runs. Ingestion runs as the CLI in a child process; its peak resident
memory (and that of its largest worker) is read from the operating system.

    python benchmarks/bench_genotypes.py [--samples 5000] [--variants 100000]

Needs Debian's bcftools (``apt-get install bcftools``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 3.0
TARGET_MIB = 4096.0
ROOT = Path(__file__).resolve().parent.parent
HGR = Path(sys.executable).parent / "hgr"


_MEASURE = (
    "import resource, subprocess, sys; "
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def _cohort(samples: int, variants: int) -> Path:
    path = ROOT / "build" / "bench" / f"cohort-{samples}x{variants}.vcf.gz"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        subprocess.run(
            [
                str(HGR),
                "synth-cohort",
                str(path),
                "--samples",
                str(samples),
                "--variants",
                str(variants),
            ],
            check=True,
        )
        print(f"simulated {path.name} in {time.perf_counter() - started:.0f} s")
    return path


def _node(folder: Path, vcf: Path) -> Path:
    import gzip

    with gzip.open(vcf, "rt") as handle:
        samples = next(line for line in handle if line.startswith("#CHROM")).split()[9:]
    home = folder / "node"
    subprocess.run(
        [str(HGR), "init", str(home), "--institution", "BENCH"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    templates = folder / "templates"
    templates.mkdir()
    (templates / "institutions.csv").write_text(
        "code,name,kind,legal_person_id,country,region_code,control\n"
        "BENCH,Benchmark biobank,biobank,121100004000000014,CN,110000,domestic\n"
    )
    (templates / "collections.csv").write_text(
        "collection_id,name,material_types,data_categories\nGT,Cohort,dna,genotype_array\n"
    )
    with (templates / "donors.csv").open("w") as donors:
        donors.write("donor_id,sex,population\n")
        donors.writelines(
            f"D{s},{'female' if i % 2 else 'male'},Han\n" for i, s in enumerate(samples)
        )
    with (templates / "samples.csv").open("w") as rows:
        rows.write("sample_id,donor_id,material_type,collection_id\n")
        rows.writelines(f"{s},D{s},dna,GT\n" for s in samples)
    for batch in (["institutions.csv"], ["collections.csv", "donors.csv", "samples.csv"]):
        subprocess.run(
            [str(HGR), "import", *(str(templates / n) for n in batch), "--home", str(home)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return home


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=5_000)
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    bcftools = shutil.which("bcftools")
    if bcftools is None:
        print("skipped: Debian's bcftools is not installed (apt-get install bcftools)")
        return 0
    vcf = _cohort(args.samples, args.variants)
    size_mib = vcf.stat().st_size / 2**20

    started = time.perf_counter()
    subprocess.run([bcftools, "view", "-Ou", "-o", "/dev/null", str(vcf)], check=True)
    reference = time.perf_counter() - started

    with tempfile.TemporaryDirectory(prefix="hgr-bench-") as scratch:
        home = _node(Path(scratch), vcf)
        command = [
            str(HGR),
            "genotypes",
            "ingest",
            str(vcf),
            "--collection",
            "GT",
            "--workers",
            str(args.workers),
            "--home",
            str(home),
        ]
        started = time.perf_counter()
        # A wrapper process: its RUSAGE_CHILDREN covers the ingestion and its workers only.
        measured = subprocess.run(
            [sys.executable, "-c", _MEASURE, *command], check=True, capture_output=True, text=True
        )
        ingest = time.perf_counter() - started
        peak_mib = int(measured.stdout.strip().splitlines()[-1]) / 1024

    ratio = ingest / reference
    print(
        f"VCF: {args.samples:,} samples × {args.variants:,} variants, {size_mib:,.0f} MiB bgzipped"
    )
    print(f"bcftools view -Ou:                  {reference:8.1f} s")
    print(f"hgr genotypes ingest ({args.workers} workers):   {ingest:8.1f} s")
    print(
        f"ratio hgr / bcftools: {ratio:.2f} (target ≤ {TARGET_RATIO:.0f}) "
        f"{'ok' if ratio <= TARGET_RATIO else 'MISSED'}"
    )
    print(
        f"peak memory of one process: {peak_mib:,.0f} MiB (target < {TARGET_MIB:,.0f}) "
        f"{'ok' if peak_mib < TARGET_MIB else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
