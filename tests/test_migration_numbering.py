"""Migration 0018 numbers the events a node already holds, integrated or waiting, without a
hole or a repeat: an upgrade of a node whose last imports were never checkpointed."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from hgr.db import upgrade_schema


def test_waiting_events_are_numbered_in_order(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    upgrade_schema(url, "0017")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for n in range(5):
            connection.execute(
                sa.text(
                    "INSERT INTO audit_event (at, actor, role, action, target, outcome, grounds, "
                    "request_id, detail, body) VALUES ('2026-01-01', 'a', 'r', 'x', :t, 'ok', '', "
                    "'', '{}', :b)"
                ),
                {"t": f"t{n}", "b": f"body{n}"},
            )
        connection.execute(
            sa.text(
                "INSERT INTO audit_leaf (seq, event_id, hash) VALUES (0, 1, x'00'), (1, 2, x'01')"
            )
        )
    engine.dispose()
    upgrade_schema(url)  # before, it failed on the unique index: the three waiting got one seq
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        numbered = connection.execute(sa.text("SELECT id, seq FROM audit_event ORDER BY id"))
        assert [tuple(row) for row in numbered] == [(1, 0), (2, 1), (3, 2), (4, 3), (5, 4)]
    engine.dispose()
