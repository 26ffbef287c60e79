"""Debarment cases: investigation, notice, representations, decision, standstill, listing,
removal; and the lookup every request goes through.

The process follows the UK Procurement Act 2023 (regulations.md §3.1): an investigation (s.60),
a notice that sets out the grounds and how to make representations, a decision with its reasons
and, for each ground, whether it is mandatory and when it is expected to cease (s.61-62), entry
only after a standstill of 8 working days (s.62(5)-(6)), proceedings that suspend entry (s.63),
appeal or removal (ss.64-65), and an entry of at most five years (Sch. 6 para 44). China's bans
under HGR Reg. Art. 43 (one to five years, or permanent) take the same road with regime
``cn-art43``. Every step is one move of :data:`LIFECYCLE` and is audited.

Working days are counted by :func:`hgr.dates.working_days_after` (Monday to Friday).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.dates import utc_now, utc_today, working_days_after, years_after
from hgr.db import next_number
from hgr.debarment.models import ControlRelation, DebarmentEntry, DebarmentStatus
from hgr.exceptions import Conflict, NotFound, ValidationFailed
from hgr.lifecycle import Lifecycle, step

__all__ = [
    "LIFECYCLE",
    "REGIMES",
    "add_control",
    "all_cases",
    "decide",
    "find_case",
    "list_entry",
    "notify",
    "open_case",
    "public_entries",
    "remove",
    "represent",
    "resume",
    "suspend",
]

REGIMES = ("hgr", "uk", "cn-art43")
STANDSTILL_WORKING_DAYS = 8  # Procurement Act 2023 s.62(6)
MAX_YEARS = 5  # Sch. 6 para 44; HGR Reg. Art. 43 (1-5 years unless permanent)

_D = DebarmentStatus
LIFECYCLE = Lifecycle(
    DebarmentStatus,
    {
        (_D.INVESTIGATION, "notify"): _D.NOTIFIED,
        (_D.NOTIFIED, "represent"): _D.NOTIFIED,
        (_D.NOTIFIED, "debar"): _D.STANDSTILL,
        (_D.NOTIFIED, "clear"): _D.CLEARED,
        (_D.STANDSTILL, "suspend"): _D.SUSPENDED,
        (_D.SUSPENDED, "resume"): _D.STANDSTILL,
        (_D.SUSPENDED, "remove"): _D.REMOVED,
        (_D.STANDSTILL, "list"): _D.LISTED,
        (_D.LISTED, "remove"): _D.REMOVED,
    },
    action="debarment",
    refused="E_DEBARMENT_STATE",
)


def _step(
    session: Session, by: Actor, entry: DebarmentEntry, name: str, detail: dict[str, object]
) -> None:
    step(
        session,
        by,
        LIFECYCLE,
        entry,
        name,
        target=f"debarment/{entry.number}",
        refusal=f"debarment case {entry.number} is {entry.status}: it cannot {name} now",
        detail=detail,
    )


def open_case(
    session: Session,
    by: Actor,
    *,
    organisation: str,
    country: str,
    identifiers: Iterable[str],
    regime: str,
    ground: str,
    mandatory: bool,
    today: dt.date | None = None,
) -> DebarmentEntry:
    """Open an investigation into an organisation (s.60). Raises ValidationFailed for a case
    without identifiers, ground or a known regime."""
    today = today or utc_today()
    names = sorted({i.strip() for i in identifiers if i.strip()})
    problems = [
        p
        for p, bad in (
            ("name the organisation's identifiers (USCC, LEI, company number…)", not names),
            (f"regime is one of {', '.join(REGIMES)}", regime not in REGIMES),
            (
                "state the ground (the Schedule paragraph or the article breached)",
                not ground.strip(),
            ),
            ("country is an ISO 3166-1 alpha-2 code", len(country) != 2 or not country.isupper()),
            ("name the organisation", not organisation.strip()),
        )
        if bad
    ]
    if problems:
        raise ValidationFailed(
            "the case cannot be opened: " + "; ".join(problems), [], code="E_DEBARMENT_CASE"
        )
    number = next_number(session, "DEB", today.year)
    entry = DebarmentEntry(
        number=f"DEB-{today.year}-{number:04d}",
        organisation=organisation.strip(),
        country=country,
        identifiers=names,
        regime=regime,
        ground=ground.strip(),
        mandatory=mandatory,
        status=DebarmentStatus.INVESTIGATION.value,
        reasons="",
        representations=[],
        opened_on=today,
        permanent=False,
        closing_note="",
        updated_at=utc_now(),
    )
    session.add(entry)
    session.flush()
    record(
        session,
        by,
        "debarment.open",
        f"debarment/{entry.number}",
        detail={"organisation": entry.organisation, "regime": regime, "mandatory": mandatory},
    )
    return entry


def all_cases(session: Session) -> list[DebarmentEntry]:
    """Every debarment case in the order it was opened, whatever it stands at."""
    return list(session.scalars(select(DebarmentEntry).order_by(DebarmentEntry.id)))


def find_case(session: Session, number: str) -> DebarmentEntry:
    entry = session.scalar(select(DebarmentEntry).where(DebarmentEntry.number == number))
    if entry is None:
        raise NotFound(f"no debarment case {number}", code="E_NO_CASE")
    return entry


def notify(
    session: Session, by: Actor, entry: DebarmentEntry, today: dt.date | None = None
) -> DebarmentEntry:
    """The notice to the organisation: the grounds and how to make representations."""
    entry.notice_on = today or utc_today()
    _step(session, by, entry, "notify", {"notice_on": entry.notice_on.isoformat()})
    return entry


def represent(
    session: Session, by: Actor, entry: DebarmentEntry, text: str, today: dt.date | None = None
) -> DebarmentEntry:
    """Record the organisation's representations."""
    if not text.strip():
        raise ValidationFailed("representations have content", [], code="E_DEBARMENT_CASE")
    on = (today or utc_today()).isoformat()
    entry.representations = [*entry.representations, {"on": on, "text": text.strip()}]
    _step(session, by, entry, "represent", {"on": on})
    return entry


def decide(
    session: Session,
    by: Actor,
    entry: DebarmentEntry,
    *,
    debar: bool,
    reasons: str,
    expected_end: dt.date | None = None,
    permanent: bool = False,
    today: dt.date | None = None,
) -> DebarmentEntry:
    """The decision, with its reasons (published: s.61). Debarment sets the expected end (at
    most five years; permanent only under HGR Reg. Art. 43) and starts the standstill."""
    today = today or utc_today()
    if not reasons.strip():
        raise ValidationFailed("a decision gives its reasons", [], code="E_DEBARMENT_REASONS")
    if debar:
        limit = years_after(today, MAX_YEARS)
        if permanent and entry.regime != "cn-art43":
            raise ValidationFailed(
                "only a ban under HGR Reg. Art. 43 may be permanent", [], code="E_DEBARMENT_END"
            )
        if not permanent and (expected_end is None or not today < expected_end <= limit):
            raise ValidationFailed(
                f"the expected end falls after today and by {limit} (five years)",
                [],
                code="E_DEBARMENT_END",
            )
        entry.expected_end = None if permanent else expected_end
        entry.permanent = permanent
        entry.standstill_ends = working_days_after(today, STANDSTILL_WORKING_DAYS)
    entry.reasons = reasons.strip()
    entry.decided_on = today
    _step(
        session,
        by,
        entry,
        "debar" if debar else "clear",
        {
            "expected_end": entry.expected_end.isoformat() if entry.expected_end else None,
            "permanent": entry.permanent,
        },
    )
    if not debar:
        entry.closed_on = today
    return entry


def list_entry(
    session: Session, by: Actor, entry: DebarmentEntry, today: dt.date | None = None
) -> DebarmentEntry:
    """Enter the organisation on the list, once the standstill has ended (s.62(5))."""
    today = today or utc_today()
    if (
        entry.status == DebarmentStatus.STANDSTILL
        and entry.standstill_ends
        and today <= entry.standstill_ends
    ):
        raise Conflict(
            f"the standstill of {entry.number} runs until {entry.standstill_ends}",
            code="E_DEBARMENT_STANDSTILL",
        )
    entry.listed_on = today
    _step(session, by, entry, "list", {"listed_on": today.isoformat()})
    return entry


def suspend(session: Session, by: Actor, entry: DebarmentEntry, note: str) -> DebarmentEntry:
    """Proceedings brought during the standstill suspend entry (s.63)."""
    entry.closing_note = note
    _step(session, by, entry, "suspend", {"note": note})
    return entry


def resume(session: Session, by: Actor, entry: DebarmentEntry, note: str) -> DebarmentEntry:
    """The proceedings ended without setting the decision aside."""
    entry.closing_note = note
    _step(session, by, entry, "resume", {"note": note})
    return entry


def remove(
    session: Session, by: Actor, entry: DebarmentEntry, note: str, today: dt.date | None = None
) -> DebarmentEntry:
    """Removal after an appeal, a quashed decision or self-cleansing (ss.64-65), with reasons."""
    if not note.strip():
        raise ValidationFailed("a removal gives its reasons", [], code="E_DEBARMENT_REASONS")
    entry.closed_on = today or utc_today()
    entry.closing_note = note.strip()
    _step(session, by, entry, "remove", {"note": note.strip()})
    return entry


def add_control(session: Session, by: Actor, controller: str, controlled: str, basis: str) -> bool:
    """Record that ``controller`` owns or controls ``controlled``; False if already known."""
    if controller == controlled or not controller.strip() or not controlled.strip():
        raise ValidationFailed(
            "a control relation joins two different identifiers", [], code="E_CONTROL"
        )
    R = ControlRelation
    known = session.scalar(select(R).where(R.controller == controller, R.controlled == controlled))
    if known is not None:
        return False
    session.add(
        ControlRelation(
            controller=controller, controlled=controlled, basis=basis, recorded_at=utc_now()
        )
    )
    record(
        session,
        by,
        "debarment.control",
        f"control/{controller}/{controlled}",
        detail={"basis": basis},
    )
    return True


def in_force(entry: DebarmentEntry, today: dt.date) -> bool:
    """Whether a listed entry still applies on ``today``."""
    return entry.status == DebarmentStatus.LISTED and (
        entry.permanent or (entry.expected_end is not None and today <= entry.expected_end)
    )


PUBLIC_COLUMNS = (
    "number",
    "organisation",
    "country",
    "identifiers",
    "regime",
    "ground",
    "mandatory",
    "reasons",
    "decided_on",
    "listed_on",
    "expected_end",
    "permanent",
)


def public_entries(session: Session, today: dt.date | None = None) -> list[dict[str, object]]:
    """The published list: every entry in force, with its ground and reasons."""
    today = today or utc_today()
    rows = []
    for e in session.scalars(
        select(DebarmentEntry)
        .where(DebarmentEntry.status == DebarmentStatus.LISTED.value)
        .order_by(DebarmentEntry.number)
    ):
        if in_force(e, today):
            rows.append(
                {
                    "number": e.number,
                    "organisation": e.organisation,
                    "country": e.country,
                    "identifiers": list(e.identifiers),
                    "regime": e.regime,
                    "ground": e.ground,
                    "mandatory": e.mandatory,
                    "reasons": e.reasons,
                    "decided_on": e.decided_on.isoformat() if e.decided_on else None,
                    "listed_on": e.listed_on.isoformat() if e.listed_on else None,
                    "expected_end": e.expected_end.isoformat() if e.expected_end else None,
                    "permanent": e.permanent,
                }
            )
    return rows
