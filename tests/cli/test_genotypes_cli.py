"""``hgr genotypes`` end to end: ingest, verify, and a refused file."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from crypt4gh.keys import c4gh
from typer.testing import CliRunner

from hgr.cli.main import app
from tests.conftest import EXAMPLES
from tests.genotypes.vcfs import SAMPLES, good_vcf, header, record, write

runner = CliRunner()


def _node(tmp_path: Path) -> Path:
    node = tmp_path / "node"
    assert runner.invoke(app, ["init", str(node), "--institution", "BJ-H001"]).exit_code == 0
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "collections.csv").write_text(
        "collection_id,name,material_types,data_categories\nCOL-GT,Array cohort,dna,"
        "genotype_array\n"
    )
    (templates / "donors.csv").write_text(
        "donor_id,sex\n" + "".join(f"D-{s},female\n" for s in SAMPLES)
    )
    (templates / "samples.csv").write_text(
        "sample_id,donor_id,material_type,collection_id\n"
        + "".join(f"{s},D-{s},dna,COL-GT\n" for s in SAMPLES)
    )
    for args in (
        [str(EXAMPLES / "institutions.csv")],
        [str(p) for p in sorted(templates.iterdir())],
    ):
        result = runner.invoke(app, ["import", *args, "--home", str(node)])
        assert result.exit_code == 0, result.output
    return node


def test_ingest_then_verify(tmp_path: Path) -> None:
    node = _node(tmp_path)
    vcf = good_vcf(tmp_path / "batch1.vcf.gz")
    done = runner.invoke(
        app,
        ["genotypes", "ingest", str(vcf), "-c", "COL-GT", "--workers", "0", "--home", str(node)],
    )
    assert done.exit_code == 0, done.output
    assert "store version 1, 3 samples × 4 variants (4 new), GRCh37" in done.output
    checked = runner.invoke(app, ["genotypes", "verify", "-c", "COL-GT", "--home", str(node)])
    assert checked.exit_code == 0, checked.output
    assert "matches its source files" in checked.output
    qc = runner.invoke(app, ["genotypes", "qc", "-c", "COL-GT", "--home", str(node)])
    assert qc.exit_code == 0, qc.output
    assert "1 of 3 flagged" in qc.output  # S2 misses one call in four
    every = runner.invoke(
        app, ["genotypes", "qc", "-c", "COL-GT", "--all", "--json", "--home", str(node)]
    )
    rows = [json.loads(line) for line in every.output.splitlines()]
    assert [row["sample"] for row in rows] == list(SAMPLES)
    public = tmp_path / "recipient.pub"
    with contextlib.redirect_stderr(io.StringIO()):
        c4gh.generate(str(tmp_path / "recipient.sec"), str(public), None, b"r")
    exported = runner.invoke(
        app,
        [
            "genotypes",
            "export-raw",
            "-c",
            "COL-GT",
            "--public-key",
            str(public),
            "--out",
            str(tmp_path / "out"),
            "--home",
            str(node),
        ],
    )
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "out" / "batch1.vcf.gz.c4gh").is_file()


def test_a_refused_file_exits_1_naming_the_line(tmp_path: Path) -> None:
    node = _node(tmp_path)
    bad = write(tmp_path / "bad.vcf", [*header(), record("1", 5, ["0/1/2", "0/0", "0/0"])])
    failed = runner.invoke(
        app, ["genotypes", "ingest", str(bad), "-c", "COL-GT", "--home", str(node)]
    )
    assert failed.exit_code == 1
    assert f"error: {bad}:7: wrong ploidy" in failed.stderr
    assert "(E_VCF_PLOIDY)" in failed.stderr
    missing = runner.invoke(app, ["genotypes", "verify", "-c", "COL-GT", "--home", str(node)])
    assert missing.exit_code == 1
    assert "(E_NO_GENOTYPES)" in missing.stderr


def test_qc_for_scripts(tmp_path: Path) -> None:
    """--json and --tsv on `hgr genotypes qc`: a line per sample (every one with --all, else
    the flagged), the values unrounded, the TSV under its header."""
    node = _node(tmp_path)
    vcf = good_vcf(tmp_path / "batch1.vcf.gz")
    ingest = ["genotypes", "ingest", str(vcf), "-c", "COL-GT", "--workers", "0"]
    assert runner.invoke(app, [*ingest, "--home", str(node)]).exit_code == 0
    qc = ["genotypes", "qc", "-c", "COL-GT", "--home", str(node)]
    every = runner.invoke(app, [*qc, "--all", "--json"])
    rows = [json.loads(line) for line in every.output.splitlines()]
    assert [row["sample"] for row in rows] == list(SAMPLES)
    header, *lines = runner.invoke(app, [*qc, "--all", "--tsv"]).output.splitlines()
    columns = header.split("\t")
    assert columns[:2] == ["sample", "call_rate"]
    assert "flags" in columns
    parsed = [dict(zip(columns, line.split("\t"), strict=True)) for line in lines]
    assert [r["sample"] for r in parsed] == list(SAMPLES)
    assert [float(r["call_rate"]) for r in parsed] == [row["call_rate"] for row in rows]
    (flagged,) = runner.invoke(app, [*qc, "--tsv"]).output.splitlines()[1:]
    assert flagged.split("\t")[0] == "S2"  # it misses one call in four
    both = runner.invoke(app, [*qc, "--json", "--tsv"])
    assert both.exit_code == 1
    assert "E_USAGE" in both.output
