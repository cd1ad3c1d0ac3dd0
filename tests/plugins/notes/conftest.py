"""The notes plugin's world (tests/plugins/world.py, on the shared ``env``): two workspaces on the smallest plan,
staff of every role in the first (two operators), and a helper that adds notes through the API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Env
from tests.plugins.world import PluginWorld, make_world

PLUGIN = "notes"
# Staff by name; the owner holds the agency, the others are members of the first workspace with these roles.
STAFF = {"owner": "owner", "admin": "admin", "operator": "operator", "operator2": "operator", "viewer": "viewer"}


class World(PluginWorld):
    async def note(self, friend: str | int, body: str, as_: str = "owner", **extra: Any) -> dict[str, Any]:
        """Add a note through the API as one of STAFF and return it."""
        friend_id = self.friends[friend] if isinstance(friend, str) else friend
        client = await self.as_role(as_)
        response = await client.post(self.url(f"/friends/{friend_id}"), json={"body": body, **extra})
        assert response.status_code == 201, response.text
        return dict(response.json())


@pytest.fixture
async def world(env: Env) -> World:
    members = {name: role for name, role in STAFF.items() if name != "owner"}
    return await make_world(env, World, PLUGIN, enabled=frozenset({PLUGIN, "friend_fields"}), members=members)
