"""Beacon g_variants lookups under load: single-variant questions to `hgr serve` over loopback.

Target (issue: Beacon v2): over a store of 10,000,000 variants × 2,000 samples, p99 latency
under 20 ms at 200 requests/s, and the maximum sustained rate reported. Each request is a
registered researcher's sequence query (referenceName, start, referenceBases,
alternateBases) for a variant of the store, answered with a boolean through the whole path:
authentication, the daily question cap (written), the datasets and the policy decision, the
store lookup and the disclosure ledger (each allele decided once, then read). The callers are
100 researchers of 100 organisations, so that the daily caps (2,000 questions per identity)
do not turn the load into refusals.

- Fixed rate: an open-loop generator sends 200 requests/s for ``--seconds`` and measures each
  request from the moment it was due, so a slow answer delays the count, not the schedule
  (no coordinated omission).
- Throughput: wrk with 8 connections for ``--seconds``; the requests/s it sustains. Then the
  open-loop generator again at half that rate: each request's latency without queueing.
- Reference: ``bcftools view -H -r`` on the same data's bgzipped, indexed VCF, one lookup per
  process (what a site without a beacon would run), timed over 100 lookups.

    python benchmarks/bench_beacon.py [--variants 200000] [--samples 2000] [--seconds 30]

The node runs on PostgreSQL (a throw-away schema of ``--postgres``), as in production.

The VCF comes from ``hgr synth-cohort`` and is kept under build/bench. Simulating 10,000,000
variants with msprime takes hours on two cores, so the full size is reached by repeating:
``--variants 200000 --repeat 50`` writes each simulated record 50 times at consecutive
positions (fewer where the next record is nearer), about 10,000,000 records with the same
genotypes, chunking and allele spectrum as the simulated ones; the store, its index and
bcftools' index are as long as for 10,000,000 distinct variants, which is what a lookup's
cost depends on. Without ``--repeat`` the store is the simulated one. Needs Debian's wrk,
bcftools and bgzip (tabix).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_genotypes import _cohort
from bench_service import _free_port, _ms, _wait, _wrk
from scratch import DEFAULT_POSTGRES, postgres_schema

TARGET_P99_MS = 20.0
TARGET_RATE = 200.0
CALLERS = 100
HGR = Path(sys.executable).parent / "hgr"


def _node(folder: Path, vcf: Path, url: str) -> tuple[Path, list[str]]:
    """A node on PostgreSQL (``url``) holding the cohort's donors and genotypes, and CALLERS
    researchers' tokens."""
    import gzip

    from hgr.audit import Actor
    from hgr.auth.roles import Role
    from hgr.auth.users import add_user, create_token
    from hgr.node import init_node
    from hgr.organisations import Fact, register_organisation
    from hgr.registry.importer import import_files

    with gzip.open(vcf, "rt") as handle:
        samples = next(line for line in handle if line.startswith("#CHROM")).split()[9:]
    home = folder / "node"
    node = init_node(home, database_url=url, name="bench", institution_code="BENCH")
    files = {
        "institutions": "code,name,kind,legal_person_id,country,region_code,control\n"
        "BENCH,Benchmark biobank,biobank,121100004000000014,CN,110000,domestic\n",
        "collections": "collection_id,name,material_types,data_categories\n"
        "GT,Cohort,dna,genotype_array\n",
        "donors": "donor_id,sex,population\n"
        + "".join(f"D{s},{'female' if i % 2 else 'male'},Han\n" for i, s in enumerate(samples)),
        "samples": "sample_id,donor_id,material_type,collection_id\n"
        + "".join(f"{s},D{s},dna,GT\n" for s in samples),
    }
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    import_files(node.db, node.keys, [folder / "institutions.csv"])
    import_files(
        node.db, node.keys, [folder / f"{n}.csv" for n in list(files)[1:]], institution="BENCH"
    )
    admin = Actor("bench", "operator")
    tokens = []
    with node.db.transaction() as session:
        for i in range(CALLERS):
            # A researcher's organisation is one the node's registry knows (an officer
            # registers it first), named by its key.
            register_organisation(
                session,
                admin,
                f"organisation-{i}",
                "CN",
                f"Organisation {i}",
                Fact("benchmark registry", "registry officer"),
            )
            add_user(
                session,
                admin,
                f"researcher{i}",
                Role.RESEARCHER,
                "",
                organisation=f"organisation-{i}",
                country="CN",
            )
            tokens.append(create_token(session, admin, f"researcher{i}").value)
    node.close()
    subprocess.run(
        [
            str(HGR),
            "genotypes",
            "ingest",
            str(vcf),
            "--collection",
            "GT",
            "--workers",
            "2",
            "--home",
            str(home),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with (home / "node.toml").open("a") as settings:
        # The load comes from one address: lift the per-caller rate limit above what is measured.
        # The throw-away schema is reached as the test server's trust-authenticated
        # superuser, which a production start refuses (hgr.api.serve): a development start.
        settings.write(
            "[service]\nrate_per_second = 1000000.0\nburst = 1000000\ndevelopment = true\n"
        )
    return home, tokens


def _sites(bcftools: str, vcf: Path) -> list[str]:
    """Every record of the VCF as ``CONTIG\tPOS\tREF\tALT`` (bcftools reads the sites
    without decoding the genotypes)."""
    listing = subprocess.run(
        [bcftools, "query", "-f", "%CHROM\t%POS\t%REF\t%ALT\n", str(vcf)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return listing.splitlines()


def _questions(sites: list[str], count: int, seed: int = 5) -> list[tuple[str, int, str, str]]:
    """``count`` variants among ``sites``, chosen at random: (contig, 1-based position, ref,
    alt)."""
    picked = random.Random(seed).sample(sites, min(count, len(sites)))
    rows = [line.split("\t") for line in picked]
    return [(c.removeprefix("chr"), int(p), r, a.split(",")[0]) for c, p, r, a in rows]


def _repeated(bcftools: str, vcf: Path, copies: int) -> Path:
    """The VCF with each record written ``copies`` times at consecutive positions (fewer
    where the next record of the contig, or the contig's end, is nearer), bgzipped and
    indexed; kept beside it."""
    path = vcf.with_name(vcf.name.replace(".vcf.gz", f"-repeat{copies}.vcf.gz"))
    if path.exists() and Path(f"{path}.tbi").exists():
        return path
    import gzip
    import re

    started = time.perf_counter()
    next_position: dict[tuple[str, int], int] = {}
    sites = [line.split("\t")[:2] for line in _sites(bcftools, vcf)]
    for (contig, position), (after, later) in itertools.pairwise(sites):
        if after == contig:
            next_position[(contig, int(position))] = int(later)
    bgzip_path = shutil.which("bgzip")
    if bgzip_path is None:
        raise SystemExit("--repeat needs Debian's bgzip (apt-get install tabix)")
    partial = path.with_name(path.name + ".partial")
    lengths: dict[str, int] = {}
    with partial.open("wb") as out, gzip.open(vcf, "rb") as source:
        bgzip = subprocess.Popen([bgzip_path, "-@", "2", "-c"], stdin=subprocess.PIPE, stdout=out)
        assert bgzip.stdin is not None
        try:
            for line in source:
                if line.startswith(b"#"):
                    found = re.match(rb"##contig=<ID=([^,>]+),length=(\d+)", line)
                    if found:
                        lengths[found[1].decode()] = int(found[2])
                    bgzip.stdin.write(line)
                    continue
                contig, position, rest = line.split(b"\t", 2)
                first = int(position)
                # At least the record itself, even where the next one shares its position.
                name = contig.decode()
                end = min(
                    next_position.get((name, first), first + copies),
                    lengths.get(name, first + copies) + 1,
                    first + copies,
                )
                end = max(end, first + 1)
                for at in range(first, end):
                    bgzip.stdin.write(b"%s\t%d\t%s" % (contig, at, rest))
        finally:
            bgzip.stdin.close()
            if bgzip.wait() != 0:
                raise SystemExit("bgzip failed")
    partial.rename(path)
    subprocess.run([bcftools, "index", "-t", str(path)], check=True)
    print(f"repeated {vcf.name} {copies} times in {time.perf_counter() - started:.0f} s")
    return path


def _path(question: tuple[str, int, str, str]) -> str:
    contig, position, ref, alt = question
    return (
        f"/api/g_variants?referenceName={contig}&start={position - 1}"
        f"&referenceBases={ref}&alternateBases={alt}"
    )


def _open_loop(
    port: int, tokens: list[str], paths: list[str], rate: float, seconds: int
) -> tuple[list[float], int]:
    """Send ``rate`` requests/s for ``seconds`` from a pool of persistent connections; the
    latency of each (ms, from when it was due) and the number of failures."""
    total = int(rate * seconds)
    start = time.perf_counter() + 0.5
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            due = start + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                bearer = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
                connection.request("GET", paths[i % len(paths)], headers=bearer)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                ok = False
            elapsed = (time.perf_counter() - due) * 1000
            with lock:
                latencies.append(elapsed)
                failures[0] += 0 if ok else 1
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures[0]


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[int(0.99 * (len(ordered) - 1))]


def _wrk_figures(report: str) -> dict[str, float]:
    """Requests/s, p99 (ms) and errors from wrk's report (its times may carry trailing
    padding)."""
    import re

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", report)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)\s*$", report, re.M)[1])  # type: ignore[index]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    )
    errors = (int(bad[1]) if bad else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    return {"rps": rps, "p99": p99, "errors": errors}


def _bcftools(bcftools: str, vcf: Path, questions: list[tuple[str, int, str, str]]) -> float:
    """Mean seconds of one ``bcftools view -H -r`` lookup on the indexed VCF."""
    if not Path(f"{vcf}.tbi").exists() and not Path(f"{vcf}.csi").exists():
        subprocess.run([bcftools, "index", "-t", str(vcf)], check=True)
    with __import__("gzip").open(vcf, "rt") as handle:
        first = next(line for line in handle if not line.startswith("#"))
    prefix = "chr" if first.startswith("chr") else ""
    started = time.perf_counter()
    for contig, position, _ref, _alt in questions:
        subprocess.run(
            [bcftools, "view", "-H", "-r", f"{prefix}{contig}:{position}", str(vcf)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return (time.perf_counter() - started) / len(questions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--variants", type=int, default=200_000)
    parser.add_argument(
        "--repeat", type=int, default=1, help="records written per simulated one (docstring)"
    )
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    bcftools, wrk = shutil.which("bcftools"), shutil.which("wrk")
    if bcftools is None or wrk is None:
        print("skipped: Debian's bcftools and wrk are needed (apt-get install bcftools wrk)")
        return 0
    vcf = _cohort(args.samples, args.variants)
    if args.repeat > 1:
        vcf = _repeated(bcftools, vcf, args.repeat)
    sites = _sites(bcftools, vcf)
    questions = _questions(sites, 1_000)
    paths = [_path(q) for q in questions]
    reference = _bcftools(bcftools, vcf, questions[:100])
    with (
        tempfile.TemporaryDirectory(prefix="hgr-bench-") as scratch,
        postgres_schema(args.postgres) as (url, _schema, _admin),
    ):
        home, tokens = _node(Path(scratch), vcf, url)
        script = Path(scratch) / "paths.lua"
        quoted = ", ".join(f'"{p}"' for p in paths)
        token_list = ", ".join(f'"{t}"' for t in tokens)
        # wrk calls request() for each request: cycle through the questions and the callers.
        script.write_text(
            f"local paths = {{{quoted}}}\nlocal tokens = {{{token_list}}}\n"
            "local i = 0\nrequest = function()\n  i = i + 1\n"
            "  local bearer = 'Bearer ' .. tokens[i % #tokens + 1]\n"
            "  return wrk.format('GET', paths[i % #paths + 1], "
            "{Authorization = bearer})\nend\n"
        )
        port = _free_port()
        server = subprocess.Popen(
            [
                str(HGR),
                "serve",
                "--home",
                str(home),
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(port, server)
            # Warm-up: every question once (each allele decided), the store's index opened.
            _open_loop(port, tokens, paths, 100.0, max(1, len(paths) // 100))
            latencies, failures = _open_loop(port, tokens, paths, TARGET_RATE, args.seconds)
            loaded = _wrk_figures(_wrk(port, tokens[0], args.seconds, 8, script))
            # And at half the rate the node sustains: each request's own latency, unqueued.
            easy_rate = max(1.0, loaded["rps"] / 2)
            easy, easy_failures = _open_loop(port, tokens, paths, easy_rate, args.seconds)
        finally:
            server.terminate()
            server.wait(30)
    p50, p99 = _percentiles(latencies)
    easy_p50, easy_p99 = _percentiles(easy)
    ok = p99 < TARGET_P99_MS and failures == 0
    print(
        f"store: {args.samples:,} samples × {len(sites):,} variants (target size "
        f"2,000 × 10,000,000); hgr serve, {args.workers} workers; {len(paths):,} "
        f"distinct questions from {CALLERS} researchers"
    )
    print(
        f"  at {TARGET_RATE:.0f} requests/s for {args.seconds} s: p50 {p50:.1f} ms, p99 "
        f"{p99:.1f} ms (target < {TARGET_P99_MS:.0f} ms), {failures} failed"
    )
    print(
        f"  throughput (wrk, 8 connections): {loaded['rps']:.0f} requests/s, p99 "
        f"{loaded['p99']:.1f} ms, {loaded['errors']:.0f} errors"
    )
    print(
        f"  at {easy_rate:.0f} requests/s (half that): p50 {easy_p50:.1f} ms, p99 "
        f"{easy_p99:.1f} ms, {easy_failures} failed"
    )
    print(
        f"  bcftools view -H -r, one lookup per process: {reference * 1000:.1f} ms; hgr p50 "
        f"at {easy_rate:.0f}/s over it: {easy_p50 / (reference * 1000):.2f}"
    )
    print(f"  verdict: {'ok' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
