"""Round-robin pools: the API, the weighted rotation, bulk turns, staff who leave, and fairness when many
friends are assigned at the same moment in concurrent transactions."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from typing import TYPE_CHECKING, Any

from enishi_assignment import pools, service
from enishi_assignment.models import Assignee, AssignmentChange, Pool
from sqlalchemy import func, select

from enishi import Friend

if TYPE_CHECKING:
    from tests.plugins.assignment.conftest import World


def paths(response: Any) -> list[str]:
    return [e["path"] for e in response.json()["errors"]]


async def assignee_names(world: World, friend_ids: list[int]) -> list[str]:
    names = {v: k for k, v in world.user_ids.items()}
    async with world.env.db.session() as s:
        found = dict(
            (f, u)
            for f, u in await s.execute(
                select(Assignee.friend_id, Assignee.user_id).where(Assignee.friend_id.in_(friend_ids))
            )
        )
    return [names[found[f]] if f in found else "-" for f in friend_ids]


async def turns(world: World, pool_id: int) -> int:
    async with world.env.db.session() as s:
        return int(await s.scalar(select(Pool.turns).where(Pool.id == pool_id)) or 0)


async def test_pool_api_and_validation(world: World) -> None:
    u = world.user_ids
    created = await world.call(
        "mika",
        "POST",
        "/pools",
        {"name": " 受付 ", "members": [{"user_id": u["aki"], "weight": 2}, {"user_id": u["ken"]}]},
    )
    assert created.status_code == 201, created.text
    pool = created.json()
    assert pool["name"] == "受付" and pool["turns"] == 0
    assert pool["members"] == [
        {"user_id": u["aki"], "display_name": "aki", "weight": 2, "is_staff": True},
        {"user_id": u["ken"], "display_name": "ken", "weight": 1, "is_staff": True},
    ]
    pool_id = pool["id"]

    bad: list[tuple[str, str, Any, int, list[str]]] = [
        ("POST", "/pools", {"name": "受付", "members": [{"user_id": u["aki"]}]}, 409, ["$.name"]),
        (
            "POST",
            "/pools",
            {"name": "x", "members": [{"user_id": u["aki"]}, {"user_id": u["saki"]}]},
            422,
            ["$.members[1].user_id"],
        ),
        (
            "POST",
            "/pools",
            {"name": "x", "members": [{"user_id": u["aki"]}, {"user_id": u["aki"]}]},
            422,
            ["$.members[1].user_id"],
        ),
        ("POST", "/pools", {"name": "x", "members": [{"user_id": u["boss"]}]}, 422, ["$.members[0].user_id"]),
        (
            "POST",
            "/pools",
            {"name": "x", "members": [{"user_id": u["aki"], "weight": 0}]},
            400,
            ["$.members[0].weight"],
        ),
        (
            "POST",
            "/pools",
            {"name": "x", "members": [{"user_id": u["aki"], "weight": 11}]},
            400,
            ["$.members[0].weight"],
        ),
        ("POST", "/pools", {"name": "x", "members": []}, 400, ["$.members"]),
        ("POST", "/pools", {"name": "   ", "members": [{"user_id": u["aki"]}]}, 400, ["$.name"]),
        ("POST", "/pools", {"name": "x" * 101, "members": [{"user_id": u["aki"]}]}, 400, ["$.name"]),
        ("PATCH", f"/pools/{pool_id}", {"members": [{"user_id": u["nomad"]}]}, 422, ["$.members[0].user_id"]),
        ("PATCH", f"/pools/{pool_id}", {"name": ""}, 400, ["$.name"]),
    ]
    for method, path, body, status, where in bad:
        response = await world.call("mika", method, path, body)
        assert response.status_code == status, (path, body, response.text)
        assert paths(response) == where, (path, body, response.json())
    listed = (await world.call("vi", "GET", "/pools")).json()
    assert [(p["name"], len(p["members"])) for p in listed] == [("受付", 2)]  # nothing of the above was saved

    renamed = await world.call(
        "mika", "PATCH", f"/pools/{pool_id}", {"name": "夜間", "members": [{"user_id": u["ken"]}]}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "夜間" and [m["user_id"] for m in renamed.json()["members"]] == [u["ken"]]
    # Operators assign friends but do not set up pools; viewers neither.
    assert (
        await world.call("aki", "POST", "/pools", {"name": "y", "members": [{"user_id": u["aki"]}]})
    ).status_code == 403
    assert (await world.call("aki", "DELETE", f"/pools/{pool_id}")).status_code == 403
    # Another workspace does not see the pool.
    assert (
        await world.call("saki", "GET", f"/pools/{pool_id}", workspace_id=world.other_workspace_id)
    ).status_code == 404
    assert (await world.call("mika", "DELETE", f"/pools/{pool_id}")).status_code == 204
    assert (await world.call("mika", "GET", f"/pools/{pool_id}")).status_code == 404
    assert (
        await world.call("mika", "PUT", f"/friends/{world.friends['aoi']}", {"pool_id": pool_id})
    ).status_code == 422


def test_rotation_interleaves_by_weight() -> None:
    assert pools.rotation(((1, 1),)) == (1,)
    assert pools.rotation(((1, 2), (2, 1))) == (1, 2, 1)
    assert pools.rotation(((1, 1), (2, 1), (3, 1))) == (1, 2, 3)
    cycle = pools.rotation(((1, 5), (2, 3), (3, 2)))
    assert Counter(cycle) == {1: 5, 2: 3, 3: 2}
    assert all(a != b for a, b in itertools.pairwise(cycle) if a != 1)  # smaller shares never bunch up


async def test_round_robin_one_friend_at_a_time_follows_the_weights(world: World) -> None:
    pool_id = await world.pool("受付", ("aki", 2), "ken")
    friends = await world.add_friends(6)
    for friend in friends:
        response = await world.call("mika", "PUT", f"/friends/{friend}", {"pool_id": pool_id})
        assert response.status_code == 200, response.text
    assert await assignee_names(world, friends) == ["aki", "ken", "aki", "aki", "ken", "aki"]
    assert await turns(world, pool_id) == 6
    async with world.env.db.session() as s:
        assert set(await s.scalars(select(AssignmentChange.pool_id))) == {pool_id}

    # keep_existing: an assigned friend neither changes nor uses up a turn.
    again = await world.call("mika", "PUT", f"/friends/{friends[0]}", {"pool_id": pool_id, "keep_existing": True})
    assert again.json() == {"friend_id": friends[0], "user_id": world.user_ids["aki"], "changed": False}
    assert await turns(world, pool_id) == 6

    # A member who leaves the staff is skipped (and shown as such) until they are back.
    await world.remove_staff("ken")
    more = await world.add_friends(3)
    for friend in more:
        await world.call("mika", "PUT", f"/friends/{friend}", {"pool_id": pool_id})
    assert await assignee_names(world, more) == ["aki", "aki", "aki"]
    [listed] = (await world.call("mika", "GET", "/pools")).json()
    assert [m["is_staff"] for m in listed["members"]] == [True, False]

    # With nobody left on the staff nothing happens, and no turn is used.
    await world.remove_staff("aki")
    last = (await world.add_friends(1))[0]
    response = await world.call("mika", "PUT", f"/friends/{last}", {"pool_id": pool_id})
    assert response.json() == {"friend_id": last, "user_id": None, "changed": False}
    assert await turns(world, pool_id) == 9


async def test_bulk_over_a_pool_shares_the_friends_evenly(world: World) -> None:
    pool_id = await world.pool("三人", "aki", "ken", "mika")
    friends = await world.add_friends(31)
    response = await world.call("mika", "POST", "/bulk", {"friend_ids": friends[:30], "pool_id": pool_id})
    assert response.json() == {"changed": 30, "events_emitted": True}
    names = await assignee_names(world, friends[:30])
    assert names[:6] == ["aki", "ken", "mika", "aki", "ken", "mika"]  # in friend-id order
    assert Counter(names) == {"aki": 10, "ken": 10, "mika": 10}
    events = world.recorder.take()
    assert len(events) == 30 and {e[3] for e in events} == {"bulk"}
    # Running it again with keep_existing changes nobody and uses no turn; the next friend continues the cycle.
    kept = await world.call("mika", "POST", "/bulk", {"friend_ids": friends, "pool_id": pool_id, "keep_existing": True})
    assert kept.json()["changed"] == 1
    assert await assignee_names(world, friends[30:]) == ["aki"]
    assert await turns(world, pool_id) == 31


async def test_concurrent_picks_keep_the_rotation_fair(world: World) -> None:
    """Many friends assigned through the pool at the same moment, each in its own transaction that holds its
    turn for a while: every turn is taken exactly once, so the shares come out exact."""
    pool_id = await world.pool("同時", "aki", "ken")
    friends = await world.add_friends(20)
    started = asyncio.Event()

    async def one(friend_id: int) -> None:
        ctx = world.context()
        async with ctx.session, ctx.session.begin():
            await started.wait()
            await service.assign_from_pool(ctx, service.friends_by_id([friend_id]), pool_id, source="scenario")
            await asyncio.sleep(0.01)  # hold the counter row while the others queue for it

    tasks = [asyncio.create_task(one(f)) for f in friends]
    await asyncio.sleep(0.05)
    started.set()
    await asyncio.gather(*tasks)
    names = await assignee_names(world, friends)
    assert Counter(names) == {"aki": 10, "ken": 10}
    assert await turns(world, pool_id) == 20

    # A pick that rolls back gives its turn back.
    ctx = world.context()
    extra = (await world.add_friends(1))[0]
    async with ctx.session, ctx.session.begin():
        await service.assign_from_pool(ctx, service.friends_by_id([extra]), pool_id, source="scenario")
        assert await ctx.session.scalar(select(Pool.turns).where(Pool.id == pool_id)) == 21
        await ctx.session.rollback()
    assert await turns(world, pool_id) == 20
    async with world.env.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Friend).where(Friend.id == extra)) == 1
        assert await s.scalar(select(func.count()).select_from(Assignee).where(Assignee.friend_id == extra)) == 0
