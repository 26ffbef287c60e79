"""A whole survey cycle between separate `hgr serve` processes on loopback.

Four nodes: the nation, the province of Beijing (110000) and two institutions of it. The
nation and the province serve their APIs; the institutions send to the province and the
province to the nation over HTTP, with the tokens each receiving node issued. One institution
returns late (after the province's first edition) and the other then corrects its return:
both make new versions up the chain, and the nation's documents all verify.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from hgr.audit import Actor
from hgr.auth.roles import Role
from hgr.auth.users import add_user, create_token
from hgr.catalogue import find_entry
from hgr.federation.documents import latest_documents
from hgr.node import init_node, open_node
from hgr.registry.importer import import_files
from tests.cli.conftest import hgr
from tests.conftest import EXAMPLES, HOLDINGS, register_named

HGR = Path(sys.executable).parent / "hgr"
ADMIN = Actor("cli:test", "operator")
ANSWERS = {
    "foreign_cooperation_projects": 0,
    "information_provided_abroad": 0,
    "specific_region_resources": False,
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(
    home: Path, port: int | None = None, env: dict[str, str] | None = None
) -> tuple[str, subprocess.Popen[bytes]]:
    """``hgr serve`` for ``home`` on ``port`` (a free one by default), with ``env`` added to
    the environment, once it answers."""
    port = port or _free_port()
    log = home / "serve.log"
    with log.open("wb") as handle:  # the child keeps its own descriptor
        server = subprocess.Popen(
            [str(HGR), "serve", "--home", str(home), "--port", str(port)],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/health", timeout=1).close()
            return url, server
        except OSError:
            if server.poll() is not None:
                raise AssertionError(log.read_text()) from None
            time.sleep(0.2)
    server.kill()
    raise AssertionError("hgr serve did not start")


def _token(home: Path, name: str, role: Role, scope: str) -> str:
    node = open_node(home)
    try:
        with node.db.transaction() as session:
            organisation = ""
            if role is Role.RESEARCHER:  # a researcher belongs to a registered organisation
                organisation = "Example University of Oxbridge"
                register_named(session, organisation, "GB")
            add_user(session, ADMIN, name, role, scope, organisation=organisation)
            return create_token(session, ADMIN, name).value
    finally:
        node.close()


def _trust(home: Path, level: str, subject: str, other: Path, name: str) -> None:
    code, output = hgr(
        home,
        "survey",
        "trust",
        "--level",
        level,
        "--subject",
        subject,
        "--key",
        str(other / "keys" / "signing.pub"),
        "--signer",
        name,
    )
    assert code == 0, output


@pytest.fixture
def federation(tmp_path: Path) -> Iterator[dict[str, object]]:
    institutions = tmp_path / "institutions.csv"
    rows = (EXAMPLES / "institutions.csv").read_text().splitlines()
    late_row = (
        "BJ-U002,Beijing Example University,university,121100004000000027,CN,110000,"
        "domestic,,,false,"
    )
    institutions.write_text("\n".join([*rows, late_row]) + "\n")
    late = tmp_path / "late"
    late.mkdir()
    (late / "donors.csv").write_text(
        "donor_id,sex\n" + "".join(f"U{n:03d},female\n" for n in range(9))
    )
    (late / "samples.csv").write_text(
        "sample_id,donor_id,material_type\n"
        + "".join(f"US{n:03d},U{n:03d},saliva\n" for n in range(9))
    )
    homes = {
        "nation": tmp_path / "nation",
        "province": tmp_path / "province",
        "BJ-H001": tmp_path / "bj",
        "BJ-U002": tmp_path / "bju",
    }
    names = {
        "nation": "Nation",
        "province": "Province 110000",
        "BJ-H001": "BJ-H001",
        "BJ-U002": "BJ-U002",
    }
    for key, home in homes.items():
        node = init_node(
            home, name=names[key], institution_code=key if key.startswith("BJ") else ""
        )
        import_files(node.db, node.keys, [institutions])
        if key == "BJ-H001":
            holdings = HOLDINGS
            import_files(node.db, node.keys, holdings, institution=key)
        if key == "BJ-U002":
            import_files(node.db, node.keys, sorted(late.glob("*.csv")), institution=key)
        node.close()
    signer = {key: "hgr/" + names[key].replace(" ", "-") for key in homes}
    for key in ("province", "BJ-H001", "BJ-U002"):
        _trust(homes[key], "nation", "CN", homes["nation"], signer["nation"])
    for key in ("BJ-H001", "BJ-U002"):
        # The province and the nation register each institution's key as it joins.
        _trust(homes["province"], "institution", key, homes[key], signer[key])
        _trust(homes["nation"], "institution", key, homes[key], signer[key])
    _trust(homes["nation"], "province", "110000", homes["province"], signer["province"])
    tokens = {
        "BJ-H001": _token(homes["province"], "steward-bj", Role.INSTITUTION_STEWARD, "BJ-H001"),
        "BJ-U002": _token(homes["province"], "steward-bju", Role.INSTITUTION_STEWARD, "BJ-U002"),
        "province": _token(homes["nation"], "officer-bj", Role.PROVINCIAL_OFFICER, "110000"),
    }
    servers = {key: _serve(homes[key]) for key in ("nation", "province", "BJ-H001", "BJ-U002")}
    try:
        yield {"homes": homes, "tokens": tokens, "urls": {k: v[0] for k, v in servers.items()}}
    finally:
        for _, server in servers.values():
            server.terminate()
            server.wait(30)


def test_a_cycle_with_a_late_institution_and_a_correction(
    federation: dict[str, object], tmp_path: Path
) -> None:
    homes: dict[str, Path] = federation["homes"]  # type: ignore[assignment]
    tokens: dict[str, str] = federation["tokens"]  # type: ignore[assignment]
    urls: dict[str, str] = federation["urls"]  # type: ignore[assignment]
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(ANSWERS))

    def run(who: str, *args: str) -> str:
        code, output = hgr(homes[who], *args)
        assert code == 0, (who, args, output)
        return output

    def institution_sends(code: str, remarks: str = "") -> None:
        if remarks:
            answers.write_text(json.dumps({**ANSWERS, "remarks": remarks}))
        draft = tmp_path / f"{code}.json"
        run(code, "survey", "draft", "--cycle", "2025", "--answers", str(answers), "-o", str(draft))
        run(code, "survey", "submit", str(draft))
        run(
            code,
            "survey",
            "send",
            "--cycle",
            "2025",
            "--to",
            urls["province"],
            "--token",
            tokens[code],
        )

    def province_sends() -> None:
        run("province", "survey", "compile", "--cycle", "2025", "--province", "110000")
        run(
            "province",
            "survey",
            "send",
            "--cycle",
            "2025",
            "--province",
            "110000",
            "--to",
            urls["nation"],
            "--token",
            tokens["province"],
        )

    run("nation", "survey", "open", "2025", "--reference-date", "2025-12-31")
    for key in ("province", "BJ-H001", "BJ-U002"):
        run(key, "survey", "fetch", "--cycle", "2025", "--from", urls["nation"])

    institution_sends("BJ-H001")
    province_sends()
    output = run("nation", "survey", "compile", "--cycle", "2025")
    assert "version 1" in output
    # The late one: its province's next edition carries it, and the nation's next edition.
    assert "missing" in run(
        "province", "survey", "status", "--cycle", "2025", "--province", "110000"
    ) or "overdue" in run("province", "survey", "status", "--cycle", "2025", "--province", "110000")
    institution_sends("BJ-U002")
    assert "late" in run("province", "survey", "status", "--cycle", "2025", "--province", "110000")
    province_sends()
    assert "version 2" in run("nation", "survey", "compile", "--cycle", "2025")
    # A correction: BJ-H001's return v2, the province's edition v3, the nation's edition v3.
    institution_sends("BJ-H001", remarks="corrected after review")
    province_sends()
    assert "version 3" in run("nation", "survey", "compile", "--cycle", "2025")
    # The nation registers SH-C001 (310000) too, whose province runs no node here.
    run("nation", "survey", "sign-off", "--cycle", "2025", "--without", "310000")
    assert "survey document(s) verify" in run("nation", "survey", "verify", "--cycle", "2025")

    node = open_node(homes["nation"])
    try:
        with node.db.reader() as session:
            edition = latest_documents(session, "nation", "2025", ["CN"])["CN"]
            content = json.loads(edition.body)
    finally:
        node.close()
    assert content["totals"]["donors"] == 6 + 9
    assert content["totals"]["persons"] == 6 + 9
    assert content["provinces"]["110000"]["missing"] == []
    # The API serves the published tables, small counts withheld.
    table = json.loads(
        urllib.request.urlopen(
            f"{urls['nation']}/survey/2025/tables/samples_by_material", timeout=10
        ).read()
    )
    nation = next(r for r in table["rows"] if r["unit"] == "nation")
    assert nation["dna"] is None
    counts = [v for k, v in nation.items() if k != "unit"]
    assert all(v is None or v == 0 or v >= 5 for v in counts), nation


def test_the_catalogue_travels_between_nodes(federation: dict[str, object]) -> None:
    homes: dict[str, Path] = federation["homes"]  # type: ignore[assignment]
    tokens: dict[str, str] = federation["tokens"]  # type: ignore[assignment]
    urls: dict[str, str] = federation["urls"]  # type: ignore[assignment]

    def run(who: str, *args: str) -> str:
        code, output = hgr(homes[who], *args)
        assert code == 0, (who, args, output)
        return output

    run("BJ-H001", "catalogue", "declare", "HD-001")
    run(
        "BJ-H001",
        "catalogue",
        "declare-region",
        "Han",
        "--region",
        "110000",
        "--trait",
        "a founder population",
    )
    sent = run(
        "BJ-H001", "catalogue", "send", "--to", urls["province"], "--token", tokens["BJ-H001"]
    )
    assert "kept declarations v1" in sent
    run("province", "catalogue", "review", "HD-001", "-i", "BJ-H001", "--approve")
    run(
        "province",
        "catalogue",
        "review",
        "Han",
        "-i",
        "BJ-H001",
        "--kind",
        "region",
        "--reject",
        "--note",
        "not distinct from the majority population",
    )
    sent = run(
        "province",
        "catalogue",
        "send",
        "--province",
        "110000",
        "--to",
        urls["nation"],
        "--token",
        tokens["province"],
    )
    assert "kept review v1" in sent
    assert "registered" in run("nation", "catalogue", "register", "HD-001", "-i", "BJ-H001")
    assert "2 decided entries" in run("nation", "catalogue", "publish")
    reader = _token(homes["nation"], "steward-bj", Role.INSTITUTION_STEWARD, "BJ-H001")
    assert "1 protected entry" in run(
        "BJ-H001", "catalogue", "fetch", "--from", urls["nation"], "--token", reader
    )
    node = open_node(homes["BJ-H001"])
    try:
        with node.db.reader() as session:
            family = find_entry(session, "BJ-H001", "HD-001")
            region = find_entry(session, "BJ-H001", "Han", "region")
            assert (family.status, family.protected) == ("registered", True)
            assert (family.number or "").startswith("HGP-")
            assert (region.status, region.protected) == ("province_rejected", False)
            assert region.review_note == "not distinct from the majority population"
    finally:
        node.close()
    # Only the roles whose nodes enforce the register read it.
    researcher = _token(homes["nation"], "researcher", Role.RESEARCHER, "")
    code, output = hgr(
        homes["BJ-H001"], "catalogue", "fetch", "--from", urls["nation"], "--token", researcher
    )
    assert code == 1
    assert "403" in output
    assert "verify" in run("nation", "survey", "verify", "--cycle", "catalogue")


def test_a_token_of_another_institution_is_refused(
    federation: dict[str, object], tmp_path: Path
) -> None:
    homes: dict[str, Path] = federation["homes"]  # type: ignore[assignment]
    tokens: dict[str, str] = federation["tokens"]  # type: ignore[assignment]
    urls: dict[str, str] = federation["urls"]  # type: ignore[assignment]
    assert hgr(homes["nation"], "survey", "open", "2025", "--reference-date", "2025-12-31")[0] == 0
    for key in ("province", "BJ-H001"):
        assert (
            hgr(homes[key], "survey", "fetch", "--cycle", "2025", "--from", urls["nation"])[0] == 0
        )
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(ANSWERS))
    draft = tmp_path / "draft.json"
    hgr(
        homes["BJ-H001"],
        "survey",
        "draft",
        "--cycle",
        "2025",
        "--answers",
        str(answers),
        "-o",
        str(draft),
    )
    assert hgr(homes["BJ-H001"], "survey", "submit", str(draft))[0] == 0
    code, output = hgr(
        homes["BJ-H001"],
        "survey",
        "send",
        "--cycle",
        "2025",
        "--to",
        urls["province"],
        "--token",
        tokens["BJ-U002"],
    )
    assert code == 1
    assert "403" in output
    code, output = hgr(
        homes["BJ-H001"],
        "survey",
        "send",
        "--cycle",
        "2025",
        "--to",
        "http://127.0.0.1:9",
        "--token",
        tokens["BJ-H001"],
    )
    assert code == 1
    assert "cannot reach" in output
