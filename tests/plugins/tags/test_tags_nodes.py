"""The tag nodes and friend field against the real database: condition SQL, actions, trigger matching."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from enishi_tags import fields, nodes
from enishi_tags.events import TAG_ADDED, TAG_REMOVED
from enishi_tags.models import FriendTag
from sqlalchemy import func, select

from enishi import DomainEvent, Friend

if TYPE_CHECKING:
    from tests.plugins.tags.conftest import TagsWorld


async def tag_friends(world: TagsWorld, **tags_of: list[int]) -> None:
    """Tag the named friends of the first workspace through the API, e.g. ``aoi=[a, b]``."""
    for name, tag_ids in tags_of.items():
        for tag_id in tag_ids:
            response = await world.client.put(world.url(f"/friends/{world.friends[name]}/{tag_id}"))
            assert response.status_code == 200, response.text
    world.recorder.take()


async def segment(world: TagsWorld, config: Mapping[str, Any], workspace_id: int | None = None) -> set[int]:
    """The friends a has_tags condition selects, as a segment query in a scoped session."""
    ctx = world.context(workspace_id)
    async with ctx.session:
        expr = nodes.compile_has_tags(ctx, config)
        return set(await ctx.session.scalars(select(Friend.id).where(expr)))


async def links(world: TagsWorld) -> dict[tuple[int, int], str]:
    async with world.env.db.session() as s:  # unscoped: every workspace
        return {
            (f, t): src
            for f, t, src in await s.execute(select(FriendTag.friend_id, FriendTag.tag_id, FriendTag.source))
        }


async def test_has_tags_any_all_none(world: TagsWorld) -> None:
    a, b, c = await world.tag("A"), await world.tag("B"), await world.tag("C")
    f = world.friends
    await tag_friends(world, aoi=[a, b], ren=[a], yui=[c])
    # The other workspace has a friend with a same-named tag; it must never show up.
    theirs = await world.tag("A", workspace_id=world.other_workspace_id)
    await world.client.put(world.url(f"/friends/{world.stranger}/{theirs}", world.other_workspace_id))

    assert await segment(world, {"tag_ids": [a], "match": "any"}) == {f["aoi"], f["ren"]}
    assert await segment(world, {"tag_ids": [a, c]}) == set(f.values())  # "any" is the default
    assert await segment(world, {"tag_ids": [a, b], "match": "all"}) == {f["aoi"]}
    assert await segment(world, {"tag_ids": [a, a, b], "match": "all"}) == {f["aoi"]}  # duplicates don't count
    assert await segment(world, {"tag_ids": [b, c], "match": "all"}) == set()
    assert await segment(world, {"tag_ids": [a], "match": "none"}) == {f["yui"]}
    assert await segment(world, {"tag_ids": [a, c], "match": "none"}) == set()
    assert await segment(world, {"tag_ids": [theirs], "match": "any"}) == set()
    assert await segment(world, {"tag_ids": [theirs], "match": "none"}) == set(f.values())
    assert await segment(world, {"tag_ids": [theirs]}, world.other_workspace_id) == {world.stranger}
    with pytest.raises(ValueError):
        await segment(world, {"tag_ids": [a], "match": "some"})

    # The same expression as a scenario branch for one friend, and combined with other criteria.
    ctx = world.context()
    async with ctx.session:
        has_a = nodes.compile_has_tags(ctx, {"tag_ids": [a], "match": "any"})
        branch = {
            name: bool(await ctx.session.scalar(select(has_a).select_from(Friend).where(Friend.id == fid)))
            for name, fid in f.items()
        }
        following_with_a = await ctx.session.scalar(
            select(func.count()).select_from(Friend).where(has_a, Friend.status == "following")
        )
    assert branch == {"aoi": True, "ren": True, "yui": False}
    assert following_with_a == 2


async def test_add_and_remove_actions_for_one_friend(world: TagsWorld) -> None:
    a, b = await world.tag("A"), await world.tag("B")
    aoi = world.friends["aoi"]
    ctx = world.action_context(source="scenario")
    async with ctx.session.begin():
        assert await nodes.run_add_tag(ctx, aoi, {"tag_ids": [a, b]}) == {"changed": 2}
        assert await nodes.run_add_tag(ctx, aoi, {"tag_ids": [a, 999_999]}) == {
            "changed": 0
        }  # a deleted tag is skipped
        assert await nodes.run_remove_tag(ctx, aoi, {"tag_ids": [b]}) == {"changed": 1}
        with pytest.raises(LookupError):
            await nodes.run_add_tag(ctx, world.stranger, {"tag_ids": [a]})
    assert await links(world) == {(aoi, a): "scenario"}
    assert world.recorder.take() == [
        (TAG_ADDED, aoi, a, "scenario"),
        (TAG_ADDED, aoi, b, "scenario"),
        (TAG_REMOVED, aoi, b, "scenario"),
    ]


async def test_bulk_actions_are_set_based_and_stay_in_the_workspace(world: TagsWorld) -> None:
    a, b, c = await world.tag("A"), await world.tag("B"), await world.tag("C")
    f = world.friends
    await tag_friends(world, aoi=[a])
    theirs = await world.tag("A", workspace_id=world.other_workspace_id)
    ctx = world.context()
    everyone = select(Friend.id).execution_options(all_workspaces=True)  # even a foreign id must be skipped
    following = select(Friend.id).where(Friend.status == "following")
    # A caller's select naming friends and links side by side (two FROMs) must stay a query of its own; merged
    # into the action's own FROM friends, its LIMIT would apply per friend instead of once.
    first_holder_of_a = (
        select(Friend.id).where(FriendTag.friend_id == Friend.id, FriendTag.tag_id == a).order_by(Friend.id).limit(1)
    )
    blocked_holders_of_a = (
        select(Friend.id).join(FriendTag, FriendTag.friend_id == Friend.id).where(FriendTag.tag_id == a)
    ).where(Friend.status == "blocked")
    async with ctx.session.begin():
        assert await nodes.run_add_tag_bulk(ctx, everyone, {"tag_ids": [a, theirs]}) == 2  # ren and yui get A
        assert await nodes.run_add_tag_bulk(ctx, everyone, {"tag_ids": [a]}) == 0
        assert await nodes.run_add_tag_bulk(ctx, following, {"tag_ids": [b]}) == 2
        assert await nodes.run_add_tag_bulk(ctx, first_holder_of_a, {"tag_ids": [c]}) == 1
        assert await nodes.run_remove_tag_bulk(ctx, first_holder_of_a, {"tag_ids": [b]}) == 1
        assert await nodes.run_remove_tag_bulk(ctx, blocked_holders_of_a, {"tag_ids": [a]}) == 1
        assert await nodes.run_remove_tag_bulk(ctx, everyone, {"tag_ids": [theirs]}) == 0
    assert await links(world) == {
        (f["aoi"], a): "manual",
        (f["aoi"], c): "bulk",
        (f["ren"], a): "bulk",
        (f["ren"], b): "bulk",
    }
    assert sorted(world.recorder.take()) == sorted(
        [
            (TAG_ADDED, f["ren"], a, "bulk"),
            (TAG_ADDED, f["yui"], a, "bulk"),
            (TAG_ADDED, f["aoi"], b, "bulk"),
            (TAG_ADDED, f["ren"], b, "bulk"),
            (TAG_ADDED, f["aoi"], c, "bulk"),
            (TAG_REMOVED, f["aoi"], b, "bulk"),
            (TAG_REMOVED, f["yui"], a, "bulk"),
        ]
    )

    # A thousand friends and more are announced too, as one set per tag. Bulk actions count friends, not links.
    many = await world.add_friends(1001)
    ctx = world.context()
    async with ctx.session.begin():
        new_ones = select(Friend.id).where(Friend.id.in_(many))
        assert await nodes.run_add_tag_bulk(ctx, new_ones, {"tag_ids": [a, b]}) == 1001  # 2002 links
        assert await nodes.run_remove_tag_bulk(ctx, select(Friend.id), {"tag_ids": [a, b]}) == 1003  # + aoi, ren
    announced = world.recorder.take()
    assert sum(1 for e in announced if e[0] == TAG_ADDED) == 2002
    assert sum(1 for e in announced if e[0] == TAG_REMOVED) == 2005  # many's 2002 + aoi's a + ren's a and b
    assert await links(world) == {(f["aoi"], c): "bulk"}

    # Under it, too: several tags for one friend count once.
    ctx = world.context()
    aoi_and_ren = select(Friend.id).where(Friend.id.in_([f["aoi"], f["ren"]]))
    async with ctx.session.begin():
        assert await nodes.run_add_tag_bulk(ctx, aoi_and_ren, {"tag_ids": [a, b, c]}) == 2  # 5 links
        assert await nodes.run_remove_tag_bulk(ctx, aoi_and_ren, {"tag_ids": [a, b, c]}) == 2  # 6 links
    assert len(world.recorder.take()) == 11


def event(name: str, tag_id: int) -> DomainEvent:
    return DomainEvent(name, 1, 7, datetime(2026, 1, 1, tzinfo=UTC), {"tag_id": tag_id, "source": "manual"})


async def test_triggers_match_their_tags(world: TagsWorld) -> None:
    assert nodes.tag_added.listens_to == ("tags.tag_added",)
    assert nodes.tag_removed.listens_to == ("tags.tag_removed",)
    assert nodes.tag_added.matches({"tag_ids": [1, 2]}, event(TAG_ADDED, 2))
    assert not nodes.tag_added.matches({"tag_ids": [1, 2]}, event(TAG_ADDED, 3))
    assert nodes.tag_removed.matches({"tag_ids": [3]}, event(TAG_REMOVED, 3))
    assert not nodes.tag_removed.matches({"tag_ids": [3]}, DomainEvent(TAG_REMOVED, 1, 7, datetime.now(UTC)))

    # And an event the API really emitted matches a trigger configured for its tag.
    vip = await world.tag("VIP")
    await world.client.put(world.url(f"/friends/{world.friends['aoi']}/{vip}"))
    [emitted] = world.recorder.events
    assert emitted.workspace_id == world.workspace_id and emitted.friend_id == world.friends["aoi"]
    assert nodes.tag_added.matches({"tag_ids": [vip]}, emitted)
    assert not nodes.tag_added.matches({"tag_ids": [vip + 1]}, emitted)


async def test_friend_field_loads_tag_names_in_one_go(world: TagsWorld) -> None:
    a = await world.tag("A", sort_order=2)
    b = await world.tag("B", sort_order=1)
    f = world.friends
    await tag_friends(world, aoi=[a, b], ren=[a])
    ctx = world.context()
    async with ctx.session:
        [descriptor] = await fields.describe(ctx)
        loaded = await fields.load(ctx, [*f.values(), world.stranger], ["tags"])
        other_keys = await fields.load(ctx, list(f.values()), ["birthday"])
        nobody = await fields.load(ctx, [], ["tags"])
    assert descriptor.key == "tags" and descriptor.value_schema == {"type": "array", "items": {"type": "string"}}
    assert loaded == {f["aoi"]: {"tags": ["B", "A"]}, f["ren"]: {"tags": ["A"]}}  # in tag-list order
    assert other_keys == {} and nobody == {}


async def test_pinned_tags_are_yes_no_columns_shown_by_default(world: TagsWorld) -> None:
    a = await world.tag("A", sort_order=2, pinned=True)
    b = await world.tag("B", sort_order=1, pinned=True)
    await world.tag("C")  # not pinned: no column
    f = world.friends
    await tag_friends(world, aoi=[a, b], ren=[a])
    ctx = world.context()
    async with ctx.session:
        described = await fields.describe(ctx)
        loaded = await fields.load(ctx, [f["aoi"], f["ren"], f["yui"]], [f"tag_{a}", f"tag_{b}", "tags"])
        only_columns = await fields.load(ctx, [f["yui"]], [f"tag_{b}"])
        order = list(
            await ctx.session.scalars(
                select(Friend.id).order_by(
                    fields.column(ctx, f"tag_{a}").desc(), fields.column(ctx, f"tag_{b}"), Friend.id
                )
            )
        )
    assert [(d.key, d.label.ja, d.sortable, d.shown_by_default) for d in described] == [
        ("tags", "タグ", False, False),
        (f"tag_{b}", "B", True, True),  # in tag-list order
        (f"tag_{a}", "A", True, True),
    ]
    assert described[1].value_schema["type"] == "boolean"
    assert loaded == {
        f["aoi"]: {"tags": ["B", "A"], f"tag_{a}": True, f"tag_{b}": True},
        f["ren"]: {"tags": ["A"], f"tag_{a}": True, f"tag_{b}": False},
        f["yui"]: {f"tag_{a}": False, f"tag_{b}": False},
    }
    assert only_columns == {f["yui"]: {f"tag_{b}": False}}
    assert order == [f["ren"], f["aoi"], f["yui"]]  # has A first; then without B before with B
    with pytest.raises(KeyError):
        fields.column(ctx, "tags")
