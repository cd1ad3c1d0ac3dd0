"""A staff member of workspace A gets 404 for every kind of record of workspace B."""

from __future__ import annotations

from enishi.models import Friend
from tests.conftest import Env


async def _friend(env: Env, workspace_id: int, line_user_id: str) -> int:
    async with env.db.transaction(workspace_id) as s:
        friend = Friend(line_user_id=line_user_id, display_name="友だち")
        s.add(friend)
        await s.flush()
        return friend.id


async def test_staff_of_a_gets_404_for_every_record_of_b(env: Env) -> None:
    alice, bob = await env.user("alice@a.example"), await env.user("bob@b.example")
    agency = await env.agency()
    ws_a = await env.workspace(agency, "A", members={alice: "owner"})
    ws_b = await env.workspace(agency, "B", members={bob: "owner"})
    friend_b = await _friend(env, ws_b.id, "U" + "b" * 32)
    bob_client = await env.login("bob@b.example")
    staff_b = (await bob_client.get(f"/api/workspaces/{ws_b.id}/staff")).json()[0]["id"]
    assert (await bob_client.patch(f"/api/workspaces/{ws_b.id}", json={"name": "B2"})).status_code == 200
    alice_client = await env.login("alice@a.example")

    b = f"/api/workspaces/{ws_b.id}"
    reads = [
        "",
        "/staff",
        "/plugins",
        "/catalog",
        "/permissions",
        "/audit",
        "/friends",
        f"/friends/{friend_b}",
        "/probe/hello",
    ]
    for path in reads:
        response = await alice_client.get(b + path)
        assert response.status_code == 404, (path, response.text)
        assert "B" not in response.json()["message"]
    writes = [
        ("PATCH", "", {"name": "hijacked"}),
        ("POST", "/staff", {"email": "x@x.example", "role": "owner", "display_name": "x", "password": "longpassword"}),
        ("PATCH", f"/staff/{staff_b}", {"role": "viewer"}),
        ("DELETE", f"/staff/{staff_b}", None),
        ("PUT", "/plugins/probe", {"enabled": False}),
        ("PUT", "/permissions", {"role": "viewer", "permission": "core.write", "granted": True}),
        ("POST", "/probe/echo", {"a": 1}),
    ]
    for method, path, body in writes:
        response = await alice_client.request(method, b + path, json=body)
        assert response.status_code == 404, (method, path, response.text)

    # Nothing of B changed, and B's own staff still sees everything.
    shown = (await bob_client.get(b)).json()
    assert shown["workspace"]["name"] == "B2"
    assert [s["role"] for s in (await bob_client.get(b + "/staff")).json()] == ["owner"]
    assert (await bob_client.get(f"{b}/friends/{friend_b}")).status_code == 200

    # Records of B are not found through A's routes either (ids are global, the scope is not).
    a = f"/api/workspaces/{ws_a.id}"
    assert (await alice_client.get(f"{a}/friends/{friend_b}")).status_code == 404
    assert (await alice_client.patch(f"{a}/staff/{staff_b}", json={"role": "viewer"})).status_code == 404
    assert (await alice_client.delete(f"{a}/staff/{staff_b}")).status_code == 404
    assert [f["id"] for f in (await alice_client.get(f"{a}/friends")).json()["items"]] == []
    audit_a = (await alice_client.get(f"{a}/audit")).json()["items"]
    assert all(e["workspace_id"] == ws_a.id for e in audit_a)
    assert [w["id"] for w in (await alice_client.get("/api/workspaces")).json()] == [ws_a.id]


async def test_agency_staff_see_all_agency_workspaces_and_workspace_staff_only_theirs(env: Env) -> None:
    boss, clerk, outsider = (
        await env.user("boss@x.example"),
        await env.user("clerk@x.example"),
        await env.user("o@y.example"),
    )
    agency = await env.agency("代理店X", owner=boss, role="admin")
    other_agency = await env.agency("代理店Y", owner=outsider)
    one = await env.workspace(agency, "店舗1", members={clerk: "operator"})
    two = await env.workspace(agency, "店舗2")
    foreign = await env.workspace(other_agency, "他社")

    boss_client = await env.login("boss@x.example")
    assert [w["id"] for w in (await boss_client.get("/api/workspaces")).json()] == [one.id, two.id]
    assert (await boss_client.get(f"/api/workspaces/{two.id}")).json()["role"] == "admin"
    assert (await boss_client.get(f"/api/workspaces/{foreign.id}")).status_code == 404

    clerk_client = await env.login("clerk@x.example")
    assert [w["id"] for w in (await clerk_client.get("/api/workspaces")).json()] == [one.id]
    assert (await clerk_client.get(f"/api/workspaces/{two.id}")).status_code == 404
    assert (await clerk_client.get("/api/agencies")).json() == []
    assert [a["name"] for a in (await boss_client.get("/api/agencies")).json()] == ["代理店X"]


async def test_platform_admin_sees_every_workspace(env: Env) -> None:
    await env.user("root@platform.example", admin=True)
    one = await env.workspace(await env.agency("A"))
    two = await env.workspace(await env.agency("B"))
    client = await env.login("root@platform.example")
    assert [w["id"] for w in (await client.get("/api/workspaces")).json()] == [one.id, two.id]


async def test_channel_secrets_are_encrypted_at_rest(env: Env) -> None:
    from sqlalchemy import text

    from enishi.crypto import SecretBox

    secret, token = "0123456789abcdef" * 2, "token-" + "z" * 40
    owner = await env.user("owner@shop.example")
    agency = await env.agency(owner=owner)
    client = await env.login("owner@shop.example")
    created = await client.post(
        f"/api/agencies/{agency.id}/workspaces",
        json={"name": "店", "channel_id": "1234567891", "channel_secret": secret, "access_token": token},
    )
    assert created.status_code == 201
    async with env.db.session() as s:
        stored_secret, stored_token = (
            await s.execute(
                text("SELECT line_channel_secret, line_access_token FROM workspaces WHERE id = :id"),
                {"id": created.json()["id"]},
            )
        ).one()
    assert secret.encode() not in bytes(stored_secret) and token.encode() not in bytes(stored_token)
    box = SecretBox(env.settings.secret_keys)
    assert box.decrypt(bytes(stored_secret)) == secret and box.decrypt(bytes(stored_token)) == token
    assert secret not in (await client.get(f"/api/workspaces/{created.json()['id']}")).text
