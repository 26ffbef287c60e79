"""Template rows given as data (as the API receives them) import as the same rows in a file
would: one reader, no temporary file, issues pointing at the rows."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import ValidationFailed
from hgr.registry import models as m
from hgr.registry.importer import import_files
from hgr.registry.staging import TemplateRows
from tests.conftest import EXAMPLES, table_counts

INSTITUTION = "BJ-H001"


def _rows(name: str) -> list[dict[str, str]]:
    with (EXAMPLES / f"{name}.csv").open(encoding="utf-8") as table:
        return list(csv.DictReader(line for line in table if not line.startswith("#")))


@pytest.fixture
def registered(db: Database, keys: NodeKeys) -> Database:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    return db


def _donors(db: Database) -> list[tuple[str, str | None, int | None]]:
    with db.reader() as session:
        rows = session.execute(
            select(m.Donor.pseudonym, m.Donor.sex, m.Donor.birth_year).order_by(m.Donor.pseudonym)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_rows_import_as_their_file_would(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    given = TemplateRows("donors", _rows("donors"))
    result = import_files(registered, keys, [given], institution=INSTITUTION)
    assert result.changes["donors"].inserted == len(given.rows)
    from_rows = _donors(registered)
    # The file itself, read once more, finds every donor registered as it stands.
    again = import_files(registered, keys, [EXAMPLES / "donors.csv"], institution=INSTITUTION)
    assert not again.changed
    assert _donors(registered) == from_rows


def test_the_import_records_the_rows_not_a_temporary_file(
    registered: Database, keys: NodeKeys
) -> None:
    rows = _rows("donors")
    import_files(registered, keys, [TemplateRows("donors", rows)], institution=INSTITUTION)
    canonical = json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    with registered.reader() as session:
        batch = session.scalars(select(m.ImportBatch).order_by(m.ImportBatch.id.desc())).first()
    assert batch is not None
    assert batch.provenance["files"] == [
        {
            "path": "rows",
            "kind": "donors",
            "size": len(canonical.encode()),
            "sha256": hashlib.sha256(canonical.encode()).hexdigest(),
        }
    ]


def test_issues_point_at_the_row_and_nothing_is_written(
    registered: Database, keys: NodeKeys
) -> None:
    rows = _rows("donors")
    rows[2] = {**rows[2], "sex": "sometimes"}
    before = table_counts(registered)
    with pytest.raises(ValidationFailed) as refused:
        import_files(registered, keys, [TemplateRows("donors", rows)], institution=INSTITUTION)
    assert table_counts(registered) == before
    pointed = [(str(i.origin), i.field) for i in refused.value.issues]
    assert pointed == [("rows#/rows/2", "sex")]


def test_an_unknown_column_points_at_the_columns_of_every_row(
    registered: Database, keys: NodeKeys
) -> None:
    rows = [{**row, "shoe_size": "42"} for row in _rows("donors")]
    with pytest.raises(ValidationFailed) as refused:
        import_files(registered, keys, [TemplateRows("donors", rows)], institution=INSTITUTION)
    assert [(i.code, str(i.origin)) for i in refused.value.issues] == [
        ("E_UNKNOWN_COLUMN", "rows#/rows")
    ]


def test_a_missing_cell_is_empty_and_an_empty_row_is_skipped(
    registered: Database, keys: NodeKeys
) -> None:
    rows = [{"donor_id": "D-1", "sex": "female"}, {"donor_id": "", "sex": " "}]
    result = import_files(registered, keys, [TemplateRows("donors", rows)], institution=INSTITUTION)
    assert result.changes["donors"].inserted == 1


def test_a_column_given_twice_in_a_row_is_refused(registered: Database, keys: NodeKeys) -> None:
    """Neither spelling may silently win, nor turn a row into an empty one that is skipped."""
    rows = [{"donor_id": "D-1", "sex": "male"}, {"Donor_ID": "D-2", "donor_id": ""}]
    before = table_counts(registered)
    with pytest.raises(ValidationFailed) as refused:
        import_files(registered, keys, [TemplateRows("donors", rows)], institution=INSTITUTION)
    assert table_counts(registered) == before
    found = [(i.code, str(i.origin), i.field) for i in refused.value.issues]
    assert ("E_DUPLICATE_COLUMN", "rows#/rows/1", "donor_id") in found
