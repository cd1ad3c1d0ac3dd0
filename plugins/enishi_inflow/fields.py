"""A friend's first route and visits as typed friend data: the friend's page, list columns, sorting and CSV."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select

from enishi import Friend, FriendFieldDescriptor, FriendFieldSource, Text, WorkspaceContext
from enishi_inflow.models import FirstRoute, Route, Visit

FIELDS = (
    FriendFieldDescriptor("first_route", Text("最初の流入経路", "First route"), {"type": "string"}, sortable=True),
    FriendFieldDescriptor(
        "first_route_at",
        Text("最初の流入日時", "First came in"),
        {"type": "string", "format": "date-time"},
        sortable=True,
    ),
    FriendFieldDescriptor("visits", Text("経路の訪問回数", "Route visits"), {"type": "integer"}, sortable=True),
)
KEYS = tuple(f.key for f in FIELDS)


async def describe(ctx: WorkspaceContext) -> Sequence[FriendFieldDescriptor]:
    return FIELDS


async def load(
    ctx: WorkspaceContext, friend_ids: Sequence[int], keys: Sequence[str]
) -> Mapping[int, Mapping[str, Any]]:
    """A page of friends in at most two queries: first routes with their names, and visit counts. Friends who
    never came in through a route are left out."""
    wanted = [k for k in keys if k in KEYS]
    if not wanted or not friend_ids:
        return {}
    ids = list(friend_ids)
    out: dict[int, dict[str, Any]] = {}
    if "first_route" in wanted or "first_route_at" in wanted:
        rows = await ctx.session.execute(
            select(FirstRoute.friend_id, Route.name, FirstRoute.at)
            .join(Route, Route.id == FirstRoute.route_id)
            .where(FirstRoute.workspace_id == ctx.workspace_id, FirstRoute.friend_id.in_(ids))
        )
        for friend_id, name, at in rows:
            values = {"first_route": name, "first_route_at": at.isoformat()}
            out.setdefault(friend_id, {}).update({k: values[k] for k in wanted if k in values})
    if "visits" in wanted:
        counts = await ctx.session.execute(
            select(Visit.friend_id, func.count())
            .where(Visit.workspace_id == ctx.workspace_id, Visit.friend_id.in_(ids))
            .group_by(Visit.friend_id)
        )
        for visitor, n in counts:
            if visitor is not None:
                out.setdefault(visitor, {})["visits"] = int(n)
    return out


def column(ctx: WorkspaceContext, key: str) -> ColumnElement[Any]:
    if key == "first_route":
        value = (
            select(Route.name)
            .join(FirstRoute, FirstRoute.route_id == Route.id)
            .where(FirstRoute.friend_id == Friend.id)
            .correlate(Friend)
            .scalar_subquery()
        )
    elif key == "first_route_at":
        value = select(FirstRoute.at).where(FirstRoute.friend_id == Friend.id).correlate(Friend).scalar_subquery()
    elif key == "visits":
        # Friends without visits sort as 0, not as unknown.
        value = select(func.count()).where(Visit.friend_id == Friend.id).correlate(Friend).scalar_subquery()
    else:
        raise KeyError(key)
    return value.label(f"inflow_{key}")


inflow_field = FriendFieldSource(
    name="routes", label=Text("流入経路", "Inflow"), describe=describe, load=load, column=column
)
