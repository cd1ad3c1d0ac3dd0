"""The notes API through the real app: writing, pinning, keyset pages, who may edit, history, soft deletion,
search, validation and isolation, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from enishi_notes.models import Note, NoteRevision
from sqlalchemy import delete, func, select

from enishi import Friend

if TYPE_CHECKING:
    from tests.plugins.notes.conftest import World


def paths(response: Any) -> list[str]:
    return [e["path"] for e in response.json()["errors"]]


async def test_notes_of_a_friend_pinned_first_then_newest_in_keyset_pages(world: World) -> None:
    aoi = world.friends["aoi"]
    first = await world.note("aoi", "  来店: カット  ", as_="operator")
    assert (first["body"], first["author_user_id"], first["source"]) == (
        "来店: カット",
        world.user_ids["operator"],
        "manual",
    )
    assert (first["pinned"], first["edits"], first["can_edit"]) == (False, 0, True)
    pinned = await world.note("aoi", "アレルギー: 小麦", pinned=True)
    assert pinned["pinned"] and pinned["pinned_at"]
    later = [await world.note("aoi", f"メモ{n}") for n in range(3)]
    await world.note("ren", "別の友だち")

    seen: list[int] = []
    url = world.url(f"/friends/{aoi}?limit=2")
    while url:
        page = (await world.client.get(url)).json()
        seen += [n["id"] for n in page["items"]]
        url = world.url(f"/friends/{aoi}?limit=2&after={page['next']}") if page["next"] else ""
    assert seen == [pinned["id"], *[n["id"] for n in reversed(later)], first["id"]]

    # Unpinning moves it back among the others by age.
    assert (await world.client.patch(world.url(f"/{pinned['id']}"), json={"pinned": False})).status_code == 200
    listed = (await world.client.get(world.url(f"/friends/{aoi}"))).json()
    assert [n["id"] for n in listed["items"]] == [*[n["id"] for n in reversed(later)], pinned["id"], first["id"]]
    assert listed["next"] is None

    for query, path in (("limit=0", "query:limit"), ("limit=201", "query:limit"), ("after=%%%", "query:after")):
        response = await world.client.get(world.url(f"/friends/{aoi}?{query}"))
        assert response.status_code == 400, (query, response.text)
        assert paths(response) == [path]
    wrong_shape = await world.client.get(world.url(f"/friends/{aoi}?after=WzFd"))  # [1]: not [pinned, id]
    assert wrong_shape.status_code == 400


async def test_only_the_author_or_an_admin_edits_or_deletes_a_note(world: World) -> None:
    theirs = await world.note("aoi", "担当: 佐藤", as_="operator2")
    operator = await world.as_role("operator")
    url = world.url(f"/{theirs['id']}")

    shown = (await operator.get(url)).json()
    assert shown["can_edit"] is False
    edit = await operator.patch(url, json={"body": "担当: 鈴木"})
    assert edit.status_code == 403, edit.text
    assert (await operator.delete(url)).status_code == 403
    # Pinning is not editing: any writer may pin.
    pinned = await operator.patch(url, json={"pinned": True})
    assert pinned.status_code == 200 and pinned.json()["pinned"] is True
    # A request that pins and edits is refused as a whole.
    assert (await operator.patch(url, json={"pinned": False, "body": "x"})).status_code == 403
    assert (await world.client.get(url)).json()["pinned"] is True

    mine = await world.note("aoi", "自分のメモ", as_="operator")
    assert (await operator.patch(world.url(f"/{mine['id']}"), json={"body": "自分のメモ(修正)"})).status_code == 200
    assert (await operator.delete(world.url(f"/{mine['id']}"))).status_code == 204

    admin = await world.as_role("admin")
    assert (await admin.get(url)).json()["can_edit"] is True
    by_admin = await admin.patch(url, json={"body": "担当: 鈴木"})
    assert by_admin.status_code == 200 and by_admin.json()["body"] == "担当: 鈴木"
    assert by_admin.json()["author_user_id"] == world.user_ids["operator2"]  # the author stays

    viewer = await world.as_role("viewer")
    assert (await viewer.get(world.url(f"/friends/{world.friends['aoi']}"))).status_code == 200
    added = await viewer.post(world.url(f"/friends/{world.friends['aoi']}"), json={"body": "x"})
    assert added.status_code == 403
    assert (await viewer.patch(url, json={"pinned": False})).status_code == 403


async def test_edits_keep_history_and_deletion_is_soft(world: World) -> None:
    note = await world.note("aoi", "初回来店", as_="operator")
    operator, admin = await world.as_role("operator"), await world.as_role("admin")
    url = world.url(f"/{note['id']}")
    assert (await operator.patch(url, json={"body": "初回来店(紹介)"})).status_code == 200
    assert (await operator.patch(url, json={"body": "初回来店(紹介)"})).json()["edits"] == 1  # unchanged: no entry
    edited = await admin.patch(url, json={"body": "初回来店(田中様の紹介)"})
    assert edited.json()["edits"] == 2

    assert (await operator.delete(url)).status_code == 204
    assert (await operator.get(url)).status_code == 404
    assert (await operator.get(world.url(f"/friends/{world.friends['aoi']}"))).json()["items"] == []
    assert (await operator.patch(url, json={"pinned": True})).status_code == 404
    assert (await operator.get(world.url(f"{url[len(world.url()) :]}/history"))).status_code == 404
    seen_by_admin = (await admin.get(url)).json()
    assert seen_by_admin["deleted_at"] and seen_by_admin["deleted_by_user_id"] == world.user_ids["operator"]

    history = (await admin.get(f"{url}/history")).json()
    assert [(h["kind"], h["body"], h["editor_user_id"]) for h in history["items"]] == [
        ("edited", "初回来店", world.user_ids["operator"]),
        ("edited", "初回来店(紹介)", world.user_ids["admin"]),
        ("deleted", "初回来店(田中様の紹介)", world.user_ids["operator"]),
    ]
    first_page = (await admin.get(f"{url}/history?limit=2")).json()
    rest = (await admin.get(f"{url}/history?limit=2&after={first_page['next']}")).json()
    assert [h["kind"] for h in first_page["items"] + rest["items"]] == ["edited", "edited", "deleted"]

    assert (await operator.post(f"{url}/restore")).status_code == 403
    restored = await admin.post(f"{url}/restore")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    assert (await admin.post(f"{url}/restore")).status_code == 409
    assert (await operator.get(url)).json()["body"] == "初回来店(田中様の紹介)"
    assert [h["kind"] for h in (await operator.get(f"{url}/history")).json()["items"]][-1] == "restored"


async def test_search_across_the_workspace(world: World) -> None:
    f = world.friends
    cafe = await world.note("aoi", "駅前のカフェで打ち合わせ。次回はケーキの試食会に招待する予定です。" * 4)
    await world.note("ren", "ｶﾌｪ好き、TANAKA様のご紹介")
    await world.note("yui", "割引率100%のクーポンを送付")
    gone = await world.note("yui", "カフェ(削除予定)")
    assert (await world.client.delete(world.url(f"/{gone['id']}"))).status_code == 204
    other = await world.client.post(
        world.url(f"/friends/{world.stranger}", world.other_workspace_id), json={"body": "カフェ"}
    )
    assert other.status_code == 201

    found = (await world.client.get(world.url("/search?q=カフェ"))).json()
    assert [(h["friend_id"], h["note_id"] != gone["id"]) for h in found["items"]] == [
        (f["ren"], True),
        (f["aoi"], True),
    ]
    assert found["items"][0]["snippet"] == "ｶﾌｪ好き、TANAKA様のご紹介"
    long_snippet = found["items"][1]["snippet"]
    assert "カフェ" in long_snippet and long_snippet.endswith("…") and len(long_snippet) <= 82
    assert cafe["id"] == found["items"][1]["note_id"]

    assert await hits(world, "tanaka") == [f["ren"]]
    assert await hits(world, "ｶﾌｪ") == [f["ren"], f["aoi"]]  # finds カフェ too
    percent = (await world.client.get(world.url("/search?q=100%25"))).json()["items"]
    assert [h["friend_id"] for h in percent] == [f["yui"]]
    assert (await world.client.get(world.url("/search?q=%25%25"))).json()["items"] == []  # LIKE wildcards are literal
    # The snippet of a match deep in a long note is cut around it, on one line.
    await world.note("ren", "あ" * 100 + "\n目印\n" + "い" * 100)
    [deep] = (await world.client.get(world.url("/search?q=目印"))).json()["items"]
    assert deep["snippet"] == "…" + "あ" * 39 + " 目印 " + "い" * 37 + "…"  # 40 characters before the match

    paged = (await world.client.get(world.url("/search?q=カフェ&limit=1"))).json()
    assert len(paged["items"]) == 1 and paged["next"]
    rest = (await world.client.get(world.url(f"/search?q=カフェ&limit=1&after={paged['next']}"))).json()
    assert [h["friend_id"] for h in rest["items"]] == [f["aoi"]] and rest["next"] is None

    for query in ("q=", "q=%20%20", "q=" + "x" * 101, "", "q=x&limit=0"):
        response = await world.client.get(world.url(f"/search?{query}"))
        assert response.status_code == 400, (query, response.text)


async def hits(world: World, query: str) -> list[int]:
    response = await world.client.get(world.url("/search"), params={"q": query})
    assert response.status_code == 200, response.text
    return [h["friend_id"] for h in response.json()["items"]]


async def test_bad_input_is_refused_with_paths(world: World) -> None:
    aoi = world.friends["aoi"]
    note = await world.note("aoi", "正しいメモ")
    bodies = [
        ({"body": ""}, "$.body"),
        ({"body": "   \n "}, "$.body"),
        ({"body": "x" * 5001}, "$.body"),
        ({"body": "a\x00b"}, "$.body"),
        ({"body": 12}, "$.body"),
        ({"body": "ok", "pinned": "yes"}, "$.pinned"),
    ]
    for body, path in bodies:
        response = await world.client.post(world.url(f"/friends/{aoi}"), json=body)
        assert response.status_code == 400, (body, response.text)
        assert paths(response) == [path], body
        patched = await world.client.patch(world.url(f"/{note['id']}"), json=body)
        assert patched.status_code == 400, (body, patched.text)
    for body in ({}, {"body": "ok", "author_user_id": 1}):
        assert (await world.client.post(world.url(f"/friends/{aoi}"), json=body)).status_code == 400
    assert len((await world.client.get(world.url("/friends/" + str(aoi)))).json()["items"]) == 1
    assert (await world.client.get(world.url(f"/{note['id']}"))).json()["body"] == "正しいメモ"
    # 5000 characters is the limit, after trimming the surrounding spaces.
    assert (
        await world.client.post(world.url(f"/friends/{aoi}"), json={"body": " " + "x" * 5000 + " "})
    ).status_code == 201

    assert (await world.client.post(world.url("/friends/999999"), json={"body": "x"})).status_code == 404
    assert (await world.client.post(world.url(f"/friends/{world.stranger}"), json={"body": "x"})).status_code == 404
    assert (await world.client.get(world.url(f"/{note['id']}", world.other_workspace_id))).status_code == 404
    assert (await world.client.delete(world.url(f"/{note['id']}", world.other_workspace_id))).status_code == 404
    assert (await world.client.get(world.url("/999999"))).status_code == 404


async def test_a_deleted_friend_loses_notes_and_history(world: World) -> None:
    note = await world.note("aoi", "メモ")
    await world.client.patch(world.url(f"/{note['id']}"), json={"body": "メモ2"})
    await world.note("ren", "残る")
    async with world.env.db.transaction(world.workspace_id) as s:
        await s.execute(delete(Friend).where(Friend.id == world.friends["aoi"]))
    async with world.env.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Note)) == 1
        assert await s.scalar(select(func.count()).select_from(NoteRevision)) == 0
