"""Fixtures for the friend_fields plugin, on the shared ``env`` (SQLite and PostgreSQL, tests/conftest.py).

On it: one agency with two workspaces on the smallest plan (so every test can check isolation and the plan
tier), friends in both, staff of every role signed in through the real HTTP API, and a recorder of the domain
events the plugin emits.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from enishi import ActionContext, DomainEvent, Friend, WorkspaceContext, hookimpl
from enishi.auth.passwords import hash_password
from enishi.crypto import SecretBox
from enishi.models import Agency, AgencyMembership, Plan, User, WorkspaceMembership
from enishi.tenancy.workspaces import ChannelCredentials, create_workspace
from tests.conftest import PASSWORD, Env

PLUGIN = "friend_fields"
ROLES = ("owner", "admin", "operator", "viewer")


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
        if event.name.startswith(f"{PLUGIN}."):
            self.events.append(event)

    def take(self) -> list[tuple[int | None, str, Any, Any, str]]:
        """(friend_id, key, old, new, source) of the events so far, and forget them."""
        taken = [(e.friend_id, e.data["key"], e.data["old"], e.data["new"], e.data["source"]) for e in self.events]
        self.events.clear()
        return taken


@dataclass
class World:
    env: Env
    recorder: EventRecorder
    workspace_id: int
    other_workspace_id: int
    friends: dict[str, int]  # aoi and ren follow, yui blocked the account; all in the first workspace
    stranger: int  # a friend of the other workspace
    user_ids: dict[str, int]
    staff: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    @property
    def client(self) -> httpx.AsyncClient:
        """The owner (via an agency membership): every permission in both workspaces."""
        return self.staff["owner"]

    async def as_role(self, role: str) -> httpx.AsyncClient:
        """A client signed in as the first workspace's admin, operator or viewer (signing in is slow: on demand)."""
        if role not in self.staff:
            self.staff[role] = await self.env.login(f"{role}@{PLUGIN}.example")
        return self.staff[role]

    @property
    def backend(self) -> str:
        return self.env.backend

    def url(self, path: str = "", workspace_id: int | None = None) -> str:
        return f"/api/workspaces/{workspace_id or self.workspace_id}/{PLUGIN}{path}"

    def context(self, workspace_id: int | None = None, timezone: str = "Asia/Tokyo", **kw: Any) -> WorkspaceContext:
        """A context like the one a request or job gets, with a session scoped to the workspace."""
        ws = workspace_id or self.workspace_id
        return WorkspaceContext(
            workspace_id=ws,
            session=self.env.db.session(ws, write=True),
            host=self.env.host,
            settings=self.env.settings,
            jobs=None,
            enabled_plugins=frozenset({PLUGIN}),
            timezone=timezone,
            **kw,
        )

    def action_context(self, source: str = "scenario", timezone: str = "Asia/Tokyo", **kw: Any) -> ActionContext:
        return ActionContext(
            workspace_id=self.workspace_id,
            session=self.env.db.session(self.workspace_id, write=True),
            host=self.env.host,
            settings=self.env.settings,
            jobs=None,
            enabled_plugins=frozenset({PLUGIN}),
            timezone=timezone,
            idempotency_key=str(uuid.uuid4()),
            source=source,
            **kw,
        )

    async def add_friends(self, count: int, workspace_id: int | None = None) -> list[int]:
        async with self.env.db.transaction(workspace_id or self.workspace_id) as s:
            friends = [Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name=f"f{n}") for n in range(count)]
            s.add_all(friends)
            await s.flush()
            return [f.id for f in friends]

    async def field(
        self, key: str, type: str = "text", workspace_id: int | None = None, **extra: Any
    ) -> dict[str, Any]:
        """Create a field through the API and return it."""
        body = {"key": key, "label": extra.pop("label", key), "type": type, **extra}
        response = await self.client.post(self.url("/fields", workspace_id), json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def set(self, friend: str | int, workspace_id: int | None = None, **values: Any) -> httpx.Response:
        friend_id = self.friends[friend] if isinstance(friend, str) else friend
        return await self.client.patch(self.url(f"/friends/{friend_id}", workspace_id), json={"values": values})

    async def values(self, friend: str | int) -> dict[str, Any]:
        friend_id = self.friends[friend] if isinstance(friend, str) else friend
        response = await self.client.get(self.url(f"/friends/{friend_id}"))
        assert response.status_code == 200, response.text
        return dict(response.json()["values"])


@pytest.fixture
async def world(env: Env) -> AsyncIterator[World]:
    recorder = EventRecorder()
    env.host.pm.register(recorder, name=f"{PLUGIN}_test_recorder")
    async with env.db.transaction() as s:
        users = {
            role: User(email=f"{role}@{PLUGIN}.example", display_name=role, password_hash=password_hash())
            for role in ROLES
        }
        agency = Agency(name="情報欄代理店")
        s.add_all([*users.values(), agency])
        await s.flush()
        s.add(AgencyMembership(agency_id=agency.id, user_id=users["owner"].id, role="owner"))
        plan = await s.scalar(select(Plan).where(Plan.key == "start"))  # the smallest plan includes the plugin
        workspaces = []
        for n in (1, 2):
            workspaces.append(
                await create_workspace(
                    s,
                    host=env.host,
                    settings=env.settings,
                    secrets_box=SecretBox(env.settings.secret_keys),
                    agency=agency,
                    name=f"店舗{n}",
                    credentials=ChannelCredentials(
                        str(1_000_000_000 + uuid.uuid4().int % 8_999_999_999), uuid.uuid4().hex, "t-" + uuid.uuid4().hex
                    ),
                    plan=plan,
                )
            )
        ws, other = workspaces
        for role in ("admin", "operator", "viewer"):
            s.add(WorkspaceMembership(workspace_id=ws.id, user_id=users[role].id, role=role))
        friends = {
            name: Friend(
                workspace_id=ws.id, line_user_id=f"U{name}{uuid.uuid4().hex[:8]}", display_name=name, status=status
            )
            for name, status in [("aoi", "following"), ("ren", "following"), ("yui", "blocked")]
        }
        stranger = Friend(
            workspace_id=other.id, line_user_id=f"Ustranger{uuid.uuid4().hex[:8]}", display_name="stranger"
        )
        s.add_all([*friends.values(), stranger])
        await s.flush()
        ids = (ws.id, other.id, {k: f.id for k, f in friends.items()}, stranger.id, {r: u.id for r, u in users.items()})
    world = World(env, recorder, *ids)
    await world.as_role("owner")
    try:
        yield world
    finally:
        env.host.pm.unregister(recorder)
