"""The assignment API on both databases: one friend and bulk, history, my friends, counts, staff who leave, and
every kind of bad input answered with a 4xx naming the field, leaving the data as it was."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from enishi_assignment.models import Assignee, AssignmentChange
from sqlalchemy import func, select

from enishi.models import AuditEntry, User

if TYPE_CHECKING:
    from tests.plugins.assignment.conftest import World


async def assignees(world: World) -> dict[int, tuple[int, str]]:
    """friend_id → (user_id, source), of every workspace."""
    async with world.env.db.session() as s:
        return {
            f: (u, src) for f, u, src in await s.execute(select(Assignee.friend_id, Assignee.user_id, Assignee.source))
        }


async def history_rows(world: World) -> int:
    async with world.env.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(AssignmentChange)) or 0)


def paths(response: Any) -> list[str]:
    return [e["path"] for e in response.json()["errors"]]


async def test_assign_reassign_and_unassign_one_friend(world: World) -> None:
    aoi, u = world.friends["aoi"], world.user_ids
    response = await world.call("mika", "GET", f"/friends/{aoi}")
    assert response.status_code == 200
    assert response.json() == {
        "friend_id": aoi,
        "assignee": None,
        "assigned_at": None,
        "assigned_by_user_id": None,
        "source": None,
    }

    response = await world.call("mika", "PUT", f"/friends/{aoi}", {"user_id": u["aki"]})
    assert response.status_code == 200, response.text
    assert response.json() == {"friend_id": aoi, "user_id": u["aki"], "changed": True}
    shown = (await world.call("aki", "GET", f"/friends/{aoi}")).json()
    assert shown["assignee"] == {"user_id": u["aki"], "display_name": "aki"}
    assert shown["assigned_by_user_id"] == u["mika"] and shown["source"] == "manual"

    # Asking for what already is changes nothing: no history, no event.
    again = await world.call("mika", "PUT", f"/friends/{aoi}", {"user_id": u["aki"]})
    assert again.json() == {"friend_id": aoi, "user_id": u["aki"], "changed": False}
    assert await history_rows(world) == 1

    await world.call("aki", "PUT", f"/friends/{aoi}", {"user_id": u["ken"]})
    gone = await world.call("ken", "DELETE", f"/friends/{aoi}")
    assert gone.status_code == 200 and gone.json() == {"friend_id": aoi, "user_id": None, "changed": True}
    gone_again = await world.call("ken", "DELETE", f"/friends/{aoi}")
    assert gone_again.json()["changed"] is False
    assert await assignees(world) == {}
    assert world.recorder.take() == [
        (aoi, None, u["aki"], "manual"),
        (aoi, u["aki"], u["ken"], "manual"),
        (aoi, u["ken"], None, "manual"),
    ]

    # The history, newest first, names who had the friend and who changed it; paged by keyset.
    page = (await world.call("vi", "GET", f"/friends/{aoi}/history?limit=2")).json()
    assert [(h["from_user"], h["to_user"], h["changed_by"]["display_name"]) for h in page["items"]] == [
        ({"user_id": u["ken"], "display_name": "ken"}, None, "ken"),
        ({"user_id": u["aki"], "display_name": "aki"}, {"user_id": u["ken"], "display_name": "ken"}, "aki"),
    ]
    rest = (await world.call("vi", "GET", f"/friends/{aoi}/history?limit=2&after={page['next']}")).json()
    assert [(h["from_user"], h["to_user"]["user_id"]) for h in rest["items"]] == [(None, u["aki"])]
    assert rest["next"] is None

    # The audit log records each change with what was asked.
    async with world.env.db.session() as s:
        actions = list(await s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("assignment.%"))))
    assert actions.count("assignment.assign") == 3 and actions.count("assignment.unassign") == 2


async def test_only_staff_of_the_workspace_can_be_assigned(world: World) -> None:
    aoi, u = world.friends["aoi"], world.user_ids
    await world.assign(aoi="aki")
    # Another workspace's owner, an agency member who is not on this workspace's staff, a user without any
    # membership and a user id that does not exist.
    for who in (u["saki"], u["boss"], u["nomad"], 999_999):
        response = await world.call("mika", "PUT", f"/friends/{aoi}", {"user_id": who})
        assert response.status_code == 422, response.text
        assert paths(response) == ["$.user_id"]
        bulk = await world.call("mika", "POST", "/bulk", {"friend_ids": [aoi], "user_id": who})
        assert bulk.status_code == 422 and paths(bulk) == ["$.user_id"]
    assert await assignees(world) == {aoi: (u["aki"], "manual")}
    assert world.recorder.take() == []


async def test_bad_input_is_refused_with_the_field_path(world: World) -> None:
    aoi, u = world.friends["aoi"], world.user_ids
    cases: list[tuple[str, str, Any, int, list[str]]] = [
        ("PUT", f"/friends/{aoi}", {}, 422, ["$"]),
        ("PUT", f"/friends/{aoi}", {"user_id": u["aki"], "pool_id": 1}, 422, ["$"]),
        ("PUT", f"/friends/{aoi}", {"user_id": "aki"}, 400, ["$.user_id"]),
        ("PUT", f"/friends/{aoi}", {"user_id": 0}, 400, ["$.user_id"]),
        ("PUT", f"/friends/{aoi}", {"user_id": u["aki"], "colour": "red"}, 400, ["$.colour"]),
        ("PUT", f"/friends/{aoi}", {"user_id": None, "keep_existing": True}, 422, ["$.keep_existing"]),
        ("PUT", f"/friends/{aoi}", {"pool_id": 424242}, 422, ["$.pool_id"]),
        ("POST", "/bulk", {"user_id": u["aki"]}, 400, ["$.friend_ids"]),
        ("POST", "/bulk", {"friend_ids": [], "user_id": u["aki"]}, 400, ["$.friend_ids"]),
        ("POST", "/bulk", {"friend_ids": [aoi, -1], "user_id": u["aki"]}, 400, ["$.friend_ids[1]"]),
        (
            "POST",
            "/bulk",
            {"friend_ids": [aoi, world.stranger, 987_654], "user_id": u["aki"]},
            422,
            ["$.friend_ids[1]", "$.friend_ids[2]"],
        ),
        ("POST", "/bulk", {"friend_ids": list(range(1, 10_002)), "user_id": None}, 400, ["$.friend_ids"]),
        ("GET", "/friends?assignee=someone", None, 400, ["query:assignee"]),
        ("GET", f"/friends?assignee={u['saki']}", None, 422, ["query:assignee"]),
        ("GET", "/friends?after=bm9wZQ", None, 400, ["query:after"]),
        ("GET", '/friends?after="x"', None, 400, ["query:after"]),
        ("GET", "/friends?limit=0", None, 400, ["query:limit"]),
        ("GET", "/friends?limit=201", None, 400, ["query:limit"]),
        ("GET", "/friends?status=gone", None, 400, ["query:status"]),
        ("GET", f"/friends/{aoi}/history?after=WzFd", None, 400, ["query:after"]),
    ]
    for method, path, body, status, where in cases:
        response = await world.call("mika", method, path, body)
        assert response.status_code == status, (method, path, body, response.text)
        assert response.json()["status"] == status
        assert paths(response) == where, (method, path, body, response.json())
    # Another workspace's friend, and a missing one, are simply not found.
    for friend in (world.stranger, 123_456):
        assert (await world.call("mika", "PUT", f"/friends/{friend}", {"user_id": u["aki"]})).status_code == 404
        assert (await world.call("mika", "GET", f"/friends/{friend}")).status_code == 404
        assert (await world.call("mika", "GET", f"/friends/{friend}/history")).status_code == 404
    assert await assignees(world) == {}
    assert await history_rows(world) == 0


async def test_bulk_is_set_based_idempotent_and_keeps_existing_on_request(world: World) -> None:
    f, u = world.friends, world.user_ids
    everyone = list(f.values())
    await world.assign(aoi="ken")
    response = await world.call("mika", "POST", "/bulk", {"friend_ids": [*everyone, f["aoi"]], "user_id": u["aki"]})
    assert response.status_code == 200, response.text
    assert response.json() == {"changed": 3, "events_emitted": True}
    assert sorted(world.recorder.take()) == sorted(
        [(f["aoi"], u["ken"], u["aki"], "bulk"), (f["ren"], None, u["aki"], "bulk"), (f["yui"], None, u["aki"], "bulk")]
    )
    again = await world.call("mika", "POST", "/bulk", {"friend_ids": everyone, "user_id": u["aki"]})
    assert again.json() == {"changed": 0, "events_emitted": True}

    # keep_existing: only friends with nobody (here: ren, after unassigning them) get the new assignee.
    await world.assign(ren=None)
    kept = await world.call(
        "mika", "POST", "/bulk", {"friend_ids": everyone, "user_id": u["ken"], "keep_existing": True}
    )
    assert kept.json()["changed"] == 1
    assert await assignees(world) == {
        f["aoi"]: (u["aki"], "bulk"),
        f["ren"]: (u["ken"], "bulk"),
        f["yui"]: (u["aki"], "bulk"),
    }

    cleared = await world.call("aki", "POST", "/bulk", {"friend_ids": everyone, "user_id": None})
    assert cleared.json() == {"changed": 3, "events_emitted": True}
    assert (await world.call("aki", "POST", "/bulk", {"friend_ids": everyone, "user_id": None})).json()["changed"] == 0
    assert await assignees(world) == {}
    world.recorder.take()

    # Many friends at once: one statement each way; over the event limit nothing is announced.
    many = await world.add_friends(1001)
    big = await world.call("mika", "POST", "/bulk", {"friend_ids": many, "user_id": u["ken"]})
    assert big.json() == {"changed": 1001, "events_emitted": False}
    assert world.recorder.take() == []
    assert len(await assignees(world)) == 1001
    assert await history_rows(world) == 9 + 1001  # 1 + 3 + 1 + 1 + 3 before


async def test_my_friends_filter_and_counts_per_staff_member(world: World) -> None:
    f, u = world.friends, world.user_ids
    await world.assign(aoi="aki", yui="aki", ren="ken")
    first = (await world.call("aki", "GET", "/friends?limit=1")).json()
    assert [i["friend_id"] for i in first["items"]] == [f["aoi"]]
    assert first["items"][0]["display_name"] == "aoi" and first["items"][0]["source"] == "manual"
    second = (await world.call("aki", "GET", f"/friends?limit=1&after={first['next']}")).json()
    assert [i["friend_id"] for i in second["items"]] == [f["yui"]] and second["next"] is None
    following = (await world.call("aki", "GET", "/friends?status=following")).json()
    assert [i["friend_id"] for i in following["items"]] == [f["aoi"]]
    assert [i["friend_id"] for i in (await world.call("ken", "GET", "/friends")).json()["items"]] == [f["ren"]]
    assert (await world.call("vi", "GET", "/friends")).json() == {"items": [], "next": None}
    # The agency owner sees the workspace but is nobody's assignee.
    assert (await world.call("boss", "GET", "/friends?assignee=me")).json()["items"] == []
    by_id = (await world.call("vi", "GET", f"/friends?assignee={u['ken']}")).json()
    assert [i["friend_id"] for i in by_id["items"]] == [f["ren"]]
    await world.assign(ren=None)
    nobody = (await world.call("vi", "GET", "/friends?assignee=nobody")).json()
    assert [(i["friend_id"], i["assigned_at"]) for i in nobody["items"]] == [(f["ren"], None)]

    counts = (await world.call("vi", "GET", "/counts")).json()
    assert counts == {
        "staff": [
            {"user_id": u["mika"], "display_name": "mika", "friend_count": 0, "following_count": 0},
            {"user_id": u["aki"], "display_name": "aki", "friend_count": 2, "following_count": 1},
            {"user_id": u["ken"], "display_name": "ken", "friend_count": 0, "following_count": 0},
            {"user_id": u["vi"], "display_name": "vi", "friend_count": 0, "following_count": 0},
        ],
        "unassigned": 1,
        "unassigned_following": 1,
        "former_staff": 0,
    }
    assert (await world.call("vi", "GET", "/staff")).json() == counts["staff"]


async def test_a_staff_member_who_leaves_keeps_the_rows_but_their_friends_read_unassigned(world: World) -> None:
    f, u = world.friends, world.user_ids
    await world.assign(aoi="ken", ren="ken", yui="aki")
    await world.remove_staff("ken")

    assert (await world.call("mika", "GET", f"/friends/{f['aoi']}")).json()["assignee"] is None
    nobody = (await world.call("mika", "GET", "/friends?assignee=nobody")).json()
    assert [i["friend_id"] for i in nobody["items"]] == [f["aoi"], f["ren"]]
    counts = (await world.call("mika", "GET", "/counts")).json()
    assert [s["display_name"] for s in counts["staff"]] == ["mika", "aki", "vi"]
    assert (counts["unassigned"], counts["former_staff"]) == (2, 2)
    refused = await world.call("mika", "PUT", f"/friends/{f['aoi']}", {"user_id": u["ken"]})
    assert refused.status_code == 422 and paths(refused) == ["$.user_id"]
    # keep_existing treats them as unassigned too, so they can be handed over in one go.
    handover = await world.call(
        "mika", "POST", "/bulk", {"friend_ids": list(f.values()), "user_id": u["mika"], "keep_existing": True}
    )
    assert handover.json()["changed"] == 2
    assert world.recorder.take() == [
        (f["aoi"], u["ken"], u["mika"], "bulk"),
        (f["ren"], u["ken"], u["mika"], "bulk"),
    ]

    # Back on the staff: rows that were left alone count again. A deactivated account counts as gone.
    await world.assign(ren="aki")
    await world.remove_staff("aki")
    await world.add_staff("aki")
    assert (await world.call("mika", "GET", f"/friends/{f['yui']}")).json()["assignee"]["user_id"] == u["aki"]
    async with world.env.db.transaction() as s:
        (await s.get_one(User, u["aki"])).is_active = False
    counts = (await world.call("mika", "GET", "/counts")).json()
    assert (counts["unassigned"], counts["former_staff"]) == (2, 2)


async def test_permissions_and_workspaces(world: World) -> None:
    aoi, u = world.friends["aoi"], world.user_ids
    viewer = await world.call("vi", "PUT", f"/friends/{aoi}", {"user_id": u["vi"]})
    assert viewer.status_code == 403
    assert (await world.call("vi", "POST", "/bulk", {"friend_ids": [aoi], "user_id": None})).status_code == 403
    assert (await world.call("aki", "PUT", f"/friends/{aoi}", {"user_id": u["aki"]})).status_code == 200
    # Workspace 2's owner cannot reach workspace 1, and workspace 1's friends are not in workspace 2.
    assert (await world.call("saki", "GET", f"/friends/{aoi}")).status_code == 404
    assert (
        await world.call("mika", "GET", f"/friends/{aoi}", workspace_id=world.other_workspace_id)
    ).status_code == 404
    assert (
        await world.call("boss", "GET", f"/friends/{aoi}", workspace_id=world.other_workspace_id)
    ).status_code == 404
    theirs = await world.call(
        "saki", "PUT", f"/friends/{world.stranger}", {"user_id": u["saki"]}, world.other_workspace_id
    )
    assert theirs.status_code == 200
    counts = (await world.call("boss", "GET", "/counts", workspace_id=world.other_workspace_id)).json()
    assert counts["staff"] == [{"user_id": u["saki"], "display_name": "saki", "friend_count": 1, "following_count": 1}]
