"""Server time of the web console's pages on a PostgreSQL node holding many donors.

Target (issue 29): every console page renders in under 150 ms of server time at p95, on a
PostgreSQL node holding 1,000,000 donors. Each page is asked ``--repeat`` times in process
(FastAPI's TestClient: no network, so the time is the server's), after a warm-up, by a signed-in
steward (or by anyone, for the public pages). Where the API reads the same records, its JSON
answer is timed alongside in the same run and the ratio printed (console / API).

    python benchmarks/bench_console.py [--donors 1000000] [--repeat 40]

A node built once can be measured again: ``--home DIR --database URL`` builds it there the first
time (in a schema the caller made) and reuses it after. The first answer of each page is timed
too ("first"): the steward's home and the survey draft count once per state of the registry
(hgr.registry.state), and the first view after a change waits for the count.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench_service import _donor_templates
from scratch import DEFAULT_POSTGRES, postgres_schema

TARGET_P95_MS = 150.0
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PASSWORD = "a benchmark password of some length"


def _token(home: Path) -> str:
    """A fresh API token for the steward of a node built before."""
    from hgr.audit import Actor
    from hgr.auth.users import create_token
    from hgr.node import open_node

    node = open_node(home)
    with node.db.transaction() as session:
        token = create_token(session, Actor("bench", "operator"), "steward").value
    node.close()
    return token


def _setup(home: Path, url: str, donors: int) -> str:
    """A node on ``url`` with the examples, ``donors`` more donors at BJ-H001, a survey cycle,
    and a steward with a console password and a token; returns the token."""
    from hgr.audit import Actor
    from hgr.auth.passwords import set_password
    from hgr.auth.roles import Role
    from hgr.auth.users import add_user, create_token
    from hgr.node import init_node
    from hgr.registry.importer import import_files
    from hgr.survey.cycles import default_dates, open_cycle

    node = init_node(home, database_url=url, name="bench")
    import_files(node.db, node.keys, [EXAMPLES / "institutions.csv"])
    holdings = sorted(p for p in EXAMPLES.iterdir() if p.is_file() and p.name != "institutions.csv")
    import_files(node.db, node.keys, holdings, institution="BJ-H001")
    started = time.perf_counter()
    import_files(node.db, node.keys, _donor_templates(home, donors), institution="BJ-H001")
    print(f"imported {donors:,} donors in {time.perf_counter() - started:.0f} s", flush=True)
    admin = Actor("bench", "operator")
    with node.db.transaction() as session:
        add_user(session, admin, "steward", Role.INSTITUTION_STEWARD, "BJ-H001")
        set_password(session, admin, "steward", PASSWORD)
        token = create_token(session, admin, "steward").value
        open_cycle(
            session, node.signer(), admin, "2025", dates=default_dates(dt.date(2025, 12, 31))
        )
    node.close()
    return token


def _timed(ask: Callable[[], Any], repeat: int) -> tuple[float, list[float]]:
    """Milliseconds of the first answer (a page whose counts are kept while the registry
    stands makes them then), and of each of ``repeat`` answers after two to warm up; each must
    be 2xx or 3xx (a page that fails is not a page that is fast)."""
    started = time.perf_counter()
    ask()
    first = (time.perf_counter() - started) * 1000
    ask()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = ask()
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code >= 400 or "sign-in" in answer.headers.get("location", ""):
            raise SystemExit(f"{answer.request.url} answered {answer.status_code}")
    return first, times


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[18]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--donors", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--home", help="build the node here once, and reuse it after")
    parser.add_argument("--database", help="with --home: the node's database URL")
    parser.add_argument("--only", action="append", help="measure only these pages")
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from hgr.api.app import create_app
    from hgr.config import ServiceSettings, load_settings

    with contextlib.ExitStack() as stack:
        if args.home:
            home, url = Path(args.home), args.database
            api_token = (
                _token(home) if (home / "node.toml").exists() else _setup(home, url, args.donors)
            )
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            url, _, _admin = stack.enter_context(postgres_schema(args.postgres))
            home = Path(folder) / "node"
            api_token = _setup(home, url, args.donors)
        settings = load_settings(home)
        settings = replace(settings, service=ServiceSettings(rate_per_second=1e6, burst=10**6))
        app = create_app(settings)
        with TestClient(app) as client:
            english = {"Accept-Language": "en"}
            page = client.get("/console/sign-in", headers=english)
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf is not None
            # The console's cookies are Secure; the client over http sends them only by hand.
            form_cookie = page.headers["set-cookie"].split(";")[0]
            signed = client.post(
                "/console/sign-in",
                data={"name": "steward", "password": PASSWORD, "code": "", "csrf": csrf[1]},
                headers={**english, "Cookie": form_cookie},
                follow_redirects=False,
            )
            cookie = next(
                h for h in signed.headers.get_list("set-cookie") if h.startswith("hgr_session=")
            )
            session = cookie.split(";")[0].split("=", 1)[1]
            client.cookies.clear()
            reader = {**english, "Cookie": f"hgr_session={session}"}
            form = client.get("/console/find", headers=reader).text
            token = re.search(r'name="csrf" value="([^"]+)"', form)
            assert token is not None
            found = client.post(
                "/console/find",
                data={"q": "LD0500000" if args.donors > 500_000 else "LD0000001", "csrf": token[1]},
                headers=reader,
                follow_redirects=False,
            )
            donor_page = found.headers["location"]
            pseudonym = donor_page.rsplit("/", 1)[1]
            bearer = {"Authorization": f"Bearer {api_token}"}

            def get(path: str, headers: dict[str, str]) -> Callable[[], Any]:
                return lambda: client.get(path, headers=headers, follow_redirects=False)

            pages: list[tuple[str, Callable[[], Any], Callable[[], Any] | None]] = [
                ("landing (public)", get("/console/", english), None),
                (
                    "debarment list (public)",
                    get("/console/debarment", english),
                    get("/debarment", english),
                ),
                ("sign-in form", get("/console/sign-in", english), None),
                ("steward home", get("/console/steward", reader), get("/summary", bearer)),
                ("find form", get("/console/find", reader), None),
                (
                    "find a donor (POST)",
                    lambda: client.post(
                        "/console/find",
                        data={"q": "LD0000001", "csrf": token[1]},
                        headers=reader,
                        follow_redirects=False,
                    ),
                    None,
                ),
                (
                    "donor page",
                    get(donor_page, reader),
                    get(
                        f"/registry/donors/record?institution=BJ-H001&pseudonym={pseudonym}",
                        bearer,
                    ),
                ),
                (
                    "sample page",
                    get("/console/samples/LS0000001-1", reader),
                    get("/registry/samples/record?institution=BJ-H001&code=LS0000001-1", bearer),
                ),
                (
                    "families",
                    get("/console/families", reader),
                    get("/registry/families?institution=BJ-H001", bearer),
                ),
                (
                    "family with pedigree",
                    get("/console/families/HD-001", reader),
                    get("/registry/members?institution=BJ-H001&family=HD-001", bearer),
                ),
                ("catalogue declarations", get("/console/catalogue", reader), None),
                ("templates (public)", get("/console/templates", english), None),
                ("import form", get("/console/import", reader), None),
                ("survey returns", get("/console/survey", reader), None),
                ("survey draft", get("/console/survey/2025", reader), None),
                ("return at the province", get("/console/survey/2025/province", reader), None),
                ("account", get("/console/account", reader), None),
            ]
            print(f"\nconsole pages on PostgreSQL, {args.donors:,} donors, {args.repeat} each")
            print(
                f"{'page':28} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8} {'API p95':>8} "
                f"{'ratio':>6}  target"
            )
            failed = []
            for name, page_ask, api_ask in pages:
                if args.only and name not in args.only:
                    continue
                first, times = _timed(page_ask, args.repeat)
                p95 = _p95(times)
                api = _p95(_timed(api_ask, args.repeat)[1]) if api_ask else None
                ratio = f"{p95 / api:.2f}" if api else "-"
                verdict = "ok" if p95 < TARGET_P95_MS else "OVER"
                if p95 >= TARGET_P95_MS:
                    failed.append(name)
                shown_api = f"{api:.1f}" if api else "-"
                print(
                    f"{name:28} {first:9.1f} {statistics.median(times):8.1f} {p95:8.1f} "
                    f"{shown_api:>8} "
                    f"{ratio:>6}  {verdict}"
                )
            if failed:
                print(f"over {TARGET_P95_MS:.0f} ms at p95: {', '.join(failed)}")
            else:
                print(f"every page under {TARGET_P95_MS:.0f} ms at p95")
    sys.exit(0)


if __name__ == "__main__":
    main()
