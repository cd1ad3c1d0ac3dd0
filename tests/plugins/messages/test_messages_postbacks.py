"""Buttons that act when tapped: the core announces the postback, the plugin runs the button's actions once."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest
from enishi_messages.models import PostbackTap
from sqlalchemy import select

from enishi import run_action
from tests.plugins.messages.conftest import button_data

if TYPE_CHECKING:
    from tests.plugins.messages.conftest import MessagesWorld


def add_tag(*tag_ids: int) -> dict[str, Any]:
    return {"type": "tags.add_tag", "type_version": 1, "config": {"tag_ids": list(tag_ids)}}


def buttons(*actions: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "template",
        "altText": "アンケート",
        "template": {"type": "buttons", "text": "興味のある方は?", "actions": list(actions)},
    }


async def send(world: MessagesWorld, friend: str, *messages: dict[str, Any]) -> Any:
    ctx = world.action_context()
    async with ctx.session.begin():
        await run_action(
            ctx,
            "messages.send_messages",
            1,
            world.friends[friend],
            {"messages": list(messages)},
            idempotency_key=ctx.idempotency_key,
            source="scenario",
        )
    return (await world.outbox())[-1]


async def taps(world: MessagesWorld) -> list[PostbackTap]:
    async with world.env.db.session(world.workspace_id) as s:
        return list(await s.scalars(select(PostbackTap).order_by(PostbackTap.id)))


async def test_tapping_a_button_adds_the_tag_and_replies_once(world: MessagesWorld) -> None:
    interested, seminar = await world.tag("興味あり"), await world.tag("セミナー")
    request = await send(
        world,
        "aoi",
        buttons(
            {
                "type": "postback",
                "label": "興味あり",
                "displayText": "興味があります",
                "enishi_actions": [add_tag(interested), add_tag(seminar)],
                "reply": [{"type": "text", "text": "{{friend.display_name}}さん、ありがとうございます!"}],
            },
            {"type": "postback", "label": "興味なし", "data": "survey=no"},
        ),
    )
    assert request.messages[0]["template"]["actions"][1]["data"] == "survey=no"  # a plain postback is left alone
    assert await world.tags_of("aoi") == set()

    message_id = await world.tap("aoi", button_data(request))
    assert await world.tags_of("aoi") == {"興味あり", "セミナー"}
    reply = (await world.outbox())[-1]
    assert reply.messages == [{"type": "text", "text": "青井 葵さん、ありがとうございます!"}]
    assert (reply.source, reply.idempotency_key) == ("postback", f"postback:{message_id}:reply")
    [tap] = await taps(world)
    assert (tap.friend_id, tap.message_id, tap.status) == (world.friends["aoi"], message_id, "ran")
    assert [(r["action"], r["ok"]) for r in tap.results] == [("tags.add_tag", True)] * 2 + [("reply", True)]

    # LINE redelivers the same postback (or the event is processed again): nothing runs twice.
    outbox_before = len(await world.outbox())
    assert (await world.client.delete(world.tags_url(f"/friends/{world.friends['aoi']}/{seminar}"))).status_code == 200
    await world.tap("aoi", button_data(request), message_id=message_id)
    assert await world.tags_of("aoi") == {"興味あり"}
    assert len(await world.outbox()) == outbox_before and len(await taps(world)) == 1

    # A second tap is a new postback: the button acts again (unless it is once-only, below).
    await world.tap("aoi", button_data(request))
    assert await world.tags_of("aoi") == {"興味あり", "セミナー"}
    assert len(await world.outbox()) == outbox_before + 1 and len(await taps(world)) == 2


async def test_forged_and_foreign_tokens_do_nothing(world: MessagesWorld, caplog: pytest.LogCaptureFixture) -> None:
    vip = await world.tag("VIP")
    request = await send(world, "aoi", buttons({"type": "postback", "label": "VIP", "enishi_actions": [add_tag(vip)]}))
    data = button_data(request)
    caplog.set_level(logging.WARNING, logger="enishi.plugins.messages")

    await world.tap("aoi", "enishi:pb:" + "A" * 22)  # guessed
    await world.tap("aoi", data[:-1] + ("B" if data[-1] != "B" else "C"))  # altered
    await world.tap("ren", data)  # another friend replays aoi's button
    assert await world.tags_of("aoi") == set() and await world.tags_of("ren") == set()
    assert await taps(world) == []
    assert len([r for r in caplog.records if "unknown token" in r.getMessage()]) == 3

    # Another workspace's friend with the same data: not this workspace's button either.
    ctx = world.context(world.other_workspace_id)
    async with ctx.session.begin():
        await ctx.emit("core.postback_received", world.stranger, message_id=999_999, kind="postback", text=data)
    assert await taps(world) == [] and len(await world.outbox()) == 1

    # Postbacks that are not Enishi's are not this plugin's business.
    await world.tap("aoi", "survey=yes")
    assert await taps(world) == []
    await world.tap("aoi", data)
    assert await world.tags_of("aoi") == {"VIP"}


async def test_a_failing_action_does_not_stop_the_others(world: MessagesWorld) -> None:
    vip, doomed = await world.tag("VIP"), await world.tag("消える")
    action = {"type": "postback", "label": "go", "enishi_actions": [add_tag(doomed), add_tag(vip)]}
    request = await send(world, "aoi", buttons(action))
    # One of the tags was deleted since the message went out: the tap still does what it can.
    assert (await world.client.delete(world.tags_url(f"/{doomed}"))).status_code == 204
    await world.tap("aoi", button_data(request))
    assert await world.tags_of("aoi") == {"VIP"}
    [tap] = await taps(world)
    assert [r["ok"] for r in tap.results] == [True, True]
    assert tap.results[0]["result"] == {"changed": 0}

    # An action whose config no longer fits its schema (stored by an older version, say) is recorded as failed.
    request = await send(world, "ren", buttons(action))
    from enishi_messages.models import PostbackButton

    async with world.env.db.transaction(world.workspace_id) as s:
        token = button_data(request).removeprefix("enishi:pb:")
        button = await s.scalar(select(PostbackButton).where(PostbackButton.token == token))
        assert button is not None
        button.actions = [{"type": "tags.add_tag", "type_version": 1, "config": {"tag_ids": "all"}}, add_tag(vip)]
    await world.tap("ren", button_data(request))
    assert await world.tags_of("ren") == {"VIP"}
    results = (await taps(world))[-1].results
    assert [r["ok"] for r in results] == [False, True] and "InvalidConfig" in results[0]["error"]


async def test_once_only_buttons_and_nested_replies(world: MessagesWorld) -> None:
    coupon, more = await world.tag("クーポン"), await world.tag("もっと")
    inner = {"type": "postback", "label": "もっと見る", "enishi_actions": [add_tag(more)]}
    request = await send(
        world,
        "aoi",
        buttons(
            {
                "type": "postback",
                "label": "クーポンを受け取る",
                "enishi_once": True,
                "enishi_actions": [add_tag(coupon)],
                "reply": [{"type": "text", "text": "クーポンです"}, buttons(inner)],
            }
        ),
    )
    await world.tap("aoi", button_data(request))
    reply = (await world.outbox())[-1]
    assert reply.messages[0] == {"type": "text", "text": "クーポンです"}
    # The reply's own button got a token of its own, for the same friend.
    await world.tap("aoi", button_data(reply, message=1))
    assert await world.tags_of("aoi") == {"クーポン", "もっと"}

    # Once-only: a second tap is recorded but runs nothing and sends nothing.
    assert (await world.client.delete(world.tags_url(f"/friends/{world.friends['aoi']}/{coupon}"))).status_code == 200
    outbox_before = len(await world.outbox())
    await world.tap("aoi", button_data(request))
    assert await world.tags_of("aoi") == {"もっと"}
    assert len(await world.outbox()) == outbox_before
    assert [t.status for t in await taps(world)] == ["ran", "ran", "repeat"]


async def test_buttons_in_quick_replies_and_flex(world: MessagesWorld) -> None:
    quick, flex_tag = await world.tag("quick"), await world.tag("flex")
    request = await send(
        world,
        "aoi",
        {
            "type": "text",
            "text": "どれにしますか?",
            "quickReply": {
                "items": [
                    {
                        "type": "action",
                        "action": {"type": "postback", "label": "A", "enishi_actions": [add_tag(quick)]},
                    }
                ]
            },
        },
        {
            "type": "flex",
            "altText": "flex",
            "contents": {
                "type": "bubble",
                "footer": {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [
                        {
                            "type": "button",
                            "action": {"type": "postback", "label": "B", "enishi_actions": [add_tag(flex_tag)]},
                        }
                    ],
                },
            },
        },
    )
    quick_data = request.messages[0]["quickReply"]["items"][0]["action"]["data"]
    flex_data = request.messages[1]["contents"]["footer"]["contents"][0]["action"]["data"]
    assert quick_data != flex_data
    await world.tap("aoi", flex_data)
    assert await world.tags_of("aoi") == {"flex"}
    await world.tap("aoi", quick_data)
    assert await world.tags_of("aoi") == {"flex", "quick"}


async def test_the_talk_shows_the_tapped_buttons_label_not_its_token(world: MessagesWorld) -> None:
    coupon = await world.tag("クーポン")
    request = await send(
        world,
        "aoi",
        buttons({"type": "postback", "label": "クーポンを受け取る", "enishi_actions": [add_tag(coupon)]}),
    )
    message_id = await world.tap("aoi", button_data(request))
    # A forged token stays unlabelled: nothing claims to know what was tapped.
    forged_id = await world.tap("aoi", "enishi:pb:" + "A" * 22)
    talk = await world.client.get(f"/api/workspaces/{world.workspace_id}/inbox/friends/{world.friends['aoi']}/messages")
    assert talk.status_code == 200, talk.text
    shown = {m["id"]: m["body"] for m in talk.json()["items"]}
    assert shown[message_id]["label"] == "クーポンを受け取る"
    assert "label" not in shown[forged_id]
