"""The lifecycle: delegations, renewals and reviews linked to their exception, decisions made on
someone's behalf, and approved exceptions recorded as active.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "delegations",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("delegator_id", sa.String(), nullable=False),
        sa.Column("delegate_id", sa.String(), nullable=False),
        sa.Column("starts_at", UTC_TIME, nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("ends_at", UTC_TIME, nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("ended_at", UTC_TIME, nullable=True),
        sa.Column("ended_by", sa.String(), nullable=False),
    )
    op.create_index("uq_delegations_running", "delegations", ["delegator_id"], unique=True,
                    sqlite_where=sa.text("ended_at IS NULL"),
                    postgresql_where=sa.text("ended_at IS NULL"))
    op.create_index("ix_delegations_delegate_id", "delegations", ["delegate_id"])
    for name, default in (("stand_ins", "[]"), ("renews", ""), ("reviews", "")):
        kind = sa.Text() if name == "stand_ins" else sa.String()
        op.add_column("requests", sa.Column(name, kind, nullable=False, server_default=default))
    for name in ("on_behalf_id", "on_behalf_name"):
        op.add_column("decisions", sa.Column(name, sa.String(), nullable=False,
                                             server_default=""))
    # An approved exception is active until its expiry (DESIGN.md); older rows said approved.
    op.execute("UPDATE requests SET state = 'active' "
               "WHERE kind = 'exception' AND state = 'approved'")


def downgrade() -> None:
    op.execute("UPDATE requests SET state = 'approved' "
               "WHERE kind = 'exception' AND state = 'active'")
    with op.batch_alter_table("decisions") as batch:
        for name in ("on_behalf_name", "on_behalf_id"):
            batch.drop_column(name)
    with op.batch_alter_table("requests") as batch:
        for name in ("reviews", "renews", "stand_ins"):
            batch.drop_column(name)
    op.drop_index("ix_delegations_delegate_id", "delegations")
    op.drop_index("uq_delegations_running", "delegations")
    op.drop_table("delegations")
