"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL, and an app wired to it.

PostgreSQL and Redis are real servers. Without them the tests that need them are skipped with a message, except
under CI=true, where a missing server fails the run instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from cryptography.fernet import Fernet
from litestar import Litestar
from sqlalchemy import select

from enishi import migrate
from enishi.app import create_app
from enishi.auth.passwords import hash_password
from enishi.crypto import SecretBox
from enishi.db.engine import Database, make_engine
from enishi.models import Agency, AgencyMembership, Plan, User, Workspace
from enishi.plugin_host import PluginHost, discover
from enishi.settings import Settings, load_settings
from enishi.tenancy.workspaces import ChannelCredentials, add_member, create_workspace

sys.path.insert(0, str(Path(__file__).parent / "fixture_plugins"))

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get("ENISHI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery"
TEST_SECRET_KEY = Fernet.generate_key().decode()
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
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_url(database: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{database}".replace("postgresql://", "postgresql+asyncpg://", 1)


def settings_for(tmp_path: Path, database_url: str | None = None, **env: str) -> Settings:
    values = {"ENISHI_DATA_DIR": str(tmp_path), "ENISHI_LOG_LEVEL": "WARNING", **env}
    if database_url:
        values["ENISHI_DATABASE_URL"] = database_url
        values.setdefault("ENISHI_SECRET_KEY", TEST_SECRET_KEY)
    if "ENISHI_LINE_API_URL" not in values:
        # The app only serves the emulator when asked; the tests on SQLite have always talked to it in-process.
        values.setdefault("ENISHI_EMULATOR", "1" if (database_url or "sqlite").startswith("sqlite") else "0")
    return load_settings(values)


@pytest.fixture(scope="session")
def probe_host_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_for(tmp_path_factory.mktemp("host"))


def make_host(settings: Settings) -> PluginHost:
    """Every installed plugin plus the probe plugin that implements every hook (tests/fixture_plugins)."""
    return discover(settings, extra=[PROBE])


@dataclass
class Template:
    """A database migrated once per session; each test gets a fresh copy of it."""

    backend: str
    source: str  # SQLite file path or PostgreSQL database name


_templates: dict[str, Template] = {}


async def _template(backend: str, tmp_root: Path, host: PluginHost) -> Template:
    if backend in _templates:
        return _templates[backend]
    if backend == "sqlite":
        path = tmp_root / "template.db"
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        await migrate.upgrade(engine, host)
        await engine.dispose()
        template = Template("sqlite", str(path))
    else:
        name = f"enishi_tpl_{uuid.uuid4().hex[:10]}"
        await _pg_admin(f'CREATE DATABASE "{name}"')
        engine = make_engine(_pg_url(name), pool=False)
        await migrate.upgrade(engine, host)
        await engine.dispose()
        template = Template("postgresql", name)
    _templates[backend] = template
    return template


@pytest.fixture(scope="session")
def _drop_pg_templates() -> Iterator[None]:
    yield
    for template in _templates.values():
        if template.backend == "postgresql":
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{template.source}" WITH (FORCE)'))


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
    if backend == "sqlite":
        path = tmp_path / "enishi.db"
        shutil.copyfile(template.source, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"enishi_t_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template.source}"')
    try:
        yield _pg_url(name)
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Env:
    """A running app on a fresh database, with helpers to create tenants and sign in."""

    settings: Settings
    host: PluginHost
    db: Database
    app: Litestar
    client: httpx.AsyncClient
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def backend(self) -> str:
        return self.db.dialect

    async def user(self, email: str, *, admin: bool = False, name: str = "スタッフ") -> User:
        async with self.db.transaction() as s:
            user = User(email=email, display_name=name, password_hash=hash_password(PASSWORD), is_platform_admin=admin)
            s.add(user)
        return user

    async def agency(self, name: str = "代理店", owner: User | None = None, role: str = "owner") -> Agency:
        async with self.db.transaction() as s:
            agency = Agency(name=name)
            s.add(agency)
            await s.flush()
            if owner is not None:
                s.add(AgencyMembership(agency_id=agency.id, user_id=owner.id, role=role))
        return agency

    async def workspace(
        self, agency: Agency, name: str = "店舗", *, plan: str = "pro", members: dict[User, str] | None = None
    ) -> Workspace:
        async with self.db.transaction() as s:
            plan_row = await s.scalar(select(Plan).where(Plan.key == plan))
            channel = str(1_000_000_000 + uuid.uuid4().int % 8_999_999_999)
            workspace = await create_workspace(
                s,
                host=self.host,
                settings=self.settings,
                secrets_box=SecretBox(self.settings.secret_keys),
                agency=agency,
                name=name,
                credentials=ChannelCredentials(channel, uuid.uuid4().hex, "token-" + uuid.uuid4().hex),
                plan=plan_row,
            )
            for user, role in (members or {}).items():
                await add_member(s, workspace, user, role)
        return workspace

    def new_client(self) -> httpx.AsyncClient:
        client = new_client(self.app)
        self.clients.append(client)
        return client

    async def login(self, email: str, password: str = PASSWORD) -> httpx.AsyncClient:
        """A separate signed-in client (own cookie jar) that sends the CSRF token on every request."""
        client = self.new_client()
        response = await client.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client


def new_client(app: Litestar) -> httpx.AsyncClient:
    # In the test's own event loop (Litestar's TestClient would run the app in a thread with another loop).
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")


@pytest.fixture
async def env(database_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    settings = settings_for(tmp_path, database_url)
    host = make_host(settings)
    app = create_app(settings, host)
    async with LifespanManager(app):
        e = Env(settings=settings, host=host, db=app.state["enishi"].db, app=app, client=new_client(app))
        try:
            yield e
        finally:
            for c in [e.client, *e.clients]:
                await c.aclose()
