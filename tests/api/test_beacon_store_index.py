"""Opening stores' lookup indexes: once per version, the older version dropped, at startup."""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

import pytest

from hgr.beacon import variants
from hgr.beacon.query import VariantParams
from hgr.beacon.service import open_store_indexes
from hgr.beacon.variants import StoreIndex, index_for
from hgr.genotypes.models import GenotypeStore
from tests.api.beacon_node import BeaconNode, copy_node


@pytest.fixture(scope="module")
def store(beacon_template: BeaconNode) -> Path:
    found = sorted(beacon_template.home.rglob("variant_allele_hash"))
    assert len(found) == 1, found
    return found[0].parent


def test_a_version_is_opened_once_by_callers_at_once(store: Path, tmp_path: Path) -> None:
    version = tmp_path / "genotypes" / "7" / "v0001-aaaa.vcz"
    shutil.copytree(store, version)
    opened: list[StoreIndex] = []
    callers = [threading.Thread(target=lambda: opened.append(index_for(version))) for _ in range(4)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert len(opened) == 4
    assert all(found is opened[0] for found in opened)
    assert index_for(version) is opened[0]


def test_a_new_version_drops_the_older_ones_index(store: Path, tmp_path: Path) -> None:
    collection = tmp_path / "genotypes" / "7"
    older, newer = collection / "v0001-aaaa.vcz", collection / "v0002-bbbb.vcz"
    elsewhere = tmp_path / "genotypes" / "8" / "v0001-cccc.vcz"
    for path in (older, newer, elsewhere):
        shutil.copytree(store, path)
    first, other = index_for(older), index_for(elsewhere)
    index_for(newer)
    assert str(older) not in variants._INDEXES
    assert index_for(elsewhere) is other  # another collection's index is kept
    assert index_for(older) is not first  # asked again, the older version is opened afresh


def test_positions_beyond_any_chromosome_match_nothing(store: Path) -> None:
    index = StoreIndex(store)
    contig = next(iter(index.bounds))
    for start in (2**31, 2**40):
        assert (
            index.find(VariantParams(contig, (start,), reference_bases="A", alternate_bases="G"))
            == []
        )
        assert index.find(VariantParams(contig, (start,), (start + 10,))) == []
    last = int(index.position[index.bounds[contig][1] - 1])
    found = index.find(VariantParams(contig, (last - 1,), (2**40,)))
    assert found
    assert all(hit.position == last for hit in found)


def test_the_server_opens_current_stores_at_startup(
    beacon_template: BeaconNode, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    node, _tokens = copy_node(beacon_template, tmp_path)
    try:
        with node.db.transaction() as session:
            location = session.query(GenotypeStore.location).scalar()
        path = node.settings.home / location
        open_store_indexes(node.db, node.settings.home)
        assert str(path) in variants._INDEXES
        # A store gone from disk is logged, not raised: the questions report it.
        variants._INDEXES.pop(str(path))
        shutil.rmtree(path)
        with caplog.at_level(logging.WARNING, logger="hgr.beacon"):
            open_store_indexes(node.db, node.settings.home)
        assert str(path) not in variants._INDEXES
        assert any(f"{location} was not opened" in r.getMessage() for r in caplog.records)
    finally:
        node.close()
