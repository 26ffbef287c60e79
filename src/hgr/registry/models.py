"""Registry tables: what an institution holds.

Natural keys (the ``uq_*`` constraints) are what imports upsert on; surrogate integer ids are
for joins only and never leave the node. Donor identifiers from institutions are never stored:
``Donor.pseudonym`` is a keyed HMAC of the institution's own id (see ``hgr.crypto.pseudonym``).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hgr.db.base import Base
from hgr.db.seals import Sealed
from hgr.vocabulary import (
    AffectedStatus,
    ConsentStatus,
    ControlStatus,
    Encryption,
    EthicsStatus,
    FileKind,
    InstitutionKind,
    MaterialType,
    RegionLevel,
    Sex,
    StorageStatus,
    VitalStatus,
)

__all__ = [
    "Collection",
    "Consent",
    "DataFile",
    "Donor",
    "DonorDiagnosis",
    "DonorPhenotype",
    "EthicsApproval",
    "Family",
    "ImportBatch",
    "Institution",
    "PedigreeAffection",
    "PedigreeMember",
    "Region",
    "Sample",
]


def _vocab(enum: type[StrEnum]) -> Enum:
    # Stored as a short string with a CHECK constraint: portable across SQLite and PostgreSQL
    # and readable in SQL without a lookup.
    return Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        name=enum.__name__.lower(),
    )


def _now() -> Any:
    return func.now()


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=_now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=_now())


class Region(Sealed, Base):
    """An administrative area: nation → province → prefecture, with its official code."""

    __tablename__ = "region"
    __sealed__ = ("country", "code", "name", "name_local", "level", "parent_id")
    __table_args__ = (UniqueConstraint("country", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    name_local: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[RegionLevel] = mapped_column(_vocab(RegionLevel))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)

    parent: Mapped[Region | None] = relationship(remote_side=[id])


class Institution(Timestamps, Sealed, Base):
    """A legal person that holds genetic resources, with the facts that decide who controls it.

    The control facts follow the "actual control" tests for a foreign party (HGR Regulation
    Art. 21; Implementation Rules): foreign share of equity or votes, or control by agreement.
    """

    __tablename__ = "institution"
    __sealed__ = (
        "code",
        "name",
        "kind",
        "legal_person_id",
        "country",
        "region_id",
        "control",
        "foreign_equity_pct",
        "foreign_voting_pct",
        "control_by_agreement",
        "controlling_party",
    )
    __table_args__ = (
        CheckConstraint(
            "foreign_equity_pct IS NULL OR (foreign_equity_pct >= 0 AND foreign_equity_pct <= 100)",
            name="equity_pct",
        ),
        CheckConstraint(
            "foreign_voting_pct IS NULL OR (foreign_voting_pct >= 0 AND foreign_voting_pct <= 100)",
            name="voting_pct",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[InstitutionKind] = mapped_column(_vocab(InstitutionKind))
    legal_person_id: Mapped[str] = mapped_column(String(64), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    control: Mapped[ControlStatus] = mapped_column(_vocab(ControlStatus))
    foreign_equity_pct: Mapped[float | None] = mapped_column(Float)
    foreign_voting_pct: Mapped[float | None] = mapped_column(Float)
    control_by_agreement: Mapped[bool] = mapped_column(Boolean, default=False)
    controlling_party: Mapped[str | None] = mapped_column(String(300))

    region: Mapped[Region | None] = relationship()


class Collection(Timestamps, Sealed, Base):
    """A biobank collection (MIABIS 2.0 Collection): what it holds and how it may be used."""

    __tablename__ = "collection"
    __sealed__ = (
        "institution_id",
        "code",
        "name",
        "description",
        "material_types",
        "data_categories",
        "disease_focus",
        "target_size",
        "duo_codes",
    )
    __table_args__ = (UniqueConstraint("institution_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    material_types: Mapped[list[str]] = mapped_column(default=list)
    data_categories: Mapped[list[str]] = mapped_column(default=list)
    disease_focus: Mapped[list[str]] = mapped_column(default=list)
    target_size: Mapped[int | None] = mapped_column(Integer)
    duo_codes: Mapped[list[str]] = mapped_column(default=list)


class Donor(Timestamps, Sealed, Base):
    """A person who gave material or data, known only by a keyed pseudonym."""

    __tablename__ = "donor"
    __sealed__ = (
        "institution_id",
        "pseudonym",
        "sex",
        "birth_year",
        "residence_region_id",
        "population",
        "vital_status",
    )
    __table_args__ = (
        UniqueConstraint("institution_id", "pseudonym"),
        CheckConstraint("birth_year IS NULL OR birth_year BETWEEN 1850 AND 2200", name="birth"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    # Indexed alone too: a sample's or consent's donor is found by pseudonym (migration 0026).
    pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    sex: Mapped[Sex] = mapped_column(_vocab(Sex), default=Sex.UNKNOWN)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    residence_region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    population: Mapped[str | None] = mapped_column(String(100))
    vital_status: Mapped[VitalStatus] = mapped_column(
        _vocab(VitalStatus), default=VitalStatus.UNKNOWN, server_default=VitalStatus.UNKNOWN.value
    )

    phenotypes: Mapped[list[DonorPhenotype]] = relationship(
        cascade="all, delete-orphan", order_by="DonorPhenotype.term_id"
    )
    diagnoses: Mapped[list[DonorDiagnosis]] = relationship(
        cascade="all, delete-orphan", order_by="DonorDiagnosis.term_id"
    )


class DonorPhenotype(Sealed, Base):
    """An observed (or explicitly excluded) phenotypic feature, as an HPO term."""

    __tablename__ = "donor_phenotype"
    __sealed__ = ("donor_id", "term_id", "label", "excluded")
    __table_args__ = (UniqueConstraint("donor_id", "term_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id", ondelete="CASCADE"), index=True)
    term_id: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(300))
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)


class DonorDiagnosis(Sealed, Base):
    """A diagnosis as an ICD-10, ORPHA, MONDO or OMIM term."""

    __tablename__ = "donor_diagnosis"
    __sealed__ = ("donor_id", "term_id", "label")
    __table_args__ = (UniqueConstraint("donor_id", "term_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id", ondelete="CASCADE"), index=True)
    term_id: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(300))


class Sample(Timestamps, Sealed, Base):
    """A physical sample: its material, when it was taken, and whether it is still there."""

    __tablename__ = "sample"
    __sealed__ = (
        "institution_id",
        "code",
        "donor_id",
        "collection_id",
        "material_type",
        "collection_date",
        "storage_status",
    )
    __table_args__ = (UniqueConstraint("institution_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collection.id"), index=True)
    material_type: Mapped[MaterialType] = mapped_column(_vocab(MaterialType))
    collection_date: Mapped[dt.date | None] = mapped_column(Date)
    storage_status: Mapped[StorageStatus] = mapped_column(
        _vocab(StorageStatus), default=StorageStatus.AVAILABLE
    )


class Consent(Timestamps, Sealed, Base):
    """A signed consent: which document, and what use it allows, as DUO codes.

    ``permission`` is one DUO data-use permission (GRU, HMB, DS, POA, NRES); ``modifiers`` are
    DUO modifiers. DS names its disease, GS its countries and TS its end date.
    """

    __tablename__ = "consent"
    __sealed__ = (
        "donor_id",
        "document_version",
        "document_sha256",
        "signed_on",
        "permission",
        "disease",
        "modifiers",
        "countries",
        "time_limit",
        "status",
        "withdrawn_on",
    )
    __table_args__ = (
        UniqueConstraint("donor_id", "document_version"),
        CheckConstraint(
            "(status = 'withdrawn') = (withdrawn_on IS NOT NULL)", name="withdrawal_date"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    document_version: Mapped[str] = mapped_column(String(64))
    document_sha256: Mapped[str] = mapped_column(String(64))
    signed_on: Mapped[dt.date] = mapped_column(Date)
    permission: Mapped[str] = mapped_column(String(16))
    disease: Mapped[str | None] = mapped_column(String(64))
    modifiers: Mapped[list[str]] = mapped_column(default=list)
    countries: Mapped[list[str]] = mapped_column(default=list)
    time_limit: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[ConsentStatus] = mapped_column(_vocab(ConsentStatus))
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)


class EthicsApproval(Timestamps, Sealed, Base):
    """An ethics committee's approval, valid for a period and a scope."""

    __tablename__ = "ethics_approval"
    __sealed__ = (
        "institution_id",
        "committee",
        "reference",
        "valid_from",
        "valid_to",
        "scope",
        "collection_id",
        "status",
    )
    __table_args__ = (
        UniqueConstraint("institution_id", "committee", "reference"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    committee: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(Text)
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collection.id"), index=True)
    status: Mapped[EthicsStatus] = mapped_column(
        _vocab(EthicsStatus), default=EthicsStatus.ACTIVE, server_default=EthicsStatus.ACTIVE.value
    )


class Family(Timestamps, Sealed, Base):
    """A declared family, optionally with the hereditary condition it is followed for."""

    __tablename__ = "family"
    __sealed__ = (
        "institution_id",
        "code",
        "condition",
        "condition_label",
        "description",
        "generations",
    )
    __table_args__ = (UniqueConstraint("institution_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    condition: Mapped[str | None] = mapped_column(String(64))
    condition_label: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    generations: Mapped[int] = mapped_column(Integer, default=1)

    members: Mapped[list[PedigreeMember]] = relationship(
        back_populates="family", cascade="all, delete-orphan"
    )


class PedigreeMember(Sealed, Base):
    """A donor's place in a family: declared father and mother, and generation (founders = 1)."""

    __tablename__ = "pedigree_member"
    __sealed__ = ("family_id", "donor_id", "father_id", "mother_id", "generation", "proband")
    __table_args__ = (UniqueConstraint("family_id", "donor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id", ondelete="CASCADE"), index=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    father_id: Mapped[int | None] = mapped_column(ForeignKey("pedigree_member.id"))
    mother_id: Mapped[int | None] = mapped_column(ForeignKey("pedigree_member.id"))
    generation: Mapped[int] = mapped_column(Integer, default=1)
    # The person through whom the family came to attention (NSGC: arrow with "P").
    proband: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    family: Mapped[Family] = relationship(back_populates="members")
    donor: Mapped[Donor] = relationship()
    affections: Mapped[list[PedigreeAffection]] = relationship(cascade="all, delete-orphan")


class PedigreeAffection(Sealed, Base):
    """Affected status of a pedigree member for one condition."""

    __tablename__ = "pedigree_affection"
    __sealed__ = ("member_id", "condition", "status")
    __table_args__ = (UniqueConstraint("member_id", "condition"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("pedigree_member.id", ondelete="CASCADE"), index=True
    )
    condition: Mapped[str] = mapped_column(String(64))
    status: Mapped[AffectedStatus] = mapped_column(_vocab(AffectedStatus))


class DataFile(Timestamps, Sealed, Base):
    """A data file held by the institution: where it is, how big, its checksum, its encryption."""

    __tablename__ = "data_file"
    __sealed__ = (
        "institution_id",
        "location",
        "kind",
        "size_bytes",
        "sha256",
        "encryption",
        "collection_id",
    )
    __table_args__ = (
        UniqueConstraint("institution_id", "location"),
        CheckConstraint("size_bytes >= 0", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    location: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[FileKind] = mapped_column(_vocab(FileKind))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    encryption: Mapped[Encryption] = mapped_column(_vocab(Encryption))
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collection.id"), index=True)


class ImportBatch(Sealed, Base):
    """Provenance of one import: which files (with checksums), what changed, which software."""

    __tablename__ = "import_batch"
    __sealed__ = ("institution_id", "imported_at", "provenance", "changes")

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"), index=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    provenance: Mapped[dict[str, Any]] = mapped_column()
    changes: Mapped[dict[str, Any]] = mapped_column()
