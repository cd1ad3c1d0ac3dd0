"""The LINE emulator inside the app is no way in: it is served only when asked for, its control API and simulator
page are for signed-in staff on their own workspaces' channels, it never hands out a secret or token, and its
webhooks go only to the app's own URL for the channel."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager

from enishi.app import create_app
from enishi.crypto import SecretBox
from enishi.line.embedded import emulator_of, register_channels
from enishi.models import Workspace
from enishi.settings import SettingsError, load_settings
from enishi.tenancy.workspaces import webhook_url
from enishi_line_emulator import Emulator
from tests.conftest import PASSWORD, Env, make_host, new_client, settings_for

ELSEWHERE = "http://169.254.169.254/latest/meta-data/"


@pytest.fixture
async def app_env(database_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    """The app with the emulator switched on, on either database."""
    settings = settings_for(tmp_path, database_url, ENISHI_EMULATOR="1")
    host = make_host(settings)
    app = create_app(settings, host)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        env = Env(settings=settings, host=host, db=app.state["enishi"].db, app=app, client=new_client(app))
        try:
            yield env
        finally:
            for c in [env.client, *env.clients]:
                await c.aclose()


class Shops:
    def __init__(self, env: Env, mine: Workspace, theirs: Workspace, emulator: Emulator) -> None:
        self.env, self.mine, self.theirs, self.emulator = env, mine, theirs, emulator

    def secrets(self) -> list[str]:
        box = SecretBox(self.env.settings.secret_keys)
        return [
            box.decrypt(value)
            for w in (self.mine, self.theirs)
            for value in (w.line_channel_secret, w.line_access_token)
        ]


@pytest.fixture
async def shops(app_env: Env) -> Shops:
    """Two workspaces of two agencies, each with its own staff member; both channels known to the emulator."""
    me = await app_env.user("me@shop.example")
    them = await app_env.user("them@other.example")
    mine = await app_env.workspace(await app_env.agency("代理店A", owner=me), "私の店")
    theirs = await app_env.workspace(await app_env.agency("代理店B", owner=them), "よその店")
    emulator = emulator_of(app_env.app.state)
    assert emulator is not None
    await register_channels(app_env.app.state["enishi"], emulator)
    return Shops(app_env, mine, theirs, emulator)


def control(channel: str = "") -> str:
    return f"/emulator/_control/channels/{channel}" if channel else "/emulator/_control"


async def test_anonymous_callers_get_nothing_from_the_control_api(shops: Shops) -> None:
    anonymous = shops.env.client
    channel = shops.mine.line_channel_id
    user = shops.emulator.add_user(channel, "花子")
    calls = [
        ("GET", control(), None),
        ("GET", "/emulator/_control/channels", None),
        ("GET", "/emulator/_control/login-channels", None),
        ("GET", control(channel), None),
        ("PATCH", control(channel), {"webhookUrl": ELSEWHERE}),
        ("POST", f"{control(channel)}/users", {"displayName": "なりすまし"}),
        ("POST", f"{control(channel)}/users/{user.user_id}/text", {"text": "こんにちは"}),
        ("PUT", "/emulator/_control/faults", {"errorRate": 1}),
        ("POST", "/emulator/_control/reset", {}),
    ]
    for method, path, body in calls:
        response = await anonymous.request(method, path, json=body)
        assert response.status_code == 401, (method, path, response.text)
        assert all(s not in response.text for s in shops.secrets())
    # Nothing happened: no message from "花子", the webhook URL is the app's.
    assert [e for e in shops.emulator.timeline(channel, user.user_id) if e.kind != "system"] == []
    assert shops.emulator.channel(channel).webhook_url == webhook_url(shops.env.settings, shops.mine)
    assert shops.emulator.faults.error_rate == 0

    # The page sends a person who is not signed in to the console's sign-in.
    page = await anonymous.get("/emulator/simulator")
    assert page.status_code == 303 and page.headers["location"] == "/login"


async def test_staff_see_and_act_on_their_own_channels_only(shops: Shops) -> None:
    staff = await shops.env.login("me@shop.example")
    mine, theirs = shops.mine.line_channel_id, shops.theirs.line_channel_id

    listed = (await staff.get("/emulator/_control/channels")).json()["channels"]
    assert [c["channelId"] for c in listed] == [mine]
    assert [c["channelId"] for c in (await staff.get(control())).json()["channels"]] == [mine]

    user = await staff.post(f"{control(mine)}/users", json={"displayName": "花子"})
    assert user.status_code == 201, user.text
    typed = await staff.post(f"{control(mine)}/users/{user.json()['userId']}/text", json={"text": "予約したい"})
    assert typed.status_code == 200, typed.text

    # The other agency's channel answers as if it did not exist, whatever is asked of it.
    victim = shops.emulator.add_user(theirs, "太郎", following=True)
    for method, path, body in [
        ("GET", control(theirs), None),
        ("GET", f"{control(theirs)}/users", None),
        ("GET", f"{control(theirs)}/webhooks", None),
        ("PATCH", control(theirs), {"displayName": "乗っ取り"}),
        ("POST", f"{control(theirs)}/users", {"displayName": "なりすまし"}),
        ("POST", f"{control(theirs)}/users/{victim.user_id}/text", {"text": "なりすまし"}),
        ("GET", f"{control(theirs)}/users/{victim.user_id}/timeline", None),
        ("PUT", f"{control(theirs)}/quota", {"limit": 0}),
    ]:
        response = await staff.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
    assert shops.emulator.timeline(theirs, victim.user_id) == []
    assert shops.emulator.channel(theirs).display_name == "よその店"
    assert list(shops.emulator.channel(theirs).users) == [victim.user_id]

    # The emulator as a whole (faults, limits, settings, reset, channels) is a platform admin's.
    for method, path, body in [
        ("PUT", "/emulator/_control/faults", {"errorRate": 1}),
        ("PUT", "/emulator/_control/settings", {"replyTokenTtlSeconds": 1}),
        ("POST", "/emulator/_control/reset", {}),
        ("DELETE", control(mine), None),
        ("POST", "/emulator/_control/channels", {"channelId": "1", "channelSecret": "s", "accessToken": "t"}),
    ]:
        response = await staff.request(method, path, json=body)
        assert response.status_code == 403, (method, path, response.text)
    assert shops.emulator.faults.error_rate == 0 and set(shops.emulator.channels) == {mine, theirs}


async def test_login_channels_of_another_workspace_are_out_of_reach(shops: Shops) -> None:
    staff = await shops.env.login("me@shop.example")
    shops.emulator.login.add_channel("2000000001", "their-login-secret", shops.theirs.line_channel_id)
    assert (await staff.get("/emulator/_control/login-channels")).json()["channels"] == []
    fault = await staff.put("/emulator/_control/login-channels/2000000001/id-token-fault", json={"fault": "bad_sig"})
    assert fault.status_code == 404
    alg = await staff.patch("/emulator/_control/login-channels/2000000001", json={"idTokenAlg": "HS256"})
    assert alg.status_code == 404
    # Re-registering it under one's own channel (to sign its users' tokens) is refused too.
    taken = await staff.post(
        "/emulator/_control/login-channels",
        json={"channelId": "2000000001", "channelSecret": "mine", "messagingChannelId": shops.mine.line_channel_id},
    )
    assert taken.status_code == 404
    login = shops.emulator.login.channel("2000000001")
    assert (login.secret, login.messaging_channel_id, login.alg, login.id_token_fault) == (
        "their-login-secret",
        shops.theirs.line_channel_id,
        "ES256",
        None,
    )


async def test_line_login_of_the_emulator_sends_nobody_elsewhere(shops: Shops) -> None:
    shops.emulator.login.add_channel("2000000003", "login-secret", shops.mine.line_channel_id)
    query = {
        "response_type": "code",
        "client_id": "2000000003",
        "state": "s",
        "scope": "openid profile",
        "redirect_uri": "https://evil.example/callback",
    }
    browser = await shops.env.login("me@shop.example")  # the consent page is the workspace's staff's
    page = await browser.get("/emulator/oauth2/v2.1/authorize", params=query)
    assert page.status_code == 400 and "location" not in page.headers
    csrf = browser.headers["X-CSRF-Token"]
    answer = await browser.post(
        "/emulator/oauth2/v2.1/authorize",
        data={**query, "user_id": "__new__", "decision": "allow", "csrf_token": csrf},
    )
    assert answer.status_code == 400 and "location" not in answer.headers
    # The app's own callback goes on as LINE's does.
    own = {**query, "redirect_uri": f"{shops.env.settings.public_url}/p/inflow/callback"}
    assert (await browser.get("/emulator/oauth2/v2.1/authorize", params=own)).status_code == 200


async def test_line_logins_consent_page_is_a_signed_in_staff_members_of_the_channels_workspace(
    shops: Shops,
) -> None:
    """Picking a simulated user on the consent page logs in as that LINE user (their member card, their visits), so
    it is the simulator's: the workspace's staff (or a platform admin) only, and its answer proves it came from
    the page."""
    await shops.env.user("admin@platform.example", admin=True)
    mine = shops.mine.line_channel_id
    shops.emulator.login.add_channel("2000000004", "login-secret", mine)
    hanako = shops.emulator.add_user(mine, "花子")
    query = {
        "response_type": "code",
        "client_id": "2000000004",
        "state": "s",
        "scope": "openid profile",
        "redirect_uri": f"{shops.env.settings.public_url}/p/inflow/callback",
    }
    authorize = "/emulator/oauth2/v2.1/authorize"
    answer = {**query, "user_id": hanako.user_id, "decision": "allow"}

    anonymous = shops.env.new_client()
    page = await anonymous.get(authorize, params=query)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    assert (await anonymous.post(authorize, data={**answer, "user_id": "__new__"})).status_code == 401
    # Another workspace's staff: no such LINE Login channel, as for one that does not exist.
    them = await shops.env.login("them@other.example")
    page = await them.get(authorize, params=query)
    assert page.status_code == 400 and "花子" not in page.text
    taken = await them.post(authorize, data={**answer, "csrf_token": them.headers["X-CSRF-Token"]})
    assert taken.status_code == 400 and "location" not in taken.headers
    # The workspace's staff: the page, whose answer must carry the session's CSRF token (a form cannot send the
    # header).
    staff = await shops.env.login("me@shop.example")
    page = await staff.get(authorize, params=query)
    assert page.status_code == 200 and "花子" in page.text
    token = staff.headers["X-CSRF-Token"]
    assert f'<input type="hidden" name="csrf_token" value="{token}">' in page.text
    for forged in ({}, {"csrf_token": "forged"}):
        refused = await staff.post(authorize, data={**answer, "user_id": "__new__", **forged})
        assert refused.status_code == 403 and "location" not in refused.headers
    assert list(shops.emulator.channel(mine).users) == [hanako.user_id]
    done = await staff.post(authorize, data={**answer, "csrf_token": token})
    assert done.status_code == 302 and done.headers["location"].startswith(query["redirect_uri"] + "?code=")
    admin = await shops.env.login("admin@platform.example")
    assert (await admin.get(authorize, params=query)).status_code == 200


async def test_no_secret_or_access_token_in_any_control_answer(shops: Shops) -> None:
    admin = await shops.env.user("admin@platform.example", admin=True)
    assert admin.is_platform_admin
    client = await shops.env.login("admin@platform.example")
    mine = shops.mine.line_channel_id
    shops.emulator.login.add_channel("2000000002", "login-secret-of-mine", mine)
    user = shops.emulator.add_user(mine, "花子")
    answers = [
        await client.get(control()),
        await client.get("/emulator/_control/channels"),
        await client.get(control(mine)),
        await client.patch(control(mine), json={"displayName": "改名", "webhookActive": True}),
        await client.get("/emulator/_control/login-channels"),
        await client.patch("/emulator/_control/login-channels/2000000002", json={"idTokenAlg": "HS256"}),
        await client.put(f"{control(mine)}/quota", json={"limit": 100}),
        await client.post(f"{control(mine)}/users/{user.user_id}/follow"),
        await client.post("/emulator/_control/reset", json={"keepChannels": True}),
    ]
    # A platform admin sees every channel, but never a credential.
    assert {c["channelId"] for c in answers[1].json()["channels"]} == {mine, shops.theirs.line_channel_id}
    for answer in answers:
        assert answer.status_code == 200, answer.text
        for secret in [*shops.secrets(), "login-secret-of-mine"]:
            assert secret not in answer.text, answer.request.url
        assert "channelSecret" not in answer.text and "accessToken" not in answer.text


async def test_the_webhook_goes_only_to_the_apps_own_url_for_the_channel(shops: Shops) -> None:
    staff = await shops.env.login("me@shop.example")
    mine = shops.mine.line_channel_id
    own = webhook_url(shops.env.settings, shops.mine)
    for url in (ELSEWHERE, webhook_url(shops.env.settings, shops.theirs)):
        refused = await staff.patch(control(mine), json={"webhookUrl": url})
        assert refused.status_code == 400, refused.text
        assert [d["property"] for d in refused.json()["details"]] == ["webhookUrl"]
    assert shops.emulator.channel(mine).webhook_url == own
    kept = await staff.patch(control(mine), json={"webhookUrl": own, "webhookActive": True})
    assert kept.status_code == 200 and kept.json()["webhookUrl"] == own

    # Nor through LINE's own webhook settings, with the channel's access token.
    token = SecretBox(shops.env.settings.secret_keys).decrypt(shops.mine.line_access_token)
    bearer = {"Authorization": f"Bearer {token}"}
    line = shops.env.new_client()
    for method, path in (
        ("PUT", "/emulator/v2/bot/channel/webhook/endpoint"),
        ("POST", "/emulator/v2/bot/channel/webhook/test"),
    ):
        response = await line.request(method, path, json={"endpoint": ELSEWHERE}, headers=bearer)
        assert response.status_code == 400, response.text
        assert [d["property"] for d in response.json()["details"]] == ["endpoint"]
    assert shops.emulator.channel(mine).webhook_url == own
    # LINE's API itself keeps answering with the channel access token (the app's outbox calls it), and only so.
    info = await line.get("/emulator/v2/bot/info", headers=bearer)
    assert info.status_code == 200 and info.json()["displayName"] == "私の店"
    assert (await line.get("/emulator/v2/bot/info")).status_code == 401
    endpoint = await line.get("/emulator/v2/bot/channel/webhook/endpoint", headers=bearer)
    assert endpoint.status_code == 200 and endpoint.json()["endpoint"] == own


async def test_a_cookie_session_must_prove_the_change_comes_from_the_page(shops: Shops) -> None:
    staff = await shops.env.login("me@shop.example")
    mine = shops.mine.line_channel_id
    del staff.headers["X-CSRF-Token"]
    forged = await staff.post(f"{control(mine)}/users", json={"displayName": "偽"})
    assert forged.status_code == 403
    assert shops.emulator.channel(mine).users == {}


async def test_the_simulator_page_is_a_signed_in_staff_members(shops: Shops) -> None:
    staff = await shops.env.login("me@shop.example")
    csrf = staff.headers["X-CSRF-Token"]
    page = await staff.get("/emulator/simulator")
    assert page.status_code == 200
    assert f'<meta name="csrf-token" content="{csrf}">' in page.text
    assert '<meta name="emulator-can-register" content="0">' in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_what_a_simulated_user_sent_never_runs_in_the_apps_origin(shops: Shops) -> None:
    staff = await shops.env.login("me@shop.example")
    mine = shops.mine.line_channel_id
    user = shops.emulator.add_user(mine, "花子", following=True)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
    sent = await staff.post(
        f"{control(mine)}/users/{user.user_id}/image",
        json={"contentType": "image/svg+xml", "dataBase64": base64.b64encode(svg).decode()},
    )
    assert sent.status_code == 200, sent.text
    message_id = sent.json()["event"]["message"]["id"]
    served = await staff.get(f"{control(mine)}/content/{message_id}")
    assert served.status_code == 200 and served.content == svg
    assert served.headers["content-disposition"].startswith("attachment")
    assert served.headers["content-security-policy"] == "sandbox; default-src 'none'"
    assert served.headers["x-content-type-options"] == "nosniff"


async def test_not_served_unless_asked_for_and_never_beside_line(database_url: str, tmp_path: Path) -> None:
    # The embedded mode talks to LINE unless the emulator is asked for.
    plain = load_settings({"ENISHI_DATA_DIR": str(tmp_path)})
    assert not plain.emulator and plain.line_api_url == "https://api.line.me"
    with pytest.raises(SettingsError) as raised:
        load_settings(
            {"ENISHI_DATA_DIR": str(tmp_path), "ENISHI_EMULATOR": "1", "ENISHI_LINE_API_URL": "https://api.line.me"}
        )
    assert raised.value.variable == "ENISHI_EMULATOR"

    settings = settings_for(tmp_path, database_url, ENISHI_LINE_API_URL="https://api.line.me")
    app = create_app(settings, make_host(settings))
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60), new_client(app) as client:
        assert emulator_of(app.state) is None
        for path in ("/emulator/_control", "/emulator/simulator", "/emulator/v2/bot/info"):
            assert (await client.get(path)).status_code == 404, path
        # A signed-in admin gets nothing there either.
        env = Env(settings=settings, host=make_host(settings), db=app.state["enishi"].db, app=app, client=client)
        await env.user("admin@platform.example", admin=True)
        signed_in = await client.post("/api/auth/login", json={"email": "admin@platform.example", "password": PASSWORD})
        assert signed_in.status_code == 200
        assert (await client.get("/emulator/_control")).status_code == 404
