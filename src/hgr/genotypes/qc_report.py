"""``qc_report``: the stored quality control of a collection's genotypes, flagged first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hgr.db import Database
from hgr.genotypes.models import GenotypeSampleQc, GenotypeStore
from hgr.genotypes.qc import QcReport
from hgr.genotypes.store import required_store
from hgr.registry import models as m

__all__ = ["SAMPLE_COLUMNS", "StoreQc", "qc_report", "stores_of"]

SAMPLE_COLUMNS = (
    "sample",
    "call_rate",
    "heterozygosity",
    "ti_tv",
    "x_f",
    "x_sites",
    "y_call_rate",
    "declared_sex",
    "inferred_sex",
    "flags",
)
"""A sample's QC row, in order: its code, the sealed figures, and its flags."""


@dataclass(frozen=True)
class StoreQc:
    """A collection's store in use: its version and size, and how many samples QC flagged."""

    collection: str
    version: int
    build: str
    samples: int
    variants: int
    flagged: int
    created_at: dt.datetime


def stores_of(session: Session, institution: str) -> list[StoreQc]:
    """The store in use (the newest version) of each of ``institution``'s collections that
    has genotypes, with its count of flagged samples."""
    newest = (
        select(GenotypeStore.collection_id, func.max(GenotypeStore.version).label("version"))
        .group_by(GenotypeStore.collection_id)
        .subquery()
    )
    flagged = (
        select(GenotypeSampleQc.store_id, func.count().label("flagged"))
        .where(func.json_array_length(GenotypeSampleQc.flags) > 0)  # json has no "=" in PostgreSQL
        .group_by(GenotypeSampleQc.store_id)
        .subquery()
    )
    rows = session.execute(
        select(m.Collection.code, GenotypeStore, func.coalesce(flagged.c.flagged, 0))
        .join(m.Institution, m.Institution.id == m.Collection.institution_id)
        .join(GenotypeStore, GenotypeStore.collection_id == m.Collection.id)
        .join(
            newest,
            (newest.c.collection_id == GenotypeStore.collection_id)
            & (newest.c.version == GenotypeStore.version),
        )
        .outerjoin(flagged, flagged.c.store_id == GenotypeStore.id)
        .where(m.Institution.code == institution)
        .order_by(m.Collection.code)
    ).all()
    return [
        StoreQc(code, s.version, s.build, s.samples, s.variants, int(n), s.created_at)
        for code, s, n in rows
    ]


def qc_report(db: Database, *, institution: str, collection: str) -> QcReport:
    """The QC of the collection's current store: thresholds, variant counts, every sample.

    Raises
    ------
    NotFound
        When the collection has no genotypes.
    """
    with db.reader() as session:
        _collection, store = required_store(session, institution, collection)
        rows = session.execute(
            select(GenotypeSampleQc, m.Sample.code)
            .join(m.Sample, m.Sample.id == GenotypeSampleQc.sample_id)
            .where(GenotypeSampleQc.store_id == store.id)
            .order_by(m.Sample.code)
        ).all()
        samples = [
            {
                "sample": code,
                **{column: getattr(qc, column) for column in SAMPLE_COLUMNS[1:-1]},
                "flags": list(qc.flags),
            }
            for qc, code in rows
        ]
        return QcReport(
            collection=collection,
            version=store.version,
            thresholds=dict(store.qc.get("thresholds", {})),
            variant_counts=dict(store.qc.get("variants", {})),
            samples=samples,
        )
