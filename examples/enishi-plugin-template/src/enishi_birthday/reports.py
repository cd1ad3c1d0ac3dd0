"""Analyses shown on the reports page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from enishi import ReportColumn, ReportResult, ReportSeries, ReportType, Text, WorkspaceContext
from enishi.models.friends import Friend

from . import store
from .models import Birthday

PARAMS: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "year": {"type": "integer", "minimum": 1900, "maximum": 2100, "title": "Only friends born in this year"}
    },
    "additionalProperties": False,
}

COLUMNS = (
    ReportColumn("month", Text("月", "Month"), "integer"),
    ReportColumn("friends", Text("友だち数", "Friends"), "integer"),
)


async def run_by_month(ctx: WorkspaceContext, params: Mapping[str, Any]) -> ReportResult:
    """Following friends with a recorded birthday, per birth month: one GROUP BY, months without any shown as 0."""
    month = store.birth_month()
    stmt = (
        select(month, func.count())
        .select_from(Birthday)
        .join(Friend, Friend.id == Birthday.friend_id)
        .where(Friend.status == "following")
        .group_by(month)
    )
    if params.get("year") is not None:
        stmt = stmt.where(store.birth_year() == int(params["year"]))
    # PostgreSQL's EXTRACT returns a numeric, SQLite's CAST an integer: normalise before using it as a key.
    counts = {int(m): int(n) for m, n in await ctx.session.execute(stmt)}
    rows = [{"month": m, "friends": counts.get(m, 0)} for m in range(1, 13)]
    series = ReportSeries("friends", COLUMNS[1].label, [(str(r["month"]), float(r["friends"])) for r in rows])
    return ReportResult(columns=COLUMNS, rows=rows, series=[series], chart="bar")


birthdays_by_month = ReportType(
    name="birthdays_by_month",
    label=Text("誕生月別の友だち数", "Friends by birth month"),
    description=Text(
        "誕生日が登録されている友だち(ブロック中を除く)を誕生月ごとに数えます。",
        "Counts following friends with a recorded birthday, per birth month.",
    ),
    params_schema=PARAMS,
    run=run_by_month,
)
