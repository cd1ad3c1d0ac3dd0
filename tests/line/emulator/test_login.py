"""The emulator's LINE Login: the consent page, codes (single use, ten minutes), tokens with LINE's OAuth errors,
ES256 id_tokens that verify with the published keys, the verify and profile endpoints, and ``--login-channel``."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from click.testing import CliRunner

from enishi_line_emulator import Emulator, create_emulator_app
from enishi_line_emulator.cli import emulator_command

CHANNEL = "1657000001"
LOGIN = "1657000009"
LOGIN_SECRET = "fedcba9876543210fedcba9876543210"
CALLBACK = "https://shop.example/p/inflow/login"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def line(clock: Clock) -> AsyncIterator[tuple[Emulator, httpx.AsyncClient]]:
    emulator = Emulator(clock=clock)
    emulator.add_channel(CHANNEL, "0123456789abcdef0123456789abcdef", "token-" + "x" * 20)
    emulator.login.add_channel(LOGIN, LOGIN_SECRET, CHANNEL)
    app = create_emulator_app(emulator)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://line.test") as client:
        yield emulator, client


def authorize_query(**changes: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": LOGIN,
        "redirect_uri": CALLBACK,
        "state": "s1",
        "scope": "openid profile",
        "nonce": "n1",
        "bot_prompt": "aggressive",
        **changes,
    }


async def code_for(client: httpx.AsyncClient, user_id: str, **form: str) -> dict[str, list[str]]:
    answer = await client.post(
        "/oauth2/v2.1/authorize", data={**authorize_query(), "user_id": user_id, "decision": "allow", **form}
    )
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    return parse_qs(urlsplit(location).query)


def token_form(the_code: str, **changes: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": the_code,
        "redirect_uri": CALLBACK,
        "client_id": LOGIN,
        "client_secret": LOGIN_SECRET,
        **changes,
    }


async def test_consent_page_lists_the_linked_channels_users_and_refuses_what_line_refuses(
    line: tuple[Emulator, httpx.AsyncClient],
) -> None:
    emulator, client = line
    emulator.add_user(CHANNEL, "花子")
    page = await client.get("/oauth2/v2.1/authorize", params=authorize_query())
    assert page.status_code == 200 and "花子" in page.text and 'name="add_friend" value="true" checked' in page.text
    normal = await client.get("/oauth2/v2.1/authorize", params=authorize_query(bot_prompt="normal"))
    assert 'name="add_friend"' in normal.text and "checked" not in normal.text
    unknown = await client.get("/oauth2/v2.1/authorize", params=authorize_query(client_id="1999999999"))
    assert unknown.status_code == 400 and "client_id" in unknown.text
    bad_uri = await client.get("/oauth2/v2.1/authorize", params=authorize_query(redirect_uri="javascript:alert(1)"))
    assert bad_uri.status_code == 400
    for change, error in [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"bot_prompt": "always"}, "invalid_request"),
    ]:
        back = await client.get("/oauth2/v2.1/authorize", params=authorize_query(**change))
        assert back.status_code == 302, change
        query = parse_qs(urlsplit(back.headers["location"]).query)
        assert query["error"] == [error] and query["state"] == ["s1"]


async def test_the_flow_adds_the_friend_and_issues_a_verifiable_es256_id_token(
    line: tuple[Emulator, httpx.AsyncClient], clock: Clock
) -> None:
    emulator, client = line
    user = emulator.add_user(CHANNEL, "花子", picture_url="https://example.com/p.png")
    back = await code_for(client, user.user_id, add_friend="true")
    assert back["state"] == ["s1"] and back["friendship_status_changed"] == ["true"]
    assert emulator.user(CHANNEL, user.user_id).following

    token = await client.post("/oauth2/v2.1/token", data=token_form(back["code"][0]))
    assert token.status_code == 200, token.text
    body: dict[str, Any] = token.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "openid profile"
    header = jwt.get_unverified_header(body["id_token"])
    assert header["alg"] == "ES256"
    keys = jwt.PyJWKSet.from_dict((await client.get("/oauth2/v2.1/certs")).json())
    key = next(k for k in keys.keys if k.key_id == header["kid"])
    claims = jwt.decode(
        body["id_token"],
        key.key,
        algorithms=["ES256"],
        audience=LOGIN,
        issuer="https://access.line.me",
    )
    assert claims["sub"] == user.user_id and claims["nonce"] == "n1" and claims["name"] == "花子"
    assert claims["picture"] == "https://example.com/p.png" and claims["exp"] == claims["iat"] + 3600

    verified = await client.post(
        "/oauth2/v2.1/verify", data={"id_token": body["id_token"], "client_id": LOGIN, "nonce": "n2"}
    )
    assert verified.status_code == 400 and verified.json()["error_description"] == "Invalid IdToken Nonce."
    access = await client.get("/oauth2/v2.1/verify", params={"access_token": body["access_token"]})
    assert access.status_code == 200 and access.json()["client_id"] == LOGIN
    profile = await client.get("/v2/profile", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert profile.json()["userId"] == user.user_id and profile.json()["displayName"] == "花子"
    assert (await client.get("/v2/profile", headers={"Authorization": "Bearer nope"})).status_code == 401

    again = await code_for(client, user.user_id, add_friend="true")  # already a friend: nothing changes
    assert again["friendship_status_changed"] == ["false"]


async def test_token_endpoint_answers_lines_oauth_errors(
    line: tuple[Emulator, httpx.AsyncClient], clock: Clock
) -> None:
    emulator, client = line
    user = emulator.add_user(CHANNEL, "蓮")
    code = (await code_for(client, user.user_id))["code"][0]
    for changes, error in [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"client_secret": "0" * 32}, "invalid_client"),
        ({"client_id": "1999999999"}, "invalid_client"),
        ({"redirect_uri": "https://evil.example/cb"}, "invalid_grant"),
        ({"code": "made-up"}, "invalid_grant"),
        ({"code": ""}, "invalid_request"),
    ]:
        refused = await client.post("/oauth2/v2.1/token", data=token_form(code, **changes))
        assert refused.status_code == 400 and refused.json()["error"] == error, changes
    assert (await client.post("/oauth2/v2.1/token", data=token_form(code))).status_code == 200
    replay = await client.post("/oauth2/v2.1/token", data=token_form(code))
    assert replay.status_code == 400 and replay.json() == {
        "error": "invalid_grant",
        "error_description": "authorization code has already been used",
    }
    late = (await code_for(client, user.user_id))["code"][0]
    clock.now += 601  # codes live ten minutes
    assert (await client.post("/oauth2/v2.1/token", data=token_form(late))).json()["error"] == "invalid_grant"


async def test_denied_and_new_users_and_id_token_faults(line: tuple[Emulator, httpx.AsyncClient]) -> None:
    emulator, client = line
    denied = await client.post(
        "/oauth2/v2.1/authorize", data={**authorize_query(), "user_id": "__new__", "decision": "deny"}
    )
    assert parse_qs(urlsplit(denied.headers["location"]).query)["error"] == ["access_denied"]
    assert emulator.channel(CHANNEL).users == {}  # a denied login makes nobody
    back = await code_for(client, "__new__", new_name="新人")
    newcomer = next(iter(emulator.channel(CHANNEL).users.values()))
    assert newcomer.display_name == "新人" and not newcomer.following

    bad = await client.put(f"/_control/login-channels/{LOGIN}/id-token-fault", json={"fault": "sometimes"})
    assert bad.status_code == 400
    fault = await client.put(f"/_control/login-channels/{LOGIN}/id-token-fault", json={"fault": "audience"})
    assert fault.status_code == 200 and fault.json()["idTokenFault"] == "audience"
    token = (await client.post("/oauth2/v2.1/token", data=token_form(back["code"][0]))).json()
    assert jwt.decode(token["id_token"], options={"verify_signature": False})["aud"] != LOGIN
    assert emulator.login.channel(LOGIN).id_token_fault is None  # one token only
    overview = (await client.get("/_control")).json()
    assert [c["channelId"] for c in overview["loginChannels"]] == [LOGIN]


def test_cli_registers_login_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        seen["app"] = app

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", fake_run)
    channel = f"{CHANNEL}:0123456789abcdef0123456789abcdef:token"
    result = CliRunner().invoke(emulator_command, ["--channel", channel, "--login-channel", f"{LOGIN}:{LOGIN_SECRET}"])
    assert result.exit_code == 0, result.output
    emulator: Emulator = seen["app"].state["line_emulator"]
    assert emulator.login.channel(LOGIN).messaging_channel_id == CHANNEL
    assert "oauth2/v2.1/authorize" in result.output
    for bad in [f"{LOGIN}", f"{LOGIN}:{LOGIN_SECRET}:1999999999"]:
        refused = CliRunner().invoke(emulator_command, ["--channel", channel, "--login-channel", bad])
        assert refused.exit_code != 0 and "--login-channel" in refused.output
