"""The node's clock, and the calendar arithmetic the rules need: working days, and months and
years that keep the day.

Every date the node compares (a consent's time limit, an approval's validity, a request's
expiry, a day's question cap, a year's privacy budget) is a date in UTC, read from
:func:`utc_now`. A node in Beijing and one in London then agree on which day a question was
charged to, and a deployment's local time zone cannot move a deadline.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["as_utc", "months_after", "utc_now", "utc_today", "working_days_after", "years_after"]


def utc_now() -> dt.datetime:
    """This moment, in UTC (timezone-aware)."""
    return dt.datetime.now(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC. SQLite hands back naive datetimes; everything the node stores is
    UTC (ASVS 16.2.2), so a naive one is read as UTC."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def utc_today() -> dt.date:
    """Today's date in UTC."""
    return utc_now().date()


def working_days_after(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days (Monday to Friday) after ``start``. Public holidays are
    not known to hgr, so a period that spans one ends a day early for each."""
    current = start
    while days:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it has no such day
    (31 January + 1 month = 28 or 29 February)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def years_after(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (28 February for 29 February in a common year)."""
    return months_after(day, 12 * years)
