"""Database foundation: the declarative base, engines, sessions and migrations."""

from hgr.db.base import Base
from hgr.db.engine import Database, after_commit, upgrade_schema

__all__ = ["Base", "Database", "after_commit", "upgrade_schema"]
