"""Node types through the engine and in SQL: a rank change starts a published scenario, points reached,
conditions for one friend and for a segment, the bulk action, and the friend field source."""

from __future__ import annotations

from enishi_member_cards.nodes import run_add_points_bulk
from sqlalchemy import select

from enishi import Friend, WorkspaceContext, evaluate_condition, message_variables, run_action
from enishi.jobs.workspace_state import workspace_context, workspace_state
from tests.plugins.member_cards.helpers import design, issue, points, url
from tests.scenarios.conftest import World, document, edge, node


async def _scenario(world: World, trigger: dict[str, object], tag_id: int) -> int:
    start, step = trigger, node("tags.add_tag", {"tag_ids": [tag_id]})
    return await world.scenario(document([start, step], [edge(start, step)]), name=str(trigger["type"]))


async def test_rank_change_and_points_reached_start_scenarios(world: World) -> None:
    await design(world)
    await issue(world, "aoi")
    gold, hundred = await world.tag("ゴールド会員"), await world.tag("100pt")
    gold_scenario = await _scenario(world, node("member_cards.rank_changed", {"to_ranks": ["ゴールド"]}), gold)
    reached = await _scenario(world, node("member_cards.points_reached", {"threshold": 100}), hundred)

    await points(world, member_number="EN000001", delta=120)  # レギュラー → シルバー, reaches 100
    await world.settle()
    assert await world.runs(gold_scenario) == []
    assert len(await world.runs(reached)) == 1
    await points(world, member_number="EN000001", delta=400)  # シルバー → ゴールド; 100 was already reached
    await world.settle()
    [run] = await world.runs(gold_scenario)
    assert run.friend_id == world.friends["aoi"]
    assert len(await world.runs(reached)) == 1
    assert {gold, hundred} <= await world.tags_of(world.friends["aoi"])

    # A rank the design does not have is refused when publishing.
    start, step = (
        node("member_cards.rank_changed", {"to_ranks": ["プラチナ"]}),
        node("member_cards.add_points", {"delta": 1}),
    )
    response = await world.client.post(
        world.url(), json={"name": "x", "document": document([start, step], [edge(start, step)])}
    )
    scenario_id = response.json()["scenario"]["id"]
    published = await world.client.post(world.url(f"/{scenario_id}/publish"))
    assert published.status_code == 422
    assert any("to_ranks[0]" in e["path"] for e in published.json()["errors"]), published.text


async def _ctx(world: World, session: object) -> WorkspaceContext:
    job = world.job_context()
    return workspace_context(job, session, world.workspace_id, await workspace_state(job, world.workspace_id))  # type: ignore[arg-type]


async def test_conditions_action_bulk_and_fields(world: World) -> None:
    await design(world)
    aoi, ren, yui = (world.friends[n] for n in ("aoi", "ren", "yui"))
    async with world.db.transaction(world.workspace_id) as session:
        ctx = await _ctx(world, session)
        result = await run_action(
            ctx,
            "member_cards.add_points",
            None,
            aoi,
            {"delta": 600, "reason": "初回"},
            idempotency_key="k1",
            source="scenario",
        )
        assert result["changed"] is True and result["rank"] == "ゴールド"
        again = await run_action(
            ctx, "member_cards.add_points", None, aoi, {"delta": 600}, idempotency_key="k1", source="scenario"
        )
        assert again["changed"] is False  # a retried step adds nothing
        short = await run_action(
            ctx, "member_cards.add_points", None, ren, {"delta": -5}, idempotency_key="k2", source="scenario"
        )
        assert short == {"changed": False, "skipped": "not_enough_points"}
        # Bulk: every friend gets a card (ren already has one from the step above) and 50 points, in SQL.
        changed = await run_add_points_bulk(ctx, select(Friend.id).where(Friend.id.in_([aoi, ren, yui])), {"delta": 50})
        assert changed == 3

    async with world.db.transaction(world.workspace_id) as session:
        ctx = await _ctx(world, session)
        gte = {"operator": "gte", "value": 100}
        assert await evaluate_condition(ctx, "member_cards.points", None, aoi, gte)
        assert not await evaluate_condition(ctx, "member_cards.points", None, ren, gte)
        assert await evaluate_condition(ctx, "member_cards.rank_is", None, aoi, {"ranks": ["ゴールド"]})
        assert await evaluate_condition(
            ctx, "member_cards.rank_is", None, ren, {"ranks": ["ゴールド"], "match": "none"}
        )
        source = world.env.host.registry.usable("friend_fields", "member_cards.card", None, ctx.enabled_plugins).item
        loaded = await source.load(ctx, [aoi, ren], ["member_number", "points", "rank"])
        assert loaded[aoi]["points"] == 650 and loaded[aoi]["rank"] == "ゴールド"
        assert loaded[ren]["points"] == 50 and loaded[ren]["member_number"].startswith("EN")
        # Single issues took 1 and 2; the bulk action issued yui's card with the next number, in SQL.
        numbered = await source.load(ctx, [aoi, ren, yui], ["member_number"])
        assert [numbered[f]["member_number"] for f in (aoi, ren, yui)] == ["EN000001", "EN000002", "EN000003"]
        ordered = await session.scalars(
            select(Friend.id)
            .where(Friend.id.in_([aoi, ren, yui]))
            .order_by(source.column(ctx, "points").desc(), Friend.id)
        )
        assert list(ordered) == [aoi, ren, yui]

    # Message variables come from the same source.
    async with world.db.session(world.workspace_id) as session:
        ctx = await _ctx(world, session)
        used = message_variables.used(
            {"text": "{{member_cards.member_number}} {{member_cards.points}} {{member_cards.rank}}"}
        )
        values = await message_variables.values_for(ctx, aoi, used)
    assert sorted(v for v in values.values() if v) == ["650", "EN000001", "ゴールド"]

    # The rank report: one row per rank of the design, in threshold order.
    report = await world.client.post(
        f"/api/workspaces/{world.workspace_id}/reports/member_cards.ranks/run", json={"params": {}}
    )
    assert report.status_code == 200, report.text
    rows = [(r["rank"], r["cards"], r["points"]) for r in report.json()["rows"]]
    assert rows == [("レギュラー", 2, 100), ("シルバー", 0, 0), ("ゴールド", 1, 650)]

    response = await world.client.get(url(world, f"/cards/{yui}"))
    assert response.json()["points"] == 50
    history = (await world.client.get(url(world, f"/cards/{aoi}/history"))).json()
    assert [h["source"] for h in history] == ["bulk", "scenario"]
