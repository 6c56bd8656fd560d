"""SQLite under the async engine: one connection taken in turns, statements run in place,
commits grouped.

aiosqlite runs every call (cursor, execute, fetch, close) on a thread of its own and wakes the
event loop for each result: a decision's 14 statements cost about 60 thread hand-offs, most
of its CPU. And with synchronous=FULL every COMMIT waits for an fsync (4-16 ms on this kind of
machine), so one connection committing transactions one after the other stops at about 150
commits per second, whatever the CPU.

This driver keeps the engine's API (AsyncEngine, sessions, `run_sync`, the pool) and changes
what lies underneath:

- Every pooled connection of an engine shares one real sqlite3 connection. One unit of work at
  a time has the turn on it (as the single pooled connection gave before): its first statement
  waits for the turn, its commit or rollback passes the turn on. A unit of work takes its turn
  as its lane instead (storage/lanes.py), with no pooled connection, and a session it uses
  joins that lane.
- Statements run in place, on the event loop's thread: the database is a local file, a
  statement on warm pages takes microseconds, and it never waits for a lock, because the
  write lock is taken before (BEGIN IMMEDIATE, below).
- Units that follow each other while a transaction is open share it (group commit): each runs
  inside its own SAVEPOINT, so its rollback undoes its own writes only, and one COMMIT (one
  fsync) makes the whole group durable. A unit's commit returns only once that COMMIT has
  returned; if it fails, every unit of the group gets the error. A unit that only read waits
  for the group's COMMIT as well when an earlier unit of the group wrote: nothing that is not
  durable leaves the process. The group is committed as soon as no unit waits for the turn,
  or after MAX_GROUP_UNITS units or MAX_GROUP_SECONDS.
- What may wait for the disk or for another process (opening, COMMIT, and BEGIN IMMEDIATE when
  another process holds the write lock, with its busy timeout) runs on one worker thread, off
  the event loop; the turn is held meanwhile.

Transactions stay serialisable (one writer, in order), compare-and-set and the audit chain
see every earlier unit's writes, and other processes still meet an ordinary SQLite writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import AdaptedConnection
from sqlalchemy.util import VersionInfo
from sqlalchemy.util.concurrency import await_

BUSY_TIMEOUT_MS = 5000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)
MAX_GROUP_UNITS = 64
MAX_GROUP_SECONDS = 0.050
TURN_TIMEOUT_SECONDS = 30.0  # as the pool's checkout timeout before: a stuck unit is an error
_COMMITTER = object()  # holds the turn while the worker thread begins or commits
_READS = ("SELECT", "select")


class _Cursor(sqlite3.Cursor):
    """A sqlite3 cursor that reads its rows at once (so no statement is left running when its
    unit ends, as SQLAlchemy's async dialects expect) and notes whether its unit wrote
    (anything but a SELECT)."""

    turns: Turns
    _rows: list[Any]

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        if not sql.lstrip().startswith(_READS):
            self.turns.unit_wrote = True
        super().execute(sql, parameters)
        self._rows = super().fetchall() if self.description is not None else []
        self._rows.reverse()  # popped from the end
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> _Cursor:
        self.turns.unit_wrote = True
        super().executemany(sql, seq_of_parameters)
        self._rows = []
        return self

    def fetchone(self) -> Any:
        return self._rows.pop() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        count = min(len(rows), self.arraysize if size is None else size)
        taken = rows[len(rows) - count:]
        del rows[len(rows) - count:]
        taken.reverse()
        return taken

    def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        rows.reverse()
        return rows

    def __iter__(self) -> Any:
        while self._rows:
            yield self._rows.pop()

    async def _async_soft_close(self) -> None:
        """SQLAlchemy's async result asks the cursor to let go of the statement: done."""


def _patiently(connection: sqlite3.Connection, sql: str) -> None:
    """Run a PRAGMA, waiting out another process's write lock as a turn would (switching a
    new file to WAL needs the lock, which a replica migrating the same file may hold longer
    than the busy timeout)."""
    deadline = time.monotonic() + TURN_TIMEOUT_SECONDS
    while True:
        try:
            connection.execute(sql)
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
        time.sleep(0.05)  # on the worker thread, never the event loop's


class Turns:
    """The one real connection of an engine, and whose turn it is."""

    def __init__(self, database: str, uri: bool,
                 setup: Callable[[Any], None] | None = None) -> None:
        self._database = database
        self._uri = uri
        self._setup = setup
        self.connection: sqlite3.Connection | None = None
        self._thread: ThreadPoolExecutor | None = None
        self.holder: object | None = None
        self._waiting: deque[tuple[asyncio.Future[None], object]] = deque()
        self._in_transaction = False
        self._group_dirty = False  # a unit of the open transaction committed writes
        self._group_units = 0
        self._group_started = 0.0
        self._durable: list[asyncio.Future[None]] = []  # units waiting for the group COMMIT
        self._committing: asyncio.Task[None] | None = None
        self.unit_wrote = False
        self.unit_open = False  # the holder's savepoint is open: its statements may run
        self._opening: asyncio.Future[None] | None = None
        self.users = 0  # open pooled connections
        self.groups_committed = 0  # for tests and diagnostics
        self.units_committed = 0

    @property
    def waiting(self) -> int:
        """Units waiting for their turn (for tests and diagnostics)."""
        return sum(1 for turn, _ in self._waiting if not turn.done())

    # --- the worker thread -------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._database, uri=self._uri, isolation_level=None,
                                     check_same_thread=False, timeout=5.0)
        try:
            for pragma in SQLITE_PRAGMAS:
                _patiently(connection, pragma)
            if self._setup is not None:
                self._setup(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    async def open(self) -> None:
        self.users += 1
        if self.connection is not None:
            return
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-commit")
        try:
            connection = await asyncio.get_running_loop().run_in_executor(self._thread, self._open)
        except BaseException:
            self.users -= 1
            raise
        if self.connection is None:
            self.connection = connection
        else:  # opened concurrently by another pooled connection
            connection.close()

    def close(self) -> None:
        """One pooled connection is gone; the last one closes the real connection."""
        self.users -= 1
        if self.users > 0 or self.holder is not None or self._committing is not None:
            return
        connection, self.connection = self.connection, None
        if connection is not None:
            if self._in_transaction:
                connection.execute("ROLLBACK")
                self._in_transaction = False
            connection.close()
        if self._thread is not None:
            self._thread.shutdown(wait=False)
            self._thread = None

    # --- turns ---------------------------------------------------------------------------
    def in_unit(self, who: object) -> bool:
        """`who` has the turn and its unit (savepoint) is open: its statements may run."""
        return self.holder is who and self.unit_open

    async def acquire(self, who: object) -> None:
        """Wait for `who`'s turn, then open its unit (a savepoint in the group transaction)."""
        if self.holder is who and self._opening is not None:
            # Two tasks on one pooled connection (SQLAlchemy allows it): the other is opening.
            await asyncio.shield(self._opening)
            return
        if self.holder is None and not self._waiting:
            self.holder = who
        else:
            turn = asyncio.get_running_loop().create_future()
            self._waiting.append((turn, who))
            try:
                async with asyncio.timeout(TURN_TIMEOUT_SECONDS):
                    await turn
            except BaseException as error:
                if self.holder is who:  # handed over just as we gave up: pass it on
                    self.holder = None
                    self._next()
                if isinstance(error, TimeoutError):
                    raise sqlite3.OperationalError(
                        "timed out waiting for the database (another unit of work holds it)"
                    ) from error
                raise
        opening = self._opening = asyncio.get_running_loop().create_future()
        try:
            if not self._in_transaction:
                await self._begin()
                self._start_group()
            assert self.connection is not None
            self.connection.execute("SAVEPOINT unit")
        except BaseException as error:
            self._opening = None
            opening.set_exception(error)
            opening.exception()  # retrieved: whoever else waits gets it, nobody else must
            self.holder = None
            self._next()
            raise
        self._opening = None
        opening.set_result(None)
        self.unit_wrote = False
        self.unit_open = True

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE: in place when no other process holds the write lock (it then does
        no I/O worth a thread hop), else on the worker thread, waiting up to busy_timeout."""
        connection = self.connection
        assert connection is not None
        connection.execute("PRAGMA busy_timeout=0")
        try:
            connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError:
            if connection.in_transaction:
                raise
        finally:
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # Another process writes: wait for it, off the event loop.
        assert self._thread is not None
        begun = asyncio.get_running_loop().run_in_executor(
            self._thread, connection.execute, "BEGIN IMMEDIATE")
        try:
            await asyncio.shield(begun)
        except asyncio.CancelledError:
            # The thread still runs the BEGIN: the connection is not free for the next unit
            # until it returns, and a transaction it opens for nobody would shut every later
            # unit (and other processes) out. Wait for it, undo it, then be cancelled.
            with suppress(Exception, asyncio.CancelledError):
                await asyncio.shield(begun)
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    def end_unit(self, who: object, keep: bool) -> asyncio.Future[None] | None:
        """End `who`'s unit: keep its writes (commit) or undo them (rollback), pass the turn
        on. Returns a future to wait for when the unit may only return once the group's
        COMMIT is done, else None."""
        assert self.holder is who and self.connection is not None
        connection = self.connection
        wrote = keep and self.unit_wrote
        try:
            if not keep:
                connection.execute("ROLLBACK TO unit")
            connection.execute("RELEASE unit")
        except sqlite3.Error:
            if connection.in_transaction:
                raise
            # SQLite rolled the whole transaction back (disk full, I/O error): the group is lost.
            self._lose_group(sqlite3.OperationalError("the transaction was rolled back"))
            self.unit_open = False
            self.holder = None
            self._next()
            raise
        self._group_dirty = self._group_dirty or wrote
        self._group_units += 1
        self.units_committed += keep
        self.unit_open = False
        durable: asyncio.Future[None] | None = None
        if self._group_dirty:
            durable = asyncio.get_running_loop().create_future()
            self._durable.append(durable)
        self.holder = None
        self._next()
        return durable

    def abandon(self, who: object) -> None:
        """`who` is closed or terminated mid-unit: undo its unit, no waiting."""
        if not self.in_unit(who):
            return
        try:
            self.end_unit(who, keep=False)
        except sqlite3.Error:
            pass

    def forget(self, who: object, error: BaseException) -> None:
        """`who` is gone: undo its open unit; whatever still waits for a turn as `who` gets
        `error` instead of a turn nobody would end."""
        self.abandon(who)
        for turn, waiting in self._waiting:
            if waiting is who and not turn.done():
                turn.set_exception(error)

    def _next(self) -> None:
        """The turn is free: the next unit joins the group, or the group is committed."""
        if self.holder is not None:
            return
        while self._waiting and self._waiting[0][0].done():
            self._waiting.popleft()  # gave up waiting
        group_full = (self._group_units >= MAX_GROUP_UNITS
                      or time.monotonic() - self._group_started >= MAX_GROUP_SECONDS)
        if self._in_transaction and (self._group_dirty or self._durable) and (
                group_full or not self._waiting):
            self.holder = _COMMITTER
            self._committing = asyncio.get_running_loop().create_task(self._commit_group())
            return
        if self._in_transaction and not self._waiting:
            # Nothing was written: ending it does no I/O, and other processes may write again.
            assert self.connection is not None
            self.connection.execute("ROLLBACK")
            self._in_transaction = False
            return
        if self._waiting:
            turn, who = self._waiting.popleft()
            self.holder = who
            turn.set_result(None)

    async def _commit_group(self) -> None:
        durable, self._durable = self._durable, []
        error: BaseException | None = None
        begun = False
        try:
            assert self._thread is not None
            begun = await asyncio.get_running_loop().run_in_executor(
                self._thread, self._commit_and_begin)
        except Exception as exc:
            error = exc
            self._lose_group(exc)
        finally:
            self._in_transaction = begun
            if begun:
                self._start_group()
            self.groups_committed += 1
            for future in durable:
                if future.done():
                    continue
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)
            self._committing = None
            self.holder = None
            self._next()

    def _commit_and_begin(self) -> bool:
        """On the worker thread: COMMIT; and when units already wait, BEGIN IMMEDIATE for
        them in the same hop (True). A failed BEGIN is left for the next unit to meet."""
        assert self.connection is not None
        self.connection.execute("COMMIT")
        if not self._waiting:
            return False
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:
            return False
        return True

    def _start_group(self) -> None:
        self._in_transaction = True
        self._group_dirty = False
        self._group_units = 0
        self._group_started = time.monotonic()

    def _lose_group(self, error: BaseException) -> None:
        """The open transaction failed: roll back what is left; its units get the error."""
        connection = self.connection
        if connection is not None and connection.in_transaction:
            try:
                connection.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        self._in_transaction = False
        durable, self._durable = self._durable, []
        for future in durable:
            if not future.done():
                future.set_exception(error)

    async def run_in_unit(self, who: object, sql: str, parameters: Any,
                          many: bool = False) -> tuple[list[Any], int]:
        """Run one statement (`many`: once per parameter set) in `who`'s unit, waiting for its
        turn first: the rows and the row count."""
        if not self.in_unit(who):
            await self.acquire(who)
        cursor = self.cursor()
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        return cursor.fetchall(), cursor.rowcount

    def cursor(self) -> _Cursor:
        assert self.connection is not None
        cursor = self.connection.cursor(_Cursor)
        cursor.turns = self
        return cursor


async def _ready() -> None:
    return None


def _nothing(_connection: Any) -> None:
    return None


class TurnConnection(AdaptedConnection):
    """A pooled DBAPI connection: the shared connection, used in turns.

    It takes turns as itself, or as the unit of work's lane it joined (storage/lanes.py) until
    its transaction ends: the lane then ends the unit."""

    __slots__ = ("_turns", "_who", "isolation_level")

    def __init__(self, turns: Turns) -> None:
        self._turns = turns
        self._connection: Any = turns.connection
        self._who: object = self
        self.isolation_level: str | None = None  # set by SQLAlchemy's pysqlite dialect

    def adopt(self, lane: object) -> None:
        """Until this transaction ends, run in `lane`'s unit."""
        self._who = lane

    def cursor(self, server_side: bool = False) -> _Cursor:
        turns = self._turns
        if not turns.in_unit(self._who):
            await_(turns.acquire(self._who))
        else:
            # AsyncConnection.execute insists on one switch to the event loop's side; this
            # one returns at once (nothing is scheduled, the loop does not run).
            await_(_ready())
        return turns.cursor()

    def execute(self, operation: Any, parameters: Any = ()) -> _Cursor:
        cursor = self.cursor()
        cursor.execute(operation, parameters)
        return cursor

    async def execute_in_turn(self, sql: str, parameters: Any,
                              many: bool = False) -> tuple[list[Any], int]:
        """Run one statement (`many`: once per parameter set) in this connection's unit,
        waiting for its turn first: the rows and the row count. For storage/direct.py, from
        async code, with no greenlet hop."""
        return await self._turns.run_in_unit(self._who, sql, parameters, many)

    def _end(self, keep: bool) -> None:
        if self._who is not self:
            self._who = self  # the session's part is over; the unit is the lane's to end
            return
        if not self._turns.in_unit(self):
            return  # no unit open (a reset on return to the pool, a rollback after commit)
        durable = self._turns.end_unit(self, keep)
        if durable is not None:
            await_(asyncio.shield(durable))

    def commit(self) -> None:
        self._end(keep=True)

    def rollback(self) -> None:
        self._end(keep=False)

    def close(self) -> None:
        self._who = self
        self._turns.abandon(self)
        self._turns.close()

    def terminate(self) -> None:
        self.close()


class _Dbapi:
    """What SQLAlchemy reads from a DBAPI module: sqlite3's names and errors."""

    paramstyle = "qmark"
    has_stop = True
    sqlite_version_info = sqlite3.sqlite_version_info
    sqlite_version = sqlite3.sqlite_version
    Binary = sqlite3.Binary
    PARSE_COLNAMES = sqlite3.PARSE_COLNAMES
    PARSE_DECLTYPES = sqlite3.PARSE_DECLTYPES
    Error = sqlite3.Error
    Warning = sqlite3.Warning
    InterfaceError = sqlite3.InterfaceError
    DatabaseError = sqlite3.DatabaseError
    DataError = sqlite3.DataError
    OperationalError = sqlite3.OperationalError
    IntegrityError = sqlite3.IntegrityError
    InternalError = sqlite3.InternalError
    ProgrammingError = sqlite3.ProgrammingError
    NotSupportedError = sqlite3.NotSupportedError


class SQLiteTurnsDialect(SQLiteDialect_aiosqlite):
    """SQLAlchemy's aiosqlite dialect with TurnConnection underneath instead of aiosqlite."""

    driver = "signoff_turns"
    supports_statement_cache = True
    supports_server_side_cursors = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.turns: Turns | None = None

    @classmethod
    def import_dbapi(cls) -> Any:
        return _Dbapi()

    def retrieve_dbapi_version(self, dbapi: Any) -> VersionInfo:
        return VersionInfo(sys.version_info[:3])

    def on_connect(self) -> Callable[[Any], None]:
        return _nothing  # the real connection is set up once, when it opens (below)

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        if self.turns is None:
            # SQLAlchemy's SQL functions for SQLite (regexp, floor), on the real connection.
            functions = super().on_connect()
            self.turns = Turns(cargs[0] if cargs else cparams["database"],
                               bool(cparams.get("uri", False)), functions)
        await_(self.turns.open())
        return TurnConnection(self.turns)

    def get_isolation_level(self, dbapi_connection: Any) -> Any:
        # Asked once at first connect; a query would take a turn (and the write lock) for it.
        return "SERIALIZABLE"  # SQLite's only level outside shared-cache mode

    def get_driver_connection(self, connection: Any) -> Any:
        return connection._turns.connection

    def do_terminate(self, dbapi_connection: Any) -> None:
        dbapi_connection.terminate()
