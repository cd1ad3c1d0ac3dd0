"""Fixtures for the response marks plugin, on the shared ``env`` (a fresh app and database per test, on SQLite and
PostgreSQL, see tests/conftest.py).

On it: one agency with two workspaces on the smallest plan (so every test can check isolation), friends in both,
staff signed in through the real HTTP API, and a recorder of the ``response_marks.mark_changed`` events.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from enishi_response_marks.events import MARK_CHANGED
from enishi_response_marks.models import FriendMark
from sqlalchemy import select

from enishi import ActionContext, DomainEvent, Friend, Message, WorkspaceContext, hookimpl
from enishi.auth.passwords import hash_password
from enishi.models import User
from tests.conftest import PASSWORD, Env

DEFAULT_LABELS = ("要対応", "対応中", "対応済")


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
        if event.name == MARK_CHANGED:
            self.events.append(event)

    def take(self) -> list[tuple[int | None, int | None, int | None, str]]:
        """(friend_id, from_mark_id, to_mark_id, source) of the mark changes so far, and forget them."""
        taken = [(e.friend_id, e.data["from_mark_id"], e.data["to_mark_id"], e.data["source"]) for e in self.events]
        self.events.clear()
        return taken


@dataclass
class MarksWorld:
    env: Env
    recorder: EventRecorder
    workspace_id: int
    other_workspace_id: int
    owner_id: int
    friends: dict[str, int]  # aoi and ren follow, yui blocked the account; all in the first workspace
    stranger: int  # a friend of the other workspace
    marks: dict[str, int]  # the seeded marks of the first workspace, by label
    staff: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    @property
    def client(self) -> httpx.AsyncClient:
        """The agency owner: every permission in both workspaces."""
        return self.staff["owner"]

    @property
    def backend(self) -> str:
        return self.env.backend

    def url(self, path: str = "", workspace_id: int | None = None) -> str:
        return f"/api/workspaces/{workspace_id or self.workspace_id}/response_marks{path}"

    async def login(self, role: str) -> httpx.AsyncClient:
        client = await self.env.login(f"{role}@marks.example")
        self.staff[role] = client
        return client

    def context(self, workspace_id: int | None = None, actor_user_id: int | None = None) -> WorkspaceContext:
        """A context like the one a request or job gets, with a session scoped to the workspace."""
        ws = workspace_id or self.workspace_id
        return WorkspaceContext(
            workspace_id=ws,
            session=self.env.db.session(ws, write=True),
            host=self.env.host,
            settings=self.env.settings,
            jobs=None,
            enabled_plugins=frozenset({"response_marks"}),
            actor_user_id=actor_user_id,
        )

    def action_context(self, source: str = "scenario") -> ActionContext:
        return ActionContext(
            workspace_id=self.workspace_id,
            session=self.env.db.session(self.workspace_id, write=True),
            host=self.env.host,
            settings=self.env.settings,
            jobs=None,
            enabled_plugins=frozenset({"response_marks"}),
            idempotency_key=str(uuid.uuid4()),
            source=source,
        )

    async def add_friends(self, count: int, workspace_id: int | None = None) -> list[int]:
        async with self.env.db.transaction(workspace_id or self.workspace_id) as s:
            friends = [Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name=f"f{n}") for n in range(count)]
            s.add_all(friends)
            await s.flush()
            return [f.id for f in friends]

    async def add_message(self, friend_id: int, direction: str = "in", workspace_id: int | None = None) -> int:
        async with self.env.db.transaction(workspace_id or self.workspace_id) as s:
            message = Message(
                friend_id=friend_id, direction=direction, kind="text", body={"type": "text", "text": "x"}, text="x"
            )
            s.add(message)
            await s.flush()
            return message.id

    async def mark(self, label: str, workspace_id: int | None = None, **fields: Any) -> int:
        """Create a mark through the API and return its id."""
        response = await self.client.post(self.url("/marks", workspace_id), json={"label": label, **fields})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def set(self, friend: str | int, mark_id: int | None) -> Any:
        friend_id = self.friends[friend] if isinstance(friend, str) else friend
        response = await self.client.put(self.url(f"/friends/{friend_id}"), json={"mark_id": mark_id})
        assert response.status_code == 200, response.text
        return response.json()

    async def current(self, workspace_id: int | None = None) -> dict[int, int]:
        """friend_id → mark_id of every marked friend of the workspace, read from the database."""
        async with self.env.db.session(workspace_id or self.workspace_id) as s:
            return {f: m for f, m in await s.execute(select(FriendMark.friend_id, FriendMark.mark_id))}


@pytest.fixture
async def world(env: Env) -> AsyncIterator[MarksWorld]:
    recorder = EventRecorder()
    env.host.pm.register(recorder, name="response_marks_test_recorder")
    async with env.db.transaction() as s:
        owner, operator, viewer = (
            User(email=f"{role}@marks.example", display_name=role, password_hash=password_hash())
            for role in ("owner", "operator", "viewer")
        )
        s.add_all([owner, operator, viewer])
    agency = await env.agency("対応マーク代理店", owner=owner)
    # The smallest plan includes the plugin; creating a workspace switches it on, which seeds the marks.
    ws = await env.workspace(agency, "店舗1", plan="start", members={operator: "operator", viewer: "viewer"})
    other = await env.workspace(agency, "店舗2", plan="start")
    async with env.db.transaction() as s:
        friends = {
            name: Friend(workspace_id=ws.id, line_user_id=f"U{name}", display_name=name, status=status)
            for name, status in [("aoi", "following"), ("ren", "following"), ("yui", "blocked")]
        }
        stranger = Friend(workspace_id=other.id, line_user_id="Ustranger", display_name="stranger")
        s.add_all([*friends.values(), stranger])
    world = MarksWorld(
        env,
        recorder,
        ws.id,
        other.id,
        owner.id,
        {k: f.id for k, f in friends.items()},
        stranger.id,
        {},
    )
    await world.login("owner")
    listed = (await world.client.get(world.url("/marks"))).json()
    world.marks = {m["label"]: m["id"] for m in listed}
    yield world
