"""Role matrix, generated from the OpenAPI document: a viewer and an operator against every write operation of their
own workspace. An operation needing a permission the role lacks (the one its route declares, else ``core.write``
as the workspace guard defaults to) answers 403 and changes no row. Operations that declare no permission of their
own are counted in the summary."""

from __future__ import annotations

from typing import Any

from enishi.models import User
from enishi.tenancy.access import resolve_access
from enishi.tenancy.permissions import declared
from tests.conftest import Env
from tests.security.api_matrix import UNSAFE, body_for, changes, dump, operations, seed


async def test_viewer_and_operator_get_403_for_writes_they_lack_the_permission_for(
    env: Env, record_property: Any
) -> None:
    owner, operator, viewer = (
        await env.user("owner@r.example"),
        await env.user("operator@r.example"),
        await env.user("viewer@r.example"),
    )
    ws = await env.workspace(
        await env.agency("R"), "R", members={owner: "owner", operator: "operator", viewer: "viewer"}
    )
    seeded = await seed(env, await env.login("owner@r.example"), ws.id, "r")
    assert not seeded.missing, seeded.missing
    ops = [op for op in operations(env.app) if op.method in UNSAFE and "workspace_id" in op.params]
    undeclared = sorted(op.label for op in ops if op.permission is None)
    # What each role holds by the declared defaults (no grant changed in this workspace), worked out here rather
    # than by the code the guard uses, so a wrong grant there shows.
    async with env.db.session() as session:
        access = await resolve_access(session, env.host, await session.get(User, owner.id), ws.id)
        assert access is not None
    declared_permissions = declared(env.host.registry, access.enabled_plugins)
    held = {
        role: frozenset(key for key, p in declared_permissions.items() if role in p.roles)
        for role in ("viewer", "operator")
    }
    assert "core.write" not in held["viewer"]  # else the matrix would check nothing for a viewer

    holes: list[str] = []
    checked = {"viewer": 0, "operator": 0}
    allowed = {"viewer": 0, "operator": 0}
    for role, email in (("viewer", "viewer@r.example"), ("operator", "operator@r.example")):
        client = await env.login(email)
        for op in ops:
            needed = op.permission or "core.write"
            if needed in held[role]:
                allowed[role] += 1
                continue
            before = await dump(env)
            response = await client.request(op.method, seeded.url(op), json=body_for(op))
            checked[role] += 1
            changed = list(changes(before, await dump(env)))
            if response.status_code != 403:
                holes.append(f"{role}: {op.label} needs {needed} → {response.status_code} {response.text[:160]}")
            if changed:
                holes.append(f"{role}: {op.label} changed rows: {changed}")

    summary = (
        f"role matrix: {len(ops)} write operations × 2 roles; refused as expected {checked} "
        f"(= {sum(checked.values())}), held the permission {allowed}; {len(undeclared)} operations declare no "
        f"permission of their own (the guard asks core.write): {undeclared}; holes: {len(holes)}"
    )
    print(summary)
    record_property("summary", summary)  # in the junit report
    assert not holes, summary + "\n" + "\n".join(holes)
    assert checked["viewer"] and checked["operator"] and allowed["operator"], summary
