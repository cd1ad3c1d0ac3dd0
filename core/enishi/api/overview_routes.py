"""``GET /api/workspaces/overview``: for the agency view, each workspace the caller may see with its friends, the
messages LINE counted this month and the monthly quota, as last cached.

Counted in SQL across the visible workspaces at once (one GROUP BY for the friends, one read of the cached quotas):
nothing here waits on LINE. The quota is what the ``core.refresh_line_quota`` job last fetched; a month it has not
been fetched in yet is unknown (null), not zero.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, get
from sqlalchemy import func, select

from enishi.api.params import CurrentUser, Db
from enishi.db.base import utcnow
from enishi.line.outbox import QUOTA_TIMEZONE
from enishi.models import Friend, Workspace
from enishi.models.broadcasts import LineQuota
from enishi.tenancy.access import visible_workspaces_query

ALL_WORKSPACES = {"all_workspaces": True}  # counts across the caller's workspaces, each named in the query


class WorkspaceOverviewOut(msgspec.Struct):
    workspace_id: int
    friends: int  # following now
    messages_this_month: int | None  # as LINE counted them (Japanese calendar month); null: not fetched this month
    quota_type: str | None  # "none" (unlimited) or "limited"; null: not fetched this month
    quota_limit: int | None
    quota_fetched_at: datetime | None
    held: bool  # LINE said the month's quota is used up: sending waits


def same_month(a: datetime, b: datetime) -> bool:
    return a.astimezone(QUOTA_TIMEZONE).strftime("%Y-%m") == b.astimezone(QUOTA_TIMEZONE).strftime("%Y-%m")


class OverviewController(Controller):
    path = "/api/workspaces"
    tags = ("platform",)

    @get("/overview")
    async def workspaces_overview(self, user: CurrentUser, db: Db) -> list[WorkspaceOverviewOut]:
        visible = visible_workspaces_query(user).with_only_columns(Workspace.id, Workspace.quota_exhausted_at)
        workspaces = (await db.execute(visible)).all()
        ids = [w.id for w in workspaces]
        friends = dict(
            (
                await db.execute(
                    select(Friend.workspace_id, func.count())
                    .where(Friend.workspace_id.in_(ids), Friend.status == "following")
                    .group_by(Friend.workspace_id)
                    .execution_options(**ALL_WORKSPACES)
                )
            ).all()
        )
        quotas = {
            q.workspace_id: q
            for q in await db.scalars(
                select(LineQuota).where(LineQuota.workspace_id.in_(ids)).execution_options(**ALL_WORKSPACES)
            )
        }
        now = utcnow()
        out = []
        for w in workspaces:
            q = quotas.get(w.id)
            known = q is not None and q.fetched_at is not None and same_month(q.fetched_at, now)
            out.append(
                WorkspaceOverviewOut(
                    workspace_id=w.id,
                    friends=int(friends.get(w.id, 0)),
                    messages_this_month=(q.consumption or 0) if known and q else None,
                    quota_type=q.quota_type if known and q else None,
                    quota_limit=q.monthly_limit if known and q else None,
                    quota_fetched_at=q.fetched_at if known and q else None,
                    held=w.quota_exhausted_at is not None,
                )
            )
        return out
