"""The funnel report ``funnels.funnel``: friends through ordered stages, in one SQL statement.

A stage is any registered condition (``{type, type_version?, config}``: tags, fields, marks, scenario steps,
points …). Stage k counts the friends who satisfy stages 1..k together, so counts never grow along the funnel.
The population is the workspace's friends who followed within the period (dates in the workspace's time zone,
both ends included) and are in the segment; the counts are one ``SELECT count(*), SUM(CASE WHEN …)`` over the
compiled conditions, never a loop over friends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
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
    not_found,
    segments,
)
from enishi_funnels.models import Funnel

MAX_STAGES = 20
CONDITION_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "label": {"type": "string", "maxLength": 100, "title": "段階の名前 / Stage name"},
        "type": {"type": "string", "minLength": 1, "maxLength": 200, "title": "条件 / Condition"},
        "type_version": {"type": "integer", "minimum": 1},
        "config": {"type": "object"},
    },
    "required": ["type", "config"],
    "additionalProperties": False,
}
STAGES_SCHEMA: Mapping[str, Any] = {
    "type": "array",
    "title": "段階 / Stages",
    "items": CONDITION_SCHEMA,
    "minItems": 1,
    "maxItems": MAX_STAGES,
}
PERIOD_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "title": "友だち追加の期間 / Followed between",
    "properties": {
        "from": {"type": "string", "format": "date", "title": "開始日 / From"},
        "to": {"type": "string", "format": "date", "title": "終了日 / To"},
    },
    "additionalProperties": False,
}
PARAMS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "funnel_id": {"type": "integer", "minimum": 1, "title": "保存したファネル / Saved funnel"},
        "stages": STAGES_SCHEMA,
        "period": PERIOD_SCHEMA,
        "segment": {"type": "object", "title": "対象の絞り込み / Segment"},
    },
    "oneOf": [{"required": ["funnel_id"]}, {"required": ["stages"]}],
    "additionalProperties": False,
}


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def period_problems(period: Mapping[str, Any] | None, prefix: str) -> list[SchemaProblem]:
    problems = []
    days = {}
    for end in ("from", "to"):
        if period and end in period:
            days[end] = _day(period[end])
            if days[end] is None:
                problems.append(SchemaProblem(f"{prefix}.{end}", "日付(YYYY-MM-DD)にしてください / must be a date"))
    if not problems and days.get("from") and days.get("to") and days["from"] > days["to"]:  # type: ignore[operator]
        problems.append(SchemaProblem(f"{prefix}.to", "終了日が開始日より前です / ends before it starts"))
    return problems


def period_filter(ctx: WorkspaceContext, period: Mapping[str, Any] | None) -> list[ColumnElement[bool]]:
    """Followed on or after ``from`` and on or before ``to`` (whole days in the workspace's time zone)."""
    out: list[ColumnElement[bool]] = []
    first, last = _day((period or {}).get("from")), _day((period or {}).get("to"))
    if first is not None:
        out.append(Friend.followed_at >= datetime.combine(first, time(), tzinfo=ctx.tz))
    if last is not None:
        out.append(Friend.followed_at < datetime.combine(last + timedelta(days=1), time(), tzinfo=ctx.tz))
    return out


def as_condition(stage: Mapping[str, Any]) -> dict[str, Any]:
    return {k: stage[k] for k in ("type", "type_version", "config") if k in stage}


async def stage_problems(
    ctx: WorkspaceContext, stages: Sequence[Mapping[str, Any]], prefix: str
) -> list[SchemaProblem]:
    """Each stage as a segment condition: usable here, a valid config, nothing deleted it names."""
    problems: list[SchemaProblem] = []
    for i, stage in enumerate(stages):
        here = f"{prefix}[{i}]"
        # A segment is a group at its top: check the stage as the one condition of a group, paths unwrapped.
        for p in await segments.check_segment(ctx, {"all": [as_condition(stage)]}, here):
            path = here + p.path.removeprefix(f"{here}.all[0]")
            problems.append(SchemaProblem(path, p.message))
    return problems


def stage_label(ctx: WorkspaceContext, stage: Mapping[str, Any], index: int) -> str:
    if stage.get("label"):
        return str(stage["label"])
    entry = ctx.host.registry.get("conditions", stage["type"], stage.get("type_version"))
    name = entry.item.label.ja if entry is not None else stage["type"]
    return f"{index + 1}. {name}"


def percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


async def count_stages(
    ctx: WorkspaceContext,
    stages: Sequence[Mapping[str, Any]],
    period: Mapping[str, Any] | None,
    segment: Mapping[str, Any] | None,
) -> tuple[int, list[int]]:
    """(population, friends through stages 1..k for each k) in one statement."""
    compiled = [segments.compile_segment(ctx, as_condition(s)) for s in stages]
    sums = [func.coalesce(func.sum(case((and_(*compiled[: k + 1]), 1), else_=0)), 0) for k in range(len(compiled))]
    query = select(func.count(), *sums).select_from(Friend).where(Friend.workspace_id == ctx.workspace_id)
    for clause in period_filter(ctx, period):
        query = query.where(clause)
    if segment:
        query = query.where(segments.compile_segment(ctx, segment))
    row = (await ctx.session.execute(query)).one()
    return int(row[0]), [int(v) for v in row[1:]]


COLUMNS = (
    ReportColumn("stage", Text("段階", "Stage"), "integer"),
    ReportColumn("label", Text("名前", "Name")),
    ReportColumn("friends", Text("人数", "Friends"), "integer"),
    ReportColumn("conversion", Text("前の段階からの移行率", "Conversion from previous stage"), "percent"),
    ReportColumn("overall", Text("最初の段階からの移行率", "Conversion from first stage"), "percent"),
    ReportColumn("of_population", Text("対象者に対する割合", "Share of population"), "percent"),
    ReportColumn("drop_off", Text("離脱数", "Drop-off"), "integer"),
    ReportColumn("drop_off_rate", Text("離脱率", "Drop-off rate"), "percent"),
)


def funnel_result(labels: Sequence[str], population: int, counts: Sequence[int]) -> ReportResult:
    rows = []
    for k, (label, friends) in enumerate(zip(labels, counts, strict=True)):
        previous = population if k == 0 else counts[k - 1]
        rows.append(
            {
                "stage": k + 1,
                "label": label,
                "friends": friends,
                "conversion": percent(friends, previous),
                "overall": percent(friends, counts[0]),
                "of_population": percent(friends, population),
                "drop_off": previous - friends,
                "drop_off_rate": percent(previous - friends, previous),
            }
        )
    series = ReportSeries(
        "friends", Text("人数", "Friends"), [(label, float(c)) for label, c in zip(labels, counts, strict=True)]
    )
    return ReportResult(columns=COLUMNS, rows=rows, series=[series], chart="funnel")


async def run_funnel(ctx: WorkspaceContext, params: Mapping[str, Any]) -> ReportResult:
    stages_path = "$.stages"
    segment = params.get("segment")
    if "funnel_id" in params:
        saved = await ctx.session.get(Funnel, params["funnel_id"])
        if saved is None:
            raise not_found("funnel")
        stages: Sequence[Mapping[str, Any]] = saved.stages
        segment = segment if segment is not None else saved.segment
        stages_path = "$.funnel_id.stages"  # the saved funnel's stages
    else:
        stages = params["stages"]
    period = params.get("period")
    problems = period_problems(period, "$.period")
    problems += await stage_problems(ctx, stages, stages_path)
    if segment is not None:
        problems += await segments.check_segment(ctx, segment, "$.segment")
    if problems:
        raise invalid(problems)
    population, counts = await count_stages(ctx, stages, period, segment)
    labels = [stage_label(ctx, s, i) for i, s in enumerate(stages)]
    return funnel_result(labels, population, counts)
