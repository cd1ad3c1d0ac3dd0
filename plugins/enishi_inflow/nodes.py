"""Scenario and segment building blocks: the ``came_from`` condition and the ``route_entered`` trigger.

Configs name routes by id; ``check_config`` reports ids of routes that do not exist (any more) in the workspace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, false, select

from enishi import ConditionType, DomainEvent, Friend, SchemaProblem, Text, TriggerType, WorkspaceContext, choices
from enishi_inflow.events import ROUTE_ENTERED
from enishi_inflow.models import FirstRoute, Route, Visit

MAX_ROUTES_PER_NODE = 100
MISSING = "流入経路が見つかりません(削除された可能性があります) / no such route in this workspace (deleted?)"
ROUTE_PICKER = {"ui:options": {"lookup": "inflow.routes"}}


def _route_ids(min_items: int) -> dict[str, Any]:
    return {
        "type": "array",
        "title": "流入経路 / Routes",
        "items": {"type": "integer", "minimum": 1},
        "minItems": min_items,
        "maxItems": MAX_ROUTES_PER_NODE,
        "uniqueItems": True,
    }


CAME_FROM_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "route_ids": _route_ids(1),
        "scope": {
            "type": "string",
            "title": "対象 / Scope",
            **choices(("first", "最初の流入経路 / The first route only"), ("any", "いずれかの訪問 / Any visit")),
            "default": "first",
        },
    },
    "required": ["route_ids"],
    "additionalProperties": False,
}

ROUTE_ENTERED_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "route_ids": {
            **_route_ids(0),
            "description": "空ならどの経路でも開始 / empty: any route",
            "default": [],
        },
        "first_time_only": {
            "type": "boolean",
            "title": "その経路から初めて来たときだけ / Only the first time through the route",
            "default": False,
        },
    },
    "additionalProperties": False,
}


async def _missing(ctx: WorkspaceContext, config: Mapping[str, Any]) -> list[SchemaProblem]:
    wanted = [i for i in (config.get("route_ids") or ()) if isinstance(i, int)]
    if not wanted:
        return []
    found = set((await ctx.session.scalars(select(Route.id).where(Route.id.in_(wanted)))).all())
    return [
        SchemaProblem(f"$.route_ids[{n}]", MISSING)
        for n, route_id in enumerate(config.get("route_ids") or ())
        if isinstance(route_id, int) and route_id not in found
    ]


async def check_routes(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    return await _missing(ctx, config)


def compile_came_from(ctx: WorkspaceContext, config: Mapping[str, Any]) -> ColumnElement[bool]:
    """Correlated with ``friends.id``: the friend's first route (or any attributed visit) is one of the routes."""
    route_ids = sorted(set(config.get("route_ids") or ()))
    if not route_ids:
        return false()
    if config.get("scope", "first") == "any":
        return exists().where(Visit.friend_id == Friend.id, Visit.route_id.in_(route_ids))
    return exists().where(FirstRoute.friend_id == Friend.id, FirstRoute.route_id.in_(route_ids))


came_from = ConditionType(
    name="came_from",
    permission="core.search_friends",
    label=Text("流入経路", "Came from route"),
    description=Text(
        "最初の流入経路(またはいずれかの訪問)が指定した経路である友だち。",
        "Friends whose first route (or any visit) is one of the routes.",
    ),
    config_schema=CAME_FROM_CONFIG,
    ui_schema={"route_ids": ROUTE_PICKER, "scope": {"ui:widget": "radio"}},
    compile=compile_came_from,
    check_config=check_routes,
)


def route_entered_matches(config: Mapping[str, Any], event: DomainEvent) -> bool:
    if event.name != ROUTE_ENTERED:
        return False
    route_ids = config.get("route_ids") or ()
    if route_ids and event.data.get("route_id") not in set(route_ids):
        return False
    return not (config.get("first_time_only") and not event.data.get("first_time"))


route_entered = TriggerType(
    name="route_entered",
    permission="core.search_friends",
    label=Text("流入経路から来たとき", "When a friend comes in through a route"),
    description=Text(
        "友だちが流入経路(URL・QRコード)から来たことがわかったときに開始します。",
        "Starts when a friend is known to have come in through a route (its URL or QR code).",
    ),
    config_schema=ROUTE_ENTERED_CONFIG,
    ui_schema={"route_ids": ROUTE_PICKER},
    listens_to=(ROUTE_ENTERED,),
    matches=route_entered_matches,
    check_config=check_routes,
)
