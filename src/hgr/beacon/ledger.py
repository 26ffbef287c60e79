"""The federation's question ledger: daily question caps summed over every node.

A node's own caps (:func:`hgr.beacon.disclosure.admit_questions`) count what is asked of it.
An identity the whole federation knows (a GA4GH Passport or OIDC subject) or an organisation
could ask each node its full allowance; security.md T3 asks for budgets per identity summed
across the federation, which colluding accounts cannot multiply. So those holders are charged
at one node, the ledger (normally the national node; ``[beacon] ledger`` names it on the
others): a question from ``passport:…``, ``oidc:…`` or an organisation counts once a day
against the holder's cap, at whichever node it is asked, however many nodes of the network
it reaches (the network passes the same question and the same JWT to every peer, so the
ledger knows the question by its hash and counts it once). Identities only one node knows (its
own API tokens, anonymous addresses) are counted there.

If the ledger cannot be reached the question is refused, the same way whatever was asked:
an unreachable ledger must not lift the caps.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hgr.beacon.disclosure import admit_holders, question_cap, question_caps, questions_exhausted
from hgr.beacon.exposure import Requester, Tier
from hgr.beacon.models import BeaconFederatedQuestion
from hgr.config import Settings
from hgr.exceptions import HgrError, RateLimited, UsageError
from hgr.federation import post_json, read_token_file

__all__ = [
    "FEDERATED",
    "LEDGER_PATH",
    "LedgerUnreachable",
    "RemoteLedger",
    "admit_federated",
    "charge_question",
    "is_federated",
    "parse_charge",
    "question_hash",
]

LEDGER_PATH = "/beacon/ledger/questions"
# Holders every node of the federation knows by the same name: a forwarding node is named by
# the institution, province or nation its accounts are scoped to (hgr.beacon.forwarding).
FEDERATED = ("id:passport:", "id:oidc:", "org:", "node:")


class LedgerUnreachable(RateLimited):
    """The federation's question ledger did not answer; the question is refused unasked."""

    code = "E_LEDGER_UNREACHABLE"


def is_federated(holder: str) -> bool:
    return holder.startswith(FEDERATED)


def parse_charge(body: object) -> tuple[list[str], Tier, str]:
    """A ledger request's holders, tier and question hash.

    Raises
    ------
    UsageError
        A field is missing or malformed, or a holder is not a federated one.
    """
    if not isinstance(body, dict) or set(body) != {"holders", "tier", "question"}:
        raise UsageError(
            "the body must be an object with holders, tier and question", code="E_LEDGER_REQUEST"
        )
    holders, tier, question = body["holders"], body["tier"], body["question"]
    if (
        not isinstance(holders, list)
        or not 0 < len(holders) <= 4
        or not all(
            isinstance(h, str) and is_federated(h) and len(h) <= 400 and h.isprintable()
            for h in holders
        )
    ):
        raise UsageError(
            f"holders must be 1 to 4 printable names starting {', '.join(FEDERATED)}",
            code="E_LEDGER_REQUEST",
        )
    if tier not in ("anonymous", "registered", "controlled"):
        raise UsageError(
            "tier must be anonymous, registered or controlled", code="E_LEDGER_REQUEST"
        )
    if not isinstance(question, str) or not re.fullmatch(r"[0-9a-f]{64}", question):
        raise UsageError("question must be a SHA-256 in hex", code="E_LEDGER_REQUEST")
    return list(dict.fromkeys(holders)), Tier[tier.upper()], question


def question_hash(question: str) -> str:
    return hashlib.sha256(question.encode()).hexdigest()


def admit_federated(
    session: Session, holders: Sequence[str], tier: Tier, day: dt.date, question: str
) -> bool:
    """Count the question (its hash) once a day against each federated holder's cap: on this
    node, which is the ledger. True when every holder has it admitted (or had it before)."""
    return _admit(session, [], _limits(holders, tier), day, question)


def _limits(holders: Sequence[str], tier: Tier) -> list[tuple[str, int]]:
    return [(h, question_cap(h, tier)) for h in holders]


def _admit(
    session: Session,
    local: list[tuple[str, int]],
    federated: list[tuple[str, int]],
    day: dt.date,
    question: str,
) -> bool:
    """Charge one question to every local holder, and to each federated one that has not
    been charged this question (its hash) today; False, with nothing charged, when a cap is
    reached. Two statements in the common case: the question noted, the caps taken."""
    F = _QUESTIONS.c
    new: set[str] = set()
    connection = session.connection()
    note = _note_question(connection.dialect.name)
    for holder, _cap in federated:
        # RETURNING gives the row when this statement inserted it: the holder is new to the
        # question. A concurrent request inserting the same row makes this one wait for its
        # outcome.
        values = {"day": day, "holder": holder, "question": question}
        new.update(connection.execute(note, values).scalars())
    limits = local + [(h, cap) for h, cap in federated if h in new]
    if not limits or admit_holders(session, limits, day, 1) > 0:
        return True
    if new:
        connection.execute(
            delete(_QUESTIONS).where(
                F.day == day, F.question == question, F.holder.in_(sorted(new))
            )
        )
    return False


_QUESTIONS = cast(Table, BeaconFederatedQuestion.__table__)


@cache
def _note_question(dialect: str) -> Any:
    """``INSERT .. ON CONFLICT DO NOTHING RETURNING holder`` for one question and holder,
    built once: it runs on every question."""
    make = postgresql_insert if dialect == "postgresql" else sqlite_insert
    F = _QUESTIONS.c
    return (
        make(_QUESTIONS)
        .values(day=bindparam("day"), holder=bindparam("holder"), question=bindparam("question"))
        .on_conflict_do_nothing()
        .returning(F.holder)
    )


@dataclass(frozen=True)
class RemoteLedger:
    """The ledger node, as this node reaches it."""

    url: str
    token: str
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteLedger | None:
        """The ledger ``[beacon]`` names, or None when this node keeps its own.

        Raises
        ------
        ConfigurationError
            The token file cannot be read or is empty.
        """
        beacon = settings.beacon
        if not beacon.ledger:
            return None
        token = read_token_file(
            settings.home, beacon.ledger_token_file, "[beacon] ledger_token_file"
        )
        return cls(beacon.ledger, token, beacon.timeout_seconds)

    def admit(self, holders: Sequence[str], tier: Tier, question: str) -> bool:
        """Whether the ledger admits the question for every holder.

        Raises
        ------
        LedgerUnreachable
            The ledger did not answer, or not as a ledger does.
        """
        try:
            answer = post_json(
                self.url,
                LEDGER_PATH,
                {"holders": list(holders), "tier": tier.name.lower(), "question": question},
                self.token,
                timeout=self.timeout,
            )
        except HgrError as exc:
            raise LedgerUnreachable(
                f"the federation's question ledger did not answer ({exc.code}); ask again later",
                retry_after=60,
            ) from None
        if not isinstance(answer, dict) or not isinstance(answer.get("admitted"), bool):
            raise LedgerUnreachable(
                "the federation's question ledger gave no answer; ask again later", retry_after=60
            )
        return bool(answer["admitted"])


def charge_question(
    session: Session,
    requester: Requester,
    day: dt.date,
    question: str,
    ledger: RemoteLedger | None = None,
) -> None:
    """Count one question against the requester's daily caps, or refuse it: holders only
    this node knows here, federated ones at the ledger (``ledger``, or this node when it is
    None).

    Raises
    ------
    QuestionsExhausted
        A cap is reached. The refusal is the same whatever was asked.
    LedgerUnreachable
        The ledger did not answer.
    """
    caps = question_caps(requester)
    local = [(h, cap) for h, cap in caps if not is_federated(h)]
    federated = [(h, cap) for h, cap in caps if is_federated(h)]
    if ledger is None:  # this node keeps the ledger: every cap in one go
        if not _admit(session, local, federated, day, question_hash(question)):
            raise questions_exhausted(day)
        return
    if local and admit_holders(session, local, day, 1) == 0:
        raise questions_exhausted(day)
    if federated and not ledger.admit(
        [h for h, _ in federated], requester.tier, question_hash(question)
    ):
        raise questions_exhausted(day)
