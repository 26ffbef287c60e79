"""``hgr beacon datasets``, ``exposure``, ``frequency-ledger`` and ``tracing-sim``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hgr.cli.main import app
from tests.cli.conftest import hgr


def test_exposure_is_set_listed_and_audited(examples_node: Path) -> None:
    code, output = hgr(examples_node, "beacon", "datasets")
    assert code == 0, output
    assert "BJ-H001:COL-HD" in output
    code, output = hgr(
        examples_node,
        "beacon",
        "exposure",
        "BJ-H001:COL-HD",
        "--anonymous",
        "none",
        "--min-carriers",
        "10",
    )
    assert code == 0, output
    assert "anonymous none" in output
    assert "k 10" in output
    code, output = hgr(
        examples_node,
        "beacon",
        "exposure",
        "BJ-H001:COL-HD",
        "--frequency-sd",
        "0.02",
        "--frequency-min-donors",
        "100",
    )
    assert code == 0, output
    code, output = hgr(examples_node, "beacon", "datasets")
    assert "COL-HD: " in output
    assert "anonymous none" in output
    assert "frequencies with noise 0.02" in output
    assert "slices of at least 100 donors" in output
    code, output = hgr(examples_node, "audit", "verify")
    assert code == 0, output


def test_bad_exposure_is_refused_and_changes_nothing(examples_node: Path) -> None:
    bad = [
        (["BJ-H001:COL-HD", "--anonymous", "count"], "anonymous requesters may be given"),
        (["BJ-H001:COL-HD", "--registered", "record"], "registered requesters"),
        (["BJ-H001:COL-HD", "--min-carriers", "1"], "min_carriers"),
        (["BJ-H001:COL-HD", "--count-epsilon", "20"], "count_epsilon"),
        (["BJ-H001:COL-HD", "--frequency-sd", "0"], "frequency_sd"),
        (
            ["BJ-H001:COL-HD", "--frequency-rho", "0.1", "--frequency-rho-per-organisation", "0.2"],
            "frequency_rho_per_organisation",
        ),
        (["BJ-H001:COL-HD", "--frequency-min-donors", "3"], "frequency_min_donors"),
        (["BJ-H001:NOPE", "--anonymous", "none"], "no collection"),
        (["no-colon", "--anonymous", "none"], "no collection"),
    ]
    _, before = hgr(examples_node, "beacon", "datasets")
    for args, message in bad:
        code, output = hgr(examples_node, "beacon", "exposure", *args)
        assert code == 1, (args, output)
        assert message in output, (args, output)
    assert hgr(examples_node, "beacon", "datasets")[1] == before


def test_the_frequency_ledger_reads_and_refuses_unknown_datasets(examples_node: Path) -> None:
    code, output = hgr(examples_node, "beacon", "frequency-ledger")
    assert code == 0, output
    assert "no frequency releases" in output
    code, output = hgr(examples_node, "beacon", "frequency-ledger", "BJ-H001:NOPE")
    assert code == 1
    assert "no dataset" in output


def test_tracing_sim_refuses_more_victims_than_members() -> None:
    result = CliRunner().invoke(
        app, ["beacon", "tracing-sim", "--members", "100", "--victims", "200"]
    )
    assert result.exit_code == 1
    assert "--victims cannot exceed --members" in " ".join(result.output.split())


def test_tracing_sim_prints_the_power_of_each_attack(tmp_path: Path) -> None:
    figures = tmp_path / "tracing.json"
    result = CliRunner().invoke(
        app,
        ["beacon", "tracing-sim", "--members", "300", "--victims", "300", "--json", str(figures)],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(figures.read_text())
    assert [r["release"] for r in rows][:3] == ["plain 1k", "plain 10k", "plain 50k"]
    assert rows[2]["power"]["lr"] >= 0.95  # 50,000 plain frequencies over 300 donors
    assert all(0 <= p <= 1 for r in rows for p in r["power"].values())
