"""The published tables of a national edition, each protected by disclosure control.

Every table covers the institutions, their provinces, their kinds and the nation at once, so
that one suppression pattern serves every level (:mod:`hgr.privacy.tables`). Persons are
published for the nation, with primary suppression only: persons do not add up over
institutions (one person may be enrolled at two), so no margin relates them to the tables.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.federation.models import SignedDocument
from hgr.privacy.tables import DEFAULT_THRESHOLD, Protected, Table, protect
from hgr.spreadsheets import safe_row
from hgr.survey.editions import ADDITIVE_COUNTS, signed_off_edition

__all__ = [
    "HIDDEN",
    "PARTITIONS",
    "PublishedSurvey",
    "publish",
    "published_cycles",
    "published_edition",
    "write_tables",
]

PARTITIONS = {
    "samples_by_material": "samples",
    "donors_by_sex": "donors",
    "donors_by_population": "donors",
    "donors_by_residence": "donors",
}
"""Tables whose categories split a count: each row adds up to it."""
TABLES = (
    "samples_by_material",
    "donors_by_sex",
    "donors_by_material",
    "persons_by_data_category",
    "donors_by_disease",
    "donors_by_population",
    "donors_by_residence",
    "consents_by_scope",
)
COUNTS = "counts"
HIDDEN = "x"
"""How a suppressed cell is shown."""


@dataclass
class PublishedSurvey:
    """What may be published of one national edition."""

    cycle: str
    edition: str
    threshold: int
    tables: dict[str, Protected]
    persons: dict[str, int | None]
    provinces: list[str]
    kinds: list[str]
    institutions: dict[str, dict[str, str]]


def _groups(institutions: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for code, facts in sorted(institutions.items()):
        groups.setdefault(f"province:{facts['province']}", []).append(code)
        groups.setdefault(f"kind:{facts['kind']}", []).append(code)
    groups["nation"] = sorted(institutions)
    return groups


def publish(
    edition: Mapping[str, Any], edition_sha256: str, threshold: int = DEFAULT_THRESHOLD
) -> PublishedSurvey:
    """Protect every table of the national edition ``edition`` (its signed content)."""
    institutions = edition["institutions"]
    groups = _groups(institutions)
    tables = {}
    counts = Table(
        COUNTS,
        list(ADDITIVE_COUNTS),
        {
            code: {k: facts["fields"].get(k, 0) for k in ADDITIVE_COUNTS}
            for code, facts in institutions.items()
        },
        groups,
    )
    tables[COUNTS] = protect(counts, threshold)
    for name in TABLES:
        rows = {code: dict(facts["fields"].get(name, {})) for code, facts in institutions.items()}
        categories = sorted({c for row in rows.values() for c in row})
        table = Table(name, categories, rows, groups, partition=name in PARTITIONS)
        tables[name] = protect(table, threshold)
    # Persons are resolved across institutions only by the nation (duplicate links); a
    # province's persons would need the nation's links, so the nation publishes its own.
    national = int(edition["totals"]["persons"])
    persons: dict[str, int | None] = {"nation": None if 0 < national < threshold else national}
    return PublishedSurvey(
        cycle=edition["cycle"],
        edition=edition_sha256,
        threshold=threshold,
        tables=tables,
        persons=persons,
        provinces=sorted(p for p in edition["provinces"]),
        kinds=sorted({facts["kind"] for facts in institutions.values()}),
        institutions={
            code: {"name": f["name"], "province": f["province"], "kind": f["kind"]}
            for code, f in sorted(institutions.items())
        },
    )


_PUBLISHED: dict[tuple[str, int], PublishedSurvey] = {}
"""Protected editions by digest and threshold: an edition never changes under its digest,
and protecting one takes a while."""


def published_edition(
    session: Session, cycle: str, nation: str, threshold: int
) -> PublishedSurvey | None:
    """What may be published of ``cycle``'s national edition for ``nation``: the one last
    signed off as final (None before one is; a draft or a partial compilation is never
    published)."""
    edition = signed_off_edition(session, cycle, nation)
    if edition is None:
        return None
    key = (edition.sha256, threshold)
    if key not in _PUBLISHED:
        if len(_PUBLISHED) > 16:
            _PUBLISHED.clear()
        _PUBLISHED[key] = publish(json.loads(edition.body), edition.sha256, threshold)
    return _PUBLISHED[key]


def published_cycles(session: Session, nation: str) -> list[str]:
    """The cycles for which ``nation`` has signed a national edition off, newest first."""
    return list(
        session.scalars(
            select(SignedDocument.cycle)
            .where(SignedDocument.kind == "final", SignedDocument.subject == nation)
            .distinct()
            .order_by(SignedDocument.cycle.desc())
        )
    )


def write_tables(published: PublishedSurvey, folder: Path) -> list[Path]:
    """Write each published table as CSV (suppressed cells shown as ``x``); the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, protected in published.tables.items():
        path = folder / f"{name}.csv"
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(safe_row(["unit", *protected.table.columns]))
            for unit in protected.table.units:
                row = protected.row(unit).values()
                writer.writerow(safe_row([unit, *(HIDDEN if v is None else v for v in row)]))
        tmp.replace(path)  # a table is whole or absent
        written.append(path)
    return written
