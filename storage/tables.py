"""SQLModel tables. Times are timezone-aware UTC (see `UTCDateTime`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, Integer, Table, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.sqltypes import UTCDateTime

# SQLite gives AUTOINCREMENT-like ids only to a column declared exactly INTEGER PRIMARY KEY.
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class RequestRow(SQLModel, table=True):
    __tablename__ = "requests"
    __table_args__ = (
        UniqueConstraint("kind", "number", name="uq_requests_kind_number"),
        Index("ix_requests_asset_state", "asset_name", "state"),
        Index("ix_requests_requester_state", "requester_id", "state"),
        Index("ix_requests_state", "state"),
    )

    id: str = Field(primary_key=True)
    kind: str
    number: int
    asset_name: str
    title: str
    justification: str = Field(sa_type=Text)
    risk: str | None = None
    controls: str = Field(default="", sa_type=Text)
    expires_on: date | None = None
    change_ref: str = Field(default="", sa_type=Text)
    rollback_of: str = Field(default="", sa_type=Text)
    emergency: bool = False
    requester_id: str
    requester_name: str
    deciders: str = Field(sa_type=Text)  # JSON list, routing order kept
    rule: str = Field(default="any", sa_column_kwargs={"server_default": "any"})
    # JSON list of {"role", "eligible", "approved_by"}: the approvals the request needs
    steps: str = Field(default="[]", sa_type=Text, sa_column_kwargs={"server_default": "[]"})
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalation_level: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # JSON list of [delegator, delegate] pairs in force on the request (migration 0004)
    stand_ins: str = Field(default="[]", sa_type=Text, sa_column_kwargs={"server_default": "[]"})
    renews: str = Field(default="", sa_column_kwargs={"server_default": ""})
    reviews: str = Field(default="", sa_column_kwargs={"server_default": ""})
    state: str
    version: int
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class DecisionRow(SQLModel, table=True):
    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_request_id", "request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(foreign_key="requests.id")
    outcome: str
    comment: str = Field(default="", sa_type=Text)
    decider_id: str
    decider_name: str
    decided_at: datetime = Field(sa_type=UTCDateTime)
    on_behalf_id: str = Field(default="", sa_column_kwargs={"server_default": ""})
    on_behalf_name: str = Field(default="", sa_column_kwargs={"server_default": ""})


class NoteRow(SQLModel, table=True):
    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_request_id", "request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(foreign_key="requests.id")
    author_id: str
    author_name: str
    kind: str
    text: str = Field(sa_type=Text)
    at: datetime = Field(sa_type=UTCDateTime)


class RequestCounterRow(SQLModel, table=True):
    __tablename__ = "request_counters"

    kind: str = Field(primary_key=True)
    last: int = 0


class AuditEventRow(SQLModel, table=True):
    """Append-only; `hash` chains each row to the one inserted before it."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_request_id", "request_id"),
        UniqueConstraint("hash", name="uq_audit_events_hash"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    request_id: str | None = None
    action: str
    outcome: str
    actor_id: str
    actor_name: str
    at: datetime = Field(sa_type=UTCDateTime)
    channel: str
    conversation_id: str | None = None
    activity_id: str | None = None
    detail: str = Field(default="{}", sa_type=Text)  # canonical JSON object
    prev_hash: str
    hash: str


class ConversationRefRow(SQLModel, table=True):
    __tablename__ = "conversation_refs"

    aad_object_id: str = Field(primary_key=True)  # lower-case
    user_id: str
    user_name: str
    tenant_id: str
    channel_id: str
    service_url: str
    conversation_id: str
    conversation_type: str
    bot_id: str
    bot_name: str
    updated_at: datetime = Field(sa_type=UTCDateTime)


class CardMessageRow(SQLModel, table=True):
    __tablename__ = "card_messages"
    __table_args__ = (Index("ix_card_messages_request_id", "request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(foreign_key="requests.id")
    recipient_aad: str
    role: str
    conversation_id: str
    activity_id: str
    service_url: str
    created_at: datetime = Field(sa_type=UTCDateTime)


class DialogStateRow(SQLModel, table=True):
    __tablename__ = "dialog_state"

    key: str = Field(primary_key=True)
    etag: str
    data: str = Field(sa_type=Text)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class JobRow(SQLModel, table=True):
    """Due work. `next_attempt_at` is when it may run next (`due_at`, later after a failure);
    a `running` row whose `claimed_at` is older than the lease belongs to a lost worker."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("key", name="uq_jobs_key"),
        Index("ix_jobs_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_jobs_request_id_state", "request_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    key: str
    kind: str
    request_id: str
    due_at: datetime = Field(sa_type=UTCDateTime)
    detail: str = Field(default="{}", sa_type=Text)  # JSON object of strings
    state: str = "pending"  # pending | running | done | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = None
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)


class OutboxRow(SQLModel, table=True):
    """A message owed to Teams, written with the state change that owes it; a relay sends it."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("key", name="uq_outbox_key"),
        Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_outbox_request_id", "request_id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    key: str
    request_id: str
    recipient_id: str
    kind: str
    detail: str = Field(default="{}", sa_type=Text)  # JSON object of strings
    created_at: datetime = Field(sa_type=UTCDateTime)
    state: str = "pending"  # pending | running | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = None
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    activity_id: str | None = None


class DelegationRow(SQLModel, table=True):
    """A person's decisions going to a delegate for a while; at most one running per person."""

    __tablename__ = "delegations"
    __table_args__ = (
        Index("uq_delegations_running", "delegator_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
        Index("ix_delegations_delegate_id", "delegate_id"),
    )

    id: str = Field(primary_key=True)
    delegator_id: str
    delegate_id: str
    starts_at: datetime = Field(sa_type=UTCDateTime)
    until: date
    ends_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_by: str = ""


class ProcessedActivityRow(SQLModel, table=True):
    """An activity that acted (a submit, a decision, an answer), written in the transaction of
    its effect: the same activity delivered again is recognised and acts no more."""

    __tablename__ = "processed_activities"
    # bot/housekeeping.py deletes rows past their retention by age
    __table_args__ = (Index("ix_processed_activities_processed_at", "processed_at"),)

    key: str = Field(primary_key=True)  # channel | conversation id | activity id
    request_id: str
    action: str
    processed_at: datetime = Field(sa_type=UTCDateTime)


class CatalogSnapshotRow(SQLModel, table=True):
    """An imported catalog, whole, in the native layout (canonical JSON); the newest is used."""

    __tablename__ = "catalog_snapshots"

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    created_at: datetime = Field(sa_type=UTCDateTime)
    imported_by: str
    source: str = Field(sa_type=Text)
    format: str
    sha256: str
    counts: str = Field(default="{}", sa_type=Text)  # JSON object: people, teams, assets
    content: str = Field(sa_type=Text)


metadata = SQLModel.metadata


def table_of(name: str) -> Table:
    """The core Table behind a model, for statements the ORM has no words for (upserts)."""
    return metadata.tables[name]
