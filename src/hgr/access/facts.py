"""What the node knows of a request: the facts the policy engine takes from the node's own
records, never from the requester (regulations.md §0.2: ``is_important_pedigree`` and
``is_specific_region`` from the catalogue; ``debarred`` from the debarment list; the ethics
approval from the registry; earlier US transfers to the same counterparty from its exports;
the persons its cohort holds and the data categories an export of it releases, counted in the
registry)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hgr.access.models import ExportPackage, RequestRecord
from hgr.catalogue import is_protected
from hgr.exceptions import UsageError
from hgr.genotypes.models import GenotypeSample, GenotypeStore
from hgr.organisations import (
    concern_ownership,
    foreign_party,
    normalise_identifier,
    normalise_name,
    organisations_of_party,
    screen_party,
)
from hgr.policy.request import AccessRequest, NodeFacts, Organisation, RegisteredParty
from hgr.registry import models as m
from hgr.relatedness.identity import unique_donors
from hgr.vocabulary import EthicsStatus

__all__ = [
    "GENOTYPE_CATEGORIES",
    "cohort_categories",
    "cohort_donors",
    "cohort_jurisdictions",
    "count_persons",
    "counted",
    "ethics_standing",
    "node_facts",
    "prior_us_persons",
    "registered_parties",
    "released_categories",
]

LEVELS = ("none", "discretionary", "mandatory")
BULK_WINDOW = dt.timedelta(days=365)  # 28 CFR 202.205: the preceding 12 months
CHUNK = 10_000
# The data categories an export carries as genotypes (hgr.access.export).
GENOTYPE_CATEGORIES = frozenset(
    {"whole_genome", "whole_exome", "genotype_array", "targeted_sequencing"}
)


def ethics_standing(
    session: Session, institution: str, reference: str | None, today: dt.date
) -> bool:
    """Whether the institution holds the ethics approval ``reference`` and it stands today:
    a missing, pending (not yet valid), expired, suspended or withdrawn approval blocks use
    (HGR Reg. Art. 9 ¶1)."""
    if not reference:
        return False
    E = m.EthicsApproval
    found = session.execute(
        select(E.valid_from, E.valid_to, E.status)
        .join(m.Institution, m.Institution.id == E.institution_id)
        .where(m.Institution.code == institution, E.reference == reference)
    ).all()
    return any(
        status == EthicsStatus.ACTIVE and start <= today and (end is None or today <= end)
        for start, end, status in found
    )


def cohort_donors(session: Session, request: AccessRequest) -> list[int]:
    """The donor ids of the request's cohort: its families' members and its populations'
    donors at its institution (every donor there when it names neither).

    Raises
    ------
    UsageError
        The request names no cohort.
    """
    cohort = request.cohort
    if cohort is None:
        raise UsageError(
            "the request names no cohort (institution, families, populations) to export",
            code="E_NO_COHORT",
        )
    owner = select(m.Institution.id).where(m.Institution.code == cohort.institution)
    holder = owner.scalar_subquery()
    query = select(m.Donor.id).where(m.Donor.institution_id == holder)
    if cohort.families or cohort.populations:
        members = (
            select(m.PedigreeMember.donor_id)
            .join(m.Family)
            .where(m.Family.code.in_(cohort.families), m.Family.institution_id == holder)
        )
        query = query.where(m.Donor.id.in_(members) | m.Donor.population.in_(cohort.populations))
    return list(session.scalars(query.order_by(m.Donor.id)))


def _named(session: Session, donors: list[int]) -> dict[int, tuple[str, str]]:
    """Each donor as (institution code, pseudonym), as survey returns and links name them."""
    named: dict[int, tuple[str, str]] = {}
    for start in range(0, len(donors), CHUNK):  # a cohort may pass SQLite's bound parameters
        named |= {
            donor: (code, pseudonym)
            for donor, code, pseudonym in session.execute(
                select(m.Donor.id, m.Institution.code, m.Donor.pseudonym)
                .join(m.Institution, m.Institution.id == m.Donor.institution_id)
                .where(m.Donor.id.in_(donors[start : start + CHUNK]))
            )
        }
    return named


def count_persons(session: Session, donors: list[int]) -> int:
    """The persons among donor records: two records linked as the same person (a duplicate
    link of the relatedness engine) count once, as in the survey."""
    return unique_donors(session, list(_named(session, donors).values()))


def cohort_categories(session: Session, donors: list[int]) -> list[str]:
    """The data categories the registry records for ``donors``: those of every collection
    that holds a sample of theirs (as the survey counts them, hgr.survey.returns)."""
    collections: set[int] = set()
    for start in range(0, len(donors), CHUNK):
        collections |= set(
            session.scalars(
                select(m.Sample.collection_id)
                .where(
                    m.Sample.donor_id.in_(donors[start : start + CHUNK]),
                    m.Sample.collection_id.is_not(None),
                )
                .distinct()
            )
        )
    held = session.scalars(
        select(m.Collection.data_categories).where(m.Collection.id.in_(sorted(collections)))
    )
    return sorted({str(c) for categories in held for c in categories or []})


def cohort_jurisdictions(session: Session, donors: list[int]) -> dict[str, list[int]]:
    """``donors`` by the country whose law protects them: the country of their residence
    region, else their institution's country."""
    out: dict[str, list[int]] = {}
    for start in range(0, len(donors), CHUNK):
        rows = session.execute(
            select(m.Donor.id, m.Region.country, m.Institution.country)
            .join(m.Institution, m.Institution.id == m.Donor.institution_id)
            .outerjoin(m.Region, m.Region.id == m.Donor.residence_region_id)
            .where(m.Donor.id.in_(donors[start : start + CHUNK]))
        )
        for donor, lives, held in rows:
            out.setdefault(str(lives or held), []).append(donor)
    return out


def counted(
    session: Session, request: AccessRequest, donors: list[int], today: dt.date
) -> dict[str, Any]:
    """What the node counts of the donors an export of ``request`` would release: the
    persons, the US persons among them, the countries they live in beyond those the request
    declares, the data categories beyond those it declares, and the US persons already
    exported to its recipient this year who are not among them (NodeFacts' fields)."""
    by_country = cohort_jurisdictions(session, donors)
    named = _named(session, donors)
    residents = [named[d] for d in by_country.get("US", []) if d in named]
    # The persons this request counts as US persons: all of them where it declares US donors.
    us = list(named.values()) if "US" in request.data.donors_from else residents
    before = prior_us_persons(session, request.receiver, today, beyond=us)
    return {
        "persons": unique_donors(session, list(named.values())),
        "us_persons": unique_donors(session, residents) if residents else 0,
        "jurisdictions": sorted(set(by_country) - set(request.data.donors_from)),
        "categories": released_categories(session, request, donors),
        "prior_us_persons_12m": before,
    }


def _stored_categories(session: Session, donors: list[int]) -> set[str]:
    """The genotype categories of the collections whose genotype stores hold a sample of
    ``donors``, the data an export of genotypes reads (hgr.access.export); a collection that
    records none is taken as whole genomes, since the node cannot tell that it holds less."""
    S, G, T = m.Sample, GenotypeSample, GenotypeStore
    collections: set[int] = set()
    for start in range(0, len(donors), CHUNK):
        collections |= set(
            session.scalars(
                select(T.collection_id)
                .join(G, G.store_id == T.id)
                .join(S, S.id == G.sample_id)
                .where(S.donor_id.in_(donors[start : start + CHUNK]))
                .distinct()
            )
        )
    out: set[str] = set()
    for categories in session.scalars(
        select(m.Collection.data_categories).where(m.Collection.id.in_(sorted(collections)))
    ):
        held = GENOTYPE_CATEGORIES & {str(c) for c in categories or []}
        out |= held or {"whole_genome"}
    return out


def released_categories(session: Session, request: AccessRequest, donors: list[int]) -> list[str]:
    """The data categories an export of ``donors`` under ``request`` releases as the registry
    records them, beyond what the request declares: an export of genotype data carries the
    genotypes of every collection store holding the donors (hgr.access.export), so a request
    that declares arrays of a cohort sequenced in whole receives genomes, and is decided as
    such (Implementing Rules: exome or genome sequencing information of more than 500
    persons). The categories are those of the collections holding the donors' samples and of
    those whose stores hold their genotypes."""
    asked = {str(c) for c in request.data.categories}
    if not GENOTYPE_CATEGORIES & asked:
        return []
    held = set(cohort_categories(session, donors)) | _stored_categories(session, donors)
    return sorted(c for c in held if c in GENOTYPE_CATEGORIES and c not in asked)


def _same_party(body: dict[str, Any], party: Organisation) -> bool:
    """Whether an earlier request's recipient is ``party``: the same registry key, else the
    same normalised name or a shared identifier."""
    recipient = body.get("recipient") or body.get("requester")
    if not isinstance(recipient, dict):
        return False
    if party.key and recipient.get("key"):
        return bool(recipient["key"] == party.key)
    ids = {normalise_identifier(str(i)) for i in recipient.get("identifiers") or []} - {""}
    name = normalise_name(party.name)
    same_name = bool(name) and normalise_name(str(recipient.get("name", ""))) == name
    return same_name or bool(ids & {normalise_identifier(i) for i in party.identifiers})


def prior_us_persons(
    session: Session,
    party: Organisation,
    today: dt.date,
    beyond: list[tuple[str, str]] | None = None,
) -> int:
    """The distinct US persons whose data this node exported to ``party`` in the last 12
    months (28 CFR 202.205: bulk is counted in aggregate over the counterparty's
    transactions), not counting the persons among ``beyond`` (those the request in hand
    counts already): every donor of an export whose request declared US donors, and the
    donors of any other export to it whom the registry knows to live in the US; each person
    once, however many exports carried them."""
    since = dt.datetime.combine(today - BULK_WINDOW, dt.time(), dt.UTC)
    us: set[tuple[str, str]] = set()
    looked_up: dict[str, set[str]] = {}
    for package, body in session.execute(
        select(ExportPackage, RequestRecord.body)
        .join(RequestRecord)
        .where(ExportPackage.created_at >= since)
    ):
        if not _same_party(body, party):
            continue
        institution = str((body.get("cohort") or {}).get("institution") or "")
        if "US" in ((body.get("data") or {}).get("donors_from") or []):
            us |= {(institution, str(p)) for p in package.donors}
        elif institution:
            looked_up.setdefault(institution, set()).update(str(p) for p in package.donors)
    for institution, pseudonyms in sorted(looked_up.items()):
        names = sorted(pseudonyms)
        for start in range(0, len(names), CHUNK):
            us |= {
                (institution, p)
                for p in session.scalars(
                    select(m.Donor.pseudonym)
                    .join(m.Institution, m.Institution.id == m.Donor.institution_id)
                    .outerjoin(m.Region, m.Region.id == m.Donor.residence_region_id)
                    .where(
                        m.Institution.code == institution,
                        m.Donor.pseudonym.in_(names[start : start + CHUNK]),
                        func.coalesce(m.Region.country, m.Institution.country) == "US",
                    )
                )
            }
    if not us:
        return 0
    current = sorted(set(beyond or ()))
    return unique_donors(session, sorted(us | set(current))) - (
        unique_donors(session, current) if current else 0
    )


def registered_parties(session: Session, request: AccessRequest) -> dict[str, RegisteredParty]:
    """The parties of the request the organisation registry knows (by identifier, or by
    normalised name: hgr.organisations.organisation_by_identity), with the country it records
    and the foreign-party test computed from its control graph."""
    parties = {
        "provider": request.provider,
        "requester": request.requester,
        "recipient": request.receiver,
        "domestic_partner": request.domestic_partner,
    }
    out = {}
    for role, party in parties.items():
        if party is None:
            continue
        known = organisations_of_party(session, party.key, party.identifiers, party.name)
        if not known:
            continue
        # Several organisations behind one party (another's identifier added, or a namesake):
        # the most restrictive of them stands, and the decision names them all.
        foreign = {o.key: foreign_party(session, o) for o in known}
        chosen = next((o for o in known if foreign[o.key]), known[0])
        owned = max(concern_ownership(session, o) for o in known)
        out[role] = RegisteredParty(
            key="|".join(o.key for o in known),
            country=chosen.country,
            foreign_party=foreign[chosen.key],
            concern_ownership_pct=owned,
        )
    return out


def node_facts(
    session: Session, request: AccessRequest, recorded: NodeFacts | None = None
) -> NodeFacts:
    """The node's facts about ``request``: the catalogue's protected flags, the ethics approval
    and the persons of its cohort, the data categories an export of it releases beyond those
    declared, the debarment list's strongest finding for the requester and the recipient (and
    whoever controls them), and the US persons already exported to the recipient this year.
    ``recorded`` holds what the node records elsewhere (a facts file): its day, its US persons
    given through other channels (added to the node's own count) and its NIST attestation; its
    other facts are the node's to look up, never taken from it."""
    recorded = recorded or NodeFacts()
    today = recorded.today
    cohort = request.cohort
    pedigree = region = False
    ethics: bool | None = None
    counts: dict[str, Any] = {}
    if cohort is not None:
        # Every person the cohort holds: an export releases those of them whose consent
        # covers the use, never more, so the decision is made on an upper bound here and
        # again on the released set at each export (hgr.access.export).
        counts = counted(session, request, cohort_donors(session, request), today)
        pedigree = any(is_protected(session, cohort.institution, f) for f in cohort.families)
        region = any(
            is_protected(session, cohort.institution, p, "region") for p in cohort.populations
        )
        ethics = ethics_standing(session, cohort.institution, request.ethics_reference, today)
    findings = [
        screen_party(session, org.identifiers, org.name, today, key=org.key)
        for org in {request.requester, request.receiver}
    ]
    level = max((f.level for f in findings), key=LEVELS.index, default="none")
    references = sorted({e for f in findings for e in f.entries})
    near = sorted(
        {
            f"{n.entry} ({n.listed!r} ~ {n.name!r}, {n.score:g})"
            for f in findings
            for n in f.near_misses
        }
    )
    own = counts.pop("prior_us_persons_12m", None)
    if own is None:
        own = prior_us_persons(session, request.receiver, today)
    return NodeFacts.model_validate(
        {
            "important_pedigree": pedigree,
            "specific_region": region,
            "debarment": level,
            "debarment_reference": ", ".join(references),
            "debarment_near_miss": bool(near),
            "debarment_candidates": "; ".join(near),
            "cn_ban": any(f.cn_ban for f in findings),
            "ethics_approved": ethics,
            "today": today,
            **counts,
            "parties": registered_parties(session, request),
            "prior_us_persons_12m": recorded.prior_us_persons_12m + own,
            "nist_800_171_attested": recorded.nist_800_171_attested,
        }
    )
