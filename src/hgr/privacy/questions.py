"""Question caps: how many new questions each identity and organisation may ask a day, here
and across the federation.

Caps are checked before any data is read, so that a refusal says nothing about the data
(security.md T3). A node's own caps (:func:`admit_questions`) count what is asked of it.

An identity the whole federation knows (a GA4GH Passport or OIDC subject) or an organisation
could ask each node its full allowance; security.md T3 asks for budgets per identity summed
across the federation, which colluding accounts cannot multiply. So those holders are charged
at one node, the ledger (normally the national node; ``[beacon] ledger`` names it on the
others): a question from ``passport:…``, ``oidc:…`` or an organisation counts once a day
against the holder's cap, at whichever node it is asked, however many nodes of the network
it reaches (the network passes the same question and the same JWT to every peer, so the
ledger knows the question by its hash and counts it once). Identities only one node knows (its
own API tokens, anonymous addresses) are counted there. The other nodes reach the ledger
through :class:`hgr.federation.ledger.RemoteLedger`.

If the ledger cannot be reached the question is refused, the same way whatever was asked:
an unreachable ledger must not lift the caps.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any, cast

from sqlalchemy import Integer, Table, and_, bindparam, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hgr.dates import utc_now
from hgr.db.inserts import insert_missing
from hgr.exceptions import RateLimited, UsageError
from hgr.federation.ledger import RemoteLedger
from hgr.privacy.exposure import Requester, Tier
from hgr.privacy.models import BeaconFederatedQuestion, BeaconRequesterBudget

__all__ = [
    "DAILY_QUESTIONS",
    "FEDERATED",
    "QuestionsExhausted",
    "admit_federated",
    "admit_holders",
    "admit_questions",
    "charge_question",
    "is_federated",
    "parse_charge",
    "question_cap",
    "question_caps",
    "question_hash",
    "questions_exhausted",
]

# Questions per day: (per identity, per organisation), by tier.
DAILY_QUESTIONS = {
    Tier.ANONYMOUS: (200, 200),
    Tier.REGISTERED: (2_000, 10_000),
    Tier.CONTROLLED: (20_000, 100_000),
}

# Holders every node of the federation knows by the same name: a forwarding node is named by
# the institution, province or nation its accounts are scoped to (hgr.privacy.forwarding).
FEDERATED = ("id:passport:", "id:oidc:", "org:", "node:")


class QuestionsExhausted(RateLimited):
    """The daily question cap is reached; the refusal depends on nothing but the count."""

    code = "E_BEACON_BUDGET"


def question_cap(holder: str, tier: Tier) -> int:
    """A holder's daily questions at ``tier``: an identity's own allowance; an organisation's,
    or a forwarding node's (the sum over everyone it vouches for), the shared one."""
    identity_cap, shared_cap = DAILY_QUESTIONS[tier]
    return identity_cap if holder.startswith("id:") else shared_cap


def question_caps(requester: Requester) -> list[tuple[str, int]]:
    """Every holder the requester's questions are charged to, with its daily cap."""
    return [(h, question_cap(h, requester.tier)) for h in requester.holders]


def admit_questions(session: Session, requester: Requester, day: dt.date, count: int) -> int:
    """Count up to ``count`` new questions against the requester's daily caps, and return how
    many the caps admit (the first ones asked)."""
    return admit_holders(session, question_caps(requester), day, count)


def admit_holders(
    session: Session, limits: Sequence[tuple[str, int]], day: dt.date, count: int
) -> int:
    """Count up to ``count`` questions against each holder's daily cap (holder, cap), and
    return how many every cap admits (the same number is charged to each)."""
    if count <= 0:
        return 0
    # One cap per holder: a holder named twice would otherwise be charged twice.
    caps: dict[str, int] = {}
    for holder, cap in limits:
        caps[holder] = min(cap, caps.get(holder, cap))
    limits = list(caps.items())
    if not limits:
        return count
    if _take(session, limits, day, count):
        return count  # the common case: every holder's row exists and has room for them all
    # A holder's first question of the day, or a cap too near for all of them: read what is
    # left, and take the most that every cap admits.
    insert_missing(
        session,
        BeaconRequesterBudget,
        [{"holder": holder, "day": day, "questions": 0} for holder, _ in limits],
    )
    rows = session.connection().execute(_USED, {"on_day": day, "holders": [h for h, _ in limits]})
    used = {str(holder): int(questions) for holder, questions in rows}
    admitted = max(0, min([count, *(limit - used.get(h, 0) for h, limit in limits)]))
    if admitted and _take(session, limits, day, admitted):
        return admitted
    return 0  # none left, or a concurrent request took them first


def _take(session: Session, limits: Sequence[tuple[str, int]], day: dt.date, count: int) -> bool:
    """``count`` questions taken from every holder, in one statement, where each holder's row
    exists and has room for them; False (and nothing taken) otherwise.

    One conditional update, atomic on both databases: on PostgreSQL the rows are locked as
    they are updated, so two concurrent requests cannot both take the last question.
    """
    # On the table rather than the mapped class: this runs on every question, and the ORM's
    # bulk-update machinery costs more than the statement.
    connection = session.connection()
    values: dict[str, object] = {"on_day": day, "count": count}
    for n, (holder, limit) in enumerate(limits):
        values[f"holder{n}"], values[f"limit{n}"] = holder, limit
    taken = connection.execute(_take_statement(len(limits)), values).scalars().all()
    if len(taken) == len(limits):
        return True
    if taken:  # undo, rather than a savepoint round trip on every question
        B = _BUDGETS.c
        connection.execute(
            update(_BUDGETS)
            .where(B.day == day, B.holder.in_(list(taken)))
            .values(questions=B.questions - count)
        )
    return False


@lru_cache(maxsize=8)
def _take_statement(holders: int) -> Any:
    """``UPDATE .. SET questions = questions + :count .. RETURNING holder`` for ``holders``
    holders, each under its own limit; built once per number of holders."""
    B = _BUDGETS.c
    count = bindparam("count", type_=Integer)
    room = or_(
        *(
            and_(B.holder == bindparam(f"holder{n}"), B.questions + count <= bindparam(f"limit{n}"))
            for n in range(holders)
        )
    )
    return (
        update(_BUDGETS)
        .where(B.day == bindparam("on_day"), room)
        .values(questions=B.questions + count)
        .returning(B.holder)
    )


_BUDGETS = cast(Table, BeaconRequesterBudget.__table__)
_USED = select(_BUDGETS.c.holder, _BUDGETS.c.questions).where(
    _BUDGETS.c.day == bindparam("on_day"),
    _BUDGETS.c.holder.in_(bindparam("holders", expanding=True)),
)


def questions_exhausted(day: dt.date) -> QuestionsExhausted:
    """The refusal of a question over a daily cap: the same whatever was asked."""
    tomorrow = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
    wait = int((tomorrow - utc_now()).total_seconds())
    return QuestionsExhausted(
        "this beacon's daily question allowance is used up; ask again tomorrow",
        retry_after=max(1, wait),
        code="E_BEACON_BUDGET",
    )


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
        [h for h, _ in federated], requester.tier.name.lower(), question_hash(question)
    ):
        raise questions_exhausted(day)
