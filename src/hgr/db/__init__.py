"""Database foundation: the declarative base, engines, sessions and migrations."""

from hgr.db.base import Base
from hgr.db.engine import Database, upgrade_schema

__all__ = ["Base", "Database", "upgrade_schema"]
