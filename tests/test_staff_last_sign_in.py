"""The staff list says when each member last signed in (recorded at sign-in; never, for one who has not)."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from tests.conftest import Env

MORNING = datetime(2026, 6, 1, 0, 30, tzinfo=UTC)


async def test_staff_list_shows_the_last_sign_in(env: Env) -> None:
    owner = await env.user("owner@last.example", name="店長")
    hanako = await env.user("hanako@last.example", name="花子")
    agency = await env.agency(owner=owner)
    workspace = await env.workspace(agency, "縁カフェ", members={owner: "owner", hanako: "operator"})
    staff_url = f"/api/workspaces/{workspace.id}/staff"

    client = await env.login("owner@last.example")
    listed = {s["email"]: s for s in (await client.get(staff_url)).json()}
    assert listed["hanako@last.example"]["last_login_at"] is None  # never signed in
    assert listed["owner@last.example"]["last_login_at"] is not None

    with time_machine.travel(MORNING, tick=False):
        await env.login("hanako@last.example")
    listed = {s["email"]: s for s in (await client.get(staff_url)).json()}
    assert datetime.fromisoformat(listed["hanako@last.example"]["last_login_at"]) == MORNING
    # A failed sign-in changes nothing.
    failed = await env.new_client().post(
        "/api/auth/login", json={"email": "hanako@last.example", "password": "wrong password!"}
    )
    assert failed.status_code in (400, 401)
    listed = {s["email"]: s for s in (await client.get(staff_url)).json()}
    assert datetime.fromisoformat(listed["hanako@last.example"]["last_login_at"]) == MORNING
