"""Segments: nested all / any / not groups of plugin and core conditions, one SQL query, every problem named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from enishi.audience.segments import check_segment, friends_in
from enishi.jobs.workspace_state import workspace_context, workspace_state
from tests.scenarios.conftest import World


async def _ids(world: World, segment: dict[str, Any] | None, **kw: Any) -> set[int]:
    job = world.job_context()
    state = await workspace_state(job, world.workspace_id)
    async with world.db.session(world.workspace_id) as s:
        ctx = workspace_context(job, s, world.workspace_id, state)
        assert await check_segment(ctx, segment) == [] if segment is not None else True
        return set((await s.scalars(friends_in(ctx, segment, **kw))).all())


async def _problems(world: World, segment: Any) -> list[tuple[str, str]]:
    job = world.job_context()
    state = await workspace_state(job, world.workspace_id)
    async with world.db.session(world.workspace_id) as s:
        ctx = workspace_context(job, s, world.workspace_id, state)
        return [(p.path, p.message) for p in await check_segment(ctx, segment)]


def has(tag: int, match: str = "any") -> dict[str, Any]:
    return {"type": "tags.has_tags", "config": {"tag_ids": [tag], "match": match}}


async def test_nested_groups_of_plugin_and_core_conditions(world: World) -> None:
    vip, ng = await world.tag("VIP"), await world.tag("配信停止")
    aoi, ren, yui = world.friends["aoi"], world.friends["ren"], world.friends["yui"]
    for friend, tag in [(aoi, vip), (ren, vip), (ren, ng), (yui, vip)]:
        response = await world.client.put(f"/api/workspaces/{world.workspace_id}/tags/friends/{friend}/{tag}")
        assert response.status_code == 200
    await world.set_friend(aoi, last_inbound_at=datetime.now(UTC) - timedelta(days=2))

    assert await _ids(world, None) == {aoi, ren}  # blocked friends are left out unless asked for
    assert await _ids(world, None, following_only=False) == {aoi, ren, yui}
    assert await _ids(world, {"all": [has(vip)]}) == {aoi, ren}
    assert await _ids(world, {"all": [has(vip)]}, exclude={"all": [has(ng)]}) == {aoi}
    assert await _ids(world, {"all": [has(vip), {"not": has(ng)}]}) == {aoi}
    recent = {"type": "core.last_inbound", "config": {"within_days": 7}}
    quiet = {"type": "core.last_inbound", "config": {"not_within_days": 7}}
    assert await _ids(world, {"any": [recent, has(ng)]}) == {aoi, ren}
    assert await _ids(world, {"all": [quiet]}) == {ren}
    name = {"type": "core.display_name", "config": {"text": "AO", "match": "starts_with"}}
    assert await _ids(world, {"all": [name]}) == {aoi}
    blocked = {"type": "core.follow_status", "config": {"status": "blocked"}}
    assert await _ids(world, {"all": [blocked, has(vip)]}, following_only=False) == {yui}
    followed = {"type": "core.followed_between", "config": {"to": "2000-01-01"}}
    assert await _ids(world, {"all": [followed]}) == set()
    assert await _ids(world, {"all": [{"type": "core.followed_between", "config": {"within_days": 1}}]}) == {aoi, ren}


async def test_a_segment_is_one_statement(world: World) -> None:
    vip = await world.tag("VIP")
    never = {"type": "core.last_inbound", "config": {"never": True}}
    segment = {"any": [has(vip), {"not": {"all": [has(vip, "none"), never]}}]}
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = world.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert await _ids(world, segment) == set()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    [query] = [s for s in statements if "friends" in s and "tags_friend_tags" in s]
    assert query.upper().count("EXISTS") == 2


async def test_every_problem_of_a_segment_is_named(world: World) -> None:
    vip = await world.tag("VIP")
    problems = await _problems(
        world,
        {
            "all": [
                has(vip),
                {"type": "tags.has_tags", "config": {"tag_ids": [vip, 999_999]}},
                {"any": [{"type": "nosuch.thing", "config": {}}]},
                {"not": {"type": "core.followed_between", "config": {"from": "2026-02-01", "to": "2026-01-01"}}},
                {"type": "core.display_name", "config": {}},
            ]
        },
    )
    paths = [p for p, _ in problems]
    assert paths == [
        "$.all[1].config.tag_ids[1]",
        "$.all[2].any[0].type",
        "$.all[3].not.config.to",
        "$.all[4].config.text",
    ]
    assert await _problems(world, {"all": [], "any": []}) == [
        ("$", "all / any / not のどれか一つだけ / exactly one of all, any, not")
    ]
    assert [p for p, _ in await _problems(world, {"any": []})] == ["$.any"]
    assert [p for p, _ in await _problems(world, {"all": [{"type": "tags.has_tags"}]})] == ["$.all[0].config"]
    assert [p for p, _ in await _problems(world, [1])] == ["$"]
