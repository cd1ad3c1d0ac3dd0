"""A live app with its embedded LINE emulator, on SQLite and PostgreSQL, for the broadcast tests.

The app is served by uvicorn on a free port (the LINE SDK's aiohttp client needs a socket), with
``ENISHI_PUBLIC_URL`` pointing at it, so the gateway reaches the emulator the app mounts at ``/emulator``, as in
embedded mode. The in-process job runner is live: broadcasts start and send in the background, and tests wait
for what a user would see. One workspace has friends who are simulated users of the emulator; another workspace
shows isolation. Staff sign in through the real API (owner, admin, operator, viewer).
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import insert, select, update

from enishi.app import create_app
from enishi.auth.passwords import hash_password
from enishi.context import JobContext
from enishi.line.embedded import emulator_of, register_channels
from enishi.models import Friend, Plan, User, Workspace
from enishi.models.broadcasts import LineQuota
from enishi_line_emulator import Emulator
from tests.conftest import PASSWORD, Env, make_host, settings_for
from tests.live_server import listening_socket, serve

T = TypeVar("T")
ROLES = ("owner", "admin", "operator", "viewer")
TEXT = {"type": "text", "text": "週末セールのお知らせ"}


class NoQueue:
    """A job queue that wakes nothing: the database holds the work and the test moves it on."""

    async def enqueue(self, name: str, *, job_id: str | None = None, defer_until: Any = None, **kwargs: Any) -> bool:
        return True

    async def close(self) -> None:
        return None


@dataclass
class Shop:
    env: Env
    emulator: Emulator
    workspace_id: int
    other_workspace_id: int
    channel_id: str
    staff: dict[str, httpx.AsyncClient]  # by role, signed in as needed (see as_role)
    friends: dict[str, int]  # aoi, ren (following), yui (blocked)
    users: dict[int, str]  # friend id → LINE user id

    @property
    def client(self) -> httpx.AsyncClient:
        return self.staff["owner"]

    @property
    def db(self) -> Any:
        return self.env.db

    def url(self, path: str = "", workspace_id: int | None = None) -> str:
        return f"/api/workspaces/{workspace_id or self.workspace_id}/broadcasts{path}"

    def job_context(self, *, quiet: bool = False) -> JobContext:
        """What jobs get; ``quiet``: follow-up jobs are dropped (the test drives everything itself)."""
        services = self.env.app.state["enishi"]
        jobs = NoQueue() if quiet else services.jobs
        return JobContext(settings=services.settings, db=services.db, host=services.host, jobs=jobs)

    async def add_friends(self, count: int, *, name: str = "友だち", following: bool = True) -> list[int]:
        """Friends in the database (one bulk INSERT) who are also simulated users of the emulator."""
        ids = [f"U{uuid.uuid4().hex}" for _ in range(count)]
        for user_id in ids:
            self.emulator.add_user(self.channel_id, name, user_id=user_id, following=following)
        status = "following" if following else "blocked"
        rows = [
            {"workspace_id": self.workspace_id, "line_user_id": u, "display_name": f"{name}{i}", "status": status}
            for i, u in enumerate(ids)
        ]
        async with self.db.transaction(self.workspace_id) as s:
            await s.execute(insert(Friend), rows)
            found = dict(
                (await s.execute(select(Friend.line_user_id, Friend.id).where(Friend.line_user_id.in_(ids)))).all()
            )
        self.users.update({fid: uid for uid, fid in found.items()})
        return [found[u] for u in ids]

    def deliveries(self, friend_id: int) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.emulator.deliveries(self.channel_id, self.users[friend_id])]

    async def tag(self, name: str, friend_ids: list[int]) -> int:
        response = await self.client.post(f"/api/workspaces/{self.workspace_id}/tags", json={"name": name})
        assert response.status_code == 201, response.text
        tag_id = int(response.json()["id"])
        for start in range(0, len(friend_ids), 1000):
            response = await self.client.post(
                f"/api/workspaces/{self.workspace_id}/tags/bulk",
                json={"tag_ids": [tag_id], "friend_ids": friend_ids[start : start + 1000], "op": "add"},
            )
            assert response.status_code == 200, response.text
        return tag_id

    async def as_role(self, role: str) -> httpx.AsyncClient:
        """A client signed in as the workspace's ``role`` (signed in on first use: logins are slow on purpose)."""
        if role not in self.staff:
            self.staff[role] = await self.env.login(f"{role}@broadcast.example")
        return self.staff[role]

    async def create(self, body: dict[str, Any], *, role: str = "owner", **headers: str) -> httpx.Response:
        return await (await self.as_role(role)).post(self.url(), json=body, headers=headers)

    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.create(body)
        assert response.status_code == 201, response.text
        return dict(response.json()["broadcast"])

    async def show(self, broadcast_id: int) -> dict[str, Any]:
        response = await self.client.get(self.url(f"/{broadcast_id}"))
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def finished(self, broadcast_id: int, seconds: float = 30) -> dict[str, Any]:
        async def done() -> dict[str, Any] | None:
            shown = await self.show(broadcast_id)
            return shown if shown["status"] in ("completed", "cancelled", "failed") else None

        shown = await until(done, seconds)
        assert shown is not None, f"broadcast {broadcast_id} did not finish: {await self.show(broadcast_id)}"
        return shown

    async def set_quota_cache(self, limit: int | None, consumption: int = 0, *, age_seconds: float = 0) -> None:
        """What the quota job would have fetched, ``age_seconds`` ago."""
        from datetime import timedelta

        from enishi.db.base import utcnow

        at = utcnow() - timedelta(seconds=age_seconds)
        async with self.db.transaction(self.workspace_id) as s:
            row = await s.scalar(select(LineQuota))
            if row is None:
                row = LineQuota(workspace_id=self.workspace_id)
                s.add(row)
            row.quota_type = "none" if limit is None else "limited"
            row.monthly_limit, row.consumption, row.fetched_at, row.requested_at = limit, consumption, at, at

    async def set_plan_limit(self, monthly_messages: int | None) -> None:
        async with self.db.transaction() as s:
            plan_id = await s.scalar(select(Workspace.plan_id).where(Workspace.id == self.workspace_id))
            await s.execute(update(Plan).where(Plan.id == plan_id).values(monthly_messages=monthly_messages))

    async def settle(self) -> None:
        """Let the in-process job runner finish what is due now."""
        jobs = self.env.app.state["enishi"].jobs
        for _ in range(3):
            await asyncio.sleep(0.02)
            await jobs.drain()


def later(days: float = 30) -> str:
    """A wall-clock time ``days`` from now in the workspace's time zone (Tokyo), without a zone, as staff type it."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    return (datetime.now(ZoneInfo("Asia/Tokyo")) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S")


async def until(check: Callable[[], Awaitable[T]], seconds: float = 15) -> T:
    deadline = time.monotonic() + seconds
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)


def live_settings(tmp_path: Path, database_url: str, port: int, **env: str) -> Any:
    return settings_for(
        tmp_path,
        database_url,
        ENISHI_PUBLIC_URL=f"http://127.0.0.1:{port}",
        ENISHI_EMULATOR="true",
        ENISHI_LINE_RETRY_BASE_SECONDS="0.05",
        ENISHI_LINE_RETRY_MAX_SECONDS="0.2",
        **env,
    )


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: once for every user of every test


async def _user(env: Env, email: str, name: str) -> User:
    async with env.db.transaction() as s:
        user = User(email=email, display_name=name, password_hash=password_hash())
        s.add(user)
    return user


@pytest.fixture
def shop_env() -> dict[str, str]:
    """Extra ENISHI_* settings for the shop's app (a test module may override this fixture)."""
    return {}


@pytest.fixture
async def shop(database_url: str, tmp_path: Path, shop_env: dict[str, str]) -> AsyncIterator[Shop]:
    sock = listening_socket()
    settings = live_settings(tmp_path, database_url, sock.getsockname()[1], **shop_env)
    host = make_host(settings)
    app = create_app(settings, host)
    async with serve(app, lifespan="on", sock=sock):
        env = Env(settings=settings, host=host, db=app.state["enishi"].db, app=app, client=httpx.AsyncClient())
        try:
            users = {role: await _user(env, f"{role}@broadcast.example", role) for role in ROLES}
            agency = await env.agency()
            workspace = await env.workspace(agency, "縁カフェ", members={u: r for r, u in users.items()})
            other = await env.workspace(agency, "別の店", members={users["owner"]: "owner"})
            emulator = emulator_of(app.state)
            assert emulator is not None
            await register_channels(app.state["enishi"], emulator)
            staff = {"owner": await env.login("owner@broadcast.example")}
            shop = Shop(env, emulator, workspace.id, other.id, workspace.line_channel_id, staff, {}, {})
            [aoi] = await shop.add_friends(1, name="あおい")
            [ren] = await shop.add_friends(1, name="れん")
            [yui] = await shop.add_friends(1, name="ゆい", following=False)
            shop.friends = {"aoi": aoi, "ren": ren, "yui": yui}
            yield shop
        finally:
            for c in [env.client, *env.clients]:
                await c.aclose()
