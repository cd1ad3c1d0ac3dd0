"""Signed webhooks that the SDK's own parser accepts, simulated user actions, redelivery and reply tokens."""

from __future__ import annotations

from typing import Any

import pytest
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import AsyncMessagingApi, AsyncMessagingApiBlob, ReplyMessageRequest, TextMessage
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.webhooks import (
    FollowEvent,
    ImageMessageContent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
)
from ulid import ULID

from enishi_line_emulator import Emulator
from enishi_line_emulator.validation import WEBHOOK_URI, schema_details
from tests.line.emulator.conftest import CHANNEL_ID, SECRET, Line, Received


def parse(received: Received) -> list[Any]:
    return WebhookParser(SECRET).parse(received.body.decode("utf-8"), received.headers["x-line-signature"])


async def test_signature_verifies_with_the_sdk_parser(line: Line) -> None:
    user = line.emulator.add_user(CHANNEL_ID, "花子")
    result = await line.emulator.send_text(CHANNEL_ID, user.user_id, "こんにちは 🌸")
    assert result.webhook.ok and result.webhook.status_code == 200

    [received] = line.receiver.requests
    assert received.headers["content-type"].startswith("application/json")
    assert received.headers["user-agent"].startswith("LineBotWebhook/")
    [event] = parse(received)
    assert isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent)
    assert event.message.text == "こんにちは 🌸"
    assert event.source.user_id == user.user_id
    assert event.delivery_context.is_redelivery is False
    assert str(ULID.from_str(event.webhook_event_id)) == event.webhook_event_id
    assert received.json()["destination"] == line.emulator.channel(CHANNEL_ID).bot_user_id
    assert schema_details("CallbackRequest", received.json(), WEBHOOK_URI) == []

    tampered = received.body.replace("こんにちは".encode(), "さようなら".encode())
    with pytest.raises(InvalidSignatureError):
        WebhookParser(SECRET).parse(tampered.decode("utf-8"), received.headers["x-line-signature"])


async def test_every_user_action_is_a_proper_event(line: Line, blob_api: AsyncMessagingApiBlob) -> None:
    emu = line.emulator
    user = emu.add_user(CHANNEL_ID)
    await emu.follow(CHANNEL_ID, user.user_id)
    await emu.send_sticker(CHANNEL_ID, user.user_id, "446", "1988")
    image = await emu.send_image(CHANNEL_ID, user.user_id, b"GIF89a-test", "image/gif")
    await emu.send_location(CHANNEL_ID, user.user_id, 35.681236, 139.767125, "東京駅", "東京都千代田区")
    await emu.postback(CHANNEL_ID, user.user_id, "action=reserve&item=1", {"date": "2026-12-01"}, "予約する")
    await emu.unfollow(CHANNEL_ID, user.user_id)
    await emu.follow(CHANNEL_ID, user.user_id)

    events = [e for r in line.receiver.requests for e in parse(r)]
    assert [type(e) for e in events] == [
        FollowEvent,
        MessageEvent,
        MessageEvent,
        MessageEvent,
        PostbackEvent,
        UnfollowEvent,
        FollowEvent,
    ]
    assert events[0].follow.is_unblocked is False and events[0].reply_token
    assert events[6].follow.is_unblocked is True
    sticker, img, location = (events[i].message for i in (1, 2, 3))
    assert isinstance(sticker, StickerMessageContent) and (sticker.package_id, sticker.sticker_id) == ("446", "1988")
    assert isinstance(img, ImageMessageContent) and img.content_provider.type == "line"
    assert isinstance(location, LocationMessageContent) and location.title == "東京駅"
    assert events[4].postback.data == "action=reserve&item=1" and events[4].postback.params == {"date": "2026-12-01"}
    assert len({e.webhook_event_id for e in events}) == len(events)
    for request in line.receiver.requests:
        assert schema_details("CallbackRequest", request.json(), WEBHOOK_URI) == []

    assert bytes(await blob_api.get_message_content(image.event["message"]["id"])) == b"GIF89a-test"
    timeline = emu.timeline(CHANNEL_ID, user.user_id)
    assert [e.kind for e in timeline] == ["follow", "message", "message", "message", "postback", "unfollow", "follow"]
    assert timeline[4].message == {"type": "text", "text": "予約する"}  # the postback's displayText


async def test_redelivery_resends_the_same_event_ids_flagged(line: Line) -> None:
    user = line.emulator.add_user(CHANNEL_ID)
    first = await line.emulator.send_text(CHANNEL_ID, user.user_id, "一度目")
    again = await line.emulator.redeliver(CHANNEL_ID, [first.event["webhookEventId"]])
    assert again.ok and again.redelivery
    original, redelivered = (parse(r)[0] for r in line.receiver.requests)
    assert redelivered.webhook_event_id == original.webhook_event_id
    assert (original.delivery_context.is_redelivery, redelivered.delivery_context.is_redelivery) == (False, True)
    assert redelivered.message.text == "一度目"

    # send_event with redelivery=True flags hand-made events the same way and keeps their ids.
    event = {**first.event}
    result = await line.emulator.send_event(CHANNEL_ID, event, redelivery=True)
    body = line.receiver.requests[-1].json()
    assert result.ok and body["events"][0]["webhookEventId"] == first.event["webhookEventId"]
    assert body["events"][0]["deliveryContext"] == {"isRedelivery": True}


async def test_send_event_fills_in_what_line_adds(line: Line) -> None:
    user = line.emulator.add_user(CHANNEL_ID)
    hand_made = {
        "type": "message",
        "source": {"type": "user", "userId": user.user_id},
        "replyToken": "hand-made-token",
        "message": {"id": "1", "type": "text", "text": "hi", "quoteToken": "q"},
    }
    result = await line.emulator.send_event(CHANNEL_ID, [hand_made, {**hand_made, "replyToken": "other"}])
    body = line.receiver.requests[-1].json()
    assert result.ok and len(body["events"]) == 2
    for event in body["events"]:
        assert event["mode"] == "active" and isinstance(event["timestamp"], int)
        assert event["deliveryContext"] == {"isRedelivery": False}
    assert schema_details("CallbackRequest", body, WEBHOOK_URI) == []

    connectivity = await line.emulator.test_webhook(line.emulator.channel(CHANNEL_ID))
    assert connectivity.ok and line.receiver.requests[-1].json()["events"] == []


async def test_webhook_failures_are_reported(line: Line) -> None:
    user = line.emulator.add_user(CHANNEL_ID)
    line.receiver.status = 500
    failed = await line.emulator.follow(CHANNEL_ID, user.user_id)
    assert not failed.webhook.ok and failed.webhook.error == "HTTP 500"
    assert failed.entry.webhook is failed.webhook

    line.receiver.status, line.receiver.delay = 200, 0.5
    line.emulator.webhooks.timeout = 0.1
    slow = await line.emulator.send_text(CHANNEL_ID, user.user_id, "遅い")
    assert slow.webhook.error is not None and slow.webhook.error.startswith("timeout")
    line.receiver.delay = 0

    line.emulator.update_channel(CHANNEL_ID, webhook_url=None)
    none = await line.emulator.send_text(CHANNEL_ID, user.user_id, "どこへ")
    assert none.webhook.error == "no webhook URL" and none.webhook.url is None
    assert [r.ok for r in line.emulator.channel(CHANNEL_ID).webhook_log] == [False, False, False]


async def test_reply_token_is_single_use(line: Line, api: AsyncMessagingApi) -> None:
    user = line.emulator.add_user(CHANNEL_ID)
    action = await line.emulator.send_text(CHANNEL_ID, user.user_id, "質問です")
    request = ReplyMessageRequest(reply_token=action.event["replyToken"], messages=[TextMessage(text="回答")])
    await api.reply_message(request)
    with pytest.raises(ApiException) as reused:
        await api.reply_message(request)
    assert reused.value.status == 400 and "Invalid reply token" in reused.value.body
    assert len(line.emulator.deliveries(CHANNEL_ID, user.user_id)) == 1


async def test_reply_token_expires(line: Line, api: AsyncMessagingApi) -> None:
    now = [1_800_000_000.0]
    line.emulator.clock = lambda: now[0]
    line.emulator.reply_token_ttl = 60
    user = line.emulator.add_user(CHANNEL_ID)
    fresh = await line.emulator.follow(CHANNEL_ID, user.user_id)
    late = await line.emulator.send_text(CHANNEL_ID, user.user_id, "遅い返信")
    now[0] += 59
    await api.reply_message(
        ReplyMessageRequest(reply_token=fresh.event["replyToken"], messages=[TextMessage(text="間に合った")])
    )
    now[0] += 2
    with pytest.raises(ApiException) as expired:
        await api.reply_message(
            ReplyMessageRequest(reply_token=late.event["replyToken"], messages=[TextMessage(text="x")])
        )
    assert expired.value.status == 400
    assert [(d.message or {})["text"] for d in line.emulator.deliveries(CHANNEL_ID, user.user_id)] == ["間に合った"]


async def test_reply_tokens_belong_to_their_channel(line: Line, api: AsyncMessagingApi) -> None:
    line.emulator.add_channel("1657000002", "f" * 32, "other-token")
    other = line.emulator.add_user("1657000002")
    action = await line.emulator.send_text("1657000002", other.user_id, "別チャネル")
    with pytest.raises(ApiException) as wrong:
        await api.reply_message(
            ReplyMessageRequest(reply_token=action.event["replyToken"], messages=[TextMessage(text="x")])
        )
    assert wrong.value.status == 400


async def test_blocked_users_cannot_talk(emulator: Emulator) -> None:
    emulator.add_channel(CHANNEL_ID, SECRET, "t")
    user = emulator.add_user(CHANNEL_ID, following=True)
    await emulator.unfollow(CHANNEL_ID, user.user_id)
    with pytest.raises(Exception, match="blocked"):
        await emulator.send_text(CHANNEL_ID, user.user_id, "hi")
