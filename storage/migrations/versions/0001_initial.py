"""Initial schema: requests, decisions, notes, counters, audit, conversations, cards, dialogs.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("asset_name", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("risk", sa.String(), nullable=True),
        sa.Column("controls", sa.Text(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("change_ref", sa.Text(), nullable=False),
        sa.Column("rollback_of", sa.Text(), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("requester_id", sa.String(), nullable=False),
        sa.Column("requester_name", sa.String(), nullable=False),
        sa.Column("deciders", sa.Text(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.UniqueConstraint("kind", "number", name="uq_requests_kind_number"),
    )
    op.create_index("ix_requests_asset_state", "requests", ["asset_name", "state"])
    op.create_index("ix_requests_requester_state", "requests", ["requester_id", "state"])
    op.create_index("ix_requests_state", "requests", ["state"])

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.String(), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("decider_id", sa.String(), nullable=False),
        sa.Column("decider_name", sa.String(), nullable=False),
        sa.Column("decided_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_decisions_request_id", "decisions", ["request_id"])

    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.String(), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("author_id", sa.String(), nullable=False),
        sa.Column("author_name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_notes_request_id", "notes", ["request_id"])

    op.create_table(
        "request_counters",
        sa.Column("kind", sa.String(), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )

    op.create_table(
        "audit_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
        ),
        sa.Column("request_id", sa.String(), nullable=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("actor_id", sa.String(), nullable=False),
        sa.Column("actor_name", sa.String(), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("conversation_id", sa.String(), nullable=True),
        sa.Column("activity_id", sa.String(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.UniqueConstraint("hash", name="uq_audit_events_hash"),
    )
    op.create_index("ix_audit_events_request_id", "audit_events", ["request_id"])

    op.create_table(
        "conversation_refs",
        sa.Column("aad_object_id", sa.String(), primary_key=True),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("user_name", sa.String(), nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("service_url", sa.String(), nullable=False),
        sa.Column("conversation_id", sa.String(), nullable=False),
        sa.Column("conversation_type", sa.String(), nullable=False),
        sa.Column("bot_id", sa.String(), nullable=False),
        sa.Column("bot_name", sa.String(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )

    op.create_table(
        "card_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.String(), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("recipient_aad", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("conversation_id", sa.String(), nullable=False),
        sa.Column("activity_id", sa.String(), nullable=False),
        sa.Column("service_url", sa.String(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_card_messages_request_id", "card_messages", ["request_id"])

    op.create_table(
        "dialog_state",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("etag", sa.String(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dialog_state")
    op.drop_index("ix_card_messages_request_id", table_name="card_messages")
    op.drop_table("card_messages")
    op.drop_table("conversation_refs")
    op.drop_index("ix_audit_events_request_id", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("request_counters")
    op.drop_index("ix_notes_request_id", table_name="notes")
    op.drop_table("notes")
    op.drop_index("ix_decisions_request_id", table_name="decisions")
    op.drop_table("decisions")
    op.drop_index("ix_requests_state", table_name="requests")
    op.drop_index("ix_requests_requester_state", table_name="requests")
    op.drop_index("ix_requests_asset_state", table_name="requests")
    op.drop_table("requests")
