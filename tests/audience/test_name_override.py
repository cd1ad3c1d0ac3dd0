"""管理用の名前 (a name staff set for a friend): set and cleared through the API with validation, found by the
friend search, carried by the friend list and the inbox, and filled into messages as ``{{friend.name}}``; on SQLite
and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from enishi import message_variables
from enishi.jobs.workspace_state import workspace_context, workspace_state
from enishi.models import AuditEntry, Friend, Message, User, Workspace
from enishi.tenancy.workspaces import add_member
from tests.conftest import PASSWORD
from tests.scenarios.conftest import World


def base(world: World, workspace_id: int | None = None) -> str:
    return f"/api/workspaces/{workspace_id or world.workspace_id}"


async def rename(world: World, friend_id: int, value: Any, client: Any = None) -> Any:
    return await (client or world.client).patch(f"{base(world)}/friends/{friend_id}", json={"name_override": value})


async def found(world: World, text: str) -> list[int]:
    response = await world.client.post(f"{base(world)}/friends/search", json={"text": text, "status": "all"})
    assert response.status_code == 200, response.text
    return [f["id"] for f in response.json()["items"]]


async def test_set_trimmed_shown_searched_and_cleared_by_blank(world: World) -> None:
    aoi, ren = world.friends["aoi"], world.friends["ren"]
    response = await rename(world, aoi, "  田中 葵様  ")
    assert response.status_code == 200, response.text
    assert (response.json()["name_override"], response.json()["display_name"]) == ("田中 葵様", "aoi")
    assert (await world.client.get(f"{base(world)}/friends/{aoi}")).json()["name_override"] == "田中 葵様"

    # The list carries both names; the text search matches either.
    listed = await world.client.post(f"{base(world)}/friends/search", json={})
    names = {f["id"]: (f["display_name"], f["name_override"]) for f in listed.json()["items"]}
    assert names[aoi] == ("aoi", "田中 葵様") and names[ren] == ("ren", None)
    assert await found(world, "田中") == [aoi]
    assert await found(world, "AOI") == [aoi]  # the LINE name still finds the friend
    count = await world.client.post(f"{base(world)}/friends/count", json={"text": "葵"})
    assert count.json() == {"count": 1}

    # Who renamed whom is in the audit log.
    async with world.db.session() as s:
        entry = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "core.update_friend"))).all()
    assert len(entry) == 1

    # Blank (or null) clears it: the friend is shown by the LINE name again and no longer found by the old one.
    for blank in ("   ", None):
        assert (await rename(world, aoi, "仮の名前")).status_code == 200
        cleared = await rename(world, aoi, blank)
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["name_override"] is None
        assert await found(world, "仮の名前") == []


async def test_bad_names_are_refused_at_the_field_and_nothing_changes(world: World) -> None:
    aoi = world.friends["aoi"]
    assert (await rename(world, aoi, "田中様")).status_code == 200
    for bad in ("あ" * 101, "田中\n様", 12, ["田中"]):
        response = await rename(world, aoi, bad)
        assert response.status_code == 400, (bad, response.text)
        assert [e["path"] for e in response.json()["errors"]] == ["$.name_override"], response.text
    unknown = await world.client.patch(f"{base(world)}/friends/{aoi}", json={"nickname": "x"})
    assert unknown.status_code == 400
    assert (await rename(world, aoi, "あ" * 100)).status_code == 200  # the limit itself is fine
    async with world.db.session(world.workspace_id) as s:
        assert (await s.get_one(Friend, aoi)).name_override == "あ" * 100

    # Another workspace's friend is not found; a viewer may look but not rename.
    async with world.db.transaction(world.other_workspace_id) as s:
        stranger = Friend(line_user_id="Ustranger", display_name="よその人")
        s.add(stranger)
        await s.flush()
    assert (await rename(world, stranger.id, "乗っ取り")).status_code == 404
    staff = await world.env.user("viewer@names.example", name="閲覧者")
    async with world.db.transaction() as s:
        workspace = await s.get_one(Workspace, world.workspace_id)
        await add_member(s, workspace, await s.get_one(User, staff.id), "viewer")
    viewer = await world.env.login("viewer@names.example", PASSWORD)
    assert (await rename(world, aoi, "閲覧者の案", viewer)).status_code == 403
    async with world.db.session(world.workspace_id) as s:
        assert (await s.get_one(Friend, aoi)).name_override == "あ" * 100
    async with world.db.session(world.other_workspace_id) as s:
        assert (await s.get_one(Friend, stranger.id)).name_override is None


async def test_inbox_and_message_variable_use_the_name(world: World) -> None:
    aoi, ren = world.friends["aoi"], world.friends["ren"]
    async with world.db.transaction(world.workspace_id) as s:
        for friend_id in (aoi, ren):
            s.add(Message(friend_id=friend_id, direction="in", kind="text", body={"type": "text"}, text="こんにちは"))
    assert (await rename(world, aoi, "田中様")).status_code == 200

    inbox = await world.client.get(f"{base(world)}/inbox/conversations")
    assert inbox.status_code == 200, inbox.text
    shown = {
        c["friend"]["id"]: (c["friend"]["name_override"], c["friend"]["display_name"]) for c in inbox.json()["items"]
    }
    assert shown == {aoi: ("田中様", "aoi"), ren: (None, "ren")}

    job = world.job_context()
    async with world.db.session(world.workspace_id) as session:
        ctx = workspace_context(job, session, world.workspace_id, await workspace_state(job, world.workspace_id))
        used = message_variables.used({"text": "{{friend.name}}さん ({{friend.display_name}})"})
        catalog = message_variables.Catalog(ctx)
        assert [a.name for a in await catalog.available()][:3] == ["friend.display_name", "friend.name", "friend.id"]
        assert await message_variables.problems(ctx, {"text": "{{friend.name}}"}, "$") == []
        values = await message_variables.values_for_many(ctx, [aoi, ren], used)
        # The broadcasts pass the LINE names they already read: the 管理用の名前 is still looked up.
        given = await message_variables.values_for_many(ctx, [aoi], used, display_names={aoi: "aoi"})
    text = {
        fid: message_variables.expand_text("{{friend.name}}さん ({{friend.display_name}})", v)
        for fid, v in values.items()
    }
    assert text == {aoi: "田中様さん (aoi)", ren: "renさん (ren)"}
    assert given[aoi]["friend.name"] == "田中様"
