"""Member number, points, stamps and rank as typed friend data: profile, list columns, sorting and message
variables (``{{member_cards.member_number}}``, ``{{member_cards.points}}``, ``{{member_cards.rank}}``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select

from enishi import Friend, FriendFieldDescriptor, FriendFieldSource, Text, WorkspaceContext
from enishi_member_cards.models import Card

FIELDS = (
    FriendFieldDescriptor("member_number", Text("会員番号", "Member number"), {"type": "string"}, sortable=True),
    FriendFieldDescriptor("points", Text("ポイント", "Points"), {"type": "integer"}, sortable=True),
    FriendFieldDescriptor("stamps", Text("スタンプ", "Stamps"), {"type": "integer"}, sortable=True),
    FriendFieldDescriptor("rank", Text("会員ランク", "Member rank"), {"type": "string"}, sortable=True),
)
KEYS = tuple(f.key for f in FIELDS)


async def describe(ctx: WorkspaceContext) -> Sequence[FriendFieldDescriptor]:
    return FIELDS


async def load(
    ctx: WorkspaceContext, friend_ids: Sequence[int], keys: Sequence[str]
) -> Mapping[int, Mapping[str, Any]]:
    """The cards of a page of friends in one query; friends without a card are left out."""
    wanted = [k for k in keys if k in KEYS]
    if not wanted or not friend_ids:
        return {}
    rows = await ctx.session.execute(
        select(Card.friend_id, Card.member_number, Card.points, Card.stamps, Card.rank).where(
            Card.workspace_id == ctx.workspace_id, Card.friend_id.in_(list(friend_ids))
        )
    )
    out: dict[int, Mapping[str, Any]] = {}
    for friend_id, number, points, stamps, rank in rows:
        values = {"member_number": number, "points": int(points), "stamps": int(stamps), "rank": rank}
        out[friend_id] = {k: values[k] for k in wanted if values[k] is not None}
    return out


def column(ctx: WorkspaceContext, key: str) -> ColumnElement[Any]:
    if key not in KEYS:
        raise KeyError(key)
    value = select(getattr(Card, key)).where(Card.friend_id == Friend.id).correlate(Friend).scalar_subquery()
    return value.label(f"member_cards_{key}")


card_field = FriendFieldSource(
    name="card", label=Text("会員証", "Member card"), describe=describe, load=load, column=column
)
