"""A workspace with staff, friends and tags for scenario tests, on SQLite and PostgreSQL (``env`` fixture).

The app's in-process job runner is live, as in embedded mode; tests that depend on time drive the engine with
``advance`` and an explicit ``now`` instead of waiting.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from enishi import WorkspaceContext
from enishi.context import JobContext
from enishi.db.base import utcnow
from enishi.jobs.workspace_state import workspace_context, workspace_state
from enishi.models import Friend, LineRequest, ScenarioRun, ScenarioStep
from enishi.scenarios.engine import advance_run
from enishi.testing import chain as chain
from enishi.testing import edge as edge
from enishi.testing import node as node
from tests.conftest import Env


def document(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"schema_version": 1, "nodes": nodes, "edges": edges}
    doc["settings"] = {
        "reentry": False,
        "exit_condition": None,
        "quiet_hours": {"enabled": False, "start": "22:00", "end": "08:00"},
    }
    doc["settings"].update(settings)
    return doc


@dataclass
class World:
    env: Env
    client: httpx.AsyncClient
    workspace_id: int
    other_workspace_id: int
    friends: dict[str, int]

    @property
    def db(self) -> Any:
        return self.env.db

    def url(self, path: str = "", workspace_id: int | None = None) -> str:
        return f"/api/workspaces/{workspace_id or self.workspace_id}/scenarios{path}"

    async def tag(self, name: str) -> int:
        response = await self.client.post(f"/api/workspaces/{self.workspace_id}/tags", json={"name": name})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def scenario(self, doc: dict[str, Any], *, publish: bool = True, name: str = "ステップ") -> int:
        response = await self.client.post(self.url(), json={"name": name, "document": doc})
        assert response.status_code == 201, response.text
        scenario_id = int(response.json()["scenario"]["id"])
        if publish:
            response = await self.client.post(self.url(f"/{scenario_id}/publish"))
            assert response.status_code == 200, response.text
        return scenario_id

    def job_context(self) -> JobContext:
        services = self.env.app.state["enishi"]
        return JobContext(settings=services.settings, db=services.db, host=services.host, jobs=services.jobs)

    async def emit(self, name: str, friend_id: int, **data: Any) -> None:
        """Announce a domain event as the core or a plugin would, in its own committed transaction."""
        job = self.job_context()
        state = await workspace_state(job, self.workspace_id)
        async with self.db.transaction(self.workspace_id) as session:
            ctx: WorkspaceContext = workspace_context(job, session, self.workspace_id, state)
            await ctx.emit(name, friend_id, **data)

    async def settle(self) -> None:
        """Let the in-process runner finish what is due now (jobs enqueued after commits included)."""
        jobs = self.env.app.state["enishi"].jobs
        for _ in range(3):
            await asyncio.sleep(0.02)
            await jobs.drain()

    async def advance(self, run_id: int, now: datetime | None = None) -> int:
        """Advance a run as if it were ``now``, once the background runner is idle (so the two never race)."""
        await self.settle()
        steps = await advance_run(self.job_context(), run_id, now=now or utcnow())
        await self.settle()
        return steps

    async def runs(self, scenario_id: int) -> list[ScenarioRun]:
        async with self.db.session() as s:
            return list(
                (
                    await s.scalars(
                        select(ScenarioRun).where(ScenarioRun.scenario_id == scenario_id).order_by(ScenarioRun.id)
                    )
                ).all()
            )

    async def run(self, run_id: int) -> ScenarioRun:
        async with self.db.session() as s:
            return await s.get_one(ScenarioRun, run_id)

    async def steps(self, run_id: int) -> list[tuple[str, int, str | None]]:
        async with self.db.session() as s:
            rows = await s.execute(
                select(ScenarioStep.node_type, ScenarioStep.visit, ScenarioStep.port)
                .where(ScenarioStep.run_id == run_id)
                .order_by(ScenarioStep.id)
            )
            return [tuple(r) for r in rows.all()]  # type: ignore[misc]

    async def tags_of(self, friend_id: int) -> set[int]:
        response = await self.client.get(f"/api/workspaces/{self.workspace_id}/tags/friends/{friend_id}")
        assert response.status_code == 200, response.text
        return {int(t["tag_id"]) for t in response.json()}

    async def sends(self) -> list[LineRequest]:
        async with self.db.session() as s:
            return list((await s.scalars(select(LineRequest).order_by(LineRequest.id))).all())

    async def set_friend(self, friend_id: int, **values: Any) -> None:
        async with self.db.transaction(self.workspace_id) as s:
            friend = await s.get_one(Friend, friend_id)
            for k, v in values.items():
                setattr(friend, k, v)


@pytest.fixture
async def world(env: Env) -> AsyncIterator[World]:
    owner = await env.user("owner@scenario.example", name="オーナー")
    agency = await env.agency(owner=owner)
    workspace = await env.workspace(agency, "縁カフェ", members={owner: "owner"})
    other = await env.workspace(agency, "別の店")
    async with env.db.transaction(workspace.id) as s:
        friends = {
            name: Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name=name, status=status)
            for name, status in [("aoi", "following"), ("ren", "following"), ("yui", "blocked")]
        }
        s.add_all(friends.values())
        await s.flush()
        ids = {k: f.id for k, f in friends.items()}
    client = await env.login("owner@scenario.example")
    yield World(env, client, workspace.id, other.id, ids)
