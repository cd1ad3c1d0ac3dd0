"""The node types and the friend field against the real database: the condition's SQL, the assign and
notify_staff actions (one friend, bulk, re-runs), config checks against the workspace, trigger matching."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from enishi_assignment import fields, nodes
from enishi_assignment.events import ASSIGNED
from enishi_assignment.models import Assignee, Notification
from sqlalchemy import func, select

from enishi import DomainEvent, Friend, InvalidConfig, check_node_config, evaluate_condition, run_action

if TYPE_CHECKING:
    from tests.plugins.assignment.conftest import World


async def segment(world: World, config: Mapping[str, Any], workspace_id: int | None = None) -> set[int]:
    """The friends an assignee_is condition selects, as a segment query in a scoped session."""
    ctx = world.context(workspace_id)
    async with ctx.session:
        return set(await ctx.session.scalars(select(Friend.id).where(nodes.compile_assignee_is(ctx, config))))


async def problems(world: World, kind: str, key: str, config: Any) -> list[tuple[str, str]]:
    ctx = world.context()
    async with ctx.session:
        return [(p.path, p.message) for p in await check_node_config(ctx, kind, key, None, config)]  # type: ignore[arg-type]


async def test_assignee_is_condition(world: World) -> None:
    f, u = world.friends, world.user_ids
    await world.assign(aoi="aki", ren="ken")
    await world.call("saki", "PUT", f"/friends/{world.stranger}", {"user_id": u["saki"]}, world.other_workspace_id)
    everyone = set(f.values())
    assert await segment(world, {"match": "any_of", "user_ids": [u["aki"]]}) == {f["aoi"]}
    assert await segment(world, {"match": "any_of", "user_ids": [u["aki"], u["ken"]]}) == {f["aoi"], f["ren"]}
    assert await segment(world, {"match": "not_any_of", "user_ids": [u["aki"]]}) == {f["ren"], f["yui"]}
    assert await segment(world, {"match": "anybody"}) == {f["aoi"], f["ren"]}
    assert await segment(world, {"match": "nobody"}) == {f["yui"]}
    assert await segment(world, {"match": "any_of", "user_ids": [u["saki"]]}) == set()
    assert await segment(world, {"match": "anybody"}, world.other_workspace_id) == {world.stranger}
    with pytest.raises(ValueError):
        await segment(world, {"match": "some"})

    # Someone who leaves the staff: their friends are nobody's, in segments and in branches alike.
    await world.remove_staff("ken")
    assert await segment(world, {"match": "nobody"}) == {f["ren"], f["yui"]}
    assert await segment(world, {"match": "any_of", "user_ids": [u["ken"]]}) == set()
    assert await segment(world, {"match": "not_any_of", "user_ids": [u["aki"]]}) == everyone - {f["aoi"]}
    ctx = world.context()
    async with ctx.session:
        branch = {
            name: await evaluate_condition(ctx, "assignment.assignee_is", None, fid, {"match": "anybody"})
            for name, fid in f.items()
        }
        following_and_assigned = await ctx.session.scalar(
            select(func.count())
            .select_from(Friend)
            .where(nodes.compile_assignee_is(ctx, {"match": "anybody"}), Friend.status == "following")
        )
    assert branch == {"aoi": True, "ren": False, "yui": False}
    assert following_and_assigned == 1


async def test_assign_action_for_one_friend(world: World) -> None:
    f, u = world.friends, world.user_ids
    pool_id = await world.pool("受付", "ken", "aki")
    ctx = world.action_context(source="scenario")
    async with ctx.session, ctx.session.begin():
        run = nodes.run_assign
        assert await run(ctx, f["aoi"], {"user_id": u["aki"]}) == {"changed": True, "user_id": u["aki"]}
        assert await run(ctx, f["aoi"], {"user_id": u["aki"]}) == {"changed": False, "user_id": u["aki"]}
        assert await run(ctx, f["aoi"], {"pool_id": pool_id, "keep_existing": True}) == {
            "changed": False,
            "user_id": u["aki"],
        }
        assert await run(ctx, f["ren"], {"pool_id": pool_id}) == {"changed": True, "user_id": u["ken"]}
        assert await run(ctx, f["aoi"], {"unassign": True}) == {"changed": True, "user_id": None}
        with pytest.raises(LookupError):
            await run(ctx, world.stranger, {"user_id": u["aki"]})
        with pytest.raises(InvalidConfig) as refused:
            await run(ctx, f["yui"], {"user_id": u["nomad"]})
        assert [p.path for p in refused.value.problems] == ["$.user_id"]
    assert world.recorder.take() == [
        (f["aoi"], None, u["aki"], "scenario"),
        (f["ren"], None, u["ken"], "scenario"),
        (f["aoi"], u["aki"], None, "scenario"),
    ]

    # Through the core's run_action, as the engine runs a step: the config is checked against the workspace.
    ctx = world.action_context()
    async with ctx.session, ctx.session.begin():
        done = await run_action(
            ctx, "assignment.assign", None, f["yui"], {"user_id": u["ken"]}, idempotency_key="k1", source="scenario"
        )
        assert done == {"changed": True, "user_id": u["ken"]}
        for config, path in [
            ({"user_id": u["saki"]}, "$.user_id"),
            ({"pool_id": pool_id + 1}, "$.pool_id"),
            ({"user_id": u["aki"], "pool_id": pool_id}, "$"),
        ]:
            with pytest.raises(InvalidConfig) as bad:
                await run_action(ctx, "assignment.assign", None, f["yui"], config, idempotency_key="k2", source="s")
            assert [p.path for p in bad.value.problems] == [path]


async def test_assign_bulk_actions_are_set_based_and_stay_in_the_workspace(world: World) -> None:
    f, u = world.friends, world.user_ids
    ctx = world.context()
    everyone = select(Friend.id).execution_options(all_workspaces=True)  # even a foreign id must be skipped
    following = select(Friend.id).where(Friend.status == "following")
    async with ctx.session, ctx.session.begin():
        assert await nodes.run_assign_bulk(ctx, following, {"user_id": u["aki"]}) == 2
        assert await nodes.run_assign_bulk(ctx, everyone, {"user_id": u["aki"]}) == 1
        assert await nodes.run_assign_bulk(ctx, everyone, {"user_id": u["ken"], "keep_existing": True}) == 0
        assert await nodes.run_assign_bulk(ctx, following, {"unassign": True}) == 2
        assert await nodes.run_assign_bulk(ctx, everyone, {"unassign": True}) == 1
        assert await nodes.run_assign_bulk(ctx, everyone, {"unassign": True}) == 0
        with pytest.raises(InvalidConfig):
            await nodes.run_assign_bulk(ctx, everyone, {"user_id": u["saki"]})
    async with world.env.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Assignee)) == 0
    assert {e[3] for e in world.recorder.take()} == {"bulk"}

    # A caller's select with its own LIMIT stays a query of its own.
    ctx = world.context()
    pool_id = await world.pool("二人", "aki", "ken")
    first_two = select(Friend.id).order_by(Friend.id).limit(2)
    async with ctx.session, ctx.session.begin():
        assert await nodes.run_assign_bulk(ctx, first_two, {"pool_id": pool_id}) == 2
    async with world.env.db.session() as s:
        rows = dict((fid, uid) for fid, uid in await s.execute(select(Assignee.friend_id, Assignee.user_id)))
    assert rows == {f["aoi"]: u["aki"], f["ren"]: u["ken"]}


async def test_config_checks(world: World) -> None:
    u = world.user_ids
    pool_id = await world.pool("受付", "aki")
    ok: list[tuple[str, str, Any]] = [
        ("triggers", "assignment.assigned", {}),
        ("triggers", "assignment.assigned", {"to_user_ids": [u["aki"]]}),
        ("actions", "assignment.assign", {"user_id": u["aki"], "keep_existing": True}),
        ("actions", "assignment.assign", {"pool_id": pool_id}),
        ("actions", "assignment.assign", {"unassign": True}),
        ("conditions", "assignment.assignee_is", {"match": "nobody"}),
        ("conditions", "assignment.assignee_is", {"match": "not_any_of", "user_ids": [u["ken"]]}),
        ("actions", "assignment.notify_staff", {"to": "assignee", "message": "{{ friend.display_name }}さん"}),
        ("actions", "assignment.notify_staff", {"to": "user_ids", "user_ids": [u["vi"]], "message": "確認"}),
    ]
    for kind, key, config in ok:
        assert await problems(world, kind, key, config) == [], (key, config)

    bad: list[tuple[str, str, Any, list[str]]] = [
        ("triggers", "assignment.assigned", {"to_user_ids": [u["aki"], u["saki"]]}, ["$.to_user_ids[1]"]),
        ("triggers", "assignment.assigned", {"to_user_ids": []}, ["$.to_user_ids"]),
        ("actions", "assignment.assign", {}, ["$"]),
        ("actions", "assignment.assign", {"user_id": u["aki"], "unassign": True}, ["$"]),
        ("actions", "assignment.assign", {"unassign": False}, ["$.unassign"]),
        ("actions", "assignment.assign", {"unassign": True, "keep_existing": True}, ["$.keep_existing"]),
        ("actions", "assignment.assign", {"user_id": "aki"}, ["$.user_id"]),
        ("actions", "assignment.assign", {"user_id": u["boss"]}, ["$.user_id"]),
        ("actions", "assignment.assign", {"pool_id": pool_id + 100}, ["$.pool_id"]),
        ("actions", "assignment.assign", {"user_id": u["aki"], "extra": 1}, ["$.extra"]),
        ("conditions", "assignment.assignee_is", {"match": "any_of"}, ["$.user_ids"]),
        ("conditions", "assignment.assignee_is", {"match": "any_of", "user_ids": [u["nomad"]]}, ["$.user_ids[0]"]),
        ("conditions", "assignment.assignee_is", {"match": "everyone"}, ["$.match"]),
        ("actions", "assignment.notify_staff", {"to": "user_ids", "message": "x"}, ["$.user_ids"]),
        ("actions", "assignment.notify_staff", {"to": "assignee", "message": "  "}, ["$.message"]),
        ("actions", "assignment.notify_staff", {"to": "assignee", "message": "x" * 1001}, ["$.message"]),
        ("actions", "assignment.notify_staff", {"to": "assignee", "message": "{{friend.phone}}"}, ["$.message"]),
        (
            "actions",
            "assignment.notify_staff",
            {"to": "user_ids", "user_ids": [u["mika"], u["saki"]], "message": "x"},
            ["$.user_ids[1]"],
        ),
    ]
    for kind, key, config, where in bad:
        found = await problems(world, kind, key, config)
        assert [p for p, _ in found] == where, (key, config, found)

    # A pool deleted after a scenario was saved, and a staff member who left, are reported.
    await world.call("mika", "DELETE", f"/pools/{pool_id}")
    await world.remove_staff("aki")
    assert [p for p, _ in await problems(world, "actions", "assignment.assign", {"pool_id": pool_id})] == ["$.pool_id"]
    assert [p for p, _ in await problems(world, "actions", "assignment.assign", {"user_id": u["aki"]})] == ["$.user_id"]


def event(to_user_id: int | None, from_user_id: int | None = None) -> DomainEvent:
    data = {"from_user_id": from_user_id, "to_user_id": to_user_id, "source": "manual"}
    return DomainEvent(ASSIGNED, 1, 7, datetime(2026, 1, 1, tzinfo=UTC), data)


async def test_assigned_trigger_matches(world: World) -> None:
    trigger = nodes.assigned
    assert trigger.listens_to == ("assignment.assigned",)
    assert trigger.matches({}, event(5))
    assert trigger.matches({"to_user_ids": [4, 5]}, event(5, from_user_id=4))
    assert not trigger.matches({"to_user_ids": [4]}, event(5, from_user_id=4))
    assert not trigger.matches({}, event(None, from_user_id=5))  # unassigning starts nothing

    # And an event the API really emitted matches a trigger configured for its assignee.
    await world.call("mika", "PUT", f"/friends/{world.friends['aoi']}", {"user_id": world.user_ids["ken"]})
    [emitted] = world.recorder.events
    assert emitted.workspace_id == world.workspace_id and emitted.friend_id == world.friends["aoi"]
    assert trigger.matches({"to_user_ids": [world.user_ids["ken"]]}, emitted)
    assert not trigger.matches({"to_user_ids": [world.user_ids["aki"]]}, emitted)


async def notifications_of(world: World) -> list[tuple[int, int | None, str, str]]:
    async with world.env.db.session() as s:
        rows = await s.execute(
            select(Notification.user_id, Notification.friend_id, Notification.text, Notification.source).order_by(
                Notification.id
            )
        )
        return [(u, f, t, src) for u, f, t, src in rows]


async def test_notify_staff_writes_one_row_per_recipient_once(world: World) -> None:
    f, u = world.friends, world.user_ids
    await world.assign(aoi="aki")
    message = {"to": "assignee", "message": "{{friend.display_name}}さんから問い合わせ"}

    ctx = world.action_context(idempotency_key="step-1")
    async with ctx.session, ctx.session.begin():
        assert await nodes.run_notify(ctx, f["aoi"], message) == {"notified": [u["aki"]]}
        # The same step again (a duplicate job): nobody is notified twice.
        assert await nodes.run_notify(ctx, f["aoi"], message) == {"notified": []}
    ctx = world.action_context(idempotency_key="step-1")
    async with ctx.session, ctx.session.begin():
        assert await nodes.run_notify(ctx, f["aoi"], message) == {"notified": []}
    assert await notifications_of(world) == [(u["aki"], f["aoi"], "aoiさんから問い合わせ", "scenario")]

    # A step that crashed and rolled back leaves nothing, so its re-run notifies.
    ctx = world.action_context(idempotency_key="step-2")
    async with ctx.session:
        async with ctx.session.begin():
            await nodes.run_notify(ctx, f["aoi"], message)
            await ctx.session.rollback()
        async with ctx.session.begin():
            assert await nodes.run_notify(ctx, f["aoi"], message) == {"notified": [u["aki"]]}

    # Listed staff: each gets one; someone who left the staff is skipped.
    await world.remove_staff("vi")
    listed = {"to": "user_ids", "user_ids": [u["ken"], u["vi"], u["mika"]], "message": "確認してください"}
    ctx = world.action_context(idempotency_key="step-3", source="route")
    async with ctx.session, ctx.session.begin():
        assert await nodes.run_notify(ctx, f["ren"], listed) == {"notified": sorted([u["ken"], u["mika"]])}

    # To the assignee, with nobody assigned: the listed staff instead, or nobody at all.
    ctx = world.action_context(idempotency_key="step-4")
    async with ctx.session, ctx.session.begin():
        fallback = {"to": "assignee", "user_ids": [u["mika"]], "message": "未割り当て: {{friend.display_name}}"}
        assert await nodes.run_notify(ctx, f["yui"], fallback) == {"notified": [u["mika"]]}
        assert await nodes.run_notify(ctx, f["ren"], message) == {"notified": []}
        with pytest.raises(LookupError):
            await nodes.run_notify(ctx, world.stranger, message)
    assert sorted((user, text) for user, _, text, _ in (await notifications_of(world))[-3:]) == sorted(
        [(u["ken"], "確認してください"), (u["mika"], "確認してください"), (u["mika"], "未割り当て: yui")]
    )


async def test_friend_field_loads_and_sorts_by_assignee(world: World) -> None:
    f, u = world.friends, world.user_ids
    await world.assign(aoi="ken", ren="aki")
    ctx = world.context()
    async with ctx.session:
        [descriptor] = await fields.describe(ctx)
        loaded = await fields.load(ctx, [*f.values(), world.stranger], ["assignee"])
        other_keys = await fields.load(ctx, list(f.values()), ["tags"])
        column = fields.column(ctx, "assignee")
        ordered = list(
            await ctx.session.scalars(select(Friend.display_name).order_by(column.asc().nulls_last(), Friend.id))
        )
        with pytest.raises(KeyError):
            fields.column(ctx, "birthday")
    assert descriptor.key == "assignee" and descriptor.sortable
    assert loaded == {
        f["aoi"]: {"assignee": {"user_id": u["ken"], "display_name": "ken"}},
        f["ren"]: {"assignee": {"user_id": u["aki"], "display_name": "aki"}},
    }
    assert other_keys == {}
    assert ordered == ["ren", "aoi", "yui"]  # aki, ken, nobody

    await world.remove_staff("ken")
    ctx = world.context()
    async with ctx.session:
        assert set(await fields.load(ctx, list(f.values()), ["assignee"])) == {f["ren"]}
