"""Who is in a scenario and what staff do about it: the subscriber list (filter, stop, move), a friend's
scenarios (stop, restart), quiet-hours holds shown where people look, copy, folders, delete, and what
publishing would change. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.scenarios.conftest import World, chain, document, node

TOKYO = ZoneInfo("Asia/Tokyo")


async def _two_step(world: World, tag_name: str = "二日目") -> tuple[int, dict[str, Any], dict[str, Any], int]:
    """start → wait a day → add a tag: (scenario, the wait node, the tag node, the tag)."""
    tag = await world.tag(tag_name)
    start = node("core.manual_start")
    wait = node("core.wait_delay", {"days": 1})
    add = node("tags.add_tag", {"tag_ids": [tag]})
    add["label"] = "二日目のタグ"
    scenario_id = await world.scenario(document([start, wait, add], chain(start, wait, add)))
    friends = [world.friends["aoi"], world.friends["ren"]]
    response = await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": friends})
    assert response.json()["started"] == 2
    await world.settle()
    return scenario_id, wait, add, tag


async def test_subscribers_are_listed_filtered_and_paged(world: World) -> None:
    scenario_id, wait, add, _ = await _two_step(world)
    response = await world.client.get(world.url(f"/{scenario_id}/subscribers"))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {i["friend_name"] for i in items} == {"aoi", "ren"}
    assert {(i["node_id"], i["status"]) for i in items} == {(wait["id"], "waiting")}
    assert items[0]["node_title"]["ja"]  # the wait type's name, not its key

    named = await world.client.get(world.url(f"/{scenario_id}/subscribers"), params={"q": "ao"})
    assert [i["friend_name"] for i in named.json()["items"]] == ["aoi"]
    at_tag = await world.client.get(world.url(f"/{scenario_id}/subscribers"), params={"node_id": add["id"]})
    assert at_tag.json()["items"] == []
    stopped = await world.client.get(world.url(f"/{scenario_id}/subscribers"), params={"status": "stopped"})
    assert stopped.json()["items"] == []

    first = await world.client.get(world.url(f"/{scenario_id}/subscribers"), params={"limit": 1})
    second = await world.client.get(
        world.url(f"/{scenario_id}/subscribers"), params={"limit": 1, "after": first.json()["next"]}
    )
    names = [first.json()["items"][0]["friend_name"], second.json()["items"][0]["friend_name"]]
    assert sorted(names) == ["aoi", "ren"] and second.json()["next"] is None

    bad = await world.client.get(world.url(f"/{scenario_id}/subscribers"), params={"status": "asleep"})
    assert bad.status_code == 400


async def test_stop_and_move_only_the_chosen_friends(world: World) -> None:
    scenario_id, wait, add, tag = await _two_step(world)
    aoi, ren = world.friends["aoi"], world.friends["ren"]
    runs = {r.friend_id: r for r in await world.runs(scenario_id)}

    # Moving aoi on to the tag step runs it for her now; ren still waits out the day.
    response = await world.client.post(
        world.url(f"/{scenario_id}/subscribers/move"), json={"run_ids": [runs[aoi].id], "node_id": add["id"]}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"count": 1}
    await world.settle()
    assert await world.tags_of(aoi) == {tag}
    assert await world.tags_of(ren) == set()
    live = {r.friend_id: r for r in await world.runs(scenario_id) if r.ended_at is None}
    assert set(live) == {ren} and live[ren].node_id == wait["id"]

    # A step that is not in the published version is refused with the field named.
    response = await world.client.post(
        world.url(f"/{scenario_id}/subscribers/move"), json={"run_ids": [runs[ren].id], "node_id": "nowhere"}
    )
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "$.node_id"

    response = await world.client.post(world.url(f"/{scenario_id}/subscribers/stop"), json={"run_ids": [runs[ren].id]})
    assert response.json() == {"count": 1}
    assert (await world.run(runs[ren].id)).status == "stopped"
    listed = await world.client.get(world.url(f"/{scenario_id}/subscribers"), params={"status": "live"})
    assert listed.json()["items"] == []


async def test_moves_and_stops_stay_in_their_scenario(world: World) -> None:
    scenario_id, _, add, _ = await _two_step(world)
    other_id, _, _, _ = await _two_step(world, "別の二日目")  # aoi and ren are now in two scenarios
    other_runs = [r.id for r in await world.runs(other_id)]
    response = await world.client.post(world.url(f"/{scenario_id}/subscribers/stop"), json={"run_ids": other_runs})
    assert response.json() == {"count": 0}
    response = await world.client.post(
        world.url(f"/{scenario_id}/subscribers/move"), json={"run_ids": other_runs, "node_id": add["id"]}
    )
    assert response.json() == {"count": 0}
    assert all(r.ended_at is None for r in await world.runs(other_id))


async def test_friend_page_shows_each_scenario_with_stop_and_restart(world: World) -> None:
    scenario_id, wait, add, _ = await _two_step(world)
    aoi = world.friends["aoi"]
    response = await world.client.get(world.url(f"/friends/{aoi}"))
    assert response.status_code == 200, response.text
    [entry] = response.json()
    assert entry["scenario_id"] == scenario_id and entry["status"] == "waiting"
    assert entry["step"]["node_id"] == wait["id"]
    # What comes next is the tag step, when the wait ends, a day after it started.
    assert entry["next"]["node_id"] == add["id"] and entry["next"]["title"]["ja"] == "二日目のタグ"
    assert entry["next"]["reason"] == "wait"
    waited = datetime.fromisoformat(entry["next"]["at"]) - datetime.fromisoformat(entry["started_at"])
    assert abs(waited - timedelta(days=1)) < timedelta(minutes=1)

    run_id = entry["run_id"]
    stopped = await world.client.post(world.url(f"/{scenario_id}/runs/{run_id}/stop"))
    assert stopped.json()["status"] == "stopped"
    [entry] = (await world.client.get(world.url(f"/friends/{aoi}"))).json()
    assert entry["status"] == "stopped" and entry["next"] is None

    restarted = await world.client.post(world.url(f"/{scenario_id}/runs/{run_id}/restart"))
    assert restarted.status_code == 200, restarted.text
    assert restarted.json()["step"]["node_id"] == wait["id"] and restarted.json()["run_id"] != run_id
    await world.settle()
    # It goes on from the step it stood at: the wait starts again, the tag comes after it.
    [entry] = (await world.client.get(world.url(f"/friends/{aoi}"))).json()
    assert entry["status"] == "waiting" and entry["next"]["node_id"] == add["id"]
    assert await world.tags_of(aoi) == set()
    again = await world.client.post(world.url(f"/{scenario_id}/runs/{run_id}/restart"))
    assert again.status_code == 409  # the friend is in the scenario again: not twice
    missing = await world.client.get(world.url(f"/friends/{10**9}"))
    assert missing.status_code == 404


async def test_a_held_send_says_so_in_the_list_the_builder_the_friend_page_and_the_dry_run(world: World) -> None:
    start = node("core.manual_start")
    late = node("core.wait_until_time", {"days_after": 0, "time": "23:00"})
    send = node("messages.send_messages", {"messages": [{"type": "text", "text": "おやすみ前に"}]})
    quiet = {"enabled": True, "start": "22:00", "end": "08:00"}
    scenario_id = await world.scenario(document([start, late, send], chain(start, late, send), quiet_hours=quiet))
    aoi = world.friends["aoi"]
    await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": [aoi]})
    await world.settle()
    [run] = await world.runs(scenario_id)
    assert run.resume_at is not None
    await world.advance(run.id, run.resume_at + timedelta(minutes=1))

    detail = (await world.client.get(world.url(f"/{scenario_id}"))).json()
    held = detail["held_by_node"][send["id"]]
    until = datetime.fromisoformat(held["until"]).astimezone(TOKYO)
    assert held["count"] == 1 and (until.hour, until.minute) == (8, 0)

    [entry] = (await world.client.get(world.url(f"/friends/{aoi}"))).json()
    assert entry["next"]["node_id"] == send["id"] and entry["next"]["reason"] == "quiet_hours"
    assert datetime.fromisoformat(entry["next"]["at"]) == datetime.fromisoformat(held["until"])

    listed = await world.client.get(world.url(f"/{scenario_id}/subscribers"), params={"status": "held"})
    [item] = listed.json()["items"]
    assert item["held"] and item["node_id"] == send["id"]

    # The simulator shows it beside the friend's talk.
    from enishi.models import Friend, Workspace
    from enishi.scenarios.held import held_for_line_user

    async with world.db.session() as s:
        channel = (await s.get_one(Workspace, world.workspace_id)).line_channel_id
        line_user = (await s.get_one(Friend, aoi)).line_user_id
    [note] = await held_for_line_user(world.env.app.state["enishi"], channel, line_user)
    assert note["ja"].endswith(" 08:00 に送信予定: 配信しない時間帯") and "「ステップ」" in note["ja"]
    assert await held_for_line_user(world.env.app.state["enishi"], channel, "U-nobody") == []

    # The dry run of a night-time start: the send waits to 08:00, and says why.
    night = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # 23:30 in Tokyo
    response = await world.client.post(
        world.url(f"/{scenario_id}/dry-run"),
        json={"source": "published", "friend": {"display_name": "夜の友だち"}, "start_at": night.isoformat()},
    )
    steps = {s["node_id"]: s for s in response.json()["steps"]}
    sent = steps[send["id"]]
    assert sent["held_reason"] == "quiet_hours"
    assert datetime.fromisoformat(sent["at"]).astimezone(TOKYO).hour == 8
    assert steps[start["id"]]["held_reason"] is None


async def test_publishing_is_previewed_and_an_unchanged_draft_is_no_change(world: World) -> None:
    start = node("core.manual_start")
    wait = node("core.wait_delay", {"days": 1})
    scenario_id = await world.scenario(document([start, wait], chain(start, wait)))
    published = (await world.client.get(world.url(f"/{scenario_id}/versions/1"))).json()
    # Saving the published document again (the dry run saves before it runs) leaves no draft to publish.
    response = await world.client.put(world.url(f"/{scenario_id}/draft"), json=published)
    assert response.status_code == 200
    listed = (await world.client.get(world.url(f"/{scenario_id}"))).json()["scenario"]
    assert listed["draft_changed"] is False

    await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": [world.friends["aoi"]]})
    tag = await world.tag("新")
    add = node("tags.add_tag", {"tag_ids": [tag]})
    add["label"] = "新しいタグ"
    changed_wait = {**wait, "config": {"days": 2}}
    draft = document([start, changed_wait, add], chain(start, changed_wait, add))
    await world.client.put(world.url(f"/{scenario_id}/draft"), json=draft)
    preview = (await world.client.get(world.url(f"/{scenario_id}/publish-preview"))).json()
    assert [a["title"]["ja"] for a in preview["added"]] == ["新しいタグ"]
    assert [c["node_id"] for c in preview["changed"]] == [wait["id"]]
    assert preview["removed"] == [] and preview["edges_changed"] is True
    assert preview["live_runs"] == 1 and preview["first_publish"] is False and preview["problems"] == 0


async def test_copy_folders_and_delete_with_what_it_stops(world: World) -> None:
    scenario_id, _, _, _ = await _two_step(world)
    response = await world.client.patch(world.url(f"/{scenario_id}"), json={"folder": "春の案内"})
    assert response.json()["folder"] == "春の案内"
    copied = await world.client.post(world.url(f"/{scenario_id}/copy"), json={})
    assert copied.status_code == 201, copied.text
    copy = copied.json()
    assert copy["name"].endswith("のコピー") and copy["status"] == "draft" and copy["live_runs"] == 0
    assert copy["folder"] == "春の案内"
    original = (await world.client.get(world.url(f"/{scenario_id}"))).json()
    copy_detail = (await world.client.get(world.url(f"/{copy['id']}"))).json()
    assert [n["id"] for n in copy_detail["draft"]["nodes"]] == [n["id"] for n in original["draft"]["nodes"]]

    renamed = await world.client.post(world.url("/folders/rename"), json={"folder": "春の案内", "to": "夏の案内"})
    assert renamed.json() == {"count": 2}
    folders = {s["folder"] for s in (await world.client.get(world.url())).json()["items"]}
    assert folders == {"夏の案内"}
    await world.client.post(world.url("/folders/rename"), json={"folder": "夏の案内", "to": ""})
    assert {s["folder"] for s in (await world.client.get(world.url())).json()["items"]} == {None}

    # A new folder is made by putting scenarios in it; another workspace's scenario is not moved.
    other = await world.client.post(world.url(workspace_id=world.other_workspace_id), json={"name": "よそ"})
    other_id = other.json()["scenario"]["id"]
    moved = await world.client.post(
        world.url("/folders/move"), json={"scenario_ids": [scenario_id, copy["id"], other_id], "folder": "秋の案内"}
    )
    assert moved.json() == {"count": 2}
    assert {s["folder"] for s in (await world.client.get(world.url())).json()["items"]} == {"秋の案内"}
    elsewhere = await world.client.get(world.url(f"/{other_id}", world.other_workspace_id))
    assert elsewhere.json()["scenario"]["folder"] is None

    refused = await world.client.delete(world.url(f"/{scenario_id}"))
    assert refused.status_code == 409
    assert (await world.client.delete(world.url(f"/{scenario_id}"), params={"stop_runs": "true"})).status_code == 204
    assert (await world.client.get(world.url(f"/{scenario_id}"))).status_code == 404
    assert await world.runs(scenario_id) == []


async def test_viewers_see_subscribers_but_change_nothing(world: World) -> None:
    scenario_id, _, add, _ = await _two_step(world)
    from enishi.models.tenancy import Workspace
    from enishi.tenancy.workspaces import add_member

    viewer = await world.env.user("viewer@scenario.example")
    async with world.db.transaction() as s:
        await add_member(s, await s.get_one(Workspace, world.workspace_id), viewer, "viewer")
    client = await world.env.login("viewer@scenario.example")
    runs = [r.id for r in await world.runs(scenario_id)]
    assert (await client.get(world.url(f"/{scenario_id}/subscribers"))).status_code == 200
    assert (await client.get(world.url(f"/friends/{world.friends['aoi']}"))).status_code == 200
    for path, body in [
        ("/subscribers/stop", {"run_ids": runs}),
        ("/subscribers/move", {"run_ids": runs, "node_id": add["id"]}),
        (f"/runs/{runs[0]}/restart", {}),
        ("/copy", {}),
    ]:
        assert (await client.post(world.url(f"/{scenario_id}{path}"), json=body)).status_code == 403, path
    for path, body in [
        ("/folders/move", {"scenario_ids": [scenario_id], "folder": "x"}),
        ("/folders/rename", {"folder": "x"}),
    ]:
        assert (await client.post(world.url(path), json=body)).status_code == 403, path
    assert (await client.delete(world.url(f"/{scenario_id}"), params={"stop_runs": "true"})).status_code == 403
    assert all(r.ended_at is None for r in await world.runs(scenario_id))
