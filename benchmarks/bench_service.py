"""Load on `hgr serve`: authenticated list requests against PostgreSQL, driven by wrk.

Target (issue: secure service): at least 500 requests/s sustained for 60 s with p99 latency
under 100 ms and no errors, on the 2-core machine. Every request authenticates a personal
token, is authorized with the steward's scope, reads a page of donors, samples or consents,
and writes its audit event (these are individual-level reads) in its own transaction.

    python benchmarks/bench_service.py [--seconds 60] [--connections 8] [--workers 2]

Needs Debian's `wrk` (`apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from scratch import DEFAULT_POSTGRES, postgres_schema

TARGET_RPS = 500.0
TARGET_P99_MS = 100.0
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PATHS = [
    "/registry/donors?limit=50",
    "/registry/donors?limit=50&offset=5000&sex=female",
    "/registry/samples?limit=50&material_type=dna",
    "/registry/consents?limit=50&status=active",
    "/registry/samples/record?institution=BJ-H001&code=LS0004711-1",
]


def _donor_templates(folder: Path, donors: int) -> list[Path]:
    sha = "0" * 64
    files = {name: folder / f"{name}.csv" for name in ("donors", "samples", "consents")}
    with (
        files["donors"].open("w") as d,
        files["samples"].open("w") as s,
        files["consents"].open("w") as c,
    ):
        d.write("donor_id,sex,birth_year,residence_region,population\n")
        s.write("sample_id,donor_id,material_type,collection_id,collection_date\n")
        c.write("donor_id,document_version,document_sha256,signed_on,permission,status\n")
        for i in range(donors):
            d.write(f"LD{i:07d},{'female' if i % 2 else 'male'},{1940 + i % 60},110000,Han\n")
            for n, material in enumerate(("whole_blood", "dna")):
                s.write(f"LS{i:07d}-{n},LD{i:07d},{material},COL-POP,2021-03-01\n")
            c.write(f"LD{i:07d},v1,{sha},2021-03-01,GRU,active\n")
    return list(files.values())


def _setup(home: Path, url: str, donors: int) -> str:
    """A node on ``url`` holding the examples and ``donors`` more donors; returns a token."""
    from hgr.audit import Actor
    from hgr.auth.roles import Role
    from hgr.auth.users import add_user, create_token
    from hgr.node import init_node
    from hgr.registry.importer import import_files

    node = init_node(home, database_url=url, name="bench")
    import_files(node.db, node.keys, [EXAMPLES / "institutions.csv"])
    # Every holdings file, the pedigree (PED) with the families that name its probands.
    holdings = sorted(p for p in EXAMPLES.iterdir() if p.is_file() and p.name != "institutions.csv")
    import_files(node.db, node.keys, holdings, institution="BJ-H001")
    import_files(node.db, node.keys, _donor_templates(home, donors), institution="BJ-H001")
    admin = Actor("bench", "operator")
    with node.db.transaction() as session:
        add_user(session, admin, "steward", Role.INSTITUTION_STEWARD, "BJ-H001")
        token = create_token(session, admin, "steward").value
    node.close()
    with (home / "node.toml").open("a") as settings:
        # One caller drives all the load: lift its rate limit above what is measured.
        settings.write("[service]\nrate_per_second = 1000000.0\nburst = 1000000\n")
    return token


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
            return
        except OSError:
            if server.poll() is not None:
                raise SystemExit("hgr serve exited") from None
            time.sleep(0.2)
    raise SystemExit("hgr serve did not start")


def _wrk(port: int, token: str, seconds: int, connections: int, script: Path) -> str:
    command = [
        "wrk",
        "-t",
        "1",
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(script),
        "-H",
        f"Authorization: Bearer {token}",
        f"http://127.0.0.1:{port}",
    ]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` and every process below it (the server's
    workers), from /proc: what a request costs the server, whatever else the machine runs."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue  # the process ended meanwhile
    return total


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _parse(report: str) -> dict[str, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", report)[1])  # type: ignore[index]
    total = int(re.search(r"(\d+) requests in", report)[1])  # type: ignore[index]
    # The distribution lines alone: "+/- Stdev" columns also end in %.
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)$", report, re.M)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)$", report, re.M)[1])  # type: ignore[index]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    )
    errors = (int(bad[1]) if bad else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    return {"rps": rps, "total": total, "p50": p50, "p99": p99, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--donors", type=int, default=20_000)
    parser.add_argument("--path", action="append", help="request these paths instead")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("skipped: wrk is not installed (apt-get install wrk)")
        return
    import sqlalchemy as sa

    hgr = Path(sys.executable).parent / "hgr"
    with tempfile.TemporaryDirectory() as tmp, postgres_schema(args.postgres) as scratch:
        url, schema, admin = scratch
        home = Path(tmp) / "node"
        token = _setup(home, url, args.donors)
        script = Path(tmp) / "paths.lua"
        quoted = ", ".join(f'"{p}"' for p in args.path or PATHS)
        # wrk calls request() for each request: cycle through the paths.
        script.write_text(
            f"local paths = {{{quoted}}}\nlocal i = 0\n"
            "request = function()\n  i = i + 1\n"
            "  return wrk.format('GET', paths[i % #paths + 1])\n"
            "end\n"
        )
        port = _free_port()
        server = subprocess.Popen(
            [
                str(hgr),
                "serve",
                "--home",
                str(home),
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ]
        )
        events = sa.text(f'SELECT count(*) FROM "{schema}".audit_event')
        try:
            _wait(port, server)
            _wrk(port, token, 5, args.connections, script)  # warm-up
            with admin.connect() as c:
                before = c.scalar(events)
            cpu = _cpu_seconds(server.pid)
            result = _parse(_wrk(port, token, args.seconds, args.connections, script))
            cpu = _cpu_seconds(server.pid) - cpu
            with admin.connect() as c:
                after = c.scalar(events)
        finally:
            server.terminate()
            server.wait(30)
    ok = result["rps"] >= TARGET_RPS and result["p99"] < TARGET_P99_MS and result["errors"] == 0
    print(
        f"hgr serve on PostgreSQL, {args.workers} worker(s), wrk {args.connections} "
        f"connections, {args.seconds} s of authenticated list/record reads "
        f"({args.donors:,} donors)"
    )
    print(
        f"  requests/s   {result['rps']:>9.0f}   (target >= {TARGET_RPS:.0f}; "
        f"ratio {result['rps'] / TARGET_RPS:.2f})"
    )
    print(f"  p50 latency  {result['p50']:>9.1f} ms")
    print(f"  p99 latency  {result['p99']:>9.1f} ms (target < {TARGET_P99_MS:.0f} ms)")
    print(f"  errors       {result['errors']:>9d}")
    # The machine is shared and its speed varies between runs; the server's CPU time per
    # request is what to compare across them.
    print(f"  server CPU   {1000 * cpu / max(1, result['total']):>9.2f} ms a request (all workers)")
    print(
        f"  audit events {after - before:>9d} written during the run "
        f"({(after - before) / args.seconds:.0f}/s)"
    )
    print(f"  verdict: {'ok' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
