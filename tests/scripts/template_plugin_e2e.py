"""Run in a subprocess by test_template_plugin.py, with the template plugin installed on PYTHONPATH.

It drives the plugin through the real app: the workspace API, the node catalog, a condition compiled to SQL,
the action, the friend field and the report, all without any change to the core.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from enishi import ActionContext, Friend, WorkspaceContext
from enishi.app import create_app
from enishi.auth.passwords import hash_password
from enishi.models import Agency, AgencyMembership, Plan, User
from enishi.settings import load_settings
from enishi.tenancy.plans import enabled_plugins
from enishi.tenancy.workspaces import ChannelCredentials, create_workspace


async def main(data_dir: Path) -> None:
    settings = load_settings({"ENISHI_DATA_DIR": str(data_dir), "ENISHI_LOG_LEVEL": "WARNING"})
    app = create_app(settings)
    services = app.state["enishi"]
    assert services.host.plugins["birthday"].status == "loaded", services.host.plugins["birthday"]
    async with LifespanManager(app), services.db.transaction() as s:
        plan = await s.scalar(select(Plan).where(Plan.key == "standard"))
        agency = Agency(name="代理店")
        user = User(email="owner@shop.example", display_name="店長", password_hash=hash_password("long-enough-pw"))
        s.add_all([agency, user])
        await s.flush()
        s.add(AgencyMembership(agency_id=agency.id, user_id=user.id, role="owner"))
        workspace = await create_workspace(
            s,
            host=services.host,
            settings=settings,
            secrets_box=services.secrets,
            agency=agency,
            name="店",
            credentials=ChannelCredentials("1234567890", "a" * 32, "x" * 40),
            plan=plan,
        )
        s.info["workspace_id"] = workspace.id
        friends = [Friend(line_user_id=f"U{i:032d}", display_name=f"友{i}") for i in range(3)]
        s.add_all(friends)
        await s.flush()
        ids = [f.id for f in friends]

    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        login = await c.post("/api/auth/login", json={"email": "owner@shop.example", "password": "long-enough-pw"})
        c.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        base = f"/api/workspaces/{workspace.id}"
        catalog = (await c.get(f"{base}/catalog")).json()
        keys = {n["key"] for n in catalog["node_types"]}
        assert {"birthday.birthday_today", "birthday.set_birthday", "birthday.birthday_in_month"} <= keys, keys
        assert "birthday.birthdays_by_month" in {r["key"] for r in catalog["reports"]}
        assert "birthday.birthday" in {f["key"] for f in catalog["friend_fields"]}
        put = await c.put(f"{base}/birthday/birthdays/{ids[0]}", json={"birthday": "1990-05-17"})
        assert put.status_code == 200, put.text
        assert (await c.get(f"{base}/birthday/birthdays/{ids[0]}")).json()["birthday"] == "1990-05-17"
        assert (await c.put(f"{base}/birthday/birthdays/{ids[0]}", json={"birthday": "soon"})).status_code == 400
        assert "birthday.set_birthday" in [e["action"] for e in (await c.get(f"{base}/audit")).json()["items"]]

    registry = services.host.registry
    async with services.db.transaction(workspace.id) as s:
        enabled = await enabled_plugins(s, services.host, workspace.id, plan)
        ctx = ActionContext(
            workspace_id=workspace.id,
            session=s,
            host=services.host,
            settings=settings,
            jobs=None,
            enabled_plugins=enabled,
            idempotency_key="e2e",
        )
        action = registry.get("actions", "birthday.set_birthday").item
        await action.run(ctx, ids[1], {"date": "1985-05-02"})
        condition = registry.get("conditions", "birthday.birthday_in_month").item
        may = set(await s.scalars(select(Friend.id).where(condition.compile(ctx, {"month": 5}))))
        assert may == {ids[0], ids[1]}, may
        field = registry.get("friend_fields", "birthday.birthday").item
        assert (await field.load(ctx, ids, ["birthday"]))[ids[1]]["birthday"] in ("1985-05-02",)
        report = registry.get("reports", "birthday.birthdays_by_month").item
        result = await report.run(
            WorkspaceContext(
                **{
                    k: getattr(ctx, k)
                    for k in ("workspace_id", "session", "host", "settings", "jobs", "enabled_plugins")
                }
            ),
            {},
        )
        may_row = next(r for r in result.rows if r["month"] == 5)
        assert may_row["friends"] == 2, result.rows
    print("template plugin works end to end")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
