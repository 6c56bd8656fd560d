"""A small, real history for the audit and evidence tests, made through the services.

EXC-1 payments-api: Owen asks for info, Alice answers, Owen approves.
EXC-2 ledger-db:    nobody decides; reminders go out, it escalates to Bea's manager Mona.
EXC-3 payments-api: Alice tries to approve her own request (refused), Bea rejects it.
RBK-1 payments-api: submitted a week later (outside the first week), Owen approves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from approvals import services
from approvals.catalog import Catalog, build_catalog
from approvals.errors import SelfDecision
from approvals.model import Actor, Outcome, RequestDraft, RequestKind, Risk, Source
from approvals.policies import DEFAULT_POLICY
from storage.jobs import JobStore
from storage.uow import SqlUnitOfWork
from tests.integration.support import FixedClock, aad, person

Uows = Callable[[], SqlUnitOfWork]
ALICE = Actor(aad(1), "Alice Requester")
OWEN = Actor(aad(2), "Owen Owner")
BEA = Actor(aad(3), "Bea Backup")


def history_catalog() -> Catalog:
    return build_catalog({
        "people": [
            person("alice", "Alice Requester", 1),
            {**person("owen", "Owen Owner", 2), "manager": "mona"},
            {**person("bea", "Bea Backup", 3), "manager": "mona"},
            person("mona", "Mona Manager", 5),
        ],
        "assets": [
            {"name": "payments-api", "kind": "azure-app-service", "owner": "owen",
             "backup": "bea", "tier": "high"},
            {"name": "ledger-db", "kind": "azure-sql", "owner": "bea", "tier": "critical"},
        ],
    })


def exception(asset: str, title: str, clock: FixedClock) -> RequestDraft:
    return RequestDraft(
        kind=RequestKind.EXCEPTION, asset_name=asset, title=title,
        justification="Vendor <b>callback</b> & test", risk=Risk.HIGH, controls="IP allow-list",
        expires_on=clock.now().date() + timedelta(days=14),
    )


async def run_due_jobs(engine: AsyncEngine, uows: Uows, catalog: Catalog,
                       clock: FixedClock) -> int:
    store, ran = JobStore(engine), 0
    while claimed := await store.claim_due_jobs(clock.now(), 20, "seed"):
        for item in claimed:
            await services.run_due_job(uows(), catalog, DEFAULT_POLICY, clock, item.job)
            await store.mark_done(item.job.key, "seed", clock.now())
            ran += 1
    return ran


async def seed_history(engine: AsyncEngine, uows: Uows, catalog: Catalog,
                       clock: FixedClock) -> list[str]:
    """Make the history above; returns the request ids in order."""
    def src(n: int) -> Source:
        return Source(conversation_id=f"a:chat-{n}", activity_id=f"act-{n}")

    exc1 = await services.submit_request(
        uows(), catalog, clock, exception("payments-api", "Open the firewall", clock), ALICE,
        src(1))
    clock.advance(hours=1)
    await services.record_decision(uows(), catalog, clock, exc1.id, Outcome.NEED_INFO,
                                   "Which vendor?", OWEN, src(2))
    clock.advance(hours=1)
    await services.answer_info(uows(), catalog, clock, exc1.id, "Contoso", ALICE, src(3))
    clock.advance(hours=1)
    await services.record_decision(uows(), catalog, clock, exc1.id, Outcome.APPROVE,
                                   "ok for 14 days", OWEN, src(4))

    clock.advance(hours=1)
    exc2 = await services.submit_request(
        uows(), catalog, clock, exception("ledger-db", "Let <script>x</script> in", clock),
        ALICE, src(5))
    exc3 = await services.submit_request(
        uows(), catalog, clock, exception("payments-api", "=cmd|' /C calc'!A0 skip TLS",
                                          clock), ALICE, src(6))
    clock.advance(minutes=5)
    try:
        await services.record_decision(uows(), catalog, clock, exc3.id, Outcome.APPROVE, "",
                                       ALICE, src(7))
    except SelfDecision:
        pass  # refused, and audited as refused
    clock.advance(minutes=5)
    await services.record_decision(uows(), catalog, clock, exc3.id, Outcome.REJECT,
                                   "too risky", BEA, src(8))
    for _ in range(4):  # EXC-2: two reminders, then the deadline escalates to Mona
        clock.advance(days=1)
        await run_due_jobs(engine, uows, catalog, clock)

    clock.advance(days=3)
    rbk = await services.submit_request(uows(), catalog, clock, RequestDraft(
        kind=RequestKind.ROLLBACK, asset_name="payments-api", title="Roll back release 42",
        justification="Errors after deploy", change_ref="CHG-42", rollback_of="release 42",
    ), ALICE, src(9))
    clock.advance(minutes=10)
    await services.record_decision(uows(), catalog, clock, rbk.id, Outcome.APPROVE, "",
                                   OWEN, src(10))
    return [exc1.id, exc2.id, exc3.id, rbk.id]
