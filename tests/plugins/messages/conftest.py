"""The messages plugin's world (tests/plugins/world.py, on the shared ``env``): two workspaces on the smallest
plan (messages and tags are in it; the probe plugin, a "pro" plugin, is not), and helpers to read the outbox, to
tap buttons the way the core announces a postback, and to stand in for the friend_fields plugin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from enishi_messages.validation import POSTBACK_PREFIX
from sqlalchemy import select

from enishi import FriendFieldDescriptor, FriendFieldSource, Message, Text, WorkspaceContext
from enishi.models import LineRequest
from enishi.registry import Registered
from tests.conftest import Env
from tests.plugins.world import PluginWorld, make_world

ENABLED = frozenset({"messages", "tags"})  # what the smallest plan switches on that these tests use
FRIENDS = (
    ("aoi", "青井 葵", "following"),
    ("ren", "", "following"),  # profile not fetched yet: no display name
    ("yui", "ゆい", "blocked"),
)


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


class MessagesWorld(PluginWorld):
    def tags_url(self, path: str = "", workspace_id: int | None = None) -> str:
        return f"/api/workspaces/{workspace_id or self.workspace_id}/tags{path}"

    def use_fake_friend_fields(self) -> FakeFriendFields:
        """Register a friend_fields source for this test's host (replacing the real plugin's, if installed), and
        switch friend_fields on in the contexts the test makes."""
        fake = FakeFriendFields()
        registry = self.env.host.registry
        registry.remove_plugin("friend_fields")
        source = FriendFieldSource(
            name="fields", label=Text("友だち情報欄", "Friend fields"), describe=fake.describe, load=fake.load
        )
        registry.add("friend_fields", Registered("friend_fields.fields", "friend_fields", "0", source))
        self.enabled = self.enabled | {"friend_fields"}
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
async def world(env: Env) -> MessagesWorld:
    members = {"operator": "operator", "viewer": "viewer"}
    return await make_world(env, MessagesWorld, "messages", enabled=ENABLED, members=members, friends=FRIENDS)
