"""``hgr access`` from submission through four-eyes review to the end of use."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from crypt4gh.keys import c4gh

from hgr.cli.main import app
from tests.cli.conftest import hgr, runner
from tests.conftest import EXAMPLES

REQUEST = EXAMPLES / "policy" / "foreign-wgs-request.yaml"


def test_a_request_from_the_command_line(examples_node: Path, tmp_path: Path) -> None:
    home = examples_node
    fact = ["--source", "registration documents", "--verified-by", "officer.wang"]
    code, out = hgr(
        home, "user", "add", "alice", "--role", "researcher", "--organisation", "oxbridge"
    )
    assert code == 1
    assert "E_USER_ORGANISATION" in out  # not registered yet: the user cannot be added
    assert (
        hgr(
            home,
            "org",
            "add",
            "oxbridge",
            "--country",
            "GB",
            "--name",
            "Example University of Oxbridge",
            *fact,
        )[0]
        == 0
    )
    assert (
        hgr(home, "user", "add", "alice", "--role", "researcher", "--organisation", "oxbridge")[0]
        == 0
    )
    code, out = hgr(home, "access", "submit", str(REQUEST), "--requester", "alice")
    assert code == 1
    assert "E_UNREGISTERED_PARTY" in out  # the example's Chinese partner is not registered yet
    assert "domestic partner: 'Shanghai Example Institute'" in out
    assert "hgr org add" in out
    assert (
        hgr(
            home,
            "org",
            "add",
            "shanghai-inst",
            "--country",
            "CN",
            "--name",
            "Shanghai Example Institute",
            *fact,
        )[0]
        == 0
    )
    users = [
        (f"{short}{n}", role, scope, "")
        for short, role, scope in (
            ("dac", "access_committee", "BJ-H001"),
            ("eth", "ethics_committee", "BJ-H001"),
            ("sec", "security_reviewer", ""),
        )
        for n in (1, 2)
    ]
    for name, role, scope, organisation in users:
        args = ["user", "add", name, "--role", role, "--organisation", organisation]
        assert hgr(home, *args, *(["--scope", scope] if scope else []))[0] == 0
    code, out = hgr(home, "access", "submit", str(REQUEST), "--requester", "alice")
    assert code == 0, out
    number = out.split(":")[0]
    assert "under_review (security_review); reviews: dac, ethics, security" in out
    for who, kind in (
        ("dac1", "dac"),
        ("dac2", "dac"),
        ("eth1", "ethics"),
        ("eth2", "ethics"),
        ("sec1", "security"),
    ):
        assert (
            hgr(home, "access", "review", number, "--kind", kind, "--reviewer", who, "--approve")[1]
            == f"{number}: under_review"
        )
    code, out = hgr(
        home, "access", "review", number, "--kind", "security", "--reviewer", "alice", "--approve"
    )
    assert code == 1
    assert "security_reviewer" in out
    assert (
        hgr(
            home,
            "access",
            "review",
            number,
            "--kind",
            "security",
            "--reviewer",
            "sec2",
            "--approve",
        )[1]
        == f"{number}: approved"
    )
    result = runner.invoke(app, ["access", "show", number, "--home", str(home)])
    shown = json.loads(result.stdout)
    assert shown["status"] == "approved"
    assert shown["reviews"]["missing"] == {}
    code, out = hgr(home, "access", "activate", number)
    assert code == 1
    assert "file it first" in out
    backup = tmp_path / "backup.bin"
    backup.write_bytes(b"backup")
    filing = tmp_path / "filing.json"
    assert hgr(home, "access", "file", number, "--backup", str(backup), "-o", str(filing))[0] == 0
    assert json.loads(filing.read_text())["recipient"]["country"] == "GB"
    assert "active until" in hgr(home, "access", "activate", number)[1]
    code, out = hgr(home, "access", "key", number, "--public-key", str(filing))
    assert code == 1
    assert "not a Crypt4GH" in out
    with contextlib.redirect_stderr(io.StringIO()):
        c4gh.generate(str(tmp_path / "r.sec"), str(tmp_path / "r.pub"), None, b"r")
    assert hgr(home, "access", "key", number, "--public-key", str(tmp_path / "r.pub"))[0] == 0
    code, out = hgr(home, "access", "export", number, "-o", str(tmp_path / "out"))
    assert code == 1
    assert "names no cohort" in out  # this request asked for no cohort to export
    assert hgr(home, "access", "withdrawals")[1] == "0 withdrawal notice(s) published"
    assert hgr(home, "access", "end", number, "--how", "close")[1] == f"{number}: closed"
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n")
    code, out = hgr(home, "access", "submit", str(bad), "--requester", "alice")
    assert code == 1
    assert "E_POLICY_FIELD" in out
    code, out = hgr(home, "access", "submit", str(REQUEST), "--requester", "nobody")
    assert code == 1
    assert "no user called nobody" in out
