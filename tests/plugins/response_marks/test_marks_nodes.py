"""The mark nodes and friend field against the real database, run through the core's public node helpers the way
the scenario engine and segments run them: trigger matching, set_mark (one friend and bulk), mark_is, check_config."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from enishi_response_marks import fields, nodes
from enishi_response_marks.events import MARK_CHANGED
from enishi_response_marks.models import FriendMark, MarkChange
from sqlalchemy import select

from enishi import DomainEvent, Friend, InvalidConfig, check_node_config, evaluate_condition, run_action

if TYPE_CHECKING:
    from tests.plugins.response_marks.conftest import MarksWorld


def change(to: int | None, was: int | None = None) -> DomainEvent:
    data = {"from_mark_id": was, "to_mark_id": to, "source": "manual"}
    return DomainEvent(MARK_CHANGED, 1, 7, datetime(2026, 1, 1, tzinfo=UTC), data)


async def segment(world: MarksWorld, config: Mapping[str, Any], workspace_id: int | None = None) -> set[int]:
    """The friends a mark_is condition selects, as a segment query in a scoped session."""
    ctx = world.context(workspace_id)
    async with ctx.session:
        expr = nodes.compile_mark_is(ctx, config)
        return set(await ctx.session.scalars(select(Friend.id).where(expr)))


async def test_trigger_matches_the_chosen_marks(world: MarksWorld) -> None:
    match = nodes.mark_changed_matches
    assert nodes.mark_changed.listens_to == (MARK_CHANGED,)
    assert match({}, change(1)) and match({}, change(None, 1))  # nothing chosen: every change
    assert match({"to_mark_ids": [1, 2]}, change(2, 3))
    assert not match({"to_mark_ids": [1, 2]}, change(3))
    assert not match({"to_mark_ids": [1]}, change(None, 1))  # a clear is not "to 1"
    assert match({"to_no_mark": True}, change(None, 1))
    assert not match({"to_no_mark": True}, change(1))
    assert match({"to_mark_ids": [1], "to_no_mark": True}, change(1))
    assert match({"from_mark_ids": [3]}, change(1, 3)) and not match({"from_mark_ids": [3]}, change(1, None))
    assert match({"from_no_mark": True}, change(1, None)) and not match({"from_no_mark": True}, change(1, 2))
    assert match({"to_mark_ids": [1], "from_mark_ids": [2]}, change(1, 2))
    assert not match({"to_mark_ids": [1], "from_mark_ids": [2]}, change(1, 3))
    assert not match({}, DomainEvent("tags.tag_added", 1, 7, datetime.now(UTC), {"tag_id": 1}))

    # An event the API really emitted matches a trigger for its marks.
    m = world.marks
    await world.set("aoi", m["要対応"])
    await world.set("aoi", m["対応済"])
    [first, second] = world.recorder.events
    assert first.workspace_id == world.workspace_id and first.friend_id == world.friends["aoi"]
    assert match({"from_no_mark": True}, first) and not match({"from_no_mark": True}, second)
    assert match({"to_mark_ids": [m["対応済"]], "from_mark_ids": [m["要対応"]]}, second)


async def test_config_schemas_and_references(world: MarksWorld) -> None:
    m = world.marks
    theirs = await world.mark("他店", workspace_id=world.other_workspace_id)
    ctx = world.context()

    async def problems(kind: Any, key: str, config: Any) -> list[tuple[str, str]]:
        found = await check_node_config(ctx, kind, f"response_marks.{key}", None, config)
        return [(p.path, p.message) for p in found]

    async with ctx.session:
        assert await problems("triggers", "mark_changed", {}) == []
        assert await problems("triggers", "mark_changed", {"to_mark_ids": [m["要対応"]], "from_no_mark": True}) == []
        bad_trigger = await problems(
            "triggers", "mark_changed", {"to_mark_ids": [m["要対応"], 999_999], "from_mark_ids": [theirs]}
        )
        assert [p for p, _ in bad_trigger] == ["$.to_mark_ids[1]", "$.from_mark_ids[0]"]
        assert "削除" in bad_trigger[0][1]
        for bad in ({"to_mark_ids": [0]}, {"to_mark_ids": [1, 1]}, {"to_no_mark": "yes"}, {"to": [1]}):
            assert await problems("triggers", "mark_changed", bad), bad

        assert await problems("actions", "set_mark", {"mark_id": m["対応中"]}) == []
        assert await problems("actions", "set_mark", {"mark_id": None}) == []  # clears
        assert [p for p, _ in await problems("actions", "set_mark", {"mark_id": theirs})] == ["$.mark_id"]
        for bad in ({}, {"mark_id": 0}, {"mark_id": "1"}, {"mark_id": 1, "x": 1}):
            assert await problems("actions", "set_mark", bad), bad

        for good in (
            {"mark_ids": [m["要対応"]]},
            {"mark_ids": [m["要対応"]], "match": "none"},
            {"no_mark": True},
            {"mark_ids": [], "no_mark": True, "match": "none"},
        ):
            assert await problems("conditions", "mark_is", good) == [], good
        assert [p for p, _ in await problems("conditions", "mark_is", {"mark_ids": [1, 999_999]})] == ["$.mark_ids[1]"]
        for bad in ({}, {"mark_ids": []}, {"no_mark": False}, {"mark_ids": [1], "match": "all"}):
            assert await problems("conditions", "mark_is", bad), bad

    # A deleted mark makes a saved config invalid.
    await world.client.delete(world.url(f"/marks/{m['対応中']}"))
    async with ctx.session:
        assert await problems("actions", "set_mark", {"mark_id": m["対応中"]})


async def test_set_mark_for_one_friend(world: MarksWorld) -> None:
    m, aoi = world.marks, world.friends["aoi"]
    ctx = world.action_context(source="scenario")
    key = "response_marks.set_mark"

    async def run(config: Mapping[str, Any]) -> Mapping[str, Any]:
        return await run_action(ctx, key, None, aoi, config, idempotency_key=ctx.idempotency_key, source="scenario")

    async with ctx.session.begin():
        assert await run({"mark_id": m["要対応"]}) == {"changed": True, "mark_id": m["要対応"]}
        assert await run({"mark_id": m["要対応"]}) == {"changed": False, "mark_id": m["要対応"]}  # a re-run
        assert await run({"mark_id": None}) == {"changed": True, "mark_id": None}
    async with world.env.db.session(world.workspace_id) as s:
        rows = [(h.from_mark_id, h.to_mark_id, h.source) for h in await s.scalars(select(MarkChange))]
    assert rows == [(None, m["要対応"], "scenario"), (m["要対応"], None, "scenario")]
    assert world.recorder.take() == [(aoi, None, m["要対応"], "scenario"), (aoi, m["要対応"], None, "scenario")]

    theirs = await world.mark("他店", workspace_id=world.other_workspace_id)
    ctx = world.action_context()
    async with ctx.session.begin():
        # A saved step whose mark was deleted since (or never was this workspace's): skipped and said so.
        for gone in (theirs, 999_999):
            assert await run_action(ctx, key, None, aoi, {"mark_id": gone}, idempotency_key="k", source="s") == {
                "changed": False,
                "skipped": "mark_not_found",
            }
        with pytest.raises(InvalidConfig):  # the schema is still checked before it runs
            await run_action(ctx, key, None, aoi, {"mark_id": "1"}, idempotency_key="k", source="s")
        with pytest.raises(LookupError):
            await nodes.run_set_mark(ctx, world.stranger, {"mark_id": m["要対応"]})
    assert await world.current() == {} and await world.current(world.other_workspace_id) == {}


async def test_set_mark_in_bulk_is_set_based_and_stays_in_the_workspace(world: MarksWorld) -> None:
    m, f = world.marks, world.friends
    await world.set("aoi", m["対応済"])
    world.recorder.take()
    ctx = world.context(actor_user_id=world.owner_id)
    everyone = select(Friend.id).execution_options(all_workspaces=True)  # even a foreign id must be skipped
    following = select(Friend.id).where(Friend.status == "following")
    # A caller's select naming friends and marks side by side must stay a query of its own.
    first_done = (
        select(Friend.id)
        .where(FriendMark.friend_id == Friend.id, FriendMark.mark_id == m["対応済"])
        .order_by(Friend.id)
        .limit(1)
    )
    async with ctx.session.begin():
        assert await nodes.run_set_mark_bulk(ctx, following, {"mark_id": m["要対応"]}) == 2
        assert await nodes.run_set_mark_bulk(ctx, following, {"mark_id": m["要対応"]}) == 0
        assert await nodes.run_set_mark_bulk(ctx, everyone, {"mark_id": m["対応中"]}) == 3
        assert await nodes.run_set_mark_bulk(ctx, everyone, {"mark_id": 999_999}) == 0  # deleted meanwhile
        assert await nodes.run_set_mark_bulk(ctx, first_done, {"mark_id": None}) == 0  # nobody is 対応済 now
    assert await world.current() == {f[n]: m["対応中"] for n in ("aoi", "ren", "yui")}
    assert await world.current(world.other_workspace_id) == {}
    assert len(world.recorder.take()) == 5

    async with ctx.session.begin():
        assert await nodes.run_set_mark_bulk(ctx, select(Friend.id), {"mark_id": None}) == 3
    assert await world.current() == {}
    async with world.env.db.session(world.workspace_id) as s:
        sources = {(h.source, h.user_id) for h in await s.scalars(select(MarkChange).where(MarkChange.id > 1))}
    assert sources == {("bulk", world.owner_id)}


async def test_mark_is_condition(world: MarksWorld) -> None:
    m, f = world.marks, world.friends
    await world.set("aoi", m["要対応"])
    await world.set("ren", m["対応中"])
    theirs = await world.mark("要対応2", workspace_id=world.other_workspace_id)
    there = world.url(f"/friends/{world.stranger}", world.other_workspace_id)
    assert (await world.client.put(there, json={"mark_id": theirs})).status_code == 200

    assert await segment(world, {"mark_ids": [m["要対応"]]}) == {f["aoi"]}
    assert await segment(world, {"mark_ids": [m["要対応"], m["対応中"]]}) == {f["aoi"], f["ren"]}
    assert await segment(world, {"mark_ids": [m["要対応"]], "match": "none"}) == {f["ren"], f["yui"]}
    assert await segment(world, {"no_mark": True}) == {f["yui"]}
    assert await segment(world, {"no_mark": True, "match": "none"}) == {f["aoi"], f["ren"]}
    assert await segment(world, {"mark_ids": [m["要対応"]], "no_mark": True}) == {f["aoi"], f["yui"]}
    assert await segment(world, {"mark_ids": [theirs]}) == set()
    assert await segment(world, {"mark_ids": [theirs]}, world.other_workspace_id) == {world.stranger}
    assert await segment(world, {"no_mark": True}, world.other_workspace_id) == set()
    with pytest.raises(ValueError):
        await segment(world, {"mark_ids": [1], "match": "all"})

    # The same expression as a scenario branch for one friend, through the core's helper.
    ctx = world.context()
    async with ctx.session:
        branch = {
            name: await evaluate_condition(ctx, "response_marks.mark_is", None, fid, {"mark_ids": [m["要対応"]]})
            for name, fid in f.items()
        }
    assert branch == {"aoi": True, "ren": False, "yui": False}


async def test_friend_field_and_sortable_column(world: MarksWorld) -> None:
    m, f = world.marks, world.friends
    await world.set("aoi", m["対応済"])
    await world.set("ren", m["要対応"])
    ctx = world.context()
    async with ctx.session:
        [descriptor] = await fields.describe(ctx)
        loaded = await fields.load(ctx, [*f.values(), world.stranger], ["mark"])
        other_keys = await fields.load(ctx, list(f.values()), ["birthday"])
        column = fields.column(ctx, "mark")
        by_mark = list(await ctx.session.scalars(select(Friend.id).order_by(column, Friend.id)))
        with pytest.raises(KeyError):
            fields.column(ctx, "birthday")
    assert descriptor.key == "mark" and descriptor.sortable
    assert loaded == {
        f["aoi"]: {"mark": {"id": m["対応済"], "label": "対応済", "color": "#43a047"}},
        f["ren"]: {"mark": {"id": m["要対応"], "label": "要対応", "color": "#e53935"}},
    }
    assert other_keys == {}
    assert by_mark == [f["ren"], f["aoi"], f["yui"]]  # mark-list order, unmarked last on both databases

    # Reordering the marks reorders the column.
    order = [m["対応済"], m["対応中"], m["要対応"]]
    assert (await world.client.put(world.url("/marks/order"), json={"mark_ids": order})).status_code == 200
    ctx = world.context()
    async with ctx.session:
        by_mark = list(await ctx.session.scalars(select(Friend.id).order_by(fields.column(ctx, "mark"), Friend.id)))
    assert by_mark == [f["aoi"], f["ren"], f["yui"]]
