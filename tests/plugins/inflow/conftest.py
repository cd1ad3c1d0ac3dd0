"""The inflow plugin's world (tests/plugins/world.py, on the shared ``env``): two workspaces on the "pro" plan
(every plugin on), friends who all follow the first, its owner signed in, and helpers for routes, their visits,
tags, and a friend's message announced the way the LINE layer does it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from enishi import WorkspaceContext
from tests.conftest import Env
from tests.plugins.world import PluginWorld, make_world

REF = re.compile(r'<code id="ref">#([A-Z0-9]+)</code>')
Call = Callable[[WorkspaceContext], Awaitable[Any]]
FRIENDS = (("aoi", "aoi", "following"), ("ren", "ren", "following"), ("yui", "yui", "following"))


class InflowWorld(PluginWorld):
    def ws(self, path: str, workspace_id: int | None = None) -> str:
        return f"/api/workspaces/{workspace_id or self.workspace_id}{path}"

    async def tag(self, name: str) -> int:
        response = await self.client.post(self.ws("/tags"), json={"name": name})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def tags_of(self, friend_id: int) -> set[int]:
        response = await self.client.get(self.ws(f"/tags/friends/{friend_id}"))
        assert response.status_code == 200, response.text
        return {int(t["tag_id"]) for t in response.json()}

    async def route(self, workspace_id: int | None = None, **body: Any) -> dict[str, Any]:
        response = await self.client.post(self.url("/routes", workspace_id), json={"name": "チラシ", **body})
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def visit(self, route: dict[str, Any], browser: httpx.AsyncClient | None = None) -> str:
        """Open the route's public URL in a browser (a fresh one unless given) and return the code it shows."""
        browser = browser or self.env.new_client()
        response = await browser.get(f"/p/inflow/r/{route['code']}")
        assert response.status_code == 200, response.text
        found = REF.search(response.text)
        assert found is not None, response.text
        return found.group(1)

    async def settle(self) -> None:
        """Let the app finish what is due now (scenario runs started by events)."""
        await self.env.settle()

    async def context_call(self, fn: Call, workspace_id: int | None = None) -> Any:
        """``fn`` called with the workspace's context as a hook gets it, in a transaction committed at the end."""
        async with self.env.context(workspace_id or self.workspace_id) as ctx:
            return await fn(ctx)

    async def say(self, friend: str, text: str) -> None:
        """The friend sends a text message: the event the LINE layer announces for it."""

        async def emit(ctx: WorkspaceContext) -> None:
            await ctx.emit("core.message_received", self.friends[friend], message_id=None, kind="text", text=text)

        await self.context_call(emit)


@pytest.fixture
async def world(env: Env) -> InflowWorld:
    return await make_world(env, InflowWorld, "inflow", members={"owner": "owner"}, plan="pro", friends=FRIENDS)
