"""Helpers for the member cards tests: the card design they use, issuing cards and changing points by API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.scenarios.conftest import World


def url(world: World, path: str = "", workspace_id: int | None = None) -> str:
    return f"/api/workspaces/{workspace_id or world.workspace_id}/member_cards{path}"


async def design(world: World, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "縁カフェ会員証",
        "number_prefix": "EN",
        "number_digits": 6,
        "ranks": [
            {"name": "レギュラー", "threshold": 0},
            {"name": "シルバー", "threshold": 100},
            {"name": "ゴールド", "threshold": 500},
        ],
        **fields,
    }
    response = await world.client.put(url(world, "/design"), json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def issue(world: World, friend: str) -> dict[str, Any]:
    response = await world.client.post(url(world, "/cards"), json={"friend_id": world.friends[friend]})
    assert response.status_code == 200, response.text
    return dict(response.json()["card"])


async def points(world: World, client: httpx.AsyncClient | None = None, **body: Any) -> httpx.Response:
    return await (client or world.client).post(url(world, "/points"), json=body)
