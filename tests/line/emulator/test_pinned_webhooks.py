"""``Emulator(pin_webhooks=True)`` (the emulator inside the app): a channel's webhooks go to the one URL pinned for
it and nowhere else, however the URL is changed, so that the emulator cannot be used to make the server post
elsewhere."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from enishi_line_emulator import Emulator, LineApiError, create_emulator_app
from tests.line.emulator.conftest import CHANNEL_ID, SECRET, TOKEN, Receiver

OWN = "http://app.test/webhook/own-token"
ELSEWHERE = "http://169.254.169.254/latest/meta-data/"


@pytest.fixture
async def pinned() -> AsyncIterator[tuple[Emulator, Receiver]]:
    receiver = Receiver(url=OWN)
    emulator = Emulator(seed=1, pin_webhooks=True, webhook_transport=httpx.ASGITransport(app=receiver))
    emulator.pin_webhook(CHANNEL_ID, OWN)
    emulator.add_channel(CHANNEL_ID, SECRET, TOKEN, OWN)
    try:
        yield emulator, receiver
    finally:
        await emulator.aclose()


async def test_only_the_pinned_url_gets_webhooks(pinned: tuple[Emulator, Receiver]) -> None:
    emulator, receiver = pinned
    user = emulator.add_user(CHANNEL_ID, "花子")
    followed = await emulator.follow(CHANNEL_ID, user.user_id)
    assert followed.webhook.ok and len(receiver.requests) == 1

    for change in (
        lambda: emulator.update_channel(CHANNEL_ID, webhook_url=ELSEWHERE),
        lambda: emulator.add_channel(CHANNEL_ID, SECRET, TOKEN, ELSEWHERE),
        lambda: emulator.add_channel("1657000002", "other-secret", "other-token", ELSEWHERE),
    ):
        with pytest.raises(LineApiError) as refused:
            change()
        assert refused.value.status_code == 400
        assert [d.property for d in refused.value.details] == ["webhookUrl"]
    assert emulator.channel(CHANNEL_ID).webhook_url == OWN and "1657000002" not in emulator.channels

    # Even a URL set behind the emulator's back, or asked for in a connectivity test, is never posted to.
    emulator.channel(CHANNEL_ID).webhook_url = ELSEWHERE
    sent = await emulator.send_text(CHANNEL_ID, user.user_id, "こんにちは")
    assert not sent.webhook.ok and sent.webhook.error
    tested = await emulator.test_webhook(emulator.channel(CHANNEL_ID), ELSEWHERE)
    assert not tested.ok
    assert len(receiver.requests) == 1


async def test_the_control_api_refuses_another_webhook_url_naming_the_field(
    pinned: tuple[Emulator, Receiver],
) -> None:
    emulator, _ = pinned
    app = create_emulator_app(emulator)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator.test") as client:
        refused = await client.patch(f"/_control/channels/{CHANNEL_ID}", json={"webhookUrl": ELSEWHERE})
        assert refused.status_code == 400, refused.text
        assert [d["property"] for d in refused.json()["details"]] == ["webhookUrl"]
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        line = await client.put("/v2/bot/channel/webhook/endpoint", json={"endpoint": ELSEWHERE}, headers=bearer)
        assert line.status_code == 400 and [d["property"] for d in line.json()["details"]] == ["endpoint"]
        kept = await client.patch(f"/_control/channels/{CHANNEL_ID}", json={"webhookUrl": OWN})
        assert kept.status_code == 200 and kept.json()["webhookUrl"] == OWN
        assert "channelSecret" not in kept.json() and "accessToken" not in kept.json()
    assert emulator.channel(CHANNEL_ID).webhook_url == OWN
