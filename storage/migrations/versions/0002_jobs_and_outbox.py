"""Due jobs (reminders, escalations, expiry) and the outbox of messages owed to Teams.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _work_columns() -> list[sa.Column[Any]]:
    """The columns a claimable queue needs, in both tables."""
    return [
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_TIME, nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("claimed_at", UTC_TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("request_id", sa.String(), nullable=False),
        sa.Column("due_at", UTC_TIME, nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        *_work_columns(),
        sa.Column("done_at", UTC_TIME, nullable=True),
        sa.UniqueConstraint("key", name="uq_jobs_key"),
    )
    op.create_index("ix_jobs_state_next_attempt_at", "jobs", ["state", "next_attempt_at"])
    op.create_index("ix_jobs_request_id_state", "jobs", ["request_id", "state"])

    op.create_table(
        "outbox",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("request_id", sa.String(), nullable=False),
        sa.Column("recipient_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        *_work_columns(),
        sa.Column("sent_at", UTC_TIME, nullable=True),
        sa.Column("activity_id", sa.String(), nullable=True),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    op.create_index("ix_outbox_state_next_attempt_at", "outbox", ["state", "next_attempt_at"])
    op.create_index("ix_outbox_request_id", "outbox", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_request_id", table_name="outbox")
    op.drop_index("ix_outbox_state_next_attempt_at", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_jobs_request_id_state", table_name="jobs")
    op.drop_index("ix_jobs_state_next_attempt_at", table_name="jobs")
    op.drop_table("jobs")
