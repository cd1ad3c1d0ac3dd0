"""Fixtures for the inflow plugin on the shared ``env`` (a fresh app and database per test, SQLite and PostgreSQL).

A workspace on the "pro" plan (every plugin on) with friends and a tag, a second workspace for isolation, the
owner signed in, and a helper that announces a friend's message the way the LINE layer does.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from enishi import Friend, JobContext, WorkspaceContext, workspace_state
from tests.conftest import Env

REF = re.compile(r'<code id="ref">#([A-Z0-9]+)</code>')


@dataclass
class InflowWorld:
    env: Env
    client: httpx.AsyncClient
    workspace_id: int
    other_workspace_id: int
    friends: dict[str, int]

    def url(self, path: str = "", workspace_id: int | None = None) -> str:
        return f"/api/workspaces/{workspace_id or self.workspace_id}/inflow{path}"

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
        """Let the in-process runner finish what is due now (scenario runs started by events)."""
        jobs = self.env.app.state["enishi"].jobs
        for _ in range(3):
            await asyncio.sleep(0.02)
            await jobs.drain()

    def job_context(self) -> JobContext:
        services = self.env.app.state["enishi"]
        return JobContext(settings=services.settings, db=services.db, host=services.host, jobs=services.jobs)

    async def context_call(self, fn: Any, workspace_id: int | None = None) -> Any:
        ws = workspace_id or self.workspace_id
        job = self.job_context()
        state = await workspace_state(job, ws)
        async with self.env.db.transaction(ws) as session:
            ctx = WorkspaceContext(
                workspace_id=ws,
                session=session,
                host=job.host,
                settings=job.settings,
                jobs=job.jobs,
                enabled_plugins=state.enabled,
                timezone=state.timezone,
                plugin_settings=state.plugin_settings,
            )
            return await fn(ctx)

    async def say(self, friend: str, text: str) -> None:
        """The friend sends a text message: the event the LINE layer announces for it."""

        async def emit(ctx: WorkspaceContext) -> None:
            await ctx.emit("core.message_received", self.friends[friend], message_id=None, kind="text", text=text)

        await self.context_call(emit)


@pytest.fixture
async def world(env: Env) -> AsyncIterator[InflowWorld]:
    owner = await env.user("owner@inflow.example", name="オーナー")
    agency = await env.agency(owner=owner)
    workspace = await env.workspace(agency, "縁カフェ", members={owner: "owner"})
    other = await env.workspace(agency, "別の店")
    async with env.db.transaction(workspace.id) as s:
        friends = {
            name: Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name=name, status=status)
            for name, status in [("aoi", "following"), ("ren", "following"), ("yui", "following")]
        }
        s.add_all(friends.values())
        await s.flush()
        ids = {k: f.id for k, f in friends.items()}
    client = await env.login("owner@inflow.example")
    yield InflowWorld(env, client, workspace.id, other.id, ids)
