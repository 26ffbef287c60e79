"""Who is asking, which datasets there are, and what each requester may see of each.

Three tiers (Beacon v2 ``securityLevels``, security.md §1.6):

- **anonymous** (PUBLIC): booleans only;
- **registered** (REGISTERED): a user of this node, or a GA4GH Passport with bona fide
  ResearcherStatus and accepted terms: counts, with a floor, rounding and differential privacy;
- **controlled** (CONTROLLED): an active grant for the dataset (an access request of this node,
  a ControlledAccessGrants visa naming it, or the steward of its own institution): records.

What a dataset gives each tier is data (``beacon_dataset``, :class:`Exposure`). Above the
anonymous tier the requester's organisation and country go through the policy engine, as a
provision of aggregate statistics: where the rules do not allow it outright the requester gets
booleans; an organisation debarred on a mandatory ground gets nothing at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import IntEnum
from functools import cache, lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.access.models import RequestRecord
from hgr.audit import Actor, record
from hgr.audit.stamp import cached
from hgr.auth.models import User
from hgr.auth.roles import Principal, Role
from hgr.dates import utc_today
from hgr.exceptions import NotFound, UsageError
from hgr.genotypes.store import current_store, donor_counts
from hgr.organisations import screen_party
from hgr.policy.engine import evaluate
from hgr.policy.packs import Pack, load_packs
from hgr.policy.request import AccessRequest, NodeFacts
from hgr.privacy.models import BeaconDataset
from hgr.registry import models as m
from hgr.vocabulary import EthicsStatus

__all__ = [
    "LEVELS",
    "Dataset",
    "Exposure",
    "Requester",
    "Tier",
    "allowed_level",
    "datasets",
    "granted",
    "requester_for",
    "set_exposure",
    "with_finding",
]

LEVELS = ("none", "boolean", "count", "record")
UNKNOWN_COUNTRY = "ZZ"  # ISO 3166-1 user-assigned: a country the node was not told


class Tier(IntEnum):
    ANONYMOUS = 0
    REGISTERED = 1
    CONTROLLED = 2


@dataclass(frozen=True)
class Exposure:
    """What a dataset gives each tier, and the thresholds of its answers (the defaults apply
    to a collection that has no ``beacon_dataset`` row)."""

    anonymous: str = "boolean"
    registered: str = "count"
    controlled: str = "record"
    # Alleles carried by fewer than k donors are not shown below the controlled tier.
    min_carriers: int = 5
    # Counts below the floor are given as 0; others rounded to the nearest multiple of step.
    count_floor: int = 5
    count_step: int = 5
    # Each distinct count costs this epsilon (discrete Laplace, sensitivity 1), charged to the
    # identity and to its organisation, each of which may spend epsilon_budget on the dataset.
    count_epsilon: float = 0.5
    epsilon_budget: float = 10.0
    # The evidence (nats) that shown alleles may give away about any one donor, summed over
    # every requester. A likelihood-ratio test's power is at most e^budget times its
    # false-positive rate (security.md §2.3): 0.5 nats gives 0.082 at 5%, under the 0.10 the
    # attack simulation must meet with room for its sampling error (ln 2 sat on 0.10 and
    # measured 0.11-0.12). With N = 1,000 donors it also raises the bar from k = 5 to 8
    # carriers (membership.threshold): a "yes" at 5 carriers tells 0.62 nats.
    evidence_budget: float = 0.5
    # Allele frequencies for approved collaborators (hgr.beacon.frequencies), released with
    # zCDP Gaussian noise whose standard deviation on a frequency is frequency_sd, whatever
    # the slice: a small slice costs more rho per variant, so it gets fewer variants per year,
    # not noisier ones (security.md T5). All releases of a year together may spend
    # frequency_rho, one organisation frequency_rho_per_organisation of it. At rho 0.25 a
    # tracing attack on a typical member has power about 0.08 at 5% false positives, and no
    # test can pass 0.17 (Gaussian DP, mu = sqrt(2 rho)); at 0.5 those are 0.09 and 0.26,
    # too close to the 0.10 target (hgr beacon tracing-sim).
    frequency_sd: float = 0.01
    frequency_rho: float = 0.25
    frequency_rho_per_organisation: float = 0.125
    frequency_min_donors: int = 50

    def level(self, tier: Tier) -> str:
        return (self.anonymous, self.registered, self.controlled)[tier]


@dataclass(frozen=True)
class Dataset:
    """A collection as the beacon serves it."""

    id: str  # INSTITUTION:COLLECTION
    collection_id: int
    institution: str
    institution_country: str
    name: str
    description: str
    duo_codes: tuple[str, ...]
    donors: int
    store: Path | None  # the current genotype store version, if any
    exposure: Exposure
    ethics_standing: bool  # an active ethics approval covers the collection today


def _exposure(row: BeaconDataset | None) -> Exposure:
    if row is None:
        return Exposure()
    return Exposure(**{name: getattr(row, name) for name in Exposure.__dataclass_fields__})


def _ethics_covered(session: Session, today: dt.date) -> tuple[set[int], set[int]]:
    """The institutions whose institution-wide approval stands today, and the collections
    that an approval of their own covers."""
    E = m.EthicsApproval
    standing = session.execute(
        select(E.institution_id, E.collection_id).where(
            E.status == EthicsStatus.ACTIVE,
            E.valid_from <= today,
            (E.valid_to.is_(None)) | (E.valid_to >= today),
        )
    ).all()
    institutions = {i for i, collection in standing if collection is None}
    return institutions, {c for _i, c in standing if c is not None}


def datasets(session: Session, home: Path, today: dt.date | None = None) -> list[Dataset]:
    """Every collection of the node, as a beacon dataset, in id order (read once per state of
    the registry: every question asks for them)."""
    today = today or utc_today()
    found = cached(
        session,
        ("beacon.datasets", str(home), today),
        lambda: tuple(_read_datasets(session, home, today)),
    )
    return list(found)


def _read_datasets(session: Session, home: Path, today: dt.date) -> list[Dataset]:
    exposures = {r.collection_id: r for r in session.scalars(select(BeaconDataset))}
    donors = donor_counts(session)
    approved_institutions, approved_collections = _ethics_covered(session, today)
    out = []
    rows = session.execute(
        select(m.Collection, m.Institution).join(
            m.Institution, m.Institution.id == m.Collection.institution_id
        )
    ).all()
    for collection, institution in rows:
        store = current_store(session, collection.id)
        out.append(
            Dataset(
                id=f"{institution.code}:{collection.code}",
                collection_id=collection.id,
                institution=institution.code,
                institution_country=institution.country,
                name=collection.name,
                description=collection.description or "",
                duo_codes=tuple(collection.duo_codes),
                donors=donors.get(collection.id, 0),
                store=home / store.location if store else None,
                exposure=_exposure(exposures.get(collection.id)),
                ethics_standing=(
                    collection.institution_id in approved_institutions
                    or collection.id in approved_collections
                ),
            )
        )
    return sorted(out, key=lambda d: d.id)


@dataclass(frozen=True)
class Requester:
    """The caller as the beacon sees them."""

    identity: str  # the federation-wide name budgets are charged to
    organisation: str
    country: str
    tier: Tier  # by credential, before any dataset's grants
    user: str | None = None  # this node's user name, when there is one
    institution: str = ""  # a steward's own institution
    grants: frozenset[str] = field(default_factory=frozenset)
    debarred: bool = False  # on the debarment list on a mandatory ground
    # The federation node that vouches for a forwarded requester (hgr.privacy.forwarding).
    forwarder: str = ""

    @property
    def holders(self) -> tuple[str, ...]:
        """Who a question is charged to: the identity, its organisation (so that accounts of
        one organisation share one budget), and the node that vouches for a forwarded
        requester (so that everyone it vouches for shares one budget, and a node that names a
        fresh identity for every question gains nothing by it)."""
        out = [f"id:{self.identity}"]
        if self.organisation:
            out.append(f"org:{self.organisation.lower()}")
        if self.forwarder:
            out.append(f"node:{self.forwarder}")
        return tuple(out)

    @property
    def organisation_holder(self) -> str:
        """The organisation's holder, or the identity's for a requester without one."""
        return f"org:{self.organisation.lower()}" if self.organisation else f"id:{self.identity}"


def requester_for(
    session: Session, principal: Principal, address: str, today: dt.date | None = None
) -> Requester:
    """The requester behind ``principal`` (``address``: the client's, for anonymous callers)."""
    today = today or utc_today()
    if not principal.authenticated:
        return Requester(f"anonymous:{address}", "", UNKNOWN_COUNTRY, Tier.ANONYMOUS)
    passport = principal.passport
    name = principal.user
    user = cached(session, ("beacon.user", name), lambda: _user_facts(session, name))
    identity = (
        f"passport:{passport.issuer}|{passport.subject}" if passport else f"{principal.actor}"
    )
    registered = user is not None or bool(passport and passport.registered_access)
    organisation = user.organisation if user else ""
    requester = Requester(
        identity=identity,
        organisation=organisation,
        country=(user.country if user and user.country else UNKNOWN_COUNTRY),
        tier=Tier.REGISTERED if registered else Tier.ANONYMOUS,
        user=user.name if user else None,
        institution=(principal.scope if principal.role is Role.INSTITUTION_STEWARD else ""),
        grants=frozenset(passport.controlled_access_grants if passport else ()),
    )
    return with_finding(session, requester, today)


def with_finding(session: Session, requester: Requester, today: dt.date) -> Requester:
    """``requester``, marked debarred when its organisation is on the debarment list on a
    mandatory ground."""
    organisation = requester.organisation
    if (
        organisation
        and cached(
            session,
            ("beacon.finding", organisation, today),
            lambda: _list_level(session, organisation, today),
        )
        == "mandatory"
    ):
        return replace(requester, debarred=True)
    return requester


def _list_level(session: Session, organisation: str, today: dt.date) -> str:
    """The list's strongest finding for an organisation known to the beacon by one string,
    taken as a registry key, an identifier and a name (hgr.organisations.screen_party)."""
    return screen_party(session, [organisation], organisation, today, key=organisation).level


@dataclass(frozen=True)
class _UserFacts:
    name: str
    organisation: str
    country: str


def _user_facts(session: Session, name: str) -> _UserFacts | None:
    row = session.execute(
        select(User.name, User.organisation, User.country).where(User.name == name)
    ).first()
    return _UserFacts(row.name, row.organisation or "", row.country or "") if row else None


def granted(session: Session, requester: Requester, dataset: Dataset, today: dt.date) -> bool:
    """Whether the requester holds a grant for the dataset: its institution's steward, a
    ControlledAccessGrants visa naming it, or an active access request of this node covering
    its institution (decided under the policy engine when it was approved)."""
    if requester.tier < Tier.REGISTERED:
        return False
    if requester.institution and requester.institution == dataset.institution:
        return True
    if dataset.id in requester.grants or any(
        g.endswith(f"/{dataset.id}") for g in requester.grants
    ):
        return True
    if requester.user is None:
        return False
    return dataset.institution in cached(
        session,
        ("beacon.grants", requester.user, today),
        lambda: _granted_institutions(session, requester, today),
    )


def _granted_institutions(session: Session, requester: Requester, today: dt.date) -> frozenset[str]:
    """The institutions whose data the requester's active access requests cover."""
    active = session.scalars(
        select(RequestRecord.body).where(
            RequestRecord.requester == requester.user,
            RequestRecord.status == "active",
            RequestRecord.expires_on >= today,
        )
    )
    named = ((body.get("cohort") or {}).get("institution") for body in active)
    return frozenset(str(code) for code in named if code)


@cache
def _packs() -> tuple[Pack, ...]:
    return tuple(load_packs())


def _counts_allowed(requester: Requester, dataset: Dataset, today: dt.date) -> bool:
    """Whether the rules allow giving this requester counts from this dataset: a provision of
    aggregate statistics from the dataset's institution to the requester's organisation."""
    return _provision_allowed(
        requester.organisation or requester.identity,
        requester.country,
        dataset.institution,
        dataset.institution_country,
        dataset.donors,
        dataset.ethics_standing,
        today,
    )


@lru_cache(maxsize=4096)
def _provision_allowed(
    organisation: str,
    country: str,
    institution: str,
    institution_country: str,
    persons: int,
    ethics: bool,
    today: dt.date,
) -> bool:
    # The decision depends only on these facts, so it is made once per combination rather
    # than on every query (the packs are pure; regulations.md §0).
    request = AccessRequest.model_validate(
        {
            "id": "beacon",
            "action": "provide",
            "purpose": {"duo": "GRU"},
            "project": "Beacon discovery",
            "access_mode": "aggregate",
            "provider": {"name": institution, "country": institution_country},
            "requester": {"name": organisation, "country": country},
            "data": {
                "categories": ["aggregate_stats"],
                "persons": persons,
                "donors_from": [institution_country],
            },
            "destination_country": country,
            "duration_months": 1,
            # The answers are given under the approval that covers the collection itself.
            "ethics_approved": ethics,
            "written_consent": True,
        }
    )
    facts = NodeFacts(ethics_approved=ethics, today=today)
    return evaluate(request, facts, _packs()).outcome in ("allow", "notify")


def allowed_level(
    session: Session, requester: Requester, dataset: Dataset, today: dt.date | None = None
) -> str:
    """The most this requester may see of this dataset: none, boolean, count or record."""
    today = today or utc_today()
    if requester.debarred:
        return "none"
    tier = Tier.CONTROLLED if granted(session, requester, dataset, today) else requester.tier
    level = dataset.exposure.level(tier)
    if tier is Tier.CONTROLLED:
        return level  # the grant was decided under the policy engine when it was made
    if LEVELS.index(level) >= LEVELS.index("count") and not _counts_allowed(
        requester, dataset, today
    ):
        level = "boolean"  # the rules keep counts from this requester, not existence
    return level


# What each tier may be given at most (security.md §1.6: booleans for anonymous callers).
TIER_LEVELS = {"anonymous": LEVELS[:2], "registered": LEVELS[:3], "controlled": LEVELS}


def set_exposure(
    session: Session, actor: Actor, dataset_id: str, now: dt.datetime, **changes: str | int | float
) -> Exposure:
    """Change what a dataset (``INSTITUTION:COLLECTION``) exposes; the rest stays as it was.
    The change is written to the audit log.

    Raises
    ------
    NotFound
        No such collection.
    UsageError
        A level a tier may not have, or a threshold out of range.
    """
    code, _, collection_code = dataset_id.partition(":")
    collection = session.scalar(
        select(m.Collection)
        .join(m.Institution, m.Institution.id == m.Collection.institution_id)
        .where(m.Institution.code == code, m.Collection.code == collection_code)
    )
    if collection is None:
        raise NotFound(
            f"no collection {dataset_id!r} (give INSTITUTION:COLLECTION)", code="E_NOT_FOUND"
        )
    row = session.get(BeaconDataset, collection.id)
    before = _exposure(row)
    unknown = sorted(set(changes) - set(Exposure.__dataclass_fields__))
    if unknown:
        raise UsageError(f"unknown exposure setting(s): {', '.join(unknown)}", code="E_USAGE")
    after = replace(before, **changes)  # type: ignore[arg-type]
    for tier, allowed in TIER_LEVELS.items():
        if getattr(after, tier) not in allowed:
            raise UsageError(
                f"{tier} requesters may be given {', '.join(allowed)}, not "
                f"{getattr(after, tier)!r}",
                code="E_USAGE",
            )
    if after.min_carriers < 2 or after.count_floor < 1 or after.count_step < 1:
        raise UsageError(
            "min_carriers must be at least 2, count_floor and count_step at least 1", code="E_USAGE"
        )
    if not (0 < after.count_epsilon <= after.epsilon_budget) or after.evidence_budget <= 0:
        raise UsageError(
            "count_epsilon must be above 0 and at most epsilon_budget, and evidence_budget above 0",
            code="E_USAGE",
        )
    if (
        not (
            0 < after.frequency_sd <= 0.5
            and 0 < after.frequency_rho_per_organisation <= after.frequency_rho
        )
        or after.frequency_min_donors < 10
    ):
        raise UsageError(
            "frequency_sd must be above 0 and at most 0.5, "
            "frequency_rho_per_organisation above 0 and at most frequency_rho, "
            "and frequency_min_donors at least 10",
            code="E_USAGE",
        )
    values = {name: getattr(after, name) for name in Exposure.__dataclass_fields__}
    if row is None:
        session.add(BeaconDataset(collection_id=collection.id, updated_at=now, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = now
    record(
        session,
        actor,
        "beacon.exposure",
        f"collection/{dataset_id}",
        detail={
            "before": {k: getattr(before, k) for k in changes},
            "after": {k: getattr(after, k) for k in changes},
        },
    )
    return after
