"""The app under test: settings, the plugins it loads, the running app with its HTTP clients, and workspaces."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import select

from enishi.plugin_host import ENTRY_POINT_GROUP, PluginHost, discover
from enishi.settings import Settings, load_settings

if TYPE_CHECKING:
    from litestar import Litestar

    from enishi.context import WorkspaceContext
    from enishi.db.engine import Database
    from enishi.models import Agency, User, Workspace
    from enishi_line_emulator import Emulator

PASSWORD = "correct horse battery"  # noqa: S105 - every test user's password
TEST_SECRET_KEY = Fernet.generate_key().decode()
ROLES = ("owner", "admin", "operator", "viewer")


def settings_for(tmp_path: Path, database_url: str | None = None, **env: str) -> Settings:
    """Settings for a test: data under ``tmp_path``, quiet logs, the built-in LINE emulator on SQLite."""
    values = {"ENISHI_DATA_DIR": str(tmp_path), "ENISHI_LOG_LEVEL": "WARNING", **env}
    if database_url:
        values["ENISHI_DATABASE_URL"] = database_url
        values.setdefault("ENISHI_SECRET_KEY", TEST_SECRET_KEY)
    if "ENISHI_LINE_API_URL" not in values:
        # The app only serves the emulator when asked; the tests on SQLite have always talked to it in-process.
        values.setdefault("ENISHI_EMULATOR", "1" if (database_url or "sqlite").startswith("sqlite") else "0")
    return load_settings(values)


def plugin_host(settings: Settings, plugins: Iterable[str]) -> PluginHost:
    """A host that loads exactly ``plugins`` (names), whether installed or only importable as ``enishi_<name>``
    (a plugin tested from its source tree); raises if one of them is refused, with the reason."""
    names = frozenset(plugins)
    installed = set(entry_points(group=ENTRY_POINT_GROUP).names)
    extra = [EntryPoint(name=n, value=f"enishi_{n}", group=ENTRY_POINT_GROUP) for n in sorted(names - installed)]
    host = discover(replace(settings, plugins_allow=names, plugins_block=frozenset()), extra=extra)
    refused = {n: host.plugins[n].error for n in sorted(names) if not host.plugins[n].loaded}
    if refused:
        raise RuntimeError("plugins not loaded: " + "; ".join(f"{n}: {e}" for n, e in refused.items()))
    return host


def new_client(app: Litestar) -> httpx.AsyncClient:
    # In the test's own event loop (Litestar's TestClient would run the app in a thread with another loop).
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=cast(Any, app)), base_url="http://testserver.local")


@cache
def _password_hash() -> str:
    """``PASSWORD`` hashed once per process: hashing is slow on purpose, and every test user shares it."""
    from enishi.auth.passwords import hash_password

    return hash_password(PASSWORD)


def listening_socket() -> socket.socket:
    # IPPROTO_TCP, or asyncio leaves TCP_NODELAY off on accepted connections (40 ms per request, delayed ACKs).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def serve(
    app: Any, *, lifespan: Literal["on", "off"] = "off", sock: socket.socket | None = None
) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn on a free 127.0.0.1 port in this event loop; yields its base URL."""
    import uvicorn

    sock = sock or listening_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", access_log=False, lifespan=lifespan))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


@dataclass
class EnishiApp:
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

    @property
    def services(self) -> Any:
        return self.app.state["enishi"]

    async def user(self, email: str, *, admin: bool = False, name: str = "スタッフ") -> User:
        from enishi.models import User

        async with self.db.transaction() as s:
            user = User(email=email, display_name=name, password_hash=_password_hash(), is_platform_admin=admin)
            s.add(user)
        return user

    async def agency(self, name: str = "代理店", owner: User | None = None, role: str = "owner") -> Agency:
        from enishi.models import Agency, AgencyMembership

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
        """A workspace with every loaded plugin its plan allows switched on (for the emulator to answer for its
        channel, :meth:`register_channel`)."""
        from enishi.crypto import SecretBox
        from enishi.models import Plan
        from enishi.tenancy.workspaces import ChannelCredentials, add_member, create_workspace

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

    async def staff(self, workspace: Workspace | int, role: str = "owner") -> httpx.AsyncClient:
        """A client signed in as a new staff member of ``workspace`` with ``role`` (owner, admin, operator, viewer)."""
        from enishi.models import Workspace
        from enishi.tenancy.workspaces import add_member

        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        email = f"{role}-{uuid.uuid4().hex[:8]}@staff.example"
        user = await self.user(email, name=role)
        workspace_id = workspace if isinstance(workspace, int) else workspace.id
        async with self.db.transaction() as s:
            await add_member(s, await s.get_one(Workspace, workspace_id), user, role)
        return await self.login(email)

    async def workspace_under_test(self, plugins: Iterable[str], name: str = "テスト店舗") -> EnishiWorkspace:
        """A new agency and workspace (plan ``pro``) with an owner, its LINE channel known to the emulator, where
        exactly ``plugins`` are switched on (it fails otherwise: a plugin's tier or a refused plugin)."""
        owner = await self.user(f"owner-{uuid.uuid4().hex[:8]}@staff.example", name="オーナー")
        row = await self.workspace(await self.agency(owner=owner), name, members={owner: "owner"})
        await self.register_channel(row)
        workspace = EnishiWorkspace(self, row, owner, frozenset(plugins))
        async with workspace.context() as ctx:
            assert ctx.enabled_plugins == workspace.plugins, (ctx.enabled_plugins, workspace.plugins)
        return workspace

    @property
    def emulator(self) -> Emulator | None:
        """The built-in LINE emulator the app serves (``ENISHI_EMULATOR=1``), None when it is off."""
        from enishi.line.embedded import emulator_of

        return emulator_of(self.app.state)

    async def register_channel(self, workspace: Workspace) -> None:
        """Make the emulator answer for the workspace's LINE channel (the app does this at start-up)."""
        from enishi.line.embedded import register_channels

        emulator = self.emulator
        if emulator is None:
            raise RuntimeError("the built-in LINE emulator is off (ENISHI_EMULATOR=1 turns it on)")
        await register_channels(self.services, emulator, [workspace.id])

    async def settle(self) -> None:
        """Wait until stored webhooks are processed and no job is due or running (jobs they enqueue included)."""
        jobs = self.services.jobs
        for _ in range(3):
            await asyncio.sleep(0.02)
            await self.app.state["enishi_event_writer"].idle()
            await jobs.drain()

    @asynccontextmanager
    async def context(self, workspace_id: int, now: datetime | None = None) -> AsyncIterator[WorkspaceContext]:
        """A plugin's view of the workspace, as hooks and jobs get it, in a transaction committed at the end."""
        from enishi.context import JobContext
        from enishi.jobs.workspace_state import workspace_context, workspace_state

        job = JobContext(settings=self.settings, db=self.db, host=self.host, jobs=self.services.jobs)
        state = await workspace_state(job, workspace_id)
        async with self.db.transaction(workspace_id) as session:
            yield workspace_context(job, session, workspace_id, state, now)

    async def aclose(self) -> None:
        for client in [self.client, *self.clients]:
            await client.aclose()


@asynccontextmanager
async def _lifespan(app: Litestar) -> AsyncIterator[None]:
    """The app's start-up and shut-down, run in a task of its own: pytest-asyncio may set a fixture up and tear it
    down in different tasks, and the app's lifespan holds a cancel scope that must be left in its own task."""
    started, stopping = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        async with app.lifespan():
            started.set()
            await stopping.wait()

    task = asyncio.create_task(run(), name="enishi lifespan")
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # start-up failed: raise its error
    try:
        yield
    finally:
        stopping.set()
        await task


@asynccontextmanager
async def running_app(
    tmp_path: Path, database_url: str, plugins: Iterable[str], **env: str
) -> AsyncIterator[EnishiApp]:
    """The app on ``database_url`` with exactly ``plugins`` loaded, started (jobs run in-process) and stopped
    around the block. It also listens on a free local port, where the built-in LINE emulator it serves is what
    the app calls as LINE, so what the app sends reaches the emulator's simulated users."""
    from enishi.app import create_app

    sock = listening_socket()
    public_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = settings_for(tmp_path, database_url, ENISHI_PUBLIC_URL=public_url, ENISHI_EMULATOR="1", **env)
    host = plugin_host(settings, plugins)
    app = create_app(settings, host)
    async with _lifespan(app), serve(app, sock=sock):
        running = EnishiApp(settings=settings, host=host, db=app.state["enishi"].db, app=app, client=new_client(app))
        try:
            yield running
        finally:
            await running.aclose()


@dataclass
class EnishiWorkspace:
    """A workspace of the running app with the plugins under test switched on, and its owner."""

    app: EnishiApp
    row: Workspace
    owner: User
    plugins: frozenset[str]

    @property
    def id(self) -> int:
        return self.row.id

    def url(self, path: str = "") -> str:
        """The workspace API: ``url("/keyword_counter/...")`` is ``/api/workspaces/<id>/keyword_counter/...``."""
        return f"/api/workspaces/{self.id}{path}"

    def context(self, now: datetime | None = None) -> Any:
        """``async with workspace.context() as ctx``: a :class:`~enishi.WorkspaceContext`, committed at the end."""
        return self.app.context(self.id, now)

    async def publish_scenario(self, client: httpx.AsyncClient, document: dict[str, Any], name: str = "テスト") -> int:
        """Create a scenario from ``document`` (see :func:`enishi.testing.scenarios.document`) and publish it, as
        the staff member of ``client``; returns its id."""
        created = await client.post(self.url("/scenarios"), json={"name": name, "document": document})
        assert created.status_code == 201, created.text
        scenario_id = int(created.json()["scenario"]["id"])
        published = await client.post(self.url(f"/scenarios/{scenario_id}/publish"))
        assert published.status_code == 200, published.text
        return scenario_id
