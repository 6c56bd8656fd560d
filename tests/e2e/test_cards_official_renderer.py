"""Every example card through the official Adaptive Cards renderer (npm `adaptivecards`, in Node).

The renderer parses each card as Teams' web client would (schema 1.5): unknown elements or
actions, invalid property values, duplicate input ids and an Action.Execute without a verb are
problems. Skipped, with the reason, where Node or the npm package is missing (`make node`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cards.catalog_of_examples import example_cards
from catalog.loader import load_catalog
from tools.adaptive_renderer import OfficialRenderer, renderer_available

UNAVAILABLE = renderer_available()
pytestmark = pytest.mark.skipif(
    UNAVAILABLE is not None, reason=f"official renderer unavailable: {UNAVAILABLE}"
)
EXAMPLES = example_cards(load_catalog())


@pytest.fixture(scope="module")
def renderer() -> Iterator[OfficialRenderer]:
    with OfficialRenderer() as official:
        yield official


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_card_has_no_problems_in_the_official_renderer(
    renderer: OfficialRenderer, name: str
) -> None:
    assert renderer.check(EXAMPLES[name]) == []


def test_the_renderer_would_catch_a_broken_card(renderer: OfficialRenderer) -> None:
    """The check is not vacuous: the same cards, broken, are reported."""
    card: dict[str, Any] = dict(EXAMPLES["approval_exception"])
    broken = {**card, "actions": [{"type": "Action.Execute", "title": "Approve"}],
              "body": [*card["body"], {"type": "Input.Text", "id": "comment"}]}
    problems = renderer.check(broken)
    assert any("verb" in p for p in problems)
    assert any("comment" in p.lower() or "duplicate" in p.lower() for p in problems)


def test_the_renderer_reads_our_refresh_and_refuses_the_librarys_string_form(
    renderer: OfficialRenderer,
) -> None:
    """`refresh.action` must be an Action.Execute with a verb: adaptive-cards-py 0.4.3 types it
    as a string, which the official renderer drops ("action must be set")."""
    card = EXAMPLES["view_status_for_others"]
    assert card["refresh"]["action"]["verb"] == "request.refresh"
    assert renderer.check(card) == []
    as_string = {**card, "refresh": {**card["refresh"], "action": "request.refresh"}}
    assert any("action" in p for p in renderer.check(as_string))
    verbless = {**card, "refresh": {**card["refresh"], "action": {"type": "Action.Execute"}}}
    assert any("verb" in p for p in renderer.check(verbless))
