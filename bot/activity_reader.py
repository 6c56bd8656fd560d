"""An activity's JSON read into botbuilder's `Activity`, as msrest reads it, in a fifth of the time.

msrest's `Deserializer` is general: for every attribute of every model it copies the attribute's
description, tries each key extractor, dispatches on the type's name, and copies every free-form
`object` (channelData, value) item by item. On a decision turn that was about 8 % of the bot's
CPU. Here each model's attributes are planned once (JSON key, attribute, type), and the common
values are taken as they are: text for a `str`, a JSON object for a model (read the same way),
a list of JSON objects for a list of models, and any JSON value for an `object` (msrest's copy
of freshly parsed JSON is equal to it; the parsed body is not used again). Anything else (a
number where text is expected, a time, a value of the wrong shape) goes to msrest itself, so
it is converted, or refused with msrest's own error, exactly as before. Keys the model does not
name end in `additional_properties`, as msrest puts them.

tests/unit/test_activity_reader.py checks, on generated activities, that both readers give
equal objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from msrest.serialization import Deserializer, Model

_Convert = Callable[[Any], Any]
_JSON_TYPES = frozenset({dict, list, str, int, float, bool})  # what json.loads gives


class ModelReader:
    """Reads JSON into msrest models of one schema (the classes msrest would consider)."""

    def __init__(self, models: Mapping[str, type]) -> None:
        self._msrest = Deserializer(dict(models))
        self._models = dict(models)
        self._plans: dict[str, tuple[tuple[tuple[str, str, _Convert], ...], frozenset[str],
                                     tuple[str, ...]]] = {}
        for name, model in self._models.items():
            if isinstance(model, type) and issubclass(model, Model):
                if getattr(model, "_subtype_map", None):
                    raise ValueError(f"{name} is polymorphic: read it with msrest")
                self._plans[name] = self._plan(model)

    def __call__(self, name: str, data: Any) -> Any:
        if not isinstance(data, dict):
            return self._msrest(name, data)
        try:
            return self._read(name, data)
        except (AttributeError, TypeError, KeyError):
            # msrest wraps these in DeserializationError (a `{Entity}` given a list raises a bare
            # KeyError deep inside it): let msrest read it, and refuse it, its own way.
            return self._msrest(name, data)

    def _plan(self, model: type) -> tuple[tuple[tuple[str, str, _Convert], ...],
                                          frozenset[str], tuple[str, ...]]:
        fields = []
        for attr, desc in model._attribute_map.items():
            key, kind = desc["key"], desc["type"]
            if "." in key or key == "":
                raise ValueError(f"{model.__name__}.{attr}: flattened keys: read it with msrest")
            fields.append((key, attr, self._converter(kind)))
        validation = getattr(model, "_validation", {})
        readonly = tuple(k for k, v in validation.items() if v.get("readonly"))
        if any(v.get("constant") for v in validation.values()):
            raise ValueError(f"{model.__name__} has constants: read it with msrest")
        return tuple(fields), frozenset(f[0] for f in fields), readonly

    def _converter(self, kind: str) -> _Convert:
        slow = self._msrest.deserialize_data
        if kind == "str":
            return lambda v: v if type(v) is str else slow(v, kind)
        if kind == "object":
            return lambda v: v if type(v) in _JSON_TYPES else slow(v, kind)
        if kind in self._models:
            return lambda v: self._read(kind, v) if type(v) is dict else slow(v, kind)
        inner = kind[1:-1]
        if kind.startswith("[") and kind.endswith("]") and inner in self._models:
            def many(v: Any) -> Any:
                if type(v) is list and all(type(item) is dict for item in v):
                    return [self._read(inner, item) for item in v]
                return slow(v, kind)
            return many
        return lambda v: slow(v, kind)

    def _read(self, name: str, data: dict[str, Any]) -> Any:
        fields, known, readonly = self._plans[name]
        values = {}
        for key, attr, convert in fields:
            value = data.get(key)
            values[attr] = None if value is None else convert(value)
        model = self._models[name]
        kwargs = {k: v for k, v in values.items() if k not in readonly} if readonly else values
        try:
            result = model(**kwargs)
        except TypeError:
            return self._msrest(name, data)  # msrest's own refusal
        for attr in readonly:
            setattr(result, attr, values[attr])
        if not known.issuperset(data):
            result.additional_properties = {k: data[k] for k in data.keys() - known}
        return result

