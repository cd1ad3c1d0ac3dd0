"""Cross analysis (クロス分析): friend counts over two dimensions, as a matrix with totals and percentages.

The report ``cross_analysis.cross`` runs through the core's report API (``/api/workspaces/{id}/reports``), with
CSV export; dimensions are described in :mod:`enishi_cross_analysis.dimensions`.
"""

from __future__ import annotations

from enishi import PluginManifest, Register, ReportType, Text, hookimpl
from enishi_cross_analysis.report import PARAMS_SCHEMA, run_cross

manifest = PluginManifest(
    title=Text(ja="クロス分析", en="Cross analysis"),
    description=Text(
        ja="タグ・友だち情報・対応マーク・担当者・友だち追加月の二つの軸で友だち数を集計します。",
        en="Friend counts across two dimensions: tags, field values or buckets, marks, assignee, follow month.",
    ),
    tier="pro",
    core_api=">=1,<2",
)


cross_report = ReportType(
    name="cross",
    label=Text("クロス分析", "Cross analysis"),
    description=Text(
        "二つの軸(タグ・友だち情報の選択肢や範囲・年代・対応マーク・担当者・友だち追加月・任意の条件)で友だち数を集計。",
        "Friend counts across two dimensions (tags, field options or ranges, age groups, marks, assignee, "
        "follow month, any conditions), with totals and percentages.",
    ),
    params_schema=PARAMS_SCHEMA,
    run=run_cross,
)


@hookimpl
def enishi_register_reports(register: Register[ReportType]) -> None:
    register(cross_report)
