"""The response marks plugin's world (tests/plugins/world.py, on the shared ``env``): two workspaces on the
smallest plan, whose marks are seeded when the plugin is switched on, a recorder of the
``response_marks.mark_changed`` events, and helpers that make and set marks through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from enishi_response_marks.events import MARK_CHANGED
from enishi_response_marks.models import FriendMark
from sqlalchemy import select

from enishi import DomainEvent, Message
from tests.conftest import Env
from tests.plugins.world import EventRecorder, PluginWorld, make_world


@dataclass(kw_only=True)
class MarksWorld(PluginWorld):
    recorder: EventRecorder  # take(): (friend_id, from_mark_id, to_mark_id, source) of each mark change
    marks: dict[str, int] = field(default_factory=dict)  # the seeded marks of the first workspace, by label

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


def mark_change(e: DomainEvent) -> tuple[int | None, int | None, int | None, str]:
    return e.friend_id, e.data["from_mark_id"], e.data["to_mark_id"], e.data["source"]


@pytest.fixture
async def world(env: Env) -> AsyncIterator[MarksWorld]:
    recorder = EventRecorder(lambda e: e.name == MARK_CHANGED, mark_change)
    with recorder.listening(env):
        members = {"operator": "operator", "viewer": "viewer"}
        world = await make_world(env, MarksWorld, "response_marks", members=members, recorder=recorder)
        world.marks = {m["label"]: m["id"] for m in (await world.client.get(world.url("/marks"))).json()}
        yield world
