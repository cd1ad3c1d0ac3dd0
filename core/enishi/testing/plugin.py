"""The pytest plugin of :mod:`enishi.testing` (loaded through the ``pytest11`` entry point ``enishi``).

Every fixture is named ``enishi_*`` and costs nothing unless a test asks for it. The plugins under test are
named by the ``enishi_plugins`` marker, else by the ``enishi_plugins`` ini option; only they are loaded and
switched on. The database is SQLite, and PostgreSQL too when ``ENISHI_TEST_POSTGRES_URL`` names a server (a
database on it the tests may create databases from, e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from enishi.plugin_host import PluginHost
from enishi.testing.app import EnishiApp, EnishiWorkspace, plugin_host, running_app, settings_for
from enishi.testing.databases import TemplateDatabases
from enishi.testing.friends import LineFriends
from enishi.testing.jobs import Clock, Jobs

try:
    from pytest_asyncio import fixture as async_fixture
except ImportError:  # pragma: no cover - the async fixtures need pytest-asyncio (pip install 'enishi[testing]')
    async_fixture = pytest.fixture  # type: ignore[assignment]

POSTGRES_URL_VARIABLE = "ENISHI_TEST_POSTGRES_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "enishi_plugins",
        "Enishi plugins under test (names): the enishi_* fixtures load and switch on only these",
        type="args",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "enishi_plugins(*names): the Enishi plugins this test loads and switches on")
    config.addinivalue_line("markers", "enishi_role(role): the workspace role enishi_client signs in with")


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(POSTGRES_URL_VARIABLE) else ["sqlite"]


@pytest.fixture
def enishi_plugins(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """The plugins under test: ``@pytest.mark.enishi_plugins("name", …)``, else the ``enishi_plugins`` ini option.
    Override the fixture to decide otherwise."""
    marker = request.node.get_closest_marker("enishi_plugins")
    names = marker.args if marker is not None else request.config.getini("enishi_plugins")
    return tuple(sorted(set(names)))


@pytest.fixture
def enishi_host(enishi_plugins: tuple[str, ...], tmp_path: Path) -> PluginHost:
    """A plugin host with the plugins under test loaded (and nothing else): what start-up registers, no app."""
    return plugin_host(settings_for(tmp_path), enishi_plugins)


@pytest.fixture(scope="session")
def enishi_template_databases() -> Iterator[TemplateDatabases]:
    databases = TemplateDatabases(os.environ.get(POSTGRES_URL_VARIABLE) or None)
    yield databases
    databases.drop_templates()


@pytest.fixture(params=_backends())
def enishi_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite``, and ``postgresql`` as a second run of each test when ``ENISHI_TEST_POSTGRES_URL`` is set."""
    return str(request.param)


@async_fixture
async def enishi_database_url(
    enishi_backend: str,
    enishi_plugins: tuple[str, ...],
    enishi_template_databases: TemplateDatabases,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[str]:
    """A fresh database of its own for the test, migrated to the heads of the core and the plugins under test."""
    root = tmp_path_factory.getbasetemp()
    template = await enishi_template_databases.template(
        enishi_backend, root, lambda: plugin_host(settings_for(root), enishi_plugins), key=enishi_plugins
    )
    async with enishi_template_databases.fresh(template, tmp_path) as url:
        yield url


@async_fixture
async def enishi_app(
    enishi_database_url: str, enishi_plugins: tuple[str, ...], tmp_path: Path
) -> AsyncIterator[EnishiApp]:
    """The app, started on the test's database with the plugins under test, its jobs run in-process."""
    async with running_app(tmp_path, enishi_database_url, enishi_plugins) as app:
        yield app


@async_fixture
async def enishi_workspace(enishi_app: EnishiApp, enishi_plugins: tuple[str, ...]) -> EnishiWorkspace:
    """A workspace (plan ``pro``) with its owner, where exactly the plugins under test are switched on."""
    return await enishi_app.workspace_under_test(enishi_plugins)


@async_fixture
async def enishi_other_workspace(enishi_app: EnishiApp, enishi_plugins: tuple[str, ...]) -> EnishiWorkspace:
    """A second workspace like ``enishi_workspace`` (another agency), to check that nothing crosses over."""
    return await enishi_app.workspace_under_test(enishi_plugins, "別の店舗")


@async_fixture
async def enishi_client(
    enishi_app: EnishiApp, enishi_workspace: EnishiWorkspace, request: pytest.FixtureRequest
) -> httpx.AsyncClient:
    """A client signed in as a staff member of the workspace: its owner, or a new member with the role of
    ``@pytest.mark.enishi_role("operator")``. Changes send the CSRF token by themselves."""
    marker = request.node.get_closest_marker("enishi_role")
    role = str(marker.args[0]) if marker is not None else "owner"
    if role == "owner":
        return await enishi_app.login(enishi_workspace.owner.email)
    return await enishi_app.staff(enishi_workspace.row, role)


@pytest.fixture
def enishi_line(enishi_app: EnishiApp, enishi_workspace: EnishiWorkspace) -> LineFriends:
    """Simulated LINE users of the built-in emulator: ``await enishi_line.follow("花子")`` gives a friend id."""
    return LineFriends(enishi_app, enishi_workspace)


@pytest.fixture
def enishi_jobs(enishi_app: EnishiApp) -> Jobs:
    """``await enishi_jobs.drain()`` runs what is due; ``run_schedules()`` runs the sweepers once."""
    return Jobs(enishi_app)


@pytest.fixture
def enishi_clock() -> Iterator[Clock]:
    """The wall clock, moved with ``enishi_clock.shift(days=1)`` or ``move_to(datetime)``; it keeps ticking."""
    clock = Clock().start()
    try:
        yield clock
    finally:
        clock.stop()
