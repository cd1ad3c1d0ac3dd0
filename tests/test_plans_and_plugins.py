"""Plans gate plugins and staff seats; workspaces switch plugins on and off; roles grant permissions."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from enishi.models import Plan, User
from enishi.tenancy.workspaces import SeatLimitReached, add_member
from tests.conftest import PASSWORD, Env


async def _plan_id(env: Env, key: str) -> int:
    async with env.db.session() as s:
        return int(await s.scalar(select(Plan.id).where(Plan.key == key)) or 0)


async def test_a_plugin_the_plan_does_not_allow_answers_403_naming_the_plan(env: Env) -> None:
    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(owner=owner), plan="start")
    client = await env.login("owner@shop.example")
    base = f"/api/workspaces/{workspace.id}"
    plugins = {p["name"]: p for p in (await client.get(f"{base}/plugins")).json()}
    assert plugins["probe"]["allowed_by_plan"] is False and "スタート" in plugins["probe"]["reason"]
    response = await client.put(f"{base}/plugins/probe", json={"enabled": True})
    assert response.status_code == 403
    assert "スタート" in response.json()["message"] and "Start" in response.json()["message"]
    assert (await client.get(f"{base}/probe/hello")).status_code == 404
    assert all(n["plugin"] != "probe" for n in (await client.get(f"{base}/catalog")).json()["node_types"])


async def test_enabling_disabling_and_settings_of_a_plugin(env: Env) -> None:
    import enishi_probe

    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(owner=owner), plan="pro")
    assert ("enabled", workspace.id, None) in enishi_probe.CALLS  # seeded when the workspace was created
    client = await env.login("owner@shop.example")
    base = f"/api/workspaces/{workspace.id}"
    assert (await client.get(f"{base}/probe/hello")).json() == {"workspace_id": workspace.id, "greeting": "こんにちは"}
    catalog = (await client.get(f"{base}/catalog")).json()
    assert {"probe.renamed", "probe.rename", "probe.name_is"} <= {n["key"] for n in catalog["node_types"]}
    # Conditions say whether a segment may use them (the segment builder offers only those); other kinds don't.
    usable = {n["key"]: n["usable_in_segments"] for n in catalog["node_types"] if n["plugin"] == "probe"}
    assert usable["probe.name_is"] is True and usable["probe.rename"] is None
    assert "probe.by_status" in {r["key"] for r in catalog["reports"]}

    bad = await client.put(f"{base}/plugins/probe", json={"enabled": True, "settings": {"greeting": 5, "x": 1}})
    assert bad.status_code == 422
    assert {e["path"] for e in bad.json()["errors"]} == {"$.settings.x", "$.settings.greeting"}
    ok = await client.put(f"{base}/plugins/probe", json={"enabled": True, "settings": {"greeting": "やあ"}})
    assert ok.status_code == 200
    assert (await client.get(f"{base}/probe/hello")).json()["greeting"] == "やあ"

    assert (await client.put(f"{base}/plugins/probe", json={"enabled": False})).status_code == 200
    assert (await client.get(f"{base}/probe/hello")).status_code == 404
    assert (await client.post(f"{base}/probe/echo", json={})).status_code == 404
    assert all(n["plugin"] != "probe" for n in (await client.get(f"{base}/catalog")).json()["node_types"])
    assert "probe.use" not in (await client.get(base)).json()["permissions"]
    # Turning it back on keeps the settings it had.
    await client.put(f"{base}/plugins/probe", json={"enabled": True})
    assert (await client.get(f"{base}/probe/hello")).json()["greeting"] == "やあ"
    assert (await client.put(f"{base}/plugins/nonexistent", json={"enabled": True})).status_code == 404


async def test_a_downgrade_disables_the_plugin_and_keeps_its_data(env: Env) -> None:
    await env.user("root@platform.example", admin=True)
    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(owner=owner), plan="pro")
    root = await env.login("root@platform.example")
    base = f"/api/workspaces/{workspace.id}"
    await root.put(f"{base}/plugins/probe", json={"enabled": True, "settings": {"greeting": "残る"}})

    client = await env.login("owner@shop.example")
    assert (await client.put(f"{base}/plan", json={"plan_id": await _plan_id(env, "start")})).status_code == 403
    response = await root.put(f"{base}/plan", json={"plan_id": await _plan_id(env, "start")})
    assert response.status_code == 200 and "probe" in response.json()["disabled_plugins"]
    assert (await client.get(f"{base}/probe/hello")).status_code == 404

    await root.put(f"{base}/plan", json={"plan_id": await _plan_id(env, "pro")})
    assert (await client.get(f"{base}/probe/hello")).status_code == 404  # an upgrade does not switch it on by itself
    await client.put(f"{base}/plugins/probe", json={"enabled": True})
    assert (await client.get(f"{base}/probe/hello")).json()["greeting"] == "残る"


async def test_a_plan_listing_plugins_explicitly_overrides_tiers(env: Env) -> None:
    await env.user("root@platform.example", admin=True)
    root = await env.login("root@platform.example")
    bad = await root.post(
        "/api/plans", json={"key": "x", "name_ja": "X", "name_en": "X", "tier": "gold", "allowed_plugins": ["nope"]}
    )
    assert bad.status_code == 422
    assert {e["path"] for e in bad.json()["errors"]} == {"$.tier", "$.allowed_plugins[0]"}
    plan = (
        await root.post(
            "/api/plans",
            json={"key": "probe-only", "name_ja": "特別", "name_en": "Special", "allowed_plugins": ["probe"]},
        )
    ).json()
    assert (
        await root.post("/api/plans", json={"key": "probe-only", "name_ja": "A", "name_en": "A"})
    ).status_code == 409
    workspace = await env.workspace(await env.agency(), plan="start")
    await root.put(f"/api/workspaces/{workspace.id}/plan", json={"plan_id": plan["id"]})
    assert (await root.put(f"/api/workspaces/{workspace.id}/plugins/probe", json={"enabled": True})).status_code == 200
    # Narrowing the plan later turns it off in every workspace on the plan.
    assert (await root.patch(f"/api/plans/{plan['id']}", json={"allowed_plugins": []})).status_code == 200
    assert (await root.get(f"/api/workspaces/{workspace.id}/probe/hello")).status_code == 404
    owner_client = env.new_client()
    assert (await owner_client.post("/api/plans", json={"key": "y", "name_ja": "Y", "name_en": "Y"})).status_code == 401


async def test_staff_seats_are_enforced_even_under_concurrent_invitations(env: Env) -> None:
    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(), plan="start", members={owner: "owner"})  # 2 seats
    users = [await env.user(f"s{i}@shop.example") for i in range(4)]

    async def invite(user: User) -> bool:
        try:
            async with env.db.transaction() as s:
                await add_member(s, workspace, user, "operator")
            return True
        except SeatLimitReached:
            return False
        except Exception:  # SQLite refuses a concurrent writer rather than letting it exceed the limit
            return False

    results = await asyncio.gather(*(invite(u) for u in users))
    assert sum(results) == 1
    client = await env.login("owner@shop.example")
    assert len((await client.get(f"/api/workspaces/{workspace.id}/staff")).json()) == 2
    response = await client.post(
        f"/api/workspaces/{workspace.id}/staff",
        json={"email": "new@shop.example", "role": "operator", "display_name": "新人", "password": PASSWORD},
    )
    assert response.status_code == 403 and response.json()["error"] == "seat_limit"


async def test_roles_permissions_and_owner_protection(env: Env) -> None:
    owner, admin, viewer = (
        await env.user("o@shop.example"),
        await env.user("a@shop.example"),
        await env.user("v@shop.example"),
    )
    workspace = await env.workspace(await env.agency(), members={owner: "owner", admin: "admin", viewer: "viewer"})
    base = f"/api/workspaces/{workspace.id}"
    viewer_client, admin_client, owner_client = (
        await env.login("v@shop.example"),
        await env.login("a@shop.example"),
        await env.login("o@shop.example"),
    )
    assert (await viewer_client.get(f"{base}/staff")).status_code == 200
    denied = await viewer_client.patch(base, json={"name": "x"})
    assert denied.status_code == 403 and "core.manage_workspace" in denied.json()["message"]
    assert (await viewer_client.post(f"{base}/probe/echo", json={})).status_code == 403
    assert (await admin_client.post(f"{base}/probe/echo", json={"ok": 1})).json() == {"ok": 1}

    staff = {s["email"]: s["id"] for s in (await owner_client.get(f"{base}/staff")).json()}
    assert (
        await admin_client.patch(f"{base}/staff/{staff['o@shop.example']}", json={"role": "viewer"})
    ).status_code == 403
    assert (
        await admin_client.patch(f"{base}/staff/{staff['v@shop.example']}", json={"role": "owner"})
    ).status_code == 403
    last_owner = await owner_client.patch(f"{base}/staff/{staff['o@shop.example']}", json={"role": "admin"})
    assert last_owner.status_code == 409 and last_owner.json()["error"] == "last_owner"

    # The owner lets viewers use the probe; the grant shows in the permission table.
    grant = await owner_client.put(
        f"{base}/permissions", json={"role": "viewer", "permission": "probe.use", "granted": True}
    )
    assert grant.status_code == 200
    assert "viewer" in next(p["roles"] for p in grant.json() if p["key"] == "probe.use")
    assert (await viewer_client.post(f"{base}/probe/echo", json={"ok": 2})).json() == {"ok": 2}
    assert (
        await admin_client.put(
            f"{base}/permissions", json={"role": "viewer", "permission": "core.write", "granted": True}
        )
    ).status_code == 403
    unknown = await owner_client.put(
        f"{base}/permissions", json={"role": "viewer", "permission": "nope.x", "granted": True}
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["path"] == "$.permission"
