"""A database superuser edits the registry: a donor's sex and birth year, a consent withdrawn,
a sample deleted, a donor copied in. Before, each passed ``hgr audit verify``; now ``verify
--records`` names each edited row, and each table whose rows no longer add up to what the node
wrote. What the node itself writes (an import with --update, a sample moved, a consent
withdrawn) keeps every seal whole."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from hgr.audit import Actor
from hgr.audit.records import unsealed_rows
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import IntegrityBroken
from hgr.registry import models as m
from hgr.registry.consents import withdraw_consent
from hgr.registry.importer import import_files
from hgr.registry.samples import move_sample
from tests.conftest import EXAMPLES, HOLDINGS

ADMIN = Actor("cli:test", "operator")


@pytest.fixture
def node(db: Database, keys: NodeKeys) -> Database:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution="BJ-H001")
    return db


def _problems(db: Database, keys: NodeKeys) -> list[str]:
    with db.reader() as session:
        return unsealed_rows(session, keys.record_key())


def _sql(db: Database, statement: str) -> None:
    with db.transaction() as session:
        session.execute(sa.text(statement))


def _donor_id(db: Database, keys: NodeKeys, local: str) -> int:
    pseudonym = keys.pseudonymiser.pseudonym("BJ-H001", local)
    with db.reader() as session:
        found = session.scalar(select(m.Donor.id).where(m.Donor.pseudonym == pseudonym))
    assert found is not None
    return found


def test_what_the_node_writes_stays_sealed(node: Database, keys: NodeKeys, tmp_path: Path) -> None:
    assert _problems(node, keys) == []
    later = tmp_path / "donors.csv"
    later.write_text("donor_id,sex,birth_year\nBJH-0003,female,1973\n", encoding="utf-8")
    import_files(node, keys, [later], institution="BJ-H001", update=True)
    with node.transaction() as session:
        move_sample(
            session,
            ADMIN,
            keys,
            institution="BJ-H001",
            sample="S-0004",
            donor="BJH-0001",
            reason="relabelled",
        )
        consent = session.scalars(select(m.Consent).where(m.Consent.status == "active")).first()
        assert consent is not None
        withdraw_consent(session, ADMIN, consent, consent.signed_on)
    assert _problems(node, keys) == []


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE donor SET sex = 'male', birth_year = 1990 WHERE id = {donor}",
        "UPDATE consent SET status = 'withdrawn', withdrawn_on = '2025-01-01' "
        "WHERE donor_id = {donor}",
        "UPDATE sample SET storage_status = 'destroyed' WHERE donor_id = {donor}",
    ],
)
def test_an_edited_row_is_named(node: Database, keys: NodeKeys, edit: str) -> None:
    donor = _donor_id(node, keys, "BJH-0003")
    _sql(node, edit.format(donor=donor))
    problems = _problems(node, keys)
    assert any("edited outside the node" in p for p in problems), problems


def test_a_deleted_sample_unbalances_its_table(node: Database, keys: NodeKeys) -> None:
    _sql(node, "DELETE FROM sample WHERE code = 'S-0006'")
    assert _problems(node, keys) == [
        "table sample: its rows do not add up to what the node wrote (a row was deleted, or "
        "one was copied in)"
    ]


def test_a_donor_copied_in_is_caught(node: Database, keys: NodeKeys) -> None:
    _sql(
        node,
        "INSERT INTO donor (institution_id, pseudonym, sex, birth_year, vital_status, "
        "population, seal, created_at, updated_at) SELECT institution_id, 'forged', sex, "
        "birth_year, vital_status, population, seal, created_at, updated_at FROM donor "
        "WHERE birth_year = 1972",
    )
    problems = _problems(node, keys)
    assert any(p.startswith("donor ") and "edited outside the node" in p for p in problems)
    assert any(p.startswith("table donor:") for p in problems)


def test_the_node_does_not_write_over_an_edited_row(
    node: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    # Writing over it would seal the forgery's other fields as the node's own.
    donor = _donor_id(node, keys, "BJH-0003")
    _sql(node, f"UPDATE donor SET birth_year = 1990 WHERE id = {donor}")
    later = tmp_path / "donors.csv"
    later.write_text("donor_id,sex,birth_year\nBJH-0003,female,1991\n", encoding="utf-8")
    with pytest.raises(IntegrityBroken) as refused:
        import_files(node, keys, [later], institution="BJ-H001", update=True)
    assert refused.value.code == "E_ROW_TAMPERED"
    assert f"donor {donor} was edited outside the node" in str(refused.value)
    assert _problems(node, keys) == [f"donor {donor}: edited outside the node"]


def test_the_cli_names_the_edited_donor(tmp_path: Path) -> None:
    from hgr.cli.main import app
    from hgr.node import open_node
    from tests.cli.conftest import hgr, runner

    home = tmp_path / "node"
    assert runner.invoke(app, ["init", str(home), "--institution", "BJ-H001"]).exit_code == 0
    assert hgr(home, "import", str(EXAMPLES / "institutions.csv"))[0] == 0
    assert hgr(home, "import", *map(str, HOLDINGS))[0] == 0
    code, output = hgr(home, "audit", "verify", "--records")
    assert code == 0, output
    node = open_node(home)
    try:
        _sql(node.db, "UPDATE donor SET sex = 'male' WHERE birth_year = 1972")
    finally:
        node.close()
    code, output = hgr(home, "audit", "verify", "--records")
    assert code != 0
    assert "edited outside the node" in output


def test_reseal_seals_rows_made_before_seals_and_keeps_the_totals(
    node: Database, keys: NodeKeys
) -> None:
    from hgr.audit import record
    from hgr.audit.records import seal_unsealed_rows

    _sql(node, "UPDATE sample SET seal = NULL WHERE code = 'S-0001'")  # as before seals
    donor = _donor_id(node, keys, "BJH-0003")
    _sql(node, f"UPDATE donor SET sex = 'male' WHERE id = {donor}")  # and a forgery
    problems = _problems(node, keys)
    assert any(p.endswith(": not sealed") for p in problems)
    with node.transaction() as session:
        counts = seal_unsealed_rows(session, write=True)
        record(session, ADMIN, "registry.reseal", "records", detail={"rows": counts})
    assert counts == {"sample": 1}
    # Resealed, the sample now counts twice in the events (its import and the reseal): emptying
    # a seal the node had written is itself tampering, and the table says so. The forged
    # donor is never blessed.
    remaining = _problems(node, keys)
    assert f"donor {donor}: edited outside the node" in remaining
    assert any(p.startswith("table sample:") for p in remaining)
    assert not any(p.endswith(": not sealed") for p in remaining)
