"""``hgr catalogue`` end to end, and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hgr.cli.main import app
from tests.conftest import EXAMPLES

runner = CliRunner()


def hgr(node: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--home", str(node)])
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture
def node(tmp_path: Path) -> Path:
    home = tmp_path / "node"
    assert runner.invoke(app, ["init", str(home), "--institution", "BJ-H001"]).exit_code == 0
    holdings = [str(p) for p in sorted(EXAMPLES.iterdir()) if p.name != "institutions.csv"]
    assert hgr(home, "import", str(EXAMPLES / "institutions.csv"))[0] == 0
    assert hgr(home, "import", *holdings)[0] == 0
    return home


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
    out, drawings = tmp_path / "catalogue.json", tmp_path / "drawings"
    code, output = hgr(node, "catalogue", "export", "-o", str(out), "--drawings", str(drawings),
                       "--registered-only")  # fmt: skip
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
