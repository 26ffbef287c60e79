"""The debarment process, the lookup through control relations, and the published list."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from hgr.audit import Actor
from hgr.dates import working_days_after
from hgr.db import Database
from hgr.debarment import (
    add_control,
    decide,
    entries_csv,
    list_entry,
    notify,
    open_case,
    public_entries,
    remove,
    represent,
    resume,
    suspend,
)
from hgr.debarment.models import DebarmentEntry
from hgr.exceptions import Conflict, ValidationFailed
from hgr.organisations import screen_party
from hgr.web.debarment import entries_html

ACTOR = Actor("test", "national_officer")
MONDAY = dt.date(2026, 11, 23)
PARENT = "LEI:5493001KJTIIGC8Y1R12"


def _case(session, regime: str = "uk", mandatory: bool = True) -> DebarmentEntry:  # type: ignore[no-untyped-def]
    return open_case(
        session,
        ACTOR,
        organisation="Example Sequencing Holdings",
        country="GB",
        identifiers=[PARENT, " CH:01234567 "],
        regime=regime,
        ground="Sch. 6 para 35: threat to national security",
        mandatory=mandatory,
        today=MONDAY,
    )


def _listed(session, **kw) -> DebarmentEntry:  # type: ignore[no-untyped-def]
    entry = _case(session, **kw)
    notify(session, ACTOR, entry, today=MONDAY)
    represent(session, ACTOR, entry, "We dispute the facts.", today=MONDAY)
    decide(
        session,
        ACTOR,
        entry,
        debar=True,
        reasons="Genomic data was passed to a third party.",
        expected_end=dt.date(2028, 11, 23),
        today=MONDAY,
    )
    list_entry(session, ACTOR, entry, today=dt.date(2026, 12, 10))
    return entry


def test_working_days_skip_weekends() -> None:
    assert working_days_after(dt.date(2026, 11, 27), 8) == dt.date(2026, 12, 9)  # a Friday
    assert working_days_after(MONDAY, 8) == dt.date(2026, 12, 3)


def test_the_process_from_investigation_to_listing(db: Database) -> None:
    with db.transaction() as session:
        entry = _case(session)
        assert (entry.number, entry.status) == ("DEB-2026-0001", "investigation")
        assert entry.identifiers == ["CH:01234567", PARENT]
        with pytest.raises(Conflict, match="cannot debar now"):
            decide(
                session,
                ACTOR,
                entry,
                debar=True,
                reasons="r",
                expected_end=dt.date(2027, 1, 1),
                today=MONDAY,
            )
        notify(session, ACTOR, entry, today=MONDAY)
        represent(session, ACTOR, entry, "We dispute the facts.", today=MONDAY)
        decide(
            session,
            ACTOR,
            entry,
            debar=True,
            reasons="Genomic data was passed on.",
            expected_end=dt.date(2028, 11, 23),
            today=MONDAY,
        )
        assert (entry.status, entry.standstill_ends) == ("standstill", dt.date(2026, 12, 3))
        with pytest.raises(Conflict, match="standstill"):
            list_entry(session, ACTOR, entry, today=dt.date(2026, 12, 3))
        assert screen_party(session, [PARENT], "", MONDAY).level == "none"
        list_entry(session, ACTOR, entry, today=dt.date(2026, 12, 4))
        assert entry.status == "listed"
        found = screen_party(session, ["CH:01234567"], "", dt.date(2027, 1, 1))
        assert (found.level, found.cn_ban, found.entries) == (
            "mandatory",
            False,
            ("DEB-2026-0001",),
        )
        # After its expected end an entry is no longer in force nor published.
        assert screen_party(session, [PARENT], "", dt.date(2028, 11, 24)).level == "none"
        assert public_entries(session, dt.date(2028, 11, 24)) == []


def test_the_list_reaches_controlled_entities(db: Database) -> None:
    with db.transaction() as session:
        _listed(session, mandatory=False)
        add_control(session, ACTOR, PARENT, "USCC:91110000MA00000001", "100% shareholding")
        add_control(session, ACTOR, "USCC:91110000MA00000001", "LAB-7", "board control")
        assert not add_control(session, ACTOR, PARENT, "USCC:91110000MA00000001", "again")
        today = dt.date(2027, 1, 1)
        assert screen_party(session, ["LAB-7"], "", today).level == "discretionary"
        assert screen_party(session, ["OTHER"], "", today).level == "none"
        # Control runs downward only: a debarred subsidiary does not reach its parent.
        with pytest.raises(ValidationFailed, match="two different"):
            add_control(session, ACTOR, "X", "X", "self")


def test_a_permanent_ban_is_chinas_and_says_so(db: Database) -> None:
    with db.transaction() as session:
        entry = _case(session, regime="uk")
        notify(session, ACTOR, entry, today=MONDAY)
        with pytest.raises(ValidationFailed, match=r"Art\. 43"):
            decide(session, ACTOR, entry, debar=True, reasons="r", permanent=True, today=MONDAY)
        with pytest.raises(ValidationFailed, match="five years"):
            decide(
                session,
                ACTOR,
                entry,
                debar=True,
                reasons="r",
                expected_end=dt.date(2031, 11, 24),
                today=MONDAY,
            )
        with pytest.raises(ValidationFailed, match="reasons"):
            decide(
                session,
                ACTOR,
                entry,
                debar=True,
                reasons=" ",
                expected_end=dt.date(2027, 1, 1),
                today=MONDAY,
            )
        ban = _case(session, regime="cn-art43")
        notify(session, ACTOR, ban, today=MONDAY)
        decide(
            session,
            ACTOR,
            ban,
            debar=True,
            reasons="Art. 41: provision abroad.",
            permanent=True,
            today=MONDAY,
        )
        list_entry(session, ACTOR, ban, today=dt.date(2026, 12, 4))
        found = screen_party(session, [PARENT], "", dt.date(2040, 1, 1))
        assert (found.level, found.cn_ban) == ("mandatory", True)


def test_clearing_suspension_and_removal(db: Database) -> None:
    with db.transaction() as session:
        cleared = _case(session)
        notify(session, ACTOR, cleared, today=MONDAY)
        decide(
            session,
            ACTOR,
            cleared,
            debar=False,
            reasons="The ground is not made out.",
            today=MONDAY,
        )
        assert (cleared.status, cleared.closed_on) == ("cleared", MONDAY)
        challenged = _case(session)
        notify(session, ACTOR, challenged, today=MONDAY)
        decide(
            session,
            ACTOR,
            challenged,
            debar=True,
            reasons="r",
            expected_end=dt.date(2027, 6, 1),
            today=MONDAY,
        )
        suspend(session, ACTOR, challenged, "Proceedings issued under s.63.")
        with pytest.raises(Conflict):
            list_entry(session, ACTOR, challenged, today=dt.date(2027, 1, 1))
        resume(session, ACTOR, challenged, "Claim dismissed.")
        list_entry(session, ACTOR, challenged, today=dt.date(2027, 1, 1))
        with pytest.raises(ValidationFailed, match="reasons"):
            remove(session, ACTOR, challenged, "")
        remove(session, ACTOR, challenged, "Self-cleansing shown (s.65).")
        assert challenged.status == "removed"
        assert screen_party(session, [PARENT], "", dt.date(2027, 2, 1)).level == "none"


def test_bad_cases_are_refused(db: Database) -> None:
    with db.transaction() as session:
        with pytest.raises(ValidationFailed) as info:
            open_case(
                session,
                ACTOR,
                organisation="",
                country="gb",
                identifiers=[" "],
                regime="fr",
                ground="",
                mandatory=True,
            )
        message = info.value.message
        for part in ("identifiers", "regime", "ground", "ISO", "name the organisation"):
            assert part in message
        entry = notify(session, ACTOR, _case(session), today=MONDAY)
        with pytest.raises(ValidationFailed, match="content"):
            represent(session, ACTOR, entry, " ")


def test_the_published_list(db: Database) -> None:
    with db.transaction() as session:
        _listed(session)
        rows = public_entries(session, dt.date(2027, 1, 1))
    assert [r["number"] for r in rows] == ["DEB-2026-0001"]
    table = list(csv.DictReader(io.StringIO(entries_csv(rows))))
    assert table[0]["identifiers"] == f"CH:01234567;{PARENT}"
    assert table[0]["mandatory"] == "True"
    page = entries_html(rows, issuer="National authority", today=dt.date(2027, 1, 1))
    assert "Genomic data was passed to a third party." in page
    assert "mandatory" in page
    assert "No organisation" in entries_html([], issuer="N", today=dt.date(2027, 1, 1))
    assert "<script>" not in entries_html(
        [{**rows[0], "reasons": "<script>x</script>"}], issuer="N", today=dt.date(2027, 1, 1)
    )
