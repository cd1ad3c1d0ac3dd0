"""The tags API through the real app: routes, validation, permissions, isolation, enablement and events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from enishi_tags.models import FriendTag
from sqlalchemy import delete, func, select

from enishi import Friend

if TYPE_CHECKING:
    from tests.plugins.tags.conftest import TagsWorld


async def links(world: TagsWorld, workspace_id: int | None = None) -> set[tuple[int, int]]:
    async with world.env.db.session(workspace_id or world.workspace_id) as s:
        return {(f, t) for f, t in await s.execute(select(FriendTag.friend_id, FriendTag.tag_id))}


def paths(response: Any) -> list[str]:
    return [e["path"] for e in response.json()["errors"]]


async def test_folders_crud(world: TagsWorld) -> None:
    c = world.client
    made = await c.post(world.url("/folders"), json={"name": " 購入履歴 ", "sort_order": 2})
    assert made.status_code == 201, made.text
    folder = made.json()
    assert (folder["name"], folder["sort_order"], folder["tag_count"]) == ("購入履歴", 2, 0)
    seminar = (await c.post(world.url("/folders"), json={"name": "セミナー"})).json()

    twice = await c.post(world.url("/folders"), json={"name": "購入履歴"})
    assert twice.status_code == 409 and paths(twice) == ["$.name"]

    await world.tag("A購入者", folder_id=folder["id"])
    await world.tag("B購入者", folder_id=folder["id"])
    listed = (await c.get(world.url("/folders"))).json()
    assert [(f["name"], f["tag_count"]) for f in listed] == [("セミナー", 0), ("購入履歴", 2)]  # by sort_order

    renamed = await c.patch(world.url(f"/folders/{folder['id']}"), json={"name": "購入", "sort_order": -1})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["sort_order"], renamed.json()["tag_count"]) == ("購入", -1, 2)
    clash = await c.patch(world.url(f"/folders/{folder['id']}"), json={"name": "セミナー"})
    assert clash.status_code == 409

    # Deleting a folder keeps its tags, without a folder.
    assert (await c.delete(world.url(f"/folders/{folder['id']}"))).status_code == 204
    assert [f["id"] for f in (await c.get(world.url("/folders"))).json()] == [seminar["id"]]
    tags = (await c.get(world.url())).json()
    assert [(t["name"], t["folder_id"]) for t in tags] == [("A購入者", None), ("B購入者", None)]
    assert (await c.delete(world.url(f"/folders/{folder['id']}"))).status_code == 404


async def test_tags_crud_with_friend_counts(world: TagsWorld) -> None:
    c, f = world.client, world.friends
    folder = (await c.post(world.url("/folders"), json={"name": "セミナー"})).json()
    made = await c.post(
        world.url(),
        json={
            "name": "5月10日開催セミナー参加者",
            "color": "#06C755",
            "folder_id": folder["id"],
            "description": "来場",
        },
    )
    assert made.status_code == 201, made.text
    tag = made.json()
    assert tag["color"] == "#06c755"  # stored in one spelling so the UI can compare colours
    assert (tag["folder_id"], tag["description"], tag["friend_count"]) == (folder["id"], "来場", 0)
    vip = await world.tag("VIP")
    assert (await c.get(world.url(f"/{vip}"))).json()["color"] == "#9e9e9e"  # the default

    bulk = await c.post(world.url("/bulk"), json={"tag_ids": [tag["id"]], "friend_ids": list(f.values()), "op": "add"})
    assert bulk.status_code == 200, bulk.text
    shown = (await c.get(world.url(f"/{tag['id']}"))).json()
    assert (shown["friend_count"], shown["following_count"]) == (3, 2)  # yui blocked the account
    listed = {t["name"]: (t["friend_count"], t["following_count"]) for t in (await c.get(world.url())).json()}
    assert listed == {"5月10日開催セミナー参加者": (3, 2), "VIP": (0, 0)}
    in_folder = (await c.get(world.url(f"?folder_id={folder['id']}"))).json()
    assert [t["id"] for t in in_folder] == [tag["id"]]
    assert [t["id"] for t in (await c.get(world.url("?unfiled=true"))).json()] == [vip]
    assert [t["id"] for t in (await c.get(world.url("?q=VI"))).json()] == [vip]
    assert (await c.get(world.url("?q=%25"))).json() == []  # LIKE wildcards are matched literally

    changed = await c.patch(
        world.url(f"/{tag['id']}"), json={"name": "セミナー参加者", "folder_id": None, "color": "#FFFFFF"}
    )
    assert changed.status_code == 200, changed.text
    assert {k: changed.json()[k] for k in ("name", "folder_id", "color", "description", "friend_count")} == {
        "name": "セミナー参加者",
        "folder_id": None,
        "color": "#ffffff",
        "description": "来場",  # untouched fields stay
        "friend_count": 3,
    }
    clash = await c.patch(world.url(f"/{tag['id']}"), json={"name": "VIP"})
    assert clash.status_code == 409 and paths(clash) == ["$.name"]
    assert (await c.patch(world.url(f"/{tag['id']}"), json={"name": "セミナー参加者"})).status_code == 200  # itself

    # Deleting a tag deletes its links with it; other tags' links stay.
    await c.put(world.url(f"/friends/{f['aoi']}/{vip}"))
    assert (await c.delete(world.url(f"/{tag['id']}"))).status_code == 204
    assert (await c.get(world.url(f"/{tag['id']}"))).status_code == 404
    assert await links(world) == {(f["aoi"], vip)}


async def test_pinning_a_tag(world: TagsWorld) -> None:
    c = world.client
    made = await c.post(world.url(), json={"name": "VIP", "pinned": True})
    assert made.status_code == 201 and made.json()["pinned"] is True
    plain = await world.tag("一般")
    assert (await c.get(world.url(f"/{plain}"))).json()["pinned"] is False  # not pinned unless asked
    pinned = await c.patch(world.url(f"/{plain}"), json={"pinned": True})
    assert pinned.status_code == 200 and pinned.json()["pinned"] is True
    assert {t["name"]: t["pinned"] for t in (await c.get(world.url())).json()} == {"VIP": True, "一般": True}
    unpinned = await c.patch(world.url(f"/{plain}"), json={"pinned": False, "name": "一般会員"})
    assert (unpinned.json()["pinned"], unpinned.json()["name"]) == (False, "一般会員")
    bad = await c.patch(world.url(f"/{plain}"), json={"pinned": "yes"})
    assert bad.status_code == 400 and paths(bad) == ["$.pinned"]
    assert (await c.get(world.url(f"/{plain}"))).json()["pinned"] is False


async def test_a_friend_deleted_loses_its_links(world: TagsWorld) -> None:
    vip = await world.tag("VIP")
    aoi, ren = world.friends["aoi"], world.friends["ren"]
    await world.client.post(world.url("/bulk"), json={"tag_ids": [vip], "friend_ids": [aoi, ren], "op": "add"})
    async with world.env.db.transaction(world.workspace_id) as s:
        await s.execute(delete(Friend).where(Friend.id == aoi))
    assert await links(world) == {(ren, vip)}


async def test_bad_input_answers_with_field_paths(world: TagsWorld) -> None:
    c = world.client
    vip = await world.tag("VIP")
    aoi = world.friends["aoi"]
    bad_bodies = [
        ({"name": "x", "color": "red"}, "$.color"),
        ({"name": "x", "color": "#12345"}, "$.color"),
        ({"name": "   "}, "$.name"),
        ({"name": "x" * 101}, "$.name"),
        ({"name": "x", "description": "x" * 1001}, "$.description"),
        ({"name": "x", "folder_id": 0}, "$.folder_id"),
        ({"name": 5}, "$.name"),
    ]
    for body, path in bad_bodies:
        response = await c.post(world.url(), json=body)
        assert response.status_code == 400, (body, response.text)
        assert paths(response) == [path], body
    for body in ({}, {"name": "x", "colour": "#000000"}):
        assert (await c.post(world.url(), json=body)).status_code == 400, body
    assert (await c.patch(world.url(f"/{vip}"), json={"color": "blue"})).status_code == 400
    assert (await c.post(world.url("/folders"), json={"name": ""})).status_code == 400

    no_folder = await c.post(world.url(), json={"name": "x", "folder_id": 999_999})
    assert no_folder.status_code == 422 and paths(no_folder) == ["$.folder_id"]
    assert paths(await c.patch(world.url(f"/{vip}"), json={"folder_id": 999_999})) == ["$.folder_id"]

    bulk_bodies = [
        {"tag_ids": [], "friend_ids": [aoi], "op": "add"},
        {"tag_ids": [vip], "friend_ids": [], "op": "add"},
        {"tag_ids": [vip], "friend_ids": [aoi], "op": "toggle"},
        {"tag_ids": [vip], "friend_ids": [aoi]},
        {"tag_ids": ["x"], "friend_ids": [aoi], "op": "add"},
        {"tag_ids": [vip], "friend_ids": [aoi] * 10_001, "op": "add"},
    ]
    for body in bulk_bodies:
        assert (await c.post(world.url("/bulk"), json=body)).status_code == 400, body

    other = await world.tag("他店のタグ", workspace_id=world.other_workspace_id)
    unknown = await c.post(
        world.url("/bulk"),
        json={"tag_ids": [vip, vip, 999_999, other], "friend_ids": [aoi, world.stranger], "op": "add"},
    )
    assert unknown.status_code == 422
    assert paths(unknown) == ["$.tag_ids[2]", "$.tag_ids[3]", "$.friend_ids[1]"]
    assert await links(world) == set()  # all or nothing

    unknown_friends = list(range(10**9, 10**9 + 150))
    many = await c.post(world.url("/bulk"), json={"tag_ids": [vip], "friend_ids": unknown_friends, "op": "add"})
    assert many.status_code == 422
    assert len(paths(many)) == 101 and paths(many)[-1] == "$.friend_ids"  # the rest summed up in one line


async def test_another_workspaces_records_are_not_found(world: TagsWorld) -> None:
    c = world.client  # the agency owner may see both workspaces, so only the scope can keep them apart
    mine = await world.tag("VIP")
    theirs = await world.tag("VIP", workspace_id=world.other_workspace_id)  # same name, other workspace: fine
    their_folder = (await c.post(world.url("/folders", world.other_workspace_id), json={"name": "F"})).json()["id"]
    aoi = world.friends["aoi"]

    for method, path, body in [
        ("GET", f"/{theirs}", None),
        ("PATCH", f"/{theirs}", {"name": "hijacked"}),
        ("DELETE", f"/{theirs}", None),
        ("PATCH", f"/folders/{their_folder}", {"name": "hijacked"}),
        ("DELETE", f"/folders/{their_folder}", None),
        ("GET", f"/friends/{world.stranger}", None),
        ("PUT", f"/friends/{world.stranger}/{mine}", None),
        ("DELETE", f"/friends/{world.stranger}/{mine}", None),
        ("PUT", f"/friends/{aoi}/{theirs}", None),
        ("DELETE", f"/friends/{aoi}/{theirs}", None),
    ]:
        response = await c.request(method, world.url(path), json=body)
        assert response.status_code == 404, (method, path, response.text)
    moved = await c.patch(world.url(f"/{mine}"), json={"folder_id": their_folder})
    assert moved.status_code == 422

    assert [t["id"] for t in (await c.get(world.url())).json()] == [mine]
    theirs_now = (await c.get(world.url(f"/{theirs}", world.other_workspace_id))).json()
    assert theirs_now["name"] == "VIP"
    assert await links(world) == set() and await links(world, world.other_workspace_id) == set()


async def test_add_and_remove_one_tag(world: TagsWorld) -> None:
    c = world.client
    vip, seminar = await world.tag("VIP"), await world.tag("セミナー")
    aoi = world.friends["aoi"]

    added = await c.put(world.url(f"/friends/{aoi}/{vip}"))
    assert added.status_code == 200, added.text
    assert added.json() == {"friend_id": aoi, "tag_id": vip, "changed": True}
    assert (await c.put(world.url(f"/friends/{aoi}/{vip}"))).json()["changed"] is False
    await c.put(world.url(f"/friends/{aoi}/{seminar}"))
    shown = (await c.get(world.url(f"/friends/{aoi}"))).json()
    assert [(t["tag_id"], t["name"], t["source"], t["added_by_user_id"]) for t in shown] == [
        (vip, "VIP", "manual", world.owner_id),
        (seminar, "セミナー", "manual", world.owner_id),
    ]
    assert world.recorder.take() == [
        ("tags.tag_added", aoi, vip, "manual"),
        ("tags.tag_added", aoi, seminar, "manual"),  # the repeated PUT announced nothing
    ]

    removed = await c.delete(world.url(f"/friends/{aoi}/{vip}"))
    assert removed.status_code == 200 and removed.json()["changed"] is True
    assert (await c.delete(world.url(f"/friends/{aoi}/{vip}"))).json()["changed"] is False
    assert [t["tag_id"] for t in (await c.get(world.url(f"/friends/{aoi}"))).json()] == [seminar]
    assert world.recorder.take() == [("tags.tag_removed", aoi, vip, "manual")]

    assert (await c.put(world.url(f"/friends/{aoi}/999999"))).status_code == 404
    assert (await c.put(world.url(f"/friends/999999/{vip}"))).status_code == 404
    assert (await c.get(world.url("/friends/999999"))).status_code == 404


async def test_bulk_is_idempotent_and_announces_each_change(world: TagsWorld) -> None:
    c, f = world.client, world.friends
    vip, seminar = await world.tag("VIP"), await world.tag("セミナー")
    friends = [f["aoi"], f["ren"], f["yui"], f["aoi"]]  # a repeated id is harmless
    body = {"tag_ids": [vip, seminar], "friend_ids": friends, "op": "add"}

    first = await c.post(world.url("/bulk"), json=body)
    assert first.status_code == 200, first.text
    assert first.json() == {"op": "add", "changed": 6, "friends": 3, "events_emitted": True}
    assert await links(world) == {(friend, tag) for friend in f.values() for tag in (vip, seminar)}
    assert sorted(e[1:] for e in world.recorder.take()) == sorted(
        (friend, tag, "bulk") for friend in f.values() for tag in (vip, seminar)
    )

    again = await c.post(world.url("/bulk"), json=body)
    assert again.json() == {"op": "add", "changed": 0, "friends": 0, "events_emitted": True}
    assert world.recorder.take() == []
    async with world.env.db.session(world.workspace_id) as s:
        assert await s.scalar(select(func.count()).select_from(FriendTag)) == 6

    remove = {"tag_ids": [vip], "friend_ids": [f["aoi"], f["ren"]], "op": "remove"}
    removed = await c.post(world.url("/bulk"), json=remove)
    assert removed.json() == {"op": "remove", "changed": 2, "friends": 2, "events_emitted": True}
    assert world.recorder.take() == [("tags.tag_removed", f[n], vip, "bulk") for n in ("aoi", "ren")]
    assert await links(world) == {(f["yui"], vip)} | {(friend, seminar) for friend in f.values()}
    assert (await c.post(world.url("/bulk"), json=remove)).json()["changed"] == 0


async def test_bulk_changes_to_many_friends_are_announced_as_sets(world: TagsWorld) -> None:
    vip, seminar = await world.tag("VIP"), await world.tag("セミナー")
    many = await world.add_friends(1001)

    async def bulk(op: str, tag_ids: list[int]) -> Any:
        response = await world.client.post(world.url("/bulk"), json={"tag_ids": tag_ids, "friend_ids": many, "op": op})
        assert response.status_code == 200, response.text
        return response.json()

    assert await bulk("add", [vip, seminar]) == {"op": "add", "changed": 2002, "friends": 1001, "events_emitted": True}
    assert len(await links(world)) == 2002
    added = world.recorder.take()
    assert sorted(e[1:] for e in added) == sorted((f, t, "bulk") for f in many for t in (vip, seminar))
    assert await bulk("remove", [vip]) == {"op": "remove", "changed": 1001, "friends": 1001, "events_emitted": True}
    assert await bulk("remove", [vip, seminar]) == {
        "op": "remove",
        "changed": 1001,
        "friends": 1001,
        "events_emitted": True,
    }
    removed = world.recorder.take()
    assert sorted(e[1:] for e in removed) == sorted((f, t, "bulk") for f in many for t in (vip, seminar))
    assert await links(world) == set()


async def test_viewers_read_but_cannot_change(world: TagsWorld) -> None:
    vip = await world.tag("VIP")
    folder = (await world.client.post(world.url("/folders"), json={"name": "F"})).json()["id"]
    aoi = world.friends["aoi"]
    viewer = await world.as_role("viewer")
    assert [t["id"] for t in (await viewer.get(world.url())).json()] == [vip]
    assert (await viewer.get(world.url(f"/friends/{aoi}"))).status_code == 200
    assert (await viewer.get(world.url("/folders"))).status_code == 200
    for method, path, body in [
        ("POST", "", {"name": "new"}),
        ("PATCH", f"/{vip}", {"name": "renamed"}),
        ("DELETE", f"/{vip}", None),
        ("POST", "/folders", {"name": "new"}),
        ("PATCH", f"/folders/{folder}", {"name": "renamed"}),
        ("DELETE", f"/folders/{folder}", None),
        ("PUT", f"/friends/{aoi}/{vip}", None),
        ("DELETE", f"/friends/{aoi}/{vip}", None),
        ("POST", "/bulk", {"tag_ids": [vip], "friend_ids": [aoi], "op": "add"}),
    ]:
        response = await viewer.request(method, world.url(path), json=body)
        assert response.status_code == 403, (method, path, response.text)
    assert (await world.client.get(world.url(f"/{vip}"))).json()["name"] == "VIP"
    assert await links(world) == set()

    # Operators hold both permissions by default, and a workspace can take each away on its own.
    operator = await world.as_role("operator")
    assert (await operator.post(world.url(), json={"name": "by operator"})).status_code == 201
    assert (await operator.put(world.url(f"/friends/{aoi}/{vip}"))).json()["changed"] is True
    grants = f"/api/workspaces/{world.workspace_id}/permissions"
    revoke = {"role": "operator", "permission": "tags.assign", "granted": False}
    assert (await world.client.put(grants, json=revoke)).status_code == 200
    assert (await operator.delete(world.url(f"/friends/{aoi}/{vip}"))).status_code == 403
    assert (await operator.put(world.url(f"/friends/{world.friends['ren']}/{vip}"))).status_code == 403
    bulk = {"tag_ids": [vip], "friend_ids": [aoi], "op": "remove"}
    assert (await operator.post(world.url("/bulk"), json=bulk)).status_code == 403
    assert (await operator.patch(world.url(f"/{vip}"), json={"color": "#000000"})).status_code == 200  # still manages
    await world.client.put(grants, json={**revoke, "permission": "tags.manage"})
    assert (await operator.post(world.url("/folders"), json={"name": "F2"})).status_code == 403


async def test_routes_answer_404_where_the_plugin_is_off(world: TagsWorld) -> None:
    c = world.client
    vip = await world.tag("VIP")
    off = await c.put(f"/api/workspaces/{world.workspace_id}/plugins/tags", json={"enabled": False})
    assert off.status_code == 200, off.text
    for method, path in [("GET", ""), ("GET", f"/{vip}"), ("POST", ""), ("GET", "/folders"), ("POST", "/bulk")]:
        response = await c.request(method, world.url(path), json={"name": "x"} if method == "POST" else None)
        assert response.status_code == 404, (method, path, response.text)
    # The other workspace still has it, and switching it back on finds the data kept.
    assert (await c.get(world.url("", world.other_workspace_id))).status_code == 200
    await c.put(f"/api/workspaces/{world.workspace_id}/plugins/tags", json={"enabled": True})
    assert [t["id"] for t in (await c.get(world.url())).json()] == [vip]
