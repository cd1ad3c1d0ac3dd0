"""Fixtures for the tags plugin, independent of tests/conftest.py.

Each test gets a fresh database migrated with ``enishi.migrate.upgrade`` (core + every installed plugin branch):
SQLite in tmp_path always, and PostgreSQL too when a server is reachable (skipped otherwise, failing under
CI=true). On it: one agency with two workspaces (so every test can check isolation), friends in both, staff
signed in through the real HTTP API, and a recorder of the domain events the plugin emits.

Litestar's AsyncTestClient runs the app on an event loop of its own (a blocking portal), and asyncpg connections
belong to the loop that opened them. So the app keeps its own database engine, the test's direct reads and
writes go through a second one, and all staff share one client (one portal), each sending its own session
cookie and CSRF token.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from enishi import ActionContext, DomainEvent, Friend, WorkspaceContext, hookimpl
from enishi.api.middleware import SESSION_COOKIE
from enishi.app import create_app
from enishi.auth.passwords import hash_password
from enishi.crypto import SecretBox
from enishi.db.engine import Database, make_engine
from enishi.migrate import upgrade
from enishi.models import Agency, AgencyMembership, Plan, User, WorkspaceMembership
from enishi.plugin_host import PluginHost, discover
from enishi.settings import Settings, load_settings
from enishi.tenancy.workspaces import ChannelCredentials, create_workspace
from tests.conftest import PG_ADMIN_URL, _pg_admin, _pg_reachable, unavailable

PASSWORD = "tags test password"
ROLES = ("owner", "operator", "viewer")  # each signs in as <role>@tags.example


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once for every user of every test


class EventRecorder:
    """A pluggy plugin outside the plugin list, so the host calls it in every workspace."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    @hookimpl
    def enishi_domain_event(self, ctx: WorkspaceContext, event: DomainEvent) -> None:
        assert ctx.workspace_id == event.workspace_id
        self.events.append(event)

    def take(self) -> list[tuple[str, int | None, int, str]]:
        """(name, friend_id, tag_id, source) of the events so far, and forget them."""
        taken = [(e.name, e.friend_id, e.data["tag_id"], e.data["source"]) for e in self.events]
        self.events.clear()
        return taken


@dataclass
class Staff:
    """A signed-in staff member: requests carry their session cookie and CSRF token."""

    client: AsyncTestClient[Any]
    cookie: str
    csrf_token: str

    async def request(self, method: str, url: str, json: Any = None) -> Any:
        headers = {"Cookie": f"{SESSION_COOKIE}={self.cookie}", "X-CSRF-Token": self.csrf_token}
        return await self.client.request(method, url, json=json, headers=headers)

    async def get(self, url: str) -> Any:
        return await self.request("GET", url)

    async def post(self, url: str, json: Any = None) -> Any:
        return await self.request("POST", url, json)

    async def put(self, url: str, json: Any = None) -> Any:
        return await self.request("PUT", url, json)

    async def patch(self, url: str, json: Any = None) -> Any:
        return await self.request("PATCH", url, json)

    async def delete(self, url: str) -> Any:
        return await self.request("DELETE", url)


@dataclass
class TagsWorld:
    settings: Settings
    host: PluginHost
    db: Database  # the test's own engine, on the test's event loop
    http: AsyncTestClient[Any]
    recorder: EventRecorder
    workspace_id: int
    other_workspace_id: int
    owner_id: int
    friends: dict[str, int]  # aoi and ren follow, yui blocked the account; all in the first workspace
    stranger: int  # a friend of the other workspace
    staff: dict[str, Staff] = field(default_factory=dict)

    @property
    def client(self) -> Staff:
        """The owner (via an agency membership): every permission in both workspaces."""
        return self.staff["owner"]

    @property
    def backend(self) -> str:
        return self.db.dialect

    def url(self, path: str = "", workspace_id: int | None = None) -> str:
        return f"/api/workspaces/{workspace_id or self.workspace_id}/tags{path}"

    async def login(self, role: str) -> Staff:
        """Sign in as the agency owner, or as the first workspace's operator or viewer."""
        email = f"{role}@tags.example"
        response = await self.http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        staff = Staff(self.http, response.cookies[SESSION_COOKIE], response.json()["csrf_token"])
        self.http.cookies.clear()  # each Staff sends its own cookie
        self.staff[role] = staff
        return staff

    def context(self, workspace_id: int | None = None) -> WorkspaceContext:
        """A context like the one a request or job gets, with a session scoped to the workspace."""
        ws = workspace_id or self.workspace_id
        return WorkspaceContext(
            workspace_id=ws,
            session=self.db.session(ws),
            host=self.host,
            settings=self.settings,
            jobs=None,
            enabled_plugins=frozenset({"tags"}),
        )

    def action_context(self, source: str = "scenario") -> ActionContext:
        return ActionContext(
            workspace_id=self.workspace_id,
            session=self.db.session(self.workspace_id),
            host=self.host,
            settings=self.settings,
            jobs=None,
            enabled_plugins=frozenset({"tags"}),
            idempotency_key=str(uuid.uuid4()),
            source=source,
        )

    async def add_friends(self, count: int, workspace_id: int | None = None) -> list[int]:
        async with self.db.transaction(workspace_id or self.workspace_id) as s:
            friends = [Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name=f"f{n}") for n in range(count)]
            s.add_all(friends)
            await s.flush()
            return [f.id for f in friends]

    async def tag(self, name: str, workspace_id: int | None = None, **fields: Any) -> int:
        """Create a tag through the API and return its id."""
        response = await self.client.post(self.url("", workspace_id), json={"name": name, **fields})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def tags_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'enishi.db'}"
        return
    if not await _pg_reachable():
        unavailable(f"PostgreSQL at {PG_ADMIN_URL}")
    name = f"enishi_tags_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        yield f"{base}/{name}"
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def world(tags_database_url: str, tmp_path: Path) -> AsyncIterator[TagsWorld]:
    env = {"ENISHI_DATA_DIR": str(tmp_path), "ENISHI_LOG_LEVEL": "WARNING"}
    if not tags_database_url.startswith("sqlite"):
        env |= {"ENISHI_DATABASE_URL": tags_database_url, "ENISHI_SECRET_KEY": Fernet.generate_key().decode()}
    settings = load_settings(env)
    assert settings.database_url == tags_database_url
    host = discover(settings)
    assert host.plugins["tags"].status == "loaded", host.plugins["tags"].error
    recorder = EventRecorder()
    host.pm.register(recorder, name="tags_test_recorder")

    engine = make_engine(settings.database_url)
    await upgrade(engine, host)
    await engine.dispose()

    db = Database(settings.database_url)
    app = create_app(settings, host)
    async with AsyncTestClient(app) as http:
        async with db.transaction() as s:
            owner, operator, viewer = (
                User(email=f"{role}@tags.example", display_name=role, password_hash=password_hash()) for role in ROLES
            )
            agency = Agency(name="タグ代理店")
            s.add_all([owner, operator, viewer, agency])
            await s.flush()
            s.add(AgencyMembership(agency_id=agency.id, user_id=owner.id, role="owner"))
            plan = await s.scalar(select(Plan).where(Plan.key == "start"))  # the smallest plan includes tags
            workspaces = []
            for n in (1, 2):
                workspaces.append(
                    await create_workspace(
                        s,
                        host=host,
                        settings=settings,
                        secrets_box=SecretBox(settings.secret_keys),
                        agency=agency,
                        name=f"店舗{n}",
                        credentials=ChannelCredentials(f"100000000{n}", uuid.uuid4().hex, "token-" + uuid.uuid4().hex),
                        plan=plan,
                    )
                )
            ws, other = workspaces
            s.add(WorkspaceMembership(workspace_id=ws.id, user_id=operator.id, role="operator"))
            s.add(WorkspaceMembership(workspace_id=ws.id, user_id=viewer.id, role="viewer"))
            friends = {
                name: Friend(workspace_id=ws.id, line_user_id=f"U{name}", display_name=name, status=status)
                for name, status in [("aoi", "following"), ("ren", "following"), ("yui", "blocked")]
            }
            stranger = Friend(workspace_id=other.id, line_user_id="Ustranger", display_name="stranger")
            s.add_all([*friends.values(), stranger])
            await s.flush()
            ids = (ws.id, other.id, owner.id, {k: f.id for k, f in friends.items()}, stranger.id)

        world = TagsWorld(settings, host, db, http, recorder, *ids)
        await world.login("owner")
        try:
            yield world
        finally:
            await db.dispose()
