"""The nation's debarment list reaches every node: signed and versioned, checked against the
nation's key, applied alongside the node's own, refused when forged or older than the copy
held, and required fresh for outbound decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hgr.audit import Actor
from hgr.crypto import NodeKeys, Signer, create_node_keys, load_signer
from hgr.dates import utc_today
from hgr.db import Database
from hgr.debarment.national import (
    held_list,
    publish_national_list,
    receive_national_list,
    require_fresh_list,
)
from hgr.exceptions import Conflict, IntegrityBroken, PolicyDenied
from hgr.federation.documents import Envelope, sign_document, trust_key
from hgr.federation.models import SignedDocument
from hgr.organisations import screen_names
from hgr.registry.regions import default_region_file, load_regions
from tests.conftest import list_organisation, sqlite_triggers_dropped

ACTOR = Actor("test", "operator")
LISTED = "Example Sequencing Holdings Ltd"


@pytest.fixture
def nation(db: Database, keys: NodeKeys) -> tuple[Database, Signer]:
    """The national node, with one organisation listed on a mandatory ground."""
    signer = load_signer(keys.signing_key, "hgr/nation")
    with db.transaction() as session:
        list_organisation(session, "DEB-2026-0001", LISTED, "HK", ["HK-CR:0000001"])
    return db, signer


@pytest.fixture
def province(
    tmp_path: Path,
    nation: tuple[Database, Signer],
    keys: NodeKeys,
    migrated_sqlite: Callable[[Path], str],
) -> Iterator[Database]:
    """Another node: the nation's key trusted, no list of its own."""
    other = Database(migrated_sqlite(tmp_path / "province.sqlite"))
    other.seal_with(keys.record_key())
    load_regions(other, default_region_file())
    with other.transaction() as session:
        trust_key(session, ACTOR, "nation", "CN", nation[1].verifier)
    yield other
    other.dispose()


def _publish(nation: tuple[Database, Signer]) -> dict[str, Any]:
    db, signer = nation
    with db.transaction() as session:
        kept = publish_national_list(session, signer, ACTOR, "CN")
        return {
            "body": kept.body,
            "sha256": kept.sha256,
            "signer": kept.signer,
            "key_id": kept.key_id,
            "signature": kept.signature,
        }


def test_a_node_applies_the_nations_list(
    nation: tuple[Database, Signer], province: Database
) -> None:
    sent = _publish(nation)
    with province.reader() as session:  # before: the node's own list is empty
        assert screen_names(session, [], [LISTED], utc_today()).level == "none"
    with province.transaction() as session:
        receive_national_list(session, ACTOR, sent)
    with province.reader() as session:
        found = held_list(session, "CN")
        assert found is not None
        assert (found[0].version, found[0].entries) == (1, 1)
        assert "version 1, issued" in found[0].describe()
        assert (
            screen_names(session, [], ["EXAMPLE SEQUENCING HOLDINGS LIMITED"], utc_today()).level
            == "mandatory"
        )


@pytest.mark.parametrize("forgery", ["body", "signer"])
def test_a_forged_list_is_refused_and_nothing_kept(
    nation: tuple[Database, Signer], province: Database, tmp_path: Path, forgery: str
) -> None:
    sent = _publish(nation)
    if forgery == "body":  # an entry removed after signing
        sent["body"] = sent["body"].replace("DEB-2026-0001", "DEB-2026-0009")
    else:  # signed by a key the province does not trust
        impostor = load_signer(create_node_keys(tmp_path / "impostor").signing_key, "hgr/nation")
        sent = sign_document(impostor, Envelope.from_dict(sent).content).as_dict()
    with pytest.raises(IntegrityBroken), province.transaction() as session:
        receive_national_list(session, ACTOR, sent)
    with province.reader() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(SignedDocument)) == 0


def test_an_older_list_than_the_one_held_is_refused(
    nation: tuple[Database, Signer], province: Database
) -> None:
    first, second = _publish(nation), _publish(nation)
    with province.transaction() as session:
        receive_national_list(session, ACTOR, first)
        receive_national_list(session, ACTOR, second)
    with pytest.raises(Conflict) as refused, province.transaction() as session:
        receive_national_list(session, ACTOR, first)
    assert refused.value.code == "E_LIST_OLDER"
    with province.reader() as session:
        found = held_list(session, "CN")
        assert found is not None
        assert found[0].version == 2


def test_outbound_decisions_need_a_fresh_copy(
    nation: tuple[Database, Signer], province: Database
) -> None:
    with province.reader() as session, pytest.raises(PolicyDenied, match="holds no copy"):
        require_fresh_list(session, "CN", "provide", 7)
    with province.transaction() as session:
        receive_national_list(session, ACTOR, _publish(nation))
    with province.reader() as session:
        assert require_fresh_list(session, "CN", "use", 7) is None  # not outbound
        copy = require_fresh_list(session, "CN", "provide", 7)
        assert copy is not None
        later = copy.issued_at + dt.timedelta(days=8)
        with pytest.raises(PolicyDenied, match="8 days old, more than the 7") as stale:
            require_fresh_list(session, "CN", "provide", 7, now=later)
        assert stale.value.code == "E_LIST_STALE"
        assert require_fresh_list(session, "CN", "export_material", 10, now=later) is not None


def test_a_rolled_back_copy_is_seen(nation: tuple[Database, Signer], province: Database) -> None:
    # A superuser deletes the newest copy, so that an older list (without a new listing)
    # would apply: the audit log remembers version 2.
    with province.transaction() as session:
        receive_national_list(session, ACTOR, _publish(nation))
        receive_national_list(session, ACTOR, _publish(nation))
    with province.transaction() as session, sqlite_triggers_dropped(session):
        session.execute(sa.delete(SignedDocument).where(SignedDocument.version == 2))
    with province.reader() as session, pytest.raises(IntegrityBroken) as refused:
        held_list(session, "CN")
    assert refused.value.code == "E_SURVEY_ROLLBACK"
