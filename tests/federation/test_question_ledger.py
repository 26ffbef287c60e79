"""The federation's question ledger: a node that names the national node as its ledger has
the caps of organisations (and of Passport and OIDC identities) counted there, so that the
same organisation's accounts on different nodes share one daily allowance; a question counts
once however many nodes it reaches, and an unreachable ledger refuses questions."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from hgr.api.app import create_app
from hgr.auth.roles import Role
from hgr.auth.users import add_user, create_token
from hgr.config import BeaconSettings
from hgr.dates import utc_today
from hgr.federation.ledger import LEDGER_PATH
from hgr.federation.network import ON_BEHALF_HEADER
from hgr.node import Node, init_node, open_node
from hgr.privacy.exposure import Requester, Tier
from hgr.privacy.forwarding import on_behalf
from hgr.privacy.models import BeaconFederatedQuestion, BeaconRequesterBudget
from hgr.privacy.questions import DAILY_QUESTIONS
from hgr.registry import models as m
from hgr.registry.importer import import_files
from tests.conftest import EXAMPLES, HOLDINGS, register_named
from tests.federation.test_three_nodes import ADMIN, _serve

ORGANISATION = "Fudan University"
FEMALE, MALE = {"id": "NCIT:C16576"}, {"id": "NCIT:C20197"}
PHENOTYPE = {"id": "HP:0000726"}  # a phenotype of the examples' Huntington family


def _question(*filters: dict[str, str]) -> dict[str, Any]:
    return {
        "meta": {"apiVersion": "v2.0.0"},
        "query": {"requestedGranularity": "count", "filters": list(filters)},
    }


QUESTION, OTHER = _question(FEMALE), _question(MALE)


def _node(home: Path, name: str, users: dict[str, Role]) -> dict[str, str]:
    node = init_node(home, name=name, institution_code="BJ-H001")
    try:
        import_files(node.db, node.keys, [EXAMPLES / "institutions.csv"])
        import_files(node.db, node.keys, HOLDINGS, institution="BJ-H001")
        tokens = {}
        with node.db.transaction() as session:
            # The nation is served in a process of its own, on the real clock: the examples'
            # approvals are made open-ended so that the datasets stand whatever the run's date.
            session.execute(update(m.EthicsApproval).values(valid_to=None))
            register_named(session, ORGANISATION, "CN")
            for user, role in users.items():
                add_user(session, ADMIN, user, role, "", organisation=ORGANISATION, country="CN")
                tokens[user] = create_token(session, ADMIN, user).value
        return tokens
    finally:
        node.close()


def _zone_on_another_day() -> str:
    """A POSIX time zone whose date is not UTC's now (for the next hours): the ledger is
    served there, as a node in Beijing is on a UTC evening, so that any date read from the
    local clock instead of UTC's charges another day."""
    hour = dt.datetime.now(dt.UTC).hour
    return "LEDGER+12" if hour < 12 else "LEDGER-14"  # POSIX: +12 is twelve hours behind


@pytest.fixture(scope="module")
def nation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("ledger") / "nation"
    tokens = _node(home, "Nation", {"alice": Role.RESEARCHER, "node-b": Role.NATIONAL_OFFICER})
    url, server = _serve(home, env={"TZ": _zone_on_another_day()})
    try:
        yield {"home": home, "url": url, "tokens": tokens}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def _client(home: Path, ledger: str, token: str) -> Iterator[tuple[TestClient, Node, str]]:
    bob = _node(home, "Node B", {"bob": Role.RESEARCHER})["bob"]
    (home / "ledger.token").write_text(token + "\n", encoding="utf-8")
    node = open_node(home)
    beacon = BeaconSettings(ledger=ledger, ledger_token_file="ledger.token")
    service = replace(node.settings.service, rate_per_second=1000, burst=1000)
    settings = replace(node.settings, beacon=beacon, service=service)
    with TestClient(create_app(settings, Node(settings, node.db, node.keys))) as client:
        yield client, node, bob
    node.close()


@pytest.fixture
def node_b(nation: dict[str, Any], tmp_path: Path) -> Iterator[tuple[TestClient, Node, str]]:
    yield from _client(tmp_path / "b", nation["url"], nation["tokens"]["node-b"])


def _ask(client: TestClient, token: str, body: dict[str, Any]) -> Any:
    return client.post("/api/individuals", json=body, headers={"Authorization": f"Bearer {token}"})


def _post(url: str, path: str, body: Any, token: str | None = None) -> tuple[int, Any]:
    """POST to a served node: the status and the JSON answer."""
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _org_rows(home: Path, org: str) -> dict[dt.date, int]:
    """A holder's questions at the ledger (an organisation's, a node's), per day charged."""
    node = open_node(home)
    try:
        with node.db.reader() as session:
            return {
                r.day: r.questions
                for r in session.scalars(
                    select(BeaconRequesterBudget).where(BeaconRequesterBudget.holder == org)
                )
            }
    finally:
        node.close()


def _nation_counts(home: Path) -> tuple[dict[str, int], int]:
    node = open_node(home)
    try:
        with node.db.reader() as session:
            budget = {r.holder: r.questions for r in session.scalars(select(BeaconRequesterBudget))}
            questions = len(session.scalars(select(BeaconFederatedQuestion)).all())
    finally:
        node.close()
    return budget, questions


def test_organisation_caps_are_counted_once_at_the_ledger(
    nation: dict[str, Any], node_b: tuple[TestClient, Node, str]
) -> None:
    client, node, bob = node_b
    # Questions no other test of the module asks (the nation is shared, in any order): one
    # the organisation asked before today would not count again.
    first, second = _question(FEMALE, PHENOTYPE), _question(MALE, PHENOTYPE)
    before, _ = _nation_counts(nation["home"])
    org = "org:" + ORGANISATION.lower()
    start = before.get(org, 0)
    answer = _ask(client, bob, first)
    assert answer.status_code == 200, answer.text
    assert answer.json()["meta"]["returnedGranularity"] == "count"
    assert _nation_counts(nation["home"])[0][org] == start + 1
    # The same question again, at node B or by a colleague at the nation: counted once.
    assert _ask(client, bob, first).status_code == 200
    alice = nation["tokens"]["alice"]
    assert _post(nation["url"], "/api/individuals", first, alice)[0] == 200
    assert _nation_counts(nation["home"])[0][org] == start + 1
    assert _post(nation["url"], "/api/individuals", second, alice)[0] == 200
    assert _nation_counts(nation["home"])[0][org] == start + 2
    # Node B keeps its own accounts' caps (they mean nothing elsewhere), not the
    # organisation's: that is the ledger's.
    with node.db.reader() as session:
        local = {r.holder: r.questions for r in session.scalars(select(BeaconRequesterBudget))}
    assert local == {"id:token:bob": 2}


def test_a_question_is_charged_to_one_day_whatever_the_ledgers_time_zone(
    nation: dict[str, Any], node_b: tuple[TestClient, Node, str]
) -> None:
    # The ledger is served in a zone whose date is not UTC's. A question that reaches it from
    # node B, and the same question asked there directly, are one question of one (UTC) day.
    client, _node, bob = node_b
    org = "org:" + ORGANISATION.lower()
    before = _org_rows(nation["home"], org)
    path = "/api/biosamples"  # a question no other test of the module asks
    body = {"meta": {"apiVersion": "v2.0.0"}, "query": {"requestedGranularity": "boolean"}}
    answer = client.post(path, json=body, headers={"Authorization": f"Bearer {bob}"})
    assert answer.status_code == 200, answer.text
    assert _post(nation["url"], path, body, nation["tokens"]["alice"])[0] == 200
    after = _org_rows(nation["home"], org)
    charged = {day: n - before.get(day, 0) for day, n in after.items() if n != before.get(day)}
    assert charged == {utc_today(): 1}


def test_a_forwarding_nodes_total_is_counted_at_the_ledger(
    nation: dict[str, Any], node_b: tuple[TestClient, Node, str]
) -> None:
    # Node B's account asks there on behalf of callers (hgr.privacy.forwarding): the node's
    # total is a federated holder, so what it vouches for is summed at the ledger with what
    # the same node asks elsewhere.
    client, node, _bob = node_b
    with node.db.transaction() as session:
        add_user(session, ADMIN, "node-a", Role.INSTITUTION_STEWARD, "BJ-H001")
        token = create_token(session, ADMIN, "node-a").value
    before = _org_rows(nation["home"], "node:BJ-H001")
    for n in range(3):  # three callers, two questions: the same question counts once
        caller = Requester(f"anonymous:192.0.2.{n}", "", "ZZ", Tier.ANONYMOUS)
        body = QUESTION if n < 2 else OTHER
        answer = client.post(
            "/api/individuals",
            json=body,
            headers={"Authorization": f"Bearer {token}", ON_BEHALF_HEADER: on_behalf(caller)},
        )
        assert answer.status_code == 200, answer.text
    after = _org_rows(nation["home"], "node:BJ-H001")
    assert sum(after.values()) - sum(before.values()) == 2


def test_the_ledger_refuses_an_organisation_over_its_cap(
    nation: dict[str, Any], node_b: tuple[TestClient, Node, str]
) -> None:
    client, _node_b, bob = node_b
    org = "org:" + ORGANISATION.lower()
    assert _ask(client, bob, QUESTION).status_code == 200  # the holder's row exists
    used = _nation_counts(nation["home"])[0][org]
    _set_questions(nation["home"], org, DAILY_QUESTIONS[Tier.REGISTERED][1])
    try:
        refused = _ask(client, bob, _question(FEMALE, MALE))
        assert refused.status_code == 429, refused.text
        assert "E_BEACON_BUDGET" in refused.json()["error"]["errorMessage"]
    finally:
        # The nation is shared by the module's tests: its count is put back.
        _set_questions(nation["home"], org, used)


def _set_questions(home: Path, holder: str, questions: int) -> None:
    """Set today's count of ``holder`` at the ledger, as its database's owner may."""
    ledger = open_node(home)
    try:
        with ledger.db.transaction() as session:
            session.execute(
                update(BeaconRequesterBudget)
                .where(BeaconRequesterBudget.holder == holder)
                .values(questions=questions)
            )
    finally:
        ledger.close()


def test_an_unreachable_ledger_refuses_and_charges_nothing(tmp_path: Path) -> None:
    for client, node, bob in _client(tmp_path / "b", "http://127.0.0.1:9", "any-token"):
        refused = _ask(client, bob, QUESTION)
        assert refused.status_code == 429, refused.text
        assert "E_LEDGER_UNREACHABLE" in refused.json()["error"]["errorMessage"]
        with node.db.reader() as session:
            assert session.scalars(select(BeaconRequesterBudget)).all() == []


def test_only_the_federations_nodes_may_count_at_the_ledger(
    nation: dict[str, Any], node_b: tuple[TestClient, Node, str]
) -> None:
    body = {"holders": ["org:x"], "tier": "registered", "question": "a" * 64}
    url, tokens = nation["url"], nation["tokens"]
    assert _post(url, LEDGER_PATH, body)[0] == 401
    assert _post(url, LEDGER_PATH, body, tokens["alice"])[0] == 403
    for bad in (
        None,
        [],
        {"holders": ["id:token:x"], "tier": "registered", "question": "a" * 64},
        {"holders": ["org:x"], "tier": "gold", "question": "a" * 64},
        {"holders": ["org:x\x00"], "tier": "registered", "question": "a" * 64},
        {"holders": ["org:x"], "tier": "registered", "question": "xyz"},
        {**body, "extra": 1},
    ):
        status, problem = _post(url, LEDGER_PATH, bad, tokens["node-b"])
        assert status == 400, (bad, problem)
        assert problem["code"] == "E_LEDGER_REQUEST"
    assert _post(url, LEDGER_PATH, body, tokens["node-b"]) == (200, {"admitted": True})
    # A node that names a ledger is not one.
    client, _node, _bob = node_b
    assert client.post(LEDGER_PATH, json=body).status_code == 404
