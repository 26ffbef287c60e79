"""KING-robust kinship across the collections a node holds, on the sites they share.

Each collection's store is read at the autosomal biallelic SNVs found in every store named
(same contig, position, REF and ALT), in one order, and the samples of all collections are
compared pair by pair as one cohort. Samples are named ``INSTITUTION/COLLECTION/sample code``.
Across institutions that do not share a node, identity goes through fingerprints instead
(``fingerprints``, ``identity``): no raw genotypes travel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hgr.db import Database
from hgr.exceptions import UsageError
from hgr.genotypes.store import open_store, required_store, store_columns
from hgr.relatedness.king import DEFAULT_MIN_KINSHIP, KingPairs, king_all_pairs
from hgr.relatedness.packed import PackedGenotypes
from hgr.relatedness.readers import read_store_genotypes, store_sites

__all__ = ["CollectionKinship", "collections_kinship"]


@dataclass(frozen=True)
class CollectionKinship:
    """The pairs found, and the shared sites they were computed on."""

    collections: list[str]
    shared_sites: int
    pairs: KingPairs


def collections_kinship(
    db: Database,
    home: Path,
    collections: Sequence[tuple[str, str]],
    *,
    min_kinship: float = DEFAULT_MIN_KINSHIP,
    threads: int | None = None,
    client: Any = None,
    device: str = "cpu",
) -> CollectionKinship:
    """All-pairs kinship of the samples of ``collections`` ((institution, collection) pairs).

    ``device`` is ``cpu`` or ``gpu``, as ``king.king_all_pairs`` takes it.

    Raises
    ------
    NotFound
        A collection that does not exist or has no genotypes.
    UsageError
        ``E_USAGE`` for a collection named twice; ``E_NO_SHARED_SITES`` when the stores
        share no autosomal biallelic SNV (another build, another array).
    """
    if len(set(collections)) != len(collections):
        raise UsageError("a collection is named twice", code="E_USAGE")
    stores = []
    with db.reader() as session:
        for institution, collection in collections:
            _target, store = required_store(session, institution, collection)
            columns = [(c.position, c.sample_code) for c in store_columns(session, store)]
            names = [f"{institution}/{collection}/{code}" for _p, code in columns]
            stores.append((home / store.location, names, [p for p, _code in columns]))
    groups = [open_store(location) for location, _names, _columns in stores]
    site_sets = [store_sites(group) for group in groups]
    shared = [key for key in site_sets[0] if all(key in other for other in site_sets[1:])]
    if not shared:
        raise UsageError(
            "the collections' stores share no autosomal biallelic SNV: are they on one "
            "genome build and one set of sites?",
            code="E_NO_SHARED_SITES",
        )
    parts = [
        read_store_genotypes(group, names, columns, sites=shared)[0]
        for group, (_location, names, columns) in zip(groups, stores, strict=True)
    ]
    pairs = king_all_pairs(
        PackedGenotypes.concatenate(parts),
        min_kinship=min_kinship,
        threads=threads,
        client=client,
        device=device,
    )
    return CollectionKinship([f"{i}/{c}" for i, c in collections], len(shared), pairs)
