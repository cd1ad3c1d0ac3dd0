"""Report ``member_cards.ranks``: cards, points and stamps per rank, in the design's rank order, in one query."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from enishi import ReportColumn, ReportResult, ReportSeries, ReportType, Text, WorkspaceContext
from enishi_member_cards import service
from enishi_member_cards.models import Card

NO_RANK = "ランクなし"
COLUMNS = (
    ReportColumn("rank", Text("ランク", "Rank")),
    ReportColumn("threshold", Text("基準ポイント", "Threshold"), "integer"),
    ReportColumn("cards", Text("会員数", "Cards"), "integer"),
    ReportColumn("share", Text("割合", "Share"), "percent"),
    ReportColumn("points", Text("ポイント合計", "Points"), "integer"),
    ReportColumn("average_points", Text("平均ポイント", "Average points"), "number"),
    ReportColumn("stamps", Text("スタンプ合計", "Stamps"), "integer"),
)


async def run_ranks(ctx: WorkspaceContext, params: Mapping[str, Any]) -> ReportResult:
    design = await service.design_of(ctx)
    rows = await ctx.session.execute(
        select(
            Card.rank, func.count(), func.coalesce(func.sum(Card.points), 0), func.coalesce(func.sum(Card.stamps), 0)
        )
        .where(Card.workspace_id == ctx.workspace_id)
        .group_by(Card.rank)
    )
    counted = {rank: (int(n), int(p), int(s)) for rank, n, p, s in rows}
    total = sum(n for n, _, _ in counted.values())
    order: list[tuple[str | None, int | None]] = [(name, t) for t, name in service.sorted_ranks(design.ranks)]
    order += [(r, None) for r in counted if r is not None and r not in {name for name, _ in order}]  # renamed since
    if None in counted:
        order.insert(0, (None, None))
    out: list[dict[str, Any]] = []
    for rank, threshold in order:
        n, points, stamps = counted.get(rank, (0, 0, 0))
        out.append(
            {
                "rank": rank if rank is not None else NO_RANK,
                "threshold": threshold,
                "cards": n,
                "share": round(100.0 * n / total, 1) if total else 0.0,
                "points": points,
                "average_points": round(points / n, 1) if n else 0.0,
                "stamps": stamps,
            }
        )
    series = ReportSeries("cards", Text("会員数", "Cards"), [(str(r["rank"]), float(r["cards"])) for r in out])
    return ReportResult(columns=COLUMNS, rows=out, series=[series], chart="bar")


ranks_report = ReportType(
    name="ranks",
    label=Text("会員ランク別の会員数", "Members by rank"),
    description=Text(
        "ランクごとの会員証の数、割合、ポイントとスタンプの合計。", "Cards per rank, their share, points and stamps."
    ),
    run=run_ranks,
)
