"""The ``inflow.routes`` report: per route and period, visits, new friends, blocks and conversions.

A new friend of a route is one whose follow came through it: they opened the route's URL before they added the
account. A friend who already followed and opens the URL later is a visit, not a new friend (nor a block or
conversion of the route).

Counted in SQL (GROUP BY route and UTC hour, never a loop over friends); the hours are then folded into days,
weeks (from Monday) or months of the workspace's time zone, so both databases give the same answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select

from enishi import (
    ConditionType,
    Friend,
    ReportColumn,
    ReportResult,
    ReportSeries,
    ReportType,
    SchemaProblem,
    Text,
    WorkspaceContext,
    check_node_config,
    dialect_of,
    invalid,
)
from enishi_inflow.models import FirstRoute, Route, Visit

MAX_DAYS = 731
METRICS = ("visits", "new_friends", "blocks", "conversions")

PARAMS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "period": {
            "type": "string",
            "oneOf": [
                {"const": "day", "title": "日別 / Daily"},
                {"const": "week", "title": "週別 / Weekly"},
                {"const": "month", "title": "月別 / Monthly"},
            ],
            "default": "day",
            "title": "集計単位 / Period",
        },
        "from": {"type": "string", "format": "date", "title": "開始日 / From"},
        "to": {"type": "string", "format": "date", "title": "終了日 / To (inclusive)"},
        "route_ids": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1},
            "maxItems": 500,
            "uniqueItems": True,
            "title": "流入経路 / Routes (empty: all)",
        },
        "conversion": {
            "type": "object",
            "title": "コンバージョン条件 / Conversion condition",
            "properties": {
                "type": {"type": "string", "minLength": 1},
                "type_version": {"type": "integer", "minimum": 1},
                "config": {"type": "object"},
            },
            "required": ["type", "config"],
            "additionalProperties": False,
        },
    },
    "required": ["from", "to"],
    "additionalProperties": False,
}


def followed_through_route() -> ColumnElement[bool]:
    """The friend (joined as ``Friend``) followed through their first route (``FirstRoute``): a visit of that
    route attributed to them came before their follow."""
    return exists().where(
        Visit.friend_id == FirstRoute.friend_id,
        Visit.route_id == FirstRoute.route_id,
        Visit.visited_at <= Friend.followed_at,
    )


def new_friends_of(*where: ColumnElement[bool]) -> Select[int, int]:
    """Friends who came in through a route, by route: ``SELECT route_id, count(*)`` grouped by route."""
    return (
        select(FirstRoute.route_id, func.count())
        .join_from(FirstRoute, Friend, Friend.id == FirstRoute.friend_id)
        .where(followed_through_route(), *where)
        .group_by(FirstRoute.route_id)
    )


def _hour(ctx: WorkspaceContext, column: Any) -> ColumnElement[str]:
    """The UTC hour of a timestamp as "YYYY-MM-DD HH" on both databases."""
    if dialect_of(ctx.session) == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
    return func.substr(column, 1, 13)  # SQLite stores naive UTC as "YYYY-MM-DD HH:MM:SS.ffffff"


def _bucket(hour: str, period: str, ctx: WorkspaceContext) -> str:
    local = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(ctx.tz).date()
    if period == "week":
        return (local - timedelta(days=local.weekday())).isoformat()
    if period == "month":
        return local.strftime("%Y-%m")
    return local.isoformat()


def _buckets(start: date, end: date, period: str) -> list[str]:
    out: list[str] = []
    day = start
    while day <= end:
        key = (
            (day - timedelta(days=day.weekday())).isoformat()
            if period == "week"
            else day.strftime("%Y-%m")
            if period == "month"
            else day.isoformat()
        )
        if not out or out[-1] != key:
            out.append(key)
        day += timedelta(days=1)
    return out


async def _counts(ctx: WorkspaceContext, query: Select[Any], period: str) -> dict[tuple[int, str], int]:
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for route_id, hour, n in (await ctx.session.execute(query)).all():
        if hour is not None:
            counts[(route_id, _bucket(str(hour), period, ctx))] += int(n)
    return counts


async def run(ctx: WorkspaceContext, params: Mapping[str, Any]) -> ReportResult:
    period = params.get("period", "day")
    start, end = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
    problems: list[tuple[str, str]] = []
    if end < start:
        problems.append(("$.to", "終了日は開始日以降にしてください / must not be before from"))
    elif (end - start).days > MAX_DAYS:
        problems.append(("$.to", f"期間は{MAX_DAYS}日以内にしてください / at most {MAX_DAYS} days"))
    conversion_expr: ColumnElement[bool] | None = None
    conversion = params.get("conversion")
    schema_problems: list[SchemaProblem] = []
    if conversion is not None:
        schema_problems = await check_node_config(
            ctx,
            "conditions",
            conversion["type"],
            conversion.get("type_version"),
            conversion["config"],
            "$.conversion.config",
        )
        if not schema_problems:
            item = ctx.host.registry.usable(
                "conditions", conversion["type"], conversion.get("type_version"), ctx.enabled_plugins
            ).item
            assert isinstance(item, ConditionType)
            conversion_expr = item.compile(ctx, conversion["config"])
    if problems or schema_problems:
        raise invalid([SchemaProblem(p, m) for p, m in problems] + list(schema_problems))

    since = datetime.combine(start, time(), ctx.tz).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), time(), ctx.tz).astimezone(UTC)
    route_query = select(Route.id, Route.name, Route.folder).order_by(Route.folder, Route.name, Route.id)
    wanted = params.get("route_ids") or []
    if wanted:
        route_query = route_query.where(Route.id.in_(wanted))
    routes = (await ctx.session.execute(route_query)).all()
    route_ids = [r.id for r in routes]

    def grouped(route_col: Any, at: Any, *where: ColumnElement[bool]) -> Select[Any]:
        hour = _hour(ctx, at)
        return (
            select(route_col, hour, func.count())
            .where(route_col.in_(route_ids), at >= since, at < until, *where)
            .group_by(route_col, hour)
        )

    def through_route(at: Any, *where: ColumnElement[bool]) -> Select[Any]:
        """The route's new friends (their follow came through it), grouped by the hour of ``at``."""
        return grouped(FirstRoute.route_id, at, followed_through_route(), *where).join_from(
            FirstRoute, Friend, and_(Friend.id == FirstRoute.friend_id)
        )

    metrics: dict[str, dict[tuple[int, str], int]] = {
        "visits": await _counts(ctx, grouped(Visit.route_id, Visit.visited_at), period),
        "new_friends": await _counts(ctx, through_route(Friend.followed_at), period),
        "blocks": await _counts(ctx, through_route(Friend.blocked_at, Friend.status == "blocked"), period),
        "conversions": {}
        if conversion_expr is None
        else await _counts(ctx, through_route(Friend.followed_at, conversion_expr), period),
    }
    buckets = _buckets(start, end, period)
    rows: list[dict[str, Any]] = []
    for route in routes:
        for bucket in buckets:
            row: dict[str, Any] = {"route_id": route.id, "route": route.name, "folder": route.folder, "period": bucket}
            for metric in METRICS:
                row[metric] = metrics[metric].get((route.id, bucket), 0)
            # A percentage (0–100), as the other reports' percent columns are.
            row["conversion_rate"] = (
                round(100 * row["conversions"] / row["new_friends"], 2) if row["new_friends"] else 0.0
            )
            rows.append(row)
    series = [
        ReportSeries(
            key=metric,
            label=LABELS[metric],
            points=[(b, float(sum(metrics[metric].get((r, b), 0) for r in route_ids))) for b in buckets],
        )
        for metric in METRICS
    ] + [
        ReportSeries(
            key=f"visits:{route.id}",
            label=Text(f"{route.name} 訪問", f"{route.name} visits"),
            points=[(b, float(metrics["visits"].get((route.id, b), 0))) for b in buckets],
        )
        for route in routes
    ]
    return ReportResult(columns=COLUMNS, rows=rows, series=series, chart="line")


LABELS = {
    "visits": Text("訪問数", "Visits"),
    "new_friends": Text("新規友だち", "New friends"),
    "blocks": Text("ブロック", "Blocks"),
    "conversions": Text("コンバージョン", "Conversions"),
}
COLUMNS = (
    ReportColumn("route_id", Text("経路ID", "Route id"), "integer"),
    ReportColumn("route", Text("流入経路", "Route")),
    ReportColumn("folder", Text("フォルダ", "Folder")),
    ReportColumn("period", Text("期間", "Period"), "date"),
    *(ReportColumn(m, LABELS[m], "integer") for m in METRICS),
    ReportColumn("conversion_rate", Text("コンバージョン率", "Conversion rate"), "percent"),
)

routes_report = ReportType(
    name="routes",
    label=Text("流入経路分析", "Inflow routes"),
    description=Text(
        "流入経路ごとの訪問数・新規友だち・ブロック・コンバージョン(日・週・月別)。",
        "Per route: visits, new friends, blocks and conversions by day, week or month.",
    ),
    params_schema=PARAMS_SCHEMA,
    run=run,
)
