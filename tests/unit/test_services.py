"""The use cases against in-memory fakes: what ends up committed, not which calls were made."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from approvals import services
from approvals.catalog import Catalog
from approvals.errors import (
    AlreadyDecided,
    ConcurrentUpdate,
    ExpiryTooLate,
    InvalidRequest,
    NoDecider,
    NotADecider,
    NotAllowed,
    SelfDecision,
    UnknownAsset,
    UnknownRequest,
)
from approvals.model import (
    Actor,
    AuditEvent,
    Outcome,
    Request,
    RequestDraft,
    RequestKind,
    Risk,
    State,
)
from approvals.policy_file import build_policy
from approvals.ports import UnitOfWork

from .fakes import (
    SOURCE,
    T0,
    FakeAuditLog,
    FakeClock,
    FakeDatabase,
    FakeUnitOfWork,
    actor,
    small_catalog,
    stranger,
)

TODAY = T0.date()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def catalog() -> Catalog:
    return small_catalog()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def exception_draft(asset: str = "payments-api", days: int | None = 14, **changes: object
                    ) -> RequestDraft:
    draft = RequestDraft(
        kind=RequestKind.EXCEPTION, asset_name=asset,
        title="Allow public network access", justification="Vendor migration needs it",
        risk=Risk.MEDIUM, controls="IP allow-list",
        expires_on=TODAY + timedelta(days=days) if days is not None else None,
    )
    return replace(draft, **changes)  # type: ignore[arg-type]


def rollback_draft(asset: str = "payments-api", **changes: object) -> RequestDraft:
    draft = RequestDraft(
        kind=RequestKind.ROLLBACK, asset_name=asset, title="Roll back release 42",
        justification="Checkout errors since the deploy", change_ref="CHG-1042",
        rollback_of="release 42",
    )
    return replace(draft, **changes)  # type: ignore[arg-type]


async def submit(uow: UnitOfWork, catalog: Catalog, clock: FakeClock,
                 draft: RequestDraft | None = None, by: Actor | None = None) -> Request:
    return await services.submit_request(
        uow, catalog, clock, draft or exception_draft(), by or actor("alex"), SOURCE)


async def decide(uow: UnitOfWork, catalog: Catalog, clock: FakeClock, request_id: str,
                 outcome: Outcome, by: str, comment: str = "") -> Request:
    return await services.record_decision(
        uow, catalog, clock, request_id, outcome, comment, actor(by), SOURCE)


def committed(uow: FakeUnitOfWork, request_id: str) -> Request:
    request = uow.db.request(request_id)
    assert request is not None, f"{request_id} was not committed"
    return request


def actions(events: list[AuditEvent]) -> list[tuple[str, str, str]]:
    return [(e.action, e.outcome, e.actor_id) for e in events]


# --- submit -------------------------------------------------------------------------------------


async def test_an_exception_is_numbered_routed_to_the_owner_and_committed(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    request = await submit(uow, catalog, clock)

    assert request.id == "EXC-1"
    assert committed(uow, "EXC-1") == request
    assert request.state is State.PENDING
    assert request.version == 1
    assert request.requester_id == "alex"
    assert request.requester_name == "Alex Wilber"
    assert request.deciders == ("megan", "adele")
    assert request.routed_to == "megan"
    assert request.created_at == request.updated_at == T0
    assert request.expires_on == TODAY + timedelta(days=14)
    assert uow.commits == 1


async def test_exceptions_and_rollbacks_are_numbered_apart(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    ids = [
        (await submit(uow, catalog, clock, draft)).id
        for draft in (exception_draft(), rollback_draft(), exception_draft(), rollback_draft())
    ]
    assert ids == ["EXC-1", "RBK-1", "EXC-2", "RBK-2"]
    assert [r.id for r in uow.db.requests()] == ids


async def test_the_audit_event_is_written_in_the_same_commit(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock)

    assert uow.commits == 1
    [event] = uow.db.audit_for("EXC-1")
    assert (event.action, event.outcome, event.actor_id) == ("request.submitted", "ok", "alex")
    assert event.at == T0
    assert event.source == SOURCE
    assert event.detail == {"asset": "payments-api", "routed_to": "megan", "rule": "any",
                            "steps": "owner or backup or team"}


async def test_a_request_whose_audit_event_fails_is_not_committed(
    catalog: Catalog, clock: FakeClock
) -> None:
    class UnavailableAuditLog(FakeAuditLog):
        async def append(self, event: AuditEvent) -> None:
            raise OSError("audit store unavailable")

    uow = FakeUnitOfWork()
    uow.audit = UnavailableAuditLog(uow._tx)

    with pytest.raises(OSError):
        await submit(uow, catalog, clock)

    assert uow.db.requests() == []
    assert uow.db.audit == []
    assert not uow.committed
    assert uow.rollbacks == 1


async def test_the_requester_who_owns_the_asset_is_routed_to_the_backup(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    request = await submit(uow, catalog, clock, by=actor("megan"))

    assert request.deciders == ("adele",)
    assert committed(uow, request.id).routed_to == "adele"


async def test_a_team_owned_asset_is_routed_to_the_members_but_never_the_requester(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    by_alex = await submit(uow, catalog, clock, exception_draft("ledger-db"))
    by_adele = await submit(uow, catalog, clock, exception_draft("ledger-db"), actor("adele"))

    assert by_alex.deciders == ("megan", "adele")
    assert by_adele.deciders == ("megan",)


async def test_no_decider_but_the_requester_is_refused_with_the_reason(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    with pytest.raises(NoDecider) as refused:
        await submit(uow, catalog, clock, exception_draft("sandbox"), actor("alex"))

    assert "sandbox" in str(refused.value)
    assert "backup" in str(refused.value)
    assert uow.db.requests() == [] and uow.db.audit == []
    assert not uow.committed


async def test_a_requester_unknown_to_the_catalog_is_recorded_by_object_id(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    request = await submit(uow, catalog, clock, by=stranger())

    assert request.requester_id == "aad:11111111-2222-3333-4444-555555555555"
    assert request.requester_name == "Sam Stranger"
    assert request.deciders == ("megan", "adele")


async def test_an_unknown_asset_is_refused_with_suggestions(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    with pytest.raises(UnknownAsset) as unknown:
        await submit(uow, catalog, clock, exception_draft("payments-web"))

    assert unknown.value.name == "payments-web"
    assert "payments-api" in unknown.value.suggestions
    assert uow.db.requests() == []
    assert not uow.committed


@pytest.mark.parametrize("typed", ["paymnets-api", "PAYMENTS-API", " `payments-api` ", "pay-api",
                                   "Payments"])
async def test_the_asset_is_found_by_alias_case_and_small_typos(
    typed: str, uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    request = await submit(uow, catalog, clock, exception_draft(typed))

    assert request.asset_name == "payments-api"


async def test_text_is_stored_trimmed(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    request = await submit(uow, catalog, clock, exception_draft(
        title="  Open port 443  ", justification="\nBecause\n", controls=" WAF "))

    assert (request.title, request.justification, request.controls) == (
        "Open port 443", "Because", "WAF")


async def test_an_exception_needs_an_expiry(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    with pytest.raises(InvalidRequest) as invalid:
        await submit(uow, catalog, clock, exception_draft(days=None))

    assert set(invalid.value.problems) == {"expires_on"}
    assert uow.db.requests() == []


@pytest.mark.parametrize("days", [0, -1, -30])
async def test_the_expiry_must_be_in_the_future(
    days: int, uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    with pytest.raises(InvalidRequest) as invalid:
        await submit(uow, catalog, clock, exception_draft(days=days))

    assert not isinstance(invalid.value, ExpiryTooLate)
    assert "future" in invalid.value.problems["expires_on"]


async def test_an_exception_lasts_at_most_90_days(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    accepted = await submit(uow, catalog, clock, exception_draft(days=90))
    with pytest.raises(ExpiryTooLate) as too_late:
        await submit(uow, catalog, clock, exception_draft(days=91))

    assert accepted.expires_on == TODAY + timedelta(days=90)
    assert too_late.value.max_days == 90
    assert too_late.value.latest == TODAY + timedelta(days=90)
    assert "expires_on" in too_late.value.problems
    assert [r.id for r in uow.db.requests()] == ["EXC-1"]


async def test_an_exception_on_a_critical_asset_lasts_at_most_30_days(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock, exception_draft("kv-payments", days=30))
    with pytest.raises(ExpiryTooLate) as too_late:
        await submit(uow, catalog, clock, exception_draft("kv-payments", days=31))

    assert too_late.value.max_days == 30
    assert too_late.value.latest == TODAY + timedelta(days=30)


async def test_the_expiry_limit_counts_from_the_clock_and_follows_the_policy(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    clock.advance(days=10)
    policy = build_policy({"exception": {"max_duration": "14d"}})
    draft = exception_draft(expires_on=TODAY + timedelta(days=24))
    await services.submit_request(uow, catalog, clock, draft, actor("alex"), SOURCE, policy)

    with pytest.raises(ExpiryTooLate) as too_late:
        await services.submit_request(
            uow, catalog, clock, replace(draft, expires_on=TODAY + timedelta(days=25)),
            actor("alex"), SOURCE, policy)
    assert too_late.value.latest == TODAY + timedelta(days=24)


async def test_every_problem_of_a_draft_is_reported_at_once(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    with pytest.raises(InvalidRequest) as invalid:
        await submit(uow, catalog, clock, exception_draft(
            title=" ", justification="", risk=None, expires_on=None))

    assert set(invalid.value.problems) == {"title", "justification", "risk", "expires_on"}


async def test_a_rollback_needs_a_change_reference_and_what_it_rolls_back(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    with pytest.raises(InvalidRequest) as invalid:
        await submit(uow, catalog, clock, rollback_draft(change_ref=" ", rollback_of=""))

    assert set(invalid.value.problems) == {"change_ref", "rollback_of"}
    assert uow.db.requests() == []


async def test_a_rollback_needs_no_expiry_or_risk(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    request = await submit(uow, catalog, clock, rollback_draft())

    assert request.id == "RBK-1"
    assert (request.expires_on, request.risk) == (None, None)
    assert (request.change_ref, request.rollback_of) == ("CHG-1042", "release 42")


# --- record_decision ----------------------------------------------------------------------------


@pytest.mark.parametrize(("by", "outcome", "state"), [
    ("megan", Outcome.APPROVE, State.ACTIVE),
    ("megan", Outcome.REJECT, State.REJECTED),
    ("adele", Outcome.APPROVE, State.ACTIVE),
    ("adele", Outcome.REJECT, State.REJECTED),
])
async def test_the_owner_or_the_backup_decides(
    by: str, outcome: Outcome, state: State,
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock,
) -> None:
    await submit(uow, catalog, clock)

    returned = await decide(uow, catalog, clock, "EXC-1", outcome, by, "  fine for 14 days ")

    stored = committed(uow, "EXC-1")
    assert returned == stored
    assert stored.state is state
    assert stored.version == 2
    [decision] = stored.decisions
    assert (decision.outcome, decision.decider_id, decision.comment) == (
        outcome, by, "fine for 14 days")
    assert stored.final_decision == decision
    assert actions(uow.db.audit_for("EXC-1"))[-1] == (f"decision.{outcome.value}", "ok", by)
    step = {"step": "owner or backup or team", "expires_on": stored.expires_on.isoformat()
            } if outcome is Outcome.APPROVE and stored.expires_on else {}
    assert uow.db.audit_for("EXC-1")[-1].detail == {
        "from": "pending", "to": state.value, "version": "2", **step}


async def test_any_member_of_an_owning_team_decides(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock, exception_draft("ledger-db"))

    await decide(uow, catalog, clock, "EXC-1", Outcome.APPROVE, "adele")

    assert committed(uow, "EXC-1").state is State.ACTIVE


async def test_a_decision_is_timed_by_the_server_clock(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock)
    decided_at = clock.advance(hours=3, minutes=7)

    await decide(uow, catalog, clock, "EXC-1", Outcome.APPROVE, "megan")

    stored = committed(uow, "EXC-1")
    assert stored.decisions[0].decided_at == decided_at
    assert stored.updated_at == decided_at
    assert stored.created_at == T0
    assert uow.db.audit_for("EXC-1")[-1].at == decided_at


async def test_a_request_id_is_found_whatever_its_case(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock)

    await decide(uow, catalog, clock, "exc-1", Outcome.REJECT, "megan")

    assert committed(uow, "EXC-1").state is State.REJECTED


async def test_an_unknown_request_cannot_be_decided(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    with pytest.raises(UnknownRequest) as unknown:
        await decide(uow, catalog, clock, "exc-404", Outcome.APPROVE, "megan")

    assert unknown.value.request_id == "EXC-404"
    assert uow.db.audit == []


async def test_the_requester_never_decides_their_own_request(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock, by=actor("megan"))  # megan owns payments-api

    with pytest.raises(SelfDecision) as refused:
        await decide(uow, catalog, clock, "EXC-1", Outcome.APPROVE, "megan")

    assert refused.value.who_can == ["Adele Vance"]
    stored = committed(uow, "EXC-1")
    assert (stored.state, stored.version, stored.decisions) == (State.PENDING, 1, ())
    refusal = uow.db.audit_for("EXC-1")[-1]
    assert (refusal.action, refusal.outcome, refusal.actor_id) == (
        "decision.approve", "refused", "megan")
    assert refusal.detail["reason"] == "SelfDecision"


@pytest.mark.parametrize("who", [actor("outsider"), actor("alex"), stranger()])
async def test_someone_who_is_not_a_decider_is_refused_and_told_who_can(
    who: Actor, uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock, by=actor("outsider"))

    with pytest.raises(NotADecider) as refused:
        await services.record_decision(
            uow, catalog, clock, "EXC-1", Outcome.APPROVE, "", who, SOURCE)

    assert refused.value.request_id == "EXC-1"
    assert refused.value.who_can == ["Megan Bowen", "Adele Vance"]
    stored = committed(uow, "EXC-1")
    assert (stored.state, stored.version, stored.decisions) == (State.PENDING, 1, ())
    refusal = uow.db.audit_for("EXC-1")[-1]
    assert (refusal.action, refusal.outcome, refusal.actor_name) == (
        "decision.approve", "refused", who.name)
    assert refusal.detail == {"reason": type(refused.value).__name__, "state": "pending"}


async def test_an_outsider_is_refused_as_not_a_decider_not_as_the_requester(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock)

    with pytest.raises(NotADecider) as refused:
        await decide(uow, catalog, clock, "EXC-1", Outcome.REJECT, "outsider")

    assert type(refused.value) is NotADecider


@pytest.mark.parametrize(("first", "second"), [
    (("megan", Outcome.APPROVE), ("megan", Outcome.APPROVE)),
    (("megan", Outcome.APPROVE), ("adele", Outcome.REJECT)),
    (("adele", Outcome.REJECT), ("megan", Outcome.APPROVE)),
    (("megan", Outcome.REJECT), ("adele", Outcome.NEED_INFO)),
])
async def test_a_decided_request_cannot_be_decided_again(
    first: tuple[str, Outcome], second: tuple[str, Outcome],
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock,
) -> None:
    await submit(uow, catalog, clock)
    decided = await decide(uow, catalog, clock, "EXC-1", first[1], first[0], "first")
    clock.advance(minutes=5)

    with pytest.raises(AlreadyDecided) as refused:
        await decide(uow, catalog, clock, "EXC-1", second[1], second[0], "second")

    assert refused.value.state is decided.state
    assert refused.value.decision == decided.decisions[0]
    assert refused.value.decision is not None
    assert refused.value.decision.decider_id == first[0]
    assert committed(uow, "EXC-1") == decided
    assert actions(uow.db.audit_for("EXC-1"))[-1] == (
        f"decision.{second[1].value}", "refused", second[0])


async def test_asking_for_info_waits_for_the_requester_with_the_question(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock)
    clock.advance(minutes=10)

    returned = await decide(uow, catalog, clock, "EXC-1", Outcome.NEED_INFO, "megan",
                            " Which IP ranges? ")

    stored = committed(uow, "EXC-1")
    assert returned == stored
    assert (stored.state, stored.version) == (State.INFO_REQUESTED, 2)
    [question] = stored.notes
    assert (question.kind, question.author_id, question.text) == (
        "question", "megan", "Which IP ranges?")
    assert question.at == T0 + timedelta(minutes=10)
    assert stored.decisions[0].outcome is Outcome.NEED_INFO
    assert stored.final_decision is None
    assert actions(uow.db.audit_for("EXC-1"))[-1] == ("decision.need_info", "ok", "megan")


async def test_the_requesters_answer_puts_the_request_back_to_pending(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock)
    await decide(uow, catalog, clock, "EXC-1", Outcome.NEED_INFO, "megan", "Which IP ranges?")
    answered_at = clock.advance(hours=1)

    returned = await services.answer_info(
        uow, catalog, clock, "exc-1", " 10.0.0.0/24 only ", actor("alex"), SOURCE)

    stored = committed(uow, "EXC-1")
    assert returned == stored
    assert (stored.state, stored.version, stored.updated_at) == (State.PENDING, 3, answered_at)
    assert [(n.kind, n.author_id, n.text) for n in stored.notes] == [
        ("question", "megan", "Which IP ranges?"), ("answer", "alex", "10.0.0.0/24 only")]
    event = uow.db.audit_for("EXC-1")[-1]
    assert (event.action, event.actor_id, event.detail) == (
        "request.info_answered", "alex", {"from": "info_requested", "to": "pending"})

    approved = await decide(uow, catalog, clock, "EXC-1", Outcome.APPROVE, "adele")

    assert approved.state is State.ACTIVE
    assert approved.final_decision == approved.decisions[-1]
    assert [d.outcome for d in approved.decisions] == [Outcome.NEED_INFO, Outcome.APPROVE]
    assert len(approved.notes) == 2


async def test_a_decider_may_decide_while_waiting_for_info(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock)
    await decide(uow, catalog, clock, "EXC-1", Outcome.NEED_INFO, "megan", "Why?")

    await decide(uow, catalog, clock, "EXC-1", Outcome.REJECT, "megan", "No answer came")

    assert committed(uow, "EXC-1").state is State.REJECTED


async def test_asking_again_before_the_answer_is_not_allowed_and_not_already_decided(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock)
    asked = await decide(uow, catalog, clock, "EXC-1", Outcome.NEED_INFO, "megan", "Why?")

    with pytest.raises(NotAllowed) as refused:
        await decide(uow, catalog, clock, "EXC-1", Outcome.NEED_INFO, "adele", "And how long?")

    assert "Alex Wilber" in str(refused.value)
    assert committed(uow, "EXC-1") == asked
    assert actions(uow.db.audit_for("EXC-1"))[-1] == ("decision.need_info", "refused", "adele")


@pytest.mark.parametrize("who", ["megan", "adele", "outsider"])
async def test_only_the_requester_answers_a_question(
    who: str, uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock)
    asked = await decide(uow, catalog, clock, "EXC-1", Outcome.NEED_INFO, "megan", "Why?")

    with pytest.raises(NotAllowed) as refused:
        await services.answer_info(uow, catalog, clock, "EXC-1", "because", actor(who), SOURCE)

    assert "Alex Wilber" in str(refused.value)
    assert committed(uow, "EXC-1") == asked


async def test_an_answer_without_a_waiting_question_is_not_allowed(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    pending = await submit(uow, catalog, clock)

    with pytest.raises(NotAllowed):
        await services.answer_info(uow, catalog, clock, "EXC-1", "because", actor("alex"), SOURCE)
    with pytest.raises(NotAllowed):
        await services.answer_info(uow, catalog, clock, "EXC-1", "   ", actor("alex"), SOURCE)

    assert committed(uow, "EXC-1") == pending


async def test_a_decision_that_loses_a_race_reports_the_winning_decision(
    catalog: Catalog, clock: FakeClock
) -> None:
    """Adele's approval commits between Megan's read and Megan's write: no lost update."""
    db = FakeDatabase()
    await submit(FakeUnitOfWork(db), catalog, clock)
    megans = FakeUnitOfWork(db)
    real_get = megans.requests.get
    raced = False

    async def get_then_adele_commits(request_id: str) -> Request | None:
        nonlocal raced
        found = await real_get(request_id)
        if not raced:
            raced = True
            await decide(FakeUnitOfWork(db), catalog, clock, "EXC-1", Outcome.APPROVE, "adele")
        return found

    megans.requests.get = get_then_adele_commits  # type: ignore[method-assign]

    with pytest.raises(AlreadyDecided) as lost:
        await decide(megans, catalog, clock, "EXC-1", Outcome.REJECT, "megan")

    stored = db.request("EXC-1")
    assert stored is not None
    assert (stored.state, stored.version) == (State.ACTIVE, 2)
    assert [d.decider_id for d in stored.decisions] == ["adele"]
    assert lost.value.decision == stored.decisions[0]
    assert actions(db.audit_for("EXC-1"))[-2:] == [
        ("decision.approve", "ok", "adele"), ("decision.reject", "refused", "megan")]


async def test_a_decision_that_races_a_question_is_told_to_look_again(
    catalog: Catalog, clock: FakeClock
) -> None:
    db = FakeDatabase()
    await submit(FakeUnitOfWork(db), catalog, clock)
    megans = FakeUnitOfWork(db)
    real_get = megans.requests.get
    raced = False

    async def get_then_adele_asks(request_id: str) -> Request | None:
        nonlocal raced
        found = await real_get(request_id)
        if not raced:
            raced = True
            await decide(FakeUnitOfWork(db), catalog, clock, "EXC-1", Outcome.NEED_INFO,
                         "adele", "Which ranges?")
        return found

    megans.requests.get = get_then_adele_asks  # type: ignore[method-assign]

    with pytest.raises(ConcurrentUpdate):
        await decide(megans, catalog, clock, "EXC-1", Outcome.APPROVE, "megan")

    stored = db.request("EXC-1")
    assert stored is not None
    assert (stored.state, [d.decider_id for d in stored.decisions]) == (
        State.INFO_REQUESTED, ["adele"])


# --- queries ------------------------------------------------------------------------------------


async def test_who_owns_names_the_owner_backup_team_and_open_requests(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock)
    await submit(uow, catalog, clock)
    await submit(uow, catalog, clock, exception_draft("kv-payments"))
    await decide(uow, catalog, clock, "EXC-2", Outcome.REJECT, "megan")

    owns = await services.who_owns(uow, catalog, "pay-api")

    assert owns.asset.name == "payments-api"
    assert (owns.owner, owns.backup, owns.team) == (
        "Megan Bowen", "Adele Vance", "Payments Platform")
    assert [r.id for r in owns.open_requests] == ["EXC-1"]


async def test_who_owns_a_team_asset_names_the_team_and_no_backup(
    uow: FakeUnitOfWork, catalog: Catalog
) -> None:
    owns = await services.who_owns(uow, catalog, "Ledger")

    assert (owns.asset.name, owns.owner, owns.backup) == (
        "ledger-db", "Payments Platform", None)
    assert owns.open_requests == []


async def test_who_owns_an_unknown_asset_suggests_names(
    uow: FakeUnitOfWork, catalog: Catalog
) -> None:
    with pytest.raises(UnknownAsset) as unknown:
        await services.who_owns(uow, catalog, "ledger-database-prod")

    assert unknown.value.suggestions[0] == "ledger-db"


async def test_my_requests_lists_the_actors_open_requests_and_active_exceptions(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock)  # EXC-1 by alex
    await submit(uow, catalog, clock, by=actor("outsider"))  # EXC-2
    await submit(uow, catalog, clock, rollback_draft())  # RBK-1 by alex
    await submit(uow, catalog, clock)  # EXC-3 by alex, approved below: active
    await decide(uow, catalog, clock, "EXC-3", Outcome.APPROVE, "megan")
    await decide(uow, catalog, clock, "EXC-1", Outcome.NEED_INFO, "megan", "Why?")
    await submit(uow, catalog, clock)  # EXC-4 by alex, rejected below: closed
    await decide(uow, catalog, clock, "EXC-4", Outcome.REJECT, "megan")

    mine = await services.my_requests(uow, catalog, actor("alex"))

    assert sorted(r.id for r in mine) == ["EXC-1", "EXC-3", "RBK-1"]
    assert await services.my_requests(uow, catalog, actor("adele")) == []


async def test_my_approvals_lists_what_the_actor_may_decide_now(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock)  # EXC-1: megan, adele
    await submit(uow, catalog, clock, by=actor("megan"))  # EXC-2: adele only
    await submit(uow, catalog, clock, exception_draft("ledger-db"))  # EXC-3: megan, adele
    await submit(uow, catalog, clock)  # EXC-4: decided below
    await decide(uow, catalog, clock, "EXC-4", Outcome.REJECT, "adele")
    await decide(uow, catalog, clock, "EXC-3", Outcome.NEED_INFO, "adele", "Why?")

    megans = await services.my_approvals(uow, catalog, actor("megan"))
    adeles = await services.my_approvals(uow, catalog, actor("adele"))

    assert sorted(r.id for r in megans) == ["EXC-1", "EXC-3"]
    assert sorted(r.id for r in adeles) == ["EXC-1", "EXC-2", "EXC-3"]
    assert await services.my_approvals(uow, catalog, actor("outsider")) == []
    assert await services.my_approvals(uow, catalog, stranger()) == []


async def test_my_approvals_lists_an_emergency_rollback_to_review(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    """It is done already, but its review is an approval the owner still has to give."""
    await submit(uow, catalog, clock, rollback_draft(emergency=True))

    assert [r.id for r in await services.my_approvals(uow, catalog, actor("megan"))] == ["RBK-1"]
    assert await services.my_approvals(uow, catalog, actor("alex")) == []


async def test_request_status_shows_every_decision_and_note(
    uow: FakeUnitOfWork, catalog: Catalog, clock: FakeClock
) -> None:
    await submit(uow, catalog, clock)
    await decide(uow, catalog, clock, "EXC-1", Outcome.NEED_INFO, "megan", "Why?")
    await services.answer_info(uow, catalog, clock, "EXC-1", "Vendor", actor("alex"), SOURCE)
    await decide(uow, catalog, clock, "EXC-1", Outcome.APPROVE, "megan")

    status = await services.request_status(uow, "exc-1")

    assert status.state is State.ACTIVE
    assert [d.outcome for d in status.decisions] == [Outcome.NEED_INFO, Outcome.APPROVE]
    assert [n.kind for n in status.notes] == ["question", "answer"]
    with pytest.raises(UnknownRequest):
        await services.request_status(uow, "RBK-9")
