"""Fixtures for the assignment plugin, on the shared ``env`` (a fresh database per test on SQLite and on
PostgreSQL, an app in the test's event loop).

The world: an agency whose owner ("boss") sees every workspace but is nobody's staff; workspace 1 with staff
mika (owner), aki and ken (operators) and vi (viewer); workspace 2 with its own owner saki; a user with no
membership at all (nomad). Friends aoi and ren follow workspace 1, yui blocked it; stranger is workspace 2's.
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
from enishi.models import AgencyMembership, User, WorkspaceMembership
from tests.conftest import PASSWORD, Env

STAFF_ROLES = {"mika": "owner", "aki": "operator", "ken": "operator", "vi": "viewer"}
PLUGINS = frozenset({"assignment"})


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
        if event.name.startswith("assignment."):
            self.events.append(event)

    def take(self) -> list[tuple[int | None, int | None, int | None, str]]:
        """(friend_id, from_user_id, to_user_id, source) of the events so far, and forget them."""
        taken = [(e.friend_id, e.data["from_user_id"], e.data["to_user_id"], e.data["source"]) for e in self.events]
        assert all(e.name == "assignment.assigned" for e in self.events)
        self.events.clear()
        return taken


@dataclass
class World:
    env: Env
    recorder: EventRecorder
    workspace_id: int
    other_workspace_id: int
    users: dict[str, int]  # mika, aki, ken, vi, boss, saki, nomad
    friends: dict[str, int]  # aoi, ren, yui (workspace 1)
    stranger: int  # workspace 2's friend
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    @property
    def backend(self) -> str:
        return self.env.backend

    async def as_(self, name: str) -> httpx.AsyncClient:
        """A client signed in as that user (cached)."""
        if name not in self.clients:
            self.clients[name] = await self.env.login(f"{name}@assignment.example")
        return self.clients[name]

    def url(self, path: str = "", workspace_id: int | None = None) -> str:
        return f"/api/workspaces/{workspace_id or self.workspace_id}/assignment{path}"

    async def call(self, who: str, method: str, path: str, json: Any = None, workspace_id: int | None = None) -> Any:
        client = await self.as_(who)
        return await client.request(method, self.url(path, workspace_id), json=json)

    def context(self, workspace_id: int | None = None, actor: str | None = None) -> WorkspaceContext:
        ws = workspace_id or self.workspace_id
        return WorkspaceContext(
            workspace_id=ws,
            session=self.env.db.session(ws, write=True),
            host=self.env.host,
            settings=self.env.settings,
            jobs=None,
            enabled_plugins=PLUGINS,
            actor_user_id=self.users[actor] if actor else None,
        )

    def action_context(self, key: str | None = None, source: str = "scenario") -> ActionContext:
        return ActionContext(
            workspace_id=self.workspace_id,
            session=self.env.db.session(self.workspace_id, write=True),
            host=self.env.host,
            settings=self.env.settings,
            jobs=None,
            enabled_plugins=PLUGINS,
            idempotency_key=key or str(uuid.uuid4()),
            source=source,
        )

    async def add_friends(self, count: int, workspace_id: int | None = None) -> list[int]:
        async with self.env.db.transaction(workspace_id or self.workspace_id) as s:
            friends = [Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name=f"f{n}") for n in range(count)]
            s.add_all(friends)
            await s.flush()
            return [f.id for f in friends]

    async def remove_staff(self, name: str) -> None:
        async with self.env.db.transaction() as s:
            membership = await s.scalar(
                select(WorkspaceMembership).where(
                    WorkspaceMembership.workspace_id == self.workspace_id,
                    WorkspaceMembership.user_id == self.users[name],
                )
            )
            assert membership is not None
            await s.delete(membership)

    async def add_staff(self, name: str, role: str = "operator") -> None:
        async with self.env.db.transaction() as s:
            s.add(WorkspaceMembership(workspace_id=self.workspace_id, user_id=self.users[name], role=role))

    async def assign(self, who: str = "mika", **assignee_of: str | None) -> None:
        """Assign friends by name through the API, e.g. ``aoi="aki"``; None unassigns."""
        for friend, staff in assignee_of.items():
            body = {"user_id": None if staff is None else self.users[staff]}
            response = await self.call(who, "PUT", f"/friends/{self.friends[friend]}", body)
            assert response.status_code == 200, response.text
        self.recorder.take()

    async def pool(self, name: str, *members: str | tuple[str, int]) -> int:
        body = {
            "name": name,
            "members": [
                {"user_id": self.users[m]} if isinstance(m, str) else {"user_id": self.users[m[0]], "weight": m[1]}
                for m in members
            ],
        }
        response = await self.call("mika", "POST", "/pools", body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])


@pytest.fixture
async def world(env: Env) -> AsyncIterator[World]:
    recorder = EventRecorder()
    env.host.pm.register(recorder, name="assignment_test_recorder")
    async with env.db.transaction() as s:
        users = {
            name: User(email=f"{name}@assignment.example", display_name=name, password_hash=password_hash())
            for name in [*STAFF_ROLES, "boss", "saki", "nomad"]
        }
        s.add_all(users.values())
        await s.flush()
    agency = await env.agency(owner=users["boss"])
    workspace = await env.workspace(
        agency, "店舗1", plan="standard", members={users[n]: role for n, role in STAFF_ROLES.items()}
    )
    other = await env.workspace(agency, "店舗2", plan="standard", members={users["saki"]: "owner"})
    async with env.db.transaction() as s:
        assert await s.scalar(select(AgencyMembership.role).where(AgencyMembership.user_id == users["boss"].id))
        friends = {
            name: Friend(workspace_id=workspace.id, line_user_id=f"U{name}", display_name=name, status=status)
            for name, status in [("aoi", "following"), ("ren", "following"), ("yui", "blocked")]
        }
        stranger = Friend(workspace_id=other.id, line_user_id="Ustranger", display_name="stranger")
        s.add_all([*friends.values(), stranger])
        await s.flush()
    yield World(
        env,
        recorder,
        workspace.id,
        other.id,
        {name: u.id for name, u in users.items()},
        {name: f.id for name, f in friends.items()},
        stranger.id,
    )
    env.host.pm.unregister(recorder)
