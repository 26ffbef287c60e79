"""Alembic environment: runs migrations against the URL set by hgr.db.upgrade_schema.

This is the one module that sees every table of every package (for autogenerate), so it is
exempt from the layering rule in tests/test_architecture.py.
"""

from alembic import context
from sqlalchemy import create_engine

from hgr.db.base import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "upgrade_schema sets sqlalchemy.url"
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
