"""Tables of the genotype store: store versions, their source files and their samples.

A collection's genotypes live in one VCF Zarr store on disk; each ingestion writes a new
version and the newest row names the one in use. A store directory that no row names is a
leftover of an interrupted ingestion and is removed (see ``store.sweep``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hgr.db.base import Base
from hgr.db.seals import Sealed

__all__ = ["GenotypeSample", "GenotypeSampleQc", "GenotypeSource", "GenotypeStore"]


class GenotypeStore(Sealed, Base):
    """One version of a collection's VCF Zarr store."""

    __tablename__ = "genotype_store"
    __sealed__ = (
        "collection_id",
        "version",
        "location",
        "build",
        "vcf_zarr_version",
        "samples",
        "variants",
        "qc",
        "created_at",
    )
    __table_args__ = (
        UniqueConstraint("collection_id", "version"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(String(1000))  # relative to the node's home
    build: Mapped[str] = mapped_column(String(16))
    vcf_zarr_version: Mapped[str] = mapped_column(String(16))
    samples: Mapped[int] = mapped_column(Integer)
    variants: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Variant QC: thresholds, counts of variants below them, the population and region ids.
    qc: Mapped[dict[str, Any]] = mapped_column()


class GenotypeSource(Sealed, Base):
    """A raw file a store version was built from; its sealed copy is a registry data file."""

    __tablename__ = "genotype_source"
    __sealed__ = (
        "store_id",
        "data_file_id",
        "name",
        "kind",
        "header_lines",
        "records",
        "ordinal",
        "sample_offset",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("genotype_store.id"), index=True)
    data_file_id: Mapped[int] = mapped_column(ForeignKey("data_file.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))  # the file's name when it was ingested
    kind: Mapped[str] = mapped_column(String(16))  # vcf, vcf.gz, vcf.bgz, bcf
    header_lines: Mapped[int] = mapped_column(Integer)
    records: Mapped[int] = mapped_column(Integer)
    ordinal: Mapped[int] = mapped_column(Integer)  # its place in the store's variant order
    # Its first sample column: a store grows by batches of variants (same samples, offset 0)
    # or of samples (the same sites, each batch's files at their own offset).
    sample_offset: Mapped[int] = mapped_column(Integer, default=0)


class GenotypeSample(Sealed, Base):
    """A column of a store version: the registry sample it holds, under its id in the file."""

    __tablename__ = "genotype_sample"
    __sealed__ = ("store_id", "sample_id", "position", "file_sample_id")
    __table_args__ = (
        UniqueConstraint("store_id", "sample_id"),
        UniqueConstraint("store_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("genotype_store.id"), index=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    file_sample_id: Mapped[str] = mapped_column(String(200))


class GenotypeSampleQc(Sealed, Base):
    """One sample's quality control in a store version, and the flags it raised."""

    __tablename__ = "genotype_sample_qc"
    __sealed__ = (
        "store_id",
        "sample_id",
        "call_rate",
        "heterozygosity",
        "ti_tv",
        "x_f",
        "x_sites",
        "y_call_rate",
        "inferred_sex",
        "declared_sex",
        "flags",
    )
    __table_args__ = (UniqueConstraint("store_id", "sample_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("genotype_store.id"), index=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id"), index=True)
    call_rate: Mapped[float] = mapped_column(Float)
    heterozygosity: Mapped[float | None] = mapped_column(Float)
    ti_tv: Mapped[float | None] = mapped_column(Float)
    x_f: Mapped[float | None] = mapped_column(Float)
    x_sites: Mapped[int] = mapped_column(Integer)
    y_call_rate: Mapped[float | None] = mapped_column(Float)
    inferred_sex: Mapped[str] = mapped_column(String(16))
    declared_sex: Mapped[str] = mapped_column(String(16))
    flags: Mapped[list[str]] = mapped_column()
