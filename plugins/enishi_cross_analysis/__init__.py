"""Cross analysis (クロス分析)."""

from __future__ import annotations

from enishi import PluginManifest, Text

manifest = PluginManifest(
    title=Text(ja="クロス分析", en="Cross analysis"),
    description=Text(
        ja="タグ・友だち情報・対応マーク・担当者・友だち追加月の二つの軸で友だち数を集計します。",
        en="Friend counts across two dimensions: tags, field values or buckets, marks, assignee, follow month.",
    ),
    tier="pro",
    core_api=">=1,<2",
)
