"""``hgr org``: registering organisations and their control, and what the node computes from
the registry; bad input refused with the fix."""

from __future__ import annotations

import json
from pathlib import Path

from hgr.cli.main import app
from tests.cli.conftest import hgr, runner

FACT = ("--source", "Companies House, 2026-11-30", "--verified-by", "officer.wang")


def test_a_subsidiary_of_a_debarred_company_shows_the_listing(examples_node: Path) -> None:
    home = examples_node
    assert (
        hgr(
            home,
            "org",
            "add",
            "example-seq",
            "--country",
            "HK",
            "--name",
            "Example Sequencing Holdings Ltd",
            "--identifier",
            "HK-CR:0000001",
            *FACT,
        )[0]
        == 0
    )
    assert (
        hgr(
            home,
            "org",
            "add",
            "example-uk",
            "--country",
            "GB",
            "--name",
            "Example Genomics UK Ltd",
            "--identifier",
            "CH:00000002",
            *FACT,
        )[0]
        == 0
    )
    assert (
        hgr(home, "org", "name", "example-uk", "示例基因英国有限公司", "--language", "zh", *FACT)[0]
        == 0
    )
    code, out = hgr(home, "org", "control", "example-seq", "example-uk", "--equity", "100", *FACT)
    assert code == 0, out
    code, out = hgr(
        home,
        "debarment",
        "open",
        "--organisation",
        "Example Sequencing Holdings",
        "--country",
        "HK",
        "--identifier",
        "HK-CR:0000001",
        "--ground",
        "Art. 41",
        "--mandatory",
    )
    assert code == 0, out
    result = runner.invoke(app, ["org", "show", "example-uk", "--home", str(home)])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["controlled_by"] == ["example-seq"]
    assert shown["foreign_party"] is True
    assert {n["language"] for n in shown["names"]} == {"en", "zh"}
    assert shown["debarment"]["level"] == "none"  # opened, not listed yet


def test_bad_org_input_says_what_to_do(examples_node: Path) -> None:
    home = examples_node
    code, out = hgr(home, "org", "control", "nobody", "else", "--equity", "10", *FACT)
    assert code == 1
    assert "hgr org add nobody" in out
    assert hgr(home, "org", "add", "lab", "--country", "CN", "--name", "Lab", *FACT)[0] == 0
    assert hgr(home, "org", "add", "other", "--country", "CN", "--name", "Other", *FACT)[0] == 0
    code, out = hgr(home, "org", "control", "other", "lab", "--equity", "10", "--agreement", *FACT)
    assert code != 0
    assert "exactly one" in out
    code, out = hgr(
        home,
        "org",
        "add",
        "new",
        "--country",
        "CN",
        "--name",
        "X",
        "--source",
        "",
        "--verified-by",
        "x",
    )
    assert code == 1
    assert "--source" in out
