"""Merging peer beacons' answers, and what may be passed on to them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hgr.config import load_settings
from hgr.exceptions import ConfigurationError
from hgr.federation.network import (
    ON_BEHALF_HEADER,
    VIA_HEADER,
    PeerAnswer,
    ask_peers,
    forwardable,
    merge,
)
from hgr.node import init_node
from hgr.privacy.exposure import Requester, Tier
from hgr.privacy.forwarding import on_behalf


def _document(
    granularity: str,
    exists: bool,
    count: int | None = None,
    sets: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "meta": {"beaconId": "x", "returnedGranularity": granularity},
        "responseSummary": {"exists": exists},
    }
    if count is not None:
        document["responseSummary"]["numTotalResults"] = count
    if sets is not None:
        document["response"] = {"resultSets": sets}
    return document


def test_counts_add_up_over_the_beacons_that_gave_counts() -> None:
    local = _document("count", True, 10)
    answers = [
        PeerAnswer("p", "answered", _document("count", True, 15)),
        PeerAnswer("q", "answered", _document("boolean", True)),
        PeerAnswer("r", "unreachable", None, "cannot reach"),
        PeerAnswer("s", "answered", _document("count", False, -3)),
    ]
    merged = merge(local, "me", answers, "count")
    assert merged["responseSummary"] == {"exists": True, "numTotalResults": 25}
    rows = {r["beaconId"]: r for r in merged["info"]["network"]}
    assert rows["r"] == {"beaconId": "r", "status": "unreachable", "detail": "cannot reach"}
    assert rows["s"]["numTotalResults"] == 0  # a nonsense count counts for nothing
    assert merged["meta"]["returnedGranularity"] == "count"


def test_granularity_is_the_most_given_up_to_the_one_asked() -> None:
    local = _document("boolean", False)
    peer = _document(
        "record",
        True,
        2,
        [{"id": "A:B", "setType": "dataset", "exists": True, "resultsCount": 2, "results": []}],
    )
    merged = merge(local, "me", [PeerAnswer("p", "answered", peer)], "record")
    assert merged["meta"]["returnedGranularity"] == "record"
    assert merged["response"]["resultSets"][0]["info"] == {"beaconId": "p"}
    assert (
        merge(local, "me", [PeerAnswer("p", "answered", peer)], "count")["meta"][
            "returnedGranularity"
        ]
        == "count"
    )
    assert "numTotalResults" not in merge(local, "me", [], "count")["responseSummary"]


def test_only_credentials_a_peer_can_check_are_passed_on() -> None:
    assert forwardable("Bearer aaa.bbb.ccc") == "aaa.bbb.ccc"  # a JWT
    assert forwardable("Bearer hgr_0123_secret") is None  # this node's own token
    assert forwardable("Basic dXNlcjpwdw==") is None
    assert forwardable(None) is None


def test_a_node_asks_with_its_own_account_for_callers_a_peer_cannot_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: dict[str, tuple[str | None, dict[str, str]]] = {}

    def get_json(
        url: str, path: str, token: str | None, *, headers: dict[str, str], timeout: float
    ) -> dict[str, Any]:
        asked[url] = (token, headers)
        return _document("boolean", True)

    monkeypatch.setattr("hgr.federation.network.get_json", get_json)
    peers = {"a": "http://a", "b": "http://b"}
    ask_peers(
        peers,
        "g_variants",
        {},
        None,
        None,
        ["me"],
        1.0,
        node_tokens={"a": "hgr_a"},
        on_behalf='{"identity":"x"}',
    )
    assert asked["http://a"] == (
        "hgr_a",
        {VIA_HEADER: "me,a,b", ON_BEHALF_HEADER: '{"identity":"x"}'},
    )
    # A peer that issued this node no account sees an anonymous caller.
    assert asked["http://b"] == (None, {VIA_HEADER: "me,a,b"})
    # A credential the peers check themselves goes as it is, and nobody vouches for it.
    ask_peers(
        peers,
        "g_variants",
        {},
        None,
        "j.w.t",
        ["me"],
        1.0,
        node_tokens={"a": "hgr_a"},
        on_behalf='{"identity":"x"}',
    )
    assert asked["http://a"] == ("j.w.t", {VIA_HEADER: "me,a,b"})


def test_a_peers_token_file_is_read_at_startup(tmp_path: Path) -> None:
    from hgr.api.app import create_app

    home = tmp_path / "node"
    init_node(home, name="n").close()
    with (home / "node.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[beacon]\npeers = ["p http://127.0.0.1:9 p.token"]\n')
    settings = load_settings(home)
    assert settings.beacon.peer_urls() == {"p": "http://127.0.0.1:9"}
    assert settings.beacon.peer_token_files() == {"p": "p.token"}
    with pytest.raises(ConfigurationError, match=r"token file of p .*p\.token cannot be read"):
        create_app(settings)
    (home / "p.token").write_text("\n")
    with pytest.raises(ConfigurationError, match="is empty"):
        create_app(settings)


def test_the_tier_vouched_for_is_at_most_registered() -> None:
    controlled = Requester("token:bob", "Fudan University", "CN", Tier.CONTROLLED)
    assert json.loads(on_behalf(controlled))["tier"] == "registered"
    # An anonymous requester carries no organisation or country.
    anonymous = Requester("anonymous:1.2.3.4", "Fudan University", "CN", Tier.ANONYMOUS)
    assert json.loads(on_behalf(anonymous)) == {
        "identity": "anonymous:1.2.3.4",
        "tier": "anonymous",
        "organisation": "",
        "country": "ZZ",
    }


def test_no_peer_is_asked_twice() -> None:
    peers = {"a": "http://127.0.0.1:9", "b": "http://127.0.0.1:9"}
    assert ask_peers(peers, "g_variants", {}, None, None, ["me", "a", "b"], 1.0) == []
    answers = ask_peers(peers, "g_variants", {}, None, None, ["me", "a"], 1.0)
    assert [(a.peer, a.status) for a in answers] == [("b", "unreachable")]


@pytest.mark.parametrize(
    "table",
    [
        'peers = ["only-an-id"]',
        'peers = ["a ftp://host"]',
        'peers = ["a,b http://host"]',
        'peers = ["a http://one", "a http://two"]',
        'peers = ["a http://one token extra"]',
        "timeout_seconds = 0.0",
        "unknown = 1",
        'ledger = "ftp://host"\nledger_token_file = "t"',
        'ledger = "http://host"',
    ],
)
def test_bad_peer_settings_are_refused(tmp_path: Path, table: str) -> None:
    home = tmp_path / "node"
    init_node(home, name="n").close()
    with (home / "node.toml").open("a", encoding="utf-8") as handle:
        handle.write(f"\n[beacon]\n{table}\n")
    with pytest.raises(ConfigurationError, match=r"\[beacon\]"):
        load_settings(home)


@pytest.mark.parametrize(
    "reply",
    [
        [1, 2],
        {"meta": {}},
        {"meta": {}, "responseSummary": "yes"},
        {"meta": "x", "responseSummary": {"exists": True}},
    ],
)
def test_a_peer_answer_that_is_not_a_beacon_response_is_reported(
    monkeypatch: pytest.MonkeyPatch, reply: Any
) -> None:
    monkeypatch.setattr("hgr.federation.network.get_json", lambda *a, **k: reply)
    answers = ask_peers({"p": "http://127.0.0.1:9"}, "g_variants", {}, None, None, ["me"], 1.0)
    assert [(a.peer, a.status) for a in answers] == [("p", "failed")]
    merged = merge(_document("boolean", False), "me", answers, "boolean")
    assert merged["info"]["network"][1]["status"] == "failed"
