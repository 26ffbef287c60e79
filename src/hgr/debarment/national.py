"""The nation's debarment list, distributed to every node as a signed, versioned document.

The national node signs its published list (the entries in force, with identifiers, grounds
and reasons) as a survey-style document of kind ``debarment`` (hgr.federation.documents): each
version names the digest of the one it replaces, is kept in the append-only document table,
and is recorded in the audit log, so a copy rolled back to an older version is seen. Every
other node fetches it, checks it against the nation's key (``hgr survey trust --level nation``)
and applies its entries alongside its own (hgr.organisations.screening). An institution or
province node refuses outbound decisions while its copy is older than ``[access]
debarment_list_max_days`` (7 by default), or while it holds none, and says why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hgr.audit import Actor
from hgr.crypto import Signer, Verifier
from hgr.dates import utc_now
from hgr.debarment.cases import public_entries
from hgr.exceptions import Conflict, FormatError, IntegrityBroken, PolicyDenied
from hgr.federation.documents import (
    Envelope,
    latest_anchored,
    latest_documents,
    sign_document,
    store_document,
    trusted_verifiers,
)
from hgr.federation.models import SignedDocument

__all__ = [
    "KIND",
    "ListCopy",
    "held_list",
    "held_national_entries",
    "publish_national_list",
    "receive_national_list",
    "require_fresh_list",
]

KIND = "debarment"
CYCLE = "debarment"  # the chain's "cycle": one chain per nation, not per survey cycle
OUTBOUND = ("provide", "open_use", "export_material")


@dataclass(frozen=True)
class ListCopy:
    """The national list a node holds: whose, which version, issued when."""

    nation: str
    version: int
    issued_at: dt.datetime
    sha256: str
    entries: int

    def age_days(self, now: dt.datetime) -> float:
        return (now - self.issued_at).total_seconds() / 86_400

    def describe(self) -> str:
        return (
            f"the national debarment list of {self.nation}, version {self.version}, issued "
            f"{self.issued_at.date().isoformat()} ({self.entries} entries)"
        )


def publish_national_list(
    session: Session, signer: Signer, by: Actor, nation: str
) -> SignedDocument:
    """Sign and keep the next version of the nation's list: every entry in force now."""
    latest = latest_documents(session, KIND, CYCLE, [nation]).get(nation)
    now = utc_now()
    body = {
        "kind": KIND,
        "cycle": CYCLE,
        "subject": nation,
        "version": 1 if latest is None else latest.version + 1,
        "replaces": None if latest is None else latest.sha256,
        "issued_at": now.isoformat(timespec="seconds"),
        "entries": public_entries(session, now.date()),
    }
    return store_document(session, by, sign_document(signer, body), [signer.verifier])


def receive_national_list(
    session: Session, by: Actor, sent: Any, own: Verifier | None = None
) -> SignedDocument:
    """Keep a copy of the nation's list after checking it against the nation's trusted key.

    Raises
    ------
    FormatError
        Not a signed debarment list.
    IntegrityBroken
        The signature does not verify under a key trusted for the nation.
    Conflict
        A version older than the one held (E_LIST_OLDER), or one that does not follow it.
    """
    envelope = Envelope.from_dict(sent, "debarment list")
    content = envelope.content
    if content.get("kind") != KIND or content.get("cycle") != CYCLE:
        raise FormatError(
            "this is not a signed national debarment list (kind debarment)", code="E_LIST_FORMAT"
        )
    nation = str(content["subject"])
    keys = trusted_verifiers(session, "nation", nation) + ([own] if own else [])
    why = envelope.check(keys)
    if why:
        raise IntegrityBroken(
            f"the debarment list of {nation}: {why}; trust the nation's key "
            "first (hgr survey trust --level nation)",
            code="E_SIGNATURE",
        )
    held = latest_documents(session, KIND, CYCLE, [nation]).get(nation)
    if held is not None and held.sha256 != envelope.sha256 and content["version"] <= held.version:
        raise Conflict(
            f"the debarment list offered is version {content['version']}, older "
            f"than version {held.version} held here: nothing changed",
            code="E_LIST_OLDER",
        )
    return store_document(session, by, envelope, keys)


def held_list(session: Session, nation: str) -> tuple[ListCopy, list[dict[str, Any]]] | None:
    """The latest national list held (refused when the audit log knows a later one), with
    its entries; None when the node holds none."""
    document = latest_anchored(session, KIND, CYCLE, nation)
    if document is None:
        return None
    content = Envelope(
        document.body, document.sha256, document.signer, document.key_id, document.signature
    ).content
    issued = dt.datetime.fromisoformat(str(content["issued_at"]))
    entries = list(content.get("entries") or [])
    return ListCopy(nation, document.version, issued, document.sha256, len(entries)), entries


def held_national_entries(session: Session, today: dt.date) -> list[dict[str, Any]]:
    """The entries of every national list held here that are still in force on ``today``."""
    out: list[dict[str, Any]] = []
    for nation in latest_documents(session, KIND, CYCLE):
        found = held_list(session, nation)
        if found is not None:
            out += [e for e in found[1] if _in_force(e, today)]
    return out


def _in_force(entry: dict[str, Any], today: dt.date) -> bool:
    end = entry.get("expected_end")
    return bool(entry.get("permanent")) or (bool(end) and dt.date.fromisoformat(str(end)) >= today)


def require_fresh_list(
    session: Session, nation: str, action: str, max_days: int, now: dt.datetime | None = None
) -> ListCopy | None:
    """Refuse an outbound request while the node's copy of the national list is missing or
    older than ``max_days``; the copy applied otherwise (None for other actions).

    Raises
    ------
    PolicyDenied
        E_LIST_STALE, naming the copy held and how to fetch a new one.
    """
    if action not in OUTBOUND:
        return None
    now = now or utc_now()
    found = held_list(session, nation)
    if found is None:
        raise PolicyDenied(
            f"this node holds no copy of the national debarment list of {nation}, "
            "and decides nothing outbound without it: fetch it (hgr debarment "
            "fetch URL)",
            code="E_LIST_STALE",
        )
    copy = found[0]
    if copy.age_days(now) > max_days:
        raise PolicyDenied(
            f"{copy.describe()} is {copy.age_days(now):.0f} days old, more than "
            f"the {max_days} allowed for outbound decisions: fetch the current "
            "one (hgr debarment fetch URL)",
            code="E_LIST_STALE",
        )
    return copy
