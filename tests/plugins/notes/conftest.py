"""Fixtures for the notes plugin, on the shared ``env`` (SQLite and PostgreSQL, tests/conftest.py).

On it: one agency with two workspaces on the smallest plan (so every test can check isolation and the plan
tier), friends in both, and staff of every role (two operators) signed in through the real HTTP API on demand.
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

from enishi import ActionContext, Friend, WorkspaceContext
from enishi.auth.passwords import hash_password
from enishi.crypto import SecretBox
from enishi.models import Agency, AgencyMembership, Plan, User, WorkspaceMembership
from enishi.tenancy.workspaces import ChannelCredentials, create_workspace
from tests.conftest import PASSWORD, Env

PLUGIN = "notes"
# Staff by name; the owner holds the agency, the others are members of the first workspace with these roles.
STAFF = {"owner": "owner", "admin": "admin", "operator": "operator", "operator2": "operator", "viewer": "viewer"}


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once for every user of every test


@dataclass
class World:
    env: Env
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

    @property
    def backend(self) -> str:
        return self.env.backend

    async def as_role(self, name: str) -> httpx.AsyncClient:
        """A client signed in as one of STAFF (signing in is slow: on demand)."""
        if name not in self.staff:
            self.staff[name] = await self.env.login(f"{name}@{PLUGIN}.example")
        return self.staff[name]

    def url(self, path: str = "", workspace_id: int | None = None) -> str:
        return f"/api/workspaces/{workspace_id or self.workspace_id}/{PLUGIN}{path}"

    def context(self, workspace_id: int | None = None, **kw: Any) -> WorkspaceContext:
        """A context like the one a request or job gets, with a session scoped to the workspace."""
        ws = workspace_id or self.workspace_id
        return WorkspaceContext(
            workspace_id=ws,
            session=self.env.db.session(ws, write=True),
            host=self.env.host,
            settings=self.env.settings,
            jobs=None,
            enabled_plugins=frozenset({PLUGIN, "friend_fields"}),
            **kw,
        )

    def action_context(self, source: str = "scenario", idempotency_key: str | None = None) -> ActionContext:
        return ActionContext(
            workspace_id=self.workspace_id,
            session=self.env.db.session(self.workspace_id, write=True),
            host=self.env.host,
            settings=self.env.settings,
            jobs=None,
            enabled_plugins=frozenset({PLUGIN, "friend_fields"}),
            idempotency_key=idempotency_key or str(uuid.uuid4()),
            source=source,
        )

    async def add_friends(self, count: int, workspace_id: int | None = None) -> list[int]:
        async with self.env.db.transaction(workspace_id or self.workspace_id) as s:
            friends = [Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name=f"f{n}") for n in range(count)]
            s.add_all(friends)
            await s.flush()
            return [f.id for f in friends]

    async def note(self, friend: str | int, body: str, as_: str = "owner", **extra: Any) -> dict[str, Any]:
        """Add a note through the API as one of STAFF and return it."""
        friend_id = self.friends[friend] if isinstance(friend, str) else friend
        client = await self.as_role(as_)
        response = await client.post(self.url(f"/friends/{friend_id}"), json={"body": body, **extra})
        assert response.status_code == 201, response.text
        return dict(response.json())


@pytest.fixture
async def world(env: Env) -> AsyncIterator[World]:
    async with env.db.transaction() as s:
        users = {
            name: User(email=f"{name}@{PLUGIN}.example", display_name=name, password_hash=password_hash())
            for name in STAFF
        }
        agency = Agency(name="メモ代理店")
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
        for name, role in STAFF.items():
            if name != "owner":
                s.add(WorkspaceMembership(workspace_id=ws.id, user_id=users[name].id, role=role))
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
    world = World(env, *ids)
    await world.as_role("owner")
    yield world
