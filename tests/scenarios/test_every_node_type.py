"""Every node type the core and the built-in plugins register has an example here that publishes and runs.

A new node type without an example fails the first test, so the catalog never holds a node nobody has run. A
third-party plugin installed beside Enishi brings its own tests, and is left out here.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from enishi.registry import NODE_KINDS
from tests.scenarios.conftest import World, document, edge, node

Example = Callable[[World], Awaitable[dict[str, Any]]]
_numbers = itertools.count(1)


async def _ws(world: World, path: str, body: dict[str, Any] | None = None) -> Any:
    url = f"/api/workspaces/{world.workspace_id}{path}"
    response = await (world.client.get(url) if body is None else world.client.post(url, json=body))
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _tag(world: World) -> int:
    return await world.tag(f"例{next(_numbers)}")


async def _mark(world: World) -> int:
    marks = await _ws(world, "/response_marks/marks")
    items = marks["items"] if isinstance(marks, dict) else marks
    return int(items[0]["id"])


async def _field(world: World, type_: str = "text") -> str:
    key = f"ex_{type_}_{next(_numbers)}"
    await _ws(world, "/friend_fields/fields", {"key": key, "label": "例", "type": type_})
    return key


async def _staff(world: World) -> int:
    return int((await _ws(world, "/assignment/staff"))[0]["user_id"])


async def _route(world: World) -> int:
    return int((await _ws(world, "/inflow/routes", {"name": f"経路{next(_numbers)}"}))["id"])


async def _scenario(world: World) -> int:
    return await world.scenario(document([node("core.manual_start")], []), name="別のシナリオ")


def _fixed(config: dict[str, Any]) -> Example:
    async def make(world: World) -> dict[str, Any]:
        return config

    return make


EXAMPLES: dict[str, Example] = {
    "core.friend_followed": _fixed({"when": "new"}),
    "core.manual_start": _fixed({}),
    "core.message_received": _fixed({"match": "contains", "keywords": ["予約"]}),
    "core.postback_received": _fixed({"data": "action=buy"}),
    "core.wait_delay": _fixed({"minutes": 30}),
    "core.follow_status": _fixed({"status": "following"}),
    "core.followed_between": _fixed({"from": "2020-01-01", "to": "2030-12-31"}),
    "core.last_inbound": _fixed({"not_within_days": 30}),
    "core.display_name": _fixed({"text": "アオイ", "match": "contains"}),
    "core.wait_until_time": _fixed({"days_after": 1, "time": "10:00"}),
    "tags.tag_added": lambda w: _with(_tag, w, lambda t: {"tag_ids": [t]}),
    "tags.tag_removed": lambda w: _with(_tag, w, lambda t: {"tag_ids": [t]}),
    "tags.add_tag": lambda w: _with(_tag, w, lambda t: {"tag_ids": [t]}),
    "tags.remove_tag": lambda w: _with(_tag, w, lambda t: {"tag_ids": [t]}),
    "tags.has_tags": lambda w: _with(_tag, w, lambda t: {"tag_ids": [t], "match": "all"}),
    "response_marks.mark_changed": lambda w: _with(_mark, w, lambda m: {"to_mark_ids": [m]}),
    "response_marks.set_mark": lambda w: _with(_mark, w, lambda m: {"mark_id": m}),
    "response_marks.mark_is": lambda w: _with(_mark, w, lambda m: {"mark_ids": [m]}),
    "friend_fields.field_changed": lambda w: _with(_field, w, lambda k: {"keys": [k]}),
    "friend_fields.set_field": lambda w: _with(_field, w, lambda k: {"key": k, "value": "ゴールド"}),
    "friend_fields.field_compare": lambda w: _with(_field, w, lambda k: {"key": k, "operator": "is_empty"}),
    "assignment.assigned": _fixed({}),
    "assignment.assign": lambda w: _with(_staff, w, lambda u: {"user_id": u}),
    "assignment.notify_staff": lambda w: _with(
        _staff, w, lambda u: {"to": "user_ids", "user_ids": [u], "message": "{{friend.display_name}}さんを確認"}
    ),
    "assignment.assignee_is": _fixed({"match": "nobody"}),
    "messages.send_messages": _fixed(
        {"messages": [{"type": "text", "text": "こんにちは {{friend.display_name}}さん"}]}
    ),
    "notes.add_note": _fixed({"body": "シナリオで追加"}),
    "notes.notes_contain": _fixed({"text": "VIP"}),
    "member_cards.points_reached": _fixed({"threshold": 100}),
    "member_cards.rank_changed": _fixed({"to_ranks": ["ゴールド"]}),
    "member_cards.add_points": _fixed({"delta": 10, "reason": "来店"}),
    "member_cards.send_card_link": _fixed({"text": "会員証はこちら", "minutes": 60}),
    "member_cards.points": _fixed({"operator": "gte", "value": 100}),
    "member_cards.rank_is": _fixed({"ranks": ["ゴールド"]}),
    "inflow.route_entered": lambda w: _with(_route, w, lambda r: {"route_ids": [r]}),
    "inflow.came_from": lambda w: _with(_route, w, lambda r: {"route_ids": [r], "scope": "any"}),
}


async def _with(
    make: Callable[[World], Awaitable[Any]], world: World, build: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    return build(await make(world))


async def _scenario_ref(world: World) -> dict[str, Any]:
    return {"scenario_id": await _scenario(world)}


async def _field_date(world: World) -> dict[str, Any]:
    key = await _field(world, "date")
    return {"field": {"source": "friend_fields.fields", "key": key}, "offset_days": -1, "time": "10:00"}


async def _event(world: World) -> dict[str, Any]:
    tag = await _tag(world)
    return {
        "event": {"type": "tags.tag_added", "type_version": 1, "config": {"tag_ids": [tag]}},
        "timeout": {"days": 1},
    }


EXAMPLES |= {
    "core.start_scenario": _scenario_ref,
    "core.stop_scenario": _scenario_ref,
    "core.wait_until_field_date": _field_date,
    "core.wait_for_event": _event,
}


def registered(world: World) -> list[tuple[str, str]]:
    host = world.env.host
    ours = {"core"} | {p.name for p in host.plugins.values() if p.source == "built-in"}
    return [(kind, e.key) for kind, e in host.registry.node_types() if e.plugin in ours and kind in NODE_KINDS]


async def test_every_registered_node_type_has_an_example(world: World) -> None:
    missing = sorted(key for _, key in registered(world) if key not in EXAMPLES)
    assert missing == [], f"add an example for {missing}"


@pytest.mark.slow
async def test_every_example_publishes_and_runs(world: World) -> None:
    aoi = world.friends["aoi"]
    for kind, key in registered(world):
        config = await EXAMPLES[key](world)
        if kind == "triggers":
            # A trigger is a scenario's start: it must publish; the engine tests run the triggers themselves.
            target = node("tags.add_tag", {"tag_ids": [await _tag(world)]})
            start = node(key, config)
            await world.scenario(document([start, target], [edge(start, target)]), name=key)
            continue
        start, step = node("core.manual_start"), node(key, config)
        scenario_id = await world.scenario(document([start, step], [edge(start, step)]), name=key)
        response = await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": [aoi]})
        assert response.json() == {"started": 1}, key
        await world.settle()
        [run] = await world.runs(scenario_id)
        if run.status == "waiting":
            await world.advance(run.id, datetime.now(UTC) + timedelta(days=400))
            run = await world.run(run.id)
        assert (run.status, run.error) == ("completed", None), key
        steps = await world.steps(run.id)
        assert [s[0] for s in steps] == ["core.manual_start", key], key
