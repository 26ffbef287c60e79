"""Answering a Beacon v2 query: which datasets the requester may see, at which granularity,
through the defences of :mod:`hgr.privacy.membership`, as a Beacon v2 response document.

The returned granularity is the one requested, lowered to the most any dataset allows this
requester; a dataset that allows less contributes only what it allows (a boolean dataset to
``exists``, a count dataset a count without records).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.beacon.entries import (
    biosample_record,
    collection_record,
    individual_record,
    load_donors,
    matching_donors,
    requester_id,
)
from hgr.beacon.framework import API_VERSION, SCHEMA_BASE, TERMED_PATHS, BeaconIdentity
from hgr.beacon.query import BeaconQuery, VariantParams
from hgr.beacon.variants import Hit, StoreIndex, index_for, variant_type
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import Forbidden, UsageError
from hgr.genotypes.models import GenotypeStore
from hgr.genotypes.store import current_store, store_columns
from hgr.privacy.exposure import (
    LEVELS,
    Dataset,
    Requester,
    Tier,
    allowed_level,
    datasets,
)
from hgr.privacy.membership import (
    AlleleFacts,
    decided_alleles,
    needs_carriers,
    present_count,
    release_count,
    shown_alleles,
)
from hgr.privacy.questions import question_cost
from hgr.registry import models as m

__all__ = [
    "MAX_VARIANT_DONOR_HITS",
    "Plan",
    "answer_planned",
    "lowest",
    "open_store_indexes",
    "plan",
]

log = logging.getLogger("hgr.beacon")

MAX_VARIANT_DONOR_HITS = 1_000  # alleles an individuals query by variant may read carriers of
# How far a g_variants request without parameters may page: each page is read from the start
# of the store, so a skip of millions would read the store whole on every request.
MAX_LISTED_SKIP = 10_000
SCHEMAS = {
    "g_variants": ("genomicVariation", "genomicVariations"),
    "individuals": ("individual", "individuals"),
    "biosamples": ("biosample", "biosamples"),
    "datasets": ("dataset", "datasets"),
    "cohorts": ("cohort", "cohorts"),
}


@dataclass
class _Part:
    """One dataset's contribution to an answer."""

    dataset: Dataset
    level: str
    exists: bool = False
    count: int | None = None
    records: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class _StoreDonors:
    """Each column's donor id in one store version, and the number of distinct donors."""

    donor_of: np.ndarray
    count: int


_DONORS: dict[str, _StoreDonors] = {}
_DONORS_LOCK = threading.Lock()


def _store_donors(session: Session, dataset: Dataset, index: StoreIndex) -> _StoreDonors:
    """The donors of the dataset's current store version, read once per process (a store
    version never changes; a new one has a new path)."""
    assert dataset.store is not None
    key = str(dataset.store)
    with _DONORS_LOCK:
        found = _DONORS.get(key)
    if found is not None:
        return found
    store = current_store(session, dataset.collection_id)
    assert store is not None
    donor_of = np.zeros(index.samples, dtype=np.int64)
    for column in store_columns(session, store):
        donor_of[column.position] = column.donor_id
    found = _StoreDonors(donor_of, len(np.unique(donor_of)))
    with _DONORS_LOCK:
        _DONORS[key] = found
    return found


def open_store_indexes(db: Database, home: Path) -> None:
    """Open the lookup index of every collection's current store version, as a server starts,
    so that its first questions do not wait the seconds a large store takes to open (run in
    a thread of its own; a question arriving meanwhile waits only for the store it asks of).
    A store that cannot be opened is logged and left to the questions, which report it."""
    try:
        with db.reader() as session:
            collections = session.scalars(select(GenotypeStore.collection_id).distinct())
            stores = [current_store(session, c) for c in collections.all()]
            locations = [store.location for store in stores if store is not None]
    except Exception as exc:  # a head start only: each question reads afresh
        log.warning("the stores were not opened at startup: %s", exc)
        return
    for location in locations:
        try:
            index_for(home / location)
        except Exception as exc:  # as above: the questions report it
            log.warning("the store %s was not opened at startup: %s", location, exc)


def _allele_key(hit: Hit) -> str:
    return f"{hit.contig}:{hit.position}:{hit.ref}:{hit.alt}"


def _allele_facts(
    dataset: Dataset, index: StoreIndex, donors: _StoreDonors, hits: list[Hit]
) -> list[AlleleFacts]:
    _, counts, _totals = index.counts(hits)
    facts = []
    for hit, count in zip(hits, counts, strict=True):
        key = _allele_key(hit)
        lower = (int(count) + 1) // 2  # a donor carries at most two copies
        if int(count) == 0:
            facts.append(AlleleFacts(key, None, 0))
        elif needs_carriers(lower, donors.count, dataset.exposure):
            facts.append(AlleleFacts(key, np.unique(donors.donor_of[index.carriers(hit)])))
        else:
            facts.append(AlleleFacts(key, None, lower))
    return facts


def _visible_hits(
    session: Session, dataset: Dataset, level: str, hits: list[Hit], now: dt.datetime
) -> list[Hit]:
    if level == "record" or not hits:
        return hits  # a controlled requester sees every allele
    assert dataset.store is not None
    index = index_for(dataset.store)
    donors = _store_donors(session, dataset, index)
    # Alleles decided before are read from the ledger; only new ones need their counts and
    # carriers (a carrier lookup decodes a chunk of genotypes).
    shown = decided_alleles(session, dataset.collection_id, [_allele_key(h) for h in hits])
    new = [h for h in hits if _allele_key(h) not in shown]
    if new:
        facts = _allele_facts(dataset, index, donors, new)
        decided = shown_alleles(
            session, dataset.collection_id, donors.count, dataset.exposure, facts, now
        )
        shown.update(zip((f.key for f in facts), decided, strict=True))
    return [h for h in hits if shown[_allele_key(h)]]


def _variant_record(dataset: Dataset, index: StoreIndex, hit: Hit) -> dict[str, Any]:
    _, counts, totals = index.counts([hit])
    frequencies = []
    for grouping in ("population", "region"):
        try:
            ids, group_counts, group_totals = index.counts([hit], grouping)
        except KeyError:
            continue
        for k, name in enumerate(ids):
            total = int(group_totals[0][k])
            if name and total > 0:
                frequency = float(group_counts[0][k]) / total
                frequencies.append(
                    {"population": f"{grouping}:{name}", "alleleFrequency": frequency}
                )
    record: dict[str, Any] = {
        "variantInternalId": f"{dataset.id}:{hit.contig}:{hit.position}:{hit.ref}:{hit.alt}",
        "variation": {
            "referenceBases": hit.ref,
            "alternateBases": hit.alt,
            "variantType": variant_type(hit.ref, hit.alt),
            "location": {
                "type": "SequenceLocation",
                "sequence_id": f"chromosome:{hit.contig}",
                "interval": {
                    "type": "SequenceInterval",
                    "start": {"type": "Number", "value": hit.start},
                    "end": {"type": "Number", "value": hit.end},
                },
            },
        },
        "variantLevelData": {
            "info": {"alleleCount": int(counts[0]), "alleleNumber": int(totals[0])}
        },
    }
    if int(totals[0]) > 0:
        frequencies.insert(
            0, {"population": dataset.id, "alleleFrequency": float(counts[0]) / float(totals[0])}
        )
    if frequencies:
        record["frequencyInPopulations"] = [
            {
                "source": dataset.name,
                "sourceReference": f"hgr:{dataset.id}",
                "frequencies": frequencies,
            }
        ]
    return record


def _target_variant(target: str) -> tuple[str, VariantParams] | None:
    """The dataset and the allele that a ``variantInternalId`` of this beacon names
    (``INSTITUTION:COLLECTION:contig:position:ref:alt``, position 1-based as in the VCF), or
    None for an id this beacon never gives."""
    parts = target.split(":", 2)
    if len(parts) != 3:
        return None
    fields = parts[2].rsplit(":", 3)
    if len(fields) != 4 or not re.fullmatch(r"[0-9]{1,10}", fields[1]):
        return None
    if not fields[2] or not fields[3]:
        return None
    contig, position, ref, alt = fields
    if not contig or int(position) < 1:
        return None
    variant = VariantParams(
        reference_name=contig,
        start=(int(position) - 1,),
        reference_bases=ref,
        alternate_bases=alt,
    )
    return f"{parts[0]}:{parts[1]}", variant


def _g_variants(session: Session, query: BeaconQuery, part: _Part, now: dt.datetime) -> None:
    dataset = part.dataset
    variant = query.variant
    if query.target is not None:
        named = _target_variant(query.target)
        if named is None or named[0] != dataset.id:
            return  # an id this beacon never gave, or another dataset's
        variant = named[1]
    if variant is None:
        _every_variant(dataset, query, part)
        return
    if dataset.store is None:
        return
    index = index_for(dataset.store)
    hits = _visible_hits(session, dataset, part.level, index.find(variant), now)
    part.exists = bool(hits)
    part.count = len(hits)
    if part.level == "record":
        page = hits[query.skip : query.skip + query.limit]
        part.records = [_variant_record(dataset, index, h) for h in page]


def _every_variant(dataset: Dataset, query: BeaconQuery, part: _Part) -> None:
    """A g_variants request without parameters: every allele of the store.

    A controlled requester gets them in genome order, a page at a time. Below that tier the
    answer is only whether the dataset holds genotypes: counting the alleles shown, or
    listing them, would decide (and charge the donors for) every allele in one request, the
    sweep the membership defences must not let anyone make (security.md T3).
    """
    if part.level != "record":
        part.level = "boolean"
    if dataset.store is None:
        return
    index = index_for(dataset.store)
    part.exists = index.variants > 0
    if part.level != "record":
        return
    part.count = index.alleles()
    hits = index.page(query.skip, query.limit)
    part.records = [_variant_record(dataset, index, h) for h in hits]


def _donors_of_query(
    session: Session, query: BeaconQuery, part: _Part, now: dt.datetime
) -> set[int]:
    dataset = part.dataset
    donors = matching_donors(session, dataset.collection_id, query.filters)
    if query.target is not None and part.level != "record":
        # One entry by the id it was given under (a keyed hash made for this requester):
        # only a controlled requester was ever given one. Below that tier one donor is
        # fewer than k, so the answer is "no" whoever it names, and nothing is looked up.
        return set()
    if query.variant is None:
        return donors
    if dataset.store is None:
        return set()
    index = index_for(dataset.store)
    hits = index.find(query.variant)
    if part.level == "record" and len(hits) > MAX_VARIANT_DONOR_HITS:
        # Only where the requester may see every allele anyway: below that tier a refusal
        # that depends on how many alleles a range holds would tell where they are (the
        # span the question may have bounds the work instead, hgr.privacy.questions).
        raise UsageError(
            f"the variant query matches more than {MAX_VARIANT_DONOR_HITS:,} alleles: narrow it",
            code="E_BEACON_QUERY",
        )
    hits = _visible_hits(session, dataset, part.level, hits, now)
    donor_of = _store_donors(session, dataset, index).donor_of
    carriers: set[int] = set()
    for hit in hits:
        carriers |= set(donor_of[index.carriers(hit)].tolist())
    return donors & carriers


def _people(
    session: Session,
    keys: NodeKeys,
    requester: Requester,
    query: BeaconQuery,
    part: _Part,
    now: dt.datetime,
) -> None:
    dataset = part.dataset
    donors = _donors_of_query(session, query, part, now)
    if part.level == "record":
        chosen = sorted(donors)
        if query.entry == "individuals":
            people = load_donors(session, chosen)
            if query.target is not None:
                people = [
                    (d, r)
                    for d, r in people
                    if requester_id(keys, requester.identity, d.pseudonym) == query.target
                ]
            part.exists, part.count = bool(people), len(people)
            page = people[query.skip : query.skip + query.limit]
            part.records = [individual_record(keys, requester.identity, d, r) for d, r in page]
        else:
            rows: list[tuple[m.Sample, m.Donor]] = session.execute(  # type: ignore[assignment]
                select(m.Sample, m.Donor)
                .join(m.Donor, m.Donor.id == m.Sample.donor_id)
                .where(
                    m.Sample.collection_id == dataset.collection_id, m.Sample.donor_id.in_(chosen)
                )
                .order_by(m.Sample.id)
            ).all()
            if query.target is not None:
                rows = [
                    (s, d)
                    for s, d in rows
                    if requester_id(keys, requester.identity, f"{d.pseudonym}/{s.code}")
                    == query.target
                ]
            part.count = len(rows)
            part.exists = bool(rows)
            part.records = [
                biosample_record(keys, requester.identity, s, d)
                for s, d in rows[query.skip : query.skip + query.limit]
            ]
        return
    if query.target is not None:
        # One entry, below the controlled tier: "no", with no count released (a noisy
        # release of nobody could come out above the floor and say "yes").
        part.exists, part.count = False, 0
        return
    # Below the controlled tier a set smaller than k is "nobody": one person with a rare
    # combination of terms would otherwise be announced.
    true_count = len(donors)
    part.exists = true_count >= dataset.exposure.min_carriers
    if part.level == "count":
        released = release_count(
            session,
            dataset.collection_id,
            requester,
            dataset.exposure,
            query.question(),
            true_count,
            now,
        )
        if released is None:
            part.level = "boolean"  # this requester's epsilon on the dataset is spent
        else:
            part.count = present_count(released, dataset.exposure)
            part.exists = part.count > 0


def _collections(query: BeaconQuery, part: _Part) -> None:
    dataset = part.dataset
    part.exists = True
    part.count = 1
    size = present_count(dataset.donors, dataset.exposure) if part.level != "boolean" else None
    part.records = [collection_record(dataset, query.entry.rstrip("s"), size)]


def _meta(beacon: BeaconIdentity, query: BeaconQuery, granularity: str) -> dict[str, Any]:
    entity, folder = SCHEMAS[query.entry]
    schema = f"{SCHEMA_BASE}/models/json/beacon-v2-default-model/{folder}/defaultSchema.json"
    meta: dict[str, Any] = {
        "beaconId": beacon.id,
        "apiVersion": API_VERSION,
        "returnedGranularity": granularity,
        "receivedRequestSummary": query.summary(),
        "returnedSchemas": [{"entityType": entity, "schema": schema}],
    }
    if query.test_mode:
        meta["testMode"] = True
    return meta


@dataclass(frozen=True)
class Plan:
    """A question made ready to answer: the datasets that answer it, each at the level this
    requester gets (lowered to the granularity asked), the tier whose caps it is charged to,
    and its cost in questions."""

    parts: tuple[tuple[Dataset, str], ...]
    tier: Tier
    cost: int


def plan(
    session: Session, home: Path, requester: Requester, query: BeaconQuery, now: dt.datetime
) -> Plan:
    """What answering ``query`` takes, decided from the datasets' exposure and the question
    alone, before any data is read.

    Raises
    ------
    UsageError
        A query this beacon cannot answer (E_BEACON_QUERY), or one spanning more bases than
        the requester's tier may ask at once (E_BEACON_RANGE).
    Forbidden
        The requester's organisation is debarred on a mandatory ground.
    """
    if requester.debarred:
        raise Forbidden(
            "your organisation is on the debarment list: this beacon gives it no answers",
            code="E_DEBARRED",
        )
    if query.filters and query.entry not in TERMED_PATHS:
        raise UsageError(
            f"{query.entry} are not filtered by terms here: the terms of "
            "/api/filtering_terms select individuals and biosamples",
            code="E_BEACON_QUERY",
        )
    listing = query.entry == "g_variants" and query.variant is None and query.target is None
    if listing and query.skip > MAX_LISTED_SKIP:
        raise UsageError(
            f"a listing of every variant pages through its first {MAX_LISTED_SKIP:,} "
            "alleles (skip at most that): ask by range for the ones after",
            code="E_BEACON_QUERY",
        )
    asked = LEVELS.index(query.granularity)
    parts = []
    granted = False
    for dataset in datasets(session, home, now.date()):
        if query.entry in ("datasets", "cohorts") and query.target not in (None, dataset.id):
            continue
        level = allowed_level(session, requester, dataset, now.date())
        if level == "none":
            continue
        granted = granted or level == "record"
        parts.append((dataset, LEVELS[min(LEVELS.index(level), asked)]))
    # A requester granted a dataset of this node has the controlled tier's daily caps.
    tier = Tier.CONTROLLED if granted else requester.tier
    # A question about a variant pays for the bases it spans (hgr.privacy.questions),
    # whatever this node holds, so that every node of the federation charges the same
    # question the same; only where it decides alleles is its width capped.
    cost = 1
    if query.variant is not None:
        decides = any(level != "record" for _, level in parts)
        cost = question_cost(query.variant.span, tier if decides else None)
    return Plan(tuple(parts), tier, cost)


def lowest(before: Plan, now: Plan) -> Plan:
    """``now``, each dataset at the lower of its levels in the two plans, and without the
    datasets ``before`` did not answer from: a question planned twice (for the federation's
    ledger and again when answered) gets what both allowed."""
    levels = {dataset.id: level for dataset, level in before.parts}
    parts = tuple(
        (dataset, LEVELS[min(LEVELS.index(level), LEVELS.index(levels[dataset.id]))])
        for dataset, level in now.parts
        if dataset.id in levels
    )
    return Plan(parts, now.tier, now.cost)


def answer_planned(
    session: Session,
    keys: NodeKeys,
    beacon: BeaconIdentity,
    requester: Requester,
    query: BeaconQuery,
    planned: Plan,
    now: dt.datetime,
) -> dict[str, Any]:
    """The response to a question planned (:func:`plan`) and charged
    (:func:`hgr.privacy.questions.charge_question`). :class:`hgr.beacon.responding.Responder`
    answers within a savepoint after the charge, so that a charge stands whatever the
    answer."""
    parts = [_Part(dataset, level) for dataset, level in planned.parts]
    for part in parts:
        if query.entry == "g_variants":
            _g_variants(session, query, part, now)
        elif query.entry in ("individuals", "biosamples"):
            _people(session, keys, requester, query, part, now)
        else:
            _collections(query, part)
    # The granularity returned, once every dataset has answered: a dataset may have fallen
    # back to a boolean (its count budget spent, or a question only a yes or no can answer).
    asked = LEVELS.index(query.granularity)
    returned = max((LEVELS.index(p.level) for p in parts), default=1)
    return _response(beacon, query, LEVELS[min(asked, returned)], parts)


def _response(
    beacon: BeaconIdentity, query: BeaconQuery, granularity: str, parts: list[_Part]
) -> dict[str, Any]:
    exists = any(p.exists for p in parts)
    document: dict[str, Any] = {
        "meta": _meta(beacon, query, granularity),
        "responseSummary": {"exists": exists},
    }
    is_collection = query.entry in ("datasets", "cohorts")
    if granularity != "record" and not is_collection and query.include != "NONE":
        # Result sets carry records; below record granularity there are none to give, and
        # the set is empty rather than absent (beacon-verifier-v2 reads every response of
        # these entry types as a beaconResultsetsResponse).
        document["response"] = {"resultSets": []}
    if granularity == "boolean":
        return document
    total = sum(p.count or 0 for p in parts if p.level != "boolean")
    document["responseSummary"]["numTotalResults"] = total
    if granularity == "count":
        return document
    if is_collection:
        collections = [r for p in parts for r in (p.records or [])]
        document["response"] = {"collections": collections[query.skip : query.skip + query.limit]}
        document["responseSummary"]["numTotalResults"] = len(collections)
        return document
    sets = []
    for part in parts:
        if query.include == "HIT" and not part.exists:
            continue
        if query.include == "MISS" and part.exists:
            continue
        if query.include == "NONE":
            continue
        sets.append(
            {
                "id": part.dataset.id,
                "setType": "dataset",
                "exists": part.exists,
                "resultsCount": part.count or 0,
                "results": part.records or [],
                "returnedGranularity": part.level,
                "info": {"granularity": part.level},
            }
        )
    document["response"] = {"resultSets": sets}
    return document
