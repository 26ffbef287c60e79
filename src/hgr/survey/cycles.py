"""Survey cycles: opened by the national authority, every five years or when needed.

A cycle fixes the period surveyed, the reference date counts are taken at, the deadlines of
each level and the data dictionary (IR Arts. 21-23; regulations.md CN-SUR-2 to CN-SUR-4). Its
definition is itself a signed document (kind ``cycle``), so that institution and province
nodes can check that the cycle they answer is the one the nation opened.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.crypto import Signer, Verifier
from hgr.dates import utc_now
from hgr.exceptions import Conflict, NotFound, UsageError
from hgr.federation.documents import Envelope, envelope_of, sign_document, store_document
from hgr.federation.models import SignedDocument
from hgr.survey.dictionary import DEFAULT_DICTIONARY, DataDictionary
from hgr.survey.models import SurveyCycle

__all__ = [
    "CycleDates",
    "cycle_dictionary",
    "cycle_envelope",
    "cycle_facts",
    "default_dates",
    "get_cycle",
    "import_cycle",
    "open_cycle",
]

CYCLE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
FIVE_YEARS = 5  # IR Art. 22: a national survey once every five years, and when needed
CYCLE_KINDS = ("five_year", "ad_hoc")


@dataclass(frozen=True)
class CycleDates:
    """The period surveyed, the date counts refer to, and each level's deadline."""

    period_start: dt.date
    period_end: dt.date
    reference_date: dt.date
    institution_due: dt.date
    province_due: dt.date
    national_due: dt.date

    def problems(self) -> list[str]:
        found = []
        if self.period_start > self.period_end:
            found.append("the period ends before it starts")
        if not self.period_start <= self.reference_date:
            found.append("the reference date falls before the period starts")
        if not self.institution_due <= self.province_due <= self.national_due:
            found.append("deadlines must run institution, then province, then nation")
        if self.institution_due < self.reference_date:
            found.append("institutions are due before the reference date")
        return found


def default_dates(reference_date: dt.date, kind: str = "five_year") -> CycleDates:
    """The usual calendar: five years (or one, ad hoc) up to the reference date; then three
    months for institutions, two more for provinces and three for the nation."""
    years = FIVE_YEARS if kind == "five_year" else 1
    start = reference_date.replace(year=reference_date.year - years) + dt.timedelta(days=1)
    return CycleDates(
        period_start=start,
        period_end=reference_date,
        reference_date=reference_date,
        institution_due=reference_date + dt.timedelta(days=90),
        province_due=reference_date + dt.timedelta(days=150),
        national_due=reference_date + dt.timedelta(days=240),
    )


def _cycle_body(
    code: str, kind: str, title: str, nation: str, dates: CycleDates, dictionary: DataDictionary
) -> dict[str, object]:
    return {
        "kind": "cycle",
        "cycle": code,
        "subject": nation,
        "version": 1,
        "replaces": None,
        "cycle_kind": kind,
        "title": title,
        **{name: getattr(dates, name).isoformat() for name in CycleDates.__dataclass_fields__},
        "dictionary": dictionary.as_dict(),
    }


def open_cycle(
    session: Session,
    signer: Signer,
    by: Actor,
    code: str,
    *,
    dates: CycleDates,
    kind: str = "five_year",
    title: str = "",
    nation: str = "CN",
    dictionary: DataDictionary = DEFAULT_DICTIONARY,
) -> SurveyCycle:
    """Open cycle ``code`` and sign its definition as the nation's survey authority."""
    if not CYCLE_CODE.match(code):
        raise UsageError(
            f"cycle code {code!r}: use letters, digits, '.', '_' or '-'", code="E_CYCLE"
        )
    if kind not in CYCLE_KINDS:
        raise UsageError(f"cycle kind {kind!r}: use five_year or ad_hoc", code="E_CYCLE")
    problems = dates.problems()
    if problems:
        raise UsageError(f"cycle {code}: {'; '.join(problems)}", code="E_CYCLE_DATES")
    if session.scalar(select(SurveyCycle.id).where(SurveyCycle.code == code)) is not None:
        raise Conflict(f"cycle {code} is already open", code="E_CYCLE_EXISTS")
    title = title or f"National survey of human genetic resources {code}"
    envelope = sign_document(signer, _cycle_body(code, kind, title, nation, dates, dictionary))
    return import_cycle(session, by, envelope, [signer.verifier])


def import_cycle(
    session: Session, by: Actor, envelope: Envelope, verifiers: list[Verifier]
) -> SurveyCycle:
    """Keep a cycle definition signed by the nation (on this node or received from it)."""
    content = envelope.content
    if content["kind"] != "cycle":
        raise UsageError(f"a {content['kind']} document is not a cycle", code="E_CYCLE")
    document = store_document(session, by, envelope, verifiers)
    found = session.scalar(select(SurveyCycle).where(SurveyCycle.code == document.cycle))
    if found is not None:
        return found
    dates = {name: dt.date.fromisoformat(content[name]) for name in CycleDates.__dataclass_fields__}
    cycle = SurveyCycle(
        code=document.cycle,
        kind=content["cycle_kind"],
        title=content["title"],
        dictionary=content["dictionary"],
        document_sha256=document.sha256,
        opened_at=utc_now(),
        **dates,
    )
    session.add(cycle)
    session.flush()
    record(
        session,
        by,
        "survey.cycle.open",
        f"survey/{cycle.code}",
        detail={
            "kind": cycle.kind,
            "reference_date": cycle.reference_date.isoformat(),
            "dictionary": content["dictionary"]["version"],
        },
    )
    return cycle


def get_cycle(session: Session, code: str) -> SurveyCycle:
    """Cycle ``code``, or NotFound naming the cycles there are."""
    cycle = session.scalar(select(SurveyCycle).where(SurveyCycle.code == code))
    if cycle is None:
        known = session.scalars(select(SurveyCycle.code).order_by(SurveyCycle.id)).all()
        raise NotFound(
            f"no survey cycle {code!r} (open: {', '.join(known) or 'none'})", code="E_NO_CYCLE"
        )
    return cycle


def cycle_envelope(session: Session, code: str) -> Envelope:
    """The signed definition of cycle ``code``, to send to provinces and institutions."""
    cycle = get_cycle(session, code)
    document = session.scalar(
        select(SignedDocument).where(SignedDocument.sha256 == cycle.document_sha256)
    )
    assert document is not None, "a cycle is kept with its signed definition"
    return envelope_of(document)


def cycle_facts(cycle: SurveyCycle) -> dict[str, str]:
    """What a report says of a cycle: title, kind and dates (ISO)."""
    facts = {"code": cycle.code, "title": cycle.title, "kind": cycle.kind}
    return facts | {
        name: getattr(cycle, name).isoformat() for name in CycleDates.__dataclass_fields__
    }


def cycle_dictionary(cycle: SurveyCycle) -> DataDictionary:
    return DataDictionary.from_dict(cycle.dictionary, f"cycle {cycle.code}")
