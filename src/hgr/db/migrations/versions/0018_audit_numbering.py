"""audit log: a gapless number for every event, given in commit order

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 01:30:00

Every event gets ``seq``, 0, 1, 2, ... with no hole, in the order the events committed. The
tree's leaves follow that order, so a deleted event, integrated or not, leaves a hole that
``verify`` reports (a rolled-back transaction takes no number).

On PostgreSQL the number is given at commit by a deferred constraint trigger that counts in
``audit_counter``: the counter's row lock is held only from the trigger to the end of the
commit, so writers queue for it only while they commit. SQLite has one writer at a time, and
the event takes ``max(seq) + 1`` when it is inserted.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The append-only guard now lets one UPDATE through: the numbering trigger's, which sets
# ``seq`` on a row that has none and changes nothing else.
PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION hgr_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Nested: PL/pgSQL does not promise to stop at the first false operand, and a row
    -- trigger's OLD does not exist under TRUNCATE.
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_event' THEN
        IF OLD.seq IS NULL AND NEW.seq IS NOT NULL
           AND (to_jsonb(NEW) - 'seq') = (to_jsonb(OLD) - 'seq') THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END $$
"""

PG_NUMBER = """
CREATE FUNCTION hgr_audit_number() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    taken bigint;
BEGIN
    INSERT INTO audit_counter (id, next) VALUES (1, 1)
        ON CONFLICT (id) DO UPDATE SET next = audit_counter.next + 1
        RETURNING next - 1 INTO taken;
    UPDATE audit_event SET seq = taken WHERE id = NEW.id;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "audit_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next", _BigId, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_counter")),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", _BigId, nullable=True))
    # Events already in the tree keep their leaf's place; the pending ones follow by id.
    op.execute(
        "UPDATE audit_event SET seq = (SELECT seq FROM audit_leaf "
        "WHERE audit_leaf.event_id = audit_event.id)"
    )
    # Numbered one by one: SQLite's UPDATE sees the rows it has already changed, so a
    # subquery counting the unnumbered ones would give them all the same number.
    bind = op.get_bind()
    last = bind.execute(sa.text("SELECT coalesce(max(seq), -1) FROM audit_event")).scalar_one()
    pending = bind.execute(sa.text("SELECT id FROM audit_event WHERE seq IS NULL ORDER BY id"))
    numbers = [{"id": event_id, "seq": last + 1 + n} for n, (event_id,) in enumerate(pending)]
    if numbers:
        bind.execute(sa.text("UPDATE audit_event SET seq = :seq WHERE id = :id"), numbers)
    op.execute(
        "INSERT INTO audit_counter (id, next) SELECT 1, coalesce(max(seq), -1) + 1 FROM audit_event"
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_seq"), ["seq"], unique=True)
    if postgres:
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
        op.execute(PG_APPEND_ONLY)
        op.execute(PG_NUMBER)
        op.execute(
            "CREATE CONSTRAINT TRIGGER audit_event_number AFTER INSERT ON audit_event "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hgr_audit_number()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event BEGIN SELECT "
            "RAISE(ABORT, 'the audit log is append-only: UPDATE on audit_event refused'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_number ON audit_event")
        op.execute("DROP FUNCTION hgr_audit_number()")
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_seq"))
        batch_op.drop_column("seq")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION hgr_audit_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the audit log is append-only: "
            "% on % refused', TG_OP, TG_TABLE_NAME; END $$"
        )
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
    op.drop_table("audit_counter")
