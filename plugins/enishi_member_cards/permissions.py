"""Designing the card and changing points are separate jobs: shop staff add points, managers set up the card."""

from __future__ import annotations

from enishi import Permission, Text

MANAGE = "member_cards.manage"
POINTS = "member_cards.points"

PERMISSIONS = (
    Permission(
        name="manage",
        label=Text("会員証のデザイン・番号体系・ランクの設定", "Card design, member numbers and ranks"),
        roles=frozenset({"owner", "admin"}),
    ),
    Permission(
        name="points",
        label=Text("会員証の発行とポイント・スタンプの加算・減算", "Issue cards; add and subtract points and stamps"),
        roles=frozenset({"owner", "admin", "operator"}),
    ),
)
