"""The report ``cross_analysis.cross``: friend counts over two dimensions, with totals and percentages.

One statement counts everything: the population (``count(*)``), each row and column bucket, and each cell
(``SUM(CASE WHEN row AND column THEN 1 ELSE 0 END)``) over the friends in the segment; a follow-month dimension
first reads the population's first and last follow (one more query). Friends can be in several buckets of a
tags dimension, so a row total is the friends of that row, not the sum of its cells, and the grand total is the
population.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select

from enishi import (
    Friend,
    ReportColumn,
    ReportResult,
    ReportSeries,
    SchemaProblem,
    Text,
    WorkspaceContext,
    invalid,
    segments,
)
from enishi_cross_analysis.dimensions import DIMENSION_SCHEMA, Dimension, build, compiled, months

PARAMS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "rows": {**DIMENSION_SCHEMA, "title": "行 / Rows"},
        "columns": {**DIMENSION_SCHEMA, "title": "列 / Columns"},
        "segment": {"type": "object", "title": "対象の絞り込み / Segment"},
        "following_only": {
            "type": "boolean",
            "default": False,
            "title": "ブロック中の友だちを除く / Only friends still following",
        },
    },
    "required": ["rows", "columns"],
    "additionalProperties": False,
}
TOTAL = "合計"
# One statement sums every cell; PostgreSQL allows 1664 result columns, so the matrix stays well below that.
MAX_CELLS = 1500


def percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


def population(ctx: WorkspaceContext, params: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Friend.workspace_id == ctx.workspace_id]
    if params.get("following_only"):
        where.append(Friend.status == "following")
    if params.get("segment") is not None:
        where.append(segments.compile_segment(ctx, params["segment"]))
    return where


async def fill_months(
    ctx: WorkspaceContext,
    dimension: Dimension,
    spec: Mapping[str, Any],
    where: Sequence[ColumnElement[bool]],
    path: str,
) -> list[SchemaProblem]:
    if spec["kind"] != "follow_month":
        return []
    first, last = (
        await ctx.session.execute(select(func.min(Friend.followed_at), func.max(Friend.followed_at)).where(*where))
    ).one()
    if first is None:
        return []
    dimension.buckets, problems = months(ctx, first, last, path)
    return problems


async def run_cross(ctx: WorkspaceContext, params: Mapping[str, Any]) -> ReportResult:
    rows = await build(ctx, params["rows"], "$.rows")
    columns = await build(ctx, params["columns"], "$.columns")
    problems = rows.problems + columns.problems
    if params.get("segment") is not None:
        problems += await segments.check_segment(ctx, params["segment"], "$.segment")
    if problems:
        raise invalid(problems)
    where = population(ctx, params)
    problems = await fill_months(ctx, rows, params["rows"], where, "$.rows")
    problems += await fill_months(ctx, columns, params["columns"], where, "$.columns")
    if problems:
        raise invalid(problems)

    row_exprs, col_exprs = compiled(ctx, rows), compiled(ctx, columns)
    if len(row_exprs) * len(col_exprs) > MAX_CELLS:
        message = f"行×列が多すぎます(最大{MAX_CELLS}マス) / too many cells (at most {MAX_CELLS})"
        raise invalid([SchemaProblem("$.columns", message)])

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    sums = [count(e) for _, e in row_exprs] + [count(e) for _, e in col_exprs]
    sums += [count(and_(r, c)) for _, r in row_exprs for _, c in col_exprs]
    result = (await ctx.session.execute(select(func.count(), *sums).select_from(Friend).where(*where))).one()
    values = [int(v) for v in result]
    total, rest = values[0], values[1:]
    row_totals, rest = rest[: len(row_exprs)], rest[len(row_exprs) :]
    col_totals, cells = rest[: len(col_exprs)], rest[len(col_exprs) :]
    return matrix(
        [label for label, _ in row_exprs], [label for label, _ in col_exprs], cells, row_totals, col_totals, total
    )


def matrix(
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    cells: Sequence[int],
    row_totals: Sequence[int],
    col_totals: Sequence[int],
    total: int,
) -> ReportResult:
    """Rows of counts with, per cell, its share of the row (``c<j>_pct``); a last row of column totals with their
    share of all friends; a ``total`` column with each row's friends and their share of all friends."""
    columns = [ReportColumn("row", Text("区分", "Bucket"))]
    for j, label in enumerate(col_labels):
        columns.append(ReportColumn(f"c{j}", Text(label, label), "integer"))
        columns.append(ReportColumn(f"c{j}_pct", Text(f"{label} (%)", f"{label} (%)"), "percent"))
    columns.append(ReportColumn("total", Text(TOTAL, "Total"), "integer"))
    columns.append(ReportColumn("total_pct", Text(f"{TOTAL} (%)", "Total (%)"), "percent"))
    width = len(col_labels)
    out: list[dict[str, Any]] = []
    series = []
    for i, label in enumerate(row_labels):
        line: dict[str, Any] = {"row": label}
        for j in range(width):
            line[f"c{j}"] = cells[i * width + j]
            line[f"c{j}_pct"] = percent(cells[i * width + j], row_totals[i])
        line["total"], line["total_pct"] = row_totals[i], percent(row_totals[i], total)
        out.append(line)
        points = [(col_labels[j], float(cells[i * width + j])) for j in range(width)]
        series.append(ReportSeries(f"r{i}", Text(label, label), points))
    last: dict[str, Any] = {"row": TOTAL}
    for j in range(width):
        last[f"c{j}"], last[f"c{j}_pct"] = col_totals[j], percent(col_totals[j], total)
    last["total"], last["total_pct"] = total, percent(total, total)
    out.append(last)
    return ReportResult(columns=columns, rows=out, series=series, chart="heatmap")
