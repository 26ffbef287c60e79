"""Listings and detail records: every entity, filters, composite keys, scoping, bad parameters."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import NotFound, ValidationFailed
from hgr.registry.importer import import_files
from hgr.registry.queries import (
    ENTITIES,
    count_summary,
    filter_choices,
    list_entities,
    show_entity,
)
from tests.conftest import EXAMPLES, HOLDINGS

INSTITUTION = "BJ-H001"


@pytest.fixture
def loaded(db: Database, keys: NodeKeys) -> Database:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution=INSTITUTION)
    return db


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_every_entity_lists_and_shows_its_first_row(loaded: Database, name: str) -> None:
    with loaded.reader() as session:
        spec, rows, total, _ = list_entities(session, name, limit=2)
        assert total >= 1
        assert list(rows[0]) == spec.list_columns
        key = {k: str(rows[0][k]) for k in spec.key}
        detail = show_entity(session, name, key)
        assert set(spec.columns) <= set(detail)


def test_consents_list_withdrawals_by_filter(loaded: Database) -> None:
    with loaded.reader() as session:
        _, rows, total, _ = list_entities(session, "consents", filters={"status": "withdrawn"})
        assert total == 1
        assert rows[0]["withdrawn_on"].isoformat() == "2023-02-14"
        total = list_entities(session, "consents")[2]
        assert total == 6


def test_members_name_parents_by_pseudonym(loaded: Database) -> None:
    with loaded.reader() as session:
        _, rows, total, _ = list_entities(session, "members", filters={"generation": "3"})
        assert total == 1
        child = rows[0]
        _, everyone, _, _ = list_entities(session, "members")
        sex = {p["donor"]: p["sex"] for p in everyone}
        assert (sex[child["father"]], sex[child["mother"]]) == ("male", "female")


def test_paging_is_stable_and_total_counts_all(loaded: Database) -> None:
    with loaded.reader() as session:
        _, first, total, _ = list_entities(session, "samples", limit=3)
        _, second, _, _ = list_entities(session, "samples", limit=3, offset=3)
        _, whole, _, _ = list_entities(session, "samples", limit=100)
    assert total == 7
    assert first + second == whole[:6]


def test_totals_beyond_the_cap_say_so(loaded: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hgr.registry.queries.COUNT_CAP", 5)
    with loaded.reader() as session:
        over = list_entities(session, "samples", limit=2)
        under = list_entities(session, "samples", filters={"material_type": "dna"})
    assert (over.total, over.exact, len(over.rows)) == (5, False, 2)
    assert under.exact
    assert under.total == len(under.rows)


def test_visible_limits_rows_to_those_institutions(loaded: Database) -> None:
    with loaded.reader() as session:
        _, rows, total, _ = list_entities(session, "donors", visible={"SH-C001"})
        assert (rows, total) == ([], 0)
        _, institutions, _, _ = list_entities(session, "institutions", visible={INSTITUTION})
        assert [i["code"] for i in institutions] == [INSTITUTION]
        sample = list_entities(session, "samples", limit=1)[1][0]
        with pytest.raises(NotFound):
            show_entity(session, "samples", {"code": sample["code"]}, visible={"SH-C001"})
        regions = list_entities(session, "regions", visible=set())[2]
        assert regions == 32  # the nation and its 31 provinces: public reference data
        assert [r["institution"] for r in count_summary(session, visible={INSTITUTION})] == [
            INSTITUTION
        ]


def test_every_join_looks_up_one_row() -> None:
    """Listings leave out joins their conditions do not need (``Entity.joined``): that is
    sound only while each join finds exactly one row (inner) or at most one (outer)."""
    for spec in ENTITIES.values():
        for target, on, required in [(t, on, True) for t, on in spec.joins] + [
            (t, on, False) for t, on in spec.outer_joins
        ]:
            table = sa.inspect(target).selectable
            key, reference = (on.left, on.right) if on.left.table is table else (on.right, on.left)
            assert key.table is table, (spec.name, str(on))
            assert key.primary_key, (spec.name, str(on))
            assert reference.table is not table, (spec.name, str(on))
            if required:
                assert not reference.nullable, (spec.name, str(on))
                assert any(fk.column is key._deannotate() for fk in reference.foreign_keys)


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_each_filter_picks_the_rows_it_names(loaded: Database, name: str) -> None:
    """Every filter, with a value that occurs and one that does not, against the whole
    listing filtered here; totals and paging past a filtered page included."""
    spec = ENTITIES[name]
    with loaded.reader() as session:
        everything = list_entities(session, name, limit=1000).rows
        for label in spec.filters:
            seen = sorted({str(r[label]) for r in everything if r.get(label) is not None})
            for value in seen[:2]:
                expected = [r for r in everything if str(r[label]) == value]
                listing = list_entities(session, name, filters={label: value}, limit=1000)
                assert listing.rows == expected, (label, value)
                assert (listing.total, listing.exact) == (len(expected), True)
                past = list_entities(session, name, filters={label: value}, offset=len(expected))
                assert (past.rows, past.total) == ([], len(expected))
            if filter_choices(spec, label) is None:
                assert list_entities(session, name, filters={label: "NONE-SUCH"}).total == 0


def test_bad_filters_and_keys_are_named(loaded: Database) -> None:
    with loaded.reader() as session:
        with pytest.raises(ValidationFailed) as info:
            list_entities(session, "donors", filters={"colour": "blue"})
        assert info.value.code == "E_FILTER"
        assert "sex" in info.value.issues[0].fix
        with pytest.raises(ValidationFailed, match="not a sex"):
            list_entities(session, "donors", filters={"sex": "femme"})
        with pytest.raises(NotFound) as missing:
            show_entity(session, "samples", {"code": "NOPE"})
        assert missing.value.code == "E_NOT_FOUND"
        with pytest.raises(NotFound) as wrong_key:
            show_entity(session, "samples", {"pseudonym": "x"})
        assert wrong_key.value.code == "E_KEY"
        with pytest.raises(NotFound) as unknown:
            list_entities(session, "unicorns")
        assert unknown.value.code == "E_ENTITY"
