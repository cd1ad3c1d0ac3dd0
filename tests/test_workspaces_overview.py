"""The agency view's numbers: each visible workspace's friends, this month's messages and quota as last cached
(never asked of LINE in the request); another agency's workspaces are not there."""

from __future__ import annotations

import uuid
from datetime import timedelta

from enishi.db.base import utcnow
from enishi.models import Friend, Workspace
from enishi.models.broadcasts import LineQuota
from tests.conftest import Env


async def test_overview_counts_friends_and_reads_the_cached_quota(env: Env) -> None:
    owner = await env.user("owner@overview.example", name="代表")
    stranger = await env.user("other@overview.example", name="他社")
    agency = await env.agency(owner=owner)
    cafe = await env.workspace(agency, "縁カフェ")
    bakery = await env.workspace(agency, "縁ベーカリー")
    elsewhere = await env.workspace(await env.agency("他の代理店", owner=stranger), "よその店")
    for workspace, following, blocked in ((cafe, 3, 1), (bakery, 1, 0), (elsewhere, 5, 0)):
        async with env.db.transaction(workspace.id) as s:
            s.add_all(
                Friend(line_user_id=f"U{uuid.uuid4().hex}", status=status)
                for status in ["following"] * following + ["blocked"] * blocked
            )
    now = utcnow()
    async with env.db.transaction(cafe.id) as s:
        s.add(LineQuota(quota_type="limited", monthly_limit=5000, consumption=1234, fetched_at=now))
    async with env.db.transaction(bakery.id) as s:  # fetched before this month: not known any more
        s.add(LineQuota(quota_type="limited", monthly_limit=200, consumption=200, fetched_at=now - timedelta(days=40)))
    async with env.db.transaction() as s:
        (await s.get_one(Workspace, bakery.id)).quota_exhausted_at = now

    client = await env.login("owner@overview.example")
    response = await client.get("/api/workspaces/overview")
    assert response.status_code == 200, response.text
    shown = {w["workspace_id"]: w for w in response.json()}
    assert set(shown) == {cafe.id, bakery.id}
    assert shown[cafe.id] | {"quota_fetched_at": None} == {
        "workspace_id": cafe.id,
        "friends": 3,
        "messages_this_month": 1234,
        "quota_type": "limited",
        "quota_limit": 5000,
        "quota_fetched_at": None,
        "held": False,
    }
    assert shown[bakery.id] == {
        "workspace_id": bakery.id,
        "friends": 1,
        "messages_this_month": None,
        "quota_type": None,
        "quota_limit": None,
        "quota_fetched_at": None,
        "held": True,
    }
    assert (await env.new_client().get("/api/workspaces/overview")).status_code == 401
