"""Compiling the national survey edition at national scale, on PostgreSQL.

Target (issue: national survey): compiling a national edition from 2,000 institution returns
covering 5,000,000 donors, including unique-donor resolution from precomputed duplicate
links, takes under 2 minutes on PostgreSQL.

Setup (not timed): 2,000 institutions in 31 provinces are registered; each signs a return
whose counts add up and which lists its donors' pseudonyms; 1% of the people are enrolled at
two institutions and linked as duplicates (as the relatedness engine leaves them); each
province compiles its edition. Timed: ``compile_nation``, which checks every provincial
edition and every return's signature and digest again, sums the tables, and counts persons
through the links. The count of persons is checked against the planted truth.

    python benchmarks/bench_survey.py [--institutions 2000] [--donors 5000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from scratch import DEFAULT_POSTGRES, postgres_schema  # noqa: E402

from hgr.audit import Actor  # noqa: E402
from hgr.crypto import create_node_keys, load_signer  # noqa: E402
from hgr.db import Database, upgrade_schema  # noqa: E402
from hgr.federation.documents import (  # noqa: E402
    envelope_of,
    sign_document,
    store_document,
)
from hgr.registry.importer import import_files  # noqa: E402
from hgr.registry.regions import default_region_file, load_regions  # noqa: E402
from hgr.relatedness.models import DonorLink  # noqa: E402
from hgr.survey.cycles import default_dates, open_cycle  # noqa: E402
from hgr.survey.dictionary import DEFAULT_DICTIONARY  # noqa: E402
from hgr.survey.editions import compile_nation, compile_province  # noqa: E402

TARGET_SECONDS = 120.0
ACTOR = Actor("bench", "operator")
MATERIALS = ("whole_blood", "dna", "plasma", "serum", "saliva")
CATEGORIES = ("biological_samples", "genotype_array", "whole_exome", "whole_genome")


def _provinces(url: str) -> list[str]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as c:
        codes = (
            c.execute(sa.text("SELECT code FROM region WHERE level = 'province' ORDER BY code"))
            .scalars()
            .all()
        )
    engine.dispose()
    return list(codes)


def _institutions_csv(folder: Path, provinces: list[str], count: int) -> Path:
    path = folder / "institutions.csv"
    with path.open("w") as out:
        out.write("code,name,kind,legal_person_id,country,region_code,control\n")
        for n in range(count):
            # A legal person id is 18 characters; the check character is not verified for
            # these synthetic ids, which use the registry's documented test prefix.
            out.write(
                f"B{n:05d},Institution {n},hospital,{_uscc(n)},CN,"
                f"{provinces[n % len(provinces)]},domestic\n"
            )
    return path


def _uscc(n: int) -> str:
    from hgr.registry.fields import uscc_check_character

    first17 = f"12110000{n:09d}"
    return first17 + uscc_check_character(first17)


def _body(
    code: str, province: str, pseudonyms: list[str], rng: np.random.Generator, cycle: dict[str, str]
) -> dict[str, object]:
    donors = len(pseudonyms)
    samples_by_material = dict(
        zip(MATERIALS, rng.multinomial(int(donors * 1.5), [0.2] * 5).tolist(), strict=True)
    )
    females = int(rng.binomial(donors, 0.5))
    fields = {
        "donors": donors,
        "persons": donors,
        "donors_by_sex": {"female": females, "male": donors - females},
        "samples": sum(samples_by_material.values()),
        "samples_by_material": samples_by_material,
        "donors_by_material": {m: min(donors, v) for m, v in samples_by_material.items()},
        "persons_by_data_category": {c: int(rng.integers(0, donors)) for c in CATEGORIES},
        "genotyped_donors": int(rng.integers(0, donors)),
        "donors_by_disease": {"ORPHA:399": int(rng.integers(0, 20))},
        "donors_by_population": {"Han": donors},
        "donors_by_residence": {province: donors},
        "collections": [
            {
                "code": f"{code}-POP",
                "name": "cohort",
                "donors": donors,
                "samples": sum(samples_by_material.values()),
            }
        ],
        "consents_by_scope": {"DUO:0000042": donors},
        "consent_modifiers": {},
        "consents_withdrawn": int(rng.integers(0, 10)),
        "donors_without_consent": 0,
        "ethics_approvals": 2,
        "ethics_expired": 0,
        "families": 3,
        "pedigree_members": 12,
        "declared_pedigrees": [],
    }
    return {
        "kind": "return",
        "schema": "hgr-survey-return/1",
        "cycle": "2025",
        "cycle_document": cycle["sha256"],
        "dictionary": DEFAULT_DICTIONARY.version,
        "reference_date": "2025-12-31",
        "subject": code,
        "institution": {
            "code": code,
            "name": code,
            "kind": "hospital",
            "province": province,
            "country": "CN",
            "control": "domestic",
        },
        "fields": fields,
        "form": {
            "foreign_cooperation_projects": 0,
            "information_provided_abroad": 0,
            "specific_region_resources": False,
        },
        "donor_pseudonyms": pseudonyms,
        "version": 1,
        "replaces": None,
        "signed_at": "2026-02-01T00:00:00+00:00",
        "warnings": [],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--institutions", type=int, default=2_000)
    parser.add_argument("--donors", type=int, default=5_000_000)
    parser.add_argument("--duplicates", type=float, default=0.01)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    with tempfile.TemporaryDirectory() as tmp, postgres_schema(args.postgres) as (url, _, _):
        started = time.perf_counter()
        upgrade_schema(url)
        db = Database(url)
        load_regions(db, default_region_file())
        provinces = _provinces(url)
        keys = create_node_keys(Path(tmp) / "keys")
        db.seal_with(keys.record_key())  # as the node opens it
        signer = load_signer(keys.signing_key, "hgr/bench")
        import_files(db, keys, [_institutions_csv(Path(tmp), provinces, args.institutions)])
        with db.transaction() as session:
            cycle = open_cycle(
                session, signer, ACTOR, "2025", dates=default_dates(dt.date(2025, 12, 31))
            )
            cycle_facts = {"sha256": cycle.document_sha256}
        # Donor records: each person once, 1% of them a second time at another institution.
        records = args.donors
        people = int(records / (1 + args.duplicates))
        twice = records - people
        owner = rng.integers(0, args.institutions, size=people)
        second = (owner[:twice] + 1 + rng.integers(0, args.institutions - 1, size=twice)) % (
            args.institutions
        )
        pseudonyms = np.array([f"{n:064x}" for n in range(records)])
        members: list[list[int]] = [[] for _ in range(args.institutions)]
        for record, institution in enumerate(owner.tolist()):
            members[institution].append(record)
        for k, institution in enumerate(second.tolist()):
            members[institution].append(people + k)
        codes = [f"B{n:05d}" for n in range(args.institutions)]
        for n, code in enumerate(codes):
            body = _body(
                code,
                provinces[n % len(provinces)],
                pseudonyms[members[n]].tolist(),
                rng,
                cycle_facts,
            )
            with db.transaction() as session:
                store_document(session, ACTOR, sign_document(signer, body), [signer.verifier])
        now = dt.datetime.now(dt.UTC)
        with db.transaction() as session:
            session.execute(
                sa.insert(DonorLink),
                [
                    {
                        "institution_a": codes[int(owner[k])],
                        "donor_a": pseudonyms[k],
                        "institution_b": codes[int(second[k])],
                        "donor_b": pseudonyms[people + k],
                        "relationship": "duplicate",
                        "kinship": 0.5,
                        "ibs0": 0.0,
                        "discordance": 0.0,
                        "n_sites": 2048,
                        "panel_id": "bench",
                        "created_at": now,
                    }
                    for k in range(twice)
                ],
            )
        province_started = time.perf_counter()
        with db.transaction() as session:
            for province in sorted({provinces[n % len(provinces)] for n in range(len(codes))}):
                compile_province(session, signer, ACTOR, "2025", province)
        province_seconds = time.perf_counter() - province_started
        setup = time.perf_counter() - started
        timed = time.perf_counter()
        with db.transaction() as session:
            edition = compile_nation(session, signer, ACTOR, "2025")
            content = envelope_of(edition).content
            totals = content["totals"]
        seconds = time.perf_counter() - timed
        db.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ok = seconds < TARGET_SECONDS and totals["persons"] == people and totals["donors"] == records
    print(
        f"national edition from {args.institutions:,} returns, {records:,} donor records "
        f"({twice:,} duplicates linked), PostgreSQL"
    )
    print(
        f"  setup (returns signed and stored, {len(set(provinces))} provincial editions in "
        f"{province_seconds:.1f} s): {setup:.1f} s"
    )
    print(
        f"  compile_nation   {seconds:>8.1f} s   (target < {TARGET_SECONDS:.0f} s; ratio "
        f"{seconds / TARGET_SECONDS:.2f})"
    )
    print(f"  persons          {totals['persons']:>10,}   (truth {people:,})")
    print(f"  peak memory      {peak:>8.0f} MiB (whole run)")
    print(f"  verdict: {'ok' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
