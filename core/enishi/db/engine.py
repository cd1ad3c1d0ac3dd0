"""Async engine and session factory for SQLite (embedded) and PostgreSQL (scale-out)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from enishi.db.scoping import ScopedSession
from enishi.db.sqlite_exists import _exists_select_one  # noqa: F401  (registers the SQLite form of EXISTS)

WRITER_WAIT = 10.0  # seconds, as SQLite's busy_timeout below


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver would start transactions only at the first write, so what a transaction read before it could
    # be stale and a read-then-write could silently overwrite a concurrent change. We begin ourselves instead
    # (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    # WAL lets the web process read while the worker writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def _sqlite_begin_immediate(connection: Any) -> None:
    # A transaction that will write takes SQLite's single write lock up front (waiting up to busy_timeout), so
    # writers run one after another instead of one failing with "database is locked" after reading.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, echo: bool = False, pool: bool = True, writer: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 10})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate if writer else _sqlite_begin)
        return engine
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if not pool:
        kwargs = {"poolclass": NullPool}
    return create_async_engine(url, echo=echo, **kwargs)


def upsert_insert(on: AsyncSession | str, target: Any) -> Any:
    """An INSERT with ON CONFLICT support (SQLAlchemy offers it per dialect only) for ``on``: a session, or a
    dialect name. ``target`` is a mapped class or a table."""
    dialect = on if isinstance(on, str) else on.get_bind().dialect.name
    return pg_insert(target) if dialect == "postgresql" else sqlite_insert(target)


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


class Database:
    """One engine and session factory per process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, sync_session_class=ScopedSession)
        # On SQLite, sessions that will write begin IMMEDIATE through their own engine; reads stay lock-free.
        self.write_engine = make_engine(url, echo=echo, writer=True) if url.startswith("sqlite") else self.engine
        self.write_sessionmaker = async_sessionmaker(
            self.write_engine, expire_on_commit=False, sync_session_class=ScopedSession
        )
        self._writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, workspace_id: int | None = None, *, write: bool = False) -> AsyncSession:
        """A new session; with ``workspace_id`` every ORM query in it is limited to that workspace.

        ``write=True`` for a session that will change data (on SQLite it then waits its turn to write up front).
        """
        session = (self.write_sessionmaker if write else self.sessionmaker)()
        if workspace_id is not None:
            session.info["workspace_id"] = workspace_id
        return session

    @asynccontextmanager
    async def transaction(self, workspace_id: int | None = None) -> AsyncIterator[AsyncSession]:
        """A session that commits when the block ends and rolls back if it raises.

        On SQLite the process's writers also queue on one asyncio lock, first come first served: SQLite's own
        busy handler polls with growing sleeps, so a writer that commits and begins again at once (a worker
        going through batches) would otherwise starve the others until their busy timeout.
        """
        if self.write_engine is self.engine:
            async with self.session(workspace_id, write=True) as session, session.begin():
                yield session
            return
        async with self._writer_turn(), self.session(workspace_id, write=True) as session, session.begin():
            yield session

    @asynccontextmanager
    async def _writer_turn(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        lock = self._writers.get(loop)
        if lock is None:
            lock = self._writers[loop] = asyncio.Lock()
        try:
            # A writer nested in another (never done on purpose) must not wait for itself for ever: after the
            # busy timeout it goes on, and SQLite's own locking decides, as it did before this lock.
            await asyncio.wait_for(lock.acquire(), WRITER_WAIT)
        except TimeoutError:
            yield
            return
        try:
            yield
        finally:
            lock.release()

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()
