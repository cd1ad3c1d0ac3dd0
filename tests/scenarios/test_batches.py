"""Runs advance in batches: many friends move through a node together, and the outcome is what one-at-a-time
would have given — branches, sends (reply-first), waits, a failing friend, quiet hours at night and at noon."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from enishi_tags.models import FriendTag
from sqlalchemy import func, insert, select, update

from enishi.models import Friend, LineRequest, ScenarioRun, ScenarioStep
from enishi.scenarios.engine import advance_run
from enishi.types import ActionType
from tests.scenarios.conftest import World, chain, document, edge, node

TOKYO = ZoneInfo("Asia/Tokyo")
NIGHT = datetime(2026, 12, 8, 3, 0, tzinfo=TOKYO)
NOON = datetime(2026, 12, 8, 12, 0, tzinfo=TOKYO)
QUIET = {"enabled": True, "start": "22:00", "end": "08:00"}


@pytest.fixture(params=[NIGHT, NOON], ids=["03:00 JST", "12:00 JST"])
def tokyo_clock(request: pytest.FixtureRequest) -> Iterator[datetime]:
    """The wall clock set to 03:00 or 12:00 in Tokyo (and ticking), so no test depends on when it runs."""
    with time_machine.travel(request.param, tick=True):
        yield request.param


async def _friends(world: World, count: int, prefix: str = "Ubatch") -> list[int]:
    rows = [
        {"workspace_id": world.workspace_id, "line_user_id": f"{prefix}{n:08d}", "display_name": f"友{n}"}
        for n in range(count)
    ]
    async with world.db.transaction(world.workspace_id) as s:
        await s.execute(insert(Friend), rows)
        found = await s.scalars(select(Friend.id).where(Friend.line_user_id.startswith(prefix)).order_by(Friend.id))
        return list(found.all())


async def test_a_batch_branches_sends_and_waits_like_one_friend_at_a_time(tokyo_clock: datetime, world: World) -> None:
    vip, done = await world.tag("VIP"), await world.tag("済")
    many = await _friends(world, 700)
    vips = set(many[::3])
    async with world.db.transaction(world.workspace_id) as s:
        await s.execute(
            insert(FriendTag),
            [{"workspace_id": world.workspace_id, "friend_id": f, "tag_id": vip, "source": "t"} for f in vips],
        )
    start = node("core.manual_start")
    check = node("tags.has_tags", {"tag_ids": [vip], "match": "any"})
    mark = node("tags.add_tag", {"tag_ids": [done]})
    hello = node("messages.send_messages", {"messages": [{"type": "text", "text": "{{friend.display_name}}さんへ"}]})
    wait = node("core.wait_delay", {"days": 1})
    edges = [
        edge(start, check),
        edge(check, mark, "yes"),
        edge(check, hello, "no"),
        edge(mark, wait),
        edge(hello, wait),
    ]
    doc = document([start, check, mark, hello, wait], edges, quiet_hours={**QUIET, "enabled": False})
    scenario_id = await world.scenario(doc)
    await world.env.app.state["enishi"].jobs.close()  # only the call below advances the runs (and nothing is sent)
    response = await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": many})
    assert response.json() == {"started": len(many)}
    steps = await advance_run(world.job_context(), scenario_id=scenario_id, now=datetime.now(TOKYO))
    assert steps == 700 * 4

    async with world.db.session() as s:
        runs = (
            await s.execute(
                select(ScenarioRun.status, ScenarioRun.resume_at).where(ScenarioRun.scenario_id == scenario_id)
            )
        ).all()
        steps = dict(
            (
                await s.execute(
                    select(ScenarioStep.node_id, func.count())
                    .join(ScenarioRun, ScenarioRun.id == ScenarioStep.run_id)
                    .where(ScenarioRun.scenario_id == scenario_id)
                    .group_by(ScenarioStep.node_id)
                )
            ).all()
        )
        sends = (await s.scalars(select(LineRequest).where(LineRequest.source == "scenario"))).all()
    assert {status for status, _ in runs} == {"waiting"}
    tomorrow = {at.astimezone(TOKYO).date() for _, at in runs}
    assert tomorrow == {(datetime.now(TOKYO) + timedelta(days=1)).date()}
    assert steps == {
        start["id"]: 700,
        check["id"]: 700,
        mark["id"]: len(vips),
        hello["id"]: 700 - len(vips),
        wait["id"]: 700,
    }
    # One push per friend on the "no" branch, each with the friend's own name.
    assert sorted(r.friend_ids[0] for r in sends) == sorted(set(many) - vips)
    names = {f: f"友{n}さんへ" for n, f in enumerate(many)}
    assert all(r.kind == "push" and r.messages[0]["text"] == names[r.friend_ids[0]] for r in sends)
    for friend in sorted(vips)[:5]:
        assert await world.tags_of(friend) == {vip, done}


async def test_one_friend_whose_step_fails_holds_nobody_else_up(world: World) -> None:
    many = await _friends(world, 40)
    start = node("core.manual_start")
    rename = node("probe.rename", {"name": "新しい名前"})  # no set-based form: the one-at-a-time fallback
    hello = node("messages.send_messages", {"messages": [{"type": "text", "text": "{{friend.display_name}}さん"}]})
    scenario_id = await world.scenario(document([start, rename, hello], chain(start, rename, hello)))
    async with world.db.transaction(world.workspace_id) as s:
        await s.execute(update(Friend).where(Friend.id == many[7]).values(display_name="故障"))
    await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": many})
    await world.settle()
    async with world.db.session() as s:
        of_scenario = ScenarioRun.scenario_id == scenario_id
        statuses = dict((await s.execute(select(ScenarioRun.friend_id, ScenarioRun.status).where(of_scenario))).all())
        failed = await s.scalar(select(ScenarioRun).where(of_scenario, ScenarioRun.friend_id == many[7]))
    assert failed is not None and statuses.pop(many[7]) == "active"
    assert failed.failures >= 1 and failed.error is not None and "renamed" in failed.error
    assert failed.resume_at is not None  # tried again later, with backoff
    assert set(statuses.values()) == {"completed"}
    sends = await world.sends()
    assert len(sends) == 39 and {r.messages[0]["text"] for r in sends} == {"新しい名前さん"}


async def test_quiet_hours_hold_pushes_but_answer_a_follow_at_once(tokyo_clock: datetime, world: World) -> None:
    greet = node("messages.send_messages", {"messages": [{"type": "text", "text": "友だち追加ありがとうございます"}]})
    later = node("messages.send_messages", {"messages": [{"type": "text", "text": "翌朝のご案内"}]})
    follow = node("core.friend_followed")
    wait = node("core.wait_delay", {"minutes": 5})
    scenario_id = await world.scenario(
        document([follow, greet, wait, later], chain(follow, greet, wait, later), quiet_hours=QUIET)
    )
    aoi = world.friends["aoi"]
    await world.set_friend(aoi, reply_token="token-of-the-follow", reply_token_at=datetime.now(TOKYO))
    await world.emit("core.friend_followed", aoi, unblocked=False)
    await world.settle()

    # The greeting answers the follow at once, for free, whatever the hour.
    [reply] = await world.sends()
    assert (reply.kind, reply.reply_token, reply.messages[0]["text"]) == (
        "reply",
        "token-of-the-follow",
        "友だち追加ありがとうございます",
    )
    [run] = await world.runs(scenario_id)
    assert run.status == "waiting" and run.resume_at is not None

    # Five minutes later there is no reply token: at night the push waits for 08:00, at noon it goes.
    await world.advance(run.id, run.resume_at)
    run = await world.run(run.id)
    if tokyo_clock == NIGHT:
        assert run.status == "waiting" and run.wait_reason == "quiet_hours" and run.resume_at is not None
        morning = run.resume_at.astimezone(TOKYO)
        assert (morning.date(), morning.hour, morning.minute) == (NIGHT.date(), 8, 0)
        assert len(await world.sends()) == 1
        await world.advance(run.id, run.resume_at)
        run = await world.run(run.id)
    assert run.status == "completed"
    sends = await world.sends()
    assert [(r.kind, r.messages[0]["text"]) for r in sends] == [
        ("reply", "友だち追加ありがとうございます"),
        ("push", "翌朝のご案内"),
    ]


@pytest.fixture
def at_noon() -> Iterator[None]:
    with time_machine.travel(NOON, tick=True):
        yield


async def test_scenarios_without_their_own_quiet_hours_use_the_workspaces(at_noon: None, world: World) -> None:
    start = node("core.manual_start")
    send = node("messages.send_messages", {"messages": [{"type": "text", "text": "お知らせ"}]})
    own = await world.scenario(document([start, send], chain(start, send), quiet_hours=None), name="既定")
    aoi, ren = world.friends["aoi"], world.friends["ren"]
    # The workspace is quiet from 11:00 to 13:00 (set on the workspace); the scenario says nothing of its own.
    workspace = f"/api/workspaces/{world.workspace_id}"
    shown = (await world.client.get(workspace)).json()["workspace"]["quiet_hours"]
    assert shown == {"enabled": True, "start": "22:00", "end": "08:00"}  # the built-in default
    bad = await world.client.patch(workspace, json={"quiet_hours": {"enabled": True, "start": "25:00", "end": "13:00"}})
    assert bad.status_code in (400, 422) and "quiet_hours" in bad.text and "start" in bad.text
    lunch = {"enabled": True, "start": "11:00", "end": "13:00"}
    changed = await world.client.patch(workspace, json={"quiet_hours": lunch})
    assert changed.status_code == 200 and changed.json()["quiet_hours"] == lunch
    await world.client.post(world.url(f"/{own}/runs"), json={"friend_ids": [aoi]})
    await world.settle()
    [run] = await world.runs(own)
    assert run.wait_reason == "quiet_hours" and run.resume_at is not None
    assert run.resume_at.astimezone(TOKYO).hour == 13
    # A scenario with its own quiet hours (none at noon) is not held by the workspace's.
    mine = await world.scenario(
        document([start, send], chain(start, send), quiet_hours={"enabled": False, "start": "22:00", "end": "08:00"}),
        name="独自",
    )
    await world.client.post(world.url(f"/{mine}/runs"), json={"friend_ids": [ren]})
    await world.settle()
    assert [r.status for r in await world.runs(mine)] == ["completed"]


async def test_a_message_started_scenario_answers_again_unless_it_says_otherwise(world: World) -> None:
    hello = await world.tag("挨拶")
    start = node("core.message_received", {"match": "exact", "keywords": ["メニュー"]})
    add = node("tags.add_tag", {"tag_ids": [hello]})
    doc = document([start, add], chain(start, add))
    del doc["settings"]["reentry"]  # not set: an auto-reply answers every time
    scenario_id = await world.scenario(doc)
    aoi = world.friends["aoi"]
    for _ in range(2):
        await world.emit("core.message_received", aoi, kind="text", text="メニュー")
        await world.settle()
    assert [r.status for r in await world.runs(scenario_id)] == ["completed", "completed"]


async def test_a_bulk_tag_of_many_friends_starts_the_tag_scenario_for_each(world: World) -> None:
    vip, welcomed = await world.tag("VIP"), await world.tag("VIP歓迎済")
    many = await _friends(world, 1500)
    start = node("tags.tag_added", {"tag_ids": [vip]})
    add = node("tags.add_tag", {"tag_ids": [welcomed]})
    scenario_id = await world.scenario(document([start, add], chain(start, add)))
    response = await world.client.post(
        f"/api/workspaces/{world.workspace_id}/tags/bulk", json={"tag_ids": [vip], "friend_ids": many, "op": "add"}
    )
    assert response.status_code == 200 and response.json()["events_emitted"] is True
    await world.settle()
    async with world.db.session() as s:
        statuses = (
            await s.execute(
                select(ScenarioRun.status, func.count())
                .where(ScenarioRun.scenario_id == scenario_id)
                .group_by(ScenarioRun.status)
            )
        ).all()
    assert dict(statuses) == {"completed": 1500}


def test_every_built_in_action_has_a_set_based_form(world_host_registry: list[tuple[str, ActionType]]) -> None:
    missing = [key for key, item in world_host_registry if item.run_bulk is None]
    assert missing == [], f"actions without a set-based form (run_bulk): {missing}"


@pytest.fixture
def world_host_registry() -> list[tuple[str, ActionType]]:
    from enishi.plugin_host import discover
    from enishi.settings import load_settings

    host = discover(load_settings({"ENISHI_PLUGINS": ",".join(BUILT_IN)}))
    return [(e.key, e.item) for e in host.registry.all("actions") if e.plugin in {"core", *BUILT_IN}]


BUILT_IN = (
    "assignment",
    "cross_analysis",
    "friend_fields",
    "funnels",
    "inflow",
    "member_cards",
    "messages",
    "notes",
    "response_marks",
    "tags",
)


async def test_the_catalog_says_which_actions_run_for_a_whole_batch(world: World) -> None:
    catalog = (await world.client.get(f"/api/workspaces/{world.workspace_id}/catalog")).json()
    actions = {t["key"]: t for t in catalog["node_types"] if t["kind"] == "action"}
    assert actions["messages.send_messages"]["set_based"] is True
    assert actions["messages.send_messages"]["sends_messages"] is True
    assert all(t["set_based"] is None for t in catalog["node_types"] if t["kind"] != "action")


async def test_a_loop_through_a_wait_counts_each_visit_of_its_nodes(world: World) -> None:
    """Nodes on a loop are visited again (visit 1, 2, 3 …); the stepper skips that lookup only for the others."""
    counted = await world.tag("来店")
    many = await _friends(world, 30, prefix="Uloop")
    start = node("core.manual_start")
    before = node("tags.add_tag", {"tag_ids": [counted]})
    again = node("tags.remove_tag", {"tag_ids": [counted]})
    wait = node("core.wait_delay", {"days": 1})
    # start → before → again → wait → back to again, once a day
    doc = document(
        [start, before, again, wait],
        [edge(start, before), edge(before, again), edge(again, wait), edge(wait, again)],
        quiet_hours={**QUIET, "enabled": False},
    )
    scenario_id = await world.scenario(doc)
    await world.env.app.state["enishi"].jobs.close()
    response = await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": many})
    assert response.json() == {"started": len(many)}
    now = datetime.now(TOKYO)
    for day in range(3):
        await advance_run(world.job_context(), scenario_id=scenario_id, now=now + timedelta(days=day, minutes=1))
    async with world.db.session() as s:
        visits = (
            await s.execute(
                select(ScenarioStep.node_id, func.max(ScenarioStep.visit), func.count())
                .join(ScenarioRun, ScenarioRun.id == ScenarioStep.run_id)
                .where(ScenarioRun.scenario_id == scenario_id)
                .group_by(ScenarioStep.node_id)
            )
        ).all()
    by_node = {node_id: (last, count) for node_id, last, count in visits}
    assert by_node[start["id"]] == (1, 30)
    assert by_node[before["id"]] == (1, 30)
    assert by_node[again["id"]] == (3, 90), "the looped node's third visit is visit 3, for every friend"
    assert by_node[wait["id"]] == (3, 90)
