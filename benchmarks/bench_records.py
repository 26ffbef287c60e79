"""``hgr audit verify --records`` over a million registry rows, on PostgreSQL.

Target (issue: nothing lost, nothing rewritten unseen): under 60 s for 1,000,000 rows. The
check recomputes every sealed row's HMAC and folds the stored seals against the audit events'
totals (hgr.db.seals, hgr.audit.records). It is timed beside a plain read of the same rows in
the same run (the floor any check of every row pays), and the ratio is printed.

    python benchmarks/bench_records.py [--rows 1000000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from scratch import DEFAULT_POSTGRES, postgres_schema

from hgr.audit import Actor, record
from hgr.audit.records import unsealed_rows
from hgr.crypto import create_node_keys
from hgr.dates import utc_now
from hgr.db import Database, upgrade_schema
from hgr.db.seals import Sealing, allocate_ids, key_of, sealed_tables, table_of
from hgr.node import TABLES  # every sealed table, as a node checks them
from hgr.registry import models as m
from hgr.registry.importer import import_files
from hgr.registry.regions import default_region_file, load_regions

TARGET_S = 60.0
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CHUNK = 20_000


assert TABLES


def _populate(db: Database, rows: int) -> None:
    """``rows`` sealed donors of one institution, with the audit event that balances them."""
    with db.transaction() as session:
        institution = session.scalar(
            sa.select(m.Institution.id).where(m.Institution.code == "BJ-H001")
        )
        sealing = Sealing(session)
        now = utc_now()
        sexes = ("female", "male")
        ids = allocate_ids(session, table_of("donor"), rows)
        for start in range(0, rows, CHUNK):
            chunk = []
            for n in range(start, min(rows, start + CHUNK)):
                row = {
                    "id": ids[n],
                    "institution_id": institution,
                    "pseudonym": f"{n:064x}",
                    "sex": sexes[n % 2],
                    "birth_year": 1930 + n % 80,
                    "vital_status": "alive",
                    "residence_region_id": None,
                    "population": "Han",
                    "created_at": now,
                    "updated_at": now,
                }
                sealing.inserted("donor", row)
                chunk.append(row)
            session.execute(sa.insert(m.Donor), chunk)
        # The event takes the change to the totals (hgr.db.seals.take_seals).
        record(session, Actor("bench", "operator"), "registry.import", "institutions/BJ-H001")


def _plain_read(db: Database) -> int:
    """Every sealed row read and nothing else: the floor of any check of every row."""
    count = 0
    with db.reader() as session:
        for table, fields in sealed_tables().items():
            columns = table_of(table)
            query = sa.select(key_of(table), columns.c.seal, *(columns.c[f] for f in fields))
            result = session.execute(query.execution_options(yield_per=10_000))
            for _row in result:
                count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, postgres_schema(args.postgres) as (url, _, _):
        upgrade_schema(url)
        db = Database(url)
        keys = create_node_keys(Path(tmp) / "keys")
        db.seal_with(keys.record_key())
        load_regions(db, default_region_file())
        import_files(db, keys, [EXAMPLES / "institutions.csv"])
        import_files(
            db,
            keys,
            sorted(p for p in EXAMPLES.iterdir() if p.is_file() and p.name != "institutions.csv"),
            institution="BJ-H001",
        )
        started = time.perf_counter()
        _populate(db, args.rows)
        with db.transaction() as session:
            session.execute(sa.text("ANALYZE donor"))
        print(f"{args.rows:,} sealed donor rows written in {time.perf_counter() - started:.1f} s")
        t0 = time.perf_counter()
        read = _plain_read(db)
        t1 = time.perf_counter()
        with db.reader() as session:
            problems = unsealed_rows(session, keys.record_key())
        t2 = time.perf_counter()
        db.dispose()
    assert not problems, problems[:5]
    plain, checked = t1 - t0, t2 - t1
    verdict = "ok" if checked < TARGET_S else "OVER TARGET"
    print(
        f"verify --records over {read:,} registry rows: {checked:.1f} s "
        f"({read / checked:,.0f} rows/s); a plain read of the same rows: {plain:.1f} s "
        f"(ratio {checked / plain:.2f}); target < {TARGET_S:.0f} s: {verdict}"
    )


if __name__ == "__main__":
    main()
