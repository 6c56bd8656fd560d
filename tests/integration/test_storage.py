"""The storage package against real databases: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from approvals import services
from approvals.audit_chain import BreakKind
from approvals.catalog import Catalog
from approvals.errors import AlreadyDecided
from approvals.model import (
    AuditEvent,
    Decision,
    Note,
    Outcome,
    RequestDraft,
    RequestKind,
    Risk,
    Source,
    State,
)
from storage.audit_chain import SqlAuditChain
from storage.dialog_state import DialogStateStore, EtagConflict
from storage.migrate import head_revision, migrate
from storage.uow import SqlUnitOfWork, uow_factory
from tests.integration.support import (
    ALICE,
    BEA,
    OWEN,
    FixedClock,
    exception_request,
)
from tests.integration.tampering import tamper

Uows = Callable[[], SqlUnitOfWork]


@pytest.fixture
def uows(engine: AsyncEngine, clock: FixedClock) -> Uows:
    return uow_factory(engine, clock)


async def submit(uows: Uows, catalog: Catalog, clock: FixedClock) -> str:
    draft = RequestDraft(
        kind=RequestKind.EXCEPTION, asset_name="payments-api", title="Open the firewall",
        justification="Vendor callback", risk=Risk.HIGH, controls="IP allow-list",
        expires_on=clock.now().date() + timedelta(days=14),
    )
    request = await services.submit_request(uows(), catalog, clock, draft, ALICE, Source())
    return request.id


async def test_a_request_comes_back_with_its_decisions_and_notes(
    uows: Uows, clock: FixedClock
) -> None:
    berlin = timezone(timedelta(hours=1))
    t0 = clock.now()
    later, earlier = t0 + timedelta(minutes=5), t0 + timedelta(minutes=1)
    request = exception_request("EXC-1", t0.astimezone(berlin), deciders=("bea", "owen"))
    approve = Decision(Outcome.APPROVE, "bea", "Bea Backup", later, "ok for 14 days")
    ask = Decision(Outcome.NEED_INFO, "owen", "Owen Owner", earlier.astimezone(berlin), "why?")
    question = Note("owen", "Owen Owner", "why?", earlier, "question")
    answer = Note("alice", "Alice Requester", "vendor SLA", earlier + timedelta(minutes=1),
                  "answer")
    async with uows() as uow:
        await uow.requests.add(request)
        await uow.requests.add_decision("EXC-1", approve)  # stored first, happened last
        await uow.requests.add_decision("EXC-1", ask)
        await uow.requests.add_note("EXC-1", answer)
        await uow.requests.add_note("EXC-1", question)
        await uow.commit()

    async with uows() as uow:
        loaded = await uow.requests.get("EXC-1")

    assert loaded == replace(request, decisions=(ask, approve), notes=(question, answer))
    assert loaded is not None and loaded.deciders == ("bea", "owen")
    for moment in (loaded.created_at, loaded.updated_at, *(d.decided_at for d in loaded.decisions),
                   *(n.at for n in loaded.notes)):
        assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
    assert loaded.created_at == t0 and loaded.expires_on == date(2026, 3, 16)


async def test_ids_count_per_kind_and_a_rolled_back_id_is_reused(uows: Uows) -> None:
    async with uows() as uow:
        ids = [await uow.requests.next_id(RequestKind.EXCEPTION),
               await uow.requests.next_id(RequestKind.EXCEPTION),
               await uow.requests.next_id(RequestKind.ROLLBACK)]
        await uow.commit()
    async with uows() as uow:
        abandoned = await uow.requests.next_id(RequestKind.EXCEPTION)
    async with uows() as uow:
        reused = await uow.requests.next_id(RequestKind.EXCEPTION)

    assert ids == ["EXC-1", "EXC-2", "RBK-1"]
    assert abandoned == reused == "EXC-3"


async def test_compare_and_set_refuses_a_stale_version(uows: Uows, clock: FixedClock) -> None:
    request = exception_request("EXC-1", clock.now())
    async with uows() as uow:
        await uow.requests.add(request)
        await uow.commit()
    approved = request.evolve(state=State.APPROVED, version=2,
                              updated_at=clock.now() + timedelta(hours=1))
    rejected = request.evolve(state=State.REJECTED, version=2)

    async with uows() as uow:
        first = await uow.requests.compare_and_set(approved, expected_version=1)
        second = await uow.requests.compare_and_set(rejected, expected_version=1)
        await uow.commit()
    async with uows() as uow:
        stored = await uow.requests.get("EXC-1")

    assert (first, second) == (True, False)
    assert stored is not None
    assert (stored.state, stored.version, stored.updated_at) == (
        State.APPROVED, 2, clock.now() + timedelta(hours=1))


async def test_twenty_simultaneous_clicks_leave_one_decision(
    uows: Uows, engine: AsyncEngine, catalog: Catalog, clock: FixedClock
) -> None:
    request_id = await submit(uows, catalog, clock)
    clicks = [
        services.record_decision(
            uows(), catalog, clock, request_id,
            Outcome.APPROVE if i % 2 == 0 else Outcome.REJECT, f"click {i}",
            OWEN if i % 2 == 0 else BEA, Source(activity_id=f"act-{i}"),
        )
        for i in range(20)
    ]

    results = await asyncio.gather(*clicks, return_exceptions=True)

    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1, results
    assert all(isinstance(e, AlreadyDecided) for e in losers), losers
    async with uows() as uow:
        stored = await uow.requests.get(request_id)
        events = await uow.audit.for_request(request_id)
    chain = await SqlAuditChain(engine).verify()
    assert stored is not None and len(stored.decisions) == 1
    assert stored.state is winners[0].state and stored.version == 2
    decided = [e for e in events if e.action.startswith("decision.") and e.outcome == "ok"]
    refused = [e for e in events if e.action.startswith("decision.") and e.outcome == "refused"]
    assert len(decided) == 1 and len(refused) == 19
    assert decided[0].actor_id == stored.decisions[0].decider_id
    assert chain.intact and chain.count == len(events)


async def test_nothing_is_kept_without_commit(uows: Uows, clock: FixedClock) -> None:
    uow = uows()
    async with uow:
        await uow.requests.add(exception_request("EXC-1", clock.now()))
    with pytest.raises(RuntimeError, match="boom"):
        async with uow:
            await uow.requests.add(exception_request("EXC-2", clock.now()))
            await uow.commit()
            await uow.requests.add(exception_request("EXC-3", clock.now()))
            raise RuntimeError("boom")

    async with uow:  # the same unit of work, reused once more
        found = [await uow.requests.get(i) for i in ("EXC-1", "EXC-2", "EXC-3")]
    assert [r.id if r else None for r in found] == [None, "EXC-2", None]


async def test_the_audit_chain_holds_and_shows_tampering(
    uows: Uows, engine: AsyncEngine, clock: FixedClock
) -> None:
    async with uows() as uow:
        for i in range(4):
            await uow.audit.append(AuditEvent(
                action="request.submitted", outcome="ok", actor_id="alice",
                actor_name="Alice \u00e9\"quoted\"", at=clock.now() + timedelta(seconds=i),
                request_id=f"EXC-{i}", source=Source(conversation_id="a:1", activity_id=str(i)),
                detail={"asset": "payments-api", "n": str(i)},
            ))
        await uow.commit()
    intact = await SqlAuditChain(engine).verify()
    async with uows() as uow:
        events = await uow.audit.for_request("EXC-2")
    async with engine.begin() as connection:
        second = (await connection.execute(
            text("SELECT id FROM audit_events ORDER BY id LIMIT 1 OFFSET 1"))).scalar_one()
    await tamper(engine, "UPDATE audit_events SET detail = '{\"asset\":\"ledger-db\",\"n\":\"1\"}' "
                         f"WHERE id = {second}")
    tampered = await SqlAuditChain(engine).verify()

    assert intact.intact and intact.count == 4
    assert len(events) == 1 and events[0].detail == {"asset": "payments-api", "n": "2"}
    assert events[0].at == clock.now() + timedelta(seconds=2)
    assert events[0].source == Source("msteams", "a:1", "2")
    assert tampered.broken is not None and tampered.broken.event_id == second
    assert tampered.broken.kind is BreakKind.EDITED and tampered.count == 1


async def test_migrating_again_changes_nothing(database_url: str, engine: AsyncEngine) -> None:
    await migrate(database_url)
    await migrate(database_url)

    async with engine.connect() as connection:
        version = (await connection.execute(
            text("SELECT version_num FROM alembic_version"))).scalar_one()
    assert version == head_revision()


async def test_conversation_refs_are_replaced_per_person(uows: Uows, clock: FixedClock) -> None:
    fields = dict(user_id="29:1abc", user_name="Owen Owner", tenant_id="t-1",
                  channel_id="msteams", service_url="https://smba.example/teams/",
                  conversation_id="a:personal-1", conversation_type="personal",
                  bot_id="28:bot", bot_name="Signoff")
    async with uows() as uow:
        await uow.conversations.upsert(aad_object_id=OWEN.aad_object_id.upper(), **fields)
        await uow.commit()
    clock.advance(minutes=3)
    async with uows() as uow:
        first = await uow.conversations.get(OWEN.aad_object_id)
        await uow.conversations.upsert(aad_object_id=OWEN.aad_object_id,
                                       **{**fields, "conversation_id": "a:personal-2"})
        await uow.commit()
    async with uows() as uow:
        second = await uow.conversations.get(OWEN.aad_object_id.upper())
        nobody = await uow.conversations.get(BEA.aad_object_id)
        many = await uow.conversations.get_many(
            [OWEN.aad_object_id.upper(), BEA.aad_object_id, OWEN.aad_object_id])

    assert first is not None and second is not None and nobody is None
    assert first.aad_object_id == OWEN.aad_object_id.lower()
    assert first.conversation_id == "a:personal-1" and first.updated_at == clock.now() - \
        timedelta(minutes=3)
    assert second.conversation_id == "a:personal-2" and second.updated_at == clock.now()
    assert second.service_url == "https://smba.example/teams/" and second.bot_name == "Signoff"
    assert many == {OWEN.aad_object_id.lower(): second}  # one query; Bea has none


async def test_card_messages_are_listed_per_request(uows: Uows, clock: FixedClock) -> None:
    async with uows() as uow:
        for request_id in ("EXC-1", "EXC-2"):
            await uow.requests.add(exception_request(request_id, clock.now()))
        added = await uow.cards.add(request_id="EXC-1", recipient_aad=OWEN.aad_object_id.upper(),
                                    role="decider", conversation_id="a:owen",
                                    activity_id="act-1", service_url="https://smba.example/")
        await uow.cards.add(request_id="EXC-2", recipient_aad=BEA.aad_object_id, role="decider",
                            conversation_id="a:bea", activity_id="act-2",
                            service_url="https://smba.example/")
        await uow.cards.add(request_id="EXC-1", recipient_aad=ALICE.aad_object_id,
                            role="requester", conversation_id="a:alice", activity_id="act-3",
                            service_url="https://smba.example/")
        await uow.commit()
    async with uows() as uow:
        cards = await uow.cards.for_request("EXC-1")
        none = await uow.cards.for_request("EXC-9")

    assert cards[0] == added and added.recipient_aad == OWEN.aad_object_id.lower()
    assert [(c.role, c.activity_id) for c in cards] == [("decider", "act-1"),
                                                        ("requester", "act-3")]
    assert cards[0].created_at == clock.now() and none == []


async def test_lists_find_open_requests_by_asset_requester_and_decider(
    uows: Uows, clock: FixedClock
) -> None:
    t = clock.now()
    rows = [
        exception_request("EXC-1", t),
        exception_request("EXC-2", t + timedelta(minutes=1)).evolve(state=State.APPROVED),
        exception_request("EXC-3", t + timedelta(minutes=2), asset="ledger-db",
                          deciders=("b_a",)).evolve(state=State.INFO_REQUESTED),
        exception_request("EXC-4", t + timedelta(minutes=3), requester="owen",
                          deciders=("bea",)),
    ]
    async with uows() as uow:
        for r in rows:
            await uow.requests.add(r)
        await uow.commit()
    async with uows() as uow:
        by_asset = await uow.requests.list_open_for_asset("payments-api")
        alice_open = await uow.requests.list_by_requester("alice", open_only=True)
        alice_all = await uow.requests.list_by_requester("alice", open_only=False)
        for_bea = await uow.requests.list_open_for_decider("bea")
        for_b_a = await uow.requests.list_open_for_decider("b_a")
        for_owen = await uow.requests.list_open_for_decider("owen")
        approved = await uow.requests.list_in_states((State.APPROVED, State.INFO_REQUESTED))

    def ids(found: list) -> list[str]:
        return [r.id for r in found]

    assert ids(by_asset) == ["EXC-1", "EXC-4"]
    assert ids(alice_open) == ["EXC-1", "EXC-3"]
    assert ids(alice_all) == ["EXC-1", "EXC-2", "EXC-3"]
    assert ids(for_bea) == ["EXC-1", "EXC-4"]  # "b_a" is not a LIKE wildcard for "bea"
    assert ids(for_b_a) == ["EXC-3"]
    assert ids(for_owen) == ["EXC-1"]
    assert ids(approved) == ["EXC-2", "EXC-3"]


async def test_a_naive_time_is_refused(uows: Uows, clock: FixedClock) -> None:
    naive = clock.now().replace(tzinfo=None)
    with pytest.raises(StatementError, match="naive datetime"):
        async with uows() as uow:
            await uow.requests.add(exception_request("EXC-1", naive))


async def test_dialog_state_writes_check_the_etag(engine: AsyncEngine, clock: FixedClock) -> None:
    store = DialogStateStore(engine, clock)

    first = await store.write("conv/1", '{"turn":1}', None)
    second = await store.write("conv/1", '{"turn":2}', first)
    with pytest.raises(EtagConflict):
        await store.write("conv/1", '{"turn":"stale"}', first)
    forced = await store.write("conv/1", '{"turn":3}', "*")
    assert await store.read(["conv/1", "conv/unknown"]) == {"conv/1": (forced, '{"turn":3}')}

    await store.delete(["conv/1", "conv/unknown"])
    with pytest.raises(EtagConflict):
        await store.write("conv/1", '{"turn":4}', forced)  # deleted since it was read
    assert await store.read(["conv/1"]) == {}
    assert len({first, second, forced}) == 3
