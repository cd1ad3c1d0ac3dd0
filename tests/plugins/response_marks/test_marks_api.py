"""The mark list through the real app: defaults, CRUD, reorder, deleting marks in use, validation, isolation,
permissions and enablement."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from enishi_response_marks.models import AutoRule, MarkChange
from sqlalchemy import select

if TYPE_CHECKING:
    from tests.plugins.response_marks.conftest import MarksWorld


def paths(response: Any) -> list[str]:
    return [e["path"] for e in response.json()["errors"]]


async def listed(world: MarksWorld, workspace_id: int | None = None) -> list[tuple[str, str, int, int]]:
    """(label, colour, friend count, message count) of the mark list, in its order."""
    response = await world.client.get(world.url("/marks", workspace_id))
    assert response.status_code == 200, response.text
    return [(m["label"], m["color"], m["friend_count"], m["message_count"]) for m in response.json()]


async def rule(world: MarksWorld) -> dict[str, Any]:
    response = await world.client.get(world.url("/auto-rule"))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_defaults_are_seeded_once_per_workspace(world: MarksWorld) -> None:
    assert await listed(world) == [
        ("要対応", "#e53935", 0, 0),
        ("対応中", "#fbc02d", 0, 0),
        ("対応済", "#43a047", 0, 0),
    ]
    assert [m[0] for m in await listed(world, world.other_workspace_id)] == ["要対応", "対応中", "対応済"]
    seeded_rule = await rule(world)
    assert (seeded_rule["enabled"], seeded_rule["mark"]["label"], seeded_rule["mode"]) == (False, "要対応", "if_none")

    # Staff change the defaults; switching the plugin off and on again must not bring them back.
    c = world.client
    assert (await c.delete(world.url(f"/marks/{world.marks['対応中']}"))).status_code == 200
    assert (await c.patch(world.url(f"/marks/{world.marks['対応済']}"), json={"label": "完了"})).status_code == 200
    plugin = f"/api/workspaces/{world.workspace_id}/plugins/response_marks"
    assert (await c.put(plugin, json={"enabled": False})).status_code == 200
    assert (await c.put(plugin, json={"enabled": True})).status_code == 200
    assert [m[0] for m in await listed(world)] == ["要対応", "完了"]


async def test_marks_crud(world: MarksWorld) -> None:
    c = world.client
    made = await c.post(world.url("/marks"), json={"label": " 折り返し電話 ", "color": "#1E88E5"})
    assert made.status_code == 201, made.text
    mark = made.json()
    # Trimmed, colour in one spelling, appended after the seeded marks.
    assert (mark["label"], mark["color"], mark["sort_order"], mark["friend_count"]) == ("折り返し電話", "#1e88e5", 3, 0)
    grey = await c.post(world.url("/marks"), json={"label": "保留", "sort_order": -5})
    assert (grey.json()["color"], grey.json()["sort_order"]) == ("#9e9e9e", -5)
    assert [m[0] for m in await listed(world)] == ["保留", "要対応", "対応中", "対応済", "折り返し電話"]
    longest = "長" * 50
    assert (await c.post(world.url("/marks"), json={"label": longest, "color": "#000000"})).status_code == 201

    shown = await c.get(world.url(f"/marks/{mark['id']}"))
    assert shown.status_code == 200 and shown.json()["label"] == "折り返し電話"
    changed = await c.patch(world.url(f"/marks/{mark['id']}"), json={"color": "#FFFFFF", "sort_order": 10})
    assert changed.status_code == 200, changed.text
    assert {k: changed.json()[k] for k in ("label", "color", "sort_order")} == {
        "label": "折り返し電話",  # untouched
        "color": "#ffffff",
        "sort_order": 10,
    }
    assert (await c.patch(world.url(f"/marks/{mark['id']}"), json={"label": "折り返し電話"})).status_code == 200

    assert (await c.delete(world.url(f"/marks/{mark['id']}"))).json() == {
        "deleted": mark["id"],
        "reassigned_to": None,
        "friends_changed": 0,
        "events_emitted": True,
    }
    assert (await c.get(world.url(f"/marks/{mark['id']}"))).status_code == 404
    assert (await c.delete(world.url(f"/marks/{mark['id']}"))).status_code == 404


async def test_bad_mark_input_answers_with_field_paths_and_changes_nothing(world: MarksWorld) -> None:
    c = world.client
    needs_reply = world.marks["要対応"]
    before = await listed(world)
    bad_bodies = [
        ({"label": "x", "color": "red"}, "$.color"),
        ({"label": "x", "color": "#12345"}, "$.color"),
        ({"label": "x", "color": "#GGGGGG"}, "$.color"),
        ({"label": "x", "color": "#1234567"}, "$.color"),
        ({"label": "   "}, "$.label"),
        ({"label": ""}, "$.label"),
        ({"label": "長" * 51}, "$.label"),
        ({"label": 5}, "$.label"),
        ({"label": "x", "sort_order": 10**7}, "$.sort_order"),
    ]
    for body, path in bad_bodies:
        response = await c.post(world.url("/marks"), json=body)
        assert response.status_code == 400, (body, response.text)
        assert paths(response) == [path], body
    for body in ({}, {"label": "x", "colour": "#000000"}):
        assert (await c.post(world.url("/marks"), json=body)).status_code == 400, body
    for body in ({"color": "blue"}, {"label": ""}, {"name": "x"}):
        assert (await c.patch(world.url(f"/marks/{needs_reply}"), json=body)).status_code == 400, body

    twice = await c.post(world.url("/marks"), json={"label": " 対応中"})
    assert twice.status_code == 409 and paths(twice) == ["$.label"]
    clash = await c.patch(world.url(f"/marks/{needs_reply}"), json={"label": "対応済", "color": "#000000"})
    assert clash.status_code == 409 and paths(clash) == ["$.label"]
    assert await listed(world) == before  # the refused patch changed neither label nor colour


async def test_reorder(world: MarksWorld) -> None:
    c, m = world.client, world.marks
    extra = await world.mark("保留")
    order = [m["対応済"], extra, m["要対応"], m["対応中"]]
    moved = await c.put(world.url("/marks/order"), json={"mark_ids": order})
    assert moved.status_code == 200, moved.text
    assert [(x["id"], x["sort_order"]) for x in moved.json()] == [(i, n) for n, i in enumerate(order)]
    assert [x[0] for x in await listed(world)] == ["対応済", "保留", "要対応", "対応中"]

    theirs = await world.mark("他店", workspace_id=world.other_workspace_id)
    refused = [
        ({"mark_ids": [*order, 999_999]}, ["$.mark_ids[4]"]),
        ({"mark_ids": [*order[:3], theirs]}, ["$.mark_ids[3]", "$.mark_ids"]),
        ({"mark_ids": [*order, order[0]]}, ["$.mark_ids[4]"]),
        ({"mark_ids": order[:3]}, ["$.mark_ids"]),
    ]
    for body, expected in refused:
        response = await c.put(world.url("/marks/order"), json=body)
        assert response.status_code == 422, (body, response.text)
        assert paths(response) == expected, body
    for body in ({"mark_ids": []}, {"mark_ids": ["a"]}, {"mark_ids": [0]}, {}):
        assert (await c.put(world.url("/marks/order"), json=body)).status_code == 400, body
    assert [x[0] for x in await listed(world)] == ["対応済", "保留", "要対応", "対応中"]  # untouched
    assert [x[0] for x in await listed(world, world.other_workspace_id)][-1] == "他店"


async def test_deleting_a_mark_in_use_is_refused_unless_moved_or_cleared(world: MarksWorld) -> None:
    c, m, f = world.client, world.marks, world.friends
    doing, done = m["対応中"], m["対応済"]
    await world.set("aoi", doing)
    await world.set("ren", doing)
    await world.set("yui", done)
    message = await world.add_message(f["aoi"])
    assert (await c.put(world.url(f"/messages/{message}"), json={"mark_id": doing})).status_code == 200
    world.recorder.take()

    refused = await c.delete(world.url(f"/marks/{doing}"))
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "mark_in_use" and "2" in refused.json()["message"]
    for query, path in [
        (f"reassign_to={doing}", "query:reassign_to"),  # onto itself
        ("reassign_to=999999", "query:reassign_to"),
        (f"reassign_to={done}&clear=true", "query:clear"),
    ]:
        response = await c.delete(world.url(f"/marks/{doing}?{query}"))
        assert response.status_code == 422, (query, response.text)
        assert paths(response) == [path], query
    theirs = await world.mark("他店", workspace_id=world.other_workspace_id)
    assert (await c.delete(world.url(f"/marks/{doing}?reassign_to={theirs}"))).status_code == 422
    assert (await c.delete(world.url(f"/marks/{doing}?reassign_to=0"))).status_code == 400
    assert (await c.delete(world.url(f"/marks/{doing}?clear=maybe"))).status_code == 400
    assert await world.current() == {f["aoi"]: doing, f["ren"]: doing, f["yui"]: done}  # nothing changed
    assert world.recorder.take() == []

    # Moved: the friends change mark (with history and events), so does the message.
    moved = await c.delete(world.url(f"/marks/{doing}?reassign_to={done}"))
    assert moved.status_code == 200, moved.text
    assert moved.json() == {"deleted": doing, "reassigned_to": done, "friends_changed": 2, "events_emitted": True}
    assert await world.current() == {f["aoi"]: done, f["ren"]: done, f["yui"]: done}
    assert world.recorder.take() == [(f["aoi"], doing, done, "bulk"), (f["ren"], doing, done, "bulk")]
    assert (await c.get(world.url(f"/messages/{message}"))).json()["mark"]["id"] == done
    history = (await c.get(world.url(f"/friends/{f['aoi']}/history"))).json()["items"]
    assert (history[0]["from_label"], history[0]["to_label"], history[0]["source"]) == ("対応中", "対応済", "bulk")
    assert [x[0] for x in await listed(world)] == ["要対応", "対応済"]

    # Cleared: everyone carrying it loses it; the history keeps the deleted mark's label.
    cleared = await c.delete(world.url(f"/marks/{done}?clear=true"))
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["friends_changed"] == 3
    assert await world.current() == {}
    assert sorted(world.recorder.take()) == sorted((f[n], done, None, "bulk") for n in ("aoi", "ren", "yui"))
    assert (await c.get(world.url(f"/messages/{message}"))).json()["mark"] is None
    async with world.env.db.session(world.workspace_id) as s:
        last = await s.scalar(select(MarkChange).where(MarkChange.friend_id == f["yui"]).order_by(MarkChange.id.desc()))
    assert last is not None and (last.from_mark_id, last.from_label, last.to_mark_id) == (done, "対応済", None)


async def test_a_mark_used_by_messages_or_the_auto_rule_is_in_use_too(world: MarksWorld) -> None:
    c, m = world.client, world.marks
    doing, needs_reply = m["対応中"], m["要対応"]
    message = await world.add_message(world.friends["ren"])
    await c.put(world.url(f"/messages/{message}"), json={"mark_id": doing})
    assert (await c.delete(world.url(f"/marks/{doing}"))).status_code == 409
    assert (await c.delete(world.url(f"/marks/{doing}?clear=true"))).status_code == 200
    assert (await c.get(world.url(f"/messages/{message}"))).json()["mark"] is None

    # The switched-on rule uses 要対応: refused; moved, the rule follows to the new mark.
    assert (await c.patch(world.url("/auto-rule"), json={"enabled": True})).status_code == 200
    assert (await c.delete(world.url(f"/marks/{needs_reply}"))).status_code == 409
    urgent = await world.mark("至急")
    assert (await c.delete(world.url(f"/marks/{needs_reply}?reassign_to={urgent}"))).status_code == 200
    now = await rule(world)
    assert (now["enabled"], now["mark"]["id"]) == (True, urgent)
    # Cleared, the rule is switched off rather than left pointing nowhere.
    assert (await c.delete(world.url(f"/marks/{urgent}?clear=true"))).status_code == 200
    now = await rule(world)
    assert (now["enabled"], now["mark"]) == (False, None)
    enable = await c.patch(world.url("/auto-rule"), json={"enabled": True})
    assert enable.status_code == 422 and paths(enable) == ["$.mark_id"]

    # A switched-off rule does not hold its mark: it is simply deleted and the rule forgets it.
    done = m["対応済"]
    assert (await c.patch(world.url("/auto-rule"), json={"mark_id": done})).status_code == 200
    assert (await c.delete(world.url(f"/marks/{done}"))).status_code == 200
    async with world.env.db.session(world.workspace_id) as s:
        row = await s.scalar(select(AutoRule))
    assert row is not None and (row.enabled, row.mark_id) == (False, None)


async def test_another_workspaces_marks_are_not_found(world: MarksWorld) -> None:
    c = world.client  # the agency owner may see both workspaces, so only the scope can keep them apart
    theirs = await world.mark("他店マーク", workspace_id=world.other_workspace_id)
    mine = world.marks["要対応"]
    for method, path, body in [
        ("GET", f"/marks/{theirs}", None),
        ("PATCH", f"/marks/{theirs}", {"label": "hijacked"}),
        ("DELETE", f"/marks/{theirs}", None),
        ("DELETE", f"/marks/{theirs}?clear=true", None),
        ("GET", f"/friends?mark_id={theirs}", None),
        ("GET", f"/messages?mark_id={theirs}", None),
    ]:
        response = await c.request(method, world.url(path), json=body)
        assert response.status_code == 404, (method, path, response.text)
    assert (await c.patch(world.url("/auto-rule"), json={"mark_id": theirs})).status_code == 422
    theirs_now = (await c.get(world.url(f"/marks/{theirs}", world.other_workspace_id))).json()
    assert theirs_now["label"] == "他店マーク"
    assert theirs not in [m["id"] for m in (await c.get(world.url("/marks"))).json()]
    # The same label in another workspace is fine.
    assert (await c.post(world.url("/marks", world.other_workspace_id), json={"label": "至急"})).status_code == 201
    assert (await c.post(world.url("/marks"), json={"label": "至急"})).status_code == 201
    assert (await c.get(world.url(f"/marks/{mine}"))).status_code == 200


async def test_viewers_read_but_cannot_change(world: MarksWorld) -> None:
    m, aoi = world.marks, world.friends["aoi"]
    message = await world.add_message(aoi)
    viewer = await world.as_role("viewer")
    assert (await viewer.get(world.url("/marks"))).status_code == 200
    assert (await viewer.get(world.url(f"/friends/{aoi}"))).status_code == 200
    assert (await viewer.get(world.url("/auto-rule"))).status_code == 200
    for method, path, body in [
        ("POST", "/marks", {"label": "new"}),
        ("PATCH", f"/marks/{m['要対応']}", {"label": "renamed"}),
        ("DELETE", f"/marks/{m['要対応']}", None),
        ("PUT", "/marks/order", {"mark_ids": list(m.values())}),
        ("PATCH", "/auto-rule", {"enabled": True}),
        ("PUT", f"/friends/{aoi}", {"mark_id": m["要対応"]}),
        ("DELETE", f"/friends/{aoi}", None),
        ("POST", "/friends/bulk", {"friend_ids": [aoi], "mark_id": m["要対応"]}),
        ("PUT", f"/messages/{message}", {"mark_id": m["要対応"]}),
        ("DELETE", f"/messages/{message}", None),
    ]:
        response = await viewer.request(method, world.url(path), json=body)
        assert response.status_code == 403, (method, path, response.text)
    assert await world.current() == {}
    assert [x[0] for x in await listed(world)] == ["要対応", "対応中", "対応済"]

    # Operators hold both permissions by default, and a workspace can take each away on its own.
    operator = await world.as_role("operator")
    assert (await operator.post(world.url("/marks"), json={"label": "by operator"})).status_code == 201
    assert (await operator.put(world.url(f"/friends/{aoi}"), json={"mark_id": m["対応中"]})).status_code == 200
    grants = f"/api/workspaces/{world.workspace_id}/permissions"
    revoke = {"role": "operator", "permission": "response_marks.assign", "granted": False}
    assert (await world.client.put(grants, json=revoke)).status_code == 200
    assert (await operator.delete(world.url(f"/friends/{aoi}"))).status_code == 403
    assert (await operator.put(world.url(f"/messages/{message}"), json={"mark_id": None})).status_code == 403
    assert (await operator.patch(world.url(f"/marks/{m['対応中']}"), json={"color": "#000000"})).status_code == 200
    await world.client.put(grants, json={**revoke, "permission": "response_marks.manage"})
    assert (await operator.post(world.url("/marks"), json={"label": "again"})).status_code == 403
    assert await world.current() == {aoi: m["対応中"]}


async def test_routes_answer_404_where_the_plugin_is_off(world: MarksWorld) -> None:
    c = world.client
    plugin = f"/api/workspaces/{world.workspace_id}/plugins/response_marks"
    await world.set("aoi", world.marks["要対応"])
    assert (await c.put(plugin, json={"enabled": False})).status_code == 200
    for method, path in [
        ("GET", "/marks"),
        ("POST", "/marks"),
        ("GET", f"/friends/{world.friends['aoi']}"),
        ("GET", "/auto-rule"),
        ("GET", "/messages"),
    ]:
        response = await c.request(method, world.url(path), json={"label": "x"} if method == "POST" else None)
        assert response.status_code == 404, (method, path, response.text)
    assert (await c.get(world.url("/marks", world.other_workspace_id))).status_code == 200
    await c.put(plugin, json={"enabled": True})
    assert (await c.get(world.url(f"/friends/{world.friends['aoi']}"))).json()["mark"]["label"] == "要対応"
