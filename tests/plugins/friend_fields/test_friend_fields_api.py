"""The friend_fields API through the real app: definitions, values, bulk, files, validation, permissions,
isolation and events, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from enishi_friend_fields.models import FieldFile, FieldValue
from sqlalchemy import delete, func, select

from enishi import Friend

if TYPE_CHECKING:
    from tests.plugins.friend_fields.conftest import World


def paths(response: Any) -> list[str]:
    return [e["path"] for e in response.json()["errors"]]


async def count(world: World, model: Any) -> int:
    async with world.env.db.session() as s:  # unscoped: every workspace
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_field_definitions_crud_order_and_groups(world: World) -> None:
    c = world.client
    name = await world.field("real_name", label="本名", label_en="Name", group="基本情報", sort_order=2)
    assert (name["key"], name["label"], name["label_en"], name["group"], name["value_count"]) == (
        "real_name",
        "本名",
        "Name",
        "基本情報",
        0,
    )
    assert name["value_schema"] == {"title": "real_name", "type": "string", "minLength": 1, "maxLength": 500}
    birthday = await world.field("birthday", "date", label="誕生日", group="基本情報", sort_order=1)
    rank = await world.field("rank", "select", label="会員ランク", options=[" ゴールド ", "シルバー"])
    assert rank["options"] == ["ゴールド", "シルバー"]  # trimmed

    listed = (await c.get(world.url("/fields"))).json()
    assert [f["key"] for f in listed] == ["rank", "birthday", "real_name"]  # by sort_order, then creation
    grouped = (await c.get(world.url("/fields?group=基本情報"))).json()
    assert [f["key"] for f in grouped] == ["birthday", "real_name"]

    changed = await c.patch(
        world.url(f"/fields/{name['id']}"),
        json={"label": "お名前", "required": True, "group": None, "key": "real_name"},
    )
    assert changed.status_code == 200, changed.text
    shown = (await c.get(world.url(f"/fields/{name['id']}"))).json()
    assert (shown["label"], shown["required"], shown["group"], shown["label_en"]) == ("お名前", True, None, "Name")

    reordered = await c.put(world.url("/fields/order"), json={"field_ids": [name["id"], rank["id"], birthday["id"]]})
    assert reordered.status_code == 200, reordered.text
    assert [f["key"] for f in reordered.json()] == ["real_name", "rank", "birthday"]
    dup = await c.put(world.url("/fields/order"), json={"field_ids": [name["id"], name["id"]]})
    assert dup.status_code == 422 and paths(dup) == ["$.field_ids"]
    unknown = await c.put(world.url("/fields/order"), json={"field_ids": [rank["id"], 999_999]})
    assert unknown.status_code == 422 and paths(unknown) == ["$.field_ids[1]"]

    assert (await c.delete(world.url(f"/fields/{rank['id']}"))).status_code == 204
    assert (await c.get(world.url(f"/fields/{rank['id']}"))).status_code == 404
    assert (await c.delete(world.url(f"/fields/{rank['id']}"))).status_code == 404


async def test_keys_are_slugs_unique_per_workspace_and_immutable(world: World) -> None:
    c = world.client
    field = await world.field("birthday", "date")
    twice = await c.post(world.url("/fields"), json={"key": "birthday", "label": "x", "type": "text"})
    assert twice.status_code == 409 and paths(twice) == ["$.key"]
    # Another workspace may use the same key.
    await world.field("birthday", "date", workspace_id=world.other_workspace_id)
    for bad in ("Birthday", "1st", "a" * 41, "ab-c", "", "誕生日", "a b"):
        response = await c.post(world.url("/fields"), json={"key": bad, "label": "x", "type": "text"})
        assert response.status_code == 400, bad
        assert paths(response) == ["$.key"], bad
    renamed = await c.patch(world.url(f"/fields/{field['id']}"), json={"key": "bday"})
    assert renamed.status_code == 422 and paths(renamed) == ["$.key"]
    assert (await c.get(world.url(f"/fields/{field['id']}"))).json()["key"] == "birthday"


async def test_bad_definitions_answer_with_field_paths(world: World) -> None:
    c = world.client
    bodies_400 = [
        ({"key": "k", "label": "x", "type": "boolean"}, "$.type"),
        ({"key": "k", "label": "   ", "type": "text"}, "$.label"),
        ({"key": "k", "label": "a\x00b", "type": "text"}, "$.label"),
        ({"key": "k", "label": "x" * 101, "type": "text"}, "$.label"),
        ({"key": "k", "label": "x", "type": "select", "options": ["a\nb"]}, "$.options[0]"),
        ({"key": "k", "label": "x", "type": "select", "options": ["x" * 101]}, "$.options[0]"),
        ({"key": "k", "label": "x", "type": "file", "accept": ["images"]}, "$.accept[0]"),
        ({"key": "k", "label": "x", "type": "text", "sort_order": 10**7}, "$.sort_order"),
        ({"key": "k", "label": "x", "type": "text", "colour": "red"}, "$.colour"),
    ]
    for body, path in bodies_400:
        response = await c.post(world.url("/fields"), json=body)
        assert response.status_code == 400, (body, response.text)
        assert paths(response)[0].startswith(path), (body, response.text)
    bodies_422 = [
        ({"key": "k", "label": "x", "type": "select"}, ["$.options"]),
        ({"key": "k", "label": "x", "type": "multi_select", "options": ["A", "B", " a "]}, ["$.options[2]"]),
        ({"key": "k", "label": "x", "type": "text", "options": ["A"]}, ["$.options"]),
        ({"key": "k", "label": "x", "type": "text", "accept": ["image/*"]}, ["$.accept"]),
    ]
    for body, expected in bodies_422:
        response = await c.post(world.url("/fields"), json=body)
        assert response.status_code == 422, (body, response.text)
        assert paths(response) == expected, body
    assert (await c.get(world.url("/fields"))).json() == []


async def test_changing_the_type_is_refused_while_values_are_stored(world: World) -> None:
    c = world.client
    code = await world.field("member_code", "text")
    assert (await world.set("aoi", member_code="A-100")).status_code == 200
    refused = await c.patch(world.url(f"/fields/{code['id']}"), json={"type": "number", "label": "会員番号"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "type_change_refused" and paths(refused) == ["$.type"]
    assert "1" in refused.json()["message"]  # how many friends hold a value
    shown = (await c.get(world.url(f"/fields/{code['id']}"))).json()
    assert (shown["type"], shown["label"]) == ("text", "member_code")  # nothing of the request was applied
    assert await world.values("aoi") == {"member_code": "A-100"}

    # Empty again, the type may change; a choice type then needs options.
    assert (await c.delete(world.url(f"/friends/{world.friends['aoi']}/member_code"))).status_code == 200
    no_options = await c.patch(world.url(f"/fields/{code['id']}"), json={"type": "select"})
    assert no_options.status_code == 422 and paths(no_options) == ["$.options"]
    changed = await c.patch(world.url(f"/fields/{code['id']}"), json={"type": "select", "options": ["A", "B"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["value_schema"]["enum"] == ["A", "B"]
    back = await c.patch(world.url(f"/fields/{code['id']}"), json={"type": "number"})
    assert back.status_code == 200 and back.json()["options"] == []


async def test_removing_or_renaming_options_that_friends_hold(world: World) -> None:
    c, f = world.client, world.friends
    rank = await world.field("rank", "select", options=["gold", "silver", "bronze"])
    hobbies = await world.field("hobbies", "multi_select", options=["釣り", "料理", "旅行"])
    await world.set("aoi", rank="gold", hobbies=["料理", "釣り"])
    await world.set("ren", rank="silver", hobbies=["料理"])
    world.recorder.take()

    refused = await c.patch(world.url(f"/fields/{rank['id']}"), json={"options": ["gold", "bronze"]})
    assert refused.status_code == 409 and refused.json()["error"] == "options_in_use"
    assert paths(refused) == ["$.options"] and "silver" in refused.json()["message"]
    assert (await c.get(world.url(f"/fields/{rank['id']}"))).json()["options"] == ["gold", "silver", "bronze"]
    # An option nobody holds goes without force.
    unused = await c.patch(world.url(f"/fields/{rank['id']}"), json={"options": ["gold", "silver"]})
    assert unused.status_code == 200, unused.text
    forced = await c.patch(world.url(f"/fields/{rank['id']}?force=true"), json={"options": ["gold"]})
    assert forced.status_code == 200 and forced.json()["value_count"] == 1
    assert (await world.values("ren")).get("rank") is None and (await world.values("aoi"))["rank"] == "gold"

    forced_multi = await c.patch(world.url(f"/fields/{hobbies['id']}?force=true"), json={"options": ["釣り", "旅行"]})
    assert forced_multi.status_code == 200, forced_multi.text
    assert (await world.values("aoi"))["hobbies"] == ["釣り"]
    assert "hobbies" not in await world.values("ren")  # its only choice went: the value is empty now

    renamed = await c.patch(
        world.url(f"/fields/{hobbies['id']}"),
        json={"options": ["つり", "旅行"], "rename_options": {"釣り": "つり"}},
    )
    assert renamed.status_code == 200, renamed.text
    assert (await world.values("aoi"))["hobbies"] == ["つり"]
    await world.set("ren", hobbies=["旅行", "つり"])
    assert (await world.values("ren"))["hobbies"] == ["つり", "旅行"]  # stored in the options' order
    select_renamed = await c.patch(
        world.url(f"/fields/{rank['id']}"), json={"options": ["ゴールド"], "rename_options": {"gold": "ゴールド"}}
    )
    assert select_renamed.status_code == 200, select_renamed.text
    assert (await world.values("aoi"))["rank"] == "ゴールド"
    assert world.recorder.take() == [(f["ren"], "hobbies", None, ["つり", "旅行"], "manual")]  # edits emit nothing

    bad_renames = [
        ({"options": ["ゴールド", "x"], "rename_options": {"nope": "x"}}, "$.rename_options.nope"),
        ({"options": ["ゴールド", "x"], "rename_options": {"ゴールド": "x"}}, "$.rename_options.ゴールド"),
        ({"options": ["y"], "rename_options": {"ゴールド": "x"}}, "$.rename_options.ゴールド"),
    ]
    for body, path in bad_renames:
        response = await c.patch(world.url(f"/fields/{rank['id']}"), json=body)
        assert response.status_code == 422, (body, response.text)
        assert paths(response) == [path], body
    assert (await world.values("aoi"))["rank"] == "ゴールド"


async def test_deleting_a_field_with_values_needs_force(world: World) -> None:
    c = world.client
    memo = await world.field("memo")
    await world.set("aoi", memo="よろしく")
    refused = await c.delete(world.url(f"/fields/{memo['id']}"))
    assert refused.status_code == 409 and refused.json()["error"] == "field_in_use"
    assert await world.values("aoi") == {"memo": "よろしく"}
    assert (await c.delete(world.url(f"/fields/{memo['id']}?force=true"))).status_code == 204
    assert await world.values("aoi") == {}
    assert await count(world, FieldValue) == 0


async def test_setting_and_clearing_values_with_events(world: World) -> None:
    c, f = world.client, world.friends
    await world.field("nickname")
    await world.field("visits", "number")
    await world.field("email", "email", required=True)
    made = await world.set("aoi", nickname=" あおちゃん ", visits=3, email="aoi@example.jp")
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["values"] == {"nickname": "あおちゃん", "visits": 3, "email": "aoi@example.jp"}
    assert body["changed"] == ["nickname", "visits", "email"]
    meta = body["updated"]["visits"]
    assert (meta["updated_by_user_id"], meta["source"]) == (world.user_ids["owner"], "manual")
    assert world.recorder.take() == [
        (f["aoi"], "nickname", None, "あおちゃん", "manual"),
        (f["aoi"], "visits", None, 3, "manual"),
        (f["aoi"], "email", None, "aoi@example.jp", "manual"),
    ]

    # The same values again change nothing and announce nothing; 3.0 is the same number as 3.
    again = await world.set("aoi", nickname="あおちゃん", visits=3.0)
    assert again.status_code == 200 and again.json()["changed"] == []
    assert world.recorder.take() == []

    updated = await world.set("aoi", visits=4, nickname=None)
    assert updated.json()["changed"] == ["visits", "nickname"]
    assert updated.json()["values"] == {"visits": 4, "email": "aoi@example.jp"}
    assert world.recorder.take() == [
        (f["aoi"], "visits", 3, 4, "manual"),
        (f["aoi"], "nickname", "あおちゃん", None, "manual"),
    ]
    cleared = await c.delete(world.url(f"/friends/{f['aoi']}/visits"))
    assert cleared.status_code == 200 and cleared.json()["changed"] is True
    assert (await c.delete(world.url(f"/friends/{f['aoi']}/visits"))).json()["changed"] is False
    assert (await c.delete(world.url(f"/friends/{f['aoi']}/nope"))).status_code == 404

    # A required field cannot be emptied, by null, by blank text or by DELETE.
    for blank in (None, "  "):
        response = await world.set("aoi", email=blank)
        assert response.status_code == 422 and paths(response) == ["$.values.email"]
    assert (await c.delete(world.url(f"/friends/{f['aoi']}/email"))).status_code == 422
    assert await world.values("aoi") == {"email": "aoi@example.jp"}

    # Empty values on a friend that had none change nothing either.
    assert (await world.set("ren", nickname="", visits=None)).json()["changed"] == []
    assert world.recorder.take() == [(f["aoi"], "visits", 4, None, "manual")]


BAD_VALUES: list[tuple[str, dict[str, Any], Any, str]] = [
    ("text", {}, "x" * 501, "$.values.v"),
    ("text", {}, 12, "$.values.v"),
    ("text", {}, "a\x00b", "$.values.v"),
    ("number", {}, "abc", "$.values.v"),
    ("number", {}, True, "$.values.v"),
    ("number", {}, 1e13, "$.values.v"),
    ("number", {}, [1], "$.values.v"),
    ("date", {}, "2024-02-30", "$.values.v"),
    ("date", {}, "2024-13-01", "$.values.v"),
    ("date", {}, "tomorrow", "$.values.v"),
    ("date", {}, 20240101, "$.values.v"),
    ("datetime", {}, "2024-05-01T25:00", "$.values.v"),
    ("datetime", {}, "2024-05-01", "$.values.v"),
    ("datetime", {}, "yesterday noon", "$.values.v"),
    ("select", {"options": ["gold", "silver"]}, "platinum", "$.values.v"),
    ("select", {"options": ["gold", "silver"]}, ["gold"], "$.values.v"),
    ("multi_select", {"options": ["gold", "silver"]}, ["gold", "gold"], "$.values.v"),
    ("multi_select", {"options": ["gold", "silver"]}, ["gold", "zinc"], "$.values.v[1]"),
    ("multi_select", {"options": ["gold", "silver"]}, "gold", "$.values.v"),
    ("email", {}, "taro", "$.values.v"),
    ("email", {}, "taro@", "$.values.v"),
    ("email", {}, "taro@example", "$.values.v"),
    ("email", {}, "ta ro@example.jp", "$.values.v"),
    ("phone", {}, "110", "$.values.v"),
    ("phone", {}, "090-1234-567a", "$.values.v"),
    ("phone", {}, "+81-90-1234-5678-9999", "$.values.v"),
    (
        "postal_address",
        {},
        {"postal_code": "1234", "prefecture": "東京都", "city": "千代田区"},
        "$.values.v.postal_code",
    ),
    (
        "postal_address",
        {},
        {"postal_code": "100-0001", "prefecture": "東京", "city": "千代田区"},
        "$.values.v.prefecture",
    ),
    ("postal_address", {}, {"postal_code": "100-0001", "prefecture": "東京都"}, "$.values.v.city"),
    (
        "postal_address",
        {},
        {"postal_code": "100-0001", "prefecture": "東京都", "city": "x", "floor": 3},
        "$.values.v.floor",
    ),
    ("postal_address", {}, "東京都千代田区", "$.values.v"),
    ("url", {}, "example.com", "$.values.v"),
    ("url", {}, "ftp://example.com/a", "$.values.v"),
    ("url", {}, "javascript:alert(1)", "$.values.v"),
    ("file", {}, {"file_id": 999_999}, "$.values.v.file_id"),
    ("file", {}, "report.pdf", "$.values.v"),
]


async def test_bad_input_for_every_type_is_refused_and_changes_nothing(world: World) -> None:
    good = {
        "text": "ok",
        "number": 5,
        "date": "2024-05-01",
        "datetime": "2024-05-01T10:00:00+09:00",
        "select": "gold",
        "multi_select": ["silver"],
        "email": "a@example.jp",
        "phone": "03-1234-5678",
        "postal_address": {"postal_code": "100-0001", "prefecture": "東京都", "city": "千代田区"},
        "url": "https://example.jp/",
    }
    for kind in good:
        await world.field(f"f_{kind}", kind, options=["gold", "silver"] if "select" in kind else [])
    await world.field("f_file", "file")
    assert (await world.set("aoi", **{f"f_{k}": v for k, v in good.items()})).status_code == 200
    before = await world.values("aoi")
    world.recorder.take()

    for kind, _, bad, path in BAD_VALUES:
        key = f"f_{kind}"
        # One good change next to the bad one: all or nothing.
        sibling = ("f_text", "changed") if kind != "text" else ("f_url", "https://example.jp/changed")
        response = await world.set("aoi", **{sibling[0]: sibling[1], key: bad})
        assert response.status_code == 422, (kind, bad, response.text)
        assert paths(response) == [path.replace("$.values.v", f"$.values.{key}")], (kind, bad, response.text)
    unknown = await world.set("aoi", nope=1, f_text="changed")
    assert unknown.status_code == 422 and paths(unknown) == ["$.values.nope"]
    several = await world.set("aoi", f_number="x", f_date="x", f_email="x")
    assert paths(several) == ["$.values.f_number", "$.values.f_date", "$.values.f_email"]  # every problem at once
    for body in ({}, {"values": {}}, {"values": []}, {"values": {"f_text": "x"}, "extra": 1}):
        response = await world.client.patch(world.url(f"/friends/{world.friends['aoi']}"), json=body)
        assert response.status_code == 400, body

    assert await world.values("aoi") == before
    assert world.recorder.take() == []


async def test_forgiving_input_is_stored_canonically(world: World) -> None:
    for kind in ("number", "date", "datetime", "email", "phone", "postal_address", "url"):
        await world.field(f"f_{kind}", kind)
    response = await world.set(
        "aoi",
        f_number="１,２３４.５",
        f_date="2024/5/1",
        f_datetime="2024-05-01 10:00",
        f_email="ＴＡＲＯ＠example.jp",
        f_phone="０９０（１２３４）５６７８",
        f_postal_address={"postal_code": "〒１００ー０００１", "prefecture": "東京都", "city": "千代田区", "line2": ""},
        f_url="https://例え.jp/商品?色=赤",
    )
    assert response.status_code == 200, response.text
    assert response.json()["values"] == {
        "f_number": 1234.5,
        "f_date": "2024-05-01",
        "f_datetime": "2024-05-01T10:00:00+09:00",  # read in the workspace's time zone (Asia/Tokyo)
        "f_email": "TARO@example.jp",
        "f_phone": "090-1234-5678",
        "f_postal_address": {"postal_code": "100-0001", "prefecture": "東京都", "city": "千代田区"},
        "f_url": "https://xn--r8jz45g.jp/%E5%95%86%E5%93%81?%E8%89%B2=%E8%B5%A4",
    }
    # A date-time given in UTC is kept as the same instant, written in the workspace's time zone.
    again = await world.set(
        "aoi",
        f_datetime="2024-05-01T01:00:00Z",
        f_postal_address={"postal_code": "1000001", "prefecture": "東京都", "city": "千代田区"},
    )
    assert again.json()["changed"] == []


async def test_bulk_set_is_set_based_idempotent_and_validated(world: World) -> None:
    c, f = world.client, world.friends
    await world.field("rank", "select", options=["gold", "silver"])
    await world.field("doc", "file")
    everyone = list(f.values())
    made = await c.post(world.url("/bulk"), json={"friend_ids": everyone, "values": {"rank": "gold"}})
    assert made.status_code == 200, made.text
    assert made.json() == {"changed": {"rank": 3}, "events_emitted": True}
    assert sorted(world.recorder.take()) == sorted((i, "rank", None, "gold", "bulk") for i in everyone)
    again = await c.post(world.url("/bulk"), json={"friend_ids": everyone, "values": {"rank": "gold"}})
    assert again.json()["changed"] == {"rank": 0} and world.recorder.take() == []
    await world.set("aoi", rank="silver")
    world.recorder.take()
    changed = await c.post(world.url("/bulk"), json={"friend_ids": everyone, "values": {"rank": "gold"}})
    assert changed.json()["changed"] == {"rank": 1}
    assert world.recorder.take() == [(f["aoi"], "rank", "silver", "gold", "bulk")]

    bad = [
        (
            {"friend_ids": [f["aoi"], world.stranger, 999_999], "values": {"rank": "gold"}},
            ["$.friend_ids[1]", "$.friend_ids[2]"],
        ),
        ({"friend_ids": [f["aoi"]], "values": {"rank": "bronze"}}, ["$.values.rank"]),
        ({"friend_ids": [f["aoi"]], "values": {"doc": {"file_id": 1}}}, ["$.values.doc"]),
    ]
    for body, expected in bad:
        response = await c.post(world.url("/bulk"), json=body)
        assert response.status_code == 422, (body, response.text)
        assert paths(response) == expected
    for body in (
        {"friend_ids": [], "values": {"rank": "gold"}},
        {"friend_ids": [f["aoi"]] * 10_001, "values": {"rank": "gold"}},
        {"friend_ids": ["x"], "values": {"rank": "gold"}},
        {"friend_ids": [f["aoi"]]},
    ):
        assert (await c.post(world.url("/bulk"), json=body)).status_code == 400

    cleared = await c.post(world.url("/bulk"), json={"friend_ids": everyone, "values": {"rank": None}})
    assert cleared.json()["changed"] == {"rank": 3}
    assert [await world.values(name) for name in f] == [{}, {}, {}]


async def test_bulk_over_the_event_limit_changes_everything_without_events(world: World) -> None:
    await world.field("campaign")
    many = await world.add_friends(1001)
    response = await world.client.post(world.url("/bulk"), json={"friend_ids": many, "values": {"campaign": "夏"}})
    assert response.status_code == 200, response.text
    assert response.json() == {"changed": {"campaign": 1001}, "events_emitted": False}
    assert world.recorder.take() == []
    assert await count(world, FieldValue) == 1001
    cleared = await world.client.post(world.url("/bulk"), json={"friend_ids": many, "values": {"campaign": None}})
    assert cleared.json() == {"changed": {"campaign": 1001}, "events_emitted": False}


async def test_permissions_isolation_and_enablement(world: World) -> None:
    f = world.friends
    rank = await world.field("rank", "select", options=["gold"])
    operator, viewer = await world.as_role("operator"), await world.as_role("viewer")
    denied = await operator.post(world.url("/fields"), json={"key": "x", "label": "x", "type": "text"})
    assert denied.status_code == 403
    assert (await operator.patch(world.url(f"/fields/{rank['id']}"), json={"label": "y"})).status_code == 403
    allowed = await operator.patch(world.url(f"/friends/{f['aoi']}"), json={"values": {"rank": "gold"}})
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["updated"]["rank"]["updated_by_user_id"] == world.user_ids["operator"]
    assert (await viewer.get(world.url(f"/friends/{f['aoi']}"))).json()["values"] == {"rank": "gold"}
    assert (await viewer.get(world.url("/fields"))).status_code == 200
    assert (await viewer.patch(world.url(f"/friends/{f['aoi']}"), json={"values": {"rank": None}})).status_code == 403
    assert (
        await viewer.post(world.url("/bulk"), json={"friend_ids": [f["aoi"]], "values": {"rank": None}})
    ).status_code == 403

    # Another workspace's field and friend are simply not found.
    other = world.other_workspace_id
    assert (await world.client.get(world.url(f"/fields/{rank['id']}", other))).status_code == 404
    assert (await world.client.get(world.url(f"/friends/{world.stranger}"))).status_code == 404
    assert (await world.client.get(world.url(f"/friends/{f['aoi']}", other))).status_code == 404
    assert (await world.set(world.stranger, rank="gold")).status_code == 404
    assert (await world.client.get(world.url("/fields", other))).json() == []

    off = await world.client.put(f"/api/workspaces/{world.workspace_id}/plugins/friend_fields", json={"enabled": False})
    assert off.status_code == 200, off.text
    assert (await world.client.get(world.url("/fields"))).status_code == 404


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_files_upload_download_replace_and_limits(world: World) -> None:
    c, f = world.client, world.friends
    await world.field("id_card", "file", label="本人確認書類", accept=["image/*", "application/pdf"])
    await world.field("memo")
    url = world.url(f"/friends/{f['aoi']}/files/id_card")
    uploaded = await c.put(url, files={"file": ("免許証.png", PNG, "image/png")})
    assert uploaded.status_code == 200, uploaded.text
    value = uploaded.json()["value"]
    assert (value["name"], value["content_type"], value["size"]) == ("免許証.png", "image/png", len(PNG))
    assert (await world.values("aoi"))["id_card"] == value
    assert world.recorder.take() == [(f["aoi"], "id_card", None, value, "manual")]

    downloaded = await c.get(url)
    assert downloaded.status_code == 200 and downloaded.content == PNG
    assert downloaded.headers["content-type"].startswith("image/png")
    assert downloaded.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in downloaded.headers["content-disposition"]
    assert (await (await world.as_role("viewer")).get(url)).status_code == 200

    # Echoing the value back changes nothing; pointing at another friend's file is refused.
    echoed = await world.set("aoi", id_card=value)
    assert echoed.status_code == 200 and echoed.json()["changed"] == []
    ren_file = (
        await c.put(
            world.url(f"/friends/{f['ren']}/files/id_card"), files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}
        )
    ).json()["value"]
    stolen = await world.set("aoi", id_card={"file_id": ren_file["file_id"]})
    assert stolen.status_code == 422 and paths(stolen) == ["$.values.id_card.file_id"]

    replaced = await c.put(url, files={"file": ("new.pdf", b"%PDF-1.7 new", "application/pdf")})
    assert replaced.status_code == 200 and replaced.json()["changed"] is True
    assert (await c.get(url)).content == b"%PDF-1.7 new"
    assert await count(world, FieldFile) == 2  # the replaced file is gone; ren's stays

    refused = [
        ({"file": ("page.html", b"<script>", "text/html")}, 422, "$.file"),
        ({"file": ("empty.png", b"", "image/png")}, 422, "$.file"),
        ({"other": ("a.png", PNG, "image/png")}, 422, "$.file"),
    ]
    for files, status, path in refused:
        response = await c.put(url, files=files)
        assert response.status_code == status, (files, response.text)
        assert paths(response) == [path]
    not_file = await c.put(world.url(f"/friends/{f['aoi']}/files/memo"), files={"file": ("a.png", PNG, "image/png")})
    assert not_file.status_code == 422 and paths(not_file) == ["$.key"]
    settings = await c.put(
        f"/api/workspaces/{world.workspace_id}/plugins/friend_fields",
        json={"enabled": True, "settings": {"max_file_bytes": 2048}},
    )
    assert settings.status_code == 200, settings.text
    too_large = await c.put(url, files={"file": ("big.png", PNG + b"\x00" * 4096, "image/png")})
    assert too_large.status_code == 413 and paths(too_large) == ["$.file"]
    assert (await c.get(url)).content == b"%PDF-1.7 new"

    assert (await world.set("aoi", id_card=None)).json()["changed"] == ["id_card"]
    assert (await c.get(url)).status_code == 404
    assert await count(world, FieldFile) == 1


async def test_a_deleted_friend_loses_values_and_files(world: World) -> None:
    await world.field("nickname")
    await world.field("doc", "file")
    aoi = world.friends["aoi"]
    await world.set("aoi", nickname="あお")
    await world.set("ren", nickname="れん")
    await world.client.put(world.url(f"/friends/{aoi}/files/doc"), files={"file": ("a.txt", b"hello", "text/plain")})
    async with world.env.db.transaction(world.workspace_id) as s:
        await s.execute(delete(Friend).where(Friend.id == aoi))
    assert await count(world, FieldValue) == 1
    assert await count(world, FieldFile) == 0
