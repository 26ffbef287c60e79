"""``qc_report``: the stored quality control of a collection's genotypes, flagged first."""

from __future__ import annotations

from sqlalchemy import select

from hgr.db import Database
from hgr.genotypes.models import GenotypeSampleQc
from hgr.genotypes.qc import QcReport
from hgr.genotypes.store import required_store
from hgr.registry import models as m

__all__ = ["qc_report"]


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
                "call_rate": qc.call_rate,
                "heterozygosity": qc.heterozygosity,
                "ti_tv": qc.ti_tv,
                "x_f": qc.x_f,
                "x_sites": qc.x_sites,
                "y_call_rate": qc.y_call_rate,
                "declared_sex": qc.declared_sex,
                "inferred_sex": qc.inferred_sex,
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
