"""Requests at the edges a penetration test tried: OPTIONS, ids past 64 bits, hostile webhook bodies.

Each answered 500 before; each must be a clear 4xx that changes nothing.
"""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select

from enishi.models import Friend, LineEvent
from tests.conftest import Env
from tests.line.test_intake import Line, text
from tests.scenarios.conftest import World, document, node

HUGE = "99999999999999999999"  # > 2**64


async def _owner_client(env: Env) -> tuple[int, object]:
    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(owner=owner))
    return workspace.id, await env.login("owner@shop.example")


async def test_options_on_workspace_routes_answers_the_allowed_methods(env: Env) -> None:
    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(owner=owner))
    signed_in = await env.login("owner@shop.example")
    for client in (env.new_client(), signed_in):
        for path in (f"/api/workspaces/{workspace.id}/staff", f"/api/workspaces/{workspace.id}", "/api/agencies"):
            response = await client.options(path)
            assert response.status_code == 204, (path, response.text)
            assert "OPTIONS" in response.headers["allow"] and not response.content
    # A workspace that does not exist answers the same: OPTIONS says which methods the route has, nothing more.
    assert (await env.new_client().options("/api/workspaces/424242/staff")).headers["allow"] == (
        await env.new_client().options(f"/api/workspaces/{workspace.id}/staff")
    ).headers["allow"]


@pytest.mark.parametrize(
    "path",
    [
        f"/api/workspaces/{HUGE}",
        "/api/workspaces/{ws}/friends/" + HUGE,
        "/api/workspaces/{ws}/friends/-" + HUGE,
        "/api/workspaces/{ws}/tags/" + HUGE,
        "/api/workspaces/{ws}/scenarios/" + HUGE,
        "/api/workspaces/{ws}/friends/" + "9" * 5000,  # past what Python turns into an int by default
    ],
)
async def test_path_ids_past_64_bits_are_not_found(env: Env, path: str) -> None:
    workspace_id, client = await _owner_client(env)
    response = await client.get(path.format(ws=workspace_id))  # type: ignore[attr-defined]
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "not_found"
    changed = await client.patch(path.format(ws=workspace_id), json={"name": "x"})  # type: ignore[attr-defined]
    assert changed.status_code in (404, 405), changed.text


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/api/workspaces/{ws}/tags/?folder_id=" + HUGE, "folder_id"),
        ("/api/workspaces/{ws}/audit?user_id=" + HUGE, "user_id"),
        ("/api/workspaces/{ws}/audit?user_id=-" + HUGE, "user_id"),
        ("/api/audit?user_id=" + HUGE, "user_id"),
        ("/api/audit?user_id=" + "9" * 5000, "user_id"),
    ],
)
async def test_query_ids_past_64_bits_are_refused_with_the_parameter_named(env: Env, path: str, key: str) -> None:
    admin = await env.user("root@platform.example", admin=True)
    workspace = await env.workspace(await env.agency(owner=admin))
    client = await env.login("root@platform.example")
    response = await client.get(path.format(ws=workspace.id))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == f"query:{key}"
    # A word that merely looks like a big number is not an id, and still searches.
    found = await client.get(f"/api/workspaces/{workspace.id}/tags/?q={HUGE}")
    assert found.status_code == 200 and found.json() == []


async def test_public_plugin_routes_refuse_ids_past_64_bits_too(env: Env) -> None:
    response = await env.new_client().get("/p/member_cards/login/" + HUGE)
    assert response.status_code == 404, response.text


async def _stored(env: Env) -> int:
    async with env.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(LineEvent)) or 0)


async def test_a_webhook_event_with_an_impossible_timestamp_is_refused_by_name(env: Env) -> None:
    line = Line(env, await env.workspace(await env.agency()))
    good = text(1_700_000_000_000, "こんにちは")
    for timestamp in (10**17, 10**400, 253_402_300_800_000):  # the last is year 10000
        response = await line.post(good, text(timestamp, "未来から"))
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["path"] == "$.events[1].timestamp"
    assert await _stored(env) == 0  # refused whole: the good event was not half-stored
    assert (await line.post(good)).status_code == 200  # and LINE's redelivery of it alone goes through
    assert await _stored(env) == 1


@pytest.mark.parametrize("depth", [65, 900, 5_000, 100_000])
async def test_a_webhook_nested_too_deep_is_refused_whole(env: Env, depth: int) -> None:
    line = Line(env, await env.workspace(await env.agency()))
    nested = "[" * depth + "]" * depth
    event = json.dumps(text(1_700_000_000_000, "ok"))
    body = f'{{"destination": "x", "events": [{event}, {{"deep": {nested}}}]}}'.encode()
    response = await line.post(raw=body)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["path"] == "$"
    assert await _stored(env) == 0


async def test_an_ordinary_delivery_of_many_events_is_still_accepted(env: Env) -> None:
    line = Line(env, await env.workspace(await env.agency()))
    events = [text(1_700_000_000_000 + i, f"メッセージ{i}", user="U" + f"{i:032d}") for i in range(60)]
    assert (await line.post(*events)).status_code == 200
    assert await _stored(env) == 60


# -- staff-written regular expressions (ReDoS) ----------------------------------------------------------------

BACKTRACKING = r"^(a|aa)+$"  # exponential on a run of "a" that does not end the text


@pytest.fixture
async def world(env: Env) -> World:
    """A workspace with one friend, for scenarios (like tests/scenarios' ``world``, which is not shared here)."""
    owner = await env.user("owner@scenario.example")
    agency = await env.agency(owner=owner)
    workspace = await env.workspace(agency, members={owner: "owner"})
    other = await env.workspace(agency, "別の店")
    async with env.db.transaction(workspace.id) as s:
        aoi = Friend(line_user_id="U" + "a" * 32, display_name="aoi", status="following")
        s.add(aoi)
        await s.flush()
        friends = {"aoi": aoi.id}
    return World(env, await env.login("owner@scenario.example"), workspace.id, other.id, friends)


async def test_a_regex_keyword_that_backtracks_gives_up_and_others_still_match(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    evil = await world.scenario(
        document([start := node("core.message_received", {"match": "regex", "keywords": [BACKTRACKING]})], []),
        name="悪い正規表現",
    )
    booking = await world.scenario(
        document([node("core.message_received", {"match": "regex", "keywords": [r"予約\s*(\d+)"]})], []),
        name="予約",
    )
    assert start["type"] == "core.message_received"
    aoi = world.friends["aoi"]
    with caplog.at_level(logging.WARNING, logger="enishi.scenarios.core_nodes"):
        await world.emit("core.message_received", aoi, kind="text", text="a" * 34 + "!")
    assert any(BACKTRACKING in r.getMessage() and "gave up" in r.getMessage() for r in caplog.records)
    assert await world.runs(evil) == []  # timed out: no match
    await world.emit("core.message_received", aoi, kind="text", text="予約 12名")
    await world.settle()
    assert len(await world.runs(booking)) == 1
    assert await world.runs(evil) == []


async def test_a_regex_keyword_that_does_not_compile_is_refused_at_its_field(world: World) -> None:
    cases = [
        (node("core.message_received", {"match": "regex", "keywords": ["ok", "(unclosed"]}), "keywords[1]"),
        (node("core.message_received", {"match": "regex", "keywords": ["ok", "a{2,1}"]}), "keywords[1]"),
        (node("core.postback_received", {"match": "regex", "data": "[z-a]"}), "data"),
    ]
    for trigger, field in cases:
        saved = await world.client.post(world.url(), json={"name": "x", "document": document([trigger], [])})
        [problem] = saved.json()["problems"]  # a draft keeps its problems, each at its field
        assert problem["path"] == f"$.nodes[0].config.{field}" and "正規表現" in problem["message"]
        published = await world.client.post(world.url(f"/{saved.json()['scenario']['id']}/publish"))
        assert published.status_code == 422, published.text
        assert f"$.nodes[0].config.{field}" in [e["path"] for e in published.json()["errors"]]
