"""One person, many donor records: duplicate links in the registry, and unique-donor counts.

``link_duplicates`` opens the sealed fingerprint files institutions sent to this node, runs the
duplicate search over all of them together (``duplicates``), and records each pair found as a
``DonorLink`` with its evidence, in one transaction with its audit event. Donors are named by
institution code and pseudonym; fingerprints of an institution this registry does not know are
counted and left out. ``unique_donors`` counts people: donors joined by links (transitively: a
person enrolled at three institutions) count once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.audit import Actor
from hgr.audit import record as audit
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import Conflict
from hgr.registry import models as m
from hgr.relatedness.duplicates import LshSettings, find_duplicates
from hgr.relatedness.fingerprints import Fingerprints, open_fingerprints
from hgr.relatedness.models import DonorLink
from hgr.relatedness.packed import PackedGenotypes

__all__ = ["LinkResult", "link_duplicates", "unique_donors"]


@dataclass(frozen=True)
class LinkResult:
    """What a run compared and recorded."""

    fingerprints: int
    candidates: int
    duplicates: int
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


def link_duplicates(
    db: Database,
    keys: NodeKeys,
    paths: Sequence[Path],
    *,
    actor: Actor,
    grounds: str,
    settings: LshSettings | None = None,
) -> LinkResult:
    """Find the same people across the sealed fingerprint files and link their donor records.

    Raises
    ------
    IntegrityBroken, FormatError
        A file not sealed to this node, damaged, or not a fingerprint file.
    Conflict
        ``E_FINGERPRINT_PANEL`` when the files used different panels.
    """
    sets = [open_fingerprints(path, keys) for path in paths]
    merged = _merge(sets, paths)
    found = find_duplicates(merged, settings=settings)
    now = dt.datetime.now(dt.UTC)
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
        for k in range(len(found)):
            first, second = sorted(_donor(merged.samples[int(i)]) for i in (found.a[k], found.b[k]))
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
                    kinship=float(found.kinship[k]),
                    discordance=float(found.discordance[k]),
                    n_sites=int(found.n_sites[k]),
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
                "duplicates": len(found),
                "new_links": new,
                "unregistered": unknown,
                "panel_id": sets[0].panel_id,
            },
        )
    return LinkResult(len(merged.samples), found.candidates, len(found), new, unknown)


def unique_donors(session: Session, donors: Sequence[tuple[str, str]] | None = None) -> int:
    """The number of people among donors, counting donors joined by links once.

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
    parent = {donor: donor for donor in donors}

    def root(donor: tuple[str, str]) -> tuple[str, str]:
        while parent[donor] != donor:
            parent[donor] = parent[parent[donor]]
            donor = parent[donor]
        return donor

    links = select(
        DonorLink.institution_a, DonorLink.donor_a, DonorLink.institution_b, DonorLink.donor_b
    )
    for institution_a, donor_a, institution_b, donor_b in session.execute(links):
        first, second = (institution_a, donor_a), (institution_b, donor_b)
        if first in parent and second in parent:
            parent[root(first)] = root(second)
    return len({root(donor) for donor in parent})
