"""Staff notifications through the API: my list (unread first, keyset), unread count, marking read, and bad
input that changes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from enishi_assignment import nodes
from enishi_assignment.models import Notification
from sqlalchemy import select

if TYPE_CHECKING:
    from tests.plugins.assignment.conftest import World


def paths(response: Any) -> list[str]:
    return [e["path"] for e in response.json()["errors"]]


async def notify(world: World, to: str, text: str, friend: str = "aoi") -> None:
    ctx = world.action_context()
    async with ctx.session, ctx.session.begin():
        config = {"to": "user_ids", "user_ids": [world.user_ids[to]], "message": text}
        assert await nodes.run_notify(ctx, world.friends[friend], config) == {"notified": [world.user_ids[to]]}


async def read_times(world: World) -> dict[str, Any]:
    async with world.env.db.session() as s:
        return {t: r for t, r in await s.execute(select(Notification.text, Notification.read_at))}


async def test_my_notifications_unread_first_and_marking_them_read(world: World) -> None:
    for n in range(1, 6):
        await notify(world, "vi", f"n{n}")
    await notify(world, "ken", "for ken")
    listed = (await world.call("vi", "GET", "/notifications")).json()
    assert [n["text"] for n in listed["items"]] == ["n5", "n4", "n3", "n2", "n1"]
    assert listed["items"][0]["friend_id"] == world.friends["aoi"] and listed["items"][0]["read_at"] is None
    assert (await world.call("vi", "GET", "/notifications/unread-count")).json() == {"unread": 5}
    ids = {n["text"]: n["id"] for n in listed["items"]}

    # Viewers may mark their own notifications read.
    marked = await world.call("vi", "POST", "/notifications/read", {"ids": [ids["n4"], ids["n2"]]})
    assert marked.status_code == 200, marked.text
    assert marked.json() == {"marked": 2, "unread": 3}
    first_read = await read_times(world)
    again = await world.call("vi", "POST", "/notifications/read", {"ids": [ids["n4"]]})
    assert again.json() == {"marked": 0, "unread": 3}
    assert await read_times(world) == first_read  # read stays read, at its first time

    # Unread first (newest first), then read ones; pages cross from one part to the other.
    seen: list[str] = []
    after = ""
    while True:
        page = (await world.call("vi", "GET", f"/notifications?limit=2{after}")).json()
        seen += [n["text"] for n in page["items"]]
        if page["next"] is None:
            break
        after = f"&after={page['next']}"
    assert seen == ["n5", "n3", "n1", "n4", "n2"]
    unread = (await world.call("vi", "GET", "/notifications?unread=true")).json()
    assert [n["text"] for n in unread["items"]] == ["n5", "n3", "n1"]

    everything = await world.call("vi", "POST", "/notifications/read", {"all": True})
    assert everything.json() == {"marked": 3, "unread": 0}
    # Someone else's notifications are untouched and not visible.
    assert (await world.call("ken", "GET", "/notifications/unread-count")).json() == {"unread": 1}
    assert [n["text"] for n in (await world.call("ken", "GET", "/notifications")).json()["items"]] == ["for ken"]
    assert (await world.call("mika", "GET", "/notifications")).json() == {"items": [], "next": None}


async def test_bad_input_to_notifications(world: World) -> None:
    await notify(world, "vi", "mine")
    await notify(world, "ken", "theirs")
    mine = (await world.call("vi", "GET", "/notifications")).json()["items"][0]["id"]
    theirs = (await world.call("ken", "GET", "/notifications")).json()["items"][0]["id"]
    cases: list[tuple[Any, int, list[str]]] = [
        ({}, 422, ["$"]),
        ({"ids": [mine], "all": True}, 422, ["$"]),
        ({"all": False}, 422, ["$"]),
        ({"ids": []}, 400, ["$.ids"]),
        ({"ids": [0]}, 400, ["$.ids[0]"]),
        ({"ids": [mine, theirs, 777_777]}, 422, ["$.ids[1]", "$.ids[2]"]),
        ({"ids": "all"}, 400, ["$.ids"]),
    ]
    for body, status, where in cases:
        response = await world.call("vi", "POST", "/notifications/read", body)
        assert response.status_code == status, (body, response.text)
        assert paths(response) == where, (body, response.json())
    for query, where in [
        ("after=WzEsIDJd_", "query:after"),
        ("after=WzIsIDNd", "query:after"),
        ("limit=500", "query:limit"),
    ]:
        response = await world.call("vi", "GET", f"/notifications?{query}")
        assert response.status_code == 400, (query, response.text)
        assert paths(response) == [where]
    assert all(read_at is None for read_at in (await read_times(world)).values())
    # Staff of another workspace see nothing of this one.
    assert (await world.call("saki", "GET", "/notifications")).status_code == 404
