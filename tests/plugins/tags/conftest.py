"""The tags plugin's world (tests/plugins/world.py, on the shared ``env``): two workspaces on the smallest plan
(so every test can check isolation), an operator and a viewer in the first, a recorder of the events the plugin
emits, and a helper that makes tags through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from enishi import DomainEvent
from tests.conftest import Env
from tests.plugins.world import EventRecorder, PluginWorld, make_world


@dataclass(kw_only=True)
class TagsWorld(PluginWorld):
    recorder: EventRecorder  # take(): (name, friend_id, tag_id, source) of each event

    async def tag(self, name: str, workspace_id: int | None = None, **fields: Any) -> int:
        """Create a tag through the API and return its id."""
        response = await self.client.post(self.url("", workspace_id), json={"name": name, **fields})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])


def tagging(e: DomainEvent) -> tuple[str, int | None, int, str]:
    return e.name, e.friend_id, e.data["tag_id"], e.data["source"]


@pytest.fixture
async def world(env: Env) -> AsyncIterator[TagsWorld]:
    recorder = EventRecorder(lambda e: e.name.startswith("tags."), tagging)
    with recorder.listening(env):
        members = {"operator": "operator", "viewer": "viewer"}
        yield await make_world(env, TagsWorld, "tags", members=members, recorder=recorder)
