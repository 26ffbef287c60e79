"""The disclosure tables: what each dataset exposes, and the ledgers of what was given away.

The ledger is what makes the defences hold across requests, restarts and accounts:

- ``beacon_allele`` fixes, the first time an allele is asked about, whether the beacon shows
  it below the controlled tier; every later question, from anyone, gets the same answer, so
  repeating or splitting a question gains nothing.
- ``beacon_donor_budget`` is the evidence about each donor that shown alleles have given away,
  summed over every requester (Raisaro et al. 2017, JAMIA 24:799, per-individual budgets;
  security.md §1.5: per-user budgets are defeated by Sybil accounts, per-individual ones are not).
- ``beacon_count_release`` keeps each differentially private count as released, and
  ``privacy_spent`` (ledger ``epsilon``) the privacy loss each identity and each organisation
  has spent on a dataset's counts (security.md T6(c): per researcher and per dataset,
  surviving restarts).
- ``beacon_requester_budget`` counts each identity's and organisation's new questions per day;
  ``beacon_federated_question`` the questions the federation's ledger has counted for holders
  every node knows, so that one question reaching several nodes counts once.
- ``beacon_frequency_slice`` and ``beacon_frequency_release`` keep the differentially private
  slice sizes and allele counts released to approved collaborators, and ``privacy_spent``
  (ledger ``rho``) the privacy loss (zCDP rho) each year's releases have spent on a dataset, in
  all and per organisation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hgr.db import Base
from hgr.db.seals import Sealed

__all__ = [
    "BeaconAllele",
    "BeaconCountRelease",
    "BeaconDataset",
    "BeaconDonorBudget",
    "BeaconFederatedQuestion",
    "BeaconFrequencyRelease",
    "BeaconFrequencySlice",
    "BeaconRequesterBudget",
    "PrivacySpent",
]


class BeaconDataset(Sealed, Base):
    """What one collection exposes to each tier, and the thresholds of its answers. A
    collection without a row exposes the defaults of :mod:`hgr.privacy.exposure`."""

    __tablename__ = "beacon_dataset"
    # The officer's exposure decision: what each tier may learn, and the privacy budgets.
    __sealed__ = (
        "anonymous",
        "registered",
        "controlled",
        "min_carriers",
        "count_floor",
        "count_step",
        "count_epsilon",
        "epsilon_budget",
        "evidence_budget",
        "frequency_sd",
        "frequency_rho",
        "frequency_rho_per_organisation",
        "frequency_min_donors",
        "updated_at",
    )

    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id"), primary_key=True)
    anonymous: Mapped[str] = mapped_column(String(16))  # none | boolean
    registered: Mapped[str] = mapped_column(String(16))  # none | boolean | count
    controlled: Mapped[str] = mapped_column(String(16))  # none | boolean | count | record
    min_carriers: Mapped[int] = mapped_column(Integer)  # k: fewer carriers, the allele is hidden
    count_floor: Mapped[int] = mapped_column(Integer)
    count_step: Mapped[int] = mapped_column(Integer)
    count_epsilon: Mapped[float] = mapped_column(Float)  # per released count
    epsilon_budget: Mapped[float] = mapped_column(Float)  # per identity and organisation
    evidence_budget: Mapped[float] = mapped_column(Float)  # nats per donor, over all alleles
    frequency_sd: Mapped[float] = mapped_column(Float)  # noise on a released frequency
    frequency_rho: Mapped[float] = mapped_column(Float)  # zCDP per year, all requesters
    frequency_rho_per_organisation: Mapped[float] = mapped_column(Float)  # per year
    frequency_min_donors: Mapped[int] = mapped_column(Integer)  # smallest slice released
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class BeaconAllele(Base):
    """Whether an allele of a dataset is shown below the controlled tier, decided once."""

    __tablename__ = "beacon_allele"

    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id"), primary_key=True)
    allele: Mapped[str] = mapped_column(String(400), primary_key=True)  # contig:pos:ref:alt
    shown: Mapped[bool] = mapped_column(Boolean)
    carriers: Mapped[int] = mapped_column(Integer)
    cost: Mapped[float] = mapped_column(Float)  # nats charged to each carrier when shown
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class BeaconDonorBudget(Base):
    """The evidence (nats) about one donor that shown alleles have spent."""

    __tablename__ = "beacon_donor_budget"

    donor_id: Mapped[int] = mapped_column(
        ForeignKey("donor.id", ondelete="CASCADE"), primary_key=True
    )
    spent: Mapped[float] = mapped_column(Float)


class BeaconCountRelease(Base):
    """A differentially private count as released, with the question it answers."""

    __tablename__ = "beacon_count_release"

    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id"), primary_key=True)
    question: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 hex
    value: Mapped[int] = mapped_column(Integer)  # the noisy count, before floor and rounding
    epsilon: Mapped[float] = mapped_column(Float)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    released_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class BeaconRequesterBudget(Base):
    """New questions asked on one day by one identity or one organisation."""

    __tablename__ = "beacon_requester_budget"

    holder: Mapped[str] = mapped_column(String(400), primary_key=True)  # identity: / org:
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    questions: Mapped[int] = mapped_column(Integer)


class BeaconFrequencySlice(Base):
    """The differentially private size of one slice of a store version's donors (all of them,
    a population or a province), released once and reused by every later release."""

    __tablename__ = "beacon_frequency_slice"

    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id"), primary_key=True)
    store: Mapped[str] = mapped_column(String(400), primary_key=True)  # the version's location
    slice: Mapped[str] = mapped_column(String(200), primary_key=True)  # all | population:X | …
    donors: Mapped[int] = mapped_column(Integer)  # noisy
    rho: Mapped[float] = mapped_column(Float)
    released_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class BeaconFrequencyRelease(Base):
    """Allele counts released with differential privacy for a list of variants in one slice:
    ``detail`` holds the variants asked about and their noisy counts, so that the same
    question asked again gets the same release at no further cost."""

    __tablename__ = "beacon_frequency_release"

    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id"), primary_key=True)
    question: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 hex
    slice: Mapped[str] = mapped_column(String(200))
    variants: Mapped[int] = mapped_column(Integer)
    rho: Mapped[float] = mapped_column(Float)
    noise_sd: Mapped[float] = mapped_column(Float)  # of each count
    donors: Mapped[int] = mapped_column(Integer)  # the slice's noisy size
    requester: Mapped[str] = mapped_column(String(400))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    released_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class PrivacySpent(Base):
    """The privacy loss one holder has spent on a dataset, in one ledger and one period.

    Both differentially private releases keep their budgets here, in the same shape
    (:mod:`hgr.privacy.budgets`): ``epsilon``, spent by count releases over the dataset's life
    (period ``all``) by each identity and each organisation; and ``rho`` (zCDP), spent by
    frequency releases in one calendar year (period ``2026``) by ``dataset`` (every requester
    together) and by each organisation.
    """

    __tablename__ = "privacy_spent"

    ledger: Mapped[str] = mapped_column(String(16), primary_key=True)  # epsilon | rho
    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(400), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)  # all | a year
    spent: Mapped[float] = mapped_column(Float)


class BeaconFederatedQuestion(Base):
    """A question (its SHA-256) counted on one day against a federated holder's cap."""

    __tablename__ = "beacon_federated_question"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    holder: Mapped[str] = mapped_column(String(400), primary_key=True)
    question: Mapped[str] = mapped_column(String(64), primary_key=True)
