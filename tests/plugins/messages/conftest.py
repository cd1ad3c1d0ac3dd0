"""Fixtures for the messages plugin, on the shared ``env`` (a fresh app and database per test, on SQLite and
PostgreSQL, see tests/conftest.py).

On it: one agency with two workspaces on the smallest plan (messages and tags are in it; the probe plugin, a
"pro" plugin, is not), friends in both, staff signed in through the real HTTP API, and helpers to read the outbox
and to tap buttons the way the core announces a postback.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from enishi_messages.validation import POSTBACK_PREFIX
from sqlalchemy import select

from enishi import (
    ActionContext,
    Friend,
    FriendFieldDescriptor,
    FriendFieldSource,
    Message,
    Text,
    WorkspaceContext,
)
from enishi.auth.passwords import hash_password
from enishi.models import LineRequest, User
from enishi.registry import Registered
from tests.conftest import PASSWORD, Env

ENABLED = frozenset({"messages", "tags"})  # what the smallest plan switches on that these tests use


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once for every user of every test


class FakeFriendFields:
    """Stands in for the friend_fields plugin's source ``friend_fields.fields`` (keys and values per friend)."""

    def __init__(self) -> None:
        self.keys = {"nickname": Text("ニックネーム", "Nickname"), "birthday": Text("誕生日", "Birthday")}
        self.values: dict[int, dict[str, Any]] = {}
        self.loads: list[tuple[list[int], list[str]]] = []

    async def describe(self, ctx: WorkspaceContext) -> Sequence[FriendFieldDescriptor]:
        return [FriendFieldDescriptor(key, label, {"type": "string"}) for key, label in self.keys.items()]

    async def load(
        self, ctx: WorkspaceContext, friend_ids: Sequence[int], keys: Sequence[str]
    ) -> Mapping[int, Mapping[str, Any]]:
        self.loads.append((list(friend_ids), list(keys)))
        return {f: {k: v for k, v in self.values.get(f, {}).items() if k in keys} for f in friend_ids}


@dataclass
class MessagesWorld:
    env: Env
    workspace_id: int
    other_workspace_id: int
    owner_id: int
    friends: dict[str, int]  # aoi and ren follow, yui blocked the account; all in the first workspace
    stranger: int  # a friend of the other workspace
    staff: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    fields: FakeFriendFields | None = None
    _message_ids: int = 0

    @property
    def client(self) -> httpx.AsyncClient:
        """The agency owner: every permission in both workspaces."""
        return self.staff["owner"]

    @property
    def backend(self) -> str:
        return self.env.backend

    def url(self, path: str = "", workspace_id: int | None = None) -> str:
        return f"/api/workspaces/{workspace_id or self.workspace_id}/messages{path}"

    def tags_url(self, path: str = "", workspace_id: int | None = None) -> str:
        return f"/api/workspaces/{workspace_id or self.workspace_id}/tags{path}"

    async def login(self, role: str) -> httpx.AsyncClient:
        client = await self.env.login(f"{role}@messages.example")
        self.staff[role] = client
        return client

    def enabled(self) -> frozenset[str]:
        return ENABLED | ({"friend_fields"} if self.fields else frozenset())

    def context(self, workspace_id: int | None = None, enabled: frozenset[str] | None = None) -> WorkspaceContext:
        """A context like the one a request or job gets, with a session scoped to the workspace."""
        ws = workspace_id or self.workspace_id
        return WorkspaceContext(
            workspace_id=ws,
            session=self.env.db.session(ws, write=True),
            host=self.env.host,
            settings=self.env.settings,
            jobs=None,
            enabled_plugins=self.enabled() if enabled is None else enabled,
        )

    def action_context(self, idempotency_key: str | None = None, source: str = "scenario") -> ActionContext:
        return ActionContext(
            workspace_id=self.workspace_id,
            session=self.env.db.session(self.workspace_id, write=True),
            host=self.env.host,
            settings=self.env.settings,
            jobs=None,
            enabled_plugins=self.enabled(),
            idempotency_key=idempotency_key or str(uuid.uuid4()),
            source=source,
        )

    def use_fake_friend_fields(self) -> FakeFriendFields:
        """Register a friend_fields source for this test's host (replacing the real plugin's, if installed)."""
        fake = FakeFriendFields()
        registry = self.env.host.registry
        registry.remove_plugin("friend_fields")
        source = FriendFieldSource(
            name="fields", label=Text("友だち情報欄", "Friend fields"), describe=fake.describe, load=fake.load
        )
        registry.add("friend_fields", Registered("friend_fields.fields", "friend_fields", "0", source))
        self.fields = fake
        return fake

    async def tag(self, name: str, workspace_id: int | None = None) -> int:
        response = await self.client.post(self.tags_url("", workspace_id), json={"name": name})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def tags_of(self, friend: str | int) -> set[str]:
        friend_id = self.friends[friend] if isinstance(friend, str) else friend
        response = await self.client.get(self.tags_url(f"/friends/{friend_id}"))
        assert response.status_code == 200, response.text
        return {t["name"] for t in response.json()}

    async def outbox(self, workspace_id: int | None = None) -> list[LineRequest]:
        async with self.env.db.session(workspace_id or self.workspace_id) as s:
            return list(await s.scalars(select(LineRequest).order_by(LineRequest.id)))

    async def tap(self, friend: str | int, data: str, message_id: int | None = None) -> int:
        """A friend taps a postback button: the inbound message the core stores and the event it announces."""
        friend_id = self.friends[friend] if isinstance(friend, str) else friend
        ctx = self.context()
        async with ctx.session.begin():
            if message_id is None:
                message = Message(
                    friend_id=friend_id,
                    direction="in",
                    kind="postback",
                    body={"type": "postback", "data": data},
                    text=data,
                    source="line",
                )
                ctx.session.add(message)
                await ctx.session.flush()
                message_id = message.id
            await ctx.emit("core.postback_received", friend_id, message_id=message_id, kind="postback", text=data)
        return message_id


def button_data(request: LineRequest, message: int = 0, action: int = 0) -> str:
    """The data of a postback button of a buttons template as it was sent."""
    data = request.messages[message]["template"]["actions"][action]["data"]
    assert data.startswith(POSTBACK_PREFIX)
    return str(data)


@pytest.fixture
async def world(env: Env) -> AsyncIterator[MessagesWorld]:
    async with env.db.transaction() as s:
        owner, operator, viewer = (
            User(email=f"{role}@messages.example", display_name=role, password_hash=password_hash())
            for role in ("owner", "operator", "viewer")
        )
        s.add_all([owner, operator, viewer])
    agency = await env.agency("メッセージ代理店", owner=owner)
    ws = await env.workspace(agency, "店舗1", plan="start", members={operator: "operator", viewer: "viewer"})
    other = await env.workspace(agency, "店舗2", plan="start")
    async with env.db.transaction() as s:
        friends = {
            name: Friend(workspace_id=ws.id, line_user_id=f"U{uuid.uuid4().hex}", display_name=shown, status=status)
            for name, shown, status in [
                ("aoi", "青井 葵", "following"),
                ("ren", "", "following"),  # profile not fetched yet: no display name
                ("yui", "ゆい", "blocked"),
            ]
        }
        stranger = Friend(workspace_id=other.id, line_user_id=f"U{uuid.uuid4().hex}", display_name="stranger")
        s.add_all([*friends.values(), stranger])
    world = MessagesWorld(env, ws.id, other.id, owner.id, {k: f.id for k, f in friends.items()}, stranger.id)
    await world.login("owner")
    yield world
