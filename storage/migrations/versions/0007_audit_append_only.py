"""The audit table refuses UPDATE, DELETE and TRUNCATE: rows can only be added.

On PostgreSQL a statement trigger raises for UPDATE, DELETE and TRUNCATE; on SQLite (which has
no TRUNCATE) BEFORE UPDATE and BEFORE DELETE triggers abort. A superuser or the table's owner
can still drop or disable them: that is why the production app role must not own the table
(docs/readme/audit.md), and why the hash chain is checked anyway (`signoff audit verify`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "audit_events is append-only"

POSTGRES_UP = (
    f"""
    CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSAL}: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
    """,
)
POSTGRES_DOWN = (
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
    "DROP FUNCTION IF EXISTS audit_events_append_only()",
)
SQLITE_UP = tuple(
    f"""
    CREATE TRIGGER IF NOT EXISTS audit_events_no_{op_name.lower()}
    BEFORE {op_name} ON audit_events
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}: {op_name} refused'); END
    """
    for op_name in ("UPDATE", "DELETE")
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS audit_events_no_update",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRES_UP if dialect == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRES_DOWN if dialect == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
