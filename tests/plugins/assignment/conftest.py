"""The assignment plugin's world (tests/plugins/world.py, on the shared ``env``).

An agency whose owner ("boss") sees every workspace but is nobody's staff; workspace 1 with staff mika (owner),
aki and ken (operators) and vi (viewer); workspace 2 with its own owner saki; a user with no membership at all
(nomad). Friends aoi and ren follow workspace 1, yui blocked it; stranger is workspace 2's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import delete

from enishi import DomainEvent
from enishi.models import WorkspaceMembership
from tests.conftest import Env
from tests.plugins.world import EventRecorder, PluginWorld, make_world

STAFF_ROLES = {"mika": "owner", "aki": "operator", "ken": "operator", "vi": "viewer"}


@dataclass(kw_only=True)
class World(PluginWorld):
    recorder: EventRecorder  # take(): (friend_id, from_user_id, to_user_id, source) of each assignment

    async def call(self, who: str, method: str, path: str, json: Any = None, workspace_id: int | None = None) -> Any:
        client = await self.as_role(who)
        return await client.request(method, self.url(path, workspace_id), json=json)

    async def remove_staff(self, name: str) -> None:
        async with self.env.db.transaction() as s:
            gone = await s.execute(
                delete(WorkspaceMembership).where(
                    WorkspaceMembership.workspace_id == self.workspace_id,
                    WorkspaceMembership.user_id == self.user_ids[name],
                )
            )
            assert gone.rowcount == 1  # type: ignore[attr-defined]

    async def add_staff(self, name: str, role: str = "operator") -> None:
        async with self.env.db.transaction() as s:
            s.add(WorkspaceMembership(workspace_id=self.workspace_id, user_id=self.user_ids[name], role=role))

    async def assign(self, who: str = "mika", **assignee_of: str | None) -> None:
        """Assign friends by name through the API, e.g. ``aoi="aki"``; None unassigns."""
        for friend, staff in assignee_of.items():
            body = {"user_id": None if staff is None else self.user_ids[staff]}
            response = await self.call(who, "PUT", f"/friends/{self.friends[friend]}", body)
            assert response.status_code == 200, response.text
        self.recorder.take()

    async def pool(self, name: str, *members: str | tuple[str, int]) -> int:
        ids = self.user_ids
        body = {
            "name": name,
            "members": [
                {"user_id": ids[m]} if isinstance(m, str) else {"user_id": ids[m[0]], "weight": m[1]} for m in members
            ],
        }
        response = await self.call("mika", "POST", "/pools", body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])


def assignment(e: DomainEvent) -> tuple[int | None, int | None, int | None, str]:
    assert e.name == "assignment.assigned"
    return e.friend_id, e.data["from_user_id"], e.data["to_user_id"], e.data["source"]


@pytest.fixture
async def world(env: Env) -> AsyncIterator[World]:
    recorder = EventRecorder(lambda e: e.name.startswith("assignment."), assignment)
    with recorder.listening(env):
        yield await make_world(
            env,
            World,
            "assignment",
            members=STAFF_ROLES,
            other_members={"saki": "owner"},
            users=["nomad"],
            agency_owner="boss",
            plan="standard",
            recorder=recorder,
        )
