"""Matching a proposed use against each donor's consent (GA4GH DUO), and who may be released.

The permission is matched by walking up from the purpose (regulations.md §5.2 A; DUOS V4 rules,
§5.2 B): NRES allows everything; GRU any research; HMB health research, disease-specific research
included, but not general or ancestry research; DS(X) only research on X or a disease below it;
POA only population origins or ancestry research. Modifiers then restrict (§5.2 C): NPU, NCU and
NPUNCU the organisation and the use, NPOA ancestry research, GSO phenotype-only studies, NMDS
methods development outside the disease, IRB the ethics approval, GS the country of use, TS the
end of use, CC clinical care. PUB, COL, RTN and MOR become the requester's obligations; US, PS,
IS and RS name approved users, projects, institutions or research types that only a data access
committee can check, so they go to it for review.

Only donors with an active consent that matches, and no withdrawal since, are released (HGR
Reg. Art. 12: consent may be withdrawn at any time without conditions): the query reads the
consents when it runs, so a withdrawal recorded a moment before is already in force.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.access.ontology import DiseaseOntology
from hgr.dates import months_after, utc_today
from hgr.policy.request import AccessRequest
from hgr.registry import models as m
from hgr.registry.fields import duo_terms
from hgr.vocabulary import ConsentStatus

__all__ = [
    "ConsentMatch",
    "ProposedUse",
    "Release",
    "eligible_donors",
    "match_consent",
    "standing",
]

PURPOSES = ("GRU", "HMB", "DS", "POA")
# Data with a genotype component, for GSO (genetic studies only).
GENETIC = frozenset(
    {"whole_genome", "whole_exome", "genotype_array", "targeted_sequencing", "biological_samples"}
)
OBLIGATIONS = {
    "PUB": "make the results available to the wider scientific community",
    "COL": "collaborate with the primary study investigators",
    "RTN": "return derived or enriched data to the resource",
    "MOR": "publish nothing before the moratorium date",
}
FOR_REVIEW = {
    "US": "use is limited to approved users",
    "PS": "use is limited to an approved project",
    "IS": "use is limited to an approved institution",
    "RS": "use is limited to approved research types",
}


@dataclass(frozen=True)
class ProposedUse:
    """What a request proposes to do with the data, in the terms consent is written in."""

    purpose: str  # GRU (general), HMB (health), DS (a disease), POA (population origins)
    disease: str | None = None
    commercial: bool = False
    not_for_profit: bool = False
    methods_development: bool = False
    genetic: bool = True
    clinical_care: bool = False
    country: str = ""
    ends_on: dt.date | None = None
    ethics_approved: bool = False

    @classmethod
    def of(cls, request: AccessRequest, today: dt.date) -> ProposedUse:
        """The use ``request`` proposes, from ``today`` for its duration. A purpose stated as
        NRES asks for no particular kind of research, so it is matched as general research."""
        purpose = request.purpose
        return cls(
            purpose="GRU" if purpose.duo == "NRES" else purpose.duo,
            disease=purpose.disease,
            commercial=purpose.commercial,
            not_for_profit=request.receiver.not_for_profit,
            methods_development=purpose.methods_development,
            genetic=any(str(c) in GENETIC for c in request.data.categories),
            country=request.destination_country,
            ends_on=months_after(today, request.duration_months),
            ethics_approved=request.ethics_approved,
        )

    def __post_init__(self) -> None:
        if self.purpose not in PURPOSES:
            raise ValueError(f"purpose {self.purpose!r} is not one of {', '.join(PURPOSES)}")
        if self.purpose == "DS" and not self.disease:
            raise ValueError("a disease-specific purpose names its disease")


@dataclass(frozen=True)
class ConsentMatch:
    """Whether one consent allows the use, why not, and what it asks of the requester."""

    allowed: bool
    reasons: tuple[str, ...] = ()
    obligations: tuple[str, ...] = ()
    review: tuple[str, ...] = ()


def _short(term: str) -> str:
    found = duo_terms().get(term)
    return found.shorthand if found else term


def _permission(
    permission: str, disease: str | None, use: ProposedUse, ontology: DiseaseOntology
) -> str | None:
    """Why the permission does not cover the purpose (None: it does)."""
    if permission == "NRES":
        return None
    if permission == "GRU":
        return None
    if permission == "HMB":
        return (
            None
            if use.purpose in ("HMB", "DS")
            else (f"HMB consent covers health research, not {use.purpose}")
        )
    if permission == "DS":
        if use.purpose != "DS" or use.disease is None:
            return f"DS consent covers research on {disease} only, not {use.purpose}"
        if disease is None or not ontology.within(use.disease, disease):
            return f"DS consent covers {disease} and the diseases below it, not {use.disease}"
        return None
    if permission == "POA":
        return (
            None
            if use.purpose == "POA"
            else (
                f"POA consent covers population origins or ancestry research only, not "
                f"{use.purpose}"
            )
        )
    return f"unknown permission {permission}"


def match_consent(
    consent: m.Consent, use: ProposedUse, ontology: DiseaseOntology, today: dt.date
) -> ConsentMatch:
    """Whether ``consent`` allows ``use`` on ``today``."""
    if consent.status != ConsentStatus.ACTIVE:
        return ConsentMatch(False, (f"the consent is {consent.status}",))
    permission = _short(consent.permission)
    modifiers = {_short(t) for t in consent.modifiers}
    reasons: list[str] = []
    why = _permission(permission, consent.disease, use, ontology)
    if why:
        reasons.append(why)
    ancestry = use.purpose == "POA"
    checks = (
        ("NPU", not use.not_for_profit, "not-for-profit organisations only"),
        ("NCU", use.commercial, "non-commercial use only"),
        (
            "NPUNCU",
            not use.not_for_profit or use.commercial,
            "not-for-profit organisations and non-commercial use only",
        ),
        ("NPOA", ancestry, "no population origins or ancestry research"),
        ("GSO", not use.genetic, "genetic studies only, not phenotype-only"),
        (
            "NMDS",
            use.methods_development and permission != "DS",
            "no methods development outside the consented disease",
        ),
        ("IRB", not use.ethics_approved, "the use needs an ethics approval"),
        (
            "GS",
            use.country not in consent.countries,
            f"use only in {', '.join(consent.countries) or 'the named countries'}",
        ),
        (
            "TS",
            consent.time_limit is not None
            and (today > consent.time_limit or (use.ends_on or today) > consent.time_limit),
            f"use ends by {consent.time_limit}",
        ),
    )
    reasons += [
        f"{code}: {text}" for code, refused, text in checks if code in modifiers and refused
    ]
    if use.clinical_care and "CC" not in modifiers:
        reasons.append("clinical care use needs CC consent")
    return ConsentMatch(
        allowed=not reasons,
        reasons=tuple(reasons),
        obligations=tuple(f"{c}: {t}" for c, t in OBLIGATIONS.items() if c in modifiers),
        review=tuple(f"{c}: {t}" for c, t in FOR_REVIEW.items() if c in modifiers),
    )


@dataclass
class Release:
    """Which donors a use may reach, and why the others may not."""

    donors: list[int] = field(default_factory=list)
    refused: dict[int, tuple[str, ...]] = field(default_factory=dict)
    obligations: set[str] = field(default_factory=set)
    review: set[str] = field(default_factory=set)


def standing(held: Sequence[m.Consent]) -> tuple[list[m.Consent], dt.date | None]:
    """A donor's consents in force (active, and signed after their last withdrawal, if any),
    and the date of that withdrawal: a withdrawal ends every consent signed before it."""
    dates = [c.withdrawn_on for c in held if c.withdrawn_on is not None]
    last = max(dates) if dates else None
    live = [
        c for c in held if c.status == ConsentStatus.ACTIVE and (last is None or c.signed_on > last)
    ]
    return live, None if live else last


def eligible_donors(
    session: Session,
    donor_ids: Iterable[int],
    use: ProposedUse,
    ontology: DiseaseOntology,
    today: dt.date | None = None,
) -> Release:
    """Of ``donor_ids``, those whose consent allows ``use``: an active consent that matches, and
    no withdrawal after it was signed. Read now, so a withdrawal takes effect at once."""
    today = today or utc_today()
    wanted: Collection[int] = set(donor_ids)
    consents: dict[int, list[m.Consent]] = {d: [] for d in wanted}
    for consent in session.scalars(
        select(m.Consent)
        .where(m.Consent.donor_id.in_(sorted(wanted)))
        .order_by(m.Consent.signed_on)
    ):
        consents[consent.donor_id].append(consent)
    release = Release()
    for donor, held in sorted(consents.items()):
        live, withdrawn = standing(held)
        if not live:
            release.refused[donor] = ("withdrawn" if withdrawn else "no active consent",)
            continue
        matches = [match_consent(c, use, ontology, today) for c in live]
        allowed = [x for x in matches if x.allowed]
        if allowed:
            release.donors.append(donor)
            release.obligations.update(o for x in allowed for o in x.obligations)
            release.review.update(r for x in allowed for r in x.review)
        else:
            release.refused[donor] = tuple(r for x in matches for r in x.reasons)
    return release
