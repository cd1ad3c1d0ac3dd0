"""Scenario and segment building blocks: triggers points_reached and rank_changed, the add_points action, and
the conditions points (compare) and rank_is.

Ranks are named by their names in the design; ``check_config`` reports names the design no longer has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, not_, select
from sqlalchemy import text as sql

from enishi import (
    ActionContext,
    ActionType,
    BulkActionContext,
    ConditionType,
    DomainEvent,
    Friend,
    FriendSend,
    SchemaProblem,
    Text,
    TriggerType,
    WorkspaceContext,
    choices,
    send_to_friend,
    send_to_friends,
)
from enishi_member_cards import links, service
from enishi_member_cards.events import POINTS_CHANGED, RANK_CHANGED
from enishi_member_cards.models import RANK_MAX, REASON_MAX, Card

MAX_DELTA = 1_000_000_000
MISSING_RANK = "ランクが見つかりません(会員証の設定で削除された可能性があります) / no such rank in the card design"
RANK_PICKER = {"ui:options": {"lookup": "member_cards.ranks"}}


def _ranks(title: str, description: str, min_items: int = 0) -> dict[str, Any]:
    return {
        "type": "array",
        "title": title,
        "description": description,
        "items": {"type": "string", "minLength": 1, "maxLength": RANK_MAX},
        "minItems": min_items,
        "maxItems": 50,
        "uniqueItems": True,
    }


async def _missing_ranks(ctx: WorkspaceContext, config: Mapping[str, Any], field: str) -> list[SchemaProblem]:
    design = await service.design_of(ctx)
    known = {str(r["name"]) for r in design.ranks}
    return [
        SchemaProblem(f"$.{field}[{n}]", MISSING_RANK)
        for n, name in enumerate(config.get(field) or ())
        if name not in known
    ]


# --- triggers ------------------------------------------------------------------------------------------------


def points_reached_matches(config: Mapping[str, Any], event: DomainEvent) -> bool:
    """The change took the points from below the threshold to at least the threshold."""
    if event.name != POINTS_CHANGED:
        return False
    threshold = int(config.get("threshold", 0))
    old, new = event.data.get("old_points"), event.data.get("new_points")
    return isinstance(old, int) and isinstance(new, int) and old < threshold <= new


points_reached = TriggerType(
    name="points_reached",
    permission="core.search_friends",
    label=Text("ポイントが指定値に達したとき", "When points reach a threshold"),
    description=Text(
        "会員証のポイントが指定した値に達したとき(下回っていた値から到達したとき)に開始します。",
        "Starts when a card's points go from below the threshold to at least the threshold.",
    ),
    config_schema={
        "type": "object",
        "properties": {
            "threshold": {"type": "integer", "title": "ポイント / Points", "minimum": 1, "maximum": MAX_DELTA}
        },
        "required": ["threshold"],
        "additionalProperties": False,
    },
    listens_to=(POINTS_CHANGED,),
    matches=points_reached_matches,
)


def rank_changed_matches(config: Mapping[str, Any], event: DomainEvent) -> bool:
    if event.name != RANK_CHANGED:
        return False
    wanted = config.get("to_ranks") or []
    return not wanted or event.data.get("to_rank") in wanted


async def check_rank_changed(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    return await _missing_ranks(ctx, config, "to_ranks")


rank_changed = TriggerType(
    name="rank_changed",
    permission="core.search_friends",
    label=Text("ランクが変わったとき", "When the rank changes"),
    description=Text(
        "ポイントの増減で会員ランクが変わったときに開始します。変更後のランクで絞り込めます。",
        "Starts when a change of points moves a card to another rank, optionally only to certain ranks.",
    ),
    config_schema={
        "type": "object",
        "properties": {
            "to_ranks": _ranks("変更後のランク / New rank", "空ならどのランクへの変更でも開始 / empty: any rank")
        },
        "additionalProperties": False,
    },
    ui_schema={"to_ranks": RANK_PICKER},
    listens_to=(RANK_CHANGED,),
    matches=rank_changed_matches,
    check_config=check_rank_changed,
)


# --- action --------------------------------------------------------------------------------------------------

ADD_POINTS_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "delta": {
            "type": "integer",
            "title": "ポイント / Points",
            "description": "マイナスで減算 / negative subtracts",
            "minimum": -MAX_DELTA,
            "maximum": MAX_DELTA,
        },
        "stamps": {
            "type": "integer",
            "title": "スタンプ / Stamps",
            "minimum": -10_000,
            "maximum": 10_000,
            "default": 0,
        },
        "reason": {"type": "string", "title": "理由 / Reason", "maxLength": REASON_MAX, "default": ""},
    },
    "required": ["delta"],
    "additionalProperties": False,
}


async def run_add_points(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    """Issues the card first if the friend has none; a subtraction below zero is skipped, not failed."""
    if await service.already_applied(ctx, ctx.idempotency_key):
        return {"changed": False, "skipped": "already_applied"}
    await service.issue(ctx, friend_id, source=ctx.source)
    try:
        done = await service.change(
            ctx,
            friend_id,
            int(config["delta"]),
            int(config.get("stamps", 0)),
            reason=str(config.get("reason", "")),
            source=ctx.source,
            idempotency_key=ctx.idempotency_key,
        )
    except service.NotEnough as exc:
        return {"changed": False, "skipped": f"not_enough_{'points' if exc.field == 'delta' else 'stamps'}"}
    return {"changed": True, "points": done.points, "rank": done.rank}


async def run_add_points_bulk(ctx: WorkspaceContext, friend_ids: Select[Any], config: Mapping[str, Any]) -> int:
    await service.issue_many(ctx, friend_ids)
    return await service.change_many(
        ctx,
        friend_ids,
        int(config["delta"]),
        int(config.get("stamps", 0)),
        reason=str(config.get("reason", "")),
        source=getattr(ctx, "source", "bulk"),
    )


add_points = ActionType(
    name="add_points",
    permission="member_cards.points",
    label=Text("ポイントを加算・減算", "Add or subtract points"),
    description=Text(
        "会員証のポイント(とスタンプ)を加算します。マイナスで減算。会員証がなければ発行します。"
        "0未満になる減算は行いません(設定で許可した場合を除く)。",
        "Adds points (and stamps) to the friend's card, issuing one if needed; negative values subtract. "
        "A subtraction below zero is skipped unless the design allows negative points.",
    ),
    config_schema=ADD_POINTS_CONFIG,
    run=run_add_points,
    run_bulk=run_add_points_bulk,
)


MAX_LINK_MINUTES = 30 * 24 * 60
SEND_LINK_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "text": {
            "type": "string",
            "title": "メッセージ / Message",
            "minLength": 1,
            "maxLength": 1000,
            "default": "会員証はこちらからご覧いただけます。",
            "description": "リンクはこの文のあとに付きます / the link follows this text",
        },
        "minutes": {
            "type": "integer",
            "title": "リンクの有効期間(分) / Link valid for (minutes)",
            "minimum": 5,
            "maximum": MAX_LINK_MINUTES,
            "default": 24 * 60,
        },
    },
    "additionalProperties": False,
}


async def has_login_channel(ctx: WorkspaceContext) -> bool:
    # Raw SQL names the workspace itself (the workspaces table is not workspace-owned).
    found = await ctx.session.scalar(
        sql("SELECT line_login_channel_id FROM workspaces WHERE id = :id"), {"id": ctx.workspace_id}
    )
    return bool(found)


def signed_link(ctx: WorkspaceContext, friend_id: int, ttl: timedelta) -> str:
    token = links.sign(ctx.settings.secret_keys, ctx.workspace_id, friend_id, ctx.now, ttl)
    return f"{ctx.settings.public_url}/p/member_cards/card/{token}"


async def run_send_card_link(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    """Sends the friend the link to their card page, issuing the card first if the friend has none: the LINE Login
    URL where the workspace has a login channel (opened in LINE, it knows who they are), else a signed link that
    expires after ``minutes``."""
    card, _ = await service.issue(ctx, friend_id, source=ctx.source)
    minutes = int(config.get("minutes", 24 * 60))
    if await has_login_channel(ctx):
        link = links.login_url(ctx.settings.public_url, ctx.workspace_id)
    else:
        link = signed_link(ctx, friend_id, timedelta(minutes=minutes))
    text = str(config.get("text") or SEND_LINK_CONFIG["properties"]["text"]["default"])
    request = await send_to_friend(
        ctx,
        ctx.workspace_id,
        friend_id,
        [{"type": "text", "text": f"{text}\n{link}"}],
        idempotency_key=ctx.idempotency_key,
        source=ctx.source,
        sent_by_user_id=ctx.actor_user_id,
    )
    return {"member_number": card.member_number, "line_request_id": request.id}


async def run_send_card_link_bulk(
    ctx: BulkActionContext, friend_ids: Select[Any], config: Mapping[str, Any]
) -> Mapping[int, Mapping[str, Any]]:
    """The set-based form: cards issued with one INSERT … SELECT, every link sent in one write to the outbox."""
    await service.issue_many(ctx, friend_ids)
    cards = dict(
        (
            await ctx.session.execute(
                select(Card.friend_id, Card.member_number).where(Card.friend_id.in_(friend_ids.correlate(None)))
            )
        ).all()
    )
    minutes = timedelta(minutes=int(config.get("minutes", 24 * 60)))
    message = str(config.get("text") or SEND_LINK_CONFIG["properties"]["text"]["default"])
    login = links.login_url(ctx.settings.public_url, ctx.workspace_id) if await has_login_channel(ctx) else None

    def link(friend_id: int) -> str:
        return login or signed_link(ctx, friend_id, minutes)

    sends = [FriendSend(f, ctx.key_for(f), [{"type": "text", "text": f"{message}\n{link(f)}"}]) for f in cards]
    sent = await send_to_friends(ctx, sends, source=ctx.source, sent_by_user_id=ctx.actor_user_id)
    return {f: {"member_number": cards[f], "line_request_id": row.id} for f, row in sent.items()}


send_card_link = ActionType(
    name="send_card_link",
    permission="member_cards.points",
    label=Text("会員証のリンクを送る", "Send the member card link"),
    description=Text(
        "友だちに会員証ページへのリンク(期限付き)をメッセージで送ります。会員証がなければ発行します。",
        "Sends the friend a message with an expiring link to their card page, issuing the card if needed.",
    ),
    config_schema=SEND_LINK_CONFIG,
    run=run_send_card_link,
    run_bulk=run_send_card_link_bulk,
    sends_messages=True,
)


# --- conditions ----------------------------------------------------------------------------------------------

OPERATORS = {
    "gte": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "lte": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
}
OPERATOR_LABELS = {
    "gte": "以上 (≥) / At least (≥)",
    "gt": "より大きい (>) / More than (>)",
    "lte": "以下 (≤) / At most (≤)",
    "lt": "未満 (<) / Less than (<)",
    "eq": "等しい (=) / Equal to (=)",
    "ne": "等しくない (≠) / Not equal to (≠)",
}


def card_value(field: str) -> ColumnElement[Any]:
    """The friend's points or stamps, correlated with ``friends.id``; 0 for a friend without a card."""
    column = Card.points if field == "points" else Card.stamps
    value = select(column).where(Card.friend_id == Friend.id).correlate(Friend).scalar_subquery()
    return func.coalesce(value, 0)


def compile_points(ctx: WorkspaceContext, config: Mapping[str, Any]) -> ColumnElement[bool]:
    field = config.get("field", "points")
    operator = OPERATORS.get(str(config.get("operator")))
    if field not in ("points", "stamps") or operator is None:
        raise ValueError(f"bad points condition {dict(config)!r}")
    result: ColumnElement[bool] = operator(card_value(field), int(config["value"]))
    return result


points = ConditionType(
    name="points",
    permission="core.search_friends",
    label=Text("ポイント・スタンプ数", "Points or stamps"),
    description=Text(
        "会員証のポイント(またはスタンプ数)を値と比べます。会員証のない友だちは0として扱います。",
        "Compares the card's points (or stamps) with a value; friends without a card count as 0.",
    ),
    config_schema={
        "type": "object",
        "properties": {
            "field": {
                "type": "string",
                "title": "対象 / Of",
                **choices(("points", "ポイント / Points"), ("stamps", "スタンプ数 / Stamps")),
                "default": "points",
            },
            "operator": {
                "type": "string",
                "title": "比較 / Comparison",
                **choices(*OPERATOR_LABELS.items()),
                "default": "gte",
            },
            "value": {"type": "integer", "title": "値 / Value", "minimum": -MAX_DELTA, "maximum": MAX_DELTA},
        },
        "required": ["operator", "value"],
        "additionalProperties": False,
    },
    compile=compile_points,
)


def compile_rank_is(ctx: WorkspaceContext, config: Mapping[str, Any]) -> ColumnElement[bool]:
    names = sorted(set(config.get("ranks") or ()))
    match = config.get("match", "any")
    if match not in ("any", "none"):
        raise ValueError(f"match must be any or none, not {match!r}")
    rank = select(Card.rank).where(Card.friend_id == Friend.id).correlate(Friend).scalar_subquery()
    is_one = func.coalesce(rank, "").in_(names)
    return is_one if match == "any" else not_(is_one)


async def check_rank_is(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    return await _missing_ranks(ctx, config, "ranks")


rank_is = ConditionType(
    name="rank_is",
    permission="core.search_friends",
    label=Text("会員ランク", "Member rank"),
    description=Text(
        "会員ランクが指定したランクのいずれかである(またはどれでもない)友だち。",
        "Friends whose card rank is one of the ranks (or none of them).",
    ),
    config_schema={
        "type": "object",
        "properties": {
            "ranks": _ranks("ランク / Ranks", "いずれかのランク / any of these ranks", min_items=1),
            "match": {
                "type": "string",
                "title": "条件 / Match",
                **choices(("any", "いずれかである / Is one of them"), ("none", "どれでもない / Is none of them")),
                "default": "any",
            },
        },
        "required": ["ranks"],
        "additionalProperties": False,
    },
    ui_schema={"ranks": RANK_PICKER, "match": {"ui:widget": "radio"}},
    compile=compile_rank_is,
    check_config=check_rank_is,
)
