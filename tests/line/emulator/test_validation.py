"""Requests are checked as LINE checks them, with LINE's error shape: 400 with ``details[].property``."""

from __future__ import annotations

from typing import Any

import pytest
from linebot.v3.messaging import AsyncMessagingApi, PushMessageRequest, TextMessage
from linebot.v3.messaging.exceptions import ApiException

from enishi_line_emulator.validation import WEBHOOK_URI, request_details, schema_details
from tests.line.emulator.conftest import CHANNEL_ID, Line

TEXT = {"type": "text", "text": "hi"}
USER = "U" + "0" * 32


async def post(line: Line, path: str, body: Any) -> Any:
    async with line.http() as http:
        return await http.post(path, json=body)


def properties(response: Any) -> dict[str, str]:
    return {d["property"]: d["message"] for d in response.json()["details"]}


async def test_six_messages_are_refused(line: Line) -> None:
    user = line.friend()
    response = await post(line, "/v2/bot/message/push", {"to": user.user_id, "messages": [TEXT] * 6})
    assert response.status_code == 400
    assert response.json()["message"] == "The request body has 1 error(s)"
    assert properties(response) == {"messages": "Size must be between 1 and 5"}
    assert response.headers["x-line-request-id"]
    assert line.emulator.deliveries(CHANNEL_ID, user.user_id) == []


async def test_501_multicast_ids_are_refused(line: Line) -> None:
    ids = ["U" + f"{i:032x}" for i in range(501)]
    response = await post(line, "/v2/bot/message/multicast", {"to": ids, "messages": [TEXT]})
    assert response.status_code == 400
    assert properties(response) == {"to": "Size must be between 1 and 500"}


async def test_bad_message_objects_name_the_property(line: Line) -> None:
    user = line.friend()
    body = {
        "to": user.user_id,
        "messages": [
            {"type": "text"},
            {"type": "video_call"},
            {
                "type": "template",
                "altText": "x",
                "template": {"type": "confirm", "text": "ok?", "actions": [{"type": "postback", "label": "はい"}]},
            },
            {
                "type": "image",
                "originalContentUrl": "http://example.com/a.png",
                "previewImageUrl": "https://example.com/p.png",
            },
        ],
    }
    response = await post(line, "/v2/bot/message/push", body)
    assert response.status_code == 400
    found = properties(response)
    assert found["messages[0].text"] == "must be specified"
    assert found["messages[1].type"].startswith("must be one of")
    assert found["messages[2].template.actions[0].data"] == "must be specified"
    assert found["messages[2].template.actions"] == "Size must be between 2 and 2"
    assert found["messages[3].originalContentUrl"] == "must be an HTTPS URL"
    assert response.json()["message"] == f"The request body has {len(found)} error(s)"


async def test_text_over_5000_characters_is_refused_through_the_sdk(line: Line, api: AsyncMessagingApi) -> None:
    user = line.friend()
    await api.push_message(PushMessageRequest(to=user.user_id, messages=[TextMessage(text="あ" * 5000)]))
    with pytest.raises(ApiException) as refused:
        await api.push_message(PushMessageRequest(to=user.user_id, messages=[TextMessage(text="あ" * 5001)]))
    assert refused.value.status == 400
    assert '"property":"messages[0].text"' in refused.value.body.replace(" ", "")


async def test_malformed_requests(line: Line) -> None:
    async with line.http() as http:
        not_json = await http.post(
            "/v2/bot/message/push", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 400 and "JSON" in not_json.json()["message"]
        bad_user = await http.post("/v2/bot/message/push", json={"to": "Uxyz", "messages": [TEXT]})
        assert properties(bad_user) == {"to": "must be a valid user ID"}
        unknown = await http.post("/v2/bot/message/push", json={"to": "U" + "a" * 32, "messages": [TEXT]})
        assert unknown.status_code == 400 and unknown.json() == {"message": "Failed to send messages"}
        bad_ids = await http.post(
            "/v2/bot/message/multicast", json={"to": ["U" + "a" * 32, "C123"], "messages": [TEXT]}
        )
        assert properties(bad_ids) == {"to[1]": "must be a valid user ID"}
        bad_limit = await http.get("/v2/bot/followers/ids", params={"limit": "1001"})
        assert bad_limit.status_code == 400
        bad_key = await http.post(
            "/v2/bot/message/push",
            json={"to": "U" + "a" * 32, "messages": [TEXT]},
            headers={"X-Line-Retry-Key": "nope"},
        )
        assert bad_key.status_code == 400 and "X-Line-Retry-Key" in bad_key.json()["message"]


def test_limits_beyond_the_spec() -> None:
    carousel = {
        "type": "template",
        "altText": "a" * 1501,
        "template": {
            "type": "carousel",
            "columns": [{"text": "t", "actions": [{"type": "message", "label": "x" * 21, "text": "y"}]}] * 11,
        },
    }
    found = {
        d.property: d.message
        for d in request_details("ReplyMessageRequest", {"replyToken": "t", "messages": [carousel]})
    }
    assert found["messages[0].altText"] == "Length must be between 1 and 1500"
    assert found["messages[0].template.columns"] == "Size must be between 1 and 10"
    assert found["messages[0].template.columns[0].actions[0].label"] == "Length must be between 0 and 20"
    # An emoji outside the BMP counts as two, as LINE counts UTF-16 code units.
    assert (
        request_details("ReplyMessageRequest", {"replyToken": "t", "messages": [{"type": "text", "text": "😀" * 2500}]})
        == []
    )
    assert request_details(
        "ReplyMessageRequest", {"replyToken": "t", "messages": [{"type": "text", "text": "😀" * 2501}]}
    )


def test_nested_actions_and_flex_components_are_checked_against_their_own_schema() -> None:
    flex = {
        "type": "flex",
        "altText": "f",
        "contents": {
            "type": "bubble",
            "body": {
                "type": "box",
                "layout": "vertical",
                "contents": [
                    {"type": "button", "action": {"type": "teleport", "label": "x"}},
                    {"type": "box", "layout": "vertical", "contents": [{"type": "hologram"}, {"type": "image"}]},
                    {"type": "button", "action": {"type": "uri", "label": "x", "uri": "https://example.com/a b"}},
                ],
            },
        },
    }
    found = {d.property: d.message for d in request_details("PushMessageRequest", {"to": USER, "messages": [flex]})}
    body = "messages[0].contents.body.contents"
    assert found == {
        f"{body}[0].action.type": "must be one of: camera, cameraRoll, clipboard, datetimepicker, location, message, "
        "postback, richmenuswitch, uri",
        f"{body}[1].contents[0].type": "must be one of: box, button, image, video, icon, text, span, separator, filler",
        f"{body}[1].contents[1].url": "must be specified",
        f"{body}[2].action.uri": "must be a valid uri",
    }


def test_a_property_failing_two_checks_is_reported_by_the_first_the_spec_lists() -> None:
    # A type that is not a string fails both the base's "type: string" and the list of known types; the spec
    # states the former first.
    found = request_details("PushMessageRequest", {"to": USER, "messages": [{"type": 5}]})
    assert [(d.property, d.message) for d in found] == [("messages[0].type", "must be of type string")]
    alias = {"richMenuId": "richmenu-1"}
    too_long = schema_details("CreateRichMenuAliasRequest", {**alias, "richMenuAliasId": "a" * 40})
    assert [(d.property, d.message) for d in too_long] == [("richMenuAliasId", "Length must be between 1 and 32")]
    upper = schema_details("CreateRichMenuAliasRequest", {**alias, "richMenuAliasId": "Menu"})
    assert [(d.property, d.message) for d in upper] == [("richMenuAliasId", "must match ^[a-z0-9_-]{1,32}$")]


def test_webhook_bodies_are_checked_with_the_same_wording() -> None:
    event = {"mode": "active", "timestamp": 1, "webhookEventId": "e", "deliveryContext": {"isRedelivery": False}}
    body = {
        "destination": "Uxyz",
        "events": [{"type": "teleport"}, {**event, "type": "message", "message": {"type": "text", "id": "1"}}],
    }
    found = {d.property: d.message for d in schema_details("CallbackRequest", body, WEBHOOK_URI)}
    assert found["destination"] == "must match ^U[0-9a-f]{32}$"
    assert found["events[0].type"].startswith("must be one of: message, unsend, follow")
    assert found["events[1].message.text"] == "must be specified"


def test_a_number_json_cannot_carry_is_not_a_number() -> None:
    # json.loads reads NaN and Infinity, which LINE's JSON parser refuses.
    location = {"type": "location", "title": "t", "address": "a", "latitude": float("nan"), "longitude": 1.0}
    found = request_details("PushMessageRequest", {"to": USER, "messages": [location]})
    assert [(d.property, d.message) for d in found] == [("messages[0].latitude", "must be of type number")]
