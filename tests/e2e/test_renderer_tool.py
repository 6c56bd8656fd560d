"""The official Adaptive Cards renderer tools (npm adaptivecards, run by Node) on known cards."""

from __future__ import annotations

import copy
import importlib
import json
import struct
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
adaptive_renderer = importlib.import_module("tools.adaptive_renderer")
render = importlib.import_module("tools.render_cards")

SAMPLE = json.loads((ROOT / "tools" / "sample_card.json").read_text("utf-8"))

needs_node = pytest.mark.skipif(
    adaptive_renderer.renderer_available() is not None,
    reason=f"official renderer unavailable: {adaptive_renderer.renderer_available()}",
)


def sample() -> dict[str, Any]:
    card: dict[str, Any] = copy.deepcopy(SAMPLE)
    return card


@pytest.fixture(scope="module")
def renderer() -> Any:
    with adaptive_renderer.OfficialRenderer() as official:
        yield official


@needs_node
def test_good_card_has_no_problems(renderer: Any) -> None:
    assert renderer.check(sample()) == []


@needs_node
def test_unknown_element_type_is_reported(renderer: Any) -> None:
    card = sample()
    card["body"].append({"type": "Input.Signature", "id": "sig"})
    problems = renderer.check(card)
    assert any("Unknown element type" in p and "Input.Signature" in p for p in problems), problems


@needs_node
def test_action_execute_without_verb_is_reported(renderer: Any) -> None:
    card = sample()
    del card["actions"][1]["verb"]
    nested = {"type": "Action.Execute", "title": "Nested", "verb": ""}
    card["body"].append({"type": "ActionSet", "actions": [nested]})
    problems = renderer.check(card)
    assert sum("MissingVerb" in p for p in problems) == 2, problems
    assert any('"Reject"' in p and "$.actions[1]" in p for p in problems), problems


@needs_node
def test_invalid_values_and_duplicate_ids_are_reported(renderer: Any) -> None:
    card = sample()
    card["body"][0]["size"] = "huge"
    card["body"].append({"type": "Input.Text", "id": "comment"})
    problems = renderer.check(card)
    assert any('Invalid value "huge"' in p for p in problems), problems
    assert any("DuplicateId" in p for p in problems), problems


@needs_node
def test_card_newer_than_teams_is_reported(renderer: Any) -> None:
    card = sample()
    card["version"] = "1.6"
    assert any("UnsupportedCardVersion" in p for p in renderer.check(card))


@pytest.mark.skipif(
    render.screenshots_available() is not None,
    reason=f"card screenshots unavailable: {render.screenshots_available()}",
)
def test_render_cards_writes_a_png(tmp_path: Path) -> None:
    (written,) = render.render_cards({"sample request": sample()}, tmp_path, scale=1)
    data = written.read_bytes()
    assert written.name == "sample-request.png"
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert 450 <= width <= 600 and height > 300
