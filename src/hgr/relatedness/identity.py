"""One person, many donor records: duplicate links in the registry, and unique-donor counts.

``link_donors`` opens the sealed fingerprint files institutions sent to this node, runs the
duplicate search over all of them together (``duplicates``), and records each pair found as a
``DonorLink`` with its evidence, in one transaction with its audit event. With ``relatives``
it also runs all-pairs KING over the fingerprints and links first-degree relatives held at
different institutions: quadratic in the number of fingerprints (about 4.6 hours for a
million on two cores), so it is asked for, and can run on a Dask cluster.

Donors are named by institution code and pseudonym; fingerprints of an institution this
registry does not know are counted and left out. ``unique_donors`` counts people: donors
linked as duplicates (transitively: a person enrolled at three institutions) count once.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hgr.audit import Actor
from hgr.audit import record as audit
from hgr.crypto import NodeKeys
from hgr.dates import utc_now
from hgr.db import Database
from hgr.exceptions import Conflict
from hgr.registry import models as m
from hgr.relatedness.degrees import FIRST_DEGREE_MIN
from hgr.relatedness.duplicates import LshSettings, find_duplicates
from hgr.relatedness.fingerprints import Fingerprints, open_fingerprints
from hgr.relatedness.kernels import listed_pair_counts
from hgr.relatedness.king import king_all_pairs
from hgr.relatedness.models import DonorLink
from hgr.relatedness.packed import PackedGenotypes
from hgr.vocabulary import Relationship

__all__ = [
    "RELATIVES",
    "LinkResult",
    "institution_persons",
    "link_donors",
    "persons_within",
    "unique_donors",
]

# First degree only: over a panel of a few thousand SNPs kinship has a standard error near
# 0.02, so unrelated pairs reach the second-degree cut (0.088) by chance among many pairs,
# while the first-degree cut (0.177) stays far from both.
RELATIVES = {Relationship.PARENT_OFFSPRING, Relationship.FULL_SIBLINGS}


@dataclass(frozen=True)
class LinkResult:
    """What a run compared and recorded."""

    fingerprints: int
    candidates: int
    duplicates: int
    relatives: int
    new_links: int
    unregistered: int  # fingerprints of institutions this registry does not hold


def _merge(sets: Sequence[Fingerprints], paths: Sequence[Path]) -> PackedGenotypes:
    panel = sets[0].panel_id
    for fingerprints, path in zip(sets, paths, strict=True):
        if fingerprints.panel_id != panel:
            raise Conflict(
                f"{path} was made with panel {fingerprints.panel_id[:12]}…, {paths[0]} with "
                f"{panel[:12]}…: fingerprints of different panels cannot be compared",
                code="E_FINGERPRINT_PANEL",
            )
    # Every file was packed at the same panel sites, so the planes line up site by site.
    return PackedGenotypes.concatenate([f.genotypes for f in sets])


def _donor(name: str) -> tuple[str, str]:
    """(institution code, pseudonym) of a fingerprint named ``INSTITUTION/pseudonym``."""
    institution, _, pseudonym = name.partition("/")
    return institution, pseudonym


def _registered(session: Session, names: Sequence[str]) -> set[str]:
    """The institution codes among ``INSTITUTION/pseudonym`` names that the registry holds."""
    codes = {name.partition("/")[0] for name in names}
    return set(session.scalars(select(m.Institution.code).where(m.Institution.code.in_(codes))))


@dataclass(frozen=True)
class _Finding:
    a: int
    b: int
    relationship: Relationship
    kinship: float
    ibs0: int
    discordant: int
    n_sites: int


def _duplicates(
    merged: PackedGenotypes, settings: LshSettings | None
) -> tuple[list[_Finding], int]:
    found = find_duplicates(merged, settings=settings)
    findings = [
        _Finding(
            int(found.a[k]),
            int(found.b[k]),
            Relationship.DUPLICATE,
            float(found.kinship[k]),
            int(found.ibs0[k]),
            int(found.discordant[k]),
            int(found.n_sites[k]),
        )
        for k in range(len(found))
    ]
    return findings, found.candidates


def _relatives(merged: PackedGenotypes, client: Any) -> list[_Finding]:
    """First-degree relatives at different institutions, by all-pairs KING over fingerprints."""
    pairs = king_all_pairs(merged, min_kinship=FIRST_DEGREE_MIN, client=client)
    institution = [_donor(name)[0] for name in merged.samples]
    chosen = [
        k
        for k, relation in enumerate(pairs.relationships())
        if relation in RELATIVES and institution[int(pairs.a[k])] != institution[int(pairs.b[k])]
    ]
    if not chosen:
        return []
    index = np.array(chosen, dtype=np.int64)
    counts = listed_pair_counts(merged.planes, pairs.a[index], pairs.b[index])
    classes = pairs.relationships()
    return [
        _Finding(
            int(pairs.a[k]),
            int(pairs.b[k]),
            classes[k],
            float(pairs.kinship[k]),
            int(pairs.ibs0[k]),
            int(counts[row, 5]),
            int(pairs.n_sites[k]),
        )
        for row, k in enumerate(chosen)
    ]


def link_donors(
    db: Database,
    keys: NodeKeys,
    paths: Sequence[Path],
    *,
    actor: Actor,
    grounds: str,
    relatives: bool = False,
    settings: LshSettings | None = None,
    client: Any = None,
) -> LinkResult:
    """Find the same people (and, with ``relatives``, close relatives at other institutions)
    across the sealed fingerprint files, and link their donor records.

    Raises
    ------
    IntegrityBroken, FormatError
        A file not sealed to this node, damaged, or not a fingerprint file.
    Conflict
        ``E_FINGERPRINT_PANEL`` when the files used different panels.
    """
    sets = [open_fingerprints(path, keys) for path in paths]
    merged = _merge(sets, paths)
    findings, candidates = _duplicates(merged, settings)
    duplicates = len(findings)
    if relatives:
        seen = {(f.a, f.b) for f in findings}
        findings += [f for f in _relatives(merged, client) if (f.a, f.b) not in seen]
    now = utc_now()
    with db.transaction() as session:
        registered = _registered(session, merged.samples)
        existing: set[tuple[str, str, str, str]] = {
            (a, b, c, d)
            for a, b, c, d in session.execute(
                select(
                    DonorLink.institution_a,
                    DonorLink.donor_a,
                    DonorLink.institution_b,
                    DonorLink.donor_b,
                )
            )
        }
        new = 0
        for finding in findings:
            first, second = sorted(_donor(merged.samples[i]) for i in (finding.a, finding.b))
            key = (first[0], first[1], second[0], second[1])
            if first == second or first[0] not in registered or second[0] not in registered:
                continue
            if key in existing:
                continue
            existing.add(key)
            session.add(
                DonorLink(
                    institution_a=first[0],
                    donor_a=first[1],
                    institution_b=second[0],
                    donor_b=second[1],
                    relationship=finding.relationship.value,
                    kinship=finding.kinship,
                    ibs0=finding.ibs0 / finding.n_sites if finding.n_sites else 0.0,
                    discordance=finding.discordant / finding.n_sites if finding.n_sites else 0.0,
                    n_sites=finding.n_sites,
                    panel_id=sets[0].panel_id,
                    created_at=now,
                )
            )
            new += 1
        unknown = sum(1 for name in merged.samples if name.partition("/")[0] not in registered)
        audit(
            session,
            actor,
            "relatedness.link",
            f"{len(paths)} fingerprint files",
            grounds=grounds,
            detail={
                "fingerprints": len(merged.samples),
                "duplicates": duplicates,
                "relatives": len(findings) - duplicates,
                "new_links": new,
                "unregistered": unknown,
                "panel_id": sets[0].panel_id,
            },
        )
    return LinkResult(
        len(merged.samples), candidates, duplicates, len(findings) - duplicates, new, unknown
    )


def _merges(pairs: Iterable[tuple[Hashable, Hashable]]) -> int:
    """How many of ``pairs`` join two people not yet joined (union-find over the linked
    donors alone): a set of donors less this is its number of people."""
    parent: dict[Hashable, Hashable] = {}

    def root(donor: Hashable) -> Hashable:
        parent.setdefault(donor, donor)
        while parent[donor] != donor:
            parent[donor] = parent[parent[donor]]
            donor = parent[donor]
        return donor

    merged = 0
    for first, second in pairs:
        a, b = root(first), root(second)
        if a != b:
            parent[a] = b
            merged += 1
    return merged


def _duplicate_links(session: Session) -> Iterator[tuple[tuple[str, str], tuple[str, str]]]:
    """Every duplicate link, as two (institution code, pseudonym) pairs."""
    links = select(
        DonorLink.institution_a, DonorLink.donor_a, DonorLink.institution_b, DonorLink.donor_b
    ).where(DonorLink.relationship == Relationship.DUPLICATE.value)
    for institution_a, donor_a, institution_b, donor_b in session.execute(links):
        yield (institution_a, donor_a), (institution_b, donor_b)


def unique_donors(session: Session, donors: Sequence[tuple[str, str]] | None = None) -> int:
    """The number of people among donors, counting donors linked as duplicates once.

    ``donors`` are (institution code, pseudonym) pairs, such as an edition's returns list;
    by default every donor record of this registry.
    """
    if donors is None:
        donors = [
            (code, pseudonym)
            for code, pseudonym in session.execute(
                select(m.Institution.code, m.Donor.pseudonym).join(
                    m.Institution, m.Institution.id == m.Donor.institution_id
                )
            )
        ]
    return persons_within(session, {"": donors})[""]


def institution_persons(session: Session, institution: str) -> int:
    """The number of people among ``institution``'s donors, counting donors linked as
    duplicates once: what :func:`unique_donors` gives for the institution's donors, counted
    without loading them (only the donors in a duplicate link are looked at)."""
    total = session.scalar(
        select(func.count())
        .select_from(m.Donor)
        .join(m.Institution, m.Institution.id == m.Donor.institution_id)
        .where(m.Institution.code == institution)
    )
    duplicate = (
        DonorLink.relationship == Relationship.DUPLICATE.value,
        DonorLink.institution_a == institution,
        DonorLink.institution_b == institution,
    )
    links = session.execute(select(DonorLink.donor_a, DonorLink.donor_b).where(*duplicate)).all()
    # The linked donors that are this institution's, found by the database (a list of them
    # bound as parameters would pass PostgreSQL's limit of 65,535 at 32,768 links).
    named = (
        select(DonorLink.donor_a)
        .where(*duplicate)
        .union(select(DonorLink.donor_b).where(*duplicate))
    )
    registered = set(
        session.scalars(
            select(m.Donor.pseudonym)
            .join(m.Institution, m.Institution.id == m.Donor.institution_id)
            .where(m.Institution.code == institution, m.Donor.pseudonym.in_(named))
        )
    )
    inside = [(a, b) for a, b in links if a in registered and b in registered]
    return int(total or 0) - _merges(inside)


def persons_within(
    session: Session, groups: Mapping[str, Sequence[tuple[str, str]]]
) -> dict[str, int]:
    """The number of people in each group of donors ((institution code, pseudonym) pairs),
    counting donors linked as duplicates once within the group: a person enrolled in two
    provinces is one person in each, and one in the nation (:func:`unique_donors`).

    Each group's donors are counted once, and only the linked ones are looked at: the work is
    that of counting the nation, not one count per group.
    """
    member_of: dict[tuple[str, str], set[str]] = {}
    for group, donors in groups.items():
        for donor in donors:
            member_of.setdefault(donor, set()).add(group)
    inside: dict[str, list[tuple[Hashable, Hashable]]] = {group: [] for group in groups}
    for first, second in _duplicate_links(session):
        for group in member_of.get(first, set()) & member_of.get(second, set()):
            inside[group].append((first, second))
    return {group: len(set(donors)) - _merges(inside[group]) for group, donors in groups.items()}
