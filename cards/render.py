"""From a card model to the JSON object the bot sends, and the checks a card must pass."""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from typing import Any

import adaptive_cards.card as library
from adaptive_cards.card import AdaptiveCard
from adaptive_cards.validation import CardValidatorFactory

from cards.mentions import TeamsWithMentions
from cards.refresh import RefreshableCard

MAX_CARD_BYTES = 40 * 1024  # ours; Teams refuses a message over about 100 KB


def card_to_dict(card: AdaptiveCard) -> dict[str, Any]:
    """The card as a JSON-ready dict (camelCase names, no nulls), the attachment's content."""
    # serialize_as_any: Teams-only extensions (cards/mentions.py) subclass the library's models
    return card.model_dump(by_alias=True, exclude_none=True, mode="json", serialize_as_any=True)


def card_size(card_dict: Mapping[str, Any]) -> int:
    """Bytes of the card as sent on the wire (JSON, ASCII with \\u escapes)."""
    return len(json.dumps(card_dict))


def validate(card_dict: Mapping[str, Any]) -> list[str]:
    """Problems with a card dict; [] when it is a valid Teams card.

    Checks: it reads back into adaptive-cards-py's models unchanged (so nothing the models do not
    know about slipped in), the library's Teams validator (official schema 1.5, field versions,
    Teams' size limit), version 1.5, every Action.Execute has a verb, and our size limit.
    """
    content = dict(card_dict)
    problems: list[str] = []
    msteams = content.get("msteams")
    if isinstance(msteams, Mapping) and "entities" in msteams:
        # Teams' mention entities are outside the Adaptive Card schema: checked on their own
        content.pop("msteams")
        try:
            TeamsWithMentions.model_validate(msteams)
        except ValueError as exc:
            problems.append(f"msteams entities: {exc}")
    try:
        card = RefreshableCard.model_validate(content)
    except ValueError as exc:  # pydantic's ValidationError
        return [f"not an Adaptive Card: {exc}"]
    if card_to_dict(card) != content:
        problems.append("the card does not read back unchanged into the card models")
    validator = CardValidatorFactory.create_validator_microsoft_teams()
    with warnings.catch_warnings():
        # adaptive-cards-py 0.4.3 reads `model_fields` on instances, deprecated in pydantic 2.11.
        warnings.filterwarnings("ignore", message="Accessing the 'model_fields' attribute")
        validator.validate(card, debug=False)  # debug=True would print every finding
    problems += [f"{f.message} {f.message_additional}".strip() for f in validator.details()]
    if card_dict.get("version") != "1.5":
        problems.append(f"version is {card_dict.get('version')!r}, not '1.5'")
    problems += [f"Action.Execute {title!r} has no verb" for title in _verbless(card_dict)]
    size = card_size(card_dict)
    if size >= MAX_CARD_BYTES:
        problems.append(f"{size} bytes: over our limit of {MAX_CARD_BYTES}")
    return problems


def _verbless(node: object) -> list[str]:
    """Titles of Action.Execute actions anywhere in `node` that have no verb."""
    found: list[str] = []
    if isinstance(node, Mapping):
        if node.get("type") == "Action.Execute" and not str(node.get("verb") or "").strip():
            found.append(str(node.get("title")))
        for key, value in node.items():
            if key != "data":
                found += _verbless(value)
    elif isinstance(node, list):
        for item in node:
            found += _verbless(item)
    return found


def complete_models() -> int:
    """Build the card models' validators now (how many were built), not on first use.

    adaptive-cards-py's models refer to each other, so pydantic finishes 26 of them (the
    container and text elements among them) only when the first card is built: 76 ms of the
    first click after a start, here. Start-up calls this instead.
    """
    built = 0
    for model in vars(library).values():
        if (isinstance(model, type) and model.__module__ == library.__name__
                and getattr(model, "__pydantic_complete__", True) is False):
            model.model_rebuild()  # type: ignore[attr-defined]  # resolved in its own module
            built += 1
    return built
