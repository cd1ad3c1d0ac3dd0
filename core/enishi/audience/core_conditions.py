"""Conditions the core provides on the friends table itself: follow state and dates, last message, name."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_

from enishi.context import WorkspaceContext
from enishi.labelled_choices import choices
from enishi.models.friends import Friend
from enishi.registry import Registered, Registry
from enishi.schema_validation import SchemaProblem
from enishi.text import Text
from enishi.types import ConditionType

DATE = {"type": "string", "format": "date"}


def _day_start(ctx: WorkspaceContext, value: str) -> datetime:
    return datetime.combine(date.fromisoformat(value), time(0, 0), tzinfo=ctx.tz)


def _compile_status(ctx: WorkspaceContext, config: Mapping[str, Any]) -> ColumnElement[bool]:
    return Friend.status == config["status"]


follow_status = ConditionType(
    name="follow_status",
    permission="core.search_friends",
    label=Text("ブロック状態", "Blocked or not"),
    description=Text("友だち登録中か、ブロックされているか。", "Whether the friend follows the account or blocked it."),
    config_schema={
        "type": "object",
        "properties": {
            "status": {
                "type": "string",
                "title": "状態 / Status",
                **choices(("following", "友だち登録中 / Following"), ("blocked", "ブロック中 / Blocked")),
            }
        },
        "required": ["status"],
        "additionalProperties": False,
    },
    compile=_compile_status,
)


def _compile_followed(ctx: WorkspaceContext, config: Mapping[str, Any]) -> ColumnElement[bool]:
    parts = []
    if config.get("from"):
        parts.append(Friend.followed_at >= _day_start(ctx, config["from"]))
    if config.get("to"):  # the whole "to" day counts
        parts.append(Friend.followed_at < _day_start(ctx, config["to"]) + timedelta(days=1))
    if config.get("within_days") is not None:
        parts.append(Friend.followed_at >= ctx.now - timedelta(days=config["within_days"]))
    return and_(*parts)


async def _check_range(ctx: WorkspaceContext, config: Mapping[str, Any]) -> list[SchemaProblem]:
    if config.get("from") and config.get("to") and config["from"] > config["to"]:
        return [SchemaProblem("$.to", "終了日は開始日以降にしてください / must not be before from")]
    return []


RANGE_PROPERTIES = {
    "from": {**DATE, "title": "開始日 / From"},
    "to": {**DATE, "title": "終了日 / To"},
    "within_days": {"type": "integer", "minimum": 0, "maximum": 3650, "title": "直近N日 / Within the last N days"},
}
RANGE_SCHEMA = {
    "type": "object",
    "properties": RANGE_PROPERTIES,
    "additionalProperties": False,
    "minProperties": 1,
}

followed_between = ConditionType(
    name="followed_between",
    permission="core.search_friends",
    label=Text("友だち追加日", "Date followed"),
    description=Text(
        "友だち追加した日が期間内(日付はワークスペースのタイムゾーン)。",
        "Followed within the dates (in the workspace's time zone) or the last N days.",
    ),
    config_schema=RANGE_SCHEMA,
    compile=_compile_followed,
    check_config=_check_range,
)


def _compile_last_inbound(ctx: WorkspaceContext, config: Mapping[str, Any]) -> ColumnElement[bool]:
    if config.get("never"):
        return Friend.last_inbound_at.is_(None)
    parts = []
    if config.get("from"):
        parts.append(Friend.last_inbound_at >= _day_start(ctx, config["from"]))
    if config.get("to"):
        parts.append(Friend.last_inbound_at < _day_start(ctx, config["to"]) + timedelta(days=1))
    if config.get("within_days") is not None:
        parts.append(Friend.last_inbound_at >= ctx.now - timedelta(days=config["within_days"]))
    if config.get("not_within_days") is not None:
        cutoff = ctx.now - timedelta(days=config["not_within_days"])
        parts.append(or_(Friend.last_inbound_at.is_(None), Friend.last_inbound_at < cutoff))
    return and_(*parts)


last_inbound = ConditionType(
    name="last_inbound",
    permission="core.search_friends",
    label=Text("最後にメッセージをくれた日", "Last message from the friend"),
    description=Text(
        "友だちから最後にメッセージが届いた日時で絞り込みます(一度もない、直近N日以内、N日以上ない等)。",
        "When the friend last sent a message: within dates, within the last N days, not for N days, or never.",
    ),
    config_schema={
        "type": "object",
        "properties": {
            **RANGE_PROPERTIES,
            "not_within_days": {
                "type": "integer",
                "minimum": 1,
                "maximum": 3650,
                "title": "N日以上メッセージなし / No message for N days",
            },
            "never": {"type": "boolean", "title": "一度もない / Never", "const": True},
        },
        "additionalProperties": False,
        "minProperties": 1,
    },
    compile=_compile_last_inbound,
    check_config=_check_range,
)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _compile_name(ctx: WorkspaceContext, config: Mapping[str, Any]) -> ColumnElement[bool]:
    text = config["text"].casefold()
    name = func.lower(Friend.display_name)
    match = config.get("match", "contains")
    if match == "equals":
        return name == text
    pattern = _like_escape(text) + "%" if match == "starts_with" else "%" + _like_escape(text) + "%"
    return name.like(pattern, escape="\\")


display_name = ConditionType(
    name="display_name",
    permission="core.search_friends",
    label=Text("LINEの表示名", "LINE display name"),
    description=Text(
        "表示名が一致・含む・前方一致。", "The LINE display name equals, contains or starts with the text."
    ),
    config_schema={
        "type": "object",
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 200, "title": "文字 / Text"},
            "match": {
                "type": "string",
                "title": "一致条件 / Match",
                **choices(
                    ("contains", "含む / Contains"),
                    ("equals", "完全一致 / Is exactly"),
                    ("starts_with", "前方一致 / Starts with"),
                ),
                "default": "contains",
            },
        },
        "required": ["text"],
        "additionalProperties": False,
    },
    compile=_compile_name,
)

CORE_CONDITIONS = (follow_status, followed_between, last_inbound, display_name)


def register_core_conditions(registry: Registry) -> None:
    from enishi.version import CORE_API_VERSION

    for item in CORE_CONDITIONS:
        key = f"core.{item.name}"
        registry.add("conditions", Registered(key=key, plugin="core", plugin_version=CORE_API_VERSION, item=item))
