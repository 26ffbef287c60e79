"""The organisation registry: names matched in their normalised form, the control walk, the
foreign-party test computed from the registry, and bad input refused with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import insert

from hgr.audit import Actor
from hgr.dates import utc_now
from hgr.db import Database
from hgr.exceptions import HgrError, NotFound, ValidationFailed
from hgr.organisations import (
    Fact,
    add_control,
    add_identifier,
    controllers,
    find_organisation,
    foreign_party,
    normalise_name,
    organisation_by_identity,
    register_organisation,
)
from hgr.organisations.models import OrganisationControl
from tests.conftest import table_counts

OFFICER = Actor("cli:test", "operator")
FACT = Fact("Companies House register, 2026-11-30", "officer.wang")


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Example Sequencing Holdings Ltd", "example sequencing"),
        ("EXAMPLE SEQUENCING HOLDINGS LIMITED", "example sequencing"),
        ("Ｅｘａｍｐｌｅ  Sequencing Holdings, Ltd.", "example sequencing"),
        ("Example-Sequencing (Holdings) Co., Ltd.", "example sequencing"),
        ("示例基因测序有限公司", "示例基因测序"),
        ("示例基因测序股份有限公司", "示例基因测序"),
        ("Beispiel GmbH", "beispiel"),
        ("Ltd", "ltd"),  # a name that is only a legal form keeps it
        ("示例基因有限 公司", "示例基因"),  # spaces inside a Chinese name
        ("示例基因 有限 公司", "示例基因"),
        ("示例基因集团股份有限公司", "示例基因"),  # legal forms stripped as many as there are
        ("Example_Genomics Ltd", "example genomics"),
    ],
)
def test_names_are_matched_in_normalised_form(name: str, normalised: str) -> None:
    assert normalise_name(name) == normalised


def _register(db: Database, key: str, country: str, name: str, *identifiers: str) -> None:
    with db.transaction() as session:
        register_organisation(session, OFFICER, key, country, name, FACT, identifiers=identifiers)


def _control(
    db: Database,
    controller: str,
    controlled: str,
    kind: str = "equity",
    share: float | None = 100.0,
) -> None:
    with db.transaction() as session:
        add_control(session, OFFICER, controller, controlled, kind, share, FACT)


def _ids(db: Database, *keys: str) -> set[int]:
    with db.reader() as session:
        return {find_organisation(session, k).id for k in keys}


def test_control_is_walked_through_every_level(db: Database) -> None:
    for key in ("parent", "sub", "subsub", "minority"):
        _register(db, key, "GB", key.title())
    _control(db, "parent", "sub", share=75)
    _control(db, "sub", "subsub", kind="agreement", share=None)
    _control(db, "minority", "subsub", share=20)  # a holding, not control
    with db.reader() as session:
        below = find_organisation(session, "subsub").id
        assert controllers(session, below) == _ids(db, "parent", "sub")


def test_a_cycle_written_past_the_registry_does_not_hang_the_walk(db: Database) -> None:
    # A database superuser can insert what add_control refuses: the walk still ends.
    for key in ("org-a", "org-b", "org-c"):
        _register(db, key, "CN", key.upper() + " Co")
    _control(db, "org-a", "org-b")
    _control(db, "org-b", "org-c")
    a, c = sorted(_ids(db, "org-a", "org-c"))
    with db.transaction() as session:
        session.execute(
            insert(OrganisationControl).values(
                controller_id=c,
                controlled_id=a,
                kind="votes",
                share=100.0,
                source="forged",
                verified_by="nobody",
                recorded_at=utc_now(),
            )
        )
    with db.reader() as session:
        assert controllers(session, a) == _ids(db, "org-b", "org-c")


@pytest.mark.parametrize(
    ("holders", "foreign"),
    [
        ([], False),
        ([("us-parent", "US", 60.0)], True),
        ([("us-one", "US", 30.0), ("hk-two", "HK", 25.0)], True),  # together past 50%
        ([("us-one", "US", 30.0), ("cn-two", "CN", 45.0)], False),
    ],
)
def test_the_foreign_party_test_is_computed_from_the_registry(
    db: Database, holders: list[tuple[str, str, float]], foreign: bool
) -> None:
    _register(db, "lab", "CN", "Example Domestic Lab")
    for key, country, share in holders:
        _register(db, key, country, key)
        _control(db, key, "lab", share=share)
    with db.reader() as session:
        assert foreign_party(session, find_organisation(session, "lab")) is foreign


def test_foreign_control_reaches_through_a_domestic_parent(db: Database) -> None:
    # A Chinese company held by a Chinese holding that a Hong Kong company controls.
    _register(db, "hk-holding", "HK", "Example HK Holdings")
    _register(db, "cn-holding", "CN", "Example CN Holdings")
    _register(db, "cn-lab", "CN", "Example CN Lab")
    _control(db, "hk-holding", "cn-holding", kind="agreement", share=None)
    _control(db, "cn-holding", "cn-lab", share=51)
    with db.reader() as session:
        assert foreign_party(session, find_organisation(session, "cn-lab"))


def test_a_ring_of_minority_holdings_ends(db: Database) -> None:
    _register(db, "org-x", "CN", "X Co")
    _register(db, "org-y", "CN", "Y Co")
    _control(db, "org-x", "org-y", share=10)
    _control(db, "org-y", "org-x", share=10)  # cross-holdings are lawful, and not control
    with db.reader() as session:
        assert not foreign_party(session, find_organisation(session, "org-x"))


def test_a_party_is_found_by_identifier_or_by_its_names(db: Database) -> None:
    _register(db, "seq", "HK", "Example Sequencing Holdings Ltd", "HK-CR:0000001")
    lei = "LEI:5493001KJTIIGC8Y1R12"
    with db.transaction() as session:
        add_identifier(session, OFFICER, find_organisation(session, "seq"), lei, FACT)
    asked = [
        ([lei], "Anything", ""),
        ([], "EXAMPLE SEQUENCING HOLDINGS LIMITED", "HK"),
        ([], "Ｅｘａｍｐｌｅ Sequencing Holdings", ""),
    ]
    with db.reader() as session:
        for identifiers, name, country in asked:
            found = organisation_by_identity(session, identifiers, name, country)
            assert found is not None, (identifiers, name)
            assert found.key == "seq"
        # A declared country does not hide the only organisation of that name.
        elsewhere = organisation_by_identity(session, [], "Example Sequencing", "GB")
        assert elsewhere is not None
        assert elsewhere.key == "seq"
        assert organisation_by_identity(session, [], "Example Sequencers", "HK") is None


Attempt = Callable[[Database], Any]
BAD: dict[str, tuple[Attempt, str]] = {
    "unknown controller": (lambda db: _control(db, "nobody", "lab"), "hgr org add nobody"),
    "unknown controlled": (lambda db: _control(db, "lab", "nobody"), "register it"),
    "itself": (lambda db: _control(db, "lab", "lab"), "itself"),
    "over 100%": (lambda db: _control(db, "other", "lab", share=60), "exceed 100%"),
    "no share": (lambda db: _control(db, "other", "lab", share=None), "gives its share"),
    "share of an agreement": (lambda db: _control(db, "other", "lab", "agreement", 10), "no share"),
    "unknown kind": (lambda db: _control(db, "other", "lab", "friendship", 10), "one of"),
    "cycle": (lambda db: _control(db, "lab", "parent"), "control cycle"),
    "key taken": (lambda db: _register(db, "lab", "CN", "Again"), "registered already"),
    "bad key": (lambda db: _register(db, "Not A Key!", "CN", "X"), "lower-case"),
    "bad country": (lambda db: _register(db, "new", "China", "X"), "ISO 3166-1"),
    "empty name": (lambda db: _register(db, "new", "CN", " ,. "), "name"),
    "bad identifier": (lambda db: _register(db, "new", "CN", "X", "91310000"), "SCHEME:VALUE"),
    "taken identifier": (lambda db: _register(db, "new", "CN", "X", "USCC:LAB1"), "belongs to lab"),
    "no source": (lambda db: _unsourced(db), "source"),
}


def _unsourced(db: Database) -> None:
    with db.transaction() as session:
        register_organisation(session, OFFICER, "new", "CN", "X", Fact("", "officer.wang"))


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_with_the_fix_and_nothing_written(db: Database, case: str) -> None:
    _register(db, "parent", "CN", "Parent Co")
    _register(db, "lab", "CN", "Lab Co", "USCC:LAB1")
    _register(db, "other", "CN", "Other Co")
    _control(db, "parent", "lab", share=60)
    before = table_counts(db)
    attempt, says = BAD[case]
    with pytest.raises((ValidationFailed, NotFound)) as refused:
        attempt(db)
    assert says in str(refused.value), str(refused.value)
    assert isinstance(refused.value, HgrError)
    assert refused.value.code.startswith("E_")
    assert table_counts(db) == before
