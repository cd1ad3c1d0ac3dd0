"""Staff join a workspace only by accepting an invitation, and inviting tells nobody who has an account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from enishi.models import AuditEntry, Plan, User, WorkspaceMembership
from tests.conftest import PASSWORD, Env


async def _shop(env: Env) -> tuple[Any, Any]:
    owner = await env.user("owner@shop.example", name="店長")
    workspace = await env.workspace(await env.agency(owner=owner), name="縁カフェ", members={owner: "owner"})
    return workspace, await env.login("owner@shop.example")


def _comparable(response: Any) -> dict[str, Any]:
    body = dict(response.json())
    for key in ("id", "email", "created_at", "expires_at"):
        body.pop(key)
    return {"status_code": response.status_code, **body}


async def test_inviting_answers_the_same_whether_or_not_the_account_exists(env: Env) -> None:
    workspace, owner = await _shop(env)
    await env.user("hanako@elsewhere.example", name="花子 (本名)")
    staff = f"/api/workspaces/{workspace.id}/staff"
    known = await owner.post(staff, json={"email": "hanako@elsewhere.example", "role": "operator"})
    unknown = await owner.post(staff, json={"email": "nobody@elsewhere.example", "role": "operator"})
    assert known.status_code == unknown.status_code == 201
    assert _comparable(known) == _comparable(unknown)
    assert "花子" not in known.text  # the caller is not told the person's name
    # With a password for a new account, also the same: an existing account is never touched.
    body = {"role": "viewer", "display_name": "新人", "password": "a-long-enough-secret-42"}
    known2 = await owner.post(staff, json={"email": "jiro@elsewhere.example", **body})
    await env.user("taro@elsewhere.example")
    existing2 = await owner.post(staff, json={"email": "taro@elsewhere.example", **body})
    assert _comparable(known2) == _comparable(existing2)
    await env.login("taro@elsewhere.example", PASSWORD)  # signs in with their own password, not the inviter's
    # Nobody was attached: the staff list still holds only the owner; the invitations are pending.
    assert [s["email"] for s in (await owner.get(staff)).json()] == ["owner@shop.example"]
    pending = (await owner.get(f"{staff}/invitations")).json()
    assert [(i["email"], i["status"]) for i in pending] == [
        ("hanako@elsewhere.example", "pending"),
        ("nobody@elsewhere.example", "pending"),
        ("jiro@elsewhere.example", "pending"),
        ("taro@elsewhere.example", "pending"),
    ]


async def test_the_invited_person_accepts_after_signing_in(env: Env) -> None:
    workspace, owner = await _shop(env)
    await env.user("hanako@elsewhere.example", name="花子")
    staff = f"/api/workspaces/{workspace.id}/staff"
    invited = (await owner.post(staff, json={"email": "Hanako@Elsewhere.example", "role": "operator"})).json()
    hanako = await env.login("hanako@elsewhere.example")
    assert (await hanako.get(f"/api/workspaces/{workspace.id}")).status_code == 404  # not staff before saying yes
    mine = (await hanako.get("/api/auth/invitations")).json()
    assert [(i["id"], i["workspace_name"], i["role"], i["invited_by"]) for i in mine] == [
        (invited["id"], "縁カフェ", "operator", "店長")
    ]
    # Nobody else can answer it.
    await env.user("mallory@elsewhere.example")
    mallory = await env.login("mallory@elsewhere.example")
    assert (await mallory.get("/api/auth/invitations")).json() == []
    assert (await mallory.post(f"/api/auth/invitations/{invited['id']}/accept")).status_code == 404

    accepted = await hanako.post(f"/api/auth/invitations/{invited['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert (await hanako.get(f"/api/workspaces/{workspace.id}")).json()["role"] == "operator"
    assert {s["email"]: s["role"] for s in (await owner.get(staff)).json()}["hanako@elsewhere.example"] == "operator"
    assert (await owner.get(f"{staff}/invitations")).json() == []
    assert (await hanako.post(f"/api/auth/invitations/{invited['id']}/accept")).status_code == 404  # once only
    again = await owner.post(staff, json={"email": "hanako@elsewhere.example", "role": "viewer"})
    assert again.status_code == 409 and again.json()["errors"][0]["path"] == "$.email"

    async with env.db.session() as s:
        entries = {
            e.action: e for e in await s.scalars(select(AuditEntry).where(AuditEntry.workspace_id == workspace.id))
        }
    assert entries["core.invite_staff"].details["email"] == "hanako@elsewhere.example"
    assert entries["core.invitation_accepted"].details["invitation_id"] == invited["id"]


async def test_a_declined_or_revoked_invitation_attaches_nobody(env: Env) -> None:
    workspace, owner = await _shop(env)
    await env.user("hanako@elsewhere.example")
    await env.user("jiro@elsewhere.example")
    staff = f"/api/workspaces/{workspace.id}/staff"
    first = (await owner.post(staff, json={"email": "hanako@elsewhere.example", "role": "admin"})).json()
    second = (await owner.post(staff, json={"email": "jiro@elsewhere.example", "role": "viewer"})).json()
    twice = await owner.post(staff, json={"email": "hanako@elsewhere.example", "role": "admin"})
    assert twice.status_code == 409 and twice.json()["error"] == "already_invited"

    hanako = await env.login("hanako@elsewhere.example")
    declined = await hanako.post(f"/api/auth/invitations/{first['id']}/decline")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert (await hanako.post(f"/api/auth/invitations/{first['id']}/accept")).status_code == 404

    assert (await owner.delete(f"{staff}/invitations/{second['id']}")).status_code == 204
    jiro = await env.login("jiro@elsewhere.example")
    assert (await jiro.get("/api/auth/invitations")).json() == []
    assert (await jiro.post(f"/api/auth/invitations/{second['id']}/accept")).status_code == 404
    async with env.db.session() as s:
        members = list(await s.scalars(select(WorkspaceMembership.user_id)))
        actions = set(await s.scalars(select(AuditEntry.action).where(AuditEntry.workspace_id == workspace.id)))
    assert len(members) == 1
    assert {"core.invitation_declined", "core.revoke_invitation"} <= actions


async def test_a_new_account_made_by_the_inviter_is_pending_too(env: Env) -> None:
    workspace, owner = await _shop(env)
    staff = f"/api/workspaces/{workspace.id}/staff"
    body = {"email": "new@shop.example", "role": "operator", "display_name": "新人", "password": "a-long-enough-42"}
    invited = await owner.post(staff, json=body)
    assert invited.status_code == 201
    newcomer = env.new_client()
    response = await newcomer.post("/api/auth/login", json={"email": "new@shop.example", "password": body["password"]})
    assert response.status_code == 200 and response.json()["memberships"] == []
    newcomer.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    [mine] = (await newcomer.get("/api/auth/invitations")).json()
    assert (await newcomer.post(f"/api/auth/invitations/{mine['id']}/accept")).status_code == 200
    assert [m["role"] for m in (await newcomer.get("/api/auth/me")).json()["memberships"]] == ["operator"]


async def test_password_rules_are_checked_for_every_email_alike(env: Env) -> None:
    workspace, owner = await _shop(env)
    await env.user("known@elsewhere.example")
    staff = f"/api/workspaces/{workspace.id}/staff"
    for email in ("known@elsewhere.example", "unknown@elsewhere.example"):
        short = await owner.post(
            staff, json={"email": email, "role": "viewer", "display_name": "x", "password": "short"}
        )
        assert short.status_code == 422 and short.json()["errors"][0]["path"] == "$.password"
        nameless = await owner.post(staff, json={"email": email, "role": "viewer", "password": "a-long-enough-42"})
        assert nameless.status_code == 422 and nameless.json()["errors"][0]["path"] == "$.display_name"
    async with env.db.session() as s:
        assert await s.scalar(select(User.id).where(User.email == "unknown@elsewhere.example")) is None


async def test_only_staff_managers_invite_and_no_one_above_their_role(env: Env) -> None:
    owner = await env.user("owner@shop.example")
    admin = await env.user("admin@shop.example")
    viewer = await env.user("viewer@shop.example")
    workspace = await env.workspace(await env.agency(), members={owner: "owner", admin: "admin", viewer: "viewer"})
    staff = f"/api/workspaces/{workspace.id}/staff"
    as_viewer = await env.login("viewer@shop.example")
    assert (await as_viewer.post(staff, json={"email": "x@x.example", "role": "viewer"})).status_code == 403
    as_admin = await env.login("admin@shop.example")
    assert (await as_admin.post(staff, json={"email": "x@x.example", "role": "owner"})).status_code == 403
    assert (await as_admin.post(staff, json={"email": "x@x.example", "role": "operator"})).status_code == 201
    await env.user("x@x.example")
    invited = await env.login("x@x.example")
    [mine] = (await invited.get("/api/auth/invitations")).json()
    assert (await invited.post(f"/api/auth/invitations/{mine['id']}/accept")).json()["role"] == "operator"


async def test_accepting_into_a_full_plan_is_refused(env: Env) -> None:
    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(), plan="start", members={owner: "owner"})
    async with env.db.session() as s:
        assert await s.scalar(select(Plan.staff_seats).where(Plan.key == "start")) == 2
    client = await env.login("owner@shop.example")
    staff = f"/api/workspaces/{workspace.id}/staff"
    emails = ["s1@shop.example", "s2@shop.example"]
    for email in emails:  # one seat is free: both may be invited, only one can take it
        await env.user(email)
        assert (await client.post(staff, json={"email": email, "role": "viewer"})).status_code == 201
    answers = []
    for email in emails:
        person = await env.login(email)
        [mine] = (await person.get("/api/auth/invitations")).json()
        answers.append((await person.post(f"/api/auth/invitations/{mine['id']}/accept")).status_code)
    assert answers == [200, 403]
    full = await client.post(staff, json={"email": "s3@shop.example", "role": "viewer"})
    assert full.status_code == 403 and full.json()["error"] == "seat_limit"
