"""Catalogue documents between nodes: declarations up to the province, its review up to the
nation, the signed register back down; forged or altered documents are refused whole."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hgr.audit import Actor
from hgr.catalogue import (
    declare_pedigree,
    declare_region,
    draw_entry,
    find_entry,
    is_protected,
    register,
    review,
)
from hgr.catalogue.exchange import (
    apply_register,
    receive_declarations,
    receive_review,
    review_package,
    sign_declarations,
    sign_register,
    sign_review,
)
from hgr.crypto import NodeKeys, Signer, create_node_keys, load_signer
from hgr.db import Database
from hgr.exceptions import Conflict, FormatError, IntegrityBroken
from hgr.federation.documents import envelope_of, sign_document, trust_key
from hgr.registry.importer import import_files
from hgr.survey.verify import verify_survey
from tests.conftest import EXAMPLES, HOLDINGS, table_counts

ACTOR = Actor("test", "operator")
BJ, PROVINCE, NATION = "BJ-H001", "110000", "CN"


def _signer(tmp_path: Path, name: str) -> Signer:
    return load_signer(create_node_keys(tmp_path / name).signing_key, f"hgr/{name}")


def _node(tmp_path: Path, name: str, migrated_sqlite: Callable[[Path], str]) -> Database:
    database = Database(migrated_sqlite(tmp_path / f"{name}.sqlite"))
    database.seal_with(create_node_keys(tmp_path / f"{name}-keys").record_key())
    return database


@pytest.fixture
def nodes(
    db: Database, keys: NodeKeys, tmp_path: Path, migrated_sqlite: Callable[[Path], str]
) -> Iterator[dict[str, Any]]:
    """An institution node (on each database) with examples/ declared, and a province and a
    nation node, each trusting the keys of the node below (or above) it."""
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution=BJ)
    signers = {n: _signer(tmp_path, n) for n in ("institution", "province", "nation")}
    province = _node(tmp_path, "province", migrated_sqlite)
    nation = _node(tmp_path, "nation", migrated_sqlite)
    with db.transaction() as session:
        declare_pedigree(session, ACTOR, BJ, "HD-001")
        declare_region(session, ACTOR, BJ, "Han", PROVINCE, trait="a founder population")
        trust_key(session, ACTOR, "nation", NATION, signers["nation"].verifier)
    with province.transaction() as session:
        trust_key(session, ACTOR, "institution", BJ, signers["institution"].verifier)
        trust_key(session, ACTOR, "nation", NATION, signers["nation"].verifier)
    with nation.transaction() as session:
        trust_key(session, ACTOR, "province", PROVINCE, signers["province"].verifier)
    yield {"institution": db, "province": province, "nation": nation, "signers": signers}
    province.dispose()
    nation.dispose()


def _declarations(nodes: dict[str, Any]) -> dict[str, str]:
    with nodes["institution"].transaction() as session:
        document = sign_declarations(session, nodes["signers"]["institution"], ACTOR, BJ)
        return envelope_of(document).as_dict()


def _to_nation(nodes: dict[str, Any]) -> dict[str, Any]:
    """Declarations received and approved at the province; its review package."""
    with nodes["province"].transaction() as session:
        receive_declarations(session, ACTOR, _declarations(nodes))
        for subject in ("HD-001", "Han"):
            kind = "pedigree" if subject == "HD-001" else "region"
            review(session, ACTOR, find_entry(session, BJ, subject, kind), approve=True)
        return review_package(
            session, sign_review(session, nodes["signers"]["province"], ACTOR, PROVINCE)
        )


def test_a_declaration_travels_up_and_the_register_comes_back(nodes: dict[str, Any]) -> None:
    package = _to_nation(nodes)
    with nodes["province"].reader() as session:
        # The province draws the family from the declaration alone: it holds no registry.
        assert "<svg" in draw_entry(find_entry(session, BJ, "HD-001"))
    with nodes["nation"].transaction() as session:
        receive_review(session, ACTOR, package)
        pedigree = find_entry(session, BJ, "HD-001")
        region = find_entry(session, BJ, "Han", "region")
        assert (pedigree.status, region.status) == ("province_approved", "province_approved")
        # examples: five Han donors, one of whom lives in Hebei (130000), not Beijing.
        evidence = region.evidence
        assert (evidence["population_donors"], evidence["resident_donors"]) == (5, 4)
        register(session, ACTOR, pedigree)
        register(session, ACTOR, region)
        numbers = (pedigree.number, region.number)
        sent = envelope_of(sign_register(session, nodes["signers"]["nation"], ACTOR, NATION))
    assert (numbers[0] or "")[:4] == "HGP-"
    assert (numbers[1] or "")[:4] == "HGS-"
    for node in ("institution", "province"):
        with nodes[node].transaction() as session:
            apply_register(session, ACTOR, sent.as_dict(), NATION)
            assert is_protected(session, BJ, "HD-001")
            assert is_protected(session, BJ, "Han", "region")
            assert find_entry(session, BJ, "HD-001").number == numbers[0]
    for node in ("institution", "province", "nation"):
        with nodes[node].reader() as session:
            check = verify_survey(session, own=nodes["signers"][node].verifier)
        assert check.ok, (node, check.problems)
        assert check.documents >= 2


def test_a_send_tried_again_sends_the_same_version(nodes: dict[str, Any]) -> None:
    # Nothing changed since the last signing (a send that failed on the network, say):
    # no new version, so the province, which never saw version 1, can still chain it.
    first, again = _declarations(nodes), _declarations(nodes)
    assert first == again
    with nodes["province"].transaction() as session:
        assert receive_declarations(session, ACTOR, again).version == 1
    with nodes["institution"].transaction() as session:
        declare_region(session, ACTOR, BJ, "Han", PROVINCE, trait="another trait")
    assert json.loads(_declarations(nodes)["body"])["version"] == 2


def test_a_forged_declaration_is_refused_and_nothing_kept(nodes: dict[str, Any]) -> None:
    sent = _declarations(nodes)
    sent["body"] = sent["body"].replace('"affected":3', '"affected":9')
    before = table_counts(nodes["province"])
    with pytest.raises(IntegrityBroken), nodes["province"].transaction() as session:
        receive_declarations(session, ACTOR, sent)
    assert table_counts(nodes["province"]) == before


def test_an_institution_declares_only_for_itself(nodes: dict[str, Any]) -> None:
    content = json.loads(_declarations(nodes)["body"])
    content["entries"][0]["institution"] = "SH-U002"
    forged = sign_document(nodes["signers"]["institution"], content).as_dict()
    with (
        pytest.raises(IntegrityBroken, match="SH-U002"),
        nodes["province"].transaction() as session,
    ):
        receive_declarations(session, ACTOR, forged)


def test_a_province_cannot_alter_what_the_institution_declared(nodes: dict[str, Any]) -> None:
    package = _to_nation(nodes)
    content = json.loads(package["review"]["body"])
    content["decisions"][0]["entry"]["affected"] = 9
    package["review"] = sign_document(nodes["signers"]["province"], content).as_dict()
    before = table_counts(nodes["nation"])
    with pytest.raises(IntegrityBroken, match="not what"), nodes["nation"].transaction() as session:
        receive_review(session, ACTOR, package)
    assert table_counts(nodes["nation"]) == before


def test_an_approved_declaration_cannot_change(nodes: dict[str, Any]) -> None:
    _to_nation(nodes)
    with nodes["institution"].transaction() as session:
        declare_region(session, ACTOR, BJ, "Han", PROVINCE, trait="high-altitude adaptation")
    sent = _declarations(nodes)
    before = table_counts(nodes["province"])
    with pytest.raises(Conflict, match="approved"), nodes["province"].transaction() as session:
        receive_declarations(session, ACTOR, sent)
    assert table_counts(nodes["province"]) == before


def test_broken_documents_are_refused(nodes: dict[str, Any]) -> None:
    signer = nodes["signers"]["nation"]
    with nodes["institution"].transaction() as session:
        other = sign_document(
            signer,
            {
                "kind": "register",
                "cycle": "catalogue",
                "subject": "XX",
                "version": 1,
                "replaces": None,
                "entries": [],
            },
        )
        with pytest.raises(IntegrityBroken, match="not CN"):
            apply_register(session, ACTOR, other.as_dict(), NATION)
        bad = sign_document(
            signer,
            {
                "kind": "register",
                "cycle": "catalogue",
                "subject": NATION,
                "version": 1,
                "replaces": None,
                "entries": [{"kind": "pedigree"}],
            },
        )
        with pytest.raises(FormatError, match="an entry names"):
            apply_register(session, ACTOR, bad.as_dict(), NATION)
        with pytest.raises(FormatError):
            apply_register(session, ACTOR, {"body": "{}"}, NATION)
    content = json.loads(_declarations(nodes)["body"])
    content["entries"][0]["pedigree"] = [{"id": "x", "sex": "dragon", "affected": "yes"}]
    forged = sign_document(nodes["signers"]["institution"], content).as_dict()
    with pytest.raises(FormatError, match="pedigree"), nodes["province"].transaction() as session:
        receive_declarations(session, ACTOR, forged)
    with pytest.raises(FormatError, match="package"), nodes["nation"].transaction() as session:
        receive_review(session, ACTOR, {"review": {}})
