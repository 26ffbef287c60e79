"""``hgr survey`` end to end on one node, and every command with broken input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.cli.conftest import hgr, hgr_lines

ANSWERS = {
    "foreign_cooperation_projects": 1,
    "information_provided_abroad": 0,
    "specific_region_resources": False,
    "foreign_partners": [{"name": "Example University", "country": "GB"}],
}


@pytest.fixture
def node(examples_node: Path) -> Path:
    """The examples' node with cycle 2025 open."""
    code, output = hgr(examples_node, "survey", "open", "2025", "--reference-date", "2025-12-31")
    assert code == 0, output
    return examples_node


def test_a_whole_cycle_on_one_node(node: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(ANSWERS))
    draft = tmp_path / "draft.json"
    code, output = hgr(
        node, "survey", "draft", "--cycle", "2025", "--answers", str(answers), "-o", str(draft)
    )
    assert code == 0, output
    assert "6 donors" in output
    assert "W_SURVEY_NO_CONSENT" in output
    code, output = hgr(node, "survey", "submit", str(draft))
    assert code == 0, output
    assert "version 1" in output, output
    code, output = hgr(node, "survey", "status", "--cycle", "2025", "--province", "110000")
    assert code == 0, output
    assert "BJ-H001" in output, output
    status = ["survey", "status", "--cycle", "2025", "--province", "110000"]
    returns = [json.loads(line) for line in hgr_lines(node, *status, "--json")]
    assert "BJ-H001" in {r["institution"] for r in returns}
    assert all(isinstance(r["problems"], list) for r in returns)
    assert hgr_lines(node, *status, "--tsv")[0].split("\t") == [
        "institution",
        "name",
        "state",
        "version",
        "received",
        "problems",
    ]
    for args in (["--province", "110000"], []):
        code, output = hgr(node, "survey", "compile", "--cycle", "2025", *args)
        assert code == 0, output
    package = tmp_path / "package.json"
    code, output = hgr(
        node, "survey", "export", "--cycle", "2025", "--province", "110000", "-o", str(package)
    )
    assert code == 0, output
    assert json.loads(package.read_text())["returns"], output
    code, output = hgr(node, "survey", "verify", "--cycle", "2025")
    assert code == 0, output
    assert "4 survey document(s) verify" in output, output
    tables = tmp_path / "tables"
    # Nothing is published before the nation signs an edition off, and not while a province
    # with registered institutions (SH-C001's 310000) is left out unless named.
    code, output = hgr(node, "survey", "tables", "--cycle", "2025", "-o", str(tables))
    assert code == 1, output
    assert "E_SURVEY_NO_EDITIONS" in output, output
    code, output = hgr(node, "survey", "sign-off", "--cycle", "2025")
    assert code == 1, output
    assert "E_SURVEY_INCOMPLETE" in output, output
    assert "310000" in output, output
    code, output = hgr(node, "survey", "sign-off", "--cycle", "2025", "--without", "310000")
    assert code == 0, output
    code, output = hgr(node, "survey", "tables", "--cycle", "2025", "-o", str(tables))
    assert code == 0, output
    with (tables / "samples_by_material.csv").open() as handle:
        rows = {row["unit"]: row for row in csv.DictReader(handle)}
    # Each column says what it counts; seven samples in three small materials: all hidden.
    assert rows["nation"]["dna (samples)"] == "x"
    assert rows["nation"]["total (samples)"] == "x"
    metadata = json.loads((tables / "tables.json").read_text())
    described = {t["url"]: t for t in metadata["tables"]}
    column = described["samples_by_material.csv"]["tableSchema"]["columns"][1]
    assert (column["dc:description"], column["null"]) == ("samples", "x")


def test_broken_inputs_are_refused_with_a_clear_error(node: Path, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]")
    draft = tmp_path / "draft.json"
    cases = [
        (
            ["survey", "draft", "--cycle", "2025", "--answers", str(garbage), "-o", str(draft)],
            "cannot read the form answers",
        ),
        (
            ["survey", "draft", "--cycle", "2025", "--answers", str(listing), "-o", str(draft)],
            "must be a JSON object",
        ),
        (["survey", "draft", "--cycle", "1999", "-o", str(draft)], "no survey cycle '1999'"),
        (["survey", "submit", str(listing)], "not a draft return"),
        (["survey", "receive", str(listing)], "a package is an object"),
        (["survey", "receive", str(garbage)], "cannot read the package"),
        (
            [
                "survey",
                "open",
                "2030",
                "--reference-date",
                "2030-12-31",
                "--dictionary",
                str(listing),
            ],
            "the data dictionary is not valid",
        ),
        (["survey", "open", "2025", "--reference-date", "2025-12-31"], "already open"),
        (["survey", "compile", "--cycle", "2025"], "no province has submitted"),
        (["survey", "status", "--cycle", "2025", "--province", "999999"], "no region"),
        (
            [
                "survey",
                "trust",
                "--level",
                "province",
                "--subject",
                "110000",
                "--key",
                str(garbage),
                "--signer",
                "x",
            ],
            "not a PEM public key",
        ),
    ]
    for args, message in cases:
        code, output = hgr(node, *args)
        assert code == 1, (args, output)
        assert message in output, (args, output)
    assert not draft.exists()


def test_a_draft_with_errors_is_not_signed(node: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draft.json"
    code, output = hgr(node, "survey", "draft", "--cycle", "2025", "-o", str(draft))
    assert code == 0, output
    assert "must be corrected" in output, output  # the form is unanswered, output
    code, output = hgr(node, "survey", "submit", str(draft))
    assert code == 1, output
    assert "nothing was signed" in output, output
    code, output = hgr(node, "survey", "verify")
    assert "1 survey document(s) verify" in output  # the cycle's definition alone
