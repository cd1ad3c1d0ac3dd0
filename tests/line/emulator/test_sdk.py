"""The official line-bot-sdk v3 async client, unchanged, against the emulator served under a path prefix."""

from __future__ import annotations

import uuid

import pytest
from linebot.v3.messaging import (
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    ButtonsTemplate,
    FlexBox,
    FlexBubble,
    FlexMessage,
    FlexText,
    MessageAction,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    StickerMessage,
    TemplateMessage,
    TextMessage,
)
from linebot.v3.messaging.exceptions import ApiException

from tests.line.emulator.conftest import CHANNEL_ID, Line


async def test_push_delivers_and_answers_like_line(line: Line, api: AsyncMessagingApi) -> None:
    user = line.friend("花子")
    quick = QuickReply(items=[QuickReplyItem(action=PostbackAction(label="はい", data="answer=yes"))])
    response = await api.push_message_with_http_info(
        PushMessageRequest(
            to=user.user_id,
            messages=[
                TextMessage(text="こんにちは", quick_reply=quick),
                StickerMessage(package_id="446", sticker_id="1988"),
            ],
        )
    )
    assert response.status_code == 200
    request_id = response.headers["X-Line-Request-Id"]
    assert uuid.UUID(request_id)
    assert len(response.data.sent_messages) == 2

    delivered = line.emulator.deliveries(CHANNEL_ID, user.user_id)
    assert [(d.message or {})["type"] for d in delivered] == ["text", "sticker"]
    assert (delivered[0].message or {})["quickReply"]["items"][0]["action"]["data"] == "answer=yes"
    assert {d.request_id for d in delivered} == {request_id}
    assert {d.endpoint for d in delivered} == {"push"}
    assert [d.message_id for d in delivered] == [m.id for m in response.data.sent_messages]


async def test_multicast_reaches_every_friend_once(line: Line, api: AsyncMessagingApi) -> None:
    friends = [line.friend() for _ in range(3)]
    ids = [u.user_id for u in friends]
    await api.multicast(MulticastRequest(to=[*ids, ids[0]], messages=[TextMessage(text="セール開始")]))
    for user in friends:
        assert [(d.message or {})["text"] for d in line.emulator.deliveries(CHANNEL_ID, user.user_id)] == ["セール開始"]
    assert (await api.get_message_quota_consumption()).total_usage == 3


async def test_reply_with_a_token_from_a_webhook_is_free(line: Line, api: AsyncMessagingApi) -> None:
    user = line.emulator.add_user(CHANNEL_ID, "太郎")
    action = await line.emulator.follow(CHANNEL_ID, user.user_id)
    token = action.event["replyToken"]
    template = TemplateMessage(
        alt_text="メニュー",
        template=ButtonsTemplate(text="ご用件は？", actions=[MessageAction(label="予約", text="予約したい")]),
    )
    bubble = FlexMessage(
        alt_text="カード",
        contents=FlexBubble(body=FlexBox(layout="vertical", contents=[FlexText(text="ようこそ")])),
    )
    answer = await api.reply_message(ReplyMessageRequest(reply_token=token, messages=[template, bubble]))
    assert len(answer.sent_messages) == 2
    delivered = line.emulator.deliveries(CHANNEL_ID, user.user_id)
    assert [d.endpoint for d in delivered] == ["reply", "reply"]
    assert (delivered[1].message or {})["contents"]["body"]["contents"][0]["text"] == "ようこそ"
    assert (await api.get_message_quota_consumption()).total_usage == 0


async def test_profile_followers_quota_and_bot_info(line: Line, api: AsyncMessagingApi) -> None:
    friends = [line.friend(f"ユーザー{i}") for i in range(5)]
    stranger = line.emulator.add_user(CHANNEL_ID, "未追加")

    profile = await api.get_profile(friends[0].user_id)
    assert (profile.user_id, profile.display_name, profile.language) == (friends[0].user_id, "ユーザー0", "ja")
    with pytest.raises(ApiException) as missing:
        await api.get_profile(stranger.user_id)
    assert missing.value.status == 404

    seen: list[str] = []
    page = await api.get_followers(limit=2)
    seen += page.user_ids
    while page.next:
        page = await api.get_followers(start=page.next, limit=2)
        seen += page.user_ids
    assert seen == [u.user_id for u in friends]

    assert (await api.get_message_quota()).type == "none"
    line.emulator.set_quota(CHANNEL_ID, 200)
    quota = await api.get_message_quota()
    assert (quota.type, quota.value) == ("limited", 200)
    info = await api.get_bot_info()
    assert info.user_id == line.emulator.channel(CHANNEL_ID).bot_user_id


async def test_rich_menu_create_link_unlink(line: Line, api: AsyncMessagingApi) -> None:
    user = line.friend()
    created = await api.create_rich_menu(
        RichMenuRequest(
            size=RichMenuSize(width=2500, height=843),
            selected=True,
            name="main",
            chat_bar_text="メニュー",
            areas=[
                RichMenuArea(
                    bounds=RichMenuBounds(x=0, y=0, width=1250, height=843),
                    action=PostbackAction(label="予約", data="menu=reserve"),
                )
            ],
        )
    )
    assert created.rich_menu_id.startswith("richmenu-")
    await api.link_rich_menu_id_to_user(user.user_id, created.rich_menu_id)
    assert line.emulator.user(CHANNEL_ID, user.user_id).rich_menu_id == created.rich_menu_id
    assert (await api.get_rich_menu_id_of_user(user.user_id)).rich_menu_id == created.rich_menu_id
    await api.unlink_rich_menu_id_from_user(user.user_id)
    assert line.emulator.user(CHANNEL_ID, user.user_id).rich_menu_id is None

    # Any id that looks like LINE's counts as created, so a gateway test need not create one first.
    await api.link_rich_menu_id_to_user(user.user_id, "richmenu-" + "0" * 32)
    with pytest.raises(ApiException) as unknown:
        await api.link_rich_menu_id_to_user(user.user_id, "not-a-menu")
    assert unknown.value.status == 404


async def test_image_content_is_served_on_the_data_host(line: Line, blob_api: AsyncMessagingApiBlob) -> None:
    user = line.friend()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    action = await line.emulator.send_image(CHANNEL_ID, user.user_id, png, "image/png")
    content = await blob_api.get_message_content(action.event["message"]["id"])
    assert bytes(content) == png
    with pytest.raises(ApiException) as missing:
        await blob_api.get_message_content("1")
    assert missing.value.status == 404


async def test_wrong_token_is_a_line_style_401(line: Line) -> None:
    from linebot.v3.messaging import AsyncApiClient, Configuration

    async with AsyncApiClient(Configuration(host=line.host, access_token="wrong")) as client:
        with pytest.raises(ApiException) as denied:
            await AsyncMessagingApi(client).get_message_quota()
    assert denied.value.status == 401
    assert "access token" in denied.value.body
    assert denied.value.headers["X-Line-Request-Id"]
