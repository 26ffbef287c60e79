"""``hgr relate`` end to end: real files, the output tables, and bad input that writes nothing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hgr.cli.main import app
from tests.conftest import shared
from tests.genotypes.test_plink import write_plink
from tests.genotypes.vcfs import good_vcf, header, record, write
from tests.relatedness.families import write_family_cohort

runner = CliRunner()


def _invoke(*args: object) -> object:
    return runner.invoke(app, ["relate", *(str(a) for a in args)])


def test_giab_trio_with_its_pedigree(tmp_path: Path) -> None:
    folder = shared("giab_trio")
    out = tmp_path / "giab"
    result = _invoke(
        folder / "ashk-trio.vcf.gz",
        "--ped",
        folder / "ashk-trio.ped",
        "--out",
        out,
        "--min-kinship",
        "-1",
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    lines = Path(f"{out}.pairs.tsv").read_text().splitlines()
    assert lines[0].split("\t") == [
        "sample_a",
        "sample_b",
        "kinship",
        "ibs0",
        "n_sites",
        "relationship",
    ]
    rows = {frozenset(r.split("\t")[:2]): r.split("\t") for r in lines[1:]}
    assert len(rows) == 3
    for parent in ("HG003", "HG004"):
        row = rows[frozenset(("HG002", parent))]
        assert abs(float(row[2]) - 0.25) < 0.02
        assert row[5] == "parent-offspring"
    assert rows[frozenset(("HG003", "HG004"))][5] == "unrelated"
    page = Path(f"{out}.html").read_text()
    assert "<h1>Relatedness: ashk-trio.vcf.gz</h1>" in page
    assert page.count('r="2.5"') == 3  # every pair drawn
    assert page.count('r="6"') == 3  # each declared in the PED, ringed
    pedigree = Path(f"{out}.pedigree.tsv").read_text().splitlines()
    assert pedigree[0].split("\t") == [
        "family",
        "sample_a",
        "sample_b",
        "declared",
        "inferred",
        "kinship",
        "ibs0",
        "status",
    ]
    assert [line.split("\t")[-1] for line in pedigree[1:]] == ["ok", "ok", "ok"]
    document = json.loads(Path(f"{out}.pedigree.json").read_text())
    (trio,) = document["families"][0]["trios"]
    assert trio["child"] == "HG002"
    assert trio["rate"] < 0.01
    assert "<table>" in Path(f"{out}.pedigree.html").read_text()


def test_thousand_genomes_chromosome_files_together(tmp_path: Path) -> None:
    folder = shared("1kg_phase3_subset", "vcf")
    files = sorted(folder.glob("1KG_phase3_subset_chr[0-9]*.vcf.gz"))
    out = tmp_path / "kg"
    result = _invoke(*files, "--out", out, "--threads", "2")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    rows = [line.split("\t") for line in Path(f"{out}.pairs.tsv").read_text().splitlines()[1:]]
    first = [r for r in rows if r[5] in {"parent-offspring", "full-siblings"}]
    assert len(first) == 9
    assert all(r[4] == "22220" for r in rows)
    assert "22,220 autosomal biallelic SNVs" in result.output  # type: ignore[attr-defined]


def test_flags_of_a_planted_cohort_reach_the_tables(tmp_path: Path) -> None:
    vcf, ped = write_family_cohort(tmp_path, sites_per_chromosome=200)
    result = _invoke(vcf, "--ped", ped, "--out", tmp_path / "c")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "sample-swap" in result.output  # type: ignore[attr-defined]
    table = Path(f"{tmp_path / 'c'}.pedigree.tsv").read_text()
    assert "B\tB-K2\tB-UF\tparent-offspring\tunrelated\t" in table


def test_a_plink_fileset_gives_the_vcf_answer(tmp_path: Path) -> None:
    vcf, _ped = write_family_cohort(tmp_path, sites_per_chromosome=60)
    from hgr.relatedness.readers import read_genotype_files

    packed, _ = read_genotype_files([vcf])
    dosages = packed.dosages()
    variants = [
        (str(1 + k // 60), 1000 + k, "G", "A", [None if d < 0 else int(d) for d in row])
        for k, row in enumerate(dosages.tolist())
    ]
    write_plink(tmp_path / "c", packed.samples, variants)
    assert _invoke(vcf, "--out", tmp_path / "v", "--min-kinship", "-1").exit_code == 0  # type: ignore[attr-defined]
    assert _invoke(tmp_path / "c", "--out", tmp_path / "p", "--min-kinship", "-1").exit_code == 0  # type: ignore[attr-defined]
    assert (
        Path(f"{tmp_path / 'v'}.pairs.tsv").read_text()
        == Path(f"{tmp_path / 'p'}.pairs.tsv").read_text()
    )


def _truncated(folder: Path) -> list[Path]:
    vcf = good_vcf(folder / "t.vcf.gz", compress="gzip")
    data = vcf.read_bytes()
    vcf.write_bytes(data[: len(data) // 2])
    return [vcf]


def _malformed(folder: Path) -> list[Path]:
    lines = [*header(), record("1", 100, ["0/1", "1/1"])]  # a column short
    return [write(folder / "m.vcf", lines, compress="none")]


def _different_samples(folder: Path) -> list[Path]:
    return [good_vcf(folder / "a.vcf.gz"), good_vcf(folder / "b.vcf.gz", samples=("S1", "S2", "X"))]


def _no_autosomal_snv(folder: Path) -> list[Path]:
    lines = [*header(), record("X", 3_000_000, ["0/1", "1/1", "0/0"])]
    return [write(folder / "x.vcf.gz", lines)]


def _one_sample(folder: Path) -> list[Path]:
    lines = [*header(("S1",)), record("1", 100, ["0/1"])]
    return [write(folder / "one.vcf.gz", lines)]


def _missing(folder: Path) -> list[Path]:
    return [folder / "absent.vcf.gz"]


def _not_gzip_inside(folder: Path) -> list[Path]:
    path = folder / "junk.vcf.gz"
    path.write_bytes(gzip.compress(b"this is not a vcf\n"))
    return [path]


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (_truncated, "E_TRUNCATED"),
        (_malformed, "E_VCF_MALFORMED"),
        (_different_samples, "E_RELATE_SAMPLES"),
        (_no_autosomal_snv, "E_RELATE_NO_SITES"),
        (_one_sample, "E_RELATE_SAMPLES"),
        (_missing, "E_NO_FILE"),
        (_not_gzip_inside, "E_VCF_HEADER"),
    ],
)
def test_bad_genotype_files_are_named_and_write_nothing(
    tmp_path: Path, make: object, code: str
) -> None:
    files = make(tmp_path)  # type: ignore[operator]
    out = tmp_path / "out"
    result = _invoke(*files, "--out", out)
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert f"({code}" in result.output  # type: ignore[attr-defined]
    assert str(files[0]) in result.output or files[0].name in result.output  # type: ignore[attr-defined]
    assert not list(tmp_path.glob("out*"))


def test_a_bad_pedigree_stops_before_any_output(tmp_path: Path) -> None:
    vcf = good_vcf(tmp_path / "g.vcf.gz")
    bad = shared("ped", "ceph1463.bad.ped")
    result = _invoke(vcf, "--ped", bad, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "E_PED_INVALID" in result.output  # type: ignore[attr-defined]
    assert not list(tmp_path.glob("out*"))


def test_an_output_folder_that_does_not_exist(tmp_path: Path) -> None:
    vcf = good_vcf(tmp_path / "g.vcf.gz")
    result = _invoke(vcf, "--out", tmp_path / "nowhere" / "out")
    assert result.exit_code == 1
    assert "E_NO_FILE" in result.output  # type: ignore[attr-defined]


def test_a_bcf_gives_the_vcf_answer(tmp_path: Path) -> None:
    import pysam

    vcf, _ped = write_family_cohort(tmp_path, sites_per_chromosome=60)
    bcf = tmp_path / "cohort.bcf"
    with (
        pysam.VariantFile(str(vcf)) as source,
        pysam.VariantFile(str(bcf), "wb", header=source.header) as target,
    ):
        for record in source:
            target.write(record)
    assert _invoke(vcf, "--out", tmp_path / "v", "--min-kinship", "-1").exit_code == 0  # type: ignore[attr-defined]
    assert _invoke(bcf, "--out", tmp_path / "b", "--min-kinship", "-1").exit_code == 0  # type: ignore[attr-defined]
    assert (
        Path(f"{tmp_path / 'v'}.pairs.tsv").read_text()
        == Path(f"{tmp_path / 'b'}.pairs.tsv").read_text()
    )


def test_a_truncated_bed_is_named_and_writes_nothing(tmp_path: Path) -> None:
    prefix = write_plink(tmp_path / "p")
    bed = prefix.with_suffix(".bed")
    bed.write_bytes(bed.read_bytes()[:-1])
    result = _invoke(prefix, "--out", tmp_path / "out")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "(E_PLINK_BED)" in result.output  # type: ignore[attr-defined]
    assert not list(tmp_path.glob("out*"))


def test_the_default_device_and_the_cpu_write_the_same_tables(tmp_path: Path) -> None:
    # The default is the GPU where PyTorch sees one, else the CPU: the tables are the same.
    vcf, ped = write_family_cohort(tmp_path, sites_per_chromosome=100)
    assert _invoke(vcf, "--ped", ped, "--out", tmp_path / "a").exit_code == 0  # type: ignore[attr-defined]
    result = _invoke(vcf, "--ped", ped, "--out", tmp_path / "c", "--device", "cpu")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "kinship on the cpu" in result.output  # type: ignore[attr-defined]
    for suffix in (".pairs.tsv", ".pedigree.tsv"):
        assert (
            Path(f"{tmp_path / 'a'}{suffix}").read_text()
            == Path(f"{tmp_path / 'c'}{suffix}").read_text()
        )


@pytest.mark.parametrize(
    ("options", "code"),
    [
        (["--device", "gpu"], "E_NO_GPU"),
        (["--device", "tpu"], "E_USAGE"),
        (["--device", "gpu", "--scheduler", "tcp://127.0.0.1:9"], "E_USAGE"),
    ],
)
def test_a_device_that_cannot_be_used_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: list[str], code: str
) -> None:
    from hgr.relatedness import gpu

    monkeypatch.setattr(gpu, "cuda_available", lambda: False)
    vcf = good_vcf(tmp_path / "g.vcf.gz")
    result = _invoke(vcf, "--out", tmp_path / "out", *options)
    assert result.exit_code == 1
    assert code in result.output  # type: ignore[attr-defined]
    assert not list(tmp_path.glob("out*"))


KIN0 = "reference/king_plink2_autosomes_snps_min0.03.kin0"


def _autosomes() -> list[Path]:
    return sorted((shared("1kg_phase3_subset") / "vcf").glob("1KG_phase3_subset_chr[0-9]*.vcf.gz"))


def test_the_kin0_table_is_plink2s_own(tmp_path: Path) -> None:
    """--format kin0 writes what PLINK 2's --make-king-table wrote on the same 1000 Genomes
    files, byte for byte: scripts written for PLINK read it unchanged."""
    out = tmp_path / "kg"
    result = _invoke(*_autosomes(), "--out", out, "--min-kinship", "0.03", "--format", "kin0")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert not Path(f"{out}.pairs.tsv").exists()
    assert not Path(f"{out}.sexcheck.tsv").exists()  # no X among the files: no sex check
    assert Path(f"{out}.kin0").read_bytes() == (shared("1kg_phase3_subset") / KIN0).read_bytes()


def test_an_unknown_table_format_is_refused(tmp_path: Path) -> None:
    result = _invoke(*_autosomes()[:1], "--out", tmp_path / "x", "--format", "king")
    assert result.exit_code != 0
    assert "E_USAGE" in result.output  # type: ignore[attr-defined]
    assert list(tmp_path.iterdir()) == []


# Illumina's A/B (allele 1 coded A, allele 2 B) and PLINK's --allele1234 coding.
CODINGS = {"A/B": ("A", "B"), "1/2": ("1", "2")}


def _array_coded_fileset(prefix: Path, codes: tuple[str, str]) -> Path:
    """The 1000 Genomes subset's autosomal biallelic SNVs as a PLINK 1 fileset whose alleles
    are array codes, not bases (the genotypes unchanged)."""
    import cyvcf2
    import numpy as np

    samples: list[str] = []
    bim: list[str] = []
    planes = []
    # PLINK's 2-bit codes from cyvcf2's gt_types (0 hom-ref, 1 het, 2 unknown, 3 hom-alt),
    # allele 1 the alternate: hom-alt 00, missing 01, het 10, hom-ref 11.
    bed_code = np.array([0b11, 0b10, 0b01, 0b00], dtype=np.uint8)
    for path in _autosomes():
        vcf = cyvcf2.VCF(str(path), gts012=False)
        samples = list(vcf.samples)
        for v in vcf:
            alt = v.ALT[0] if v.ALT else "."
            if len(v.ALT) > 1 or len(v.REF) != 1 or len(alt) != 1 or v.REF not in "ACGT":
                continue
            if alt != "." and alt not in "ACGT":
                continue
            allele_1 = codes[0] if alt != "." else "0"
            bim.append(f"{v.CHROM}\t{v.ID or '.'}\t0\t{v.POS}\t{allele_1}\t{codes[1]}\n")
            planes.append(bed_code[v.gt_types])
        vcf.close()
    codes_by_site = np.stack(planes)
    padded = np.full((len(planes), -(-len(samples) // 4) * 4), 0b01, dtype=np.uint8)
    padded[:, : len(samples)] = codes_by_site
    quads = padded.reshape(len(planes), -1, 4)
    packed = quads[:, :, 0] | quads[:, :, 1] << 2 | quads[:, :, 2] << 4 | quads[:, :, 3] << 6
    # Family ids 0, so that PLINK 2 would write its table without family columns, as from a VCF.
    prefix.with_suffix(".fam").write_text("".join(f"0\t{s}\t0\t0\t0\t-9\n" for s in samples))
    prefix.with_suffix(".bim").write_text("".join(bim))
    prefix.with_suffix(".bed").write_bytes(b"\x6c\x1b\x01" + packed.astype(np.uint8).tobytes())
    return prefix


@pytest.mark.parametrize("coding", list(CODINGS))
def test_an_array_coded_fileset_gives_plink2s_kinship(tmp_path: Path, coding: str) -> None:
    """Kinship needs no allele letters, only one coding within the file: the same genotypes
    coded A/B or 1/2 give PLINK 2's table exactly (they were refused as 'not an SNV')."""
    prefix = _array_coded_fileset(tmp_path / "array", CODINGS[coding])
    out = tmp_path / "kg"
    result = _invoke(prefix, "--out", out, "--min-kinship", "0.03", "--format", "kin0")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "22,220 autosomal biallelic SNVs" in result.output  # type: ignore[attr-defined]
    assert Path(f"{out}.kin0").read_bytes() == (shared("1kg_phase3_subset") / KIN0).read_bytes()


def test_one_chromosome_is_warned_of_its_noise(tmp_path: Path) -> None:
    """One chromosome of the 1000 Genomes subset (1,010 SNVs) called tens of thousands of
    pairs related without a word: the run now says how few sites and how much noise."""
    chromosome = shared("1kg_phase3_subset") / "vcf" / "1KG_phase3_subset_chr22.vcf.gz"
    result = _invoke(chromosome, "--out", tmp_path / "one")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    output = " ".join(result.output.split())  # type: ignore[attr-defined]
    assert "warning: only 1,010 sites compared" in output
    assert "called duplicates by chance" in output


def test_a_declared_sex_that_chromosome_x_contradicts_is_flagged(tmp_path: Path) -> None:
    """HG00096 is a man (haploid on X): a PED that declares him a woman is a mismatch, in the
    sex check's table and in the report."""
    vcf = shared("1kg_phase3_subset") / "vcf"
    ped = tmp_path / "two.ped"
    ped.write_text("F1\tHG00096\t0\t0\t2\t-9\nF1\tHG00097\t0\t0\t2\t-9\n")
    out = tmp_path / "sex"
    files = [vcf / "1KG_phase3_subset_chr22.vcf.gz", vcf / "1KG_phase3_subset_chrX.vcf.gz"]
    result = _invoke(*files, "--ped", ped, "--out", out)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    rows = {
        line.split("\t")[0]: line.split("\t")
        for line in Path(f"{out}.sexcheck.tsv").read_text().splitlines()[1:]
    }
    header = Path(f"{out}.sexcheck.tsv").read_text().splitlines()[0].split("\t")
    assert header == [
        *("sample", "declared", "inferred", "status", "f", "x_sites"),
        *("het", "hom_alt", "het_ratio"),
    ]
    assert rows["HG00096"][1:4] == ["female", "male", "mismatch"]
    assert float(rows["HG00096"][4]) == 1.0
    assert rows["HG00096"][6] == "0"
    assert float(rows["HG00096"][8]) == 0.0
    assert rows["HG00099"][1:4] == ["", "female", "inferred"]
    page = Path(f"{out}.html").read_text()
    assert "<td>HG00096</td><td>female</td><td>male</td><td>mismatch</td>" in page


def test_a_filesets_family_ids_lead_the_kin0_table(tmp_path: Path) -> None:
    """PLINK 2 writes FID1 IID1 FID2 IID2 when a fileset's family ids are not all 0."""
    prefix = _array_coded_fileset(tmp_path / "array", CODINGS["A/B"])
    fam = prefix.with_suffix(".fam")
    fam.write_text(
        "".join(f"POP{n % 3}\t{line[2:]}\n" for n, line in enumerate(fam.read_text().splitlines()))
    )
    out = tmp_path / "kg"
    result = _invoke(prefix, "--out", out, "--min-kinship", "0.03", "--format", "kin0")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    family = {line.split("\t")[1]: line.split("\t")[0] for line in fam.read_text().splitlines()}
    ours = Path(f"{out}.kin0").read_text().splitlines()
    plink2 = (shared("1kg_phase3_subset") / KIN0).read_text().splitlines()
    assert ours[0] == "#FID1\tIID1\tFID2\tIID2\tNSNP\tHETHET\tIBS0\tKINSHIP"
    assert len(ours) == len(plink2)
    for mine, theirs in zip(ours[1:], plink2[1:], strict=True):
        a, b, *rest = theirs.split("\t")
        assert mine == "\t".join([family[a], a, family[b], b, *rest])


# PLINK 2's table for the files _with_missing_calls writes, made by
#   plink2 --vcf <the 22 files' records in one VCF> --snps-only just-acgt --max-alleles 2
#          --autosome --make-king-table --king-table-filter 0.03
# (PLINK v2.00a3.5, Debian's plink2; the same command gives the shared reference table
# byte for byte on the files as published).
MISSING_CALLS_KIN0 = Path(__file__).parent / "data" / "king_plink2_missing_calls_min0.03.kin0"


def _with_missing_calls(folder: Path, rate: float = 0.05, seed: int = 2026) -> list[Path]:
    """The 1000 Genomes subset's autosomes with a ``rate`` of the calls made missing
    (``./.``), chosen by one seeded generator across the 22 files in order."""
    import gzip

    import numpy as np

    rng = np.random.default_rng(seed)
    written = []
    for path in _autosomes_in_order():
        to = folder / path.name.removesuffix(".gz")
        with gzip.open(path, "rt") as source, to.open("w") as sink:
            for line in source:
                if line.startswith("#"):
                    sink.write(line)
                    continue
                fields = line.rstrip("\n").split("\t")
                calls = fields[9:]
                for i in np.flatnonzero(rng.random(len(calls)) < rate):
                    calls[i] = "./."
                sink.write("\t".join(fields[:9] + calls) + "\n")
        written.append(to)
    return written


def _autosomes_in_order() -> list[Path]:
    folder = shared("1kg_phase3_subset") / "vcf"
    return [folder / f"1KG_phase3_subset_chr{c}.vcf.gz" for c in range(1, 23)]


def test_the_kin0_table_with_missing_calls_is_plink2s_own(tmp_path: Path) -> None:
    """With 5% of the calls missing, each pair's NSNP counts only the sites both called,
    and HETHET, IBS0 and KINSHIP are PLINK 2's to the last digit."""
    files = _with_missing_calls(tmp_path)
    out = tmp_path / "kg"
    result = _invoke(*files, "--out", out, "--min-kinship", "0.03", "--format", "kin0")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    ours = Path(f"{out}.kin0").read_bytes()
    assert ours == MISSING_CALLS_KIN0.read_bytes()
    # The pairs do count different sites: the missing calls were read as missing.
    counts = {line.split(b"\t")[2] for line in ours.splitlines()[1:]}
    assert len(counts) > 100
    assert b"22220" not in counts
