"""A botbuilder `Storage` on SQL, so dialog state survives restarts and is shared by replicas."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from botbuilder.core import Storage
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler


class StateDocuments(Protocol):
    """JSON documents with eTags (storage.dialog_state.DialogStateStore)."""

    async def read(self, keys: Iterable[str]) -> dict[str, tuple[str, str]]: ...
    async def write(self, key: str, data: str, expected_etag: str | None) -> str: ...
    async def delete(self, keys: Iterable[str]) -> None: ...


class SqlStorage(Storage):  # type: ignore[misc]  # botbuilder is untyped
    """Store items as the SDK's Cosmos DB and Blob storages do, on a SQL table.

    Items are flattened with jsonpickle, so DialogState and other objects come back as the
    classes they were, and dicts as dicts. Every item read carries its eTag in `e_tag`. On
    write, an `e_tag` of None or "*" overwrites; any other value writes only over that exact
    version, and a stale one raises (storage.dialog_state.EtagConflict); "" is refused.
    """

    def __init__(self, documents: StateDocuments) -> None:
        super().__init__()
        self._documents = documents

    async def read(self, keys: list[str]) -> dict[str, object]:
        if keys is None:
            raise ValueError("Keys are required when reading")
        found = await self._documents.read(list(keys))
        return {key: _restore(data, etag) for key, (etag, data) in found.items()}

    async def write(self, changes: dict[str, object]) -> None:
        if changes is None:
            raise ValueError("Changes are required when writing")
        if not changes:
            return
        for key, item in changes.items():
            e_tag = _e_tag_of(item)
            if e_tag == "":
                raise ValueError(f"SqlStorage.write(): etag missing for {key!r}")
            await self._documents.write(key, _flatten(item), e_tag)

    async def delete(self, keys: list[str]) -> None:
        if keys is None:
            raise ValueError("Keys are required when deleting")
        await self._documents.delete(list(keys))


def _e_tag_of(item: object) -> str | None:
    value = item.get("e_tag") if isinstance(item, dict) else getattr(item, "e_tag", None)
    return None if value is None else str(value)


def _flatten(item: object) -> str:
    document = Pickler().flatten(item)
    if not isinstance(document, dict):
        raise TypeError(f"a store item must be a dict or an object, not {type(item).__name__}")
    document.pop("e_tag", None)  # the row's etag column is the only truth about versions
    return json.dumps(document, separators=(",", ":"))


def _restore(data: str, etag: str) -> Any:
    document = json.loads(data)
    document["e_tag"] = etag
    return Unpickler().restore(document)
