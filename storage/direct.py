"""The hot path's statements run straight on SQLite's cursor, past SQLAlchemy's execution layer.

On SQLite (storage/sqlite_turns.py) a statement takes a few microseconds; SQLAlchemy's
execution around it (execution context, parameter processing, the result object, the hop into
its sync world) took about ten times that, and a decision runs a dozen statements. Here each
statement of storage/prepared.py is compiled once by SQLAlchemy for the dialect (the same SQL
text, the same bind and result processors of the column types: UTC times, dates, booleans),
then run with the parameters in compiled order on the unit of work's own turn, in its
transaction. Driver errors become sqlalchemy.exc's DBAPIError family (IntegrityError,
OperationalError...) and a value the statement cannot take a StatementError, as through the
session; the one difference, never relied on here: a connection is never marked invalidated.

Statements that need more than binding values fall back to the session: column defaults
computed at execution, "expanding" or literal parameters. PostgreSQL always goes through the
session (asyncpg's own protocol is the cost there, not this layer).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.lanes import LANE_KEY, Lane
from storage.sqlite_turns import TurnConnection

Processor = Callable[[Any], Any] | None
_TURN_KEY = "signoff.turn_connection"


@dataclass(frozen=True, slots=True)
class DirectStatement:
    sql: str
    names: tuple[str, ...]  # parameters, in the order of the SQL's placeholders
    binds: tuple[Processor, ...]
    fixed: Mapping[str, Any]  # values the statement carries itself (LIMIT 1)
    row: type[tuple[Any, ...]] | None  # None: the statement returns no rows
    results: tuple[Processor, ...]
    # Derived: the parameters picked in order at C speed, and only the processors there are.
    _pick: Callable[[Mapping[str, Any]], Sequence[Any]] = field(init=False, repr=False)
    _binding: tuple[tuple[int, Callable[[Any], Any]], ...] = field(init=False, repr=False)
    _reading: tuple[tuple[int, Callable[[Any], Any]], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pick", _picker(self.names))
        object.__setattr__(self, "_binding", _present(self.binds))
        object.__setattr__(self, "_reading", _present(self.results))

    def values(self, params: Mapping[str, Any]) -> list[Any]:
        out = list(self._pick({**self.fixed, **params} if self.fixed else params))
        for index, bind in self._binding:
            out[index] = bind(out[index])
        return out

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        row, reading = self.row, self._reading
        if row is None:
            return []
        if not reading:
            return [row(r) for r in raw]
        out = []
        for r in raw:
            values = list(r)
            for index, read in reading:
                values[index] = read(values[index])
            out.append(row(values))
        return out


def _picker(names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], Sequence[Any]]:
    """The values of `names` from a mapping, in order, as a sequence (KeyError if one lacks)."""
    if not names:
        return lambda _params: ()
    if len(names) == 1:
        only = names[0]
        return lambda params: (params[only],)
    return itemgetter(*names)


def _present(processors: tuple[Processor, ...]) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    return tuple((i, p) for i, p in enumerate(processors) if p is not None)


class DirectResult:
    """What callers read from a result: its rows (already fetched) and its row count."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def all(self) -> list[tuple[Any, ...]]:
        return self._rows

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None


def _row_type(keys: Sequence[str]) -> type[tuple[Any, ...]]:
    """A tuple whose items are also read by column name, as SQLAlchemy's Row."""
    attributes: dict[str, Any] = {"__slots__": ()}
    for index, key in enumerate(keys):
        attributes.setdefault(key, property(itemgetter(index)))
    return type("DirectRow", (tuple,), attributes)


def compile_direct(statement: Any, dialect: Dialect) -> DirectStatement | None:
    """The statement as SQL text and processors, or None if it needs SQLAlchemy to run it."""
    compiled = statement.compile(dialect=dialect)
    if (compiled.insert_prefetch or compiled.update_prefetch or compiled.literal_execute_params
            or compiled.post_compile_params or compiled.positiontup is None):
        return None
    names = tuple(compiled.positiontup)
    binds = compiled._bind_processors
    fixed = {n: compiled.binds[n].value for n in names if not compiled.binds[n].required}
    columns = compiled._result_columns
    row = _row_type([c.keyname for c in columns]) if columns else None
    results = tuple(c.type._cached_result_processor(dialect, None) for c in columns)
    return DirectStatement(compiled.string, names, tuple(binds.get(n) for n in names), fixed,
                           row, results)


_compiled: dict[int, tuple[Any, DirectStatement | None]] = {}


def direct_for(statement: Any, dialect: Dialect) -> DirectStatement | None:
    """compile_direct, once per statement object (the prepared statements are built once)."""
    found = _compiled.get(id(statement))
    if found is None or found[0] is not statement:
        found = (statement, compile_direct(statement, dialect))  # keeps the id from reuse
        _compiled[id(statement)] = found
    return found[1]


def _direct(session: AsyncSession, statement: Any) -> DirectStatement | None:
    """The statement compiled for the direct path, or None: it needs the session."""
    bind = session.bind
    if bind is None or bind.dialect.driver != "signoff_turns":
        return None
    return direct_for(statement, bind.dialect)


async def run_if_direct(session: AsyncSession, statement: Any,
                        params: Mapping[str, Any]) -> DirectResult | None:
    """Run the statement directly in the session's transaction; None: it needs the session."""
    compiled = _direct(session, statement)
    if compiled is None:
        return None
    return await run(await _unit_of(session), compiled, params)


async def run_many_if_direct(session: AsyncSession, statement: Any,
                             rows: Sequence[Mapping[str, Any]]) -> bool:
    """Run a statement that returns no rows once per parameter set, directly (executemany);
    False: it needs the session."""
    compiled = _direct(session, statement)
    if compiled is None or compiled.row is not None:
        return False
    unit = await _unit_of(session)
    values = [_bound(compiled, params) for params in rows]
    try:
        await unit.execute_in_turn(compiled.sql, values, many=True)
    except sqlite3.Error as error:
        raise DBAPIError.instance(compiled.sql, values, error, sqlite3.Error) from error
    return True


async def _unit_of(session: AsyncSession) -> Lane | TurnConnection:
    """Where the session's unit runs: its unit of work's lane (storage/lanes.py), else its
    SQLite connection in its current transaction (begun here if need be)."""
    lane: Lane | None = session.info.get(LANE_KEY)
    if lane is not None:
        return lane
    transaction = session.sync_session.get_transaction()
    cached = session.info.get(_TURN_KEY)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]  # type: ignore[no-any-return]
    connection = await session.connection()
    # Established by now: its pooled DBAPI connection is read without another greenlet hop.
    turn = connection.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
    assert isinstance(turn, TurnConnection)
    session.info[_TURN_KEY] = (session.sync_session.get_transaction(), turn)
    return turn


def _bound(direct: DirectStatement, params: Mapping[str, Any]) -> list[Any]:
    try:
        return direct.values(params)
    except Exception as error:  # a missing parameter, a value its column type refuses
        raise StatementError(str(error), direct.sql, dict(params), error) from error


async def run(unit: Lane | TurnConnection, direct: DirectStatement,
              params: Mapping[str, Any]) -> DirectResult:
    values = _bound(direct, params)
    try:
        raw, rowcount = await unit.execute_in_turn(direct.sql, values)
    except sqlite3.Error as error:
        raise DBAPIError.instance(direct.sql, values, error, sqlite3.Error) from error
    return DirectResult(direct.rows(raw), rowcount)
