"""Statements of the hot paths (a decision, the relay), built once and run with parameters.

Building a SQLAlchemy statement (`select(...).where(...)`, `insert().values(**row)`) and
working out its cache key costs more CPU than SQLite takes to run it. The builders here are
cached per table, column set and dialect: each call only binds its values. Values are bound
with the column's own type, so UTC times and the like are converted as everywhere else.
Statements are Core (on tables, not models): the session runs them without ORM bookkeeping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Delete, Insert, Select, Update, and_, bindparam, delete, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import direct
from storage.tables import table_of
from storage.upsert import insert_once


def _value(table: str, column: str, prefix: str = "") -> BindParameter[Any]:
    return bindparam(prefix + column, type_=table_of(table).c[column].type)


@lru_cache(maxsize=256)
def insert_row(table: str, columns: tuple[str, ...]) -> Insert:
    """INSERT of these columns; parameters named as the columns."""
    return insert(table_of(table)).values({c: _value(table, c) for c in columns})


@lru_cache(maxsize=256)
def insert_row_once(dialect: str, table: str, columns: tuple[str, ...],
                    key: tuple[str, ...]) -> Insert:
    """INSERT of these columns unless a row with the same `key` exists."""
    return insert_once(dialect, table_of(table), {c: _value(table, c) for c in columns}, key)


def _one_of(table: str, column: str, count: int) -> Any:
    """`column IN (:in_0, ..., :in_<count-1>)`. One statement per list length: an "expanding"
    parameter would make SQLAlchemy rewrite the SQL text on every run."""
    return table_of(table).c[column].in_(
        [_value(table, column, f"in_{i}_") for i in range(count)])


def one_of(values: Sequence[Any], column: str) -> dict[str, Any]:
    """The parameters of `_one_of` for `values`."""
    return {f"in_{i}_{column}": v for i, v in enumerate(values)}


@lru_cache(maxsize=256)
def select_where(table: str, column: str, order_by: tuple[str, ...] = (),
                 count: int | None = None) -> Select[Any]:
    """Rows whose `column` equals the parameter `w_<column>`; with `count`, rows whose
    `column` is one of `count` values (parameters from `one_of`)."""
    t = table_of(table)
    condition = (_one_of(table, column, count) if count is not None
                 else t.c[column] == _value(table, column, "w_"))
    return select(t).where(condition).order_by(*(t.c[c] for c in order_by))


@lru_cache(maxsize=256)
def update_where(table: str, where: tuple[str, ...], columns: tuple[str, ...]) -> Update:
    """UPDATE `columns` (parameters `v_<column>`) where every `where` column equals its
    parameter `w_<column>`."""
    t = table_of(table)
    return (t.update()
            .where(and_(*(t.c[w] == _value(table, w, "w_") for w in where)))
            .values({c: _value(table, c, "v_") for c in columns}))


@lru_cache(maxsize=256)
def delete_where(table: str, where: tuple[str, ...], in_column: str | None = None,
                 count: int = 0) -> Delete:
    """DELETE where every `where` column equals `w_<column>` (and `in_column` is one of
    `count` values, parameters from `one_of`)."""
    t = table_of(table)
    conditions = [t.c[w] == _value(table, w, "w_") for w in where]
    if in_column is not None:
        conditions.append(_one_of(table, in_column, count))
    return delete(t).where(and_(*conditions))


def where(values: Mapping[str, Any]) -> dict[str, Any]:
    return {f"w_{k}": v for k, v in values.items()}


def setting(values: Mapping[str, Any]) -> dict[str, Any]:
    return {f"v_{k}": v for k, v in values.items()}


async def run(session: AsyncSession, statement: Any, params: Mapping[str, Any]) -> Any:
    """Run a Core statement on the session's connection (its transaction), without the ORM
    layer: on SQLite straight on the cursor (storage/direct.py), else in one hop into
    SQLAlchemy's sync world. The result's rows are already fetched (both async drivers read
    them whole), so they can be read here."""
    result = await direct.run_if_direct(session, statement, params)
    if result is not None:
        return result
    return await session.run_sync(_execute, statement, dict(params))


async def run_many(session: AsyncSession, statement: Any,
                   rows: Sequence[Mapping[str, Any]]) -> None:
    """Run a Core statement that returns nothing once per parameter set, as one executemany."""
    if await direct.run_many_if_direct(session, statement, rows):
        return
    await session.run_sync(_execute, statement, [dict(r) for r in rows])


def _execute(session: Session, statement: Any, params: Any) -> Any:
    return session.connection().execute(statement, params)


async def rows(session: AsyncSession, statement: Select[Any],
               params: Mapping[str, Any]) -> Sequence[Row[Any]]:
    return (await run(session, statement, params)).all()  # type: ignore[no-any-return]
