"""Staff sign-in: argon2 passwords, HttpOnly session cookies with CSRF tokens, API tokens, throttling."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from enishi.db.base import utcnow
from enishi.models import StaffSession, User
from tests.conftest import PASSWORD, Env


async def test_login_sets_an_httponly_samesite_cookie_and_me_answers(env: Env) -> None:
    await env.user("staff@shop.example", name="田中")
    client = env.new_client()
    response = await client.post("/api/auth/login", json={"email": " Staff@Shop.example ", "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    me = (await client.get("/api/auth/me")).json()
    assert me["user"]["display_name"] == "田中"
    assert me["csrf_token"] == response.json()["csrf_token"]
    async with env.db.session() as s:
        stored = await s.scalar(select(User.password_hash).where(User.email == "staff@shop.example"))
    assert stored is not None and stored.startswith("$argon2id$")


async def test_wrong_password_and_unknown_email_look_the_same(env: Env) -> None:
    await env.user("staff@shop.example")
    client = env.new_client()
    wrong = await client.post("/api/auth/login", json={"email": "staff@shop.example", "password": "nope-nope-nope"})
    unknown = await client.post("/api/auth/login", json={"email": "ghost@shop.example", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_repeated_failures_make_that_client_wait_even_with_the_right_password(env: Env) -> None:
    """Only the failing client waits (see tests/security/test_auth_hardening.py for everyone else)."""
    await env.user("staff@shop.example")
    client = env.new_client()
    for _ in range(env.settings.login_max_failures):
        assert (
            await client.post("/api/auth/login", json={"email": "staff@shop.example", "password": "x" * 12})
        ).status_code == 401
    blocked = await client.post("/api/auth/login", json={"email": "staff@shop.example", "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert blocked.json()["error"] == "too_many_attempts"


async def test_cookie_requests_need_the_csrf_token_for_changes(env: Env) -> None:
    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(owner=owner))
    client = await env.login("owner@shop.example")
    token = client.headers.pop("X-CSRF-Token")
    path = f"/api/workspaces/{workspace.id}"
    assert (await client.patch(path, json={"name": "x"})).json()["error"] == "csrf"
    assert (await client.patch(path, json={"name": "x"}, headers={"X-CSRF-Token": "forged"})).status_code == 403
    assert (await client.get(path)).status_code == 200  # reads need no token
    assert (await client.patch(path, json={"name": "新店舗"}, headers={"X-CSRF-Token": token})).status_code == 200


async def test_api_tokens_work_without_csrf_and_stop_when_revoked(env: Env) -> None:
    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(owner=owner))
    client = await env.login("owner@shop.example")
    created = (await client.post("/api/auth/tokens", json={"name": "集計スクリプト", "expires_in_days": 30})).json()
    secret = created["token"]
    assert secret.startswith("enishi_") and created["info"]["prefix"] == secret[:11]
    assert secret not in str((await client.get("/api/auth/tokens")).json())

    script = env.new_client()
    script.headers["Authorization"] = f"Bearer {secret}"
    assert (await script.patch(f"/api/workspaces/{workspace.id}", json={"name": "API"})).status_code == 200
    assert (await client.get("/api/auth/tokens")).json()[0]["last_used_at"] is not None

    assert (await client.delete(f"/api/auth/tokens/{created['info']['id']}")).status_code == 204
    assert (await script.get("/api/workspaces")).status_code == 401
    bad = env.new_client()
    bad.headers["Authorization"] = "Basic abc"
    assert (await bad.get("/api/workspaces")).status_code == 401


async def test_logout_and_expiry_end_the_session(env: Env) -> None:
    await env.user("staff@shop.example")
    client = await env.login("staff@shop.example")
    assert (await client.post("/api/auth/logout")).status_code == 204
    assert (await client.get("/api/auth/me")).status_code == 401

    again = await env.login("staff@shop.example")
    async with env.db.transaction() as s:
        await s.execute(update(StaffSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await again.get("/api/auth/me")).status_code == 401


async def test_deactivated_users_are_locked_out(env: Env) -> None:
    await env.user("leaver@shop.example")
    client = await env.login("leaver@shop.example")
    async with env.db.transaction() as s:
        await s.execute(update(User).values(is_active=False))
    assert (await client.get("/api/auth/me")).status_code == 401
    assert (
        await env.new_client().post("/api/auth/login", json={"email": "leaver@shop.example", "password": PASSWORD})
    ).status_code == 401
