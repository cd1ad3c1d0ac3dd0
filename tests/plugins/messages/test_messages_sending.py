"""The send_messages action against the real database: outbox rows, variables, idempotency, templates."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
from enishi_messages import nodes, sending
from enishi_messages.models import PostbackButton
from sqlalchemy import select, update

from enishi import Friend, run_action
from tests.plugins.messages.conftest import button_data

if TYPE_CHECKING:
    from tests.plugins.messages.conftest import MessagesWorld

KEY = "messages.send_messages"


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def reserve_button(tag_id: int) -> dict[str, Any]:
    return {
        "type": "template",
        "altText": "ご予約",
        "template": {
            "type": "buttons",
            "title": "{{friend.display_name|お客様}}さんへ",
            "text": "ご予約はこちら",
            "actions": [
                {
                    "type": "postback",
                    "label": "予約する",
                    "displayText": "予約します",
                    "enishi_actions": [{"type": "tags.add_tag", "type_version": 1, "config": {"tag_ids": [tag_id]}}],
                },
                {"type": "uri", "label": "メニュー", "uri": "https://example.com/m?n={{friend.display_name}}"},
            ],
        },
    }


async def run(world: MessagesWorld, friend: str | int, config: dict[str, Any], key: str | None = None) -> Any:
    friend_id = world.friends[friend] if isinstance(friend, str) else friend
    ctx = world.action_context(idempotency_key=key)
    async with ctx.session.begin():
        return await run_action(ctx, KEY, 1, friend_id, config, idempotency_key=ctx.idempotency_key, source=ctx.source)


async def buttons_stored(world: MessagesWorld) -> list[PostbackButton]:
    async with world.env.db.session(world.workspace_id) as s:
        return list(await s.scalars(select(PostbackButton).order_by(PostbackButton.id)))


async def test_sends_through_the_outbox_with_variables_filled_in(world: MessagesWorld) -> None:
    vip = await world.tag("VIP")
    config = {
        "messages": [
            text("{{friend.display_name|お客様}}さん、こんにちは! ID {{friend.id}}"),
            reserve_button(vip),
            {"type": "sticker", "packageId": "446", "stickerId": "1988"},
        ]
    }
    result = await run(world, "aoi", config)
    [request] = await world.outbox()
    assert result == {"request_id": request.id, "kind": "push", "status": "pending", "messages": 3}
    aoi = world.friends["aoi"]
    assert request.friend_ids == [aoi] and request.source == "scenario"
    first, template, sticker = request.messages
    assert first == text(f"青井 葵さん、こんにちは! ID {aoi}")
    assert template["template"]["title"] == "青井 葵さんへ"
    reserve, menu = template["template"]["actions"]
    # The button goes out as LINE knows it: Enishi's part stays with us, under the token in its data.
    assert set(reserve) == {"type", "label", "displayText", "data"} and reserve["displayText"] == "予約します"
    assert menu["uri"] == "https://example.com/m?n=%E9%9D%92%E4%BA%95%20%E8%91%B5"  # encoded: no stray spaces
    assert sticker == {"type": "sticker", "packageId": "446", "stickerId": "1988"}
    [stored] = await buttons_stored(world)
    assert reserve["data"] == f"enishi:pb:{stored.token}"
    assert (stored.friend_id, stored.label, stored.position, stored.once) == (aoi, "予約する", 0, False)
    assert stored.actions == [{"type": "tags.add_tag", "type_version": 1, "config": {"tag_ids": [vip]}}]

    # Without a display name the default is used; without a default, nothing.
    await run(world, "ren", {"messages": [text("{{friend.display_name|お客様}}様 / [{{friend.display_name}}]")]})
    assert (await world.outbox())[-1].messages == [text("お客様様 / []")]


async def test_running_the_step_again_sends_nothing_more(world: MessagesWorld) -> None:
    vip = await world.tag("VIP")
    config = {"messages": [text("{{friend.display_name}}さん"), reserve_button(vip)]}
    key = f"scenario-run:{uuid.uuid4()}:step-2"
    first = await run(world, "aoi", config, key)
    again = await run(world, "aoi", config, key)  # e.g. the worker died after the commit, before recording it
    assert again == first
    [request] = await world.outbox()
    assert len(await buttons_stored(world)) == 1  # the same button, not a second token

    # A crash before the commit leaves nothing behind; the retry then records the send once.
    key = f"scenario-run:{uuid.uuid4()}:step-2"
    ctx = world.action_context(idempotency_key=key)
    with pytest.raises(RuntimeError):
        async with ctx.session.begin():
            await run_action(ctx, KEY, 1, world.friends["aoi"], config, idempotency_key=key, source="scenario")
            raise RuntimeError("worker killed")
    assert len(await world.outbox()) == 1 and len(await buttons_stored(world)) == 1
    await run(world, "aoi", config, key)
    second = (await world.outbox())[-1]
    assert len(await world.outbox()) == 2 and button_data(second, 1) != button_data(request, 1)


async def test_reply_first_and_blocked_friends(world: MessagesWorld) -> None:
    # A fresh reply token is used (free), once.
    async with world.env.db.transaction(world.workspace_id) as s:
        await s.execute(
            update(Friend)
            .where(Friend.id == world.friends["aoi"])
            .values(reply_token="r" * 32, reply_token_at=world.context().now)
        )
    assert (await run(world, "aoi", {"messages": [text("a")]}))["kind"] == "reply"
    assert (await run(world, "aoi", {"messages": [text("b")]}))["kind"] == "push"
    # A friend who blocked the account gets nothing; the row says why.
    blocked = await run(world, "yui", {"messages": [text("c")]})
    assert blocked["status"] == "failed"
    # Another workspace's friend does not exist here.
    with pytest.raises(LookupError):
        await run(world, world.stranger, {"messages": [text("d")]})
    assert len(await world.outbox()) == 3
    assert await world.outbox(world.other_workspace_id) == []


async def test_friend_fields_and_other_plugins_fields_as_variables(world: MessagesWorld) -> None:
    fields = world.use_fake_friend_fields()
    aoi, ren = world.friends["aoi"], world.friends["ren"]
    fields.values = {aoi: {"nickname": "あおちゃん", "birthday": "2000-05-01"}}
    vip, regular = await world.tag("VIP"), await world.tag("常連")
    for tag_id in (vip, regular):
        assert (await world.client.put(world.tags_url(f"/friends/{aoi}/{tag_id}"))).status_code == 200
    message = text("{{field.nickname|お客様}} {{friend_fields.birthday}} [{{tags.tags|タグなし}}]")
    await run(world, "aoi", {"messages": [message]})
    await run(world, "ren", {"messages": [message]})
    aoi_sent, ren_sent = await world.outbox()
    assert aoi_sent.messages == [text("あおちゃん 2000-05-01 [VIP、常連]")]
    assert ren_sent.messages == [text("お客様  [タグなし]")]
    # One load per source and send, with every key it needs.
    assert fields.loads == [([aoi], ["birthday", "nickname"]), ([ren], ["birthday", "nickname"])]


async def test_values_too_long_for_line_are_cut_short(world: MessagesWorld) -> None:
    fields = world.use_fake_friend_fields()
    aoi = world.friends["aoi"]
    fields.values = {aoi: {"nickname": "😀" * 30}}
    config = {
        "messages": [
            text("あ" * 4990 + "{{field.nickname}}"),
            {
                "type": "template",
                "altText": "x",
                "template": {
                    "type": "buttons",
                    "text": "x",
                    "actions": [{"type": "message", "label": "{{field.nickname}}", "text": "{{field.nickname}}"}],
                },
            },
        ]
    }
    await run(world, "aoi", config)
    [request] = await world.outbox()
    long_text, template = request.messages
    assert long_text["text"] == "あ" * 4990 + "😀" * 4 + "…"  # 5,000 UTF-16 units at most, emoji kept whole
    action = template["template"]["actions"][0]
    assert action["label"] == "😀" * 9 + "…" and action["text"] == "😀" * 30  # a label has 20 units

    # What cannot be fixed by cutting is refused and nothing is recorded.
    with pytest.raises(sending.UnsendableMessages) as refused:
        await run(world, "ren", {"messages": [text("{{field.nickname}}")]})
    assert [p.path for p in refused.value.problems] == ["$.messages[0].text"]
    assert len(await world.outbox()) == 1


async def test_templates_as_the_source_of_a_step(world: MessagesWorld) -> None:
    made = await world.client.post(
        world.url("/templates"),
        json={"name": "来店お礼", "messages": [text("{{friend.display_name}}さん、ありがとう")]},
    )
    assert made.status_code == 201, made.text
    template_id = made.json()["id"]
    ctx = world.context()
    async with ctx.session:
        assert await nodes.check_send_messages(ctx, {"template_id": template_id}) == []
    result = await run(world, "aoi", {"template_id": template_id})
    assert result["template_id"] == template_id and result["messages"] == 1
    assert (await world.outbox())[0].messages == [text("青井 葵さん、ありがとう")]

    # Edited: steps send the new wording. Deleted: steps are refused, and a run sends nothing.
    edit = await world.client.patch(world.url(f"/templates/{template_id}"), json={"messages": [text("新しい文面")]})
    assert edit.status_code == 200, edit.text
    await run(world, "aoi", {"template_id": template_id})
    assert (await world.outbox())[-1].messages == [text("新しい文面")]
    assert (await world.client.delete(world.url(f"/templates/{template_id}"))).status_code == 204
    async with ctx.session:
        [problem] = await nodes.check_send_messages(ctx, {"template_id": template_id})
    assert problem.path == "$.template_id"
    with pytest.raises(LookupError):
        await run(world, "aoi", {"template_id": template_id})
    assert len(await world.outbox()) == 2

    # Another workspace's template is not found either.
    theirs = await world.client.post(
        world.url("/templates", world.other_workspace_id), json={"name": "他店", "messages": [text("x")]}
    )
    async with ctx.session:
        [problem] = await nodes.check_send_messages(ctx, {"template_id": theirs.json()["id"]})
    assert problem.path == "$.template_id"


async def test_a_template_gone_stale_is_reported_on_its_id(world: MessagesWorld) -> None:
    fields = world.use_fake_friend_fields()
    made = await world.client.post(world.url("/templates"), json={"name": "t", "messages": [text("x")]})
    template_id = made.json()["id"]
    # Written while the field existed (straight into the table: the API would refuse it now).
    from enishi_messages.models import MessageTemplate

    async with world.env.db.transaction(world.workspace_id) as s:
        await s.execute(
            update(MessageTemplate).where(MessageTemplate.id == template_id).values(messages=[text("{{field.gone}}")])
        )
    assert fields.keys
    ctx = world.context()
    async with ctx.session:
        [problem] = await nodes.check_send_messages(ctx, {"template_id": template_id})
    assert problem.path == "$.template_id" and "field.gone" in problem.message and "messages[0].text" in problem.message


async def test_line_emojis_stay_on_their_dollar_signs(world: MessagesWorld) -> None:
    written = "$ {{friend.display_name}}さん、こんにちは$"
    emoji = {"productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}
    message = {"type": "text", "text": written, "emojis": [{"index": 0, **emoji}, {"index": len(written) - 1, **emoji}]}
    await run(world, "aoi", {"messages": [message]})
    [sent] = (await world.outbox())[0].messages
    assert sent["text"] == "$ 青井 葵さん、こんにちは$"
    assert [e["index"] for e in sent["emojis"]] == [0, len(sent["text"]) - 1]
    assert all(sent["text"][e["index"]] == "$" for e in sent["emojis"])
