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
    "MAX_COST",
    "RANGE_UNIT",
    "WIDEST_RANGE",
    "QuestionsExhausted",
    "admit_federated",
    "admit_holders",
    "admit_questions",
    "charge_at_ledger",
    "charge_here",
    "charge_question",
    "is_federated",
    "parse_charge",
    "question_cap",
    "question_caps",
    "question_cost",
    "question_hash",
    "questions_exhausted",
]

# Questions per day: (per identity, per organisation), by tier.
DAILY_QUESTIONS = {
    Tier.ANONYMOUS: (200, 200),
    Tier.REGISTERED: (2_000, 10_000),
    Tier.CONTROLLED: (20_000, 100_000),
}

# A question whose answer decides alleles below the controlled tier (a g_variants question, or
# an individuals or biosamples question by variant) costs one question per RANGE_UNIT bases it
# spans, charged before it is answered, and may span at most WIDEST_RANGE bases. The cost is
# set by the question alone, never by what the store holds: a cost counted from the alleles
# in a range would make a refusal at the edge of a cap tell where alleles are, a private
# singleton's too. With the 1000 Genomes' density (about one allele in 40 bases) a unit pays
# for a couple of dozen decisions, so one anonymous question decides a few hundred alleles
# at most, not a contig's tens of thousands: a sweep can no longer spend every donor's
# evidence budget in one go, for everyone after it (security.md T3).
RANGE_UNIT = 1_000
WIDEST_RANGE = {
    Tier.ANONYMOUS: 10_000,
    Tier.REGISTERED: 100_000,
    Tier.CONTROLLED: 100_000,
}
MAX_COST = max(WIDEST_RANGE.values()) // RANGE_UNIT  # the most one question can cost

# Holders every node of the federation knows by the same name: a forwarding node is named by
# the institution, province or nation its accounts are scoped to (hgr.privacy.forwarding).
FEDERATED = ("id:passport:", "id:oidc:", "org:", "node:")


class QuestionsExhausted(RateLimited):
    """The daily question cap is reached; the refusal depends on nothing but the count."""

    code = "E_BEACON_BUDGET"


def question_cost(span: int, tier: Tier | None) -> int:
    """What a question about ``span`` bases costs: one question per started RANGE_UNIT.
    ``tier`` is the asker's where the answer decides alleles (it caps the span), None where
    it does not (a controlled requester's records).

    Raises
    ------
    UsageError
        The span is wider than the tier's WIDEST_RANGE (E_BEACON_RANGE).
    """
    if tier is not None and span > WIDEST_RANGE[tier]:
        widest = WIDEST_RANGE[tier]
        raise UsageError(
            f"the question spans {span:,} bases; below the controlled tier a question spans at "
            f"most {widest:,} at the {tier.name.lower()} tier, and costs one of the day's "
            f"questions per {RANGE_UNIT:,} bases: narrow it, or ask in parts",
            code="E_BEACON_RANGE",
        )
    return min(MAX_COST, max(1, -(-span // RANGE_UNIT)))


def question_cap(holder: str, tier: Tier) -> int:
    """A holder's daily questions at ``tier``: an identity's own allowance; an organisation's,
    or a forwarding node's (the sum over everyone it vouches for), the shared one."""
    identity_cap, shared_cap = DAILY_QUESTIONS[tier]
    return identity_cap if holder.startswith("id:") else shared_cap


def question_caps(requester: Requester, tier: Tier | None = None) -> list[tuple[str, int]]:
    """Every holder the requester's questions are charged to, with its daily cap at ``tier``
    (the requester's own by default)."""
    tier = requester.tier if tier is None else tier
    return [(h, question_cap(h, tier)) for h in requester.holders]


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
    limits = _one_cap_each(limits)
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


def _take_all(
    session: Session, limits: Sequence[tuple[str, int]], day: dt.date, count: int
) -> bool:
    """``count`` questions taken from every holder where each cap has room for all of
    them, or none taken."""
    if _take(session, limits, day, count):
        return True
    insert_missing(
        session,
        BeaconRequesterBudget,
        [{"holder": holder, "day": day, "questions": 0} for holder, _ in limits],
    )
    return _take(session, limits, day, count)


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


def parse_charge(body: object) -> tuple[list[str], Tier, str, int]:
    """A ledger request's holders, tier, question hash and cost (1 when not given).

    Raises
    ------
    UsageError
        A field is missing or malformed, or a holder is not a federated one.
    """
    keys = {"holders", "tier", "question"}
    if not isinstance(body, dict) or not keys <= set(body) <= keys | {"cost"}:
        raise UsageError(
            "the body must be an object with holders, tier and question (and cost)",
            code="E_LEDGER_REQUEST",
        )
    cost = body.get("cost", 1)
    if isinstance(cost, bool) or not isinstance(cost, int) or not 1 <= cost <= MAX_COST:
        raise UsageError(f"cost must be a whole number 1 to {MAX_COST}", code="E_LEDGER_REQUEST")
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
    return list(dict.fromkeys(holders)), Tier[tier.upper()], question, cost


def question_hash(question: str) -> str:
    return hashlib.sha256(question.encode()).hexdigest()


def admit_federated(
    session: Session,
    holders: Sequence[str],
    tier: Tier,
    day: dt.date,
    question: str,
    cost: int = 1,
) -> bool:
    """Count the question (its hash) once a day against each federated holder's cap, at its
    cost: on this node, which is the ledger. True when every holder has it admitted (or had
    it before)."""
    return _admit(session, [], _limits(holders, tier), day, question, cost)


def _limits(holders: Sequence[str], tier: Tier) -> list[tuple[str, int]]:
    return [(h, question_cap(h, tier)) for h in holders]


def _admit(
    session: Session,
    local: list[tuple[str, int]],
    federated: list[tuple[str, int]],
    day: dt.date,
    question: str,
    cost: int = 1,
) -> bool:
    """Charge the question's cost to every local holder, and to each federated one that has
    not been charged this question (its hash) today; False, with nothing charged, when a cap
    cannot pay it whole. Two statements in the common case (the question noted, the caps
    taken), and a third where a federated holder asked the question before that day (its
    count read against this tier's cap)."""
    F = _QUESTIONS.c
    # A question is counted once a day per holder at its cost; one costing more than when it
    # was counted is another question to the ledger, so that no node can have a wide
    # question counted cheaply first (at a node where it decides nothing) for the others.
    if cost != 1:
        question = hashlib.sha256(f"{question}\n{cost}".encode()).hexdigest()
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
    # A question counted already (at another node, perhaps under a higher tier's cap) is
    # not counted again, but its holder must still be within this tier's cap: a grant at
    # one node does not lift the caps at the others.
    repeated = [(h, cap) for h, cap in federated if h not in new]
    within = not repeated or _within(session, repeated, day)
    if within and (not limits or _take_all(session, _one_cap_each(limits), day, cost)):
        return True
    if new:
        connection.execute(
            delete(_QUESTIONS).where(
                F.day == day, F.question == question, F.holder.in_(sorted(new))
            )
        )
    return False


def _within(session: Session, limits: Sequence[tuple[str, int]], day: dt.date) -> bool:
    """Whether every holder's questions today are within its cap (holder, cap)."""
    rows = session.connection().execute(_USED, {"on_day": day, "holders": [h for h, _ in limits]})
    used = {str(holder): int(questions) for holder, questions in rows}
    return all(used.get(holder, 0) <= cap for holder, cap in limits)


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
    *,
    cost: int = 1,
    tier: Tier | None = None,
) -> None:
    """Charge a question's ``cost`` against the requester's daily caps at ``tier`` (the
    requester's own by default), whole or not at all, or refuse it: holders only this node
    knows here, federated ones at the ledger (``ledger``, or this node when it is None).

    Raises
    ------
    QuestionsExhausted
        A cap cannot pay the cost. The refusal is the same whatever was asked.
    LedgerUnreachable
        The ledger did not answer.
    """
    if ledger is not None:
        charge_at_ledger(ledger, requester, day, question, cost=cost, tier=tier)
    charge_here(session, requester, day, question, cost=cost, tier=tier, ledger_here=ledger is None)


def charge_here(
    session: Session,
    requester: Requester,
    day: dt.date,
    question: str,
    *,
    cost: int = 1,
    tier: Tier | None = None,
    ledger_here: bool = True,
) -> None:
    """:func:`charge_question`'s charges on this node: the holders only it knows, and the
    federated ones too where it keeps the ledger (``ledger_here``).

    Raises
    ------
    QuestionsExhausted
        A cap cannot pay the cost.
    """
    caps = question_caps(requester, requester.tier if tier is None else tier)
    local = [(h, cap) for h, cap in caps if not is_federated(h)]
    federated = [(h, cap) for h, cap in caps if is_federated(h)] if ledger_here else []
    if not _admit(session, local, federated, day, question_hash(question), cost):
        raise questions_exhausted(day)


def charge_at_ledger(
    ledger: RemoteLedger,
    requester: Requester,
    day: dt.date,
    question: str,
    *,
    cost: int = 1,
    tier: Tier | None = None,
) -> None:
    """:func:`charge_question`'s charges at the federation's ledger on another node, for the
    holders the whole federation knows: a call over the network, made outside any
    transaction by a server.

    Raises
    ------
    QuestionsExhausted
        A cap cannot pay the cost.
    LedgerUnreachable
        The ledger did not answer.
    """
    tier = requester.tier if tier is None else tier
    federated = [h for h, _ in question_caps(requester, tier) if is_federated(h)]
    if federated and not ledger.admit(federated, tier.name.lower(), question_hash(question), cost):
        raise questions_exhausted(day)


def _one_cap_each(limits: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """One cap per holder, the lowest: a holder named twice would be charged twice."""
    caps: dict[str, int] = {}
    for holder, cap in limits:
        caps[holder] = min(cap, caps.get(holder, cap))
    return list(caps.items())
