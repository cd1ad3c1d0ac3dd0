"""The messages API through the real app: templates, preview, sending by hand, variables, taps; validation,
permissions, isolation and enablement."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from enishi_messages.models import MessageTemplate, PostbackButton
from sqlalchemy import func, select

from tests.plugins.messages.conftest import button_data

if TYPE_CHECKING:
    from tests.plugins.messages.conftest import MessagesWorld


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def paths(response: Any) -> list[str]:
    return [e["path"] for e in response.json()["errors"]]


def tag_button(tag_id: int, label: str = "受け取る") -> dict[str, Any]:
    return {
        "type": "template",
        "altText": "クーポン",
        "template": {
            "type": "buttons",
            "text": "{{friend.display_name|お客様}}さん限定クーポン",
            "actions": [
                {
                    "type": "postback",
                    "label": label,
                    "enishi_actions": [{"type": "tags.add_tag", "type_version": 1, "config": {"tag_ids": [tag_id]}}],
                }
            ],
        },
    }


async def template_count(world: MessagesWorld) -> int:
    async with world.env.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(MessageTemplate)) or 0)


async def test_templates_crud_and_paging(world: MessagesWorld) -> None:
    c = world.client
    vip = await world.tag("VIP")
    made = await c.post(
        world.url("/templates"),
        json={"name": " 来店お礼 ", "description": "来店後に", "messages": [text("ありがとう"), tag_button(vip)]},
    )
    assert made.status_code == 201, made.text
    template = made.json()
    assert (template["name"], template["description"], len(template["messages"])) == ("来店お礼", "来店後に", 2)
    assert template["created_by_user_id"] == world.owner_id
    assert template["messages"][1]["template"]["actions"][0]["enishi_actions"]  # stored as written
    assert (await c.get(world.url(f"/templates/{template['id']}"))).json() == template

    twice = await c.post(world.url("/templates"), json={"name": "来店お礼", "messages": [text("x")]})
    assert twice.status_code == 409 and paths(twice) == ["$.name"]

    for n in range(5):
        assert (
            await c.post(world.url("/templates"), json={"name": f"定型文{n}", "messages": [text(str(n))]})
        ).status_code == 201
    first = (await c.get(world.url("/templates?limit=4"))).json()
    assert [t["name"] for t in first["items"]] == ["定型文4", "定型文3", "定型文2", "定型文1"]  # newest first
    rest = (await c.get(world.url(f"/templates?limit=4&after={first['next']}"))).json()
    assert [t["name"] for t in rest["items"]] == ["定型文0", "来店お礼"] and rest["next"] is None
    assert [t["name"] for t in (await c.get(world.url("/templates?q=お礼"))).json()["items"]] == ["来店お礼"]
    assert (await c.get(world.url("/templates?after=%%%"))).status_code == 400

    renamed = await c.patch(
        world.url(f"/templates/{template['id']}"), json={"name": "お礼", "messages": [text("またどうぞ")]}
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["messages"]) == ("お礼", [text("またどうぞ")])
    assert renamed.json()["description"] == "来店後に"
    clash = await c.patch(world.url(f"/templates/{template['id']}"), json={"name": "定型文0"})
    assert clash.status_code == 409

    assert (await c.delete(world.url(f"/templates/{template['id']}"))).status_code == 204
    assert (await c.get(world.url(f"/templates/{template['id']}"))).status_code == 404
    assert (await c.delete(world.url(f"/templates/{template['id']}"))).status_code == 404


async def test_bad_templates_are_refused_and_change_nothing(world: MessagesWorld) -> None:
    c = world.client
    vip = await world.tag("VIP")
    made = await c.post(world.url("/templates"), json={"name": "元", "messages": [text("元の文面")]})
    template_id = made.json()["id"]

    async def refused(body: dict[str, Any], expected: list[str], status: int = 422) -> None:
        response = await c.post(world.url("/templates"), json={"name": "新", **body})
        assert response.status_code == status, response.text
        assert paths(response) == expected
        patched = await c.patch(world.url(f"/templates/{template_id}"), json=body)
        assert patched.status_code == status and paths(patched) == expected

    await refused({"messages": [text(str(n)) for n in range(6)]}, ["$.messages"])
    await refused({"messages": []}, ["$.messages"])
    long_label = tag_button(vip, label="とても長いボタンのラベルで二十文字を超えています")
    await refused({"messages": [text("x"), long_label]}, ["$.messages[1].template.actions[0].label"])
    await refused({"messages": [text("{{field.nickname}}")]}, ["$.messages[0].text"])
    broken = tag_button(vip)
    broken["template"]["actions"][0]["enishi_actions"][0]["type"] = "tags.no_such_action"
    await refused({"messages": [broken]}, ["$.messages[0].template.actions[0].enishi_actions[0].type"])
    await refused({"messages": "hello"}, ["$.messages"], status=400)
    unknown = await c.post(world.url("/templates"), json={"name": "新", "messages": [text("x")], "colour": "red"})
    assert unknown.status_code == 400 and "colour" in unknown.json()["message"]
    assert (await c.post(world.url("/templates"), json={"name": "  ", "messages": [text("x")]})).status_code == 400

    # A disabled plugin's actions cannot be put on a button.
    off = await c.put(f"/api/workspaces/{world.workspace_id}/plugins/tags", json={"enabled": False})
    assert off.status_code == 200, off.text
    await refused({"messages": [tag_button(vip)]}, ["$.messages[0].template.actions[0].enishi_actions[0].type"])

    assert await template_count(world) == 1
    assert (await c.get(world.url(f"/templates/{template_id}"))).json()["messages"] == [text("元の文面")]


async def test_preview_fills_in_a_friend_or_shows_the_variables(world: MessagesWorld) -> None:
    c = world.client
    vip = await world.tag("VIP")
    messages = [text("{{friend.display_name}}さん [{{tags.tags|タグなし}}]"), tag_button(vip)]
    aoi = world.friends["aoi"]
    shown = await c.post(world.url("/preview"), json={"messages": messages, "friend_id": aoi})
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["messages"][0] == text("青井 葵さん [タグなし]")
    action = body["messages"][1]["template"]["actions"][0]
    assert action == {"type": "postback", "label": "受け取る", "data": "enishi:pb:preview"}
    assert body["variables"] == [
        {"name": "friend.display_name", "value": "青井 葵"},
        {"name": "tags.tags", "value": None},
    ]
    assert body["warnings"] == []

    anyone = (await c.post(world.url("/preview"), json={"messages": messages})).json()
    assert anyone["messages"][0] == text("【友だちの表示名】さん [タグなし]")
    assert anyone["messages"][1]["template"]["text"] == "お客様さん限定クーポン"

    # Nothing was recorded or sent.
    assert await world.outbox() == []
    async with world.env.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(PostbackButton)) == 0

    # A template, previewed the same way; and what would stop a real send is a warning.
    made = await c.post(
        world.url("/templates"), json={"name": "名前だけ", "messages": [text("{{friend.display_name}}")]}
    )
    ren = await c.post(
        world.url("/preview"), json={"template_id": made.json()["id"], "friend_id": world.friends["ren"]}
    )
    assert ren.status_code == 200 and [w["path"] for w in ren.json()["warnings"]] == ["$.messages[0].text"]

    # Bad input.
    assert paths(await c.post(world.url("/preview"), json={"messages": [text("{{friend.age}}")]})) == [
        "$.messages[0].text"
    ]
    assert paths(await c.post(world.url("/preview"), json={})) == ["$.messages"]
    assert paths(await c.post(world.url("/preview"), json={"template_id": 999_999})) == ["$.template_id"]
    stranger = await c.post(world.url("/preview"), json={"messages": messages, "friend_id": world.stranger})
    assert stranger.status_code == 404


async def test_staff_send_messages_and_templates(world: MessagesWorld) -> None:
    c = world.client
    vip = await world.tag("VIP")
    aoi = world.friends["aoi"]
    sent = await c.post(
        world.url("/send"), json={"friend_id": aoi, "messages": [text("{{friend.display_name}}さん"), tag_button(vip)]}
    )
    assert sent.status_code == 202, sent.text
    body = sent.json()
    assert (body["kind"], body["status"]) == ("push", "pending")
    [request] = await world.outbox()
    assert request.id == body["request_id"] and request.source == "staff" and request.sent_by_user_id == world.owner_id
    assert request.messages[0] == text("青井 葵さん") and body["messages"] == request.messages
    await world.tap("aoi", button_data(request, message=1))
    assert await world.tags_of("aoi") == {"VIP"}

    made = await c.post(world.url("/templates"), json={"name": "お礼", "messages": [text("ありがとう")]})
    by_template = await c.post(
        world.url("/send"), json={"friend_id": aoi, "template_id": made.json()["id"], "idempotency_key": "click-0001"}
    )
    assert by_template.status_code == 202
    again = await c.post(
        world.url("/send"), json={"friend_id": aoi, "template_id": made.json()["id"], "idempotency_key": "click-0001"}
    )
    assert again.json()["request_id"] == by_template.json()["request_id"]  # a retried click sends once
    assert len(await world.outbox()) == 2

    blocked = await c.post(world.url("/send"), json={"friend_id": world.friends["yui"], "messages": [text("x")]})
    assert blocked.status_code == 409
    assert (
        await c.post(world.url("/send"), json={"friend_id": world.stranger, "messages": [text("x")]})
    ).status_code == 404
    bad = await c.post(world.url("/send"), json={"friend_id": aoi, "messages": [{"type": "text"}]})
    assert bad.status_code == 422 and paths(bad) == ["$.messages[0].text"]
    # Ren has no display name and the text is nothing but that name: refused, naming the field.
    empty = await c.post(
        world.url("/send"), json={"friend_id": world.friends["ren"], "messages": [text("{{friend.display_name}}")]}
    )
    assert empty.status_code == 422 and paths(empty) == ["$.messages[0].text"]
    assert len(await world.outbox()) == 2


async def test_variables_and_taps_lists(world: MessagesWorld) -> None:
    c = world.client
    listed = (await c.get(world.url("/variables"))).json()
    assert listed[:3] == [
        {
            "name": "friend.display_name",
            "placeholder": "{{friend.display_name}}",
            "label": {"ja": "友だちの表示名", "en": "Friend's display name"},
            "plugin": "core",
        },
        {
            "name": "friend.name",
            "placeholder": "{{friend.name}}",
            "label": {
                "ja": "友だちの名前（管理用の名前があればそれ）",
                "en": "Friend's name (the name staff set, else the LINE name)",
            },
            "plugin": "core",
        },
        {
            "name": "friend.id",
            "placeholder": "{{friend.id}}",
            "label": {"ja": "友だちID", "en": "Friend ID"},
            "plugin": "core",
        },
    ]
    assert {"name": "tags.tags", "plugin": "tags"}.items() <= next(
        v for v in listed if v["name"] == "tags.tags"
    ).items()

    vip = await world.tag("VIP")
    for friend in ("aoi", "ren"):
        await c.post(world.url("/send"), json={"friend_id": world.friends[friend], "messages": [tag_button(vip)]})
    aoi_request, ren_request = await world.outbox()
    await world.tap("aoi", button_data(aoi_request))
    await world.tap("ren", button_data(ren_request))
    await world.tap("aoi", button_data(aoi_request))
    everyone = (await c.get(world.url("/taps?limit=2"))).json()
    assert [t["friend_id"] for t in everyone["items"]] == [world.friends["aoi"], world.friends["ren"]]
    assert everyone["items"][0]["label"] == "受け取る" and everyone["items"][0]["status"] == "ran"
    older = (await c.get(world.url(f"/taps?limit=2&after={everyone['next']}"))).json()
    assert len(older["items"]) == 1 and older["next"] is None
    assert len((await c.get(world.url(f"/taps?friend_id={world.friends['aoi']}"))).json()["items"]) == 2
    assert (await c.get(world.url("/taps", world.other_workspace_id))).json()["items"] == []


async def test_permissions_isolation_and_enablement(world: MessagesWorld) -> None:
    made = await world.client.post(world.url("/templates"), json={"name": "お礼", "messages": [text("x")]})
    template_id = made.json()["id"]
    viewer = await world.as_role("viewer")
    operator = await world.as_role("operator")
    assert (await viewer.get(world.url("/templates"))).status_code == 200
    assert (await viewer.post(world.url("/preview"), json={"messages": [text("x")]})).status_code == 200
    assert (await viewer.post(world.url("/templates"), json={"name": "v", "messages": [text("x")]})).status_code == 403
    assert (await viewer.delete(world.url(f"/templates/{template_id}"))).status_code == 403
    send = {"friend_id": world.friends["aoi"], "messages": [text("x")]}
    assert (await viewer.post(world.url("/send"), json=send)).status_code == 403
    assert (await operator.post(world.url("/send"), json=send)).status_code == 202
    assert (await operator.patch(world.url(f"/templates/{template_id}"), json={"description": "d"})).status_code == 200

    # Another workspace's template is not found; the operator is not a member there at all.
    other = world.other_workspace_id
    assert (await world.client.get(world.url(f"/templates/{template_id}", other))).status_code == 404
    assert (
        await world.client.patch(world.url(f"/templates/{template_id}", other), json={"name": "x"})
    ).status_code == 404
    assert (await operator.get(world.url("/templates", other))).status_code == 404
    # The same name is free in another workspace.
    assert (
        await world.client.post(world.url("/templates", other), json={"name": "お礼", "messages": [text("x")]})
    ).status_code == 201

    off = await world.client.put(f"/api/workspaces/{world.workspace_id}/plugins/messages", json={"enabled": False})
    assert off.status_code == 200, off.text
    assert (await world.client.get(world.url("/templates"))).status_code == 404
    assert (await world.client.get(world.url("/templates", other))).status_code == 200
