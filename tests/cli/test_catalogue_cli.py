"""``hgr catalogue`` end to end, and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import hgr, hgr_lines


@pytest.fixture
def node(examples_node: Path) -> Path:
    return examples_node


def test_declare_review_register_export(node: Path, tmp_path: Path) -> None:
    code, output = hgr(node, "catalogue", "declare", "HD-001")
    assert code == 0, output
    assert "affected in 3 generation(s)" in output
    assert "criteria met" in output
    code, output = hgr(node, "catalogue", "review", "HD-001", "-i", "BJ-H001", "--approve")
    assert code == 0, output
    code, output = hgr(node, "catalogue", "register", "HD-001", "-i", "BJ-H001")
    assert code == 0, output
    assert "number HGP-" in output
    (listed,) = [json.loads(line) for line in hgr_lines(node, "catalogue", "list", "--json")]
    assert listed["number"].startswith("HGP-")
    assert listed["institution"] == "BJ-H001"
    code, output = hgr(node, "catalogue", "list", "--json", "--tsv")
    assert code != 0
    assert "--json or --tsv" in output
    out, drawings = tmp_path / "catalogue.json", tmp_path / "drawings"
    code, output = hgr(
        node,
        "catalogue",
        "export",
        "-o",
        str(out),
        "--drawings",
        str(drawings),
        "--registered-only",
    )
    assert code == 0, output
    (entry,) = json.loads(out.read_text())
    assert entry["protected"] is True
    assert (drawings / "BJ-H001-HD-001.svg").read_text().startswith("<svg")


def test_refusals(node: Path) -> None:
    for args, message in [
        (["catalogue", "declare", "XX"], "no family 'XX'"),
        (["catalogue", "review", "HD-001", "-i", "BJ-H001", "--reject"], "no catalogue entry"),
    ]:
        code, output = hgr(node, *args)
        assert code == 1, (args, output)
        assert message in output, (args, output)
    assert hgr(node, "catalogue", "declare", "HD-001")[0] == 0
    code, output = hgr(node, "catalogue", "review", "HD-001", "-i", "BJ-H001", "--reject")
    assert code == 1
    assert "gives its reasons" in output
    code, output = hgr(node, "catalogue", "register", "HD-001", "-i", "BJ-H001")
    assert code == 1
    assert "cannot be registered now" in output
