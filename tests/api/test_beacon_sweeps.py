"""Budgets a sweep cannot burn: a question that decides alleles below the controlled tier pays
for the bases it spans before it is answered, and one wider than the tier allows is refused
with nothing decided; the refusal depends on the question alone, never on what the store
holds; stewards have the controlled tier's caps; and no question fails while others are
answered at the same moment, on SQLite too."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hgr.api.app import create_app
from hgr.beacon import service
from hgr.dates import utc_today
from hgr.db import engine
from hgr.node import Node
from hgr.privacy.exposure import Tier
from hgr.privacy.models import BeaconAllele, BeaconRequesterBudget
from hgr.privacy.questions import DAILY_QUESTIONS, RANGE_UNIT, WIDEST_RANGE
from tests.api.beacon_node import BeaconNode, copy_node
from tests.api.conftest import Api
from tests.api.test_beacon_queries import first_variant
from tests.beacon.schemas import problems


def _decided(api: Api) -> int:
    with api.db.reader() as session:
        return int(session.scalar(select(func.count()).select_from(BeaconAllele)) or 0)


def _used(api: Api, holder: str) -> int:
    with api.db.reader() as session:
        return int(
            session.scalar(
                select(BeaconRequesterBudget.questions).where(
                    BeaconRequesterBudget.holder == holder,
                    BeaconRequesterBudget.day == utc_today(),
                )
            )
            or 0
        )


def _range(start: int, end: int, contig: str = "1") -> dict[str, Any]:
    return {"referenceName": contig, "start": str(start), "end": str(end)}


def test_a_whole_contig_sweep_is_refused_with_nothing_decided(beacon_api: Api) -> None:
    for user in (None, "domestic"):
        answer = beacon_api.get(user, "/api/g_variants", **_range(0, 250_000_000))
        assert answer.status_code == 400, answer.text
        assert "E_BEACON_RANGE" in answer.json()["error"]["errorMessage"]
        # The same question about individuals carrying any variant of the contig.
        people = beacon_api.get(user, "/api/individuals", **_range(0, 250_000_000))
        assert people.status_code == 400
    assert _decided(beacon_api) == 0
    assert _used(beacon_api, "id:anonymous:testclient") == 0  # refused before it was charged


def test_a_range_pays_for_its_width_before_it_is_answered(beacon_api: Api) -> None:
    widest = WIDEST_RANGE[Tier.ANONYMOUS]
    answer = beacon_api.get(None, "/api/g_variants", **_range(0, widest))
    assert answer.status_code == 200, answer.text
    assert _used(beacon_api, "id:anonymous:testclient") == widest // RANGE_UNIT
    # One base more is refused.
    wider = beacon_api.get(None, "/api/g_variants", **_range(0, widest + 1))
    assert wider.status_code == 400
    # A sequence question costs one.
    variant = first_variant(beacon_api)
    before = _used(beacon_api, "id:anonymous:testclient")
    assert beacon_api.get(None, "/api/g_variants", **variant).status_code == 200
    assert _used(beacon_api, "id:anonymous:testclient") == before + 1


def test_the_refusal_says_nothing_about_the_store(beacon_api: Api) -> None:
    """At the edge of a cap, a range is refused or admitted by its width alone: the same for
    a range full of alleles and for one on a contig the store does not hold."""
    cap = DAILY_QUESTIONS[Tier.ANONYMOUS][0]
    with beacon_api.db.transaction() as session:
        session.add(
            BeaconRequesterBudget(
                holder="id:anonymous:testclient", day=utc_today(), questions=cap - 5
            )
        )
    full = beacon_api.get(None, "/api/g_variants", **_range(0, 6 * RANGE_UNIT))
    empty = beacon_api.get(None, "/api/g_variants", **_range(0, 6 * RANGE_UNIT, contig="21"))
    assert full.status_code == empty.status_code == 429
    assert full.json()["error"] == empty.json()["error"]
    # Five units are left: a range of five is admitted, whatever it holds.
    assert beacon_api.get(None, "/api/g_variants", **_range(0, 5 * RANGE_UNIT)).status_code == 200


def test_a_steward_has_the_controlled_tiers_caps(beacon_api: Api) -> None:
    registered_cap = DAILY_QUESTIONS[Tier.REGISTERED][0]
    with beacon_api.db.transaction() as session:
        session.add(
            BeaconRequesterBudget(
                holder="id:token:steward", day=utc_today(), questions=registered_cap
            )
        )
    answer = beacon_api.get("steward", "/api/individuals", requestedGranularity="count")
    assert answer.status_code == 200, answer.text
    assert _used(beacon_api, "id:token:steward") == registered_cap + 1
    # A registered researcher without a grant keeps the registered caps.
    with beacon_api.db.transaction() as session:
        session.add(
            BeaconRequesterBudget(
                holder="id:token:domestic", day=utc_today(), questions=registered_cap
            )
        )
    refused = beacon_api.get("domestic", "/api/individuals", requestedGranularity="count")
    assert refused.status_code == 429


def test_no_question_fails_while_others_are_answered(beacon_api: Api) -> None:
    """Many askers at once, each deciding alleles and counts (every question writes: its
    caps, and the alleles it decides), on the node's SQLite database."""
    variant = first_variant(beacon_api)
    position = int(variant["start"])
    questions: list[tuple[str | None, str, dict[str, Any]]] = []
    for n in range(48):
        user = (None, "domestic", "domestic2", "steward")[n % 4]
        if n % 3 == 0:
            params = _range(max(0, position - 5_000 + n * 7), position + 3_000 + n * 11)
            questions.append((user, "/api/g_variants", params))
        elif n % 3 == 1:
            questions.append((user, "/api/g_variants", variant))
        else:
            params = {**_range(max(0, position - 2_000), position + 2_000 + n)}
            questions.append(
                (user, "/api/individuals", {**params, "requestedGranularity": "count"})
            )

    def ask(question: tuple[str | None, str, dict[str, Any]]) -> int:
        user, path, params = question
        return int(beacon_api.get(user, path, **params).status_code)

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(ask, questions))
    assert statuses == [200] * len(questions)


def _slow_node(
    beacon_template: BeaconNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Api, Node]:
    """The beacon node, with SQLite giving up on a locked file after 0.2 s (30 s in
    service) and every decision about alleles taking 0.5 s: questions that overlap."""
    monkeypatch.setattr(engine, "SQLITE_WAIT", 0.2)
    node, tokens = copy_node(beacon_template, tmp_path)
    original = service.shown_alleles

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "shown_alleles", slow)
    settings = replace(
        node.settings, service=replace(node.settings.service, rate_per_second=1000, burst=1000)
    )
    app = create_app(settings, Node(settings, node.db, node.keys))
    return Api(TestClient(app, raise_server_exceptions=False), tokens, node.db), node


def test_slow_questions_queue_rather_than_fail(
    beacon_template: BeaconNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, node = _slow_node(beacon_template, tmp_path, monkeypatch)
    try:
        with api.client:
            variant = first_variant(api)
            position = int(variant["start"])
            questions = [
                _range(max(0, position - 1_000 - n), position + 1_000 + n) for n in range(6)
            ]
            with ThreadPoolExecutor(max_workers=6) as pool:
                answers = list(
                    pool.map(lambda q: api.get("domestic", "/api/g_variants", **q), questions)
                )
    finally:
        node.close()
    assert [a.status_code for a in answers] == [200] * 6, [a.text[:200] for a in answers]


def test_a_write_held_elsewhere_is_answered_busy_not_failed(
    beacon_template: BeaconNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, node = _slow_node(beacon_template, tmp_path, monkeypatch)
    try:
        with api.client:
            variant = first_variant(api)
            # Another process (an import, say) holds SQLite's write lock.
            path = node.db.url.removeprefix("sqlite:///")
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            try:
                answer = api.get("domestic", "/api/g_variants", **variant)
            finally:
                other.execute("ROLLBACK")
                other.close()
            again = api.get("domestic", "/api/g_variants", **variant)
    finally:
        node.close()
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"
    assert problems(answer.json(), "framework/json/responses/beaconErrorResponse.json") == []
    assert "E_BUSY" in answer.json()["error"]["errorMessage"]
    assert again.status_code == 200


def test_a_bracket_pays_for_every_start_it_reads(beacon_api: Api) -> None:
    """A bracket reads every record starting between its two starts, however near its ends
    are: its span runs to the furthest of them."""
    variant = first_variant(beacon_api)
    position = int(variant["start"])
    wide = {"referenceName": "1", "start": f"0,{position}", "end": "0,1"}
    answer = beacon_api.get(None, "/api/g_variants", **wide)
    assert answer.status_code == 400, answer.text
    assert "E_BEACON_RANGE" in answer.json()["error"]["errorMessage"]
    narrow = {"referenceName": "1", "start": f"{position - 2_500},{position}", "end": "0,1"}
    assert beacon_api.get(None, "/api/g_variants", **narrow).status_code == 200
    assert _used(beacon_api, "id:anonymous:testclient") == 3


def test_a_refusal_after_the_charge_keeps_the_charge(
    beacon_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal that depends on the store comes after the question is paid for, and says
    no number: repeating it to learn where records are costs what any question costs."""
    from hgr.beacon import variants

    variant = first_variant(beacon_api)
    position = int(variant["start"])
    monkeypatch.setattr(variants, "MAX_CANDIDATES", 0)
    answer = beacon_api.get(None, "/api/g_variants", **_range(position - 2_000, position + 1))
    assert answer.status_code == 400
    message = answer.json()["error"]["errorMessage"]
    assert "more than 0 records" in message
    assert not any(ch.isdigit() for ch in message.replace("more than 0", ""))
    assert _used(beacon_api, "id:anonymous:testclient") == 3


def test_a_single_entry_is_not_asked_of_the_peers(
    beacon_template: BeaconNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An id is this beacon's own: a peer asked the entry type instead would answer for
    every entry it holds (and spend its counts' budgets on it)."""
    from hgr.auth.roles import anonymous
    from hgr.beacon import responding
    from hgr.beacon.framework import BeaconIdentity
    from hgr.beacon.query import from_params
    from hgr.beacon.responding import Asker, Responder

    asked: list[str] = []

    def ask_peers(*args: Any, **kwargs: Any) -> list[Any]:
        asked.append(args[1])
        return []

    monkeypatch.setattr(responding, "ask_peers", ask_peers)
    node, _tokens = copy_node(beacon_template, tmp_path)
    try:
        responder = Responder(node.db, node.settings.home, node.keys, peers={"https://p": "p"})
        beacon = BeaconIdentity("n", "o", "https://n")
        asker = Asker(anonymous(), "192.0.2.7")
        responder.respond(beacon, asker, from_params("individuals", {}, "a" * 20))
        assert asked == []
        responder.respond(beacon, asker, from_params("individuals", {}))
        assert asked == ["individuals"]
    finally:
        node.close()


def test_an_exposure_lowered_while_the_ledger_is_asked_counts(
    beacon_template: BeaconNode, tmp_path: Path
) -> None:
    """Where the federation's ledger is another node's, the question is planned for it,
    the ledger asked over the network, and the question planned again as it is answered:
    records are not given from a dataset whose exposure was lowered meanwhile."""
    from hgr.audit import Actor
    from hgr.auth.roles import Principal, Role
    from hgr.beacon.framework import BeaconIdentity
    from hgr.beacon.query import from_params
    from hgr.beacon.responding import Asker, Responder
    from hgr.dates import utc_now
    from hgr.privacy.exposure import datasets, set_exposure

    node, _tokens = copy_node(beacon_template, tmp_path)

    class Ledger:
        """A ledger that admits, while an officer lowers every dataset's exposure."""

        def admit(self, holders: Any, tier: str, question: str, cost: int = 1) -> bool:
            with node.db.transaction() as session:
                for dataset in datasets(session, node.settings.home, utc_today()):
                    set_exposure(
                        session,
                        Actor("cli:test", "operator"),
                        dataset.id,
                        utc_now(),
                        controlled="count",
                    )
            return True

    from hgr.auth.users import add_user

    with node.db.transaction() as session:
        # A steward of an organisation: the organisation's questions are the federation's to
        # count (an identity only this node knows is counted here, without the ledger).
        add_user(
            session,
            Actor("cli:test", "operator"),
            "steward2",
            Role.INSTITUTION_STEWARD,
            beacon_template.institution,
            organisation="Peking Union Medical College",
            country="CN",
        )
    try:
        responder = Responder(
            node.db,
            node.settings.home,
            node.keys,
            ledger=Ledger(),  # type: ignore[arg-type]
        )
        steward = Principal("token:steward2", Role.INSTITUTION_STEWARD, beacon_template.institution)
        asker = Asker(steward, "192.0.2.8")
        query = from_params("individuals", {"requestedGranularity": "record"})
        body = responder.respond(BeaconIdentity("n", "o", "https://n"), asker, query)
        assert body["meta"]["returnedGranularity"] == "count"
        again = responder.respond(BeaconIdentity("n", "o", "https://n"), asker, query)
        assert again["meta"]["returnedGranularity"] == "count"
    finally:
        node.close()


def test_a_question_left_waiting_for_its_turn_is_not_charged(
    beacon_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The charge and the answer take one turn: a question that never gets it is refused
    503 with Retry-After and a message, and nothing is charged."""
    from hgr.db.engine import _writer_lock

    monkeypatch.setattr(engine, "WRITER_TURN_WAIT", 0.2)
    lock = _writer_lock(beacon_api.db.url)
    with lock:
        answer = beacon_api.get(None, "/api/g_variants", **_range(0, 5_000))
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert "send the request again" in answer.json()["error"]["errorMessage"]
    assert _used(beacon_api, "id:anonymous:testclient") == 0
