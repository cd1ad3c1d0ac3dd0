"""Alembic with one branch for the core and one per plugin; ``heads`` means core plus every installed plugin.

A plugin installed later simply brings its branch along: the next ``enishi db upgrade`` applies it.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, redirect_stdout
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from enishi.plugin_host import PluginHost

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CORE_BRANCH = "core"


def alembic_config(host: PluginHost, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    locations = [str(MIGRATIONS_DIR / "versions")] + [str(e.item.path) for e in host.registry.all("migrations")]
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["host"] = host
    return cfg


def _run(cfg: Config, connection: Connection, fn: str, *args: str) -> str:
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
    cfg = alembic_config(host, str(engine.url))
    async with _migrating(engine) as conn:
        await conn.run_sync(lambda c: _run(cfg, c, "upgrade", target))


async def downgrade(engine: AsyncEngine, host: PluginHost, target: str) -> None:
    cfg = alembic_config(host, str(engine.url))
    async with _migrating(engine) as conn:
        await conn.run_sync(lambda c: _run(cfg, c, "downgrade", target))


async def current(engine: AsyncEngine, host: PluginHost) -> set[str]:
    """Revision ids the database is at (one per applied branch head)."""
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: set(MigrationContext.configure(c).get_current_heads()))


def heads(host: PluginHost, url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(host, url)).get_heads())


async def pending(engine: AsyncEngine, host: PluginHost) -> bool:
    """Whether some branch (core or a plugin's) is not fully applied."""
    at = await current(engine, host)
    script = ScriptDirectory.from_config(alembic_config(host, str(engine.url)))
    applied: set[str] = set()
    for rev in at:
        applied.update(r.revision for r in script.iterate_revisions(rev, "base"))
    return not heads(host, str(engine.url)) <= applied
