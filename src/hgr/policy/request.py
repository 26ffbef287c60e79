"""What a request asks and what the node knows about it, as the policy engine reads them.

An :class:`AccessRequest` is what the requester declares (purpose, organisations, data,
destination); :class:`NodeFacts` is what the node looks up for itself (the catalogue's
protected flags, the debarment list, earlier transactions with the same counterparty). Both are
read from YAML with every field checked; :func:`fact_values` flattens them into the named facts
that rule conditions test (the vocabulary of regulations.md §0.2).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from hgr.dates import utc_today
from hgr.exceptions import ValidationFailed
from hgr.issues import Issue, Origin, Severity
from hgr.vocabulary import DataCategory

__all__ = [
    "FACT_TYPES",
    "REGISTRY_KEY",
    "AccessRequest",
    "Cohort",
    "NodeFacts",
    "Organisation",
    "fact_values",
    "read_model",
]

Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code")]
# The form of a key of the organisation registry (hgr.organisations), which requests carry.
REGISTRY_KEY = r"^[a-z0-9][a-z0-9._-]{1,63}$"
Percent = Annotated[float, Field(ge=0, le=100)]
Action = Literal["collect", "preserve", "use", "provide", "open_use", "export_material"]
# The transaction classes of 28 CFR 202 and of research practice.
Transaction = Literal[
    "research_collaboration",
    "data_brokerage",
    "vendor",
    "employment",
    "investment",
    "clinical_trial",
    "publication",
]


def _refuse_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    if isinstance(value, list | tuple):
        for item in value:
            _refuse_nul(item)
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # A NUL is never meaningful in a request and PostgreSQL cannot store one in text.
    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _refuse_nul(value)


class Organisation(_Strict):
    """An organisation taking part in a request, with the ownership and control facts the
    foreign-party (HGR IR "actual control") and covered-person (28 CFR 202.211) tests need."""

    key: str | None = Field(
        default=None,
        pattern=REGISTRY_KEY,
        description="its key in the node's organisation registry (hgr org add); the node "
        "fills in its name, country and identifiers from the registry",
    )
    name: str = Field(default="", max_length=300)
    country: Country | None = None
    not_for_profit: bool = False
    foreign_equity_pct: Percent = Field(
        default=0, description="held by foreign organisations/persons"
    )
    foreign_voting_pct: Percent = 0
    control_by_agreement: bool = Field(default=False, description="foreign dominance by agreement")
    concern_ownership_pct: Percent = Field(
        default=0, description="held by countries of concern or covered persons (28 CFR 202.211)"
    )
    identifiers: tuple[str, ...] = Field(default=(), description="e.g. USCC, LEI, Companies House")

    @model_validator(mode="after")
    def _named(self) -> Organisation:
        # A party is named by its registry key, or by its name and country until the node
        # binds it to the registry (hgr.access.parties).
        if self.key is None and (not self.name.strip() or self.country is None):
            raise ValueError(
                "name the organisation by its registry key (key), or give its name and country"
            )
        return self


class Purpose(_Strict):
    """The research purpose, as a DUO term (regulations.md §5) and the flags rules test."""

    duo: Literal["NRES", "GRU", "HMB", "DS", "POA"]
    disease: str | None = Field(default=None, pattern=r"^MONDO:\d{7}$")
    commercial: bool = False
    methods_development: bool = False
    clinical_trial_for_marketing: bool = Field(
        default=False, description="a trial to obtain marketing authorisation (HGR Reg. Art. 22 ¶2)"
    )
    large_population_research: bool = False
    research_platform: bool = Field(
        default=False, description="preservation as a research platform"
    )
    description: str = ""

    @model_validator(mode="after")
    def _disease_named(self) -> Purpose:
        # DUO DS is "disease specific": the disease is part of the purpose (DUO:0000007).
        if self.duo == "DS" and not self.disease:
            raise ValueError("a disease-specific purpose (DS) names its MONDO disease")
        return self


# The registry fields an export may carry, one column each (hgr.access.export).
DonorField = Literal[
    "sex", "birth_year", "population", "residence", "vital_status", "diagnoses", "phenotypes"
]


# Beyond the registry's own categories: counts and frequencies computed from the data, as a
# discovery service (the beacon) answers them (regulations.md §0.2, ``aggregate_stats``).
Category = DataCategory | Literal["aggregate_stats"]


class Data(_Strict):
    categories: tuple[Category, ...] = Field(min_length=1)
    fields: tuple[DonorField, ...] = Field(
        default=("sex", "birth_year"), description="the donor fields an export carries"
    )
    persons: int = Field(ge=0)
    donors_from: tuple[Country, ...] = Field(min_length=1, description="whose law protects them")
    state_secret: bool = False


class Cohort(_Strict):
    """Where the requested donors are: the node looks their families and populations up in the
    catalogue of protected resources."""

    institution: str = Field(min_length=1)
    families: tuple[str, ...] = ()
    populations: tuple[str, ...] = ()


class AccessRequest(_Strict):
    """A request to collect, keep, use, provide or export genetic resources."""

    id: str = Field(min_length=1, max_length=64)
    action: Action
    purpose: Purpose
    project: str = Field(min_length=1)
    provider: Organisation
    requester: Organisation
    recipient: Organisation | None = Field(default=None, description="defaults to the requester")
    domestic_partner: Organisation | None = None
    data: Data
    cohort: Cohort | None = None
    destination_country: Country
    access_mode: Literal["download", "secure_environment", "aggregate"] = "download"
    transaction: Transaction = "research_collaboration"
    duration_months: int = Field(ge=1, le=600)
    ethics_approved: bool = Field(description="as the requester declares it")
    ethics_reference: str | None = Field(
        default=None, description="the project's ethics approval at the cohort's institution"
    )
    written_consent: bool
    sale: bool = Field(default=False, description="paid beyond reasonable costs (HGR Reg. Art. 10)")
    within_approved_cooperation: bool = False
    changes_approved_cooperation: bool = False
    meets_technical_specifications: bool = True
    usg_funded: bool = Field(default=False, description="official US Government business (202.504)")
    nih_funded: bool = False
    nih_controlled_access: bool = False
    regulatory_approval_data: bool = False
    gdpr_basis: Literal[
        "explicit_consent", "research_safeguards", "public_health", "healthcare", "none"
    ] = "none"
    transfer_basis: Literal["adequacy", "safeguards", "derogation", "none"] = "none"
    dpia_done: bool = False

    @property
    def receiver(self) -> Organisation:
        return self.recipient or self.requester


class RegisteredParty(_Strict):
    """What the organisation registry says of a party of the request: its key, its country
    and whether it is a foreign party (computed by walking the control graph)."""

    key: str
    country: Country
    foreign_party: bool
    concern_ownership_pct: Percent = Field(
        default=0,
        description="owned by countries of concern and covered persons, by the "
        "registry's holdings (28 CFR 202.211(a)(1))",
    )


PARTY_ROLES = ("provider", "requester", "recipient", "domestic_partner")


class NodeFacts(_Strict):
    """What the node knows about a request: looked up, never declared by the requester."""

    important_pedigree: bool = False
    specific_region: bool = False
    debarment: Literal["none", "discretionary", "mandatory"] = "none"
    debarment_reference: str = ""
    debarment_near_miss: bool = Field(
        default=False, description="a name close to a listed one, for a person to compare"
    )
    debarment_candidates: str = ""
    cn_ban: bool = Field(default=False, description="a ban under HGR Reg. Art. 43")
    ethics_approved: bool | None = Field(
        default=None, description="the node's record of the approval (None: not checked)"
    )
    prior_us_persons_12m: int = Field(
        default=0, ge=0, description="same counterparty, last 12 months"
    )
    nist_800_171_attested: bool = False
    parties: dict[str, RegisteredParty] = Field(
        default_factory=dict,
        description="the parties the organisation registry knows, by role (provider, "
        "requester, recipient, domestic_partner); they outrank the request's declarations",
    )
    persons: int | None = Field(
        default=None,
        ge=0,
        description="the distinct persons of the request's cohort, counted by the node (None: "
        "no cohort); it outranks the request's declared data.persons",
    )
    jurisdictions: tuple[Country, ...] = Field(
        default=(),
        description="where the cohort's donors live (else their institution's country), "
        "beyond the request's donors_from; they are added to it",
    )
    us_persons: int | None = Field(
        default=None,
        ge=0,
        description="the distinct persons of the cohort who live in the US, counted by the "
        "node (None: no cohort)",
    )
    categories: tuple[Category, ...] = Field(
        default=(),
        description="data categories an export of the request's cohort releases beyond those "
        "the request declares, as the node's registry records them; they are added to "
        "data.categories",
    )
    today: dt.date = Field(default_factory=utc_today)

    @field_validator("today", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return dt.date.fromisoformat(value) if isinstance(value, str) else value


def foreign_party(org: Organisation) -> bool:
    """A foreign party in the sense of HGR Reg. Art. 21: a foreign organisation, or one a
    foreign organisation or person controls (IR actual-control tests: ≥50% of equity or votes,
    or dominance by agreement; regulations.md §1.2). Hong Kong, Macao and Taiwan entities are
    managed by reference to the foreign-party rules (🟡 MOST service guide)."""
    return (
        org.country != "CN"
        or org.foreign_equity_pct >= 50
        or org.foreign_voting_pct >= 50
        or org.control_by_agreement
    )


# Every fact a condition may test, with its type (hgr.policy.conditions checks packs with it).
FACT_TYPES: dict[str, type] = {
    "action": str,
    "purpose": str,
    "commercial": bool,
    "clinical_trial_for_marketing": bool,
    "large_population_research": bool,
    "research_platform": bool,
    "data_categories": list,
    "n_persons": int,
    "source_jurisdictions": list,
    "state_secret": bool,
    "provider_country": str,
    "requester_country": str,
    "recipient_country": str,
    "destination_country": str,
    "provider_foreign_party": bool,
    "requester_foreign_party": bool,
    "recipient_foreign_party": bool,
    "has_chinese_partner": bool,
    "recipient_not_for_profit": bool,
    "recipient_concern_ownership_pct": int,
    "access_mode": str,
    "transaction": str,
    "ethics_approved": bool,
    "written_consent": bool,
    "sale": bool,
    "within_approved_cooperation": bool,
    "changes_approved_cooperation": bool,
    "meets_technical_specifications": bool,
    "usg_funded": bool,
    "nih_funded": bool,
    "nih_controlled_access": bool,
    "regulatory_approval_data": bool,
    "gdpr_basis": str,
    "transfer_basis": str,
    "dpia_done": bool,
    "important_pedigree": bool,
    "specific_region": bool,
    "debarment": str,
    "debarment_near_miss": bool,
    "cn_ban": bool,
    "us_persons_12m": int,
    "nist_800_171_attested": bool,
}


def decided_categories(request: AccessRequest, facts: NodeFacts) -> list[str]:
    """The data categories the request is decided on: those it declares, and those the node
    finds an export of its cohort would release besides (regulations.md §0.2)."""
    declared = [str(c) for c in request.data.categories]
    return declared + [str(c) for c in facts.categories if str(c) not in declared]


def fact_values(request: AccessRequest, facts: NodeFacts) -> dict[str, Any]:
    """The named facts of ``request`` and ``facts``, as conditions test them."""
    receiver = request.receiver
    partner = request.domestic_partner
    # What the node counted outranks what the request declares (regulations.md §0.2).
    # A count above the declaration stands; one below it does not lower what was declared
    # (a cohort naming a family the node does not hold counts nobody).
    persons = max(request.data.persons, facts.persons or 0)

    def country(role: str, org: Organisation) -> str:
        known = facts.parties.get(role)
        # A party named by key alone, decided without its node (hgr policy check), has no
        # country: it matches no country a rule names, and counts as foreign.
        return known.country if known else org.country or ""

    def foreign(role: str, org: Organisation) -> bool:
        # The registry's walk, or the declaration where it says more (a foreign holding the
        # registry has not recorded yet): never the less restrictive of the two.
        known = facts.parties.get(role)
        if known is not None and org.country is None:
            return known.foreign_party  # named by key alone: the registry says it all
        return foreign_party(org) or (known is not None and known.foreign_party)

    values: dict[str, Any] = {
        "action": request.action,
        "purpose": request.purpose.duo,
        "commercial": request.purpose.commercial,
        "clinical_trial_for_marketing": request.purpose.clinical_trial_for_marketing,
        "large_population_research": request.purpose.large_population_research,
        "research_platform": request.purpose.research_platform,
        "data_categories": decided_categories(request, facts),
        "n_persons": persons,
        "source_jurisdictions": [
            *request.data.donors_from,
            *(j for j in facts.jurisdictions if j not in request.data.donors_from),
        ],
        "state_secret": request.data.state_secret,
        "provider_country": country("provider", request.provider),
        "requester_country": country("requester", request.requester),
        "recipient_country": country("recipient", receiver),
        "destination_country": request.destination_country,
        "provider_foreign_party": foreign("provider", request.provider),
        "requester_foreign_party": foreign("requester", request.requester),
        "recipient_foreign_party": foreign("recipient", receiver),
        "has_chinese_partner": partner is not None and not foreign("domestic_partner", partner),
        "recipient_not_for_profit": receiver.not_for_profit,
        "recipient_concern_ownership_pct": int(
            max(
                receiver.concern_ownership_pct,
                known.concern_ownership_pct if (known := facts.parties.get("recipient")) else 0,
            )
        ),
        "access_mode": request.access_mode,
        "transaction": request.transaction,
        # 28 CFR 202.205: bulk is counted over the preceding 12 months, aggregated across
        # transactions with the same counterparty.
        # The cohort's US persons as the node counts them; every person where the request
        # declares US donors (the node cannot tell which of them the declaration means).
        "us_persons_12m": (persons if "US" in request.data.donors_from else facts.us_persons or 0)
        + facts.prior_us_persons_12m,
    }
    # The node's record of the ethics approval, where it checked one, outranks the declaration.
    values["ethics_approved"] = (
        request.ethics_approved if facts.ethics_approved is None else facts.ethics_approved
    )
    for name in (
        "written_consent",
        "sale",
        "within_approved_cooperation",
        "changes_approved_cooperation",
        "meets_technical_specifications",
        "usg_funded",
        "nih_funded",
        "nih_controlled_access",
        "regulatory_approval_data",
        "gdpr_basis",
        "transfer_basis",
        "dpia_done",
    ):
        values[name] = getattr(request, name)
    for name in (
        "important_pedigree",
        "specific_region",
        "debarment",
        "debarment_near_miss",
        "cn_ban",
        "nist_800_171_attested",
    ):
        values[name] = getattr(facts, name)
    assert set(values) == set(FACT_TYPES), set(values) ^ set(FACT_TYPES)
    return values


M = TypeVar("M", bound=BaseModel)


def read_model(model: type[M], path: Path) -> M:
    """A request or facts file (YAML or JSON); ValidationFailed naming each bad field."""
    origin = Origin(str(path))
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        issue = Issue(
            "E_POLICY_FILE",
            Severity.ERROR,
            origin,
            f"cannot read it: {exc}",
            "give a YAML or JSON file",
        )
        raise ValidationFailed(f"{path}: not readable", [issue], code="E_POLICY_FILE") from None
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        issues = [
            Issue(
                "E_POLICY_FIELD",
                Severity.ERROR,
                Origin(str(path), None, "/" + "/".join(str(p) for p in error["loc"])),
                error["msg"],
                "see docs/policy.md for the fields",
                field=".".join(str(p) for p in error["loc"]) or None,
            )
            for error in exc.errors()
        ]
        raise ValidationFailed(
            f"{path}: {len(issues)} field(s) are wrong", issues, code="E_POLICY_FIELD"
        ) from None
