"""kill -9 ``hgr genotypes ingest`` at each stage: no partial store is ever visible, and the
next run sweeps the leftovers and goes through (issue: genotype store, point 2)."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from hgr.config import Settings, write_settings
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.genotypes.models import GenotypeStore
from hgr.genotypes.verify import verify_store
from hgr.registry import models as m
from tests.conftest import shared
from tests.genotypes.conftest import INSTITUTION, register

HGR = Path(sys.executable).parent / "hgr"
CHROMOSOMES = [str(n) for n in range(1, 7)]


def _sealing(collection: Path) -> bool:
    return any(collection.glob(".staging-*/*.c4gh"))


def _encoding(collection: Path) -> bool:
    # bio2zarr's work in progress: its intermediate format, or the writer's partitions.
    return any(collection.glob(".staging-*/icf/*")) or any(
        collection.glob(".staging-*/store.vcz/wip/partitions/*")
    )


def _encoded(collection: Path) -> bool:
    return any(collection.glob(".staging-*/store.vcz/call_genotype/*"))


STAGES: dict[str, Callable[[Path], bool]] = {
    "sealing": _sealing,
    "encoding": _encoding,
    "encoded": _encoded,
}


def _run(home: Path, files: list[Path]) -> subprocess.Popen[bytes]:
    command = [
        str(HGR),
        "genotypes",
        "ingest",
        *map(str, files),
        "--collection",
        "COL-GT",
        "--institution",
        INSTITUTION,
        "--workers",
        "2",
        "--home",
        str(home),
    ]
    # A session of its own, so that the kill takes its workers too (as a crash of the machine
    # would): a worker left running could write staging files after the next run's sweep.
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )


@pytest.mark.slow
def test_kill_9_at_each_stage_leaves_no_partial_store(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    files = [
        shared("1kg_phase3_subset", "vcf", f"1KG_phase3_subset_chr{c}.vcf.gz") for c in CHROMOSOMES
    ]
    with gzip.open(files[0], "rt") as handle:
        samples = next(line for line in handle if line.startswith("#CHROM")).split()[9:]
    register(db, keys, tmp_path / "t", samples)
    home = tmp_path / "node"
    home.mkdir()
    shutil.copytree(keys.directory, home / "keys")
    write_settings(Settings(home=home, database_url=db.engine.url.render_as_string(False)))
    with db.reader() as session:
        collection_id = session.scalar(sa.select(m.Collection.id))
    collection = home / "genotypes" / str(collection_id)

    for stage, reached in STAGES.items():
        process = _run(home, files)
        deadline = time.monotonic() + 120
        while not (collection.exists() and reached(collection)):
            assert process.poll() is None, f"ingestion ended before {stage}: {process.stderr}"
            assert time.monotonic() < deadline, f"ingestion never reached {stage}"
            time.sleep(0.005)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert process.stderr is not None
        process.stderr.close()
        with db.reader() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(GenotypeStore)) == 0
            assert session.scalar(sa.select(sa.func.count()).select_from(m.DataFile)) == 0

    finished = _run(home, files)
    _, failure = finished.communicate(timeout=300)
    assert finished.returncode == 0, failure.decode()
    assert not list(collection.glob(".staging-*"))
    assert len(list(collection.glob("*.vcz"))) == 1
    assert len(list((collection / "raw").iterdir())) == len(files)
    report = verify_store(db, home, keys, institution=INSTITUTION, collection="COL-GT")
    assert report.ok, report.problems
