"""bot/activity_reader.py reads every activity as msrest's Deserializer does: equal objects
(msrest models compare their attributes, nested models and additional_properties included),
or a refusal where msrest refuses."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.schema import Activity
from hypothesis import given, settings
from hypothesis import strategies as st
from msrest.exceptions import DeserializationError
from msrest.serialization import Deserializer

from bot.activity_reader import ModelReader

MODELS = Activity._infer_class_models()
MSREST = Deserializer(MODELS)
FAST = ModelReader(MODELS)
REFUSED = (DeserializationError, TypeError, ValueError, AttributeError)

TEAMS_INVOKE = {
    "type": "invoke", "id": "f:123", "timestamp": "2026-11-27T10:00:00.123Z",
    "localTimestamp": "2026-11-27T11:00:00.123+01:00", "channelId": "msteams",
    "serviceUrl": "https://smba.trafficmanager.net/emea/",
    "from": {"id": "29:1abc", "name": "Megan Bowen", "aadObjectId": "aad-megan"},
    "recipient": {"id": "28:bot", "name": "Signoff"},
    "conversation": {"id": "a:1xyz", "conversationType": "personal", "tenantId": "t-1"},
    "channelData": {"tenant": {"id": "t-1"}, "source": {"name": "message"}, "legacy": None},
    "entities": [{"type": "clientInfo", "locale": "en-US", "platform": "Web",
                  "timezone": "Europe/Paris"}],
    "replyToId": "1700000000000", "name": "adaptiveCard/action", "locale": "en-US",
    "value": {"action": {"type": "Action.Execute", "verb": "decide",
                         "data": {"request_id": "EXC-1", "outcome": "approve", "n": [1, 2.5]}},
              "trigger": "manual"},
    "attachments": [{"contentType": "text/html", "content": "<p>hi</p>"}],
    "membersAdded": [{"id": "29:2", "name": "Alex"}],
    "suggestedActions": {"to": ["29:1"], "actions": [{"type": "imBack", "value": "yes"}]},
    "relatesTo": {"activityId": "1", "bot": {"id": "28:bot"}, "conversation": {"id": "c"}},
    "textHighlights": [{"text": "x", "occurrence": 1}],
    "reactionsAdded": [{"type": "like"}],
    "semanticAction": {"id": "s", "state": "start", "entities": {"e": {"type": "t"}}},
    "unknownTopLevel": {"kept": True},
}


def assert_same(body: Any) -> None:
    try:
        expected = MSREST("Activity", body)
    except REFUSED:
        with pytest.raises(REFUSED):
            FAST("Activity", body)
        return
    actual = FAST("Activity", body)
    assert type(actual) is type(expected)
    assert actual == expected
    assert actual.serialize() == expected.serialize()
    assert (getattr(actual, "additional_properties", None)
            == getattr(expected, "additional_properties", None))


def test_a_full_teams_activity_reads_the_same() -> None:
    assert_same(TEAMS_INVOKE)
    activity = FAST("Activity", TEAMS_INVOKE)
    assert activity.from_property.aad_object_id == "aad-megan"
    assert activity.value["action"]["data"]["request_id"] == "EXC-1"
    assert activity.additional_properties == {"unknownTopLevel": {"kept": True}}
    assert activity.timestamp.tzinfo is not None


json_scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=8) | \
    st.floats(allow_nan=False)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8)
times = st.sampled_from(["2026-11-27T10:00:00Z", "2026-11-27T10:00:00.1234567+01:00",
                         "not a time", "", 5])
field_values = json_values | times
keys = st.sampled_from(sorted({d["key"] for d in Activity._attribute_map.values()})
                       + ["extra", "from", "conversation"])


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, field_values, max_size=8), st.data())
def test_generated_activities_read_the_same(body: dict[str, Any], data: st.DataObject) -> None:
    # Nested accounts and lists of models, as they come or with a wrong-shaped field in them.
    account = st.fixed_dictionaries({"id": st.text(max_size=4)},
                                    optional={"name": field_values, "aadObjectId": field_values,
                                              "role": field_values, "other": json_values})
    if data.draw(st.booleans()):
        body["from"] = data.draw(account)
    if data.draw(st.booleans()):
        body["membersAdded"] = data.draw(st.lists(account | json_values, max_size=3))
    if data.draw(st.booleans()):
        body["entities"] = data.draw(st.lists(st.dictionaries(st.sampled_from(["type", "x"]),
                                                              field_values), max_size=2))
    if data.draw(st.booleans()):  # a `{Entity}` map, or something else in its place
        body["semanticAction"] = {"id": "s", "entities": data.draw(
            st.dictionaries(st.text(max_size=3), st.dictionaries(st.just("type"), field_values))
            | json_values)}
    assert_same(body)


def test_a_list_where_a_map_of_entities_belongs_is_refused_as_msrest_refuses_it() -> None:
    # msrest raises a bare KeyError inside; both must refuse with DeserializationError (400).
    for entities in ([{"type": "x"}], [{"key": "k"}]):
        body = {**TEAMS_INVOKE, "semanticAction": {"id": "s", "entities": entities}}
        with pytest.raises(DeserializationError):
            MSREST("Activity", body)
        with pytest.raises(DeserializationError):
            FAST("Activity", body)


def test_the_sample_activity_with_each_field_of_a_wrong_shape_reads_the_same() -> None:
    for key in TEAMS_INVOKE:
        for wrong in (5, "text", [1], {"id": 3}, True, None, [{"id": []}]):
            assert_same({**TEAMS_INVOKE, key: wrong})


def test_each_nested_field_of_a_wrong_shape_reads_the_same() -> None:
    wrongs = (5, "text", [1], {"id": 3}, True, None, [{"key": []}], {"a": [1]})
    for key, value in TEAMS_INVOKE.items():
        inner = value[0] if isinstance(value, list) and value else value
        if not isinstance(inner, dict) or key in ("value", "channelData"):
            continue  # free-form objects: any JSON is kept as it is
        for sub in inner:
            for wrong in wrongs:
                changed = {**inner, sub: wrong}
                assert_same({**TEAMS_INVOKE, key: [changed] if isinstance(value, list)
                             else changed})
