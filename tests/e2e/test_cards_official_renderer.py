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
