"""Alembic with one branch for the core and one per plugin; ``heads`` means core plus every installed plugin.

A plugin installed later simply brings its branch along: the next ``enishi db upgrade`` applies it.

Alembic is imported only when a migration runs or the revision graph is needed: loading it and every migration
script takes most of a second, and ``enishi serve`` on an embedded database, which checks at each start, usually
finds nothing to do. That check (:func:`upgrade_if_needed`) reads the version table and compares it with a record
kept beside the database of which version rows were at head for which migration scripts (see :class:`HeadRecord`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

    from enishi.plugin_host import PluginHost

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CORE_BRANCH = "core"
HEAD_RECORD_SUFFIX = "-migrations.json"  # enishi.db → enishi.db-migrations.json, beside -wal and -shm


def version_locations(host: PluginHost) -> list[tuple[str, Path]]:
    """(branch, folder) of every migration folder alembic reads: the core's, then each installed plugin's."""
    core = [(CORE_BRANCH, MIGRATIONS_DIR / "versions")]
    return core + [(e.plugin, Path(e.item.path)) for e in host.registry.all("migrations")]


def alembic_config(host: PluginHost, url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    locations = [str(folder) for _, folder in version_locations(host)]
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["host"] = host
    return cfg


def _run(cfg: Config, connection: Connection, fn: str, *args: str) -> str:
    from alembic import command

    cfg.attributes["connection"] = connection
    out = io.StringIO()
    cfg.stdout = out
    with redirect_stdout(out):
        getattr(command, fn)(cfg, *args)
    return out.getvalue()


class ForeignKeyViolation(RuntimeError):
    """A migration left rows pointing at rows that do not exist; it was rolled back."""


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    # Straight on the driver's connection: through SQLAlchemy the statement would first begin a transaction,
    # and SQLite ignores this pragma inside one.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


@asynccontextmanager
async def _migrating(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction for the whole run. On SQLite foreign keys are off meanwhile, as SQLite prescribes for
    rebuilding a table (drop the old copy, rename the new one): with them on, dropping a referenced table would
    fire the ON DELETE rules of every row referring to it. They are checked before committing instead."""
    async with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            async with conn.begin():
                yield conn
            return
        await conn.run_sync(_sqlite_foreign_keys, False)
        try:
            async with conn.begin():
                yield conn
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise ForeignKeyViolation(f"rows refer to missing rows (table, rowid, parent): {broken[:5]}")
        finally:
            await conn.run_sync(_sqlite_foreign_keys, True)


async def upgrade(engine: AsyncEngine, host: PluginHost, target: str = "heads") -> None:
    fingerprint = scripts_fingerprint(host) if target == "heads" else None
    cfg = alembic_config(host, str(engine.url))
    async with _migrating(engine) as conn:
        await conn.run_sync(lambda c: _run(cfg, c, "upgrade", target))
    if fingerprint is not None:
        await _remember_at_head(engine, host, fingerprint)


async def upgrade_if_needed(engine: AsyncEngine, host: PluginHost) -> bool:
    """Upgrade to heads unless the database is known to be there: its version rows were seen at head before with
    these very migration scripts (see :class:`HeadRecord`). Whether it upgraded. When nothing changed this costs
    one query and a read of the scripts' bytes, without loading alembic or a single migration script."""
    record = HeadRecord.beside(engine)
    if record is not None and record.knows(scripts_fingerprint(host), await stored_versions(engine)):
        return False
    await upgrade(engine, host)
    return True


async def downgrade(engine: AsyncEngine, host: PluginHost, target: str) -> None:
    cfg = alembic_config(host, str(engine.url))
    async with _migrating(engine) as conn:
        await conn.run_sync(lambda c: _run(cfg, c, "downgrade", target))


async def current(engine: AsyncEngine, host: PluginHost) -> set[str]:
    """Revision ids the database is at (one per applied branch head)."""
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: set(MigrationContext.configure(c).get_current_heads()))


def heads(host: PluginHost, url: str) -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(host, url)).get_heads())


async def pending(engine: AsyncEngine, host: PluginHost) -> bool:
    """Whether some branch (core or a plugin's) is not fully applied."""
    record = HeadRecord.beside(engine)
    fingerprint = scripts_fingerprint(host)
    if record is not None and record.knows(fingerprint, await stored_versions(engine)):
        return False
    from alembic.script import ScriptDirectory

    at = await current(engine, host)
    script = ScriptDirectory.from_config(alembic_config(host, str(engine.url)))
    applied: set[str] = set()
    for rev in at:
        applied.update(r.revision for r in script.iterate_revisions(rev, "base"))
    if not set(script.get_heads()) <= applied:
        return True
    await _remember_at_head(engine, host, fingerprint)
    return False


# -- knowing cheaply that there is nothing to upgrade ------------------------------------------------------------


def scripts_fingerprint(host: PluginHost) -> str:
    """A digest of what alembic's revision graph is made of: each migration folder's branch, and the names and
    contents of the scripts in it. Adding, removing or upgrading a plugin with migrations, or editing a script,
    changes it; a few dozen small files are read, nothing is imported."""
    digest = hashlib.sha256()
    for branch, folder in version_locations(host):
        digest.update(f"branch\0{branch}\0".encode())
        for path in sorted(folder.rglob("*.py")) if folder.is_dir() else ():
            if "__pycache__" not in path.parts:
                digest.update(f"{path.relative_to(folder).as_posix()}\0".encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


async def stored_versions(engine: AsyncEngine) -> frozenset[str] | None:
    """The rows of alembic's version table (its default name, which env.py keeps), or None when there is no
    such table (a new database)."""
    from sqlalchemy.exc import DBAPIError

    try:
        async with engine.connect() as conn:
            return frozenset(str(r[0]) for r in await conn.exec_driver_sql("SELECT version_num FROM alembic_version"))
    except DBAPIError:
        return None


@dataclass(frozen=True)
class HeadRecord:
    """Which contents of the version table were seen at head, for which migration scripts (their fingerprint).

    Whether ``upgrade heads`` has anything to do depends on those two alone, not on the database: alembic decides
    from the version rows and the revision graph. So when the scripts' fingerprint is the recorded one and the
    table holds a row set recorded with it, the database is at head. Anything else (a plugin added or upgraded,
    a downgrade, a new or foreign database, a missing or unreadable file) is unknown, and the caller asks
    alembic, as it always did, and records what it finds. The file sits beside the SQLite database."""

    path: Path

    @classmethod
    def beside(cls, engine: AsyncEngine) -> HeadRecord | None:
        url = engine.url
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        if url.database.startswith("file:") or url.query.get("mode") == "memory":
            return None
        return cls(Path(url.database).with_name(Path(url.database).name + HEAD_RECORD_SUFFIX))

    def _read(self) -> dict[str, object]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def knows(self, fingerprint: str, rows: frozenset[str] | None) -> bool:
        data = self._read()
        at_head = data.get("at_head") if data.get("scripts") == fingerprint else None
        if rows is None or not isinstance(at_head, list):
            return False
        return any(isinstance(seen, list) and frozenset(seen) == rows for seen in at_head)

    def remember(self, fingerprint: str, rows: frozenset[str]) -> None:
        data = self._read()
        seen = data.get("at_head") if data.get("scripts") == fingerprint else None
        sets = [s for s in seen if isinstance(s, list) and frozenset(s) != rows] if isinstance(seen, list) else []
        content = json.dumps({"scripts": fingerprint, "at_head": [sorted(rows), *sets[:7]]})
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(content, encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:  # a read-only directory: the next start asks alembic again
            temporary.unlink(missing_ok=True)


async def _remember_at_head(engine: AsyncEngine, host: PluginHost, fingerprint: str) -> None:
    """Record the version rows as at head, if the scripts are still the ones alembic just read."""
    record = HeadRecord.beside(engine)
    rows = await stored_versions(engine) if record is not None else None
    if record is not None and rows and scripts_fingerprint(host) == fingerprint:
        record.remember(fingerprint, rows)
