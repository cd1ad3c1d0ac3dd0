"""Friend search through the real API: segments, free text, follow state, sorting and keyset pages across ties,
friend field columns, the count, CSV export and the profile, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select

from enishi.audience import search as friend_search
from enishi.jobs.workspace_state import workspace_context, workspace_state
from enishi.models import AuditEntry, Friend, User, Workspace
from enishi.tenancy.workspaces import add_member
from tests.conftest import PASSWORD
from tests.scenarios.conftest import World

T0 = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)


def base(world: World, workspace_id: int | None = None) -> str:
    return f"/api/workspaces/{workspace_id or world.workspace_id}"


def has(tag: int, match: str = "any") -> dict[str, Any]:
    return {"type": "tags.has_tags", "config": {"tag_ids": [tag], "match": match}}


def paths(response: Any) -> list[str]:
    return [e["path"] for e in response.json()["errors"]]


async def add_friends(world: World, *specs: dict[str, Any]) -> list[int]:
    async with world.db.transaction(world.workspace_id) as s:
        friends = [Friend(line_user_id=f"U{uuid.uuid4().hex}", **spec) for spec in specs]
        s.add_all(friends)
        await s.flush()
        return [f.id for f in friends]


async def new_tag(world: World, name: str, **fields: Any) -> int:
    response = await world.client.post(f"{base(world)}/tags", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def tag_friends(world: World, tag: int, *friend_ids: int) -> None:
    for friend_id in friend_ids:
        response = await world.client.put(f"{base(world)}/tags/friends/{friend_id}/{tag}")
        assert response.status_code == 200, response.text


async def search(world: World, **body: Any) -> dict[str, Any]:
    response = await world.client.post(f"{base(world)}/friends/search", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def ids(world: World, **body: Any) -> list[int]:
    return [f["id"] for f in (await search(world, **body))["items"]]


async def count(world: World, **body: Any) -> int:
    response = await world.client.post(f"{base(world)}/friends/count", json=body)
    assert response.status_code == 200, response.text
    return int(response.json()["count"])


async def all_pages(world: World, limit: int, **body: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = None
    for _ in range(50):
        page = await search(world, **body, limit=limit, **({"after": after} if after else {}))
        items += page["items"]
        after = page["next"]
        if after is None:
            return items
    raise AssertionError("paging never ended")


async def field(world: World, key: str, type_: str, label: str) -> None:
    response = await world.client.post(
        f"{base(world)}/friend_fields/fields", json={"key": key, "label": label, "type": type_}
    )
    assert response.status_code == 201, response.text


async def set_fields(world: World, friend_id: int, **values: Any) -> None:
    response = await world.client.patch(f"{base(world)}/friend_fields/friends/{friend_id}", json={"values": values})
    assert response.status_code == 200, response.text


async def test_segment_text_and_follow_state_filter_and_count_agree(world: World) -> None:
    aoi, ren, yui = world.friends["aoi"], world.friends["ren"], world.friends["yui"]
    hana, kenta = await add_friends(world, {"display_name": "田中 花子"}, {"display_name": "ＫＥＮＴＡ Cafe"})
    vip, ng = await world.tag("VIP"), await world.tag("配信停止")
    await tag_friends(world, vip, aoi, ren, yui, hana)
    await tag_friends(world, ng, ren)
    note = await world.client.post(f"{base(world)}/notes/friends/{aoi}", json={"body": "カフェ好き。平日の午後に来店"})
    assert note.status_code == 201, note.text

    everyone = [aoi, ren, hana, kenta]
    assert await ids(world) == everyone  # following friends, by id
    assert await count(world) == 4
    assert await ids(world, status="blocked") == [yui]
    assert await ids(world, status="all") == sorted([*everyone, yui])
    segment, exclude = {"all": [has(vip)]}, {"all": [has(ng)]}
    assert await ids(world, segment=segment) == [aoi, ren, hana]
    assert await ids(world, segment=segment, exclude=exclude) == [aoi, hana]
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(world.db.engine.sync_engine, "before_cursor_execute", record)
    try:
        assert await count(world, segment=segment, exclude=exclude) == 2
    finally:
        event.remove(world.db.engine.sync_engine, "before_cursor_execute", record)
    [counted] = [s for s in statements if "tags_friend_tags" in s]
    assert counted.lstrip().upper().startswith("SELECT COUNT(*)")  # one COUNT over friends, segment inside
    assert await ids(world, segment=segment, exclude=exclude, status="all") == [aoi, yui, hana]

    # Free text: display names ignoring case (and width), and the notes.
    assert await ids(world, text="AO") == [aoi]
    assert await ids(world, text="花子") == [hana]
    assert await ids(world, text="ＫＥＮＴＡ") == [kenta]
    assert await ids(world, text="ｶﾌｪ") == [aoi]  # half-width katakana finds the note's カフェ
    assert await ids(world, text="CAFE") == [kenta]
    assert await ids(world, text="100%") == []  # LIKE wildcards are plain characters
    assert await count(world, text="花子", segment=segment) == 1
    assert await ids(world, text="   ") == everyone  # blank text filters nothing


async def test_notes_text_is_searched_only_where_the_notes_plugin_is_on(world: World) -> None:
    aoi = world.friends["aoi"]
    note = await world.client.post(f"{base(world)}/notes/friends/{aoi}", json={"body": "誕生日は5月"})
    assert note.status_code == 201, note.text
    assert await ids(world, text="誕生日") == [aoi]
    off = await world.client.put(f"{base(world)}/plugins/notes", json={"enabled": False})
    assert off.status_code == 200, off.text
    assert await ids(world, text="誕生日") == []
    assert await ids(world, text="ao") == [aoi]


async def test_pages_are_exact_across_ties_and_empty_values(world: World) -> None:
    same = T0 + timedelta(days=3)
    made = await add_friends(
        world,
        {"display_name": "b", "last_inbound_at": same},
        {"display_name": "a", "last_inbound_at": None},
        {"display_name": "b", "last_inbound_at": same},
        {"display_name": "c", "last_inbound_at": T0},
        {"display_name": "a", "last_inbound_at": same},
        {"display_name": "b", "last_inbound_at": None},
        {"display_name": "a", "last_inbound_at": T0 + timedelta(days=9)},
    )
    await world.set_friend(world.friends["aoi"], display_name="b")
    await world.set_friend(world.friends["ren"], display_name="b", last_inbound_at=same)
    rows = {
        f["id"]: f for f in (await search(world, limit=200))["items"]
    }  # every following friend, to build the expected orders from
    everyone = list(rows)
    assert len(everyone) == len(made) + 2

    def at(friend_id: int) -> datetime | None:
        value = rows[friend_id]["last_inbound_at"]
        return datetime.fromisoformat(value) if value else None

    for direction in ("asc", "desc"):
        reverse = direction == "desc"
        with_value = sorted((f for f in everyone if at(f)), key=lambda f: (at(f), f), reverse=reverse)
        empty = sorted((f for f in everyone if not at(f)), reverse=reverse)
        for limit in (1, 2, 3):
            got = await all_pages(world, limit, sort={"by": "last_inbound_at", "direction": direction})
            assert [f["id"] for f in got] == with_value + empty, (direction, limit)  # empty values last
        by_name = sorted(everyone, key=lambda f: (rows[f]["display_name"], f), reverse=reverse)
        got = await all_pages(world, 2, sort={"by": "display_name", "direction": direction})
        assert [f["id"] for f in got] == by_name
        got = await all_pages(world, 3, sort={"by": "id", "direction": direction})
        assert [f["id"] for f in got] == sorted(everyone, reverse=reverse)


async def test_sorting_by_a_field_or_a_pinned_tag_column(world: World) -> None:
    aoi, ren = world.friends["aoi"], world.friends["ren"]
    f1, f2, f3, f4 = await add_friends(world, *({"display_name": n} for n in ("f1", "f2", "f3", "f4")))
    await field(world, "points", "number", "ポイント")
    for friend_id, points in [(aoi, 10), (f1, 2), (f2, 10), (f3, 2.5)]:
        await set_fields(world, friend_id, points=points)
    rich = {"type": "friend_fields.field_compare", "config": {"key": "points", "operator": "gte", "value": 5}}
    assert await ids(world, segment={"all": [rich]}) == [aoi, f2]  # the field's id is read once, then inlined
    assert await ids(world, segment={"not": rich}) == [ren, f1, f3, f4]
    order = [f["id"] for f in await all_pages(world, 2, sort={"by": "field:friend_fields.fields.points"})]
    assert order == [f1, f3, aoi, f2, ren, f4]  # numbers as numbers, ties by id, no value last
    order = [
        f["id"]
        for f in await all_pages(world, 1, sort={"by": "field:friend_fields.fields.points", "direction": "desc"})
    ]
    assert order == [f2, aoi, f3, f1, f4, ren]

    vip = await new_tag(world, "VIP", pinned=True)
    await tag_friends(world, vip, ren, f3)
    column = f"tags.tags.tag_{vip}"
    order = [f["id"] for f in await all_pages(world, 2, sort={"by": f"field:{column}", "direction": "desc"})]
    assert order == [f3, ren, f4, f2, f1, aoi]  # with the tag first
    page = await search(world, sort={"by": f"field:{column}"}, limit=10)
    assert [(f["id"], f["columns"][column]) for f in page["items"]][:2] == [(aoi, False), (f1, False)]


async def test_columns_default_to_pinned_tags_and_load_once_per_source(world: World) -> None:
    aoi, ren = world.friends["aoi"], world.friends["ren"]
    vip = await new_tag(world, "VIP", pinned=True)
    await world.tag("未使用")  # not pinned: no column
    await tag_friends(world, vip, aoi)
    await field(world, "rank", "text", "会員ランク")
    await set_fields(world, ren, rank="ゴールド")

    columns = (await world.client.get(f"{base(world)}/friends/columns")).json()
    pinned = f"tags.tags.tag_{vip}"
    assert columns["default"] == [pinned]
    available = {c["id"]: c for c in columns["available"]}
    assert {pinned, "tags.tags.tags", "friend_fields.fields.rank", "notes.latest.count"} <= set(available)
    assert available[pinned]["label"] == {"ja": "VIP", "en": "VIP"} and available[pinned]["sortable"]
    assert not available["tags.tags.tags"]["sortable"]

    page = await search(world)
    assert [c["id"] for c in page["columns"]] == [pinned]
    assert [f["columns"] for f in page["items"]] == [{pinned: True}, {pinned: False}]

    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    wanted = ["friend_fields.fields.rank", "tags.tags.tags", pinned]
    event.listen(world.db.engine.sync_engine, "before_cursor_execute", record)
    try:
        page = await search(world, columns=wanted)
    finally:
        event.remove(world.db.engine.sync_engine, "before_cursor_execute", record)
    assert [f["columns"] for f in page["items"]] == [
        {"friend_fields.fields.rank": None, "tags.tags.tags": ["VIP"], pinned: True},
        {"friend_fields.fields.rank": "ゴールド", "tags.tags.tags": None, pinned: False},
    ]
    assert len([s for s in statements if "FROM friend_fields_values" in s]) == 1
    assert len([s for s in statements if "FROM tags_friend_tags" in s]) == 2  # names, and the pinned columns
    assert (await search(world, columns=[]))["items"][0]["columns"] == {}


async def test_bad_input_names_every_path(world: World) -> None:
    vip = await world.tag("VIP")
    url = f"{base(world)}/friends/search"
    bad = await world.client.post(
        url,
        json={
            "segment": {"all": [has(vip), {"type": "tags.has_tags", "config": {"tag_ids": [999_999]}}]},
            "exclude": {"any": [{"type": "nosuch.thing", "config": {}}]},
            "columns": ["tags.tags.tags", "nosuch.source.key"],
            "sort": {"by": "field:tags.tags.tags"},
        },
    )
    assert bad.status_code == 422, bad.text
    assert paths(bad) == [
        "$.segment.all[1].config.tag_ids[0]",
        "$.exclude.any[0].type",
        "$.columns[1]",
        "$.sort.by",
    ]
    for body, path in [
        ({"status": "gone"}, "$.status"),
        ({"limit": 0}, "$.limit"),
        ({"limit": 201}, "$.limit"),
        ({"sort": {"by": "id", "direction": "up"}}, "$.sort.direction"),
        ({"sort": {"by": "birthday"}}, "$.sort.by"),
        ({"text": "x" * 201}, "$.text"),
        ({"segment": [1]}, "$.segment"),
        ({"segment": {"any": []}}, "$.segment.any"),
        ({"colour": "red"}, "$.colour"),
    ]:
        response = await world.client.post(url, json=body)
        assert response.status_code in (400, 422), (body, response.text)
        assert path in paths(response), (body, response.json())
    assert paths(await world.client.post(f"{base(world)}/friends/count", json={"status": "gone"})) == ["$.status"]

    after = (await search(world, limit=1))["next"]
    assert after is not None
    other_sort = await world.client.post(url, json={"limit": 1, "after": after, "sort": {"by": "display_name"}})
    assert other_sort.status_code == 400 and paths(other_sort) == ["$.after"]
    forged = await world.client.post(url, json={"after": "!!", "limit": 1})
    assert forged.status_code == 400
    wrong_type = friend_search.encode_cursor({"sort": "last_inbound_at:asc", "value": "yesterday", "id": 1})
    response = await world.client.post(url, json={"after": wrong_type, "sort": {"by": "last_inbound_at"}})
    assert response.status_code == 400 and paths(response) == ["$.after"]


async def test_csv_export_for_excel(world: World) -> None:
    aoi, ren = world.friends["aoi"], world.friends["ren"]
    await world.set_friend(aoi, display_name="=HYPERLINK(1)", last_inbound_at=T0)  # Tokyo: 2026/05/01 12:00
    await world.set_friend(ren, display_name='山田 太郎, "れん"', name_override="@山田様")
    vip = await new_tag(world, "VIP会員", pinned=True)
    await tag_friends(world, vip, ren)
    await field(world, "rank", "text", "会員ランク")
    await set_fields(world, aoi, rank="ゴールド")

    response = await world.client.post(
        f"{base(world)}/friends/export.csv", json={"columns": [f"tags.tags.tag_{vip}", "friend_fields.fields.rank"]}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [
        "ID",
        "LINEユーザーID",
        "表示名",
        "管理用の名前",
        "状態",
        "友だち追加日時",
        "最終メッセージ日時",
        "VIP会員",
        "会員ランク",
    ]
    body = {int(r[0]): r for r in rows[1:]}
    assert list(body) == [aoi, ren]
    assert body[aoi][2:4] == ["'=HYPERLINK(1)", ""]  # never a formula; no name for staff
    assert body[aoi][4] == "友だち"
    assert body[aoi][6] == "2026/05/01 12:00:00"  # the workspace's time zone
    assert body[aoi][7:] == ["0", "ゴールド"]
    assert body[ren][2:4] == ['山田 太郎, "れん"', "'@山田様"] and body[ren][7:] == ["1", ""]

    english = await world.client.post(f"{base(world)}/friends/export.csv", json={"lang": "en", "status": "blocked"})
    rows = list(csv.reader(io.StringIO(english.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["ID", "LINE user ID", "Display name", "Name for staff", "Status"]
    assert rows[0][7:] == ["VIP会員"]  # the default columns
    assert [(int(r[0]), r[4]) for r in rows[1:]] == [(world.friends["yui"], "Blocked")]

    tab = await world.client.post(
        f"{base(world)}/friends/tabs",
        json={"name": "VIP", "segment": {"all": [has(vip)]}, "columns": ["friend_fields.fields.rank"]},
    )
    assert tab.status_code == 201, tab.text
    download = await world.client.get(f"{base(world)}/friends/export.csv", params={"tab": tab.json()["id"]})
    assert download.status_code == 200, download.text
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "会員ランク" and [int(r[0]) for r in rows[1:]] == [ren]

    async with world.db.session() as s:
        actions = list(
            await s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.workspace_id == world.workspace_id, AuditEntry.action.like("%export%"))
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["core.export_posted", "core.export_posted", "core.export"]  # each export once


async def test_csv_streams_in_batches_in_the_search_order(world: World) -> None:
    many = await add_friends(world, *({"display_name": f"友だち{n:02d}"} for n in range(7)))
    job = world.job_context()
    state = await workspace_state(job, world.workspace_id)
    async with world.db.session(world.workspace_id) as s:
        ctx = workspace_context(job, s, world.workspace_id, state)
        search = friend_search.Search(sort_by="display_name", direction="desc", columns=[])
        prepared = await friend_search.prepare(ctx, search)
        chunks = [c async for c in friend_search.export_csv(ctx, prepared, batch=3)]
    assert len(chunks) == 1 + 3  # the header, then 9 friends in batches of 3
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert [int(r[0]) for r in rows[1:]] == [*reversed(many), world.friends["ren"], world.friends["aoi"]]


async def test_profile_has_every_sources_values_and_other_workspaces_are_not_found(world: World) -> None:
    aoi = world.friends["aoi"]
    vip = await new_tag(world, "VIP", pinned=True)
    await tag_friends(world, vip, aoi)
    await field(world, "rank", "text", "会員ランク")
    await set_fields(world, aoi, rank="ゴールド")
    profile = await world.client.get(f"{base(world)}/friends/{aoi}")
    assert profile.status_code == 200, profile.text
    shown = profile.json()
    assert (shown["display_name"], shown["status"]) == ("aoi", "following")
    values = {(s["source"], v["key"]): v["value"] for s in shown["fields"] for v in s["values"]}
    assert values[("tags.tags", "tags")] == ["VIP"]
    assert values[("tags.tags", f"tag_{vip}")] is True
    assert values[("friend_fields.fields", "rank")] == "ゴールド"
    assert ("notes.latest", "count") in values

    async with world.db.transaction(world.other_workspace_id) as s:
        stranger = Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name="aoi")
        s.add(stranger)
        await s.flush()
    assert (await world.client.get(f"{base(world)}/friends/{stranger.id}")).status_code == 404
    assert stranger.id not in await ids(world, text="aoi", status="all")

    # A staff member of this workspace only: the other workspace does not exist for them.
    staff = await world.env.user("viewer@search.example", name="閲覧者")
    async with world.db.transaction() as s:
        workspace = await s.get_one(Workspace, world.workspace_id)
        await add_member(s, workspace, await s.get_one(User, staff.id), "viewer")
    viewer = await world.env.login("viewer@search.example", PASSWORD)
    other = base(world, world.other_workspace_id)
    for method, path, body in [
        ("POST", "/friends/search", {}),
        ("POST", "/friends/count", {}),
        ("GET", "/friends/columns", None),
        ("GET", "/friends/tabs", None),
        ("GET", f"/friends/{stranger.id}", None),
        ("GET", "/friends/export.csv", None),
    ]:
        response = await viewer.request(method, other + path, json=body)
        assert response.status_code == 404, (path, response.text)
    # Viewers search and count, but taking the list out as a file is for admins.
    assert (await viewer.post(f"{base(world)}/friends/search", json={})).status_code == 200
    assert (await viewer.post(f"{base(world)}/friends/count", json={})).json() == {"count": 2}
    assert (await viewer.get(f"{base(world)}/friends/export.csv")).status_code == 403
