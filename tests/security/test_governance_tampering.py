"""A database superuser edits what the registry and the governance processes decided: an
access request approved in SQL, a debarment entry lifted or deleted, a pedigree's mother
changed, a survey key slipped in to vouch for documents, a version of the history rewritten,
two donors' ids swapped. Before, each passed ``hgr audit verify``; now ``verify --records``
names each row or table. What the node writes itself, through the processes, keeps every
seal whole, and a change to a sealed row that no audit event records is refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from hgr.audit import Actor
from hgr.audit.records import unsealed_rows
from hgr.auth.models import User
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.debarment import decide, list_entry, notify, open_case, represent
from hgr.debarment.models import DebarmentEntry
from hgr.exceptions import IntegrityBroken
from hgr.registry import models as m
from hgr.registry.importer import import_files
from tests.access.test_requests import _review, _submitted
from tests.access.test_requests import users as users  # a fixture
from tests.conftest import EXAMPLES, HOLDINGS, as_superuser

OFFICER = Actor("test", "national_officer")
MONDAY = dt.date(2026, 11, 23)
COHORT = {"cohort": {"institution": "BJ-H001", "families": ["HD-001"]}}


def _problems(db: Database, keys: NodeKeys) -> list[str]:
    with db.reader() as session:
        return unsealed_rows(session, keys.record_key())


def _listed(db: Database) -> int:
    """A debarment entry taken through its process to the published list, by the node."""
    with db.transaction() as session:
        entry = open_case(
            session,
            OFFICER,
            organisation="Example Sequencing Holdings",
            country="GB",
            identifiers=["LEI:5493001KJTIIGC8Y1R12"],
            regime="uk",
            ground="Sch. 6 para 35",
            mandatory=True,
            today=MONDAY,
        )
        notify(session, OFFICER, entry, today=MONDAY)
        represent(session, OFFICER, entry, "We dispute the facts.", today=MONDAY)
        decide(
            session,
            OFFICER,
            entry,
            debar=True,
            reasons="Data passed to a third party.",
            expected_end=dt.date(2028, 11, 23),
            today=MONDAY,
        )
        list_entry(session, OFFICER, entry, today=dt.date(2026, 12, 10))
        return entry.id


@pytest.fixture
def governed(db: Database, keys: NodeKeys, users: dict[str, User]) -> tuple[Database, str, int]:
    """A node whose processes ran: holdings imported, a request submitted and reviewed, a
    debarment entry listed."""
    number = _submitted(db, users, COHORT)
    _review(db, users, number, "dac1", "dac")
    return db, number, _listed(db)


def test_what_the_processes_write_stays_sealed(
    governed: tuple[Database, str, int], keys: NodeKeys
) -> None:
    db, _number, _entry = governed
    assert _problems(db, keys) == []


def test_a_request_approved_in_sql_is_named(
    governed: tuple[Database, str, int], keys: NodeKeys
) -> None:
    db, number, _entry = governed
    with as_superuser(db) as session:
        approve = "UPDATE access_request SET status = 'approved', outcome = 'allowed' "
        session.execute(sa.text(approve + "WHERE number = :n"), {"n": number})
        row = session.scalar(
            sa.text("SELECT id FROM access_request WHERE number = :n"), {"n": number}
        )
    assert f"access_request {row}: edited outside the node" in _problems(db, keys)


def test_a_review_deleted_in_sql_unbalances_its_table(
    governed: tuple[Database, str, int], keys: NodeKeys
) -> None:
    db, _number, _entry = governed
    with as_superuser(db) as session:
        session.execute(sa.text("DELETE FROM access_review"))
    problems = _problems(db, keys)
    assert any(p.startswith("table access_review: its rows do not add up") for p in problems)


def test_a_debarment_lifted_or_deleted_in_sql_is_found(
    governed: tuple[Database, str, int], keys: NodeKeys
) -> None:
    db, _number, entry = governed
    with as_superuser(db) as session:
        session.execute(
            sa.text(f"UPDATE debarment_entry SET status = 'removed' WHERE id = {entry}")
        )
    assert f"debarment_entry {entry}: edited outside the node" in _problems(db, keys)
    with as_superuser(db) as session:
        session.execute(sa.text(f"DELETE FROM debarment_entry WHERE id = {entry}"))
    problems = _problems(db, keys)
    assert any(p.startswith("table debarment_entry: its rows do not add up") for p in problems)


def test_a_mother_changed_in_a_pedigree_is_named(db: Database, keys: NodeKeys) -> None:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution="BJ-H001")
    assert _problems(db, keys) == []
    with as_superuser(db) as session:
        member, other = session.execute(
            sa.text(
                "SELECT id, family_id FROM pedigree_member WHERE mother_id IS NOT NULL ORDER BY id"
            )
        ).first()
        stranger = session.scalar(
            sa.text(
                f"SELECT id FROM pedigree_member WHERE id <> {member} "
                f"AND family_id = {other} AND mother_id IS NULL "
                "ORDER BY id DESC"
            )
        )
        session.execute(
            sa.text(f"UPDATE pedigree_member SET mother_id = {stranger} WHERE id = {member}")
        )
    assert f"pedigree_member {member}: edited outside the node" in _problems(db, keys)


def test_a_survey_key_slipped_in_is_found(db: Database, keys: NodeKeys) -> None:
    with as_superuser(db) as session:
        session.execute(
            sa.text(
                "INSERT INTO survey_key (level, subject, signer, public_key, key_id, added_at) "
                "VALUES ('province', 'CN-11', 'rogue', 'AAAA', 'k1', CURRENT_TIMESTAMP)"
            )
        )
        row = session.scalar(sa.text("SELECT id FROM survey_key WHERE signer = 'rogue'"))
    problems = _problems(db, keys)
    assert f"survey_key {row}: not sealed" in problems


def test_a_version_of_the_history_rewritten_is_named(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution="BJ-H001")
    later = tmp_path / "donors.csv"
    later.write_text("donor_id,sex,birth_year\nBJH-0003,female,1973\n", encoding="utf-8")
    import_files(db, keys, [later], institution="BJ-H001", update=True)
    assert _problems(db, keys) == []
    with as_superuser(db) as session:
        row = session.scalar(sa.text("SELECT id FROM record_version"))
        session.execute(sa.text(f"UPDATE record_version SET actor = 'nobody' WHERE id = {row}"))
    assert f"record_version {row}: edited outside the node" in _problems(db, keys)


def test_two_donors_ids_swapped_are_both_named(db: Database, keys: NodeKeys) -> None:
    """Swapping two rows' ids hands every sample, consent and pedigree place of one donor to
    the other, while every referring row keeps its seal: the id is sealed with the row."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite enforces the foreign keys inside the transaction")
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution="BJ-H001")
    with db.reader() as session:
        a, b = session.scalars(select(m.Donor.id).order_by(m.Donor.id).limit(2)).all()
    with as_superuser(db) as session:  # the replica role fires no foreign-key trigger
        for old, new in ((a, -1), (b, a), (-1, b)):
            session.execute(sa.text(f"UPDATE donor SET id = {new} WHERE id = {old}"))
    problems = _problems(db, keys)
    assert f"donor {a}: edited outside the node" in problems
    assert f"donor {b}: edited outside the node" in problems


def test_a_change_no_event_records_is_refused(
    governed: tuple[Database, str, int], keys: NodeKeys
) -> None:
    db, _number, entry = governed

    def lift_unaudited() -> None:
        with db.transaction() as session:
            found = session.get(DebarmentEntry, entry)
            assert found is not None
            found.status = "removed"

    with pytest.raises(IntegrityBroken) as refused:
        lift_unaudited()
    assert refused.value.code == "E_UNAUDITED_WRITE"
    with db.reader() as session:
        assert (
            session.scalar(select(DebarmentEntry.status).where(DebarmentEntry.id == entry))
            == "listed"
        )
    assert _problems(db, keys) == []


# Tables outside the generic seals, and why: the audit log is its own Merkle tree; accounts
# carry the seals that authentication checks (hgr.auth.seals); the Beacon's budgets and
# ledgers, the allele decisions among them, are written by anonymous questions at request
# rate (docs/security.md says what that leaves open); the number counter only hands out
# numbers that the sealed rows hold.
UNSEALED_TABLES = {
    "audit_event",
    "audit_counter",
    "audit_leaf",
    "audit_node",
    "audit_checkpoint",
    "app_user",
    "api_token",
    "user_credential",
    "browser_session",
    "number_counter",
    "privacy_spent",  # the privacy budgets: the Beacon's ledgers, in one shape
}


def test_every_governed_table_and_column_is_sealed() -> None:
    import hgr.node  # noqa: F401 - loads every package's models
    from hgr.db import Base
    from hgr.db.seals import sealed_tables

    sealed = sealed_tables()
    for name, table in Base.metadata.tables.items():
        if name in UNSEALED_TABLES or (name.startswith("beacon_") and name != "beacon_dataset"):
            assert name not in sealed
            continue
        assert name in sealed, f"{name} is neither sealed nor listed as unsealed"
        # The stamps the database sets itself (the registry's created/updated) decide nothing;
        # a stamp the node sets (an export's date counts towards a 12-month total) is sealed.
        stamps = {
            c.name
            for c in table.c
            if c.name in {"created_at", "updated_at"} and c.server_default is not None
        }
        (key,) = table.primary_key.columns
        assert set(sealed[name]) == {c.name for c in table.c} - {key.name, "seal"} - stamps, name


def test_totals_written_without_the_key_do_not_balance_a_deletion(
    governed: tuple[Database, str, int], keys: NodeKeys
) -> None:
    """The node's own database role can write an audit event. An event whose totals take a
    deleted entry out would balance its table, but without the record key its MAC fails."""
    from hgr.audit import record

    db, _number, entry = governed
    with db.reader() as session:
        stored = session.scalar(sa.text(f"SELECT seal FROM debarment_entry WHERE id = {entry}"))
    with as_superuser(db) as session:
        session.execute(sa.text(f"DELETE FROM debarment_entry WHERE id = {entry}"))
    forger = Database(db.url)
    forger.seal_with(b"\x00" * 32)  # not the node's key
    with forger.transaction() as session:
        session.info["hgr.seal_delta"] = {"debarment_entry": int(stored, 16)}
        record(session, Actor("cli:root", "operator"), "audit.seals", "debarment")
    forger.dispose()
    problems = _problems(db, keys)
    assert any(p.endswith("its seal totals were not written by the node") for p in problems)
    assert any(p.startswith("table debarment_entry: its rows do not add up") for p in problems)


def test_a_replayed_event_does_not_balance_a_deletion(
    governed: tuple[Database, str, int], keys: NodeKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing the listing event's totals again takes the entry out of the total, and the
    entry can then be deleted: the copy's nonce is the original's."""
    import hgr.audit.log
    from hgr.audit import record
    from hgr.audit.models import AuditEvent

    db, _number, entry = governed
    with db.reader() as session:
        opened = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "debarment.open")
        ).one()
    with as_superuser(db) as session:  # the case opened, and never touched again
        session.execute(sa.text(f"DELETE FROM debarment_entry WHERE id = {entry}"))
    monkeypatch.setattr(hgr.audit.log, "take_seals", lambda _session: opened["seals"])
    with db.transaction() as session:
        record(session, Actor("cli:root", "operator"), "audit.seals", "debarment")
    problems = _problems(db, keys)
    assert any(p.endswith("its seal totals are a copy of another event's") for p in problems)


def test_copies_of_a_review_are_found_and_count_once(
    governed: tuple[Database, str, int], keys: NodeKeys, users: dict[str, User]
) -> None:
    """Two copies of a row cancel in a XOR. With the primary key dropped, a copied approval
    would have passed the total and counted as a second pair of eyes."""
    from hgr.access.requests import find_request, review_state

    db, number, _entry = governed
    if db.dialect != "postgresql":
        pytest.skip("SQLite cannot drop a primary key")
    with as_superuser(db) as session:
        session.execute(sa.text("ALTER TABLE access_review DROP CONSTRAINT pk_access_review"))
        for _ in range(2):
            session.execute(
                sa.text(
                    "INSERT INTO access_review SELECT * FROM access_review WHERE reviewer = 'dac1'"
                )
            )
    problems = _problems(db, keys)
    assert any(p.endswith(": held by more than one row") for p in problems), problems
    with db.reader() as session:
        assert review_state(session, find_request(session, number)).missing["dac"] == 1


def test_a_request_slipped_in_is_not_sealed_by_the_reviews(
    governed: tuple[Database, str, int], keys: NodeKeys, users: dict[str, User]
) -> None:
    """A request inserted in SQL, straight into review by the committee alone: the node refuses
    to write over it, so the reviews cannot seal it."""
    db, number, _entry = governed
    with as_superuser(db) as session:
        session.execute(
            sa.text(
                "INSERT INTO access_request (number, requester, status, body, outcome, decision, "
                "reviews_needed, note, recipient_key, created_at, updated_at) SELECT 'REQ-FAKE-1', "
                "requester, 'under_review', body, outcome, decision, '[\"dac\"]', note, "
                "recipient_key, created_at, updated_at FROM access_request WHERE number = :n"
            ),
            {"n": number},
        )
    _review(db, users, "REQ-FAKE-1", "dac1", "dac")  # a review row; the request unchanged
    with pytest.raises(IntegrityBroken) as refused:  # the second would approve it
        _review(db, users, "REQ-FAKE-1", "dac2", "dac")
    assert refused.value.code == "E_ROW_TAMPERED"
    assert any(p.endswith(": not sealed") for p in _problems(db, keys))


def test_an_export_moved_out_of_the_year_is_named(db: Database, keys: NodeKeys) -> None:
    """An export's date decides whether its persons count towards the 12-month US total."""
    from hgr.access.models import ExportPackage, RequestRecord
    from hgr.audit import record
    from hgr.dates import utc_now

    with db.transaction() as session:
        entry = RequestRecord(
            number="REQ-2026-00001",
            requester="r",
            status="closed",
            body={},
            reviews_needed=[],
            note="",
            created_at=utc_now(),
            updated_at=utc_now(),
        )
        session.add(entry)
        session.flush()
        session.add(
            ExportPackage(
                request_id=entry.id,
                number="REQ-2026-00001-E01",
                donors=["p"],
                fields=["sex"],
                manifest_sha256="0" * 64,
                created_at=utc_now(),
            )
        )
        record(session, OFFICER, "access.export", entry.number)
    assert _problems(db, keys) == []
    with as_superuser(db) as session:
        session.execute(
            sa.text(
                "UPDATE access_export SET created_at = created_at - INTERVAL '400 days'"
                if db.dialect == "postgresql"
                else "UPDATE access_export SET created_at = '2020-01-01 00:00:00'"
            )
        )
        row = session.scalar(sa.text("SELECT id FROM access_export"))
    assert f"access_export {row}: edited outside the node" in _problems(db, keys)


def test_a_savepoint_rolled_back_leaves_the_totals_whole(db: Database, keys: NodeKeys) -> None:
    from hgr.audit import record

    with db.transaction() as session:
        region = session.scalars(select(m.Region).where(m.Region.code == "110000")).one()
        region.name = "Beijing (renamed)"
        session.flush()
        with session.begin_nested() as trial:  # sealed writes undone with their savepoint
            other = session.scalars(select(m.Region).where(m.Region.code == "310000")).one()
            other.name = "Shanghai (tried)"
            session.flush()
            trial.rollback()
        with session.begin_nested() as unrelated:  # a savepoint that seals nothing
            session.execute(sa.text("SELECT 1"))
            unrelated.rollback()
        record(session, OFFICER, "registry.regions.rename", "110000")
    assert _problems(db, keys) == []


def test_a_beacon_loosened_in_sql_is_named(db: Database, keys: NodeKeys) -> None:
    """The officer's exposure decision: a superuser who lets anonymous users see records, or
    shows alleles carried by one donor, is found."""
    from hgr.dates import utc_now
    from hgr.privacy.exposure import set_exposure

    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution="BJ-H001")
    with db.reader() as session:
        code = session.scalar(select(m.Collection.code).order_by(m.Collection.id))
    with db.transaction() as session:
        set_exposure(session, OFFICER, f"BJ-H001:{code}", utc_now(), min_carriers=5)
    assert _problems(db, keys) == []
    with as_superuser(db) as session:
        session.execute(sa.text("UPDATE beacon_dataset SET min_carriers = 1"))
        row = session.scalar(sa.text("SELECT collection_id FROM beacon_dataset"))
    assert f"beacon_dataset {row}: edited outside the node" in _problems(db, keys)


def test_whoever_opens_a_node_checks_every_sealed_table(sqlite_url: str) -> None:
    """A restore or a library caller that imports only the node still checks every table
    that carries seals in the database (a fresh interpreter: this one has every model)."""
    import subprocess
    import sys

    program = (
        "import sys, sqlalchemy as sa; import hgr.node; "
        "from hgr.db.seals import sealed_tables; "
        "from hgr.audit.records import UNSEALED_ACCOUNTS as accounts; "
        "e = sa.create_engine(sys.argv[1]); i = sa.inspect(e); "
        "inbase = {t for t in i.get_table_names() "
        "if any(c['name'] == 'seal' for c in i.get_columns(t))}; "
        "print(sorted(inbase - set(sealed_tables()) - accounts))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, sqlite_url], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
