"""Requests remember their decision rule, the steps they need, and their deadline.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("requests", sa.Column("rule", sa.String(), nullable=False,
                                        server_default="any"))
    op.add_column("requests", sa.Column("steps", sa.Text(), nullable=False,
                                        server_default="[]"))
    op.add_column("requests", sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("requests", sa.Column("escalation_level", sa.Integer(), nullable=False,
                                        server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        for column in ("escalation_level", "due_at", "steps", "rule"):
            batch.drop_column(column)
