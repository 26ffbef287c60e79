"""Administrative regions: China's provincial-level divisions by default, any country from CSV.

The default list is the 31 provincial-level divisions of mainland China with their GB/T 2260
codes. Another country's list is a CSV with the columns
``country, code, name, name_local, level, parent_code`` (see ``docs/templates.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.audit import SYSTEM, Actor, record
from hgr.crypto import file_sha256
from hgr.db import Database
from hgr.exceptions import ValidationFailed
from hgr.issues import N_, Origin, Report
from hgr.registry import fields as f
from hgr.registry.models import Region
from hgr.registry.templates import Cells, read_table
from hgr.vocabulary import RegionLevel

__all__ = [
    "RegionRow",
    "default_region_file",
    "load_regions",
    "province_codes",
    "read_regions",
    "region_labels",
    "region_names",
]

REQUIRED = ("country", "code", "name", "level")
_ORDER = {RegionLevel.NATION: 0, RegionLevel.PROVINCE: 1, RegionLevel.PREFECTURE: 2}


@dataclass(frozen=True)
class RegionRow:
    country: str
    code: str
    name: str
    name_local: str | None
    level: RegionLevel
    parent_code: str | None
    origin: Origin


def default_region_file() -> Path:
    return Path(str(files("hgr.registry").joinpath("data/regions_cn.csv")))


def read_regions(path: Path, report: Report) -> list[RegionRow]:
    """Read and check a region list: known levels, parents present and one level up."""
    rows: list[RegionRow] = []
    for origin, raw in read_table(path, report):
        missing = [c for c in REQUIRED if c not in raw]
        if missing:
            report.error(
                "E_MISSING_COLUMN",
                origin,
                N_("columns missing: %(columns)s", columns=", ".join(missing)),
                N_("give country, code, name, name_local, level, parent_code"),
            )
            return []
        c = Cells(raw, origin, report)
        row = RegionRow(
            country=c.need("country", f.parse_country),
            code=c.need("code", str),
            name=c.need("name", str),
            name_local=c.text("name_local"),
            level=c.need("level", lambda r: f.parse_enum(RegionLevel, r)),
            parent_code=c.text("parent_code"),
            origin=origin,
        )
        if not c.failed:
            rows.append(row)
    by_code = {r.code: r for r in rows}
    for r in rows:
        if r.level is RegionLevel.NATION:
            continue
        parent = by_code.get(r.parent_code or "")
        if parent is None:
            report.error(
                "E_REGION_PARENT",
                r.origin,
                N_("parent %(parent)s is not in the list", parent=repr(r.parent_code)),
                N_("give the code of the region one level up"),
                field="parent_code",
            )
        elif _ORDER[parent.level] != _ORDER[r.level] - 1:
            report.error(
                "E_REGION_PARENT",
                r.origin,
                N_(
                    "a %(level)s cannot sit under the %(parent_level)s %(parent)s",
                    level=r.level,
                    parent_level=parent.level,
                    parent=parent.code,
                ),
                N_("provinces sit under a nation, prefectures under a province"),
                field="level",
            )
    return rows


def load_regions(db: Database, path: Path, by: Actor = SYSTEM) -> int:
    """Upsert the regions of ``path``, audited as done ``by``; returns how many were new.

    Raises
    ------
    ValidationFailed
        When the file has any error; nothing is written.
    """
    report = Report()
    rows = read_regions(path, report)
    if not report.ok:
        raise ValidationFailed(f"{len(report.errors)} error(s) in {path}", report.issues)
    with db.transaction() as session:
        added = _upsert_regions(session, rows)
        record(
            session,
            by,
            "registry.regions.load",
            path.name,
            detail={"sha256": file_sha256(path), "regions": len(rows), "added": added},
        )
        return added


def _upsert_regions(session: Session, rows: list[RegionRow]) -> int:
    existing = {(r.country, r.code): r for r in session.scalars(select(Region))}
    added = 0
    for row in sorted(rows, key=lambda r: _ORDER[r.level]):
        region = existing.get((row.country, row.code))
        if region is None:
            region = Region(country=row.country, code=row.code)
            session.add(region)
            existing[(row.country, row.code)] = region
            added += 1
        region.name = row.name
        region.name_local = row.name_local
        region.level = row.level
        region.parent = existing.get((row.country, row.parent_code or ""))
    session.flush()
    return added


def region_names(session: Session) -> dict[str, str]:
    """Each region's name by its code."""
    return dict(session.execute(select(Region.code, Region.name)).all())


def region_labels(session: Session) -> dict[str, tuple[str, str]]:
    """Each region's name in English and in its own language (the English again where none
    is registered), by its code."""
    return {
        code: (name, local or name)
        for code, name, local in session.execute(
            select(Region.code, Region.name, Region.name_local)
        )
    }


def province_codes(session: Session) -> dict[int, str]:
    """The code of each region's province, by region id (a province is its own)."""
    regions = {
        rid: (code, level, parent)
        for rid, code, level, parent in session.execute(
            select(Region.id, Region.code, Region.level, Region.parent_id)
        )
    }
    province: dict[int, str] = {}
    for rid in regions:
        at: int | None = rid
        while at is not None and regions[at][1] != RegionLevel.PROVINCE:
            at = regions[at][2]
        province[rid] = regions[at][0] if at is not None else "unknown"
    return province
