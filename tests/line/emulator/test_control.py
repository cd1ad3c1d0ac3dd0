"""The control API and the simulator page, in-process (httpx.ASGITransport) on the standalone app."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar

from enishi_line_emulator import Emulator, create_emulator_app, create_emulator_router
from enishi_line_emulator.api import InjectedDrop
from tests.line.emulator.conftest import CHANNEL_ID, SECRET, TOKEN, Received, Receiver

TEXT = {"type": "text", "text": "hi"}


def in_process(app: Any) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=app)


@pytest.fixture
async def webhooks() -> Receiver:
    return Receiver(url="http://bot.test/webhook")


@pytest.fixture
async def client(webhooks: Receiver) -> AsyncIterator[httpx.AsyncClient]:
    emulator = Emulator(seed=3, webhook_transport=httpx.ASGITransport(app=webhooks))
    app = create_emulator_app(emulator)
    async with httpx.AsyncClient(transport=in_process(app), base_url="http://emulator.test") as http:
        yield http
    await emulator.aclose()


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def register(client: httpx.AsyncClient, webhooks: Receiver) -> None:
    body = {"channelId": CHANNEL_ID, "channelSecret": SECRET, "accessToken": TOKEN, "webhookUrl": webhooks.url}
    channel = await ok(await client.post("/_control/channels", json=body))
    assert channel["channelId"] == CHANNEL_ID and channel["webhookUrl"] == webhooks.url


async def test_control_api_round_trip(client: httpx.AsyncClient, webhooks: Receiver) -> None:
    await register(client, webhooks)
    user = await ok(await client.post(f"/_control/channels/{CHANNEL_ID}/users", json={"displayName": "花子"}), 201)
    assert user["userId"].startswith("U") and len(user["userId"]) == 33 and user["state"] == "new"
    base = f"/_control/channels/{CHANNEL_ID}/users/{user['userId']}"

    follow = await ok(await client.post(f"{base}/follow"))
    assert follow["webhook"]["ok"] and follow["event"]["type"] == "follow"
    text = await ok(await client.post(f"{base}/text", json={"text": "予約したい"}))
    sticker = await ok(await client.post(f"{base}/sticker", json={"packageId": "446", "stickerId": "1988"}))
    png = base64.b64encode(b"\x89PNG fake").decode()
    image = await ok(await client.post(f"{base}/image", json={"contentType": "image/png", "dataBase64": png}))
    location = await ok(
        await client.post(f"{base}/location", json={"latitude": 35.0, "longitude": 139.0, "title": "駅"})
    )
    postback = await ok(await client.post(f"{base}/postback", json={"data": "a=1", "params": {"date": "2026-01-01"}}))
    assert [r["event"]["type"] for r in (text, sticker, image, location, postback)] == ["message"] * 4 + ["postback"]
    assert len(webhooks.requests) == 6

    content = await client.get(f"/_control/channels/{CHANNEL_ID}/content/{image['event']['message']['id']}")
    assert content.content == b"\x89PNG fake" and content.headers["content-type"] == "image/png"

    # The bot answers through the Messaging API with the reply token of the last event.
    headers = {"authorization": f"Bearer {TOKEN}"}
    reply = {"replyToken": postback["event"]["replyToken"], "messages": [TEXT]}
    await ok(await client.post("/v2/bot/message/reply", json=reply, headers=headers))
    deliveries = (await ok(await client.get(f"{base}/deliveries")))["deliveries"]
    assert [(d["endpoint"], d["message"]) for d in deliveries] == [("reply", TEXT)]
    assert deliveries[0]["requestId"] and deliveries[0]["at"].endswith("+09:00")

    timeline = await ok(await client.get(f"{base}/timeline", params={"after": 0}))
    assert [e["kind"] for e in timeline["entries"]] == [
        "follow",
        "message",
        "message",
        "message",
        "message",
        "postback",
        "message",
    ]
    later = await ok(await client.get(f"{base}/timeline", params={"after": timeline["last"]}))
    assert later["entries"] == [] and later["last"] == timeline["last"]

    block = await ok(await client.post(f"{base}/unfollow"))
    assert block["event"]["type"] == "unfollow"
    refused = await client.post(f"{base}/text", json={"text": "x"})
    assert refused.status_code == 409 and "blocked" in refused.json()["message"]
    unknown = await client.post(f"{base}/dance")
    assert unknown.status_code == 404

    users = (await ok(await client.get(f"/_control/channels/{CHANNEL_ID}/users")))["users"]
    assert users[0]["state"] == "blocked"


async def test_quota_rate_limits_faults_settings_and_reset(client: httpx.AsyncClient, webhooks: Receiver) -> None:
    await register(client, webhooks)
    user = await ok(await client.post(f"/_control/channels/{CHANNEL_ID}/users", json={"following": True}), 201)
    headers = {"authorization": f"Bearer {TOKEN}"}
    push = {"to": user["userId"], "messages": [TEXT]}

    quota = await ok(await client.put(f"/_control/channels/{CHANNEL_ID}/quota", json={"limit": 1}))
    assert quota["type"] == "limited" and quota["limit"] == 1
    await ok(await client.post("/v2/bot/message/push", json=push, headers=headers))
    over = await client.post("/v2/bot/message/push", json=push, headers=headers)
    assert over.status_code == 429 and over.json() == {"message": "You have reached your monthly limit."}
    await ok(await client.put(f"/_control/channels/{CHANNEL_ID}/quota", json={"limit": None}))

    limits = await ok(
        await client.put("/_control/rate-limits", json={"limits": {"push": {"count": 1, "perSeconds": 60}}})
    )
    assert limits["rateLimits"]["push"] == {"count": 1, "perSeconds": 60.0}
    await ok(await client.post("/v2/bot/message/push", json=push, headers=headers))
    limited = await client.post("/v2/bot/message/push", json=push, headers=headers)
    assert (
        limited.status_code == 429
        and limited.json()["message"] == "The API rate limit has been exceeded. Try again later."
    )
    bad = await client.put("/_control/rate-limits", json={"limits": {"teleport": 1}})
    assert bad.status_code == 400
    await ok(await client.put("/_control/rate-limits", json={"limits": {}, "replace": True}))

    faults = await ok(await client.put("/_control/faults", json={"errorRate": 1, "endpoints": ["push"]}))
    assert faults["errorRate"] == 1 and faults["endpoints"] == ["push"]
    failed = await client.post("/v2/bot/message/push", json=push, headers=headers)
    assert failed.status_code == 500 and failed.headers["x-line-request-id"]
    assert (await client.put("/_control/faults", json={"errorRate": 2})).status_code == 400

    # In-process there is no socket to close: a drop aborts the answer after it started.
    await ok(await client.put("/_control/faults", json={"dropRate": 1}))
    with pytest.raises(Exception) as dropped:
        await client.post("/v2/bot/message/push", json=push, headers=headers)
    assert InjectedDrop.__name__ in repr(dropped.value) + repr(dropped.value.__cause__)

    settings = await ok(await client.put("/_control/settings", json={"replyTokenTtlSeconds": 5}))
    assert settings["replyTokenTtlSeconds"] == 5

    overview = await ok(await client.post("/_control/reset", json={"keepChannels": True}))
    assert overview["faults"]["dropRate"] == 0 and overview["channels"][0]["users"] == 0
    assert overview["channels"][0]["webhookUrl"] == webhooks.url
    await ok(await client.post("/_control/reset"))
    assert (await ok(await client.get("/_control/channels")))["channels"] == []


async def test_control_validation_and_channel_updates(client: httpx.AsyncClient, webhooks: Receiver) -> None:
    missing = await client.post("/_control/channels", json={"channelId": "1"})
    assert missing.status_code == 400 and {d["property"] for d in missing.json()["details"]} == {"channelSecret"}
    await register(client, webhooks)
    clash = await client.post("/_control/channels", json={"channelId": "2", "channelSecret": "s", "accessToken": TOKEN})
    assert clash.status_code == 409
    patched = await ok(await client.patch(f"/_control/channels/{CHANNEL_ID}", json={"webhookActive": False}))
    assert patched["webhookActive"] is False
    user = await ok(await client.post(f"/_control/channels/{CHANNEL_ID}/users", json={}), 201)
    follow = await ok(await client.post(f"/_control/channels/{CHANNEL_ID}/users/{user['userId']}/follow"))
    assert follow["webhook"]["error"] == "webhook is turned off" and webhooks.requests == []
    bad_id = await client.post(f"/_control/channels/{CHANNEL_ID}/users", json={"userId": "U123"})
    assert bad_id.status_code == 400
    assert (await client.get("/_control/channels/404")).status_code == 404
    renamed = await ok(
        await client.patch(f"/_control/channels/{CHANNEL_ID}/users/{user['userId']}", json={"displayName": "次郎"})
    )
    assert renamed["displayName"] == "次郎"

    # Events posted through the control API go out signed like any other.
    await ok(await client.patch(f"/_control/channels/{CHANNEL_ID}", json={"webhookActive": True}))
    sent = await ok(
        await client.post(
            f"/_control/channels/{CHANNEL_ID}/events",
            json={
                "events": {
                    "type": "unsend",
                    "source": {"type": "user", "userId": user["userId"]},
                    "unsend": {"messageId": "1"},
                }
            },
        )
    )
    assert sent["ok"]
    again = await ok(
        await client.post(
            f"/_control/channels/{CHANNEL_ID}/redeliver", json={"webhookEventIds": sent["webhookEventIds"]}
        )
    )
    assert again["isRedelivery"] is True
    log = (await ok(await client.get(f"/_control/channels/{CHANNEL_ID}/webhooks")))["webhooks"]
    assert [w["isRedelivery"] for w in log] == [False, False, True]


async def test_messaging_api_webhook_settings(client: httpx.AsyncClient, webhooks: Receiver) -> None:
    await register(client, webhooks)
    headers = {"authorization": f"Bearer {TOKEN}"}
    endpoint = await ok(await client.get("/v2/bot/channel/webhook/endpoint", headers=headers))
    assert endpoint == {"endpoint": webhooks.url, "active": True}
    tested = await ok(await client.post("/v2/bot/channel/webhook/test", json={}, headers=headers))
    assert tested["success"] is True and tested["statusCode"] == 200
    assert webhooks.requests[-1].json()["events"] == []
    await ok(
        await client.put(
            "/v2/bot/channel/webhook/endpoint", json={"endpoint": "http://elsewhere.test/hook"}, headers=headers
        )
    )
    moved = await ok(await client.get("/v2/bot/channel/webhook/endpoint", headers=headers))
    assert moved["endpoint"] == "http://elsewhere.test/hook"


async def test_simulator_page_is_served_with_its_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/simulator")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="ja">' in page.text and "LINE シミュレーター" in page.text
    assert 'src="/simulator/static/simulator.js"' in page.text and 'type="module"' in page.text
    assert 'href="/simulator/static/simulator.css"' in page.text
    js = await client.get("/simulator/static/simulator.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "/_control" in js.text
    css = await client.get("/simulator/static/simulator.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert (await client.get("/simulator/static/..%2Fapp.py")).status_code == 404
    root = await client.get("/", follow_redirects=False)
    assert root.status_code == 302 and root.headers["location"] == "/simulator"


async def test_mounted_under_a_prefix_in_another_app() -> None:
    emulator = Emulator()
    app = Litestar(route_handlers=[create_emulator_router(emulator)])  # default prefix /emulator
    emulator.add_channel(CHANNEL_ID, SECRET, TOKEN)
    async with httpx.AsyncClient(transport=in_process(app), base_url="http://app.test") as http:
        page = await http.get("/emulator/simulator")
        assert 'src="/emulator/simulator/static/simulator.js"' in page.text
        assert '<meta name="emulator-base" content="/emulator">' in page.text
        quota = await http.get("/emulator/v2/bot/message/quota", headers={"authorization": f"Bearer {TOKEN}"})
        assert quota.json() == {"type": "none"}
        assert (await http.get("/v2/bot/message/quota")).status_code == 404
        missing = await http.get("/emulator/v2/bot/nothing-here", headers={"authorization": f"Bearer {TOKEN}"})
        assert missing.status_code == 404
    # The audit fallback of the main app skips these routes.
    push = "/emulator/v2/bot/message/push"
    handlers = [getattr(r, "route_handlers", []) for r in app.routes if r.path == push]
    assert handlers and all(h.opt.get("audit") is False for group in handlers for h in group)


async def test_received_helper_decodes_json() -> None:
    assert Received({}, b'{"a": 1}').json() == {"a": 1}
