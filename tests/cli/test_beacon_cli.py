"""``hgr beacon datasets``, ``exposure``, ``frequency-ledger`` and ``tracing-sim``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hgr.cli.main import app
from hgr.dates import utc_now
from hgr.node import open_node
from hgr.privacy.budgets import Ledger, charge
from hgr.privacy.exposure import datasets
from hgr.privacy.models import BeaconFrequencyRelease
from tests.cli.conftest import hgr, hgr_lines


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


def test_datasets_for_scripts(examples_node: Path) -> None:
    """--json and --tsv on `hgr beacon datasets`: a line per dataset, every threshold a field."""
    assert hgr(examples_node, "beacon", "exposure", "BJ-H001:COL-HD", "--anonymous", "none")[0] == 0
    listed = {
        row["dataset"]: row
        for row in map(json.loads, hgr_lines(examples_node, "beacon", "datasets", "--json"))
    }
    assert set(listed) == {"BJ-H001:COL-HD", "BJ-H001:COL-POP"}
    assert listed["BJ-H001:COL-HD"]["anonymous"] == "none"
    assert listed["BJ-H001:COL-POP"]["anonymous"] == "boolean"
    assert listed["BJ-H001:COL-HD"]["frequency_rho"] == 0.25
    header, *rows = hgr_lines(examples_node, "beacon", "datasets", "--tsv")
    columns = header.split("\t")
    assert columns[:3] == ["dataset", "donors", "anonymous"]
    assert "frequency_min_donors" in columns
    parsed = [dict(zip(columns, row.split("\t"), strict=True)) for row in rows]
    assert {r["dataset"]: r["anonymous"] for r in parsed} == {
        "BJ-H001:COL-HD": "none",
        "BJ-H001:COL-POP": "boolean",
    }
    assert {r["dataset"]: r["donors"] for r in parsed} == {
        d: str(row["donors"]) for d, row in listed.items()
    }


def _release(home: Path, requester: str, rho: float) -> None:
    # A frequency release needs a genotype store and a grant: the test writes what one leaves
    # in the ledger, as release_frequencies does.
    node = open_node(home)
    try:
        with node.db.transaction() as session:
            (dataset,) = [d for d in datasets(session, home) if d.id == "BJ-H001:COL-HD"]
            session.add(
                BeaconFrequencyRelease(
                    collection_id=dataset.collection_id,
                    question="a" * 64,
                    slice="population=Han",
                    variants=1_000,
                    rho=rho,
                    noise_sd=0.1,
                    donors=60,
                    requester=requester,
                    detail={},
                    released_at=utc_now(),
                )
            )
            budgets = {"dataset": 0.25, "org:example": 0.125}
            year = str(utc_now().year)
            assert charge(session, Ledger.RHO, dataset.collection_id, year, budgets, rho)
    finally:
        node.close()


def test_the_frequency_ledger_for_scripts(examples_node: Path) -> None:
    """--json and --tsv on `hgr beacon frequency-ledger`: the releases and the rho spent in
    one listing, each line saying which it is."""
    assert hgr_lines(examples_node, "beacon", "frequency-ledger", "--json") == []
    header = "\t".join(
        [
            "entry",
            "dataset",
            "released_at",
            "slice",
            "variants",
            "donors",
            "rho",
            "requester",
            "year",
            "holder",
            "spent",
            "budget",
        ]
    )
    assert hgr_lines(examples_node, "beacon", "frequency-ledger", "--tsv") == [header]
    _release(examples_node, "alice@example", 0.05)
    lines = hgr_lines(examples_node, "beacon", "frequency-ledger", "BJ-H001:COL-HD", "--json")
    release, *spent = map(json.loads, lines)
    assert {"entry": "release", "dataset": "BJ-H001:COL-HD", "variants": 1_000}.items() <= (
        release.items()
    )
    assert release["requester"] == "alice@example"
    assert "holder" not in release
    assert {(s["entry"], s["holder"], s["spent"], s["budget"]) for s in spent} == {
        ("spent", "dataset", 0.05, 0.25),
        ("spent", "org:example", 0.05, 0.125),
    }
    tsv = hgr_lines(examples_node, "beacon", "frequency-ledger", "--tsv")
    assert tsv[0] == header
    rows = [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in tsv[1:]]
    assert [r["entry"] for r in rows] == ["release", "spent", "spent"]
    assert rows[0]["slice"] == "population=Han"
    assert rows[0]["year"] == ""
    assert {r["holder"] for r in rows[1:]} == {"dataset", "org:example"}
