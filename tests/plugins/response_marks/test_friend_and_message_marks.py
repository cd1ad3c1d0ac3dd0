"""Marks on friends (one at a time, in bulk, with history and events) and on single messages, through the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from enishi_response_marks.models import MarkChange
from sqlalchemy import delete, func, select

from enishi import Friend

if TYPE_CHECKING:
    from tests.plugins.response_marks.conftest import MarksWorld


def paths(response: Any) -> list[str]:
    return [e["path"] for e in response.json()["errors"]]


async def history_count(world: MarksWorld) -> int:
    async with world.env.db.session(world.workspace_id) as s:
        return int(await s.scalar(select(func.count()).select_from(MarkChange)) or 0)


async def test_set_change_and_clear_one_friend_with_history(world: MarksWorld) -> None:
    c, m = world.client, world.marks
    aoi = world.friends["aoi"]
    assert (await c.get(world.url(f"/friends/{aoi}"))).json() == {
        "friend_id": aoi,
        "mark": None,
        "set_at": None,
        "set_by_user_id": None,
        "source": None,
    }
    assert await world.set("aoi", m["要対応"]) == {"friend_id": aoi, "mark_id": m["要対応"], "changed": True}
    assert (await world.set("aoi", m["要対応"]))["changed"] is False  # a repeat is no change
    assert (await world.set("aoi", m["対応中"]))["changed"] is True
    shown = (await c.get(world.url(f"/friends/{aoi}"))).json()
    assert shown["mark"] == {"id": m["対応中"], "label": "対応中", "color": "#fbc02d"}
    assert (shown["source"], shown["set_by_user_id"]) == ("manual", world.owner_id)

    cleared = await c.delete(world.url(f"/friends/{aoi}"))
    assert cleared.status_code == 200 and cleared.json() == {"friend_id": aoi, "mark_id": None, "changed": True}
    assert (await c.delete(world.url(f"/friends/{aoi}"))).json()["changed"] is False
    assert (await world.set("aoi", None))["changed"] is False  # PUT null clears too
    assert world.recorder.take() == [
        (aoi, None, m["要対応"], "manual"),
        (aoi, m["要対応"], m["対応中"], "manual"),
        (aoi, m["対応中"], None, "manual"),
    ]

    history = (await c.get(world.url(f"/friends/{aoi}/history"))).json()
    assert history["next"] is None
    assert [(h["from_label"], h["to_label"], h["source"], h["user_id"]) for h in history["items"]] == [
        ("対応中", None, "manual", world.owner_id),
        ("要対応", "対応中", "manual", world.owner_id),
        (None, "要対応", "manual", world.owner_id),
    ]
    # Paged newest first by keyset.
    first = (await c.get(world.url(f"/friends/{aoi}/history?limit=2"))).json()
    assert len(first["items"]) == 2 and first["next"]
    rest = (await c.get(world.url(f"/friends/{aoi}/history?limit=2&after={first['next']}"))).json()
    assert [h["to_label"] for h in rest["items"]] == ["要対応"] and rest["next"] is None
    assert (await c.get(world.url(f"/friends/{aoi}/history?after=nonsense"))).status_code == 400
    assert (await c.get(world.url(f"/friends/{aoi}/history?limit=0"))).status_code == 400
    assert (await c.get(world.url(f"/friends/{world.friends['ren']}/history"))).json()["items"] == []


async def test_bad_input_for_one_friend(world: MarksWorld) -> None:
    c, m = world.client, world.marks
    aoi = world.friends["aoi"]
    missing = await c.put(world.url(f"/friends/{aoi}"), json={})  # null clears; leaving it out is a mistake
    assert missing.status_code == 400 and "mark_id" in missing.json()["message"]
    for body in ({"mark_id": "x"}, {"mark_id": 0}):
        response = await c.put(world.url(f"/friends/{aoi}"), json=body)
        assert response.status_code == 400, (body, response.text)
        assert paths(response) == ["$.mark_id"], (body, response.text)
    assert (await c.put(world.url(f"/friends/{aoi}"), json={"mark_id": 1, "x": 1})).status_code == 400
    theirs = await world.mark("他店", workspace_id=world.other_workspace_id)
    for friend, mark in [(aoi, 999_999), (aoi, theirs), (999_999, m["要対応"]), (world.stranger, m["要対応"])]:
        response = await c.put(world.url(f"/friends/{friend}"), json={"mark_id": mark})
        assert response.status_code == 404, (friend, mark, response.text)
    for method in ("GET", "DELETE"):
        assert (await c.request(method, world.url(f"/friends/{world.stranger}"))).status_code == 404
    assert (await c.get(world.url(f"/friends/{world.stranger}/history"))).status_code == 404
    # The other workspace's friend keeps its own mark untouched.
    there = world.url(f"/friends/{world.stranger}", world.other_workspace_id)
    assert (await c.put(there, json={"mark_id": theirs})).status_code == 200
    assert await world.current() == {} and await world.current(world.other_workspace_id) == {world.stranger: theirs}
    assert world.recorder.take() == [(world.stranger, None, theirs, "manual")]
    assert await history_count(world) == 0


async def test_bulk_is_idempotent_and_records_only_real_changes(world: MarksWorld) -> None:
    c, m, f = world.client, world.marks, world.friends
    await world.set("aoi", m["対応中"])
    world.recorder.take()
    body = {"friend_ids": [f["aoi"], f["ren"], f["yui"], f["aoi"]], "mark_id": m["対応中"]}  # a repeat is harmless
    first = await c.post(world.url("/friends/bulk"), json=body)
    assert first.status_code == 200, first.text
    assert first.json() == {"mark_id": m["対応中"], "changed": 2, "events_emitted": True}  # aoi had it already
    assert world.recorder.take() == [(f["ren"], None, m["対応中"], "bulk"), (f["yui"], None, m["対応中"], "bulk")]
    assert (await c.post(world.url("/friends/bulk"), json=body)).json()["changed"] == 0
    assert world.recorder.take() == [] and await history_count(world) == 3

    done = {"friend_ids": [f["aoi"], f["ren"]], "mark_id": m["対応済"]}
    assert (await c.post(world.url("/friends/bulk"), json=done)).json()["changed"] == 2
    assert await world.current() == {f["aoi"]: m["対応済"], f["ren"]: m["対応済"], f["yui"]: m["対応中"]}
    clear = {"friend_ids": list(f.values()), "mark_id": None}
    assert (await c.post(world.url("/friends/bulk"), json=clear)).json()["changed"] == 3
    assert await world.current() == {}
    assert sorted(world.recorder.take()) == sorted(
        [
            (f["aoi"], m["対応中"], m["対応済"], "bulk"),
            (f["ren"], m["対応中"], m["対応済"], "bulk"),
            (f["aoi"], m["対応済"], None, "bulk"),
            (f["ren"], m["対応済"], None, "bulk"),
            (f["yui"], m["対応中"], None, "bulk"),
        ]
    )
    assert (await c.post(world.url("/friends/bulk"), json=clear)).json()["changed"] == 0
    assert await history_count(world) == 8


async def test_bad_bulk_input_changes_nothing(world: MarksWorld) -> None:
    c, m = world.client, world.marks
    aoi = world.friends["aoi"]
    for body in [
        {"friend_ids": [], "mark_id": m["要対応"]},
        {"friend_ids": [aoi]},  # mark_id must be given (null to clear), never assumed
        {"friend_ids": ["x"], "mark_id": m["要対応"]},
        {"friend_ids": [aoi], "mark_id": -1},
        {"friend_ids": [aoi] * 10_001, "mark_id": m["要対応"]},
        {"friend_ids": [aoi], "mark_id": None, "op": "add"},
    ]:
        assert (await c.post(world.url("/friends/bulk"), json=body)).status_code == 400, body
    theirs = await world.mark("他店", workspace_id=world.other_workspace_id)
    unknown = await c.post(
        world.url("/friends/bulk"), json={"friend_ids": [aoi, 999_999, world.stranger], "mark_id": theirs}
    )
    assert unknown.status_code == 422
    assert paths(unknown) == ["$.mark_id", "$.friend_ids[1]", "$.friend_ids[2]"]
    many = await c.post(
        world.url("/friends/bulk"), json={"friend_ids": list(range(10**9, 10**9 + 150)), "mark_id": None}
    )
    assert many.status_code == 422
    assert len(paths(many)) == 101 and paths(many)[-1] == "$.friend_ids"  # the rest summed up in one line
    assert await world.current() == {} and await world.current(world.other_workspace_id) == {}
    assert world.recorder.take() == [] and await history_count(world) == 0


async def test_bulk_over_the_event_limit_changes_everything_but_announces_nothing(world: MarksWorld) -> None:
    many = await world.add_friends(1001)
    needs_reply = world.marks["要対応"]
    body = {"friend_ids": many, "mark_id": needs_reply}
    response = await world.client.post(world.url("/friends/bulk"), json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"mark_id": needs_reply, "changed": 1001, "events_emitted": False}
    assert world.recorder.take() == []
    assert await history_count(world) == 1001
    current = await world.current()
    assert len(current) == 1001 and set(current.values()) == {needs_reply}
    cleared = await world.client.post(world.url("/friends/bulk"), json={"friend_ids": many, "mark_id": None})
    assert cleared.json() == {"mark_id": None, "changed": 1001, "events_emitted": False}
    assert await world.current() == {} and await history_count(world) == 2002


async def test_list_friends_by_mark(world: MarksWorld) -> None:
    c, m, f = world.client, world.marks, world.friends
    await world.set("ren", m["要対応"])
    await world.set("aoi", m["要対応"])
    await world.set("yui", m["対応済"])
    newest = (await c.get(world.url(f"/friends?mark_id={m['要対応']}"))).json()
    assert [(x["friend_id"], x["display_name"], x["mark"]["label"]) for x in newest["items"]] == [
        (f["aoi"], "aoi", "要対応"),
        (f["ren"], "ren", "要対応"),
    ]
    assert newest["next"] is None
    oldest = (await c.get(world.url(f"/friends?mark_id={m['要対応']}&order=oldest&limit=1"))).json()
    assert [x["friend_id"] for x in oldest["items"]] == [f["ren"]] and oldest["next"]
    rest = await c.get(world.url(f"/friends?mark_id={m['要対応']}&order=oldest&limit=1&after={oldest['next']}"))
    assert [x["friend_id"] for x in rest.json()["items"]] == [f["aoi"]] and rest.json()["next"] is None
    everyone = (await c.get(world.url("/friends"))).json()["items"]
    assert [(x["friend_id"], x["status"]) for x in everyone] == [
        (f["yui"], "blocked"),
        (f["aoi"], "following"),
        (f["ren"], "following"),
    ]
    for query in ("after=bm9wZQ", "order=random", "limit=201", "mark_id=0"):
        assert (await c.get(world.url(f"/friends?{query}"))).status_code == 400, query
    assert (await c.get(world.url("/friends?mark_id=999999"))).status_code == 404


async def test_a_deleted_friend_takes_its_mark_and_history_along(world: MarksWorld) -> None:
    aoi = world.friends["aoi"]
    await world.set("aoi", world.marks["要対応"])
    await world.set("ren", world.marks["要対応"])
    async with world.env.db.transaction(world.workspace_id) as s:
        await s.execute(delete(Friend).where(Friend.id == aoi))
    assert await world.current() == {world.friends["ren"]: world.marks["要対応"]}
    assert await history_count(world) == 1


async def test_marks_on_single_messages(world: MarksWorld) -> None:
    c, m = world.client, world.marks
    aoi, ren = world.friends["aoi"], world.friends["ren"]
    first, second, other = await world.add_message(aoi), await world.add_message(aoi), await world.add_message(ren)
    sent = await world.add_message(aoi, direction="out")

    shown = (await c.get(world.url(f"/messages/{first}"))).json()
    assert (shown["message_id"], shown["friend_id"], shown["kind"], shown["mark"]) == (first, aoi, "text", None)
    put = await c.put(world.url(f"/messages/{first}"), json={"mark_id": m["要対応"]})
    assert put.status_code == 200 and put.json() == {"message_id": first, "mark_id": m["要対応"], "changed": True}
    assert (await c.put(world.url(f"/messages/{first}"), json={"mark_id": m["要対応"]})).json()["changed"] is False
    assert (await c.put(world.url(f"/messages/{first}"), json={"mark_id": m["対応中"]})).json()["changed"] is True
    await c.put(world.url(f"/messages/{second}"), json={"mark_id": m["要対応"]})
    await c.put(world.url(f"/messages/{other}"), json={"mark_id": m["要対応"]})
    shown = (await c.get(world.url(f"/messages/{first}"))).json()
    assert shown["mark"]["label"] == "対応中" and shown["set_by_user_id"] == world.owner_id
    assert world.recorder.take() == []  # message marks do not change the friend's mark
    assert await world.current() == {}

    def ids(response: Any) -> list[int]:
        return [x["message_id"] for x in response.json()["items"]]

    assert ids(await c.get(world.url(f"/messages?mark_id={m['要対応']}"))) == [other, second]  # newest first
    assert ids(await c.get(world.url(f"/messages?friend_id={aoi}"))) == [second, first]
    assert ids(await c.get(world.url(f"/messages?friend_id={aoi}&mark_id={m['要対応']}"))) == [second]
    page = (await c.get(world.url("/messages?limit=2"))).json()
    assert [x["message_id"] for x in page["items"]] == [other, second] and page["next"]
    assert ids(await c.get(world.url(f"/messages?limit=2&after={page['next']}"))) == [first]
    counts = {x["label"]: x["message_count"] for x in (await c.get(world.url("/marks"))).json()}
    assert counts == {"要対応": 2, "対応中": 1, "対応済": 0}

    cleared = await c.delete(world.url(f"/messages/{first}"))
    assert cleared.status_code == 200 and cleared.json()["changed"] is True
    assert (await c.delete(world.url(f"/messages/{first}"))).json()["changed"] is False
    assert (await c.put(world.url(f"/messages/{second}"), json={"mark_id": None})).json()["changed"] is True
    assert ids(await c.get(world.url(f"/messages?friend_id={aoi}"))) == []

    # Only what friends sent can be marked; other workspaces' messages and marks are not found.
    outbound = await c.put(world.url(f"/messages/{sent}"), json={"mark_id": m["要対応"]})
    assert outbound.status_code == 422 and paths(outbound) == ["path:message_id"]
    theirs_message = await world.add_message(world.stranger, workspace_id=world.other_workspace_id)
    theirs_mark = await world.mark("他店", workspace_id=world.other_workspace_id)
    for method, path, body in [
        ("GET", f"/messages/{theirs_message}", None),
        ("PUT", f"/messages/{theirs_message}", {"mark_id": m["要対応"]}),
        ("DELETE", f"/messages/{theirs_message}", None),
        ("PUT", f"/messages/{other}", {"mark_id": theirs_mark}),
        ("PUT", "/messages/999999", {"mark_id": m["要対応"]}),
        ("GET", f"/messages?friend_id={world.stranger}", None),
    ]:
        response = await c.request(method, world.url(path), json=body)
        assert response.status_code == 404, (method, path, response.text)
    for body in ({}, {"mark_id": "x"}, {"mark_id": 0}):
        assert (await c.put(world.url(f"/messages/{other}"), json=body)).status_code == 400, body
    assert ids(await c.get(world.url("/messages"))) == [other]
