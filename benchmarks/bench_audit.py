"""Audit log throughput: appends, sequencing into the Merkle tree, signing, verification.

Target (issue: secure service): at least 1,000 audit events/s. Each event is appended in a
transaction of its own, as a request writes it, from 1 and from 8 threads; then the sequencer
integrates them into the RFC 6962 tree, a checkpoint is signed, and the whole log is verified
from the event bodies. Runs on PostgreSQL and SQLite.

    python benchmarks/bench_audit.py [--events 20000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from pathlib import Path

from scratch import DEFAULT_POSTGRES, postgres_schema

TARGET = 1000.0


def _append(db: object, events: int, threads: int) -> float:
    from hgr.audit import Actor, record

    per_thread = events // threads

    def work(n: int) -> None:
        actor = Actor(f"token:user{n}", "institution_steward")
        for i in range(per_thread):
            with db.transaction() as session:  # type: ignore[attr-defined]
                record(
                    session,
                    actor,
                    "registry.read",
                    f"donors/BJ-H001/{n}-{i}",
                    grounds="steward of BJ-H001",
                    request_id=uuid.uuid4().hex,
                    detail={"filters": {"sex": "female"}, "rows": 50},
                )

    start = time.perf_counter()
    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return per_thread * threads / (time.perf_counter() - start)


def run(name: str, url: str, events: int, folder: Path) -> None:
    from hgr.audit import checkpoint, integrate, verify_log
    from hgr.crypto import create_node_keys
    from hgr.crypto.signing import load_signer
    from hgr.db import Database, upgrade_schema

    upgrade_schema(url)
    db = Database(url)
    keys = create_node_keys(folder / f"keys-{name}")
    signer = load_signer(keys.signing_key, f"hgr/bench-{name}")
    single = _append(db, events, 1)
    threads = 8 if name == "postgresql" else 1  # SQLite has one writer at a time
    parallel = _append(db, events, threads) if threads > 1 else single
    total = events + (events if threads > 1 else 0)
    start = time.perf_counter()
    with db.transaction() as session:
        size = integrate(session)
    sequenced = size / (time.perf_counter() - start)
    start = time.perf_counter()
    with db.transaction() as session:
        checkpoint(session, signer)
    signing = time.perf_counter() - start
    start = time.perf_counter()
    with db.reader() as session:
        report = verify_log(session, signer.verifier)
    verify = time.perf_counter() - start
    db.dispose()
    assert report.ok, report.problems
    assert report.events == total
    # The target is the log's capacity under a server's concurrent requests; one writer alone
    # waits for each commit's flush to disk in turn, and is shown for comparison.
    verdict = "ok" if parallel >= TARGET else "MISSED"
    print(
        f"{name:<11}{single:>10.0f}{parallel:>13.0f} ({threads}){sequenced:>12.0f}"
        f"{signing * 1000:>10.0f}{total / verify:>11.0f}   {verdict} "
        f"(>= {TARGET:.0f}/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    print(
        f"audit log, {args.events:,} events appended one per transaction, then sequenced, "
        "signed and verified (events/s unless marked)"
    )
    print(
        f"{'database':<11}{'append 1':>10}{'append (threads)':>17}{'sequence':>12}"
        f"{'sign ms':>10}{'verify':>11}"
    )
    with tempfile.TemporaryDirectory() as tmp, postgres_schema(args.postgres) as (pg, _, _):
        folder = Path(tmp)
        run("postgresql", pg, args.events, folder)
        run("sqlite", f"sqlite:///{folder / 'audit.sqlite'}", args.events, folder)


if __name__ == "__main__":
    main()
