"""The same activity delivered twice (Teams retrying a submit or a click) acts once."""

from __future__ import annotations

import pytest

from approvals import services
from approvals.errors import AlreadyDone, NotAllowed
from approvals.model import Outcome, Source, State

from .fakes import FakeClock, FakeUnitOfWork, actor, small_catalog
from .test_services import exception_draft

SUBMIT = Source(conversation_id="a:alex", activity_id="submit-1")
APPROVE = Source(conversation_id="a:megan", activity_id="approve-1")


async def test_a_submit_delivered_twice_creates_one_request() -> None:
    uow, catalog, clock = FakeUnitOfWork(), small_catalog(), FakeClock()
    first = await services.submit_request(uow, catalog, clock, exception_draft(),
                                          actor("alex"), SUBMIT)
    with pytest.raises(AlreadyDone) as again:
        await services.submit_request(uow, catalog, clock, exception_draft(),
                                      actor("alex"), SUBMIT)
    assert again.value.request_id == first.id == "EXC-1"
    assert [r.id for r in uow.db.requests()] == ["EXC-1"]
    assert [e.action for e in uow.db.audit] == ["request.submitted"]
    other = await services.submit_request(uow, catalog, clock, exception_draft(),
                                          actor("alex"), Source("msteams", "a:alex", "submit-2"))
    assert other.id == "EXC-2"


async def test_an_approve_delivered_twice_decides_once() -> None:
    uow, catalog, clock = FakeUnitOfWork(), small_catalog(), FakeClock()
    request = await services.submit_request(uow, catalog, clock, exception_draft(),
                                            actor("alex"), SUBMIT)
    approved = await services.record_decision(uow, catalog, clock, request.id, Outcome.APPROVE,
                                              "", actor("megan"), APPROVE)
    assert approved.state is State.ACTIVE
    with pytest.raises(AlreadyDone):
        await services.record_decision(uow, catalog, clock, request.id, Outcome.APPROVE, "",
                                       actor("megan"), APPROVE)
    stored = uow.db.request(request.id)
    assert stored is not None and len(stored.decisions) == 1
    assert [e.action for e in uow.db.audit_for(request.id)] == [
        "request.submitted", "decision.approve"]


async def test_the_same_activity_id_in_another_conversation_is_another_activity() -> None:
    uow, catalog, clock = FakeUnitOfWork(), small_catalog(), FakeClock()
    await services.submit_request(uow, catalog, clock, exception_draft(), actor("alex"), SUBMIT)
    second = await services.submit_request(uow, catalog, clock, exception_draft(), actor("alex"),
                                           Source("msteams", "19:group", "submit-1"))
    assert second.id == "EXC-2"


async def test_an_answer_delivered_twice_answers_once_and_a_forged_answer_is_audited() -> None:
    uow, catalog, clock = FakeUnitOfWork(), small_catalog(), FakeClock()
    request = await services.submit_request(uow, catalog, clock, exception_draft(),
                                            actor("alex"), SUBMIT)
    await services.record_decision(uow, catalog, clock, request.id, Outcome.NEED_INFO,
                                   "which vendor?", actor("megan"), APPROVE)
    with pytest.raises(NotAllowed):  # Megan types Alex's answer on his card's data: refused
        await services.answer_info(uow, catalog, clock, request.id, "Contoso", actor("megan"),
                                   Source("msteams", "a:megan", "forged-1"))
    answer = Source("msteams", "a:alex", "answer-1")
    await services.answer_info(uow, catalog, clock, request.id, "Contoso", actor("alex"), answer)
    with pytest.raises(AlreadyDone):
        await services.answer_info(uow, catalog, clock, request.id, "Contoso", actor("alex"),
                                   answer)
    stored = uow.db.request(request.id)
    assert stored is not None and [n.kind for n in stored.notes] == ["question", "answer"]
    assert [(e.action, e.outcome, e.actor_id) for e in uow.db.audit_for(request.id)][-2:] == [
        ("request.info_answered", "refused", "megan"), ("request.info_answered", "ok", "alex")]
