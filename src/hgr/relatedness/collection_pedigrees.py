"""The declared families of an institution checked against a collection's genotype store.

The node-level counterpart of ``hgr relate --ped``: families and parents come from the
registry (``family``, ``pedigree_member``), genotypes from the collection's VCF Zarr store,
and each genotyped donor is named by the sample code the institution gave it (the registry
keeps no other readable name of a donor). Members without genotypes in the store are listed
as such. The catalogue of important pedigrees takes these reports as its genotype evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from hgr.db import Database
from hgr.genotypes.store import open_store, required_store, store_columns
from hgr.pedigree.ped import PedigreeRecord
from hgr.registry import models as m
from hgr.relatedness.king import king_all_pairs
from hgr.relatedness.pedigree_check import FamilyReport, verify_pedigrees
from hgr.relatedness.readers import SiteCounts, read_store_genotypes
from hgr.vocabulary import AffectedStatus

__all__ = ["CollectionPedigrees", "verify_collection_pedigrees"]


@dataclass(frozen=True)
class CollectionPedigrees:
    """The family reports, and the genotypes they rest on."""

    collection: str
    store_version: int
    samples: int
    sites: SiteCounts
    families: list[FamilyReport]


def verify_collection_pedigrees(
    db: Database, home: Path, *, institution: str, collection: str
) -> CollectionPedigrees:
    """Check every family of ``institution`` with members genotyped in ``collection``.

    Raises
    ------
    NotFound
        No such collection, or no genotypes in it.
    """
    with db.reader() as session:
        target, store = required_store(session, institution, collection)
        columns = [(c.position, c.sample_code, c.donor_id) for c in store_columns(session, store)]
        name: dict[int, str] = {}
        chosen: list[tuple[int, str]] = []
        for position, code, donor in columns:
            if donor not in name:  # a donor's first genotyped sample stands for them
                name[donor] = code
                chosen.append((position, code))
        members = session.execute(
            select(m.Family.code, m.PedigreeMember, m.Donor.sex)
            .join(m.PedigreeMember, m.PedigreeMember.family_id == m.Family.id)
            .join(m.Donor, m.Donor.id == m.PedigreeMember.donor_id)
            .where(m.Family.institution_id == target.institution_id)
        ).all()
        donor_of = {member.id: member.donor_id for _code, member, _sex in members}
        records = []
        for family, member, sex in members:
            records.append(
                PedigreeRecord(
                    family_id=family,
                    individual_id=name.get(member.donor_id, f"donor-{member.donor_id}"),
                    father_id=_parent(member.father_id, donor_of, name),
                    mother_id=_parent(member.mother_id, donor_of, name),
                    sex=sex,
                    affected=AffectedStatus.UNKNOWN,
                )
            )
        location = home / store.location
        version = store.version
    genotyped_families = {r.family_id for r in records if r.individual_id in name.values()}
    records = [r for r in records if r.family_id in genotyped_families]
    packed, sites = read_store_genotypes(
        open_store(location), [code for _p, code in chosen], [p for p, _code in chosen]
    )
    reports = verify_pedigrees(records, packed, king_all_pairs(packed))
    return CollectionPedigrees(collection, version, len(chosen), sites, reports)


def _parent(member_id: int | None, donor_of: dict[int, int], name: dict[int, str]) -> str | None:
    if member_id is None:
        return None
    donor = donor_of[member_id]
    return name.get(donor, f"donor-{donor}")
