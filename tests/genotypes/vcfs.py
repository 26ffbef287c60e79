"""Small VCFs written for tests, plain or BGZF-compressed."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path

import pysam

from hgr.genotypes.builds import CHROMOSOME_LENGTHS, GenomeBuild

SAMPLES = ("S1", "S2", "S3")


def header(
    samples: Sequence[str] = SAMPLES,
    *,
    build: GenomeBuild | None = GenomeBuild.GRCH37,
    contigs: Sequence[str] = ("1", "2", "X"),
) -> list[str]:
    lines = ["##fileformat=VCFv4.2"]
    for contig in contigs:
        if build is None:
            lines.append(f"##contig=<ID={contig}>")
        else:
            bare = contig.removeprefix("chr")
            lines.append(f"##contig=<ID={contig},length={CHROMOSOME_LENGTHS[build][bare]}>")
    lines.append('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">')
    lines.append(
        "\t".join(
            ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]
        )
    )
    return lines


def record(chrom: str, pos: int | str, calls: Sequence[str], ref: str = "A", alt: str = "G") -> str:
    return "\t".join([chrom, str(pos), ".", ref, alt, ".", "PASS", ".", "GT", *calls])


GOOD = [
    record("1", 100, ["0/1", "1/1", "0/0"]),
    record("1", 200, ["0/0", "./.", "0|1"], ref="C", alt="T"),
    record("2", 50, ["1|1", "0|1", "0|0"], ref="G", alt="A,T"),
    record("X", 3_000_000, ["0/1", "1", "0"]),
]


def write(path: Path, lines: Sequence[str], *, compress: str = "bgzf") -> Path:
    """Write ``lines`` as a VCF: ``compress`` is "bgzf", "gzip" or "none"."""
    text = "\n".join(lines) + "\n"
    if compress == "none":
        path.write_text(text)
    elif compress == "gzip":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        plain = path.with_name(path.name + ".txt")
        plain.write_text(text)
        pysam.tabix_compress(str(plain), str(path), force=True)
        plain.unlink()
    return path


def good_vcf(path: Path, samples: Sequence[str] = SAMPLES, **kwargs: object) -> Path:
    return write(path, [*header(samples), *GOOD], **kwargs)  # type: ignore[arg-type]
