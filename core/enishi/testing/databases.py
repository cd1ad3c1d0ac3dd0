"""Migrated databases for tests: one template per backend and set of plugins, copied for every test."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from enishi.plugin_host import PluginHost


def pg_url(admin_url: str, database: str) -> str:
    """The SQLAlchemy URL of ``database`` on the server of ``admin_url`` (``postgresql://user@host/db``)."""
    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{database}".replace("postgresql://", "postgresql+asyncpg://", 1)


async def pg_admin(admin_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@dataclass(frozen=True)
class TemplateDatabase:
    backend: str  # "sqlite" or "postgresql"
    source: str  # the SQLite file, or the PostgreSQL database name


@dataclass
class TemplateDatabases:
    """Databases migrated once per session and set of plugins; each test gets a fresh copy of one."""

    postgres_admin_url: str | None = None
    templates: dict[tuple[str, Hashable], TemplateDatabase] = field(default_factory=dict)

    async def template(
        self, backend: str, root: Path, host: Callable[[], PluginHost], key: Hashable = ()
    ) -> TemplateDatabase:
        """The template of ``backend`` ("sqlite" files go under ``root``) for the plugins of ``host()``, migrated
        the first time it is asked for; ``key`` tells sets of plugins apart without building a host each time."""
        from enishi import migrate
        from enishi.db.engine import make_engine

        if (backend, key) in self.templates:
            return self.templates[backend, key]
        name = f"enishi_tpl_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            path = root / f"{name}.db"
            engine = make_engine(f"sqlite+aiosqlite:///{path}")
            template = TemplateDatabase(backend, str(path))
        else:
            await pg_admin(self._admin(), f'CREATE DATABASE "{name}"')
            engine = make_engine(pg_url(self._admin(), name), pool=False)
            template = TemplateDatabase(backend, name)
        try:
            await migrate.upgrade(engine, host())
        finally:
            await engine.dispose()
        self.templates[backend, key] = template
        return template

    @asynccontextmanager
    async def fresh(self, template: TemplateDatabase, tmp_path: Path) -> AsyncIterator[str]:
        """A new database copied from ``template``; yields its URL and drops it (PostgreSQL) afterwards."""
        if template.backend == "sqlite":
            path = tmp_path / "enishi.db"
            shutil.copyfile(template.source, path)
            yield f"sqlite+aiosqlite:///{path}"
            return
        name = f"enishi_t_{uuid.uuid4().hex[:12]}"
        await pg_admin(self._admin(), f'CREATE DATABASE "{name}" TEMPLATE "{template.source}"')
        try:
            yield pg_url(self._admin(), name)
        finally:
            await pg_admin(self._admin(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_templates(self) -> None:
        """Drop the PostgreSQL templates (SQLite's are files in pytest's temporary folder)."""
        for template in self.templates.values():
            if template.backend == "postgresql":
                asyncio.run(pg_admin(self._admin(), f'DROP DATABASE IF EXISTS "{template.source}" WITH (FORCE)'))
        self.templates.clear()

    def _admin(self) -> str:
        if not self.postgres_admin_url:
            raise RuntimeError("no PostgreSQL server: set ENISHI_TEST_POSTGRES_URL")
        return self.postgres_admin_url
