"""Invisible and direction-changing characters in what people write are refused, by name."""

from __future__ import annotations

import pytest

from approvals import services
from approvals.errors import InvalidRequest, NotAllowed
from approvals.hidden_text import hidden_characters_problem, is_hidden, without_hidden
from approvals.model import Outcome

from .fakes import SOURCE, FakeClock, FakeUnitOfWork, actor, small_catalog
from .test_services import exception_draft

LISTED = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), *range(0x200B, 0x2010), 0xFEFF,
          0x2060, 0x00AD, 0x061C, 0x180E, 0xE0001, 0x2028, 0x2029, 0x001B, 0x0000, 0x007F]


@pytest.mark.parametrize("code", LISTED, ids=[f"U+{c:04X}" for c in LISTED])
def test_every_listed_character_is_hidden(code: int) -> None:
    assert is_hidden(chr(code))
    assert f"U+{code:04X}" in (hidden_characters_problem(f"ok{chr(code)}ok") or "")
    assert without_hidden(f"ok{chr(code)}ok") == "okok"


@pytest.mark.parametrize("text", [
    "Öffentlicher Zugriff für die Migration", "גישה ציבורית", "وصول عام", "访问 🚀",
    "line one\nline two\ttabbed\r\n", "[click](https://evil) **bold**",
])
def test_ordinary_text_in_any_script_is_not(text: str) -> None:
    assert hidden_characters_problem(text) is None


async def test_a_title_with_a_direction_override_is_refused_by_name() -> None:
    uow = FakeUnitOfWork()
    draft = exception_draft(title="Invoice \u202egnp.exe", justification="ok\u200b ok")
    with pytest.raises(InvalidRequest) as refused:
        await services.submit_request(uow, small_catalog(), FakeClock(), draft, actor("alex"),
                                      SOURCE)
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in refused.value.problems["title"]
    assert "character 9" in refused.value.problems["title"]
    assert "U+200B ZERO WIDTH SPACE" in refused.value.problems["justification"]
    assert uow.db.requests() == [] and uow.db.audit == []


async def test_a_comment_with_an_invisible_character_is_refused() -> None:
    uow, catalog, clock = FakeUnitOfWork(), small_catalog(), FakeClock()
    request = await services.submit_request(uow, catalog, clock, exception_draft(),
                                            actor("alex"), SOURCE)
    with pytest.raises(NotAllowed, match="U\\+2067 RIGHT-TO-LEFT ISOLATE"):
        await services.record_decision(uow, catalog, clock, request.id, Outcome.APPROVE,
                                       "fine \u2067until friday", actor("megan"), SOURCE)
    stored = uow.db.request(request.id)
    assert stored is not None and stored.decisions == ()
