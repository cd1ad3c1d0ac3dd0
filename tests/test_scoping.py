"""The one scoping mechanism: a session bound to a workspace sees and writes only that workspace's rows."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from enishi.db import WorkspaceScopeError
from enishi.models import Friend, WorkspaceMembership
from tests.conftest import Env


async def _two_workspaces_with_friends(env: Env) -> tuple[int, int]:
    agency = await env.agency()
    a, b = await env.workspace(agency, "A"), await env.workspace(agency, "B")
    for workspace_id, n in ((a.id, 3), (b.id, 2)):
        async with env.db.transaction(workspace_id) as s:
            s.add_all(Friend(line_user_id=f"U{workspace_id:016d}{i:016d}") for i in range(n))
    return a.id, b.id


async def test_selects_updates_and_deletes_stay_in_the_workspace(env: Env) -> None:
    a, b = await _two_workspaces_with_friends(env)
    async with env.db.transaction(a) as s:
        assert await s.scalar(select(func.count()).select_from(Friend)) == 3
        assert {f.workspace_id for f in await s.scalars(select(Friend))} == {a}
        # Joins and subqueries are limited too.
        joined = (
            select(func.count())
            .select_from(Friend)
            .join(WorkspaceMembership, WorkspaceMembership.user_id == Friend.id, isouter=True)
        )
        assert await s.scalar(joined) == 3
        await s.execute(update(Friend).values(display_name="変更"))
        await s.execute(delete(Friend).where(Friend.display_name == "nobody"))
        async with env.db.session() as unscoped:
            b_friend_id = await unscoped.scalar(select(Friend.id).where(Friend.workspace_id == b).limit(1))
        assert await s.get(Friend, b_friend_id) is None
    async with env.db.transaction(b) as s:
        assert {f.display_name for f in await s.scalars(select(Friend))} == {""}
        await s.execute(delete(Friend))
    async with env.db.transaction(a) as s:
        assert await s.scalar(select(func.count()).select_from(Friend)) == 3


async def test_new_rows_are_stamped_and_rows_of_another_workspace_refused(env: Env) -> None:
    a, b = await _two_workspaces_with_friends(env)
    async with env.db.transaction(a) as s:
        friend = Friend(line_user_id="U" + "9" * 32)
        s.add(friend)
        await s.flush()
        assert friend.workspace_id == a
    with pytest.raises(WorkspaceScopeError):
        async with env.db.transaction(a) as s:
            s.add(Friend(line_user_id="U" + "8" * 32, workspace_id=b))
    async with env.db.transaction() as s:  # an unscoped session (platform work) sees everything
        assert await s.scalar(select(func.count()).select_from(Friend)) == 6
