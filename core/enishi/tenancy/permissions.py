"""Roles grant permissions: the declared defaults, changed per workspace by role grants; owners hold all."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.models import RoleGrant
from enishi.registry import Registry
from enishi.types import Permission

ROLE_RANK = {"viewer": 0, "operator": 1, "admin": 2, "owner": 3}


def declared(registry: Registry, enabled: Iterable[str]) -> dict[str, Permission]:
    return {e.key: e.item for e in registry.all("permissions", enabled)}


async def permissions_of(
    session: AsyncSession, registry: Registry, workspace_id: int, role: str, enabled: Iterable[str]
) -> frozenset[str]:
    perms = declared(registry, enabled)
    if role == "owner":
        return frozenset(perms)
    granted = {key for key, p in perms.items() if role in p.roles}
    rows = await session.execute(
        select(RoleGrant.permission, RoleGrant.granted).where(
            RoleGrant.workspace_id == workspace_id, RoleGrant.role == role
        )
    )
    for permission, is_granted in rows:
        if permission in perms:
            (granted.add if is_granted else granted.discard)(permission)
    return frozenset(granted)


def higher_role(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if ROLE_RANK[a] >= ROLE_RANK[b] else b
