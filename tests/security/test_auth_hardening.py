"""Staff sign-in against an attacker: login CSRF, lock-outs of someone else, password changes and resets,
deactivation, and two-factor sign-in with one-time codes."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update

from enishi.auth import totp
from enishi.auth.passwords import verify_password
from enishi.cli import main
from enishi.db.base import utcnow
from enishi.models import AuditEntry, LoginAttempt, User
from tests.conftest import PASSWORD, Env

EMAIL = "admin@shop.example"
NEW_PASSWORD = "a brand new secret 42"
MOMENT = 1_800_000_000.0  # a fixed moment for one-time codes: the tests never read the wall clock


def client_at(env: Env, address: str) -> httpx.AsyncClient:
    """A client coming from its own network address."""
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=env.app, client=(address, 40000)),  # type: ignore[arg-type]
        base_url="http://testserver.local",
    )
    env.clients.append(client)
    return client


async def login(client: httpx.AsyncClient, password: str = PASSWORD, **extra: Any) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": EMAIL, "password": password, **extra})


async def signed_in(client: httpx.AsyncClient, password: str = PASSWORD, **extra: Any) -> httpx.AsyncClient:
    response = await login(client, password, **extra)
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


async def age_attempts(env: Env, seconds: int) -> None:
    """Move every recorded login attempt into the past, as if that much time had gone by."""
    async with env.db.transaction() as s:
        for attempt in await s.scalars(select(LoginAttempt)):
            attempt.at = attempt.at - timedelta(seconds=seconds)


# -- login CSRF -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_login_refuses_a_body_that_is_not_declared_json(env: Env, content_type: str | None) -> None:
    await env.user(EMAIL)
    client = env.new_client()
    body = f'{{"email": "{EMAIL}", "password": "{PASSWORD}"}}'
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post("/api/auth/login", content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["error"] == "unsupported_media_type"
    assert "set-cookie" not in response.headers
    assert (await client.get("/api/auth/me")).status_code == 401
    sent = await client.post("/api/auth/login", content=body, headers={"content-type": "application/json"})
    assert sent.status_code == 200


# -- throttling -----------------------------------------------------------------------------------------------


async def test_an_attacker_failing_cannot_lock_the_owner_out(env: Env) -> None:
    await env.user(EMAIL)
    attacker, owner = client_at(env, "203.0.113.9"), client_at(env, "198.51.100.7")
    for _ in range(env.settings.login_max_failures * 3):
        assert (await login(attacker, "guess-guess-guess")).status_code in (401, 429)
    assert (await login(attacker, "guess-guess-guess")).status_code == 429
    assert (await login(attacker)).status_code == 429  # the failing client waits, right password or not
    assert (await login(owner)).status_code == 200  # the owner, from elsewhere, is not locked out


async def test_failures_make_the_failing_client_wait_longer_each_time(env: Env) -> None:
    await env.user(EMAIL)
    client = client_at(env, "203.0.113.9")
    for _ in range(env.settings.login_max_failures):
        assert (await login(client, "guess-guess-guess")).status_code == 401
    first = await login(client, "guess-guess-guess")
    assert first.status_code == 429 and first.json()["error"] == "too_many_attempts"
    first_wait = int(first.headers["retry-after"])
    assert first_wait > 0

    await age_attempts(env, first_wait)  # waited as told: one more try is allowed
    assert (await login(client, "guess-guess-guess")).status_code == 401
    second = await login(client, "guess-guess-guess")
    assert second.status_code == 429
    assert int(second.headers["retry-after"]) > first_wait

    await age_attempts(env, env.settings.login_window_seconds + 1)  # the window has passed: all forgotten
    assert (await login(client)).status_code == 200


async def test_one_client_spraying_many_accounts_is_throttled(env: Env) -> None:
    spray = env.settings.login_max_failures * 4
    emails = [f"staff{i}@shop.example" for i in range(spray + 1)]
    for email in emails:
        await env.user(email)
    client = client_at(env, "203.0.113.9")
    for email in emails[:spray]:  # never more than a few tries per account: the per-account limit does not bite
        response = await client.post("/api/auth/login", json={"email": email, "password": "guess-guess-guess"})
        assert response.status_code == 401
    last = await client.post("/api/auth/login", json={"email": emails[-1], "password": PASSWORD})
    assert last.status_code == 429 and int(last.headers["retry-after"]) > 0
    other = await client_at(env, "198.51.100.7").post(
        "/api/auth/login", json={"email": emails[-1], "password": PASSWORD}
    )
    assert other.status_code == 200


# -- passwords and deactivation -------------------------------------------------------------------------------


async def test_changing_my_password_needs_the_current_one_and_ends_my_other_sessions(env: Env) -> None:
    await env.user(EMAIL)
    laptop, phone = await signed_in(client_at(env, "10.0.0.1")), await signed_in(client_at(env, "10.0.0.2"))
    wrong = await laptop.post("/api/auth/password", json={"current_password": "nope", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["path"] == "$.current_password"
    short = await laptop.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422 and short.json()["errors"][0]["path"] == "$.new_password"
    changed = await laptop.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 204
    assert (await laptop.get("/api/auth/me")).status_code == 200  # the session that changed it goes on
    assert (await phone.get("/api/auth/me")).status_code == 401  # the others end
    fresh = client_at(env, "10.0.0.3")
    assert (await login(fresh)).status_code == 401
    assert (await login(fresh, NEW_PASSWORD)).status_code == 200
    async with env.db.session() as s:
        actions = list(await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        stored = await s.scalar(select(AuditEntry.details).where(AuditEntry.action == "core.password_changed"))
    assert "core.password_changed" in actions
    assert NEW_PASSWORD not in str(stored)


async def test_guessing_the_current_password_is_throttled_like_a_login(env: Env) -> None:
    await env.user(EMAIL)
    thief = await signed_in(client_at(env, "203.0.113.9"))  # a session left open on a shared computer
    for _ in range(env.settings.login_max_failures):
        response = await thief.post(
            "/api/auth/password", json={"current_password": "guess-guess-guess", "new_password": NEW_PASSWORD}
        )
        assert response.status_code == 422
    blocked = await thief.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0


async def test_an_admin_resets_a_password_and_deactivates_a_user(env: Env) -> None:
    await env.user("root@platform.example", admin=True)
    staff = await env.user(EMAIL)
    root = await env.login("root@platform.example")
    session = await signed_in(client_at(env, "10.0.0.2"))
    token = (await session.post("/api/auth/tokens", json={"name": "script"})).json()["token"]
    script = env.new_client()
    script.headers["Authorization"] = f"Bearer {token}"
    assert (await script.get("/api/auth/me")).status_code == 200

    # Staff cannot use the admin routes.
    assert (await session.post(f"/api/users/{staff.id}/deactivate")).status_code == 403

    reset = await root.post(f"/api/users/{staff.id}/password", json={"new_password": NEW_PASSWORD})
    assert reset.status_code == 204
    assert (await session.get("/api/auth/me")).status_code == 401  # signed out everywhere
    assert (await login(client_at(env, "10.0.0.3"))).status_code == 401
    session = await signed_in(client_at(env, "10.0.0.3"), NEW_PASSWORD)

    off = await root.post(f"/api/users/{staff.id}/deactivate")
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert (await session.get("/api/auth/me")).status_code == 401
    assert (await script.get("/api/auth/me")).status_code == 401
    assert (await login(client_at(env, "10.0.0.4"), NEW_PASSWORD)).status_code == 401
    accounts = {a["email"]: a for a in (await root.get("/api/users")).json()}
    assert accounts[EMAIL]["is_active"] is False

    assert (await root.post(f"/api/users/{staff.id}/activate")).status_code == 200
    assert (await login(client_at(env, "10.0.0.4"), NEW_PASSWORD)).status_code == 200

    me = (await root.get("/api/auth/me")).json()["user"]["id"]
    own = await root.post(f"/api/users/{me}/deactivate")
    assert own.status_code == 409 and own.json()["error"] == "own_account"
    assert (await root.post("/api/users/424242/deactivate")).status_code == 404
    async with env.db.session() as s:
        actions = set(await s.scalars(select(AuditEntry.action)))
    assert {"core.password_reset", "core.user_deactivated", "core.user_activated"} <= actions


# -- two-factor sign-in ---------------------------------------------------------------------------------------


def code(secret: str, steps_later: int = 0) -> str:
    return pyotp.TOTP(secret).at(MOMENT + 30 * steps_later)


async def test_two_factor_sign_in_enrol_use_and_disable(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(totp, "clock", lambda: MOMENT)
    await env.user(EMAIL)
    me = await signed_in(client_at(env, "10.0.0.1"))
    started = await me.post("/api/auth/two-factor")
    assert started.status_code == 201
    secret = started.json()["secret"]
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/")
    assert secret in started.json()["otpauth_uri"]

    # Not on until a code confirms the app has the secret: sign-in still needs the password only.
    assert (await login(client_at(env, "10.0.0.2"))).status_code == 200
    wrong = await me.post("/api/auth/two-factor/confirm", json={"code": "000000"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["path"] == "$.code"
    assert (await me.post("/api/auth/two-factor/confirm", json={"code": code(secret)})).status_code == 204
    assert (await me.get("/api/auth/me")).json()["user"]["two_factor_enabled"] is True

    # The password alone no longer signs in: the code is asked for, and a wrong one is refused.
    other = client_at(env, "10.0.0.3")
    asked = await login(other)
    assert asked.status_code == 401 and asked.json()["error"] == "two_factor_required"
    assert asked.json()["errors"][0]["path"] == "$.totp_code"
    assert "set-cookie" not in asked.headers
    bad = await login(other, totp_code="123456")
    assert bad.status_code == 401 and bad.json()["error"] == "bad_two_factor_code"
    # The code of a wrong password reveals nothing about the second factor.
    assert (await login(other, "guess-guess-guess", totp_code=code(secret, 1))).json()["error"] == "bad_credentials"
    assert (await login(other, totp_code=code(secret, 1))).status_code == 200
    # A code works once: one overheard cannot be replayed.
    replay = await login(client_at(env, "10.0.0.4"), totp_code=code(secret, 1))
    assert replay.status_code == 401 and replay.json()["error"] == "bad_two_factor_code"
    assert (await me.post("/api/auth/two-factor")).status_code == 409  # on already

    # Turning it off needs a fresh code.
    assert (await me.post("/api/auth/two-factor/disable", json={"code": code(secret, 1)})).status_code == 422
    monkeypatch.setattr(totp, "clock", lambda: MOMENT + 60)
    assert (await me.post("/api/auth/two-factor/disable", json={"code": code(secret, 2)})).status_code == 204
    assert (await login(client_at(env, "10.0.0.5"))).status_code == 200


async def test_guessing_one_time_codes_is_throttled(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(totp, "clock", lambda: MOMENT)
    await env.user(EMAIL)
    me = await signed_in(client_at(env, "10.0.0.1"))
    secret = (await me.post("/api/auth/two-factor")).json()["secret"]
    assert (await me.post("/api/auth/two-factor/confirm", json={"code": code(secret)})).status_code == 204
    thief = client_at(env, "203.0.113.9")  # knows the password, not the code
    for guess in range(env.settings.login_max_failures):
        assert (await login(thief, totp_code=f"{guess:06d}")).status_code == 401
    assert (await login(thief, totp_code=code(secret, 1))).status_code == 429


async def test_an_admin_reset_can_end_a_lost_authenticator(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(totp, "clock", lambda: MOMENT)
    await env.user("root@platform.example", admin=True)
    staff = await env.user(EMAIL)
    me = await signed_in(client_at(env, "10.0.0.1"))
    secret = (await me.post("/api/auth/two-factor")).json()["secret"]
    assert (await me.post("/api/auth/two-factor/confirm", json={"code": code(secret)})).status_code == 204
    root = await env.login("root@platform.example")
    body = {"new_password": NEW_PASSWORD, "reset_two_factor": True}
    assert (await root.post(f"/api/users/{staff.id}/password", json=body)).status_code == 204
    assert (await login(client_at(env, "10.0.0.2"), NEW_PASSWORD)).status_code == 200


async def test_expired_failures_are_not_counted(env: Env) -> None:
    await env.user(EMAIL)
    client = client_at(env, "203.0.113.9")
    async with env.db.transaction() as s:
        old = utcnow() - timedelta(seconds=env.settings.login_window_seconds + 5)
        for _ in range(env.settings.login_max_failures * 5):
            s.add(LoginAttempt(email=EMAIL, ip="203.0.113.9", succeeded=False, at=old))
    assert (await login(client)).status_code == 200
    async with env.db.session() as s:
        assert (await s.scalar(select(User.last_login_at).where(User.email == EMAIL))) is not None
    async with env.db.transaction() as s:
        await s.execute(update(User).values(last_login_at=None))


# -- the command line -----------------------------------------------------------------------------------------


def test_users_commands_set_a_password_deactivate_and_activate(tmp_path: Path) -> None:
    runner = CliRunner()

    def run(*args: str) -> Result:
        env = {"ENISHI_DATA_DIR": str(tmp_path), "ENISHI_LOG_LEVEL": "WARNING"}
        return runner.invoke(main, list(args), env=env)

    def account() -> tuple[str, bool, bytes | None]:
        with closing(sqlite3.connect(tmp_path / "enishi.db")) as db:
            hashed, active, secret = db.execute(
                "SELECT password_hash, is_active, totp_secret FROM users WHERE email = ?", (EMAIL,)
            ).fetchone()
        return hashed, bool(active), secret

    assert run("db", "upgrade").exit_code == 0
    made = run("users", "create", "--email", EMAIL, "--name", "管理者", "--password", PASSWORD)
    assert made.exit_code == 0, made.output
    short = run("users", "set-password", "--email", EMAIL, "--password", "short")
    assert short.exit_code != 0 and "--password" in short.output
    unknown = run("users", "deactivate", "--email", "ghost@shop.example")
    assert unknown.exit_code != 0 and "--email: no user ghost@shop.example" in unknown.output

    changed = run("users", "set-password", "--email", EMAIL.upper(), "--password", NEW_PASSWORD, "--reset-two-factor")
    assert changed.exit_code == 0, changed.output
    hashed, active, secret = account()
    assert verify_password(hashed, NEW_PASSWORD) and not verify_password(hashed, PASSWORD)
    assert active and secret is None
    assert run("users", "deactivate", "--email", EMAIL).exit_code == 0
    assert account()[1] is False
    assert run("users", "activate", "--email", EMAIL).exit_code == 0
    assert account()[1] is True
