"""Saved segments as friend list tabs: shared or private, checked on save, reordered, and still loading (with
their problems named) after what they refer to was deleted; on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx

from enishi.models import User, Workspace
from enishi.tenancy.workspaces import add_member
from tests.conftest import PASSWORD
from tests.scenarios.conftest import World


def tabs_url(world: World, path: str = "", workspace_id: int | None = None) -> str:
    return f"/api/workspaces/{workspace_id or world.workspace_id}/friends/tabs{path}"


def has(tag: int) -> dict[str, Any]:
    return {"type": "tags.has_tags", "config": {"tag_ids": [tag]}}


def paths(response: Any) -> list[str]:
    return [e["path"] for e in response.json()["errors"]]


async def staff(world: World, email: str, role: str) -> httpx.AsyncClient:
    user = await world.env.user(email, name=role)
    async with world.db.transaction() as s:
        workspace = await s.get_one(Workspace, world.workspace_id)
        await add_member(s, workspace, await s.get_one(User, user.id), role)
    return await world.env.login(email, PASSWORD)


async def make(client: httpx.AsyncClient, world: World, **body: Any) -> dict[str, Any]:
    response = await client.post(tabs_url(world), json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def names(client: httpx.AsyncClient, world: World) -> list[str]:
    response = await client.get(tabs_url(world))
    assert response.status_code == 200, response.text
    return [t["name"] for t in response.json()]


async def test_shared_and_private_tabs(world: World) -> None:
    owner = world.client
    operator = await staff(world, "operator@tabs.example", "operator")
    viewer = await staff(world, "viewer@tabs.example", "viewer")
    vip = await world.tag("VIP")

    shared = await make(owner, world, name="VIP", segment={"all": [has(vip)]}, sort={"by": "last_inbound_at"})
    mine = await make(owner, world, name="自分用", private=True)
    theirs = await make(operator, world, name="担当分", private=True, status="all")
    assert (shared["private"], mine["private"], theirs["private"]) == (False, True, True)
    assert shared["segment"] == {"all": [has(vip)]} and shared["problems"] == []
    assert mine["segment"] == {"all": []} and mine["sort"] == {"by": "id", "direction": "asc"}

    assert await names(owner, world) == ["VIP", "自分用"]
    assert await names(operator, world) == ["VIP", "担当分"]
    assert await names(viewer, world) == ["VIP"]

    # Another staff member's private tab is not found, whatever one does with it.
    private = tabs_url(world, f"/{theirs['id']}")
    assert (await owner.get(private)).status_code == 404
    assert (await owner.patch(private, json={"name": "x"})).status_code == 404
    assert (await owner.delete(private)).status_code == 404
    assert (await operator.get(private)).json()["name"] == "担当分"

    # Shared tabs are everyone's to edit; hiding one from the others is for the staff member who made it.
    renamed = await operator.patch(tabs_url(world, f"/{shared['id']}"), json={"name": "VIP会員"})
    assert renamed.status_code == 200, renamed.text
    refused = await operator.patch(tabs_url(world, f"/{shared['id']}"), json={"private": True})
    assert refused.status_code == 403 and paths(refused) == ["$.private"]
    hidden = await owner.patch(tabs_url(world, f"/{shared['id']}"), json={"private": True})
    assert hidden.status_code == 200 and hidden.json()["private"]
    assert await names(operator, world) == ["担当分"]
    shared_again = await owner.patch(tabs_url(world, f"/{shared['id']}"), json={"private": False})
    assert not shared_again.json()["private"]

    # Viewers read tabs but do not save them.
    assert (await viewer.post(tabs_url(world), json={"name": "x"})).status_code == 403
    assert (await viewer.delete(tabs_url(world, f"/{shared['id']}"))).status_code == 403

    # The tabs of another workspace are not this workspace's.
    other = await owner.get(tabs_url(world, workspace_id=world.other_workspace_id))
    assert other.status_code == 200 and other.json() == []
    assert (await owner.get(tabs_url(world, f"/{shared['id']}", world.other_workspace_id))).status_code == 404
    assert (await operator.get(tabs_url(world, workspace_id=world.other_workspace_id))).status_code == 404

    assert (await owner.delete(tabs_url(world, f"/{mine['id']}"))).status_code == 204
    assert await names(owner, world) == ["VIP会員"]


async def test_tabs_are_checked_on_save_with_every_path(world: World) -> None:
    vip = await world.tag("VIP")
    bad = await world.client.post(
        tabs_url(world),
        json={
            "name": "壊れたタブ",
            "segment": {"all": [has(vip), has(999_999), {"type": "nosuch.thing", "config": {}}]},
            "exclude": {"not": {"type": "core.display_name", "config": {}}},
            "columns": ["tags.tags.tags", "friend_fields.fields.nosuch"],
            "sort": {"by": "field:nosuch.source.key"},
        },
    )
    assert bad.status_code == 422, bad.text
    assert paths(bad) == [
        "$.segment.all[1].config.tag_ids[0]",
        "$.segment.all[2].type",
        "$.exclude.not.config.text",
        "$.columns[1]",
        "$.sort.by",
    ]
    for body, path in [
        ({"name": ""}, "$.name"),
        ({"name": "   "}, "$.name"),
        ({"name": "x" * 101}, "$.name"),
        ({"name": "x", "status": "gone"}, "$.status"),
        ({"name": "x", "segment": [1]}, "$.segment"),
        ({"name": "x", "sort": {"by": "id", "direction": "sideways"}}, "$.sort.direction"),
        ({"name": "x", "owner": 1}, "$.owner"),
    ]:
        response = await world.client.post(tabs_url(world), json=body)
        assert response.status_code in (400, 422), (body, response.text)
        assert path in paths(response), (body, response.json())
    assert await names(world.client, world) == []  # nothing was stored

    tab = await make(world.client, world, name="VIP", segment={"all": [has(vip)]})
    patched = await world.client.patch(tabs_url(world, f"/{tab['id']}"), json={"exclude": {"all": [has(123_456)]}})
    assert patched.status_code == 422 and paths(patched) == ["$.exclude.all[0].config.tag_ids[0]"]
    shown = (await world.client.get(tabs_url(world, f"/{tab['id']}"))).json()
    assert shown["exclude"] is None  # the refused change left the tab as it was


async def test_a_tab_whose_tag_was_deleted_still_loads_and_names_the_problem(world: World) -> None:
    vip = await world.tag("VIP")
    pinned = await world.client.post(
        f"/api/workspaces/{world.workspace_id}/tags", json={"name": "常連", "pinned": True}
    )
    regular = pinned.json()["id"]
    tab = await make(
        world.client,
        world,
        name="VIP",
        segment={"all": [{"type": "tags.has_tags", "config": {"tag_ids": [regular, vip]}}]},
        columns=[f"tags.tags.tag_{regular}"],
        sort={"by": f"field:tags.tags.tag_{regular}", "direction": "desc"},
    )
    deleted = await world.client.delete(f"/api/workspaces/{world.workspace_id}/tags/{vip}")
    assert deleted.status_code == 204
    unpinned = await world.client.patch(f"/api/workspaces/{world.workspace_id}/tags/{regular}", json={"pinned": False})
    assert unpinned.status_code == 200

    listed = await world.client.get(tabs_url(world))
    assert listed.status_code == 200
    [loaded] = listed.json()
    assert loaded["segment"] == tab["segment"]  # kept as saved
    assert [p["path"] for p in loaded["problems"]] == [
        "$.segment.all[0].config.tag_ids[1]",
        "$.columns[0]",
        "$.sort.by",
    ]
    # Searching with it names the same problems instead of quietly finding the wrong friends.
    searched = await world.client.post(
        f"/api/workspaces/{world.workspace_id}/friends/search",
        json={"segment": loaded["segment"], "columns": loaded["columns"], "sort": loaded["sort"]},
    )
    assert searched.status_code == 422 and paths(searched) == [p["path"] for p in loaded["problems"]]
    export = await world.client.get(
        f"/api/workspaces/{world.workspace_id}/friends/export.csv", params={"tab": loaded["id"]}
    )
    assert export.status_code == 422
    # The tab can still be renamed and fixed.
    fixed = await world.client.patch(
        tabs_url(world, f"/{tab['id']}"),
        json={"name": "常連", "segment": {"all": [has(regular)]}, "columns": [], "sort": {"by": "id"}},
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["problems"] == [] and fixed.json()["name"] == "常連"


async def test_reordering_tabs(world: World) -> None:
    owner = world.client
    operator = await staff(world, "operator@order.example", "operator")
    a = await make(owner, world, name="A")
    private = await make(operator, world, name="P", private=True)
    b = await make(owner, world, name="B")
    c = await make(owner, world, name="C", private=True)

    reordered = await owner.put(tabs_url(world, "/order"), json={"ids": [c["id"], a["id"], b["id"]]})
    assert reordered.status_code == 200, reordered.text
    assert [t["name"] for t in reordered.json()] == ["C", "A", "B"]
    assert await names(owner, world) == ["C", "A", "B"]
    assert await names(operator, world) == ["P", "A", "B"]  # the operator's own tab kept its position

    for ids, path in [
        ([a["id"], b["id"]], "$.ids"),  # C is missing
        ([a["id"], b["id"], c["id"], a["id"]], "$.ids[3]"),
        ([a["id"], b["id"], c["id"], private["id"]], "$.ids[3]"),  # not the owner's to see
    ]:
        refused = await owner.put(tabs_url(world, "/order"), json={"ids": ids})
        assert refused.status_code == 422 and paths(refused) == [path], refused.text
    assert await names(owner, world) == ["C", "A", "B"]
