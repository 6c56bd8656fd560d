"""The HTTP edge writes invoke responses with pydantic-core's JSON writer (bot/endpoint.py):
the same JSON value json.dumps writes, and still an answer for text that is not Unicode."""

from __future__ import annotations

import json

from bot.endpoint import json_text
from cards.catalog_of_examples import example_cards


def test_every_card_reads_back_as_the_value_json_dumps_writes() -> None:
    for name, card in example_cards().items():
        body = {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive",
                "value": card}
        assert json.loads(json_text(body)) == json.loads(json.dumps(body)), name


def test_text_is_written_as_utf8_and_a_lone_surrogate_falls_back_to_an_escape() -> None:
    assert json_text({"t": "Zoë — [x](https://evil)"}).decode("utf-8") == (
        '{"t":"Zoë — [x](https://evil)"}')
    assert json.loads(json_text({"t": "a\ud800b"})) == {"t": "a\ud800b"}
