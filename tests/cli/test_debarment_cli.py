"""``hgr debarment`` through a whole case, and ``hgr policy evaluate`` reading the node's list
and catalogue."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from hgr.audit import Actor, record
from hgr.cli.main import app
from hgr.dates import utc_today
from hgr.debarment.models import DebarmentEntry
from hgr.federation.documents import envelope_of
from hgr.federation.models import SignedDocument
from hgr.node import open_node
from tests.cli.conftest import hgr, hgr_lines, runner
from tests.conftest import EXAMPLES

# The example holdings' approvals, consents and uses have real end dates (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("frozen_clock")

REQUEST = EXAMPLES / "policy" / "foreign-wgs-request.yaml"


def _end_standstill(home: Path, number: str) -> None:
    # The standstill runs 8 working days from today: the test moves it into the past.
    node = open_node(home)
    try:
        with node.db.transaction() as session:
            entry = session.scalars(
                select(DebarmentEntry).where(DebarmentEntry.number == number)
            ).one()
            entry.standstill_ends = utc_today() - dt.timedelta(days=1)
            record(session, Actor("test", "operator"), "debarment.test.clock", number)
    finally:
        node.close()


def _decision(home: Path, request: Path) -> dict[str, object]:
    result = runner.invoke(app, ["policy", "evaluate", str(request), "--home", str(home)])
    assert result.exit_code == 0, result.output
    decision: dict[str, object] = json.loads(result.stdout)
    return decision


def test_a_case_from_investigation_to_the_published_page(
    examples_node: Path, tmp_path: Path
) -> None:
    home = examples_node
    number = f"DEB-{utc_today().year}-0001"
    ground = "Sch. 6 para 35: national security"
    code, out = hgr(
        home,
        "debarment",
        "open",
        "--organisation",
        "Example Holdings plc",
        "--country",
        "GB",
        "--identifier",
        "CH:00000001",
        "--ground",
        ground,
        "--mandatory",
        "--regime",
        "uk",
    )
    assert code == 0, out
    assert number in out
    assert (
        hgr(
            home, "debarment", "control", "CH:00000001", "CH:00000002", "--basis", "100% of shares"
        )[0]
        == 0
    )
    assert hgr(home, "debarment", "notify", number)[0] == 0
    assert hgr(home, "debarment", "represent", number, "We object.")[0] == 0
    until = (utc_today() + dt.timedelta(days=700)).isoformat()
    code, out = hgr(
        home,
        "debarment",
        "decide",
        number,
        "--debar",
        "--reasons",
        "Genomes were passed to an excluded party.",
        "--until",
        until,
    )
    assert code == 0, out
    assert "standstill until" in out
    code, out = hgr(home, "debarment", "enter", number)
    assert code == 1
    assert "standstill" in out
    _end_standstill(home, number)
    assert hgr(home, "debarment", "enter", number)[0] == 0
    assert hgr(home, "debarment", "check", "CH:00000002")[1] == f"mandatory: {number}"
    # As a request's party is screened: by name alone, in another form; a subsidiary known to
    # the registry by its key; a near miss shown for a person to compare.
    assert hgr(home, "debarment", "check", "--name", "EXAMPLE HOLDINGS PLC.")[1] == (
        f"mandatory: {number}"
    )
    assert (
        hgr(
            home,
            "org",
            "add",
            "ex-lab",
            "--country",
            "CN",
            "--name",
            "Example Lab",
            "--identifier",
            "USCC:91110000MA00000009",
            "--source",
            "SAMR",
            "--verified-by",
            "officer",
        )[0]
        == 0
    )
    assert (
        hgr(
            home,
            "org",
            "add",
            "ex-holdings",
            "--country",
            "GB",
            "--name",
            "Example Holdings plc",
            "--source",
            "CH",
            "--verified-by",
            "officer",
        )[0]
        == 0
    )
    assert (
        hgr(
            home,
            "org",
            "control",
            "ex-holdings",
            "ex-lab",
            "--equity",
            "100",
            "--source",
            "CH",
            "--verified-by",
            "officer",
        )[0]
        == 0
    )
    assert hgr(home, "debarment", "check", "--key", "ex-lab")[1] == f"mandatory: {number}"
    code, out = hgr(home, "debarment", "check", "--name", "Examples Holdings")
    assert code == 0
    assert out.startswith(
        "none near miss, for a person to compare: 'Examples Holdings' ~ "
        f"'Example Holdings plc' ({number}, "
    )
    code, out = hgr(home, "debarment", "check", "--key", "no-such-org")
    assert code == 1
    assert "hgr org add" in out
    code, out = hgr(home, "debarment", "check")
    assert code == 1
    assert "--name or --key" in out
    page = tmp_path / "list.html"
    assert hgr(home, "debarment", "export", "-o", str(page))[0] == 0
    assert "Genomes were passed to an excluded party." in page.read_text()
    cases = hgr(home, "debarment", "cases")[1]
    assert number in cases
    assert "listed" in cases
    listed = [json.loads(line) for line in hgr_lines(home, "debarment", "cases", "--json")]
    assert {"number": number, "status": "listed"}.items() <= next(
        c for c in listed if c["number"] == number
    ).items()
    # The subsidiary asks: the node's list makes the request prohibited (DEB-M).
    asked = tmp_path / "request.yaml"
    subsidiary = "  not_for_profit: true\n  identifiers: [CH:00000002]"
    asked.write_text(REQUEST.read_text().replace("  not_for_profit: true", subsidiary))
    decision = _decision(home, asked)
    assert decision["outcome"] == "prohibited"
    assert "DEB-M" in [r["rule"] for r in decision["rules"]]  # type: ignore[union-attr]


def test_the_catalogue_protects_a_cohort(examples_node: Path, tmp_path: Path) -> None:
    home = examples_node
    asked = tmp_path / "request.yaml"
    asked.write_text(
        REQUEST.read_text().replace("persons: 800", "persons: 5")
        + "cohort:\n  institution: BJ-H001\n  families: [HD-001]\n"
        + "ethics_reference: 2019-KY-017\n"
    )
    assert _decision(home, asked)["outcome"] == "approval"
    for args in (
        ("catalogue", "declare", "HD-001"),
        ("catalogue", "review", "HD-001", "-i", "BJ-H001", "--approve"),
        ("catalogue", "register", "HD-001", "-i", "BJ-H001"),
    ):
        assert hgr(home, *args)[0] == 0
    decision = _decision(home, asked)
    assert decision["outcome"] == "security_review"
    assert "CN-13" in [r["rule"] for r in decision["rules"]]  # type: ignore[union-attr]


def test_bad_debarment_input(examples_node: Path) -> None:
    code, out = hgr(
        examples_node,
        "debarment",
        "open",
        "--organisation",
        "X",
        "--country",
        "Britain",
        "--identifier",
        "CH:1",
        "--ground",
        "g",
        "--mandatory",
    )
    assert code == 1
    assert "ISO" in out
    code, out = hgr(examples_node, "debarment", "notify", "DEB-1999-0001")
    assert code == 1
    assert "no debarment case" in out


def test_the_national_list_travels_to_an_institution_node(
    examples_node: Path, tmp_path: Path
) -> None:
    nation = examples_node
    institution = tmp_path / "institution"
    code, out = hgr(
        nation,
        "debarment",
        "open",
        "--organisation",
        "Example Holdings plc",
        "--country",
        "GB",
        "--identifier",
        "CH:00000001",
        "--ground",
        "g",
        "--mandatory",
    )
    assert code == 0, out
    assert (
        runner.invoke(
            app, ["init", str(institution), "--institution", "BJ-H001", "--role", "institution"]
        ).exit_code
        == 0
    )
    # An institution node decides nothing outbound without the nation's list.
    code, out = hgr(institution, "access", "submit", str(REQUEST), "--requester", "nobody")
    assert code == 1
    assert "E_LIST_STALE" in out or "no copy of the national debarment list" in out
    code, out = hgr(nation, "debarment", "publish")
    assert code == 0, out
    assert "version 1" in out
    sent = tmp_path / "national.json"
    node = open_node(nation)
    try:
        with node.db.reader() as session:
            kept = session.scalars(
                select(SignedDocument).where(SignedDocument.kind == "debarment")
            ).one()
            sent.write_text(json.dumps(envelope_of(kept).as_dict()), encoding="utf-8")
        signer = node.signer().name
    finally:
        node.close()
    code, out = hgr(institution, "debarment", "fetch", str(sent))
    assert code == 1  # the nation's key is not trusted yet
    assert "trust the nation's key" in out
    assert (
        hgr(
            institution,
            "survey",
            "trust",
            "--level",
            "nation",
            "--subject",
            "CN",
            "--key",
            str(nation / "keys" / "signing.pub"),
            "--signer",
            signer,
        )[0]
        == 0
    )
    code, out = hgr(institution, "debarment", "fetch", str(sent))
    assert code == 0, out
    assert "version 1" in out
    code, out = hgr(institution, "debarment", "status")
    assert "(current)" in out, out
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    code, out = hgr(institution, "debarment", "fetch", str(bad))
    assert code == 1
    assert "not a JSON document" in out


def _listed(home: Path) -> str:
    """A mandatory entry for Example Holdings plc (CH:00000001), in force: its case number."""
    number = f"DEB-{utc_today().year}-0001"
    opened = hgr(
        home,
        "debarment",
        "open",
        "--organisation",
        "Example Holdings plc",
        "--country",
        "GB",
        "--identifier",
        "CH:00000001",
        "--ground",
        "Sch. 6 para 35: national security",
        "--mandatory",
    )
    assert opened[0] == 0, opened
    assert hgr(home, "debarment", "notify", number)[0] == 0
    until = (utc_today() + dt.timedelta(days=700)).isoformat()
    decide = ["debarment", "decide", number, "--debar", "--reasons", "r", "--until", until]
    decided = hgr(home, *decide)
    assert decided[0] == 0, decided
    _end_standstill(home, number)
    assert hgr(home, "debarment", "enter", number)[0] == 0
    return number


def test_a_check_for_scripts(examples_node: Path) -> None:
    """--json and --tsv on `hgr debarment check`: the level, the entries and the near misses
    as fields."""
    number = _listed(examples_node)
    (finding,) = map(
        json.loads, hgr_lines(examples_node, "debarment", "check", "CH:00000001", "--json")
    )
    assert finding == {
        "level": "mandatory",
        "cn_ban": False,
        "entries": [number],
        "near_misses": [],
    }
    (near,) = map(
        json.loads,
        hgr_lines(examples_node, "debarment", "check", "--name", "Examples Holdings", "--json"),
    )
    assert near["level"] == "none"
    assert near["entries"] == []
    [miss] = near["near_misses"]
    assert {"entry": number, "listed": "Example Holdings plc"}.items() <= miss.items()
    header, *fields = hgr_lines(
        examples_node, "debarment", "check", "--name", "Examples Holdings", "--tsv"
    )
    assert header == "field\tvalue"
    shown = dict(line.split("\t") for line in fields)
    assert shown["level"] == "none"
    assert shown["near_misses"].startswith(f"Examples Holdings ~ Example Holdings plc ({number}, ")


def test_the_status_for_scripts(examples_node: Path) -> None:
    """--json and --tsv on `hgr debarment status`: whether a list is held, which and how old,
    also when none is."""
    (none,) = map(json.loads, hgr_lines(examples_node, "debarment", "status", "--json"))
    assert none["held"] is False
    assert none["current"] is False
    assert none["version"] is None
    assert hgr(examples_node, "debarment", "publish")[0] == 0
    (held,) = map(json.loads, hgr_lines(examples_node, "debarment", "status", "--json"))
    assert {"nation": "CN", "held": True, "version": 1, "entries": 0, "current": True}.items() <= (
        held.items()
    )
    assert len(held["sha256"]) == 64
    header, *lines = hgr_lines(examples_node, "debarment", "status", "--tsv")
    assert header == "field\tvalue"
    shown = dict(line.split("\t") for line in lines)
    assert shown["version"] == "1"
    assert shown["sha256"] == held["sha256"]
    assert shown["max_days"] == str(held["max_days"])
