"""Database foundation: the declarative base, engines, sessions and migrations."""

from hgr.db.base import Base
from hgr.db.engine import Database, after_commit, busy, is_busy, upgrade_schema
from hgr.db.numbering import NumberCounter, next_number
from hgr.db.seals import seal_key

__all__ = [
    "Base",
    "Database",
    "NumberCounter",
    "after_commit",
    "busy",
    "is_busy",
    "next_number",
    "seal_key",
    "upgrade_schema",
]
