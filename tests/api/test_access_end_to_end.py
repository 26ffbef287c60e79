"""A foreign request from submission to a withdrawal: policy decision, filing, security review,
four-eyes approval, encrypted export with a signed manifest, and the withdrawal notice the
recipient reads through the API."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pytest
from crypt4gh import lib as c4gh_lib
from crypt4gh.keys import c4gh, get_private_key
from sqlalchemy import select

from hgr.access import DiseaseOntology
from hgr.access.export import file_provision, make_export, recipient_id, register_key
from hgr.access.facts import node_facts
from hgr.access.requests import activate, create_request, find_request, review, submit
from hgr.audit import Actor, record
from hgr.auth.roles import Role
from hgr.auth.users import add_user, find_user
from hgr.crypto import NodeKeys, load_signer
from hgr.dates import utc_today
from hgr.exceptions import Conflict, UsageError
from hgr.policy import AccessRequest, load_packs, read_model
from hgr.registry import models as m
from hgr.registry.consents import withdraw_consent
from tests.api.conftest import ADMIN, Api
from tests.conftest import EXAMPLES, register_pedigree

# The example holdings' approvals, consents and uses have real end dates (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("frozen_clock")

BASE = read_model(AccessRequest, EXAMPLES / "policy" / "foreign-wgs-request.yaml")
# Huntington disease research on family HD-001, the disease its donors consented to (DS).
REQUEST = AccessRequest.model_validate(
    BASE.model_dump(mode="json")
    | {
        "purpose": {"duo": "DS", "disease": "MONDO:0007739"},
        "cohort": {"institution": "BJ-H001", "families": ["HD-001"]},
        "ethics_reference": "2019-KY-017",
        "data": BASE.data.model_dump(mode="json") | {"fields": ["sex", "diagnoses"]},
    }
)
PACKS = load_packs()
REVIEWERS = [
    ("dac_bj", "dac"),
    ("dac2", "dac"),
    ("ethics_bj", "ethics"),
    ("eth2", "ethics"),
    ("security", "security"),
    ("sec2", "security"),
]


def _recipient(folder: Path) -> tuple[Path, Path]:
    secret, public = folder / "recipient.sec", folder / "recipient.pub"
    with contextlib.redirect_stderr(io.StringIO()):
        c4gh.generate(str(secret), str(public), None, b"recipient")
    return secret, public


def test_a_foreign_request_from_submission_to_withdrawal(
    api: Api, keys: NodeKeys, tmp_path: Path
) -> None:
    register_pedigree(api.db, "BJ-H001", "HD-001")
    with api.db.transaction() as session:
        add_user(session, ADMIN, "dac2", Role.ACCESS_COMMITTEE, "BJ-H001")
        add_user(session, ADMIN, "eth2", Role.ETHICS_COMMITTEE, "BJ-H001")
        add_user(session, ADMIN, "sec2", Role.SECURITY_REVIEWER)
        researcher = find_user(session, "researcher")
        # An approval the institution does not hold, or one that has expired, blocks the use
        # whatever the requester declares (CN-16).
        for reference in (None, "2021-KY-044"):
            asked = REQUEST.model_copy(update={"ethics_reference": reference})
            refused = create_request(session, ADMIN, researcher, asked)
            submit(session, ADMIN, refused, node_facts(session, asked), load_packs())
            assert (refused.status, refused.note) == ("rejected", "prohibited by CN-16")
        entry = create_request(session, ADMIN, researcher, REQUEST)
        submit(session, ADMIN, entry, node_facts(session, REQUEST), load_packs())
        number = entry.number
        # A registered important pedigree to the UK with a Chinese partner: filing, backup,
        # security review (CN-13). The family holds 5 persons; a count below the declaration
        # does not lower it. Its family collection holds exomes, which an export of its
        # genotypes would carry besides the genomes declared.
        assert (entry.status, entry.outcome) == ("under_review", "security_review")
        assert entry.decision["counted"] == [
            "declared 800 persons; the node counts 5 in the cohort, and decided on the 800 "
            "declared",
            "declared whole_genome; an export of the cohort also releases whole_exome, as the "
            "node's registry holds them, and decided on both",
        ]
        for name, kind in REVIEWERS:
            review(session, ADMIN, entry, find_user(session, name), kind, approve=True)
        assert entry.status == "approved"
        with pytest.raises(Conflict, match="file it first"):
            activate(session, ADMIN, entry)
    backup = tmp_path / "backup.tar"
    backup.write_bytes(b"the information backup deposited with the authority")
    secret_path, public_path = _recipient(tmp_path)
    with api.db.transaction() as session:
        entry = find_request(session, number)
        filing = file_provision(session, ADMIN, entry, backup)
        assert filing.backup_sha256 == hashlib.sha256(backup.read_bytes()).hexdigest()
        assert [b["rule"] for b in filing.record["legal_basis"]].count("CN-13") == 1
        activate(session, ADMIN, entry)
        signer = load_signer(keys.signing_key, "hgr/test-node")
        with pytest.raises(UsageError, match="recipient key"):
            make_export(
                session, ADMIN, entry, keys, signer, tmp_path, DiseaseOntology(), tmp_path, PACKS
            )
        register_key(session, ADMIN, entry, public_path)
        made = make_export(
            session, ADMIN, entry, keys, signer, tmp_path, DiseaseOntology(), tmp_path, PACKS
        )
        assert not made.folder.exists()  # the package appears when the database records it
    # A transaction that fails after the export leaves neither the package nor its record
    # (the next export below is still E02).
    failed: list[Path] = []

    def export_then_fail() -> None:
        with api.db.transaction() as session:
            entry = find_request(session, number)
            made = make_export(
                session, ADMIN, entry, keys, signer, tmp_path, DiseaseOntology(), tmp_path, PACKS
            )
            failed.append(made.folder)
            raise RuntimeError("the transaction fails after the export")

    with pytest.raises(RuntimeError, match="fails"):
        export_then_fail()
    assert failed
    assert not failed[0].exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    # BJH-0001, -0002 and -0005 consented to HD research; BJH-0003 only in China (GS),
    # and BJH-0004 withdrew.
    assert (made.released, made.withheld) == (3, 2)
    manifest_text = (made.folder / "manifest.json").read_text()
    manifest = json.loads(manifest_text)
    signature = json.loads((made.folder / "manifest.sig").read_text())
    assert signer.verifier.verify(manifest_text.encode(), base64.b64decode(signature["signature"]))
    sealed = (made.folder / "donors.tsv.c4gh").read_bytes()
    assert hashlib.sha256(sealed).hexdigest() == manifest["files"][0]["sha256"]
    plain = io.BytesIO()
    c4gh_lib.decrypt(
        [(0, get_private_key(str(secret_path), lambda: ""), None)], io.BytesIO(sealed), plain
    )
    table = plain.getvalue().decode()
    assert hashlib.sha256(plain.getvalue()).hexdigest() == manifest["files"][0]["plaintext_sha256"]
    rows = [line.split("\t") for line in table.splitlines()]
    assert rows[0] == ["donor", "sex", "diagnoses"]  # only the requested fields
    assert len(rows) == 4
    assert not any("BJH" in line for line in table.splitlines())
    # Nothing to notice yet; then BJH-0001 withdraws.
    assert api.get("researcher", "/access/notices").json() == []
    first = keys.pseudonymiser.pseudonym("BJ-H001", "BJH-0001")
    with api.db.transaction() as session:
        consent = session.scalars(
            select(m.Consent).join(m.Donor).where(m.Donor.pseudonym == first)
        ).one()
        withdraw_consent(session, Actor("test", "operator"), consent, utc_today())
    notices = api.get("researcher", "/access/notices").json()
    donor = recipient_id(keys, number, first)
    assert [(n["request"], n["donor"]) for n in notices] == [(number, donor)]
    assert donor in [row[0] for row in rows]
    assert len(api.get("researcher", "/access/notices").json()) == 1  # published once
    assert len(api.get("national", "/access/notices").json()) == 1
    assert api.get("dac_bj", "/access/notices").status_code == 403
    assert api.get(None, "/access/notices").status_code == 401
    with api.db.transaction() as session:
        entry = find_request(session, number)
        assert "withdrew" in entry.note
        again = make_export(
            session, ADMIN, entry, keys, signer, tmp_path, DiseaseOntology(), tmp_path, PACKS
        )
    assert (again.released, again.folder.name) == (2, f"{number}-E02")
    # The approval expires: the request's use stops with it.
    with api.db.transaction() as session:
        E = m.EthicsApproval
        approval = session.scalars(
            select(E)
            .join(m.Institution)
            .where(E.reference == "2019-KY-017", m.Institution.code == "BJ-H001")
        ).one()
        approval.valid_to = utc_today() - dt.timedelta(days=1)
        record(session, ADMIN, "test.clock", "ethics approval 2019-KY-017")  # time passes
    with pytest.raises(Conflict, match="ethics approval"), api.db.transaction() as session:
        make_export(
            session,
            ADMIN,
            find_request(session, number),
            keys,
            signer,
            tmp_path,
            DiseaseOntology(),
            tmp_path,
            PACKS,
        )
