"""The canonical form is fixed (a stored chain must verify forever) and every change to a
chain is found at the first event it touches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from approvals.audit_chain import (
    GENESIS_HASH,
    BreakKind,
    ChainRecord,
    ChainReport,
    canonical_form,
    event_hash,
    walk_chain,
)

BERLIN = timezone(timedelta(hours=1))


def record(n: int, prev_hash: str, **changes: object) -> ChainRecord:
    base = ChainRecord(
        id=n, request_id=f"EXC-{n}", action="request.submitted", outcome="ok",
        actor_id="alice", actor_name='Alice \u00e9"q"', at=datetime(2026, 3, 2, 10, 30, 15,
                                                                    123456, tzinfo=BERLIN),
        channel="msteams", conversation_id="a:1", activity_id=None,
        detail='{"n":"1", "asset":"payments-api"}', prev_hash=prev_hash, hash="",
    )
    filled = replace(base, **changes)  # type: ignore[arg-type]
    return replace(filled, hash=event_hash(filled))


def chain(length: int) -> list[ChainRecord]:
    records, prev = [], GENESIS_HASH
    for n in range(1, length + 1):
        made = record(n, prev, at=datetime(2026, 3, 2, tzinfo=UTC) + timedelta(minutes=n))
        records.append(made)
        prev = made.hash
    return records


async def walk(records: Sequence[ChainRecord]) -> ChainReport:
    async def items() -> AsyncIterator[ChainRecord]:
        for r in records:
            yield r

    async def find(hash_: str) -> ChainRecord | None:
        return next((r for r in records if r.hash == hash_), None)

    return await walk_chain(items(), find)


def test_the_canonical_form_is_sorted_compact_utf8_json_with_utc_microseconds() -> None:
    made = record(1, GENESIS_HASH)

    assert canonical_form(made) == (
        '{"action":"request.submitted","activity_id":null,"actor_id":"alice",'
        '"actor_name":"Alice \u00e9\\"q\\"","at":"2026-03-02T09:30:15.123456+00:00",'
        '"channel":"msteams","conversation_id":"a:1","detail":{"asset":"payments-api","n":"1"},'
        '"outcome":"ok","prev_hash":"' + GENESIS_HASH + '","request_id":"EXC-1"}'
    ).encode()
    # Pinned: the hash stored chains were made with (before this module existed).
    assert made.hash == "10683bfc7f43fbe48972217b3cc595240b13e0b9ea78686dc1eb24f38aa28255"


def test_a_time_without_a_zone_cannot_be_hashed() -> None:
    with pytest.raises(ValueError, match="naive time"):
        event_hash(replace(record(1, GENESIS_HASH), at=datetime(2026, 3, 2)))


async def test_an_intact_chain_reports_its_head() -> None:
    records = chain(5)

    report = await walk(records)

    assert report.intact and report.count == 5 and report.head == records[-1]


FIELDS = ("request_id", "action", "outcome", "actor_id", "actor_name", "channel",
          "conversation_id", "activity_id")


@given(length=st.integers(2, 12), data=st.data())
async def test_any_edit_is_found_at_the_edited_event(length: int, data: st.DataObject) -> None:
    records = chain(length)
    index = data.draw(st.integers(0, length - 1))
    name = data.draw(st.sampled_from(FIELDS))
    value = data.draw(st.text(max_size=8).filter(lambda v: v != getattr(records[index], name)))
    records[index] = replace(records[index], **{name: value})

    report = await walk(records)

    assert report.broken is not None and report.broken.kind is BreakKind.EDITED
    assert report.broken.event_id == index + 1 and report.count == index


@given(length=st.integers(2, 12), data=st.data())
async def test_any_deletion_but_the_newest_is_found_at_the_next_event(
    length: int, data: st.DataObject
) -> None:
    records = chain(length)
    index = data.draw(st.integers(0, length - 2))
    del records[index]

    report = await walk(records)

    assert report.broken is not None and report.broken.kind is BreakKind.MISSING
    assert report.broken.event_id == index + 2
