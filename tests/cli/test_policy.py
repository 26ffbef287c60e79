"""``hgr policy evaluate`` and ``hgr policy rules`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hgr.cli.main import app
from tests.conftest import EXAMPLES

RUNNER = CliRunner()


def test_evaluate_prints_the_decision_as_json() -> None:
    folder = EXAMPLES / "policy"
    arguments = [
        "policy",
        "evaluate",
        str(folder / "foreign-wgs-request.yaml"),
        "--facts",
        str(folder / "node-facts.yaml"),
    ]
    result = RUNNER.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["outcome"] == "security_review"
    assert "CN-13" in [r["rule"] for r in decision["rules"]]


def test_bad_files_end_with_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "request.yaml"
    bad.write_text("id: x\naction: steal\n")
    result = RUNNER.invoke(app, ["policy", "evaluate", str(bad)])
    assert result.exit_code == 1
    assert "E_POLICY_FIELD" in result.output
    assert "action" in result.output
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "broken.yaml").write_text("pack: broken\n")
    result = RUNNER.invoke(app, ["policy", "rules", "--packs", str(packs)])
    assert result.exit_code == 1
    assert "missing rules" in result.output


def test_rules_lists_every_pack() -> None:
    result = RUNNER.invoke(app, ["policy", "rules"])
    assert result.exit_code == 0, result.output
    for rule in ("CN-13", "US-D08", "UK-DP03", "EU-G05", "DEB-M"):
        assert rule in result.output
    listed = RUNNER.invoke(app, ["policy", "rules", "--json"])
    rules = [json.loads(line) for line in listed.output.splitlines()]
    assert {"CN-13", "DEB-M"} <= {r["rule"] for r in rules}
    # A citation is read whole, however long: a table would wrap or cut it.
    assert all(r["citation"] for r in rules)
