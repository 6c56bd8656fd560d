"""The audit trail's hash chain: its canonical form, and the walk that finds where it breaks.

Canonical form of an event (version 1; changing it breaks every stored chain, so don't):
  1. An object of exactly these keys: action, activity_id, actor_id, actor_name, at, channel,
     conversation_id, detail, outcome, prev_hash, request_id. The row id is not in it: an
     event's place is proven by `prev_hash`, and ids may skip (a rolled-back insert on
     PostgreSQL still takes a sequence number).
  2. `at` is the UTC time as ISO 8601 with microseconds and a `+00:00` offset,
     e.g. `2026-03-02T09:30:15.123456+00:00`. Absent values are JSON `null`.
  3. `detail` is the event's detail as a JSON object (string values), not as stored text.
  4. Serialised as JSON with keys sorted at every level, separators `,` and `:` (no spaces),
     non-ASCII characters kept as they are (no `\\u` escapes), then encoded as UTF-8.
  5. hash = lowercase hex SHA-256 of those bytes; the first event's prev_hash is 64 zeros.

Standard library only.
"""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class ChainRecord:
    """An audit event as stored: what is hashed, plus its id and stored hash."""

    id: int
    request_id: str | None
    action: str
    outcome: str
    actor_id: str
    actor_name: str
    at: datetime
    channel: str
    conversation_id: str | None
    activity_id: str | None
    detail: str  # JSON object text
    prev_hash: str
    hash: str


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no spaces, non-ASCII kept: the one serialisation that is hashed
    (json.dumps with these options, one encoder for every call)."""
    return _CANONICAL.encode(value)


def utc_iso(moment: datetime) -> str:
    """A timezone-aware time as UTC ISO 8601 with microseconds; a naive time is refused."""
    if moment.utcoffset() is None:
        raise ValueError(f"naive time {moment.isoformat()} in the audit chain")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_form(record: ChainRecord) -> bytes:
    """The bytes an event's hash is taken over (the module docstring states the rules)."""
    fields = {
        "request_id": record.request_id, "action": record.action, "outcome": record.outcome,
        "actor_id": record.actor_id, "actor_name": record.actor_name, "at": utc_iso(record.at),
        "channel": record.channel, "conversation_id": record.conversation_id,
        "activity_id": record.activity_id, "detail": json.loads(record.detail),
        "prev_hash": record.prev_hash,
    }
    return canonical_json(fields).encode("utf-8")


def event_hash(record: ChainRecord) -> str:
    """SHA-256 of the canonical form, as lowercase hex."""
    return sha256(canonical_form(record)).hexdigest()


def recomputed_hash(record: ChainRecord) -> str | None:
    """The hash the record's content gives, or None when its detail is no longer JSON."""
    try:
        return event_hash(record)
    except ValueError:  # detail edited into something that is not JSON
        return None


class BreakKind(enum.StrEnum):
    EDITED = "edited"  # its content no longer gives its stored hash
    MISSING = "missing"  # it links to a hash no stored event has: events before it are gone
    REORDERED = "reordered"  # it links to an event that is stored, but elsewhere in the chain
    CHECKPOINT_MISSING = "checkpoint_missing"  # the checkpointed event is gone
    CHECKPOINT_DIFFERS = "checkpoint_differs"  # it is there, but not as it was checkpointed


@dataclass(frozen=True)
class ChainBreak:
    """The first event that does not fit, and why."""

    kind: BreakKind
    event_id: int | None
    at: datetime | None
    explanation: str


@dataclass(frozen=True)
class ChainReport:
    """The result of a walk: how many events held, the last one that did, the first break."""

    count: int  # events that held before the break (all of them when intact)
    head: ChainRecord | None  # the last event that held
    broken: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.broken is None


FindByHash = Callable[[str], Awaitable[ChainRecord | None]]


async def walk_chain(records: AsyncIterable[ChainRecord], find_by_hash: FindByHash) -> ChainReport:
    """Every event, in id order, must hash to its stored hash and link to the one before it."""
    expected_prev, count, head = GENESIS_HASH, 0, None
    async for record in records:
        broken = await _break_at(record, expected_prev, head, find_by_hash)
        if broken is not None:
            return ChainReport(count, head, broken)
        expected_prev, count, head = record.hash, count + 1, record
    return ChainReport(count, head, None)


async def _break_at(
    record: ChainRecord, expected_prev: str, before: ChainRecord | None, find_by_hash: FindByHash
) -> ChainBreak | None:
    if recomputed_hash(record) != record.hash:
        return ChainBreak(BreakKind.EDITED, record.id, record.at, (
            f"event {record.id} ({record.action}) was edited: its content no longer gives "
            "its stored hash"))
    if record.prev_hash == expected_prev:
        return None
    after = f"event {before.id}" if before is not None else "the start of the chain"
    linked = await find_by_hash(record.prev_hash)
    if linked is not None:
        return ChainBreak(BreakKind.REORDERED, record.id, record.at, (
            f"event {record.id} ({record.action}) follows {after} but was chained after "
            f"event {linked.id}: events were moved or renumbered"))
    return ChainBreak(BreakKind.MISSING, record.id, record.at, (
        f"event {record.id} ({record.action}) links to an event that is not stored: events "
        f"between {after} and it were deleted (or the one before it was rewritten)"))


@dataclass(frozen=True)
class Checkpoint:
    """A published head of the chain: its hash, and its event id and count when known."""

    hash: str
    event_id: int | None = None
    count: int | None = None
    at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "count": self.count, "hash": self.hash,
                "at": utc_iso(self.at) if self.at else None}


def checkpoint_of(report: ChainReport) -> Checkpoint | None:
    """The head of an intact chain as a checkpoint; None for an empty or broken chain."""
    if report.head is None or report.broken is not None:
        return None
    return Checkpoint(report.head.hash, report.head.id, report.count, report.head.at)


def check_checkpoint(
    checkpoint: Checkpoint, found: ChainRecord | None, position: int | None, newest: int | None
) -> ChainBreak | None:
    """The checkpointed event must still be stored, with its id and its place in the chain.

    `found` is the stored event with the checkpoint's hash, `position` how many events of the
    intact chain lead up to it (itself included), `newest` the id of the newest stored event.
    """
    label = f"event {checkpoint.event_id}" if checkpoint.event_id is not None else "the event"
    short = checkpoint.hash[:16]
    if found is None:
        return ChainBreak(BreakKind.CHECKPOINT_MISSING, checkpoint.event_id, checkpoint.at, (
            f"checkpointed {label} (hash {short}...) is not in the chain any more: the newest "
            f"stored event is {newest if newest is not None else 'none'}, so events were "
            "deleted or rewritten since the checkpoint"))
    if checkpoint.event_id is not None and found.id != checkpoint.event_id:
        return ChainBreak(BreakKind.CHECKPOINT_DIFFERS, found.id, found.at, (
            f"checkpointed {label} (hash {short}...) is now stored as event {found.id}"))
    if checkpoint.count is not None and position != checkpoint.count:
        return ChainBreak(BreakKind.CHECKPOINT_DIFFERS, found.id, found.at, (
            f"checkpointed {label} was event number {checkpoint.count} of the chain and is now "
            f"number {position}"))
    return None
