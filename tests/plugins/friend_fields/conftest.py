"""The friend_fields plugin's world (tests/plugins/world.py, on the shared ``env``): two workspaces on the smallest
plan (so every test can check isolation and the plan tier), staff of every role in the first, a recorder of the
events the plugin emits, and helpers that make fields and set values through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import Env
from tests.plugins.world import EventRecorder, PluginWorld, make_world

PLUGIN = "friend_fields"


@dataclass(kw_only=True)
class World(PluginWorld):
    recorder: EventRecorder  # take(): (friend_id, key, old, new, source) of each event

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


def field_change(event: Any) -> tuple[int | None, str, Any, Any, str]:
    return event.friend_id, event.data["key"], event.data["old"], event.data["new"], event.data["source"]


@pytest.fixture
async def world(env: Env) -> AsyncIterator[World]:
    recorder = EventRecorder(lambda e: e.name.startswith(f"{PLUGIN}."), field_change)
    with recorder.listening(env):
        members = {"admin": "admin", "operator": "operator", "viewer": "viewer"}
        yield await make_world(env, World, PLUGIN, members=members, recorder=recorder)
