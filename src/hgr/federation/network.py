"""The beacon network: a node asks its peer beacons (province and institution nodes) the
question it was asked and merges their answers with its own.

Each peer applies its own rules: it sees the same requester where the requester's credential
is one it can check itself (an OIDC or GA4GH Passport JWT, passed on unchanged). A node's
personal API tokens are never passed on: they are secrets of the node that issued them. For
those callers, and anonymous ones, a node that holds an account at the peer asks with it on
the caller's behalf (:mod:`hgr.privacy.forwarding`); without one the peer sees an anonymous
caller. A question carries the beacons it has passed through
(``Hgr-Beacon-Via``), so that no beacon is asked twice and a ring of peers cannot loop.

Merging (Beacon v2 aggregators do the same): ``exists`` if any beacon says so; the returned
granularity is the most any beacon gave, up to the one requested; counts are summed over the
beacons that gave counts; record result sets are put side by side. ``info.network`` says what
each beacon answered, and which could not be reached, so a partial answer is never mistaken
for a whole one.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from hgr.exceptions import HgrError
from hgr.federation.client import get_json, post_json

__all__ = [
    "MAX_VIA",
    "ON_BEHALF_HEADER",
    "VIA_HEADER",
    "PeerAnswer",
    "ask_peers",
    "forwardable",
    "merge",
]

VIA_HEADER = "Hgr-Beacon-Via"
# Who a node asks for, when it asks with its own account (hgr.privacy.forwarding).
ON_BEHALF_HEADER = "Hgr-Beacon-On-Behalf"
MAX_VIA = 6  # beacons a question may pass through
LEVELS = ("boolean", "count", "record")


@dataclass(frozen=True)
class PeerAnswer:
    """What one peer beacon answered: ``answered`` with its document, or why not."""

    peer: str
    status: str  # answered | refused | unreachable | failed
    document: dict[str, Any] | None = None
    detail: str = ""


def forwardable(authorization: str | None) -> str | None:
    """The caller's credential if a peer can check it itself (a bearer JWT), else None."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    token = authorization.split(None, 1)[1].strip()
    return token if token.count(".") == 2 else None


def _ask(
    peer: str,
    url: str,
    entry: str,
    params: dict[str, str],
    body: dict[str, Any] | None,
    token: str | None,
    via: list[str],
    timeout: float,
    behalf: tuple[str, str] | None,
) -> PeerAnswer:
    headers = {VIA_HEADER: ",".join(via)}
    if token is None and behalf is not None:
        token, headers[ON_BEHALF_HEADER] = behalf
    path = f"/api/{entry}"
    try:
        if body is None:
            query = f"?{urlencode(params)}" if params else ""
            document = get_json(url, path + query, token, headers=headers, timeout=timeout)
        else:
            document = post_json(url, path, body, token, headers=headers, timeout=timeout)
    except HgrError as exc:
        status = "unreachable" if exc.code == "E_UNREACHABLE" else "refused"
        return PeerAnswer(peer, status, None, exc.message)
    if not (
        isinstance(document, dict)
        and isinstance(document.get("responseSummary"), dict)
        and isinstance(document.get("meta", {}), dict)
    ):
        return PeerAnswer(peer, "failed", None, "the answer is not a Beacon v2 response")
    return PeerAnswer(peer, "answered", document)


def ask_peers(
    peers: dict[str, str],
    entry: str,
    params: dict[str, str],
    body: dict[str, Any] | None,
    token: str | None,
    via: list[str],
    timeout: float,
    *,
    node_tokens: Mapping[str, str] | None = None,
    on_behalf: str | None = None,
) -> list[PeerAnswer]:
    """Ask every peer not yet on ``via`` at once, by GET with ``params`` or by POST with
    ``body``; each answer, or why there is none, in the order of ``peers``.

    ``token`` is the caller's own credential where a peer can check it (:func:`forwardable`);
    without one, a peer for which ``node_tokens`` holds this node's token is asked with it
    on behalf of the caller that ``on_behalf`` describes (:func:`hgr.privacy.forwarding.on_behalf`).
    """
    chosen = {p: u for p, u in peers.items() if p not in via}
    if not chosen or len(via) >= MAX_VIA:
        return []
    onward = [*via, *chosen]  # a peer does not ask its siblings either
    tokens = node_tokens or {}

    def behalf(peer: str) -> tuple[str, str] | None:
        if on_behalf is None or peer not in tokens:
            return None
        return tokens[peer], on_behalf

    with ThreadPoolExecutor(max_workers=min(8, len(chosen))) as pool:
        futures = [
            pool.submit(_ask, peer, url, entry, params, body, token, onward, timeout, behalf(peer))
            for peer, url in chosen.items()
        ]
        return [f.result() for f in futures]


def _level(document: dict[str, Any]) -> int:
    granularity = (document.get("meta") or {}).get("returnedGranularity", "boolean")
    return LEVELS.index(granularity) if granularity in LEVELS else 0


def _count(document: dict[str, Any]) -> int:
    value = (document.get("responseSummary") or {}).get("numTotalResults", 0)
    return value if isinstance(value, int) and value >= 0 else 0


def merge(
    local: dict[str, Any], local_id: str, answers: list[PeerAnswer], requested: str
) -> dict[str, Any]:
    """This beacon's response with its peers' answers merged in (module docstring)."""
    answered = [(a.peer, a.document) for a in answers if a.document is not None]
    documents = [(local_id, local), *answered]
    level = min(
        LEVELS.index(requested) if requested in LEVELS else 0, max(_level(d) for _, d in documents)
    )
    merged: dict[str, Any] = {
        "meta": dict(local["meta"]),
        "responseSummary": {
            "exists": any(bool(d["responseSummary"].get("exists")) for _, d in documents)
        },
    }
    merged["meta"]["returnedGranularity"] = LEVELS[level]
    if level >= 1:
        merged["responseSummary"]["numTotalResults"] = sum(
            _count(d) for _, d in documents if _level(d) >= 1
        )
    if level == 2:
        sets = []
        for beacon, document in documents:
            for result_set in (document.get("response") or {}).get("resultSets", []):
                if isinstance(result_set, dict):
                    info = dict(result_set.get("info") or {})
                    info["beaconId"] = beacon
                    sets.append({**result_set, "info": info})
        merged["response"] = {"resultSets": sets}
    elif "response" in local:
        merged["response"] = {"resultSets": []}  # as the local answer gives them: none
    network = []
    for answer in [PeerAnswer(local_id, "answered", local), *answers]:
        row: dict[str, Any] = {"beaconId": answer.peer, "status": answer.status}
        if answer.document is not None:
            row["returnedGranularity"] = LEVELS[_level(answer.document)]
            row["exists"] = bool(answer.document["responseSummary"].get("exists"))
            if _level(answer.document) >= 1:
                row["numTotalResults"] = _count(answer.document)
        else:
            row["detail"] = answer.detail
        network.append(row)
    merged["info"] = {"network": network}
    return merged
