"""Alembic with one branch for the core and one per plugin; ``heads`` means core plus every installed plugin.

A plugin installed later simply brings its branch along: the next ``enishi db upgrade`` applies it.
"""

from __future__ import annotations

import io
import os
from contextlib import redirect_stdout
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

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


async def upgrade(engine: AsyncEngine, host: PluginHost, target: str = "heads") -> None:
    cfg = alembic_config(host, str(engine.url))
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: _run(cfg, c, "upgrade", target))


async def downgrade(engine: AsyncEngine, host: PluginHost, target: str) -> None:
    cfg = alembic_config(host, str(engine.url))
    async with engine.begin() as conn:
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
