"""Reports: the analyses plugins register (``enishi_register_reports``), run and exported as CSV.

    GET  /reports                  the reports of the plugins enabled here, with their parameter schemas
    POST /reports/{key}/run        {params} → columns, rows, series and a chart hint
    POST /reports/{key}/export.csv {params} → the rows as CSV (UTF-8 with BOM, so Excel reads Japanese)

Parameters are checked against the report's ``params_schema`` first (422 with paths such as
``$.params.stages[0]``); checks the schema cannot make (a tag deleted since the report was saved) are the report's
own: its ``run`` raises ``enishi.invalid([...])`` with paths relative to the parameters, and they come back under
``$.params`` too. A report of a plugin that is off in the workspace is not found.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody

from enishi.api.errors import ApiError, invalid, not_found
from enishi.api.params import Ctx
from enishi.registry import Registered, Unavailable
from enishi.schema_validation import SchemaProblem, validate
from enishi.text import Text
from enishi.types import ReportResult, ReportType

RUN = "core.search_friends"
EXPORT = "core.export_friends"


class ReportIn(msgspec.Struct, forbid_unknown_fields=True):
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    lang: str = "ja"


def _text(value: Text | None) -> dict[str, str] | None:
    return None if value is None else {"ja": value.ja, "en": value.en}


def _entry(ctx: Any, key: str) -> Registered[ReportType]:
    try:
        entry: Registered[ReportType] = ctx.host.registry.usable("reports", key, None, ctx.enabled_plugins)
    except Unavailable:
        raise not_found("report") from None
    return entry


def _prefixed(exc: ApiError, prefix: str) -> ApiError:
    if exc.status_code != 422:
        return exc
    errors = [
        {**e, "path": prefix + e["path"][1:] if str(e.get("path", "")).startswith("$") else e.get("path", "")}
        for e in exc.errors
    ]
    return ApiError(422, exc.error, str(exc.detail), errors)


async def run_report(ctx: Any, key: str, params: Mapping[str, Any]) -> ReportResult:
    entry = _entry(ctx, key)
    problems = validate(dict(entry.item.params_schema), params, "$.params")
    if problems:
        raise invalid(problems)
    try:
        return await entry.item.run(ctx, params)
    except ApiError as exc:
        raise _prefixed(exc, "$.params") from None


def result_out(result: ReportResult) -> dict[str, Any]:
    return {
        "chart": result.chart,
        "columns": [{"key": c.key, "label": _text(c.label), "type": c.type} for c in result.columns],
        "rows": [dict(r) for r in result.rows],
        "series": [
            {"key": s.key, "label": _text(s.label), "points": [[x, y] for x, y in s.points]} for s in result.series
        ],
    }


def to_csv(result: ReportResult, lang: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.label.en if lang == "en" else c.label.ja for c in result.columns])
    for row in result.rows:
        writer.writerow(["" if row.get(c.key) is None else _cell(row.get(c.key)) for c in result.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: Any) -> Any:
    if isinstance(value, Text):
        return value.ja
    if isinstance(value, Mapping) and "ja" in value:
        return value["ja"]
    return value


class ReportController(Controller):
    path = "/reports"
    tags = ("reports",)

    @get("/")
    async def catalog(self, ctx: Ctx) -> list[dict[str, Any]]:
        """The reports this workspace can run (plugins enabled here), with parameter schemas for the forms."""
        return [
            {
                "key": e.key,
                "plugin": e.plugin,
                "version": e.version,
                "label": _text(e.item.label),
                "description": _text(e.item.description),
                "params_schema": e.item.params_schema,
                "ui_schema": e.item.ui_schema,
            }
            for e in ctx.host.registry.all("reports", ctx.enabled_plugins)
        ]

    @post("/{key:str}/run", status_code=200, permission=RUN, audit=False)
    async def run(self, ctx: Ctx, key: FromPath[str], data: JSONBody[ReportIn]) -> dict[str, Any]:
        return result_out(await run_report(ctx, key, data.params))

    @post("/{key:str}/export.csv", status_code=200, permission=EXPORT, media_type="text/csv")
    async def export(self, ctx: Ctx, key: FromPath[str], data: JSONBody[ReportIn]) -> Response[bytes]:
        result = await run_report(ctx, key, data.params)
        filename = key.replace(".", "-") + ".csv"
        return Response(
            to_csv(result, data.lang),
            media_type="text/csv",  # Litestar adds "; charset=utf-8" to a text type
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )


__all__ = ["ReportController", "SchemaProblem", "run_report", "to_csv"]
