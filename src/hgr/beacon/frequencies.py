"""Allele frequencies for approved collaborators, released with differential privacy.

A collaborator with a grant for a dataset (an approved access request covering its
institution, a ControlledAccessGrants visa naming it, or its own steward) names up to
100,000 variants and a slice of the dataset's genotyped donors (all of them, one population
or one province of residence), and is given each variant's allele count and frequency in the
slice, with Gaussian noise (zCDP) from OpenDP. Following security.md §2.1–§2.2:

- **What is released.** For each named allele, the number of copies the slice's donors carry,
  a missing call or a variant the store does not hold counting as none (the ``fill_null(0)``
  of security.md §2.1): which variants the store holds depends on who is in it, so every named
  variant is answered alike. One donor changes each count by at most 2, so M counts have L2
  sensitivity ``2√M``. A donor genotyped twice counts once (their first column).
- **The slice's size** is released once per store version and slice with its own small rho
  (discrete Gaussian, sensitivity 1) and reused; the noise of the counts is set from it, so
  that the true size is never used to choose anything. A slice whose noisy size is below the
  dataset's ``frequency_min_donors`` is refused.
- **The same noise on a frequency, whatever the slice.** Each count gets noise of standard
  deviation ``σ = frequency_sd × 2N̂``; the rho this costs is ``(2√M)² / (2σ²) = M / (2 N̂²
  sd²)``, charged to the dataset (every requester together) and to the requester's
  organisation for the calendar year. A small slice costs more per variant: it gets fewer
  variants per year, not noisier ones (security.md T5).
- **Decided once.** A release is kept (``beacon_frequency_release``); the same question (the
  same variants, slice and store version) gets the same numbers again at no cost, so
  repeating a question averages nothing away.
- **Suppressed below k.** A noisy count below the dataset's ``min_carriers`` is shown as
  suppressed. This reads only the noisy count, so it costs no privacy (post-processing).

The standard error of each released frequency is given: the noise's ``σ / 2N̂`` and the
sampling error ``√(f(1-f) / 2N̂)`` together. All releases of a dataset compose: zCDP rho
adds up, and Gaussian noise of total rho bounds any membership test at power
``Φ(Φ⁻¹(α) + √(2ρ))`` for false-positive rate α (Gaussian DP, Dong, Roth & Su 2022).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.beacon.variants import StoreIndex, index_for
from hgr.db.inserts import insert_missing
from hgr.exceptions import Forbidden, NotFound, PolicyDenied, UsageError
from hgr.genotypes.builds import canonical_contig
from hgr.genotypes.store import current_store, store_columns
from hgr.privacy.budgets import Ledger, charge, spending, spent
from hgr.privacy.exposure import Dataset, Exposure, Requester, datasets, granted
from hgr.privacy.models import BeaconFrequencyRelease, BeaconFrequencySlice
from hgr.privacy.noise import gaussian, membership_bound, noisy_counts, rho_for
from hgr.registry.regions import province_codes

__all__ = [
    "MAX_VARIANTS",
    "SLICE_RHO",
    "FrequencyLedger",
    "FrequencyQuestion",
    "FrequencyRelease",
    "FrequencyRow",
    "frequency_ledger",
    "frequency_rows",
    "parse_question",
    "release_frequencies",
    "size_slice",
]

MAX_VARIANTS = 100_000
SLICE_RHO = 0.02  # the slice size's noise: sigma = 1/sqrt(2 rho) = 5 donors
DATASET_HOLDER = "dataset"
_VARIANT = re.compile(
    r"^(?:chr)?([0-9]{1,2}|[XYM]|MT)[-:]([0-9]{1,10})[-:]([ACGTN]+)[-:]([ACGTN]+)$", re.IGNORECASE
)


@dataclass(frozen=True)
class FrequencyQuestion:
    """A dataset, a slice of its donors, and the variants (``contig-position-ref-alt``, VCF
    positions) whose frequencies are asked for."""

    dataset: str
    variants: tuple[str, ...]
    population: str | None = None
    province: str | None = None

    @property
    def slice(self) -> str:
        if self.population is not None:
            return f"population:{self.population}"
        if self.province is not None:
            return f"province:{self.province}"
        return "all"


def _variant_key(text: object) -> str:
    if not isinstance(text, str):
        raise UsageError(
            f"a variant is a string such as 1-55516888-G-GA, not {text!r}",
            code="E_FREQUENCY_QUESTION",
        )
    found = _VARIANT.match(text.strip())
    if found is None or int(found[2]) < 1:
        raise UsageError(
            f"{text[:80]!r} is not a variant: give CONTIG-POSITION-REF-ALT with a "
            "1-based position and bases A, C, G, T or N, such as 1-55516888-G-GA",
            code="E_FREQUENCY_QUESTION",
        )
    contig = canonical_contig(found[1]) or found[1].upper()
    return f"{contig}-{int(found[2])}-{found[3].upper()}-{found[4].upper()}"


def parse_question(body: object) -> FrequencyQuestion:
    """A question from a request body: ``dataset``, ``variants`` (a list), and at most one of
    ``population`` and ``province``.

    Raises
    ------
    UsageError
        A missing or malformed field, an unknown field, both slices, or too many variants.
    """
    if not isinstance(body, Mapping):
        raise UsageError("the body must be a JSON object", code="E_FREQUENCY_QUESTION")
    unknown = sorted(set(body) - {"dataset", "variants", "population", "province"})
    if unknown:
        raise UsageError(
            f"unknown field(s): {', '.join(map(str, unknown))}", code="E_FREQUENCY_QUESTION"
        )
    dataset = body.get("dataset")
    if not isinstance(dataset, str) or ":" not in dataset:
        raise UsageError("dataset must be INSTITUTION:COLLECTION", code="E_FREQUENCY_QUESTION")
    variants = body.get("variants")
    if not isinstance(variants, list) or not variants:
        raise UsageError("variants must be a non-empty list", code="E_FREQUENCY_QUESTION")
    if len(variants) > MAX_VARIANTS:
        raise UsageError(
            f"{len(variants):,} variants asked; at most {MAX_VARIANTS:,} per question",
            code="E_FREQUENCY_QUESTION",
        )
    keys = tuple(dict.fromkeys(_variant_key(v) for v in variants))
    slices = {k: body.get(k) for k in ("population", "province") if body.get(k) is not None}
    if len(slices) > 1:
        raise UsageError("give population or province, not both", code="E_FREQUENCY_QUESTION")
    for name, value in slices.items():
        # Printable only: the slice is stored in the ledger, and PostgreSQL holds no NUL.
        if (
            not isinstance(value, str)
            or not value.strip()
            or len(value) > 100
            or not value.isprintable()
        ):
            raise UsageError(
                f"{name} must be a printable name of at most 100 characters",
                code="E_FREQUENCY_QUESTION",
            )
    return FrequencyQuestion(
        dataset, keys, population=slices.get("population"), province=slices.get("province")
    )


@dataclass(frozen=True)
class FrequencyRow:
    """One variant as released: None where suppressed."""

    variant: str
    allele_count: int | None
    allele_number: int
    frequency: float | None
    standard_error: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "alleleCount": self.allele_count,
            "alleleNumber": self.allele_number,
            "alleleFrequency": self.frequency,
            "standardError": self.standard_error,
            "suppressed": self.allele_count is None,
        }


@dataclass(frozen=True)
class FrequencyRelease:
    """A release as given to the requester."""

    dataset: str
    slice: str
    donors: int  # the slice's noisy size
    noise_sd: float  # of each count
    frequency_sd: float  # the noise's standard deviation on a frequency
    rho: float  # what this release cost (0 when it was released before)
    first_released: dt.datetime
    rows: tuple[FrequencyRow, ...]
    dataset_rho_spent: float  # this calendar year, every requester together
    dataset_rho_budget: float
    organisation_rho_left: float

    def as_dict(self) -> dict[str, Any]:
        within = math.erf(0.01 / (self.frequency_sd * math.sqrt(2)))
        return {
            "dataset": self.dataset,
            "slice": self.slice,
            "donors": self.donors,
            "releasedAt": self.first_released.isoformat(),
            "noise": {
                "mechanism": "zCDP Gaussian (OpenDP)",
                "countStandardDeviation": round(self.noise_sd, 3),
                "frequencyStandardDeviation": round(self.frequency_sd, 6),
                "shareWithin0.01": round(within, 4),
            },
            "privacy": {
                "rho": self.rho,
                "datasetRhoSpentThisYear": round(self.dataset_rho_spent, 6),
                "datasetRhoBudget": self.dataset_rho_budget,
                "organisationRhoLeft": round(self.organisation_rho_left, 6),
                "membershipPowerBoundAt5PercentFpr": round(
                    membership_bound(self.dataset_rho_spent), 4
                ),
            },
            "frequencies": [r.as_dict() for r in self.rows],
        }


@dataclass(frozen=True)
class _Slice:
    store_id: int
    columns: NDArray[np.int64]  # one store column per donor of the slice


def _slice_columns(session: Session, dataset: Dataset, question: FrequencyQuestion) -> _Slice:
    store = current_store(session, dataset.collection_id)
    if store is None or dataset.store is None:
        raise NotFound(f"{dataset.id} has no genotypes", code="E_NOT_FOUND")
    rows = [
        (c.position, c.donor_id, c.population, c.residence_region_id)
        for c in store_columns(session, store)
    ]
    provinces = province_codes(session) if question.province is not None else {}
    first: dict[int, int] = {}
    for position, donor, population, region in rows:
        if question.population is not None and population != question.population:
            continue
        if question.province is not None and (
            region is None or provinces.get(region) != question.province
        ):
            continue
        first.setdefault(donor, position)
    return _Slice(store.id, np.array(sorted(first.values()), dtype=np.int64))


def _holders(requester: Requester, exposure: Exposure) -> dict[str, float]:
    """Who a release is charged to, with their budgets: the dataset (every requester together)
    and the requester's organisation (or identity, without one)."""
    return {
        DATASET_HOLDER: exposure.frequency_rho,
        requester.organisation_holder: exposure.frequency_rho_per_organisation,
    }


def _check_granted(
    session: Session, requester: Requester, dataset: Dataset, today: dt.date
) -> None:
    if requester.debarred or not granted(session, requester, dataset, today):
        raise Forbidden(
            f"allele frequencies of {dataset.id} are released to requesters with "
            "an approved access request for its institution",
            code="E_FORBIDDEN",
        )


def _stored_size(
    session: Session, dataset: Dataset, store_id: int, question: FrequencyQuestion
) -> int | None:
    return session.scalar(
        select(BeaconFrequencySlice.donors).where(
            BeaconFrequencySlice.collection_id == dataset.collection_id,
            BeaconFrequencySlice.store == str(store_id),
            BeaconFrequencySlice.slice == question.slice,
        )
    )


def size_slice(
    session: Session,
    requester: Requester,
    dataset: Dataset,
    question: FrequencyQuestion,
    now: dt.datetime,
) -> int:
    """The noisy size of the question's slice, released the first time it is needed and kept.

    Commit this in a transaction of its own before :func:`release_frequencies`: a refused
    release rolls its own transaction back, and a slice size that went with it would be drawn
    afresh next time, so that repeated refusals could be averaged to the true size.

    Raises
    ------
    Forbidden, NotFound, PolicyDenied
        As :func:`release_frequencies`.
    """
    _check_granted(session, requester, dataset, now.date())
    part = _slice_columns(session, dataset, question)
    released = _stored_size(session, dataset, part.store_id, question)
    if released is not None:
        return int(released)
    holders = _holders(requester, dataset.exposure)
    if not charge(session, Ledger.RHO, dataset.collection_id, str(now.year), holders, SLICE_RHO):
        raise PolicyDenied(
            f"this year's privacy budget for {dataset.id} cannot pay for sizing a new slice",
            code="E_PRIVACY_BUDGET",
        )
    (noisy,), _rho = gaussian([len(part.columns)], 1 / math.sqrt(2 * SLICE_RHO), 1.0)
    insert_missing(
        session,
        BeaconFrequencySlice,
        [
            {
                "collection_id": dataset.collection_id,
                "store": str(part.store_id),
                "slice": question.slice,
                "donors": max(0, noisy),
                "rho": SLICE_RHO,
                "released_at": now,
            }
        ],
    )
    return int(_stored_size(session, dataset, part.store_id, question) or 0)


def _read_rows(array: Any, rows: NDArray[np.int64]) -> Any:
    """``array[rows]`` for sorted ``rows``, read one chunk at a time."""
    step = int(array.chunks[0])
    blocks = []
    for chunk in np.unique(rows // step):
        inside = rows[(rows // step) == chunk]
        first, last = int(inside[0]), int(inside[-1])
        blocks.append(np.asarray(array[first : last + 1])[inside - first])
    return np.concatenate(blocks) if blocks else np.zeros((0, *array.shape[1:]), array.dtype)


def _locate(
    index: StoreIndex, variants: Sequence[str]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For each variant, its store row and allele index (-1, -1 where the store lacks it)."""
    rows = np.full(len(variants), -1, dtype=np.int64)
    alleles = np.full(len(variants), -1, dtype=np.int64)
    candidates: list[tuple[int, int]] = []  # (variant, row)
    for i, key in enumerate(variants):
        contig, position, _ref, _alt = key.split("-")
        bounds = index.bounds.get(contig)
        if bounds is None:
            continue
        lo, hi = bounds
        a, b = np.searchsorted(index.position[lo:hi], [int(position), int(position) + 1])
        candidates.extend((i, index.row(lo + int(s))) for s in range(int(a), int(b)))
    if not candidates:
        return rows, alleles
    wanted = np.array(sorted({row for _i, row in candidates}), dtype=np.int64)
    found = _read_rows(index.array("variant_allele"), wanted)
    at = {int(r): k for k, r in enumerate(wanted)}
    for i, row in candidates:
        if rows[i] >= 0:
            continue
        site = [str(a) for a in found[at[row]]]
        _contig, _position, ref, alt = variants[i].split("-")
        if site[0].upper() == ref and alt in (a.upper() for a in site[1:]):
            rows[i] = row
            alleles[i] = 1 + [a.upper() for a in site[1:]].index(alt)
    return rows, alleles


def _true_counts(
    index: StoreIndex, variants: Sequence[str], columns: NDArray[np.int64], batch: int = 5_000
) -> list[int]:
    """Copies of each variant's allele among ``columns`` (none where the store lacks it),
    reading the genotypes of ``batch`` sites at a time."""
    rows, alleles = _locate(index, variants)
    counts = np.zeros(len(variants), dtype=np.int64)
    held = np.flatnonzero(rows >= 0)
    held = held[np.argsort(rows[held], kind="stable")]
    if not columns.size:
        return [0] * len(variants)
    for start in range(0, held.size, batch):
        part = held[start : start + batch]
        sites = np.unique(rows[part])
        calls = _read_rows(index.array("call_genotype"), sites)[:, columns, :]
        which = np.searchsorted(sites, rows[part])
        counts[part] = (calls[which] == alleles[part][:, None, None]).sum(axis=(1, 2))
    return [int(c) for c in counts]


def _question_id(dataset: Dataset, store_id: int, question: FrequencyQuestion, sd: float) -> str:
    text = json.dumps([dataset.id, store_id, question.slice, sd, list(question.variants)])
    return hashlib.sha256(text.encode()).hexdigest()


def frequency_rows(
    variants: Sequence[str], noisy: Sequence[int], donors: int, frequency_sd: float, min_count: int
) -> tuple[FrequencyRow, ...]:
    """Noisy allele counts over a slice of ``donors`` (noisy) as shown: a count below
    ``min_count`` suppressed, others with their frequency and its standard error."""
    number = 2 * donors
    out = []
    for variant, count in zip(variants, noisy, strict=True):
        if count < min_count or number == 0:
            out.append(FrequencyRow(variant, None, number, None, None))
            continue
        count = min(count, number)
        f = count / number
        se = math.sqrt(frequency_sd**2 + f * (1 - f) / number)
        out.append(FrequencyRow(variant, count, number, round(f, 6), round(se, 6)))
    return tuple(out)


def release_frequencies(
    session: Session,
    actor: Actor,
    requester: Requester,
    dataset: Dataset,
    question: FrequencyQuestion,
    now: dt.datetime,
) -> FrequencyRelease:
    """Release the allele frequencies ``question`` asks for, or give back the release made
    before; the release is written to the audit log. The slice must have been sized
    (:func:`size_slice`, committed) first.

    Raises
    ------
    Forbidden
        The requester holds no grant for the dataset, or is debarred.
    NotFound
        The dataset has no genotypes.
    PolicyDenied
        The slice is smaller than the dataset allows, or this year's privacy budget (the
        dataset's or the organisation's) cannot pay for the release (``E_PRIVACY_BUDGET``).
    """
    _check_granted(session, requester, dataset, now.date())
    exposure = dataset.exposure
    holders = _holders(requester, exposure)
    organisation = requester.organisation_holder
    part = _slice_columns(session, dataset, question)
    sized = _stored_size(session, dataset, part.store_id, question)
    if sized is None:
        raise RuntimeError("size_slice must be committed before release_frequencies")
    donors = int(sized)
    if donors < exposure.frequency_min_donors:
        raise PolicyDenied(
            f"the slice {question.slice} of {dataset.id} has about {donors} donors; "
            f"frequencies are released over at least {exposure.frequency_min_donors}",
            code="E_SLICE_TOO_SMALL",
        )
    sd = exposure.frequency_sd
    noise_sd = sd * 2 * donors
    qid = _question_id(dataset, part.store_id, question, sd)
    where = (
        BeaconFrequencyRelease.collection_id == dataset.collection_id,
        BeaconFrequencyRelease.question == qid,
    )
    existing = session.scalar(select(BeaconFrequencyRelease).where(*where))
    rho = 0.0
    if existing is None:
        rho = rho_for(len(question.variants), donors, sd)
        if not charge(session, Ledger.RHO, dataset.collection_id, str(now.year), holders, rho):
            left = min(
                budget - spent(session, Ledger.RHO, dataset.collection_id, holder, str(now.year))
                for holder, budget in holders.items()
            )
            affordable = max(0, math.floor(left * 2 * donors**2 * sd**2))
            raise PolicyDenied(
                f"this year's privacy budget for {dataset.id} has rho {max(left, 0):.4g} left "
                f"for you: over this slice of about {donors} donors, with noise {sd} on each "
                f"frequency, that pays for {affordable:,} variants, not "
                f"{len(question.variants):,}",
                code="E_PRIVACY_BUDGET",
            )
        index = index_for(dataset.store)  # type: ignore[arg-type]
        true = _true_counts(index, question.variants, part.columns)
        noisy, charged = noisy_counts(true, donors, sd)
        # OpenDP's privacy map is the authority on the cost; it must agree with the formula
        # the budget was charged by (security.md T6(a)).
        assert math.isclose(charged, rho, rel_tol=1e-6), (charged, rho)
        insert_missing(
            session,
            BeaconFrequencyRelease,
            [
                {
                    "collection_id": dataset.collection_id,
                    "question": qid,
                    "slice": question.slice,
                    "variants": len(question.variants),
                    "rho": rho,
                    "noise_sd": noise_sd,
                    "donors": donors,
                    "requester": requester.identity[:400],
                    "detail": {"variants": list(question.variants), "counts": noisy},
                    "released_at": now,
                }
            ],
        )
        existing = session.scalar(select(BeaconFrequencyRelease).where(*where))
    assert existing is not None
    record(
        session,
        actor,
        "beacon.frequencies",
        f"collection/{dataset.id}",
        detail={
            "slice": question.slice,
            "variants": len(question.variants),
            "rho": rho,
            "question": qid,
        },
    )
    detail = existing.detail
    return FrequencyRelease(
        dataset=dataset.id,
        slice=question.slice,
        donors=donors,
        noise_sd=noise_sd,
        frequency_sd=sd,
        rho=rho,
        first_released=existing.released_at,
        rows=frequency_rows(
            detail["variants"], detail["counts"], donors, sd, exposure.min_carriers
        ),
        dataset_rho_spent=spent(
            session, Ledger.RHO, dataset.collection_id, DATASET_HOLDER, str(now.year)
        ),
        dataset_rho_budget=exposure.frequency_rho,
        organisation_rho_left=exposure.frequency_rho_per_organisation
        - spent(session, Ledger.RHO, dataset.collection_id, organisation, str(now.year)),
    )


@dataclass(frozen=True)
class LedgerRelease:
    dataset: str
    slice: str
    variants: int
    donors: int
    rho: float
    requester: str
    released_at: dt.datetime


@dataclass(frozen=True)
class LedgerSpent:
    dataset: str
    year: int
    holder: str
    spent: float
    budget: float


@dataclass(frozen=True)
class FrequencyLedger:
    """What stewards and auditors read of the frequency releases: each release, and the rho
    spent per dataset, year and holder against its budget."""

    releases: tuple[LedgerRelease, ...]
    spent: tuple[LedgerSpent, ...]


def frequency_ledger(session: Session, dataset: str | None = None) -> FrequencyLedger:
    """The ledger of one dataset (``INSTITUTION:COLLECTION``) or of all.

    Raises
    ------
    NotFound
        No such dataset.
    """
    known = {d.collection_id: d for d in datasets(session, Path("."))}
    if dataset is not None:
        known = {c: d for c, d in known.items() if d.id == dataset}
        if not known:
            raise NotFound(
                f"no dataset {dataset!r} (give INSTITUTION:COLLECTION)", code="E_NOT_FOUND"
            )
    R = BeaconFrequencyRelease
    releases = tuple(
        LedgerRelease(
            known[r.collection_id].id,
            r.slice,
            r.variants,
            r.donors,
            r.rho,
            r.requester,
            r.released_at,
        )
        for r in session.scalars(
            select(R).where(R.collection_id.in_(list(known))).order_by(R.released_at, R.question)
        )
    )
    rows = []
    for row in spending(session, Ledger.RHO, list(known)):
        exposure = known[row.collection_id].exposure
        budget = (
            exposure.frequency_rho
            if row.holder == DATASET_HOLDER
            else exposure.frequency_rho_per_organisation
        )
        rows.append(
            LedgerSpent(known[row.collection_id].id, int(row.period), row.holder, row.spent, budget)
        )
    return FrequencyLedger(releases, tuple(rows))
