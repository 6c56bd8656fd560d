"""SqlStorage passes the Bot Framework SDK's own storage contract, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from botbuilder.core import StoreItem
from botbuilder.dialogs import DialogState
from botbuilder.testing import StorageBaseTests
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.sql_storage import SqlStorage
from storage.dialog_state import DialogStateStore, EtagConflict

CONTRACT = [
    "return_empty_object_when_reading_unknown_key",
    "handle_null_keys_when_reading",
    "handle_null_keys_when_writing",
    "does_not_raise_when_writing_no_items",
    "create_object",
    "handle_crazy_keys",
    "update_object",
    "delete_object",
    "delete_unknown_object",
    "perform_batch_operations",
    "proceeds_through_waterfall",
]


class Counter(StoreItem):
    def __init__(self, count: int = 0, e_tag: str = "*") -> None:
        super().__init__()
        self.count = count
        self.e_tag = e_tag


@pytest.fixture
def storage(engine: AsyncEngine) -> SqlStorage:
    return SqlStorage(DialogStateStore(engine))


def test_the_contract_list_is_the_whole_suite() -> None:
    offered = {name for name in vars(StorageBaseTests) if not name.startswith("_")}
    assert offered == set(CONTRACT)


@pytest.mark.parametrize("name", CONTRACT)
async def test_storage_contract(storage: SqlStorage, name: str) -> None:
    assert await getattr(StorageBaseTests, name)(storage) is True


async def test_a_stale_etag_is_a_conflict_for_dicts_and_store_items(storage: SqlStorage) -> None:
    await storage.write({"dict": {"count": 1}, "item": Counter(1)})
    read = await storage.read(["dict", "item"])
    await storage.write(read)  # the eTags just read are current

    for key in ("dict", "item"):
        with pytest.raises(EtagConflict):
            await storage.write({key: read[key]})  # now they are stale
    assert isinstance(read["item"], Counter) and read["item"].count == 1


async def test_dialog_state_round_trips_as_objects(storage: SqlStorage) -> None:
    state = DialogState([])
    await storage.write({"conv": {"dialogState": state, "turns": 2}})

    read = (await storage.read(["conv"]))["conv"]

    assert isinstance(read["dialogState"], DialogState)
    assert read["dialogState"].dialog_stack == [] and read["turns"] == 2
    assert read["e_tag"]
