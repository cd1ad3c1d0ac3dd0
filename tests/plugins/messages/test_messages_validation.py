"""Checking send_messages configs the way the scenario builder and the engine do: ``enishi.check_node_config``.

Every refusal names the field, e.g. ``$.messages[0].template.actions[1].label``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from enishi import check_node_config

if TYPE_CHECKING:
    from tests.plugins.messages.conftest import MessagesWorld

KEY = "messages.send_messages"


def text(value: str = "こんにちは") -> dict[str, Any]:
    return {"type": "text", "text": value}


def buttons(*actions: dict[str, Any], text_: str = "ご予約はこちら") -> dict[str, Any]:
    return {
        "type": "template",
        "altText": "ご予約",
        "template": {"type": "buttons", "text": text_, "actions": list(actions)},
    }


def postback(label: str = "予約する", **extra: Any) -> dict[str, Any]:
    return {"type": "postback", "label": label, **extra}


def add_tag(tag_id: int) -> dict[str, Any]:
    return {"type": "tags.add_tag", "type_version": 1, "config": {"tag_ids": [tag_id]}}


async def problems(world: MessagesWorld, config: Any, enabled: frozenset[str] | None = None) -> dict[str, str]:
    ctx = world.context(enabled_plugins=enabled)
    async with ctx.session:
        found = await check_node_config(ctx, "actions", KEY, 1, config)
    return {p.path: p.message for p in found}


async def test_good_messages_of_every_kind_pass(world: MessagesWorld) -> None:
    vip = await world.tag("VIP")
    config = {
        "messages": [
            {
                "type": "text",
                "text": "{{friend.display_name|お客様}}さん、ご来店ありがとうございます!",
                "quickReply": {
                    "items": [
                        {"type": "action", "action": {"type": "message", "label": "はい", "text": "はい"}},
                        {
                            "type": "action",
                            "action": postback(
                                "クーポン", displayText="クーポンください", enishi_actions=[add_tag(vip)]
                            ),
                        },
                    ]
                },
            },
            {
                "type": "image",
                "originalContentUrl": "https://example.com/a.jpg",
                "previewImageUrl": "https://example.com/a_s.jpg",
            },
            {"type": "sticker", "packageId": "446", "stickerId": "1988"},
            buttons(
                postback("予約する", enishi_actions=[add_tag(vip)], reply=[text("ご予約ありがとうございます")]),
                {"type": "uri", "label": "詳しく", "uri": "https://example.com/menu?friend={{friend.id}}"},
            ),
            {
                "type": "template",
                "altText": "確認",
                "template": {
                    "type": "confirm",
                    "text": "参加しますか?",
                    "actions": [postback("はい", reply=[text("お待ちしています")]), postback("いいえ", data="no")],
                },
            },
        ]
    }
    assert await problems(world, config) == {}
    flex = {
        "type": "flex",
        "altText": "メニュー",
        "contents": {
            "type": "carousel",
            "contents": [
                {
                    "type": "bubble",
                    "body": {
                        "type": "box",
                        "layout": "vertical",
                        "contents": [
                            {"type": "text", "text": "{{friend.display_name}}さん限定"},
                            {"type": "button", "action": postback("受け取る", enishi_actions=[add_tag(vip)])},
                        ],
                    },
                }
            ],
        },
    }
    carousels = {
        "type": "template",
        "altText": "商品",
        "template": {
            "type": "carousel",
            "columns": [
                {"text": "A", "actions": [postback("Aを買う", enishi_actions=[add_tag(vip)])]},
                {"text": "B", "actions": [{"type": "message", "label": "Bを見る", "text": "B"}]},
            ],
        },
    }
    image_carousel = {
        "type": "template",
        "altText": "写真",
        "template": {
            "type": "image_carousel",
            "columns": [{"imageUrl": "https://example.com/1.jpg", "action": postback("見る", reply=[text("どうぞ")])}],
        },
    }
    assert await problems(world, {"messages": [flex, carousels, image_carousel]}) == {}


async def test_bad_messages_are_refused_with_the_path_of_each_field(world: MessagesWorld) -> None:
    six = {"messages": [text() for _ in range(6)]}
    assert set(await problems(world, six)) == {"$.messages"}  # the schema: at most 5
    assert set(await problems(world, {"messages": []})) == {"$.messages"}

    long_label = buttons(postback("予約する"), {"type": "message", "label": "ラ" * 21, "text": "x"})
    long_label["template"]["actions"][0]["data"] = "reserve"
    found = await problems(world, {"messages": [text(), long_label]})
    assert list(found) == ["$.messages[1].template.actions[1].label"]
    assert "20" in found["$.messages[1].template.actions[1].label"]

    bad_template = {"type": "template", "altText": "x", "template": {"type": "buttons", "actions": []}}
    assert set(await problems(world, {"messages": [bad_template]})) == {
        "$.messages[0].template.actions",
        "$.messages[0].template.text",
    }
    unknown_kind = {"type": "template", "altText": "x", "template": {"type": "list", "text": "x"}}
    assert "$.messages[0].template.type" in await problems(world, {"messages": [unknown_kind]})
    assert set(await problems(world, {"messages": [{"type": "video_call"}]})) == {"$.messages[0].type"}
    assert set(await problems(world, {"messages": [{"type": "text", "text": ""}]})) == {"$.messages[0].text"}
    insecure = {"type": "image", "originalContentUrl": "http://example.com/a.jpg", "previewImageUrl": "https://e.jp/a"}
    assert set(await problems(world, {"messages": [insecure]})) == {"$.messages[0].originalContentUrl"}
    bad_action = buttons({"type": "teleport", "label": "x"})
    assert set(await problems(world, {"messages": [bad_action]})) == {"$.messages[0].template.actions[0].type"}
    bad_flex = {"type": "flex", "altText": "x", "contents": {"type": "bubble", "body": {"type": "box"}}}
    assert set(await problems(world, {"messages": [bad_flex]})) == {"$.messages[0].contents.body.layout"}
    many_buttons = buttons(*[{"type": "message", "label": str(n), "text": str(n)} for n in range(5)])
    assert set(await problems(world, {"messages": [many_buttons]})) == {"$.messages[0].template.actions"}

    # The config itself: one of messages or template_id, nothing else.
    assert set(await problems(world, {})) == {"$.messages"}
    assert set(await problems(world, {"messages": [text()], "template_id": 1})) == {"$.template_id"}
    assert set(await problems(world, {"messages": [text()], "extra": 1})) == {"$.extra"}
    assert set(await problems(world, {"messages": ["hello"]})) == {"$.messages[0]"}


async def test_texts_are_checked_with_their_variables_in_place(world: MessagesWorld) -> None:
    # 4,990 characters plus a placeholder is over LINE's 5,000 before any name is filled in.
    long = "あ" * 4990 + "{{friend.display_name}}"
    assert set(await problems(world, {"messages": [text(long)]})) == {"$.messages[0].text"}
    assert await problems(world, {"messages": [text("あ" * 4970 + "{{friend.display_name}}")]}) == {}
    # A label is at most 20 characters with its placeholder, too.
    label = buttons({"type": "message", "label": "{{friend.display_name}}様", "text": "x"})
    assert set(await problems(world, {"messages": [label]})) == {"$.messages[0].template.actions[0].label"}
    # A variable in a URL is fine (its value is encoded when sent), a whole-URL variable too.
    link = buttons({"type": "uri", "label": "開く", "uri": "{{tags.tags}}"})
    assert await problems(world, {"messages": [link]}) == {}


async def test_unknown_variables_are_refused(world: MessagesWorld) -> None:
    ok = "{{friend.display_name}} {{ friend.id }} {{tags.tags|なし}}"
    assert await problems(world, {"messages": [text(ok)]}) == {}

    found = await problems(world, {"messages": [text("{{friend.birthday}}")]})
    assert list(found) == ["$.messages[0].text"] and "friend.birthday" in found["$.messages[0].text"]
    assert list(await problems(world, {"messages": [text("{{field.nickname}}")]})) == ["$.messages[0].text"]
    assert list(await problems(world, {"messages": [text("{{nosuchplugin.x}}")]})) == ["$.messages[0].text"]
    assert list(await problems(world, {"messages": [text("{{display_name}}")]})) == ["$.messages[0].text"]
    in_label = buttons({"type": "message", "label": "{{tags.nope}}", "text": "x"})
    assert list(await problems(world, {"messages": [in_label]})) == ["$.messages[0].template.actions[0].label"]
    # The tags plugin switched off: its variables are unknown here.
    assert list(await problems(world, {"messages": [text("{{tags.tags}}")]}, frozenset({"messages"}))) == [
        "$.messages[0].text"
    ]

    fields = world.use_fake_friend_fields()
    assert await problems(world, {"messages": [text("{{field.nickname|お客様}}")]}) == {}
    assert await problems(world, {"messages": [text("{{friend_fields.birthday}}")]}) == {}
    del fields.keys["nickname"]  # the field was deleted after the message was written
    assert list(await problems(world, {"messages": [text("{{field.nickname|お客様}}")]})) == ["$.messages[0].text"]


async def test_button_actions_are_checked(world: MessagesWorld) -> None:
    vip = await world.tag("VIP")

    def with_actions(*actions: Any, **extra: Any) -> dict[str, Any]:
        return {"messages": [buttons(postback(enishi_actions=list(actions), **extra))]}

    at = "$.messages[0].template.actions[0]"
    assert await problems(world, with_actions(add_tag(vip))) == {}

    found = await problems(world, with_actions({"type": "tags.paint", "type_version": 1, "config": {}}))
    assert list(found) == [f"{at}.enishi_actions[0].type"] and "tags.paint" in found[f"{at}.enishi_actions[0].type"]
    found = await problems(world, with_actions({"type": "tags.add_tag", "type_version": 9, "config": {}}))
    assert list(found) == [f"{at}.enishi_actions[0].type_version"]
    # The probe plugin is a "pro" plugin: not on this workspace's plan, so its actions cannot be used.
    found = await problems(world, with_actions({"type": "probe.rename", "type_version": 1, "config": {"name": "x"}}))
    assert list(found) == [f"{at}.enishi_actions[0].type"] and "off" in found[f"{at}.enishi_actions[0].type"]
    # Tags switched off in the workspace: the same.
    found = await problems(world, with_actions(add_tag(vip)), enabled=frozenset({"messages"}))
    assert list(found) == [f"{at}.enishi_actions[0].type"]

    found = await problems(world, with_actions({"type": "tags.add_tag", "type_version": 1, "config": {"tag_ids": []}}))
    assert list(found) == [f"{at}.enishi_actions[0].config.tag_ids"]
    assert list(await problems(world, with_actions({"type": "tags.add_tag", "config": {}}))) == [
        f"{at}.enishi_actions[0].type_version"
    ]
    assert list(await problems(world, with_actions(*[add_tag(vip)] * 6))) == [f"{at}.enishi_actions"]
    assert await problems(world, with_actions()) == {}  # a button with no tap action: tapping it is all it does

    # Enishi sets the data of such a button; the prefix is reserved; only postbacks can act on a tap.
    assert list(await problems(world, with_actions(add_tag(vip), data="mine"))) == [f"{at}.data"]
    spoof = {"messages": [buttons(postback(data="enishi:pb:abc"))]}
    assert list(await problems(world, spoof)) == [f"{at}.data"]
    on_message_action = {"type": "message", "label": "x", "text": "x", "enishi_actions": [add_tag(vip)]}
    assert list(await problems(world, {"messages": [buttons(on_message_action)]})) == [f"{at}.enishi_actions"]
    on_text = {**text(), "enishi_actions": [add_tag(vip)]}
    assert list(await problems(world, {"messages": [on_text]})) == ["$.messages[0].enishi_actions"]
    once_alone = await problems(world, {"messages": [buttons(postback(enishi_once=True))]})
    assert set(once_alone) == {f"{at}.enishi_once", f"{at}.data"}  # a plain postback needs its data

    # Replies are messages like any other, checked where they are.
    bad_reply = {"messages": [buttons(postback(reply=[text(""), text("{{friend.nope}}")]))]}
    assert set(await problems(world, bad_reply)) == {f"{at}.reply[0].text", f"{at}.reply[1].text"}
    assert list(await problems(world, {"messages": [buttons(postback(reply=[]))]})) == [f"{at}.reply"]
    nested = buttons(postback(reply=[buttons(postback(reply=[buttons(postback(enishi_actions=[add_tag(0)]))]))]))
    deep = f"{at}.reply[0].template.actions[0].reply[0].template.actions[0].enishi_actions[0].config.tag_ids[0]"
    assert list(await problems(world, {"messages": [nested]})) == [deep]
