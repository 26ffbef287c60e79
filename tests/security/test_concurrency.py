"""Concurrent writers get distinct numbers or a clear 409, never a server error.

Numbers were taken as count + 1, so 7 of 8 simultaneous access-request submissions failed with
500; two imports of the same new donors at once failed with 500 too."""

from __future__ import annotations

from pathlib import Path

import pytest

from hgr.audit import Actor
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.debarment import open_case
from hgr.registry.importer import import_files
from tests.api.test_access_routes import BODY
from tests.conftest import EXAMPLES, at_once
from tests.security.conftest import Api

pytestmark = [
    pytest.mark.usefixtures("frozen_clock"),
    pytest.mark.parametrize("db", ["postgresql"], indirect=True),
]

OFFICER = Actor("cli:test", "operator")


def test_twenty_simultaneous_submissions_all_get_distinct_numbers(api: Api) -> None:
    answers = at_once(20, lambda _: api.post("researcher", "/access/requests", json=BODY))
    statuses = [a.status_code for a in answers]
    assert statuses == [200] * 20, [a.text for a in answers if a.status_code != 200][:3]
    numbers = {a.json()["number"] for a in answers}
    assert len(numbers) == 20


def test_simultaneous_debarment_cases_get_distinct_numbers(db: Database) -> None:
    def open_one(n: int) -> str:
        with db.transaction() as session:
            case = open_case(
                session,
                OFFICER,
                organisation=f"Org {n}",
                country="GB",
                identifiers=[f"CH:{n:08d}"],
                regime="uk",
                ground="s.60",
                mandatory=True,
            )
            return case.number

    numbers = at_once(12, open_one)
    assert all(isinstance(n, str) for n in numbers), numbers
    assert len(set(numbers)) == 12


def test_two_imports_of_the_same_new_donors_register_them_once(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    # Imports to one institution run one after another (hgr.registry.importer): the second
    # finds the donors the first registered, and changes nothing.
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, [EXAMPLES / "collections.csv"], institution="BJ-H001")
    donors = tmp_path / "donors.csv"
    rows = "".join(f"NEW-{n:04d},female,1980,110000,Han\n" for n in range(300))
    donors.write_text("donor_id,sex,birth_year,residence_region,population\n" + rows)
    outcomes = at_once(2, lambda _: import_files(db, keys, [donors], institution="BJ-H001"))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    counts = sorted((o.changes["donors"].inserted, o.changes["donors"].unchanged) for o in outcomes)
    assert counts == [(0, 300), (300, 0)]
