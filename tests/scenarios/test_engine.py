"""Running published scenarios: triggers, actions, branches, waits, blocking, exit conditions, versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.scenarios.conftest import World, chain, document, edge, node


async def test_follow_starts_a_scenario_that_tags_waits_and_branches(world: World) -> None:
    welcome, vip = await world.tag("友だち"), await world.tag("VIP")
    start = node("core.friend_followed", {"when": "new"})
    add = node("tags.add_tag", {"tag_ids": [welcome]})
    wait = node("core.wait_delay", {"days": 1})
    check = node("tags.has_tags", {"tag_ids": [welcome]})
    yes = node("tags.add_tag", {"tag_ids": [vip]})
    scenario_id = await world.scenario(
        document([start, add, wait, check, yes], [*chain(start, add, wait, check), edge(check, yes, "yes")])
    )
    aoi = world.friends["aoi"]

    await world.emit("core.friend_followed", aoi, unblocked=True)  # an unblock does not match "new"
    assert await world.runs(scenario_id) == []
    await world.emit("core.friend_followed", aoi, unblocked=False)
    await world.settle()
    [run] = await world.runs(scenario_id)
    now = datetime.now(UTC)
    run = await world.run(run.id)
    assert run.status == "waiting" and run.resume_at is not None
    assert timedelta(hours=23, minutes=59) < run.resume_at - now <= timedelta(days=1, seconds=30)
    assert await world.tags_of(aoi) == {welcome}

    await world.advance(run.id, now + timedelta(hours=23))  # not due yet: nothing happens
    assert (await world.run(run.id)).status == "waiting"
    await world.advance(run.id, now + timedelta(days=1, minutes=1))
    run = await world.run(run.id)
    assert run.status == "completed" and run.ended_at is not None
    assert await world.tags_of(aoi) == {welcome, vip}
    assert await world.steps(run.id) == [
        ("core.friend_followed", 1, "next"),
        ("tags.add_tag", 1, "next"),
        ("core.wait_delay", 1, "next"),
        ("tags.has_tags", 1, "yes"),
        ("tags.add_tag", 1, "next"),
    ]
    # No re-entry by default: following again does not start it a second time.
    await world.emit("core.friend_followed", aoi, unblocked=False)
    assert len(await world.runs(scenario_id)) == 1


async def test_wait_for_event_goes_on_early_or_times_out(world: World) -> None:
    bought, thanked, reminded = await world.tag("購入"), await world.tag("お礼済"), await world.tag("リマインド")
    start = node("core.manual_start")
    wait = node(
        "core.wait_for_event",
        {
            "event": {"type": "tags.tag_added", "type_version": 1, "config": {"tag_ids": [bought]}},
            "timeout": {"days": 3},
        },
    )
    thank = node("tags.add_tag", {"tag_ids": [thanked]})
    remind = node("tags.add_tag", {"tag_ids": [reminded]})
    scenario_id = await world.scenario(
        document(
            [start, wait, thank, remind], [edge(start, wait), edge(wait, thank, "event"), edge(wait, remind, "timeout")]
        )
    )
    aoi, ren = world.friends["aoi"], world.friends["ren"]
    response = await world.client.post(
        world.url(f"/{scenario_id}/runs"), json={"friend_ids": [aoi, ren, world.friends["yui"]]}
    )
    assert response.json() == {"started": 2}  # yui blocked the account
    await world.settle()
    now = datetime.now(UTC)
    runs = {r.friend_id: r for r in await world.runs(scenario_id)}
    assert [r.status for r in runs.values()] == ["waiting", "waiting"]

    # aoi buys within the three days: the tag's event ends the wait through "event".
    response = await world.client.put(f"/api/workspaces/{world.workspace_id}/tags/friends/{aoi}/{bought}")
    assert response.status_code == 200, response.text
    await world.advance(runs[aoi].id, now + timedelta(hours=1))
    assert (await world.run(runs[aoi].id)).status == "completed"
    assert await world.tags_of(aoi) == {bought, thanked}

    # ren does not: after three days the run goes on through "timeout".
    await world.advance(runs[ren].id, now + timedelta(days=2))
    assert (await world.run(runs[ren].id)).status == "waiting"
    await world.advance(runs[ren].id, now + timedelta(days=3, minutes=1))
    assert (await world.run(runs[ren].id)).status == "completed"
    assert await world.tags_of(ren) == {reminded}


async def test_blocking_pauses_runs_and_unblocking_resumes_them(world: World) -> None:
    done = await world.tag("完了")
    start = node("core.manual_start")
    wait = node("core.wait_delay", {"hours": 2})
    add = node("tags.add_tag", {"tag_ids": [done]})
    scenario_id = await world.scenario(document([start, wait, add], chain(start, wait, add)))
    aoi = world.friends["aoi"]
    await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": [aoi]})
    await world.settle()
    [run] = await world.runs(scenario_id)
    now = datetime.now(UTC)

    await world.set_friend(aoi, status="blocked")
    await world.emit("core.friend_unfollowed", aoi)
    assert (await world.run(run.id)).status == "paused"
    await world.advance(run.id, now + timedelta(hours=3))
    assert await world.tags_of(aoi) == set()  # nothing happens while blocked

    await world.set_friend(aoi, status="following")
    await world.emit("core.friend_followed", aoi, unblocked=True)
    run = await world.run(run.id)
    assert run.status == "waiting"
    await world.advance(run.id, now + timedelta(hours=3))
    assert (await world.run(run.id)).status == "completed"
    assert await world.tags_of(aoi) == {done}


async def test_exit_condition_ends_the_run_before_the_next_step(world: World) -> None:
    buyer, pitched = await world.tag("購入者"), await world.tag("案内済")
    start = node("core.manual_start")
    wait = node("core.wait_delay", {"days": 1})
    pitch = node("tags.add_tag", {"tag_ids": [pitched]})
    exit_when = {"type": "tags.has_tags", "type_version": 1, "config": {"tag_ids": [buyer]}}
    scenario_id = await world.scenario(
        document([start, wait, pitch], chain(start, wait, pitch), exit_condition=exit_when)
    )
    aoi = world.friends["aoi"]
    await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": [aoi]})
    await world.settle()
    [run] = await world.runs(scenario_id)
    now = datetime.now(UTC)
    await world.client.put(f"/api/workspaces/{world.workspace_id}/tags/friends/{aoi}/{buyer}")
    await world.advance(run.id, now + timedelta(days=2))
    run = await world.run(run.id)
    assert run.status == "exited"
    assert await world.tags_of(aoi) == {buyer}


async def test_runs_stay_on_their_version_and_stopping_ends_them_on_request(world: World) -> None:
    first, second = await world.tag("v1"), await world.tag("v2")
    start = node("core.manual_start")
    wait = node("core.wait_delay", {"hours": 1})
    add = node("tags.add_tag", {"tag_ids": [first]})
    doc = document([start, wait, add], chain(start, wait, add))
    scenario_id = await world.scenario(doc)
    aoi, ren = world.friends["aoi"], world.friends["ren"]
    await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": [aoi]})
    await world.settle()
    [old_run] = await world.runs(scenario_id)
    now = datetime.now(UTC)

    add["config"] = {"tag_ids": [second]}
    response = await world.client.put(world.url(f"/{scenario_id}/draft"), json=doc)
    assert response.status_code == 200 and response.json() == {"problems": []}
    response = await world.client.post(world.url(f"/{scenario_id}/publish"))
    assert response.json()["current_version"]["number"] == 2
    await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": [ren]})
    new_run = next(r for r in await world.runs(scenario_id) if r.friend_id == ren)
    assert new_run.version_id != old_run.version_id
    await world.advance(old_run.id, now + timedelta(hours=2))
    await world.settle()
    assert await world.tags_of(aoi) == {first}  # the old version's step, not the edited one

    response = await world.client.post(world.url(f"/{scenario_id}/stop"), json={"end_running": False})
    assert response.json()["ended_runs"] == 0 and response.json()["scenario"]["status"] == "stopped"
    response = await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": [aoi]})
    assert response.status_code == 409
    response = await world.client.post(world.url(f"/{scenario_id}/stop"), json={"end_running": True})
    assert response.json()["ended_runs"] == 1
    assert (await world.run(new_run.id)).status == "stopped"
    await world.advance(new_run.id, now + timedelta(hours=2))
    assert await world.tags_of(ren) == set()


async def test_sends_wait_for_the_end_of_quiet_hours(world: World) -> None:
    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    start = node("core.manual_start")
    late = node("core.wait_until_time", {"days_after": 0, "time": "23:00"})
    send = node("messages.send_messages", {"messages": [{"type": "text", "text": "夜分に失礼します"}]})
    quiet = {"enabled": True, "start": "22:00", "end": "08:00"}
    scenario_id = await world.scenario(document([start, late, send], chain(start, late, send), quiet_hours=quiet))
    aoi = world.friends["aoi"]
    await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": [aoi]})
    await world.settle()
    [run] = await world.runs(scenario_id)
    assert run.status == "waiting" and run.resume_at is not None
    eleven = run.resume_at.astimezone(tokyo)
    assert (eleven.hour, eleven.minute) == (23, 0)

    await world.advance(run.id, run.resume_at + timedelta(minutes=1))
    run = await world.run(run.id)
    assert run.status == "waiting" and run.resume_at is not None
    morning = run.resume_at.astimezone(tokyo)
    assert (morning.date() - eleven.date(), morning.hour, morning.minute) == (timedelta(days=1), 8, 0)
    assert await world.sends() == []

    await world.advance(run.id, run.resume_at)
    assert (await world.run(run.id)).status == "completed"
    [request] = await world.sends()
    assert request.friend_ids == [aoi] and request.messages[0]["text"] == "夜分に失礼します"


async def test_reentry_lets_a_friend_start_again_but_never_twice_at_once(world: World) -> None:
    hello = await world.tag("挨拶")
    start = node("core.message_received", {"match": "exact", "keywords": ["はじめ"]})
    wait = node("core.wait_delay", {"minutes": 5})
    add = node("tags.add_tag", {"tag_ids": [hello]})
    scenario_id = await world.scenario(document([start, wait, add], chain(start, wait, add), reentry=True))
    aoi = world.friends["aoi"]
    await world.emit("core.message_received", aoi, kind="text", text="こんにちは")  # no keyword
    assert await world.runs(scenario_id) == []
    await world.emit("core.message_received", aoi, kind="text", text=" はじめ ")
    await world.emit("core.message_received", aoi, kind="text", text="はじめ")  # already running: not twice
    await world.settle()
    [run] = await world.runs(scenario_id)
    await world.advance(run.id, datetime.now(UTC) + timedelta(minutes=6))
    assert (await world.run(run.id)).status == "completed"
    await world.emit("core.message_received", aoi, kind="text", text="はじめ")
    runs = await world.runs(scenario_id)
    assert len(runs) == 2 and runs[0].status == "completed"
