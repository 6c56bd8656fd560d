"""Processed activities are indexed by age, for the housekeeping sweep.

bot/housekeeping.py deletes those past their retention, oldest first, without reading the whole
table.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_processed_activities_processed_at", "processed_activities",
                    ["processed_at"])


def downgrade() -> None:
    op.drop_index("ix_processed_activities_processed_at", "processed_activities")
