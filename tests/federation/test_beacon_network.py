"""The beacon network between three `hgr serve` processes on loopback: a national node asks a
province node and an institution node, merges their answers with its own, and each node
applies its own rules."""

from __future__ import annotations

import gzip
import json
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hgr.auth.roles import Role
from hgr.auth.users import add_user, create_token
from hgr.beacon.framework import BeaconIdentity
from hgr.genotypes.ingest import ingest
from hgr.node import init_node, open_node
from hgr.privacy.models import BeaconRequesterBudget
from hgr.registry.importer import import_files
from hgr.synth import SynthConfig, synthesise_nation
from tests.api.beacon_node import INSTITUTION_FILES
from tests.beacon.schemas import problems
from tests.cli.conftest import hgr
from tests.conftest import SHARED_DATA, register_named
from tests.federation.test_three_nodes import ADMIN, _serve

NAMES = {"nation": "Nation", "province": "Province", "institution": "Institution"}
BEACON_IDS = {key: BeaconIdentity(name, "", "").id for key, name in NAMES.items()}


def _peers(home: Path, peers: dict[str, str]) -> None:
    # Each value: "<url>", or "<url> <token file>" where the node holds an account there.
    lines = ", ".join(f'"{BEACON_IDS[k]} {url}"' for k, url in peers.items())
    with (home / "node.toml").open("a", encoding="utf-8") as handle:
        handle.write(f"\n[beacon]\npeers = [{lines}]\ntimeout_seconds = 20.0\n")


def _ask(
    url: str, path: str, token: str | None = None, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("beacon-network")
    nation = root / "synth"
    synthesise_nation(nation, SynthConfig(donors=240, seed=11, sites_per_chromosome=60))
    folders = sorted(
        p for p in (nation / "institutions").iterdir() if (p / "genotypes.vcf.gz").exists()
    )
    assert len(folders) >= 3
    homes, servers, urls = {}, {}, {}
    for key, folder in zip(NAMES, folders, strict=False):
        home = root / key
        node = init_node(home, name=NAMES[key], institution_code=folder.name)
        import_files(node.db, node.keys, [nation / "institutions.csv"])
        files = [
            folder / n for n in INSTITUTION_FILES if n != "families.csv" and (folder / n).exists()
        ]  # no pedigrees needed
        import_files(node.db, node.keys, files, institution=folder.name)
        collection = next(
            line.split(",")[0]
            for line in (folder / "collections.csv").read_text().splitlines()[1:]
            if line.split(",")[0].endswith("-POP")
        )
        ingest(
            node.db,
            home,
            node.keys,
            [folder / "genotypes.vcf.gz"],
            institution=folder.name,
            collection=collection,
        )
        node.close()
        homes[key] = (home, f"{folder.name}:{collection}")
    # The institution shows nothing to anonymous callers: its own rule, not the nation's.
    code, output = hgr(
        homes["institution"][0],
        "beacon",
        "exposure",
        homes["institution"][1],
        "--anonymous",
        "none",
    )
    assert code == 0, output
    node = open_node(homes["nation"][0])
    with node.db.transaction() as session:
        register_named(session, "Fudan University", "CN")
        add_user(
            session,
            ADMIN,
            "researcher",
            Role.RESEARCHER,
            "",
            organisation="Fudan University",
            country="CN",
        )
        token = create_token(session, ADMIN, "researcher").value
    node.close()
    # The nation holds an account at the province (a national officer's), with which it asks
    # there on behalf of its callers; none at the institution.
    node = open_node(homes["province"][0])
    with node.db.transaction() as session:
        add_user(session, ADMIN, "nation-node", Role.NATIONAL_OFFICER)
        (homes["nation"][0] / "province.token").write_text(
            create_token(session, ADMIN, "nation-node").value
        )
    node.close()
    try:
        for key in ("institution", "province"):
            urls[key], servers[key] = _serve(homes[key][0])
        # The province also names the nation: a ring, which the Via header must break.
        _peers(
            homes["province"][0],
            {"nation": "http://127.0.0.1:9", "institution": urls["institution"]},
        )
        servers["province"].terminate()
        servers["province"].wait()
        urls["province"], servers["province"] = _serve(homes["province"][0])
        _peers(
            homes["nation"][0],
            {"province": f"{urls['province']} province.token", "institution": urls["institution"]},
        )
        urls["nation"], servers["nation"] = _serve(homes["nation"][0])
        yield {
            "urls": urls,
            "servers": servers,
            "homes": homes,
            "token": token,
            "vcf": folders[0] / "genotypes.vcf.gz",
        }
    finally:
        for server in servers.values():
            if server.poll() is None:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()


def _a_common_variant(vcf: Path) -> dict[str, Any]:
    with gzip.open(vcf, "rt") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            fields = line.split("\t")
            calls = [c.split(":")[0] for c in fields[9:]]
            carriers = sum(1 for c in calls if "1" in c)
            if carriers >= len(calls) // 3:
                return {
                    "referenceName": fields[0].removeprefix("chr"),
                    "start": int(fields[1]) - 1,
                    "referenceBases": fields[3],
                    "alternateBases": fields[4].split(",")[0],
                }
    raise AssertionError("no common variant")


def _valid(document: dict[str, Any], schema: str) -> None:
    # The network's own checks below need no shared data; the schemas do.
    if (SHARED_DATA / "beacon-v2").is_dir():
        assert problems(document, f"framework/json/responses/{schema}.json") == []


def _rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["beaconId"]: row for row in document["info"]["network"]}


def test_the_nation_merges_its_peers_answers(network: dict[str, Any]) -> None:
    urls = network["urls"]
    variant = _a_common_variant(network["vcf"])
    params = "&".join(f"{k}={v}" for k, v in variant.items())
    document = _ask(urls["nation"], f"/api/g_variants?{params}")
    _valid(document, "beaconBooleanResponse")
    rows = _rows(document)
    assert set(rows) == set(BEACON_IDS.values())  # each beacon once, the ring broken
    assert rows[BEACON_IDS["nation"]]["exists"] is True
    assert rows[BEACON_IDS["province"]]["status"] == "answered"
    assert rows[BEACON_IDS["province"]]["exists"] is True
    # The institution's own rule: anonymous callers see nothing of its dataset, through the
    # network as directly.
    assert rows[BEACON_IDS["institution"]]["exists"] is False
    direct = _ask(urls["institution"], f"/api/g_variants?{params}")
    assert direct["responseSummary"]["exists"] is False
    assert document["responseSummary"]["exists"] is True


def _holders(home: Path) -> set[str]:
    node = open_node(home)
    try:
        with node.db.reader() as session:
            return set(session.scalars(select(BeaconRequesterBudget.holder)))
    finally:
        node.close()


def test_counts_are_summed_and_local_tokens_stay_home(network: dict[str, Any]) -> None:
    urls = network["urls"]
    body = {
        "meta": {"apiVersion": "v2.0.0"},
        "query": {"requestedGranularity": "count", "filters": [{"id": "NCIT:C16576"}]},
    }
    document = _ask(urls["nation"], "/api/individuals", network["token"], body)
    _valid(document, "beaconCountResponse")
    assert document["meta"]["returnedGranularity"] == "count"
    rows = _rows(document)
    # The nation's own user gets counts there. Its token is the nation's secret and is not
    # passed on: the province, where the nation holds an account, hears from the nation who
    # asks and gives a registered user counts; the institution, where it holds none, answers
    # an anonymous caller: booleans.
    assert rows[BEACON_IDS["nation"]]["returnedGranularity"] == "count"
    assert rows[BEACON_IDS["province"]]["returnedGranularity"] == "count"
    assert rows[BEACON_IDS["institution"]]["returnedGranularity"] == "boolean"
    own = rows[BEACON_IDS["nation"]]["numTotalResults"]
    province = rows[BEACON_IDS["province"]]["numTotalResults"]
    assert own > 0
    assert province > 0
    assert document["responseSummary"]["numTotalResults"] == own + province
    network_token = network["token"]
    assert all(network_token not in h for h in _holders(network["homes"]["province"][0]))
    # The province charged the researcher as the nation's, and the organisation.
    assert {"id:via:token:nation-node|token:researcher", "org:fudan university"} <= _holders(
        network["homes"]["province"][0]
    )
    institution = _holders(network["homes"]["institution"][0])
    assert institution
    assert all(h.startswith("id:anonymous:") for h in institution)


def test_an_unreachable_peer_is_reported_not_hidden(network: dict[str, Any]) -> None:
    urls = network["urls"]
    variant = _a_common_variant(network["vcf"])
    params = "&".join(f"{k}={v}" for k, v in variant.items())
    network["servers"]["institution"].terminate()
    network["servers"]["institution"].wait(timeout=10)
    try:
        document = _ask(urls["nation"], f"/api/g_variants?{params}")
        rows = _rows(document)
        assert rows[BEACON_IDS["institution"]]["status"] == "unreachable"
        assert "detail" in rows[BEACON_IDS["institution"]]
        assert document["responseSummary"]["exists"] is True
        # The province could not reach it either, and says so in its own answer; the nation
        # still answers at once with what it has.
        assert rows[BEACON_IDS["province"]]["status"] == "answered"
    finally:
        # Back on its address, for the module's other tests, in whatever order they run.
        port = int(urls["institution"].rsplit(":", 1)[1])
        _url, network["servers"]["institution"] = _serve(network["homes"]["institution"][0], port)
