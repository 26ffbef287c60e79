"""Validated records staged by an import, before anything is written.

Readers (templates, PED, Phenopackets) produce these; the importer checks them against each
other and the database, then writes them. ``origin`` says where each came from and takes no
part in comparisons. In a ``DonorRecord`` a field left ``None`` was not given by that source
and leaves the stored value as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hgr.issues import Origin
from hgr.registry.fields import Term
from hgr.vocabulary import (
    ConsentStatus,
    ControlStatus,
    DataCategory,
    Encryption,
    EthicsStatus,
    FileKind,
    InstitutionKind,
    MaterialType,
    Sex,
    StorageStatus,
    VitalStatus,
)

__all__ = [
    "CollectionRecord",
    "ConsentRecord",
    "DataFileRecord",
    "DonorRecord",
    "EthicsRecord",
    "FamilyRecord",
    "InstitutionRecord",
    "SampleRecord",
]

_ORIGIN = field(compare=False, default=Origin("<unknown>"))


@dataclass(frozen=True)
class InstitutionRecord:
    code: str
    name: str
    kind: InstitutionKind
    legal_person_id: str
    country: str
    region_code: str | None
    control: ControlStatus
    foreign_equity_pct: float | None = None
    foreign_voting_pct: float | None = None
    control_by_agreement: bool = False
    controlling_party: str | None = None
    origin: Origin = _ORIGIN


@dataclass(frozen=True)
class CollectionRecord:
    code: str
    name: str
    material_types: tuple[MaterialType, ...] = ()
    data_categories: tuple[DataCategory, ...] = ()
    disease_focus: tuple[str, ...] = ()
    target_size: int | None = None
    duo_codes: tuple[str, ...] = ()
    description: str | None = None
    origin: Origin = _ORIGIN


@dataclass(frozen=True)
class DonorRecord:
    local_id: str
    sex: Sex | None = None
    birth_year: int | None = None
    residence_region: str | None = None
    population: str | None = None
    vital_status: VitalStatus | None = None
    phenotypes: tuple[Term, ...] | None = None
    diagnoses: tuple[Term, ...] | None = None
    origin: Origin = _ORIGIN


@dataclass(frozen=True)
class SampleRecord:
    code: str
    donor_id: str
    material_type: MaterialType
    collection_code: str | None = None
    collection_date: dt.date | None = None
    storage_status: StorageStatus | None = None  # None: the registered one stands
    origin: Origin = _ORIGIN


@dataclass(frozen=True)
class ConsentRecord:
    donor_id: str
    document_version: str
    document_sha256: str
    signed_on: dt.date
    permission: str
    status: ConsentStatus
    disease: str | None = None
    modifiers: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    time_limit: dt.date | None = None
    withdrawn_on: dt.date | None = None
    origin: Origin = _ORIGIN


@dataclass(frozen=True)
class EthicsRecord:
    committee: str
    reference: str
    valid_from: dt.date
    scope: str
    valid_to: dt.date | None = None
    collection_code: str | None = None
    status: EthicsStatus | None = None  # None: not given (a new approval is active)
    origin: Origin = _ORIGIN


@dataclass(frozen=True)
class FamilyRecord:
    code: str
    condition: str | None = None
    condition_label: str | None = None
    description: str | None = None
    proband: str | None = None
    origin: Origin = _ORIGIN


@dataclass(frozen=True)
class DataFileRecord:
    location: str
    kind: FileKind
    size_bytes: int
    sha256: str
    encryption: Encryption
    collection_code: str | None = None
    origin: Origin = _ORIGIN
