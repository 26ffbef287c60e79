"""The organisation registry's cost to a decision: the control walk and the name matching on a
node with 100,000 organisations and 1,000 listings, on PostgreSQL.

Target (issue: governance that cannot be walked around): they add at most 20 ms to a decision.
Each decision screens its party through the registry (found by identifier or by normalised
name, its controllers walked up to five levels, every name of the reach matched exactly and
fuzzily against the list) where the node used to look up the declared identifiers alone. The
whole screening is timed against the target (a bound on what it adds), beside the old lookup
on the same data in the same run.

    python benchmarks/bench_organisations.py [--organisations 100000] [--listings 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

import sqlalchemy as sa
from scratch import DEFAULT_POSTGRES, postgres_schema

from hgr.dates import utc_now, utc_today
from hgr.db import Database, upgrade_schema
from hgr.debarment.cases import in_force
from hgr.debarment.models import ControlRelation, DebarmentEntry
from hgr.organisations import screen_party
from hgr.organisations.models import (
    Organisation,
    OrganisationControl,
    OrganisationIdentifier,
    OrganisationName,
)
from hgr.organisations.names import normalise_name
from hgr.policy import Organisation as Party

TARGET_MS = 20.0
WORDS = (
    "Example",
    "Genomics",
    "Sequencing",
    "Biotech",
    "Health",
    "Medical",
    "Research",
    "Data",
    "Life",
    "Science",
    "Gene",
    "Cell",
    "Bio",
    "Analytics",
    "Diagnostics",
    "Pharma",
    "Holdings",
    "Capital",
    "Systems",
    "Laboratory",
)
FORMS = ("Ltd", "Co., Ltd.", "Inc.", "GmbH", "plc", "LLC", "有限公司", "")


def _name(rng: random.Random, n: int) -> str:
    return f"{' '.join(rng.sample(WORDS, 3))} {n} {rng.choice(FORMS)}".strip()


def _populate(db: Database, organisations: int, listings: int, rng: random.Random) -> list[int]:
    now = utc_now()
    names = [_name(rng, n) for n in range(organisations)]
    fact = {"source": "bench", "verified_by": "bench"}
    with db.engine.begin() as c:
        c.execute(
            sa.insert(Organisation),
            [
                {
                    "id": n + 1,
                    "key": f"org-{n}",
                    "country": rng.choice(("CN", "GB", "US", "HK")),
                    "recorded_at": now,
                    **fact,
                }
                for n in range(organisations)
            ],
        )
        c.execute(
            sa.insert(OrganisationName),
            [
                {
                    "organisation_id": n + 1,
                    "name": names[n],
                    "language": "en",
                    "former": False,
                    "normalised": normalise_name(names[n]),
                    **fact,
                }
                for n in range(organisations)
            ],
        )
        c.execute(
            sa.insert(OrganisationIdentifier),
            [
                {"organisation_id": n + 1, "identifier": f"LEI:BENCH{n:010d}", **fact}
                for n in range(organisations)
            ],
        )
        # A forest: every organisation but the first tenth held by one ten times smaller in
        # number, controlling (60%) two times in three: chains of up to five levels.
        c.execute(
            sa.insert(OrganisationControl),
            [
                {
                    "controller_id": n // 10 + 1,
                    "controlled_id": n + 1,
                    "kind": "equity",
                    "share": 60.0 if n % 3 else 20.0,
                    "recorded_at": now,
                    **fact,
                }
                for n in range(organisations // 10, organisations)
            ],
        )
        today = utc_today()
        c.execute(
            sa.insert(DebarmentEntry),
            [
                {
                    "number": f"DEB-BENCH-{k:04d}",
                    "organisation": names[rng.randrange(organisations)],
                    "country": "HK",
                    "identifiers": [f"HK-CR:{k:07d}"],
                    "regime": "hgr",
                    "ground": "bench",
                    "mandatory": True,
                    "status": "listed",
                    "reasons": "",
                    "representations": [],
                    "opened_on": today,
                    "listed_on": today,
                    "permanent": True,
                    "closing_note": "",
                    "updated_at": now,
                }
                for k in range(listings)
            ],
        )
    return list(range(organisations // 2, organisations))  # parties with controllers


def _declared_identifiers_only(
    session: sa.orm.Session, identifiers: list[str], today: dt.date
) -> str:
    """The lookup the node made before the registry: the list's own control relations walked
    up from the identifiers the request declares, and the entries holding one of them."""
    reach = set(identifiers)
    frontier = set(reach)
    while frontier:
        above = set(
            session.scalars(
                sa.select(ControlRelation.controller).where(
                    ControlRelation.controlled.in_(sorted(frontier))
                )
            )
        )
        frontier = above - reach
        reach |= above
    listed = session.scalars(sa.select(DebarmentEntry).where(DebarmentEntry.status == "listed"))
    hits = [e for e in listed if reach & set(e.identifiers) and in_force(e, today)]
    return "mandatory" if any(e.mandatory for e in hits) else "discretionary" if hits else "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=100_000)
    parser.add_argument("--listings", type=int, default=1_000)
    parser.add_argument("--decisions", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)
    with postgres_schema(DEFAULT_POSTGRES) as (url, _schema, _admin):
        upgrade_schema(url)
        db = Database(url)
        started = time.perf_counter()
        parties = _populate(db, args.organisations, args.listings, rng)
        print(
            f"{args.organisations:,} organisations, {args.listings:,} listings written in "
            f"{time.perf_counter() - started:.1f} s"
        )
        today = utc_today()
        new, old = [], []
        with db.reader() as session:
            names = dict(
                session.execute(
                    sa.select(OrganisationName.organisation_id, OrganisationName.name)
                ).all()
            )
            for k in range(args.decisions):
                n = rng.choice(parties)
                # Half the requests give an identifier, half only the name.
                party = Party(
                    name=names[n + 1],
                    country="GB",
                    identifiers=[f"LEI:BENCH{n:010d}"] if k % 2 else [],
                )
                t0 = time.perf_counter()
                screen_party(session, party.identifiers, party.name, today)
                t1 = time.perf_counter()
                _declared_identifiers_only(session, list(party.identifiers), today)
                t2 = time.perf_counter()
                new.append((t1 - t0) * 1000)
                old.append((t2 - t1) * 1000)
        db.dispose()
    p50, p95 = statistics.median(new), statistics.quantiles(new, n=20)[18]
    before = statistics.median(old)
    print(
        f"registry screening (control walk and name matching) per decision: median "
        f"{p50:.2f} ms, p95 {p95:.2f} ms; the declared identifiers alone, as before: median "
        f"{before:.2f} ms (ratio {p50 / before:.2f})"
    )
    verdict = "meets" if p95 <= TARGET_MS else "misses"
    print(f"the whole screening at p95 {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
