"""INSERT ... ON CONFLICT DO UPDATE / DO NOTHING for the two databases we run on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnElement


def upsert(
    dialect: str, table: Table, values: Mapping[str, Any], key: Sequence[str],
    update: Mapping[str, Any] | None = None,
) -> Insert:
    """Insert `values`; where a row with the same `key` exists, set `update` instead.

    `update` defaults to the non-key `values`; it may hold expressions on the existing row,
    such as `table.c.last + 1`.
    """
    changes: Mapping[str, Any | ColumnElement[Any]] = (
        update if update is not None else {k: v for k, v in values.items() if k not in key}
    )
    if dialect == "postgresql":
        pg = postgresql.insert(table).values(**values)
        return pg.on_conflict_do_update(index_elements=list(key), set_=dict(changes))
    if dialect == "sqlite":
        lite = sqlite.insert(table).values(**values)
        return lite.on_conflict_do_update(index_elements=list(key), set_=dict(changes))
    raise ValueError(f"no upsert for dialect {dialect!r}")


def insert_once(
    dialect: str, table: Table, values: Mapping[str, Any], key: Sequence[str]
) -> Insert:
    """Insert `values` unless a row with the same `key` exists (then do nothing, no error)."""
    if dialect == "postgresql":
        pg = postgresql.insert(table).values(**values)
        return pg.on_conflict_do_nothing(index_elements=list(key))
    if dialect == "sqlite":
        lite = sqlite.insert(table).values(**values)
        return lite.on_conflict_do_nothing(index_elements=list(key))
    raise ValueError(f"no insert-once for dialect {dialect!r}")
