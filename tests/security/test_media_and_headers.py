"""What friends send never runs in the console's origin, and every console response says what a browser may do
with it: scripts from this origin only, no framing, no sniffing, no referrer to other sites."""

from __future__ import annotations

import uuid
from typing import Any

from enishi.line.embedded import emulator_of, register_channels
from enishi.models import Friend, Message
from tests.conftest import Env
from tests.line.test_inbox import _login, _until, live

__all__ = ["live"]

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>'
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
SANDBOX = "sandbox; default-src 'none'"


async def test_an_svg_image_from_a_friend_downloads_in_a_sandbox_and_a_png_shows(live: Env) -> None:
    owner = await live.user("owner@shop.example")
    workspace = await live.workspace(await live.agency(owner=owner))
    emulator = emulator_of(live.app.state)
    assert emulator is not None
    await register_channels(live.app.state["enishi"], emulator)
    channel = workspace.line_channel_id
    user = emulator.add_user(channel, "花子")
    await emulator.follow(channel, user.user_id)
    await emulator.send_image(channel, user.user_id, SVG, "image/svg+xml")
    await emulator.send_image(channel, user.user_id, PNG, "image/png")
    staff = await _login(live, "owner@shop.example")
    base = f"/api/workspaces/{workspace.id}/inbox"

    async def two_images() -> list[dict[str, Any]]:
        conversations = (await staff.get(f"{base}/conversations")).json()["items"]
        if not conversations:
            return []
        friend = conversations[0]["friend"]["id"]
        items = (await staff.get(f"{base}/friends/{friend}/messages")).json()["items"]
        images = [m for m in items if m["kind"] == "image"]
        return images if len(images) == 2 else []

    images = await _until(two_images)

    async def served(message: dict[str, Any]) -> Any:
        response = await staff.get(f"{base}/messages/{message['id']}/content")
        return response if response.status_code == 200 else None

    # (the two webhooks may be processed in either order: tell them apart by what they hold)
    answers = {r.content: r for r in [await _until(lambda m=m: served(m)) for m in images] if r is not None}
    assert set(answers) == {SVG, PNG}
    svg, png = answers[SVG], answers[PNG]
    assert svg.headers["content-disposition"].startswith("attachment")
    assert svg.headers["content-security-policy"] == SANDBOX
    assert svg.headers["x-content-type-options"] == "nosniff"

    assert png.headers["content-type"].startswith("image/png")
    assert png.headers["content-disposition"].startswith("inline")
    assert png.headers["content-security-policy"] == SANDBOX


async def test_content_hosted_elsewhere_is_never_a_redirect_of_ours(env: Env) -> None:
    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(owner=owner))
    async with env.db.transaction(workspace.id) as s:
        friend = Friend(line_user_id="U" + uuid.uuid4().hex, display_name="花子", status="following")
        s.add(friend)
        await s.flush()
        message = Message(
            friend_id=friend.id,
            direction="in",
            kind="image",
            body={
                "type": "image",
                "id": "1",
                "contentProvider": {"type": "external", "originalContentUrl": "https://evil.example/phish"},
            },
            line_message_id="1",
        )
        s.add(message)
    staff = await env.login("owner@shop.example")
    response = await staff.get(f"/api/workspaces/{workspace.id}/inbox/messages/{message.id}/content")
    assert response.status_code == 409, response.text
    assert "location" not in response.headers
    assert response.json()["error"] == "external_content"


async def test_console_pages_and_api_answers_carry_the_security_headers(env: Env) -> None:
    for path in ("/", "/login", "/w/1/inbox", "/api/health", "/api/auth/me", "/api/nothing"):
        response = await env.client.get(path)
        csp = response.headers.get("content-security-policy", "")
        directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
        assert directives.get("script-src", "").startswith("script-src 'self'"), (path, csp)
        assert "'unsafe-inline'" not in directives["script-src"] and "https:" not in directives["script-src"]
        assert directives.get("frame-ancestors") == "frame-ancestors 'none'", (path, csp)
        assert directives.get("object-src") == "object-src 'none'", (path, csp)
        assert response.headers.get("x-content-type-options") == "nosniff", path
        assert response.headers.get("referrer-policy") == "same-origin", path
    # The API docs page keeps Litestar's own script, but may not be framed either.
    docs = await env.client.get("/schema")
    assert docs.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert docs.headers["x-content-type-options"] == "nosniff"
