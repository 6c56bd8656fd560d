"""The connector clients' serializer (bot/connectors.py) sends every card exactly as msrest's
own serializer would, only without rebuilding it value by value."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botframework.connector import models
from msrest.serialization import Serializer

from bot.connectors import JsonPassingSerializer
from bot.messenger import card_activity
from cards.catalog_of_examples import example_cards

CONNECTOR_MODELS = {k: v for k, v in vars(models).items() if isinstance(v, type)}


@pytest.mark.parametrize("name", sorted(example_cards()))
def test_every_card_is_sent_as_msrest_would_send_it(name: str) -> None:
    activity = card_activity(example_cards()[name], summary=f"{name} summary")
    activity.channel_data = {"tenant": {"id": "00000000-0000-0000-0000-0000000000001"}}

    ours = JsonPassingSerializer(CONNECTOR_MODELS).body(activity, "Activity")
    stock = Serializer(CONNECTOR_MODELS).body(activity, "Activity")

    assert json.dumps(ours, sort_keys=True) == json.dumps(stock, sort_keys=True)


def test_values_that_are_not_json_still_go_through_msrest() -> None:
    class Odd:
        def __str__(self) -> str:
            return "odd"

    content: dict[str, Any] = {"type": "AdaptiveCard", "body": [{"value": Odd()}]}
    activity = card_activity(content)

    ours = JsonPassingSerializer(CONNECTOR_MODELS).body(activity, "Activity")

    assert ours["attachments"][0]["content"]["body"] == [{"value": "odd"}]
