"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL, and an app wired to it.

PostgreSQL and Redis are real servers. Without them the tests that need them are skipped with a message, except
under CI=true, where a missing server fails the run instead.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager

from enishi.app import create_app
from enishi.plugin_host import PluginHost, discover
from enishi.settings import Settings

# The running app, its settings, clients and template databases come from the kit plugins are tested with
# (enishi.testing); the names the test modules import from here stay as they were.
from enishi.testing import PASSWORD as PASSWORD
from enishi.testing import TEST_SECRET_KEY as TEST_SECRET_KEY
from enishi.testing import EnishiApp as Env
from enishi.testing import TemplateDatabase as Template
from enishi.testing import TemplateDatabases, new_client, pg_admin, pg_url, settings_for

sys.path.insert(0, str(Path(__file__).parent / "fixture_plugins"))

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get("ENISHI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PROBE = EntryPoint(name="probe", value="enishi_probe", group="enishi.plugins")


def unavailable(what: str) -> None:
    """Skip on a laptop without the server; fail in CI, where the server must be there."""
    message = f"{what} is not reachable ({'required under CI=true' if IN_CI else 'start it to run these tests'})"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


async def _pg_reachable() -> bool:
    import asyncpg

    try:
        conn = await asyncio.wait_for(asyncpg.connect(PG_ADMIN_URL), timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def _pg_admin(sql: str) -> None:
    await pg_admin(PG_ADMIN_URL, sql)


def _pg_url(database: str) -> str:
    return pg_url(PG_ADMIN_URL, database)


@pytest.fixture(scope="session")
def probe_host_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_for(tmp_path_factory.mktemp("host"))


def make_host(settings: Settings) -> PluginHost:
    """Every installed plugin plus the probe plugin that implements every hook (tests/fixture_plugins)."""
    return discover(settings, extra=[PROBE])


# Databases migrated once per session (every installed plugin and the probe); each test gets a fresh copy.
_templates = TemplateDatabases(PG_ADMIN_URL)


async def _template(backend: str, tmp_root: Path, host: PluginHost) -> Template:
    return await _templates.template(backend, tmp_root, lambda: host)


@pytest.fixture(scope="session")
def _drop_pg_templates() -> Iterator[None]:
    yield
    _templates.drop_templates()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, _drop_pg_templates: None
) -> AsyncIterator[str]:
    """A fresh database at core + plugin heads, on each backend."""
    backend = request.param
    if backend == "postgresql" and not await _pg_reachable():
        unavailable(f"PostgreSQL at {PG_ADMIN_URL}")
    host = make_host(settings_for(tmp_path_factory.getbasetemp()))
    template = await _template(backend, tmp_path_factory.getbasetemp(), host)
    async with _templates.fresh(template, tmp_path) as url:
        yield url


@pytest.fixture
async def env(database_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    settings = settings_for(tmp_path, database_url)
    host = make_host(settings)
    app = create_app(settings, host)
    # Shutting down gives running jobs their grace period; a loaded machine needs longer than the default 5 s.
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        e = Env(settings=settings, host=host, db=app.state["enishi"].db, app=app, client=new_client(app))
        try:
            yield e
        finally:
            for c in [e.client, *e.clients]:
                await c.aclose()
