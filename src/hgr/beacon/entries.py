"""Registry entries as Beacon v2 default-model documents, and the filters that select them.

Filters are the terms ``/api/filtering_terms`` lists: sex (NCIT), diagnoses and phenotypes
(their ontology ids; excluded phenotypes do not match), ``population:<name>`` and
``region:<code>`` (the region of residence). Terms are matched exactly (no descendant terms).
A term the registry does not hold matches nobody; several filters are joined by AND.

Individuals and biosamples are named by identifiers made for the requester (a keyed hash of
the requester's identity and the donor's pseudonym): the same person has the same id in one
requester's answers and unrelated ids in another's, as in export packages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from hgr.beacon.framework import SEX_TERMS
from hgr.beacon.query import Filter
from hgr.crypto import NodeKeys
from hgr.exceptions import UsageError
from hgr.genotypes.store import dataset_donors
from hgr.registry import models as m

__all__ = [
    "biosample_record",
    "collection_record",
    "donor_filter",
    "individual_record",
    "matching_donors",
    "requester_id",
]

_SEX_BY_TERM = {term: sex for sex, (term, _label) in SEX_TERMS.items()}


def requester_id(keys: NodeKeys, identity: str, pseudonym: str) -> str:
    """A donor's (or sample's) identifier in one requester's answers."""
    return keys.pseudonymiser.pseudonym(f"beacon:{identity}", pseudonym)[:20]


def donor_filter(item: Filter) -> Any:
    """The SQL condition on ``donor`` that one filtering term sets."""
    D = m.Donor
    if item.value is not None:
        raise UsageError(
            f"filter {item.id}: this beacon filters by terms, not by alphanumeric values",
            code="E_BEACON_QUERY",
        )
    term = item.id
    if term in _SEX_BY_TERM:
        return D.sex == _SEX_BY_TERM[term]
    if term.startswith("population:"):
        return D.population == term.split(":", 1)[1]
    if term.startswith("region:"):
        return D.residence_region_id.in_(
            select(m.Region.id).where(m.Region.code == term.split(":", 1)[1])
        )
    Dx, Ph = m.DonorDiagnosis, m.DonorPhenotype
    return exists(select(Dx.id).where(Dx.donor_id == D.id, Dx.term_id == term)) | exists(
        select(Ph.id).where(Ph.donor_id == D.id, Ph.term_id == term, Ph.excluded.is_(False))
    )


def matching_donors(session: Session, collection_id: int, filters: Sequence[Filter]) -> set[int]:
    """The ids of the collection's donors that every filter matches."""
    conditions = [donor_filter(f) for f in filters]
    query = select(m.Donor.id).where(
        m.Donor.id.in_(dataset_donors(collection_id)), and_(True, *conditions)
    )
    return set(session.scalars(query))


def _term(term: str, label: str | None) -> dict[str, str]:
    return {"id": term, "label": label or term}


def individual_record(
    keys: NodeKeys, identity: str, donor: m.Donor, region: m.Region | None
) -> dict[str, Any]:
    """A donor as a Beacon ``individual`` (default model)."""
    term, label = SEX_TERMS[str(donor.sex)]
    record: dict[str, Any] = {
        "id": requester_id(keys, identity, donor.pseudonym),
        "sex": {"id": term, "label": label},
    }
    if donor.diagnoses:
        record["diseases"] = [{"diseaseCode": _term(d.term_id, d.label)} for d in donor.diagnoses]
    features = [
        {"featureType": _term(p.term_id, p.label), "excluded": bool(p.excluded)}
        for p in donor.phenotypes
    ]
    if features:
        record["phenotypicFeatures"] = features
    if donor.population:
        record["ethnicity"] = {"id": f"population:{donor.population}", "label": donor.population}
    if region is not None:
        record["geographicOrigin"] = {"id": f"region:{region.code}", "label": region.name}
    return record


def biosample_record(
    keys: NodeKeys, identity: str, sample: m.Sample, donor: m.Donor
) -> dict[str, Any]:
    """A sample as a Beacon ``biosample`` (default model)."""
    record: dict[str, Any] = {
        "id": requester_id(keys, identity, f"{donor.pseudonym}/{sample.code}"),
        "individualId": requester_id(keys, identity, donor.pseudonym),
        "biosampleStatus": {"id": "EFO:0009654", "label": "reference sample"},
        "sampleOriginType": {"id": "OBI:0001479", "label": "specimen from organism"},
        "sampleOriginDetail": {
            "id": f"material:{sample.material_type}",
            "label": str(sample.material_type).replace("_", " "),
        },
    }
    if sample.collection_date:
        record["collectionDate"] = sample.collection_date.isoformat()
    return record


def collection_record(dataset: Any, kind: str, size: int | None) -> dict[str, Any]:
    """A collection as a Beacon ``dataset`` or ``cohort`` (default model)."""
    if kind == "dataset":
        record: dict[str, Any] = {"id": dataset.id, "name": dataset.name}
        if dataset.description:
            record["description"] = dataset.description
        if dataset.duo_codes:
            record["dataUseConditions"] = {
                "duoDataUse": [
                    {"id": code if ":" in code else f"DUO:{code}", "label": code, "version": "2021"}
                    for code in dataset.duo_codes
                ]
            }
        return record
    record = {"id": dataset.id, "name": dataset.name, "cohortType": "study-defined"}
    if size is not None:
        record["cohortSize"] = size
    return record


def load_donors(session: Session, ids: Iterable[int]) -> list[tuple[m.Donor, m.Region | None]]:
    """The donors ``ids`` with their regions of residence, in id order."""
    rows = session.execute(
        select(m.Donor, m.Region)
        .outerjoin(m.Region, m.Region.id == m.Donor.residence_region_id)
        .where(m.Donor.id.in_(sorted(ids)))
        .order_by(m.Donor.id)
    ).all()
    return [(donor, region) for donor, region in rows]
