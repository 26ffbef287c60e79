"""The API as a service: credentials, broken input, uploads, audit of reads, proofs, limits,
security headers, and the start-up refusals of `hgr serve`."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from hgr.api.app import create_app
from hgr.api.serve import check_service
from hgr.audit import latest_checkpoint
from hgr.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from hgr.audit.models import AuditEvent
from hgr.auth.users import revoke_token
from hgr.config import ServiceSettings, Settings
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.node import Node
from tests.api.conftest import ADMIN, Api
from tests.conftest import EXAMPLES, shared


def test_bad_credentials_are_refused_alike(api: Api) -> None:
    good = api.tokens["steward_bj"]
    token_id = good.split("_")[1]
    for header in [
        "Bearer",
        "Basic abc",
        f"Bearer {good[:-1]}x",
        "Bearer hgr_nonsense",
        f"Bearer {good}\x00",
    ]:
        response = api.client.get("/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"].startswith("Bearer")
    with api.db.transaction() as session:
        revoke_token(session, ADMIN, token_id)
    assert api.get("steward_bj", "/me").status_code == 401
    with api.db.transaction() as session:  # expire another token
        session.execute(
            sa.text("UPDATE api_token SET expires_at = :t WHERE token_id = :i"),
            {
                "t": dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
                "i": api.tokens["national"].split("_")[1],
            },
        )
    assert api.get("national", "/me").status_code == 401
    assert api.get("auditor", "/me").json() == {
        "actor": "token:auditor",
        "role": "auditor",
        "scope": "",
        "registered_access": False,
        "grants": [],
    }


def test_broken_requests_get_problem_details(api: Api) -> None:
    cases = [
        api.get("steward_bj", "/registry/donors", limit=0),
        api.get("steward_bj", "/registry/donors", sex="femme"),
        api.get("steward_bj", "/registry/donors", colour="blue"),
        api.get("steward_bj", "/registry/donors/record", institution="BJ-H001"),
        api.post("steward_bj", "/registry/donors", json={"rows": []}),
        api.post("steward_bj", "/registry/donors", json={"rows": [{"donor_id": "A", "sex": "x"}]}),
        api.post(
            "steward_bj",
            "/registry/donors",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        ),
        api.get("auditor", "/audit/proofs/inclusion", leaf=5, size=2),
        api.get(None, "/nowhere"),
    ]
    for response in cases:
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == response.status_code
        assert body["code"].startswith("E_")
    issue = cases[5].json()["issues"][0]
    assert (issue["pointer"], issue["field"]) == ("/rows/0", "sex")
    # A column missing from every row is the rows' fault, not one row's.
    missing = api.post(
        "steward_bj", "/registry/collections", json={"rows": [{"collection_id": "X"}]}
    )
    pointers = {i["pointer"] for i in missing.json()["issues"] if i["code"] == "E_MISSING_COLUMN"}
    assert pointers == {"/rows"}
    nul = api.post(
        "steward_bj",
        "/registry/donors",
        params={"institution": "BJ\x00"},
        json={"rows": [{"donor_id": "A", "sex": "male"}]},
    )
    assert nul.status_code == 422


def test_a_failed_upload_writes_nothing_and_a_good_one_is_audited(api: Api) -> None:
    before = api.get("steward_bj", "/summary").json()
    bad = [("files", ("donors.csv", b"donor_id,sex\nZ-1,female\nZ-2,unknown-sex\n", "text/csv"))]
    response = api.post("steward_bj", "/registry/import", files=bad)
    assert response.status_code == 422
    assert response.json()["issues"][0]["file"] == "donors.csv"
    assert api.get("steward_bj", "/summary").json() == before
    good = [("files", ("donors.csv", b"donor_id,sex\nZ-1,female\n", "text/csv"))]
    response = api.post("steward_bj", "/registry/import", files=good)
    assert response.status_code == 200, response.text
    assert response.json()["changes"]["donors"]["inserted"] == 1
    events = [e["body"] for e in api.get("auditor", "/audit/events", limit=1000).json()["items"]]
    assert any('"action":"registry.import"' in e and "token:steward_bj" in e for e in events)


def test_reads_of_individual_data_and_refusals_are_audited(api: Api) -> None:
    api.get("steward_bj", "/registry/donors")
    api.get("researcher", "/registry/donors")
    api.get("steward_bj", "/registry/institutions")
    bodies = [e["body"] for e in api.get("auditor", "/audit/events", limit=1000).json()["items"]]
    reads = [b for b in bodies if '"action":"registry.read"' in b]
    assert any('"actor":"token:steward_bj"' in b and '"outcome":"ok"' in b for b in reads)
    assert any('"actor":"token:researcher"' in b and '"outcome":"denied"' in b for b in reads)
    assert not any('"target":"institutions"' in b for b in reads)  # directory reads are not


def test_proofs_served_by_the_api_verify(api: Api) -> None:
    first = api.get(None, "/audit/checkpoint").json()
    api.get("steward_bj", "/registry/donors")
    second = api.get(None, "/audit/checkpoint").json()
    assert second["size"] > first["size"]
    root1, root2 = base64.b64decode(first["root"]), base64.b64decode(second["root"])
    proof = api.get(
        None, "/audit/proofs/consistency", first=first["size"], second=second["size"]
    ).json()["proof"]
    assert verify_consistency(
        first["size"], second["size"], root1, root2, [base64.b64decode(p) for p in proof]
    )
    with api.db.reader() as session:
        body = session.execute(
            sa.text(
                "SELECT e.body FROM audit_event e JOIN audit_leaf l ON l.event_id = e.id "
                "WHERE l.seq = 0"
            )
        ).scalar_one()
    proof = api.get(None, "/audit/proofs/inclusion", leaf=0, size=second["size"]).json()["proof"]
    assert verify_inclusion(
        0, second["size"], leaf_hash(body.encode()), [base64.b64decode(p) for p in proof], root2
    )
    note = api.client.get("/audit/checkpoint.txt")
    assert note.text == second["note"]


def test_headers_body_limit_and_rate_limit(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path, service=ServiceSettings(rate_per_second=1, burst=3, max_body_bytes=1000)
    )
    with TestClient(create_app(settings, Node(settings, db, keys))) as client:
        first = client.get("/health")
        assert first.headers["x-content-type-options"] == "nosniff"
        assert first.headers["x-frame-options"] == "DENY"
        assert "x-request-id" in first.headers
        big = client.post(
            "/registry/donors", content=b"x" * 2000, headers={"Content-Type": "application/json"}
        )
        assert big.status_code == 413
        statuses = [client.get("/me").status_code for _ in range(6)]
        assert 429 in statuses
        limited = client.get("/me")
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1


def test_every_route_is_documented(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    paths = set(spec["paths"])
    wanted = {
        "/registry/donors",
        "/registry/donors/record",
        "/registry/import",
        "/audit/proofs/inclusion",
        "/audit/proofs/consistency",
        "/summary",
    }
    assert wanted <= paths
    assert "/docs" not in paths


@pytest.mark.parametrize(
    ("service", "refusal"),
    [
        (ServiceSettings(host="0.0.0.0"), "without TLS"),
        (ServiceSettings(tls_cert="/nonexistent.pem"), "needs both"),
        (ServiceSettings(host="0.0.0.0", trusted_proxy="10.0.0.1"), None),
        (ServiceSettings(), None),
    ],
)
def test_serve_refuses_unsafe_settings(
    keys: NodeKeys, tmp_path: Path, service: ServiceSettings, refusal: str | None
) -> None:
    home = tmp_path / "node"
    home.mkdir()
    (home / "keys").symlink_to(keys.directory)
    refusals = check_service(Settings(home=home, service=service))
    if refusal is None:
        assert refusals == []
    else:
        assert any(refusal in r for r in refusals), refusals
    weak = Settings(home=home, database_url="postgresql://hgr:postgres@db.example/hgr")
    assert any("default" in r for r in check_service(weak))
    (keys.directory / "signing.key").chmod(0o644)
    try:
        assert any("read by others" in r for r in check_service(Settings(home=home)))
        # Development mode relaxes the database checks, never a key anyone may read.
        dev = Settings(home=home, service=ServiceSettings(development=True))
        assert any("read by others" in r for r in check_service(dev))
    finally:
        (keys.directory / "signing.key").chmod(0o600)


def test_a_steward_cannot_slip_institutions_into_an_upload(api: Api) -> None:
    files = [
        ("files", ("institutions.csv", (EXAMPLES / "institutions.csv").read_bytes(), "text/csv")),
        ("files", ("donors.csv", b"donor_id,sex\nZ-9,male\n", "text/csv")),
    ]
    response = api.post("steward_bj", "/registry/import", files=files)
    assert response.status_code == 403
    assert api.get("steward_bj", "/registry/donors").json()["total"] == 6


def test_rows_cannot_hide_as_comments_or_break_lines(api: Api) -> None:
    rows = {"rows": [{"donor_id": "#Z-1", "sex": "male"}]}
    response = api.post("steward_bj", "/registry/donors", json=rows)
    assert response.status_code == 200, response.text
    assert response.json()["changes"]["donors"]["inserted"] == 1
    # A line feed, and the separators a line reader also breaks on (NEL, U+2028, U+2029).
    for cell in ("male\nfemale", "Han\x85X", "Han\u2028X", "Han\u2029X"):
        rows = {"rows": [{"donor_id": "Z-2", "sex": "male", "population": cell}]}
        response = api.post("steward_bj", "/registry/donors", json=rows)
        assert response.status_code == 422, cell
        assert response.json()["issues"][0]["code"] == "E_CONTROL_CHARACTER"
    assert api.get("steward_bj", "/registry/donors").json()["total"] == 7


@pytest.mark.without_regions  # the log's events are counted from the first
def test_checkpoints_are_signed_at_an_interval(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path, service=ServiceSettings(checkpoint_seconds=0.2))
    with TestClient(create_app(settings, Node(settings, db, keys))) as client:
        assert client.get("/registry/donors").status_code == 401  # an audited refusal
        deadline = time.monotonic() + 10
        while True:
            with db.reader() as session:
                head = latest_checkpoint(session)
            if head is not None and head.size >= 1:
                break
            assert time.monotonic() < deadline, "no checkpoint was signed"
            time.sleep(0.05)
        assert client.get("/registry/samples").status_code == 401
    # Shutting down signs what came since.
    with db.reader() as session:
        head = latest_checkpoint(session)
        events = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert head is not None
    assert head.size == events == 2
    assert Node(settings, db, keys).signer().verifier.verify(head.body.encode(), head.signature)


def test_a_phenopacket_collection_uploads_with_donors_named_by_phenopacket_id(api: Api) -> None:
    """Two case reports of different publications, both of "Patient 1": two people."""
    files = []
    for name in ("PMID_33912663_Sister.json", "PMID_36932076_Patient_1.json"):
        packet = json.loads(shared("phenopackets", name).read_text())
        packet["subject"]["id"] = "Patient 1"
        files.append(("files", (name, json.dumps(packet).encode(), "application/json")))
    refused = api.post("steward_bj", "/registry/import", files=files)
    assert refused.status_code == 422
    assert "--donor-key id" in refused.text
    response = api.post("steward_bj", "/registry/import", files=files, data={"donor_key": "id"})
    assert response.status_code == 200, response.text
    assert response.json()["changes"]["donors"]["inserted"] == 2
    wrong = api.post("steward_bj", "/registry/import", files=files, data={"donor_key": "name"})
    assert wrong.status_code == 422
