"""Numbers that people quote (REQ-2026-00017, DEB-2026-0003), given by the database.

A number was once taken as "how many this year, plus one", which two transactions read alike:
of eight simultaneous submissions, seven failed on the unique number. Each series and year now
has a counter row that ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING`` moves on atomically, on
PostgreSQL and SQLite alike: a sequence that restarts every year, which PostgreSQL's own
sequences cannot do without DDL. The row stays locked until the transaction ends, so writers of
one series take their numbers in turn; a rolled-back transaction gives its number back.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from hgr.db.base import Base

__all__ = ["NumberCounter", "next_number"]


class NumberCounter(Base):
    """The last number given in one series (``REQ``, ``DEB``) in one year."""

    __tablename__ = "number_counter"

    series: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(BigInteger)


def next_number(session: Session, series: str, year: int) -> int:
    """The next number of ``series`` in ``year`` (1, 2, 3 ...), in ``session``'s transaction."""
    make = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    counted = (
        make(NumberCounter)
        .values(series=series, year=year, last=1)
        .on_conflict_do_update(
            index_elements=["series", "year"], set_={"last": NumberCounter.last + 1}
        )
        .returning(NumberCounter.last)
    )
    return int(session.execute(counted).scalar_one())
