"""Scenario documents through the API: every problem at once with node and path, life cycle, export and import."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.scenarios.conftest import World, chain, document, edge, node


async def test_validation_reports_every_problem_with_its_node(world: World) -> None:
    tag = await world.tag("タグ")
    start = node("core.friend_followed")
    bad_config = node("core.wait_delay", {"days": -1})
    unknown = node("nosuch.thing")
    old_version = node("tags.add_tag", {"tag_ids": [tag]}, version=9)
    deleted_tag = node("tags.add_tag", {"tag_ids": [tag, 999_999]})
    orphan = node("tags.remove_tag", {"tag_ids": [tag]})
    loop_a = node("tags.add_tag", {"tag_ids": [tag]})
    loop_b = node("tags.has_tags", {"tag_ids": [tag]})
    nodes = [start, bad_config, unknown, old_version, deleted_tag, orphan, loop_a, loop_b]
    edges = [
        edge(start, bad_config),
        edge(bad_config, deleted_tag),
        edge(deleted_tag, loop_a),
        edge(loop_a, loop_b),
        edge(loop_b, loop_a, "yes"),  # a loop without a wait
        edge(orphan, start),  # into a trigger
        {**edge(start, loop_a), "source_port": "yes"},  # the trigger has no "yes" output
    ]
    response = await world.client.post(world.url("/validate"), json=document(nodes, edges))
    assert response.status_code == 200, response.text
    problems = response.json()["problems"]
    by_node: dict[str | None, list[str]] = {}
    for p in problems:
        by_node.setdefault(p["node_id"], []).append(p["path"])
    assert "$.nodes[1].config.days" in by_node[bad_config["id"]]
    assert by_node[unknown["id"]] == ["$.nodes[2].type"]
    assert "$.nodes[3].type_version" in by_node[old_version["id"]]
    assert "$.nodes[4].config.tag_ids[1]" in by_node[deleted_tag["id"]]
    assert "$.nodes[5]" in by_node[orphan["id"]]  # unreachable
    assert "$.nodes[6]" in by_node[loop_a["id"]] and "$.nodes[7]" in by_node[loop_b["id"]]
    assert any(p.endswith("target_port") for p in by_node[start["id"]])  # a trigger has no input
    assert any(p.endswith("source_port") for p in by_node[start["id"]])
    messages = " ".join(p["message"] for p in problems)
    assert "loop without a wait" in messages and "unreachable" in messages

    # A loop through a wait is fine.
    wait = node("core.wait_delay", {"days": 1})
    ok = document([start, loop_a, wait], [edge(start, loop_a), edge(loop_a, wait), edge(wait, loop_a)])
    assert (await world.client.post(world.url("/validate"), json=ok)).json() == {"problems": []}


async def test_structurally_broken_drafts_are_refused_and_nothing_is_lost(world: World) -> None:
    start = node("core.manual_start")
    scenario_id = await world.scenario(document([start], []), publish=False)
    before = (await world.client.get(world.url(f"/{scenario_id}"))).json()["draft"]
    broken = {"schema_version": 1, "nodes": [{"id": "not-a-uuid", "type": "x", "config": {}}], "edges": []}
    response = await world.client.put(world.url(f"/{scenario_id}/draft"), json=broken)
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert "$.nodes[0].id" in paths and "$.nodes[0].type_version" in paths  # bad uuid, missing type_version
    assert (await world.client.get(world.url(f"/{scenario_id}"))).json()["draft"] == before


async def test_publishing_refuses_problems_and_disabled_plugins(world: World) -> None:
    tag = await world.tag("タグ")
    start = node("core.manual_start")
    add = node("tags.add_tag", {"tag_ids": [tag]})
    scenario_id = await world.scenario(document([start, add], [edge(start, add)]), publish=False)
    response = await world.client.put(f"/api/workspaces/{world.workspace_id}/plugins/tags", json={"enabled": False})
    assert response.status_code == 200, response.text
    response = await world.client.post(world.url(f"/{scenario_id}/publish"))
    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert problem["node_id"] == add["id"] and problem["path"] == "$.nodes[1].type_version"
    assert "無効" in problem["message"]
    detail = (await world.client.get(world.url(f"/{scenario_id}"))).json()
    assert detail["scenario"]["status"] == "draft" and detail["scenario"]["current_version"] is None


async def test_other_workspaces_scenarios_are_not_found(world: World) -> None:
    scenario_id = await world.scenario(document([node("core.manual_start")], []))
    other = world.url(f"/{scenario_id}", world.other_workspace_id)
    assert (await world.client.get(other)).status_code == 404
    assert (await world.client.post(other + "/publish")).status_code == 404
    response = await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": [world.friends["aoi"]]})
    assert response.json() == {"started": 1}


async def test_export_and_import_into_another_workspace(world: World) -> None:
    tag = await world.tag("タグ")
    start = node("core.friend_followed")
    add = node("tags.add_tag", {"tag_ids": [tag]})
    doc = document([start, add], [edge(start, add)])
    doc["layout"] = {start["id"]: {"x": 10, "y": 20}, add["id"]: {"x": 10, "y": 120}}
    scenario_id = await world.scenario(doc)
    exported = (await world.client.get(world.url(f"/{scenario_id}/export?version=1"))).json()
    assert exported["format"] == "enishi.scenario/1" and exported["document"]["layout"] == doc["layout"]

    response = await world.client.post(world.url("/import", world.other_workspace_id), json=exported)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["scenario"]["status"] == "draft"
    # The tag does not exist in the other workspace: imported, and the problem is named.
    assert [(p["node_id"], p["path"]) for p in body["problems"]] == [(add["id"], "$.nodes[1].config.tag_ids[0]")]
    copy = (await world.client.get(world.url(f"/{body['scenario']['id']}", world.other_workspace_id))).json()
    assert copy["draft"]["layout"] == doc["layout"]

    response = await world.client.post(world.url("/import"), json={**exported, "format": "something else"})
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "$.format"


async def test_dry_run_shows_the_path_and_times_without_changing_anything(world: World) -> None:
    vip, welcome = await world.tag("VIP"), await world.tag("ようこそ")
    start = node("core.manual_start")
    tag_step = node("tags.add_tag", {"tag_ids": [welcome]})
    day1 = node("core.wait_until_time", {"days_after": 1, "time": "10:00"})
    check = node("tags.has_tags", {"tag_ids": [vip]})
    vip_path = node("core.wait_delay", {"hours": 2})
    doc = document(
        [start, tag_step, day1, check, vip_path],
        [*chain(start, tag_step, day1, check), edge(check, vip_path, "yes")],
    )
    scenario_id = await world.scenario(doc, publish=False)
    start_at = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo
    setup = [{"type": "tags.add_tag", "config": {"tag_ids": [vip]}}]
    body: dict[str, object] = {"friend": {"display_name": "仮の友だち", "setup": setup}}
    response = await world.client.post(
        world.url(f"/{scenario_id}/dry-run"), json={**body, "start_at": start_at.isoformat()}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["outcome"] == "completed"
    assert [(s["node_id"], s["port"]) for s in result["steps"]] == [
        (start["id"], "next"),
        (tag_step["id"], "next"),
        (day1["id"], "next"),
        (check["id"], "yes"),
        (vip_path["id"], "next"),
    ]
    times = [datetime.fromisoformat(s["at"]) for s in result["steps"]]
    assert times[3] == datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # day 1 at 10:00 Tokyo
    # A real friend without the VIP tag takes the other branch; nothing the dry run did is kept.
    aoi = world.friends["aoi"]
    response = await world.client.post(world.url(f"/{scenario_id}/dry-run"), json={"friend_id": aoi})
    assert [s["port"] for s in response.json()["steps"]][-1] == "no"
    assert await world.tags_of(aoi) == set()
    # Bad input names the field.
    response = await world.client.post(world.url(f"/{scenario_id}/dry-run"), json={})
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "$.friend_id"
    response = await world.client.post(world.url(f"/{scenario_id}/dry-run"), json={"friend_id": 10**9})
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "$.friend_id"


async def test_quiet_hours_and_time_of_day_waits_follow_the_workspace_time_zone(world: World) -> None:
    from zoneinfo import ZoneInfo

    from enishi.scenarios.core_nodes import next_time_of_day, parse_time
    from enishi.scenarios.engine import in_quiet_hours

    tokyo = ZoneInfo("Asia/Tokyo")
    quiet = {"enabled": True, "start": "22:00", "end": "08:00"}
    late = datetime(2026, 12, 1, 23, 30, tzinfo=tokyo)
    assert in_quiet_hours(late, tokyo, quiet) == datetime(2026, 12, 2, 8, 0, tzinfo=tokyo)
    early = datetime(2026, 12, 2, 7, 59, tzinfo=tokyo)
    assert in_quiet_hours(early, tokyo, quiet) == datetime(2026, 12, 2, 8, 0, tzinfo=tokyo)
    assert in_quiet_hours(datetime(2026, 12, 2, 8, 0, tzinfo=tokyo), tokyo, quiet) is None
    assert in_quiet_hours(late, tokyo, {**quiet, "enabled": False}) is None
    # Day 0 is the next such time: later today, or tomorrow when it has passed.
    noon = datetime(2026, 12, 1, 12, 0, tzinfo=tokyo)
    assert next_time_of_day(noon, tokyo, parse_time("20:00"), 0) == datetime(2026, 12, 1, 20, 0, tzinfo=tokyo)
    assert next_time_of_day(noon, tokyo, parse_time("10:00"), 0) == datetime(2026, 12, 2, 10, 0, tzinfo=tokyo)
    assert next_time_of_day(noon, tokyo, parse_time("10:00"), 3) == datetime(2026, 12, 4, 10, 0, tzinfo=tokyo)
    _ = (uuid, timedelta)
