"""Audit log of every change, and the API conventions: error shape, pagination, size limits, OpenAPI."""

from __future__ import annotations

from pathlib import Path

from enishi.models import Friend
from tests.conftest import Env

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schemas" / "plugin.schema.json"


async def test_every_change_is_audited_with_who_what_where_and_can_be_filtered(env: Env) -> None:
    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(owner=owner))
    client = await env.login("owner@shop.example")
    base = f"/api/workspaces/{workspace.id}"
    await client.patch(base, json={"name": "新しい名前", "access_token": "t" * 40})
    await client.put(f"{base}/plugins/probe", json={"enabled": True, "settings": {"greeting": "hi"}})
    await client.post(f"{base}/probe/echo", json={"x": 1})  # a plugin route is audited the same way
    await client.patch(base, json={"timezone": "Nowhere/City"})  # refused: not audited

    items = (await client.get(f"{base}/audit")).json()["items"]
    assert [e["action"] for e in items] == ["probe.echo", "core.set_plugin", "core.update_workspace"]
    update = items[-1]
    assert update["user_id"] == owner.id and update["workspace_id"] == workspace.id and update["method"] == "PATCH"
    assert update["details"]["fields"] == ["name", "access_token (secret)"]
    assert "t" * 40 not in str(items)  # secrets never reach the log
    assert [e["action"] for e in (await client.get(f"{base}/audit", params={"action": "core."})).json()["items"]] == [
        "core.set_plugin",
        "core.update_workspace",
    ]
    assert (await client.get(f"{base}/audit", params={"user_id": owner.id + 999})).json()["items"] == []
    assert (await client.get(f"{base}/audit", params={"since": "2999-01-01T00:00:00Z"})).json()["items"] == []


async def test_login_and_platform_changes_are_audited_too(env: Env) -> None:
    await env.user("root@platform.example", admin=True)
    root = await env.login("root@platform.example")
    await root.post("/api/agencies", json={"name": "新代理店"})
    items = (await root.get("/api/audit")).json()["items"]
    assert [e["action"] for e in items][:2] == ["core.create_agency", "core.login"]
    assert items[1]["user_id"] == items[0]["user_id"]
    assert (await (await env.login("root@platform.example")).get("/api/audit", params={"limit": 0})).status_code == 400


async def test_errors_carry_the_field_path(env: Env) -> None:
    owner = await env.user("owner@shop.example")
    agency = await env.agency(owner=owner)
    client = await env.login("owner@shop.example")
    bad_type = await client.post(f"/api/agencies/{agency.id}/workspaces", json={"name": 1})
    assert bad_type.status_code == 400
    assert bad_type.json()["errors"][0]["path"] == "$.name"
    bad_values = await client.post(
        f"/api/agencies/{agency.id}/workspaces",
        json={"name": "店", "channel_id": "12", "channel_secret": "zz", "access_token": "short"},
    )
    assert bad_values.status_code == 422
    assert [e["path"] for e in bad_values.json()["errors"]] == ["$.channel_id", "$.channel_secret", "$.access_token"]
    malformed = await client.post(
        f"/api/agencies/{agency.id}/workspaces", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.json()["status"] == 400
    created = await client.post(
        f"/api/agencies/{agency.id}/workspaces",
        json={"name": "店", "channel_id": "1234567890", "channel_secret": "a" * 32, "access_token": "x" * 40},
    )
    assert created.status_code == 201 and created.json()["webhook_url"].startswith(
        env.settings.public_url + "/webhook/"
    )
    again = await client.post(
        f"/api/agencies/{agency.id}/workspaces",
        json={"name": "店2", "channel_id": "1234567890", "channel_secret": "b" * 32, "access_token": "y" * 40},
    )
    assert again.status_code == 409 and again.json()["errors"][0]["path"] == "$.channel_id"


async def test_request_bodies_over_the_limit_are_refused(env: Env) -> None:
    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(owner=owner))
    client = await env.login("owner@shop.example")
    big = {"name": "x" * (env.settings.max_request_bytes + 10)}
    response = await client.patch(f"/api/workspaces/{workspace.id}", json=big)
    assert response.status_code == 413


async def test_keyset_pagination_walks_every_friend_once(env: Env) -> None:
    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(owner=owner))
    async with env.db.transaction(workspace.id) as s:
        s.add_all(Friend(line_user_id=f"U{i:032d}", status="blocked" if i % 5 == 0 else "following") for i in range(23))
    client = await env.login("owner@shop.example")
    seen, after = [], None
    while True:
        page = (
            await client.get(
                f"/api/workspaces/{workspace.id}/friends", params={"limit": 10, **({"after": after} if after else {})}
            )
        ).json()
        seen += [f["line_user_id"] for f in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == [f"U{i:032d}" for i in range(23)]
    blocked = (await client.get(f"/api/workspaces/{workspace.id}/friends", params={"status": "blocked"})).json()[
        "items"
    ]
    assert len(blocked) == 5
    assert (await client.get(f"/api/workspaces/{workspace.id}/friends", params={"after": "!!"})).status_code == 400
    assert (await client.get(f"/api/workspaces/{workspace.id}/friends", params={"status": "gone"})).status_code == 400


async def test_openapi_schema_is_served(env: Env) -> None:
    schema = (await env.client.get("/schema/openapi.json")).json()
    assert schema["info"]["title"] == "Enishi"
    assert "/api/workspaces/{workspace_id}/staff" in schema["paths"]
    assert "/api/workspaces/{workspace_id}/probe/hello" in schema["paths"]
    assert (await env.client.get("/api/health")).json() == {"status": "ok"}
    assert (await env.client.get("/p/probe/ping")).json() == {"pong": "probe"}


async def test_installed_plugins_are_listed_as_the_published_schema_says(env: Env) -> None:
    import json

    from enishi.schema_validation import check_schema, validate

    schema = json.loads(SCHEMA_FILE.read_text())
    check_schema(schema, "plugin.schema.json")
    await env.user("staff@shop.example")
    client = await env.login("staff@shop.example")
    plugins = (await client.get("/api/plugins")).json()
    probe = next(p for p in plugins if p["name"] == "probe")
    assert probe["permissions"] == ["probe.use"] and probe["source"] == "local"
    for plugin in plugins:
        assert validate(schema, plugin) == [], plugin["name"]
