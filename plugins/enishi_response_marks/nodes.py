"""Scenario and segment building blocks: the mark_changed trigger, the set_mark action and the mark_is condition.

Configs name marks by id, never by label, so renaming a mark keeps every scenario and segment that uses it;
``check_config`` reports ids of marks that do not exist (any more) in the workspace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, literal, not_, or_, select

from enishi import (
    ActionContext,
    ActionType,
    ConditionType,
    DomainEvent,
    Friend,
    SchemaProblem,
    Text,
    TriggerType,
    WorkspaceContext,
    choices,
    missing_ids,
)
from enishi_response_marks import service
from enishi_response_marks.events import MARK_CHANGED
from enishi_response_marks.models import FriendMark, Mark

MAX_MARKS_PER_NODE = 100
MISSING = "対応マークが見つかりません(削除された可能性があります) / no such mark in this workspace (deleted?)"
MARK_PICKER = {"ui:options": {"lookup": "response_marks.marks"}}  # the builder offers the workspace's marks


def _mark_ids(title: str, description: str) -> dict[str, Any]:
    return {
        "type": "array",
        "title": title,
        "description": description,
        "items": {"type": "integer", "minimum": 1},
        "maxItems": MAX_MARKS_PER_NODE,
        "uniqueItems": True,
        "default": [],
    }


MARK_CHANGED_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "to_mark_ids": _mark_ids(
            "変更後のマーク / New mark", "空ならどのマークへの変更でも開始 / empty: a change to any mark"
        ),
        "to_no_mark": {
            "type": "boolean",
            "title": "マークが外されたときも / Also when the mark is cleared",
            "default": False,
        },
        "from_mark_ids": _mark_ids(
            "変更前のマーク / Previous mark", "空なら変更前のマークは問わない / empty: from any mark"
        ),
        "from_no_mark": {
            "type": "boolean",
            "title": "マークがなかった友だちも / Also from no mark",
            "default": False,
        },
    },
    "additionalProperties": False,
}

SET_MARK_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "mark_id": {
            "type": ["integer", "null"],
            "minimum": 1,
            "title": "対応マーク / Mark",
            "description": "空にするとマークを外します / empty: clears the mark",
        }
    },
    "required": ["mark_id"],
    "additionalProperties": False,
}

MARK_IS_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "mark_ids": _mark_ids("対応マーク / Marks", "いずれかのマーク / any of these marks"),
        "no_mark": {"type": "boolean", "title": "マークなしも含める / Or no mark", "default": False},
        "match": {
            "type": "string",
            "title": "条件 / Match",
            **choices(("any", "いずれかである / Is one of them"), ("none", "どれでもない / Is none of them")),
            "default": "any",
        },
    },
    # Something to compare with: at least one mark, or "no mark".
    "anyOf": [
        {"required": ["mark_ids"], "properties": {"mark_ids": {"minItems": 1}}},
        {"required": ["no_mark"], "properties": {"no_mark": {"const": True}}},
    ],
    "additionalProperties": False,
}


async def _missing_at(ctx: WorkspaceContext, config: Mapping[str, Any], *fields: str) -> list[SchemaProblem]:
    """A problem per id of a mark that is not in this workspace, e.g. ``$.to_mark_ids[1]``."""
    wanted = {i for f in fields for i in (config.get(f) or ()) if isinstance(i, int)}
    missing = await missing_ids(ctx, Mark.id, sorted(wanted))
    return [
        SchemaProblem(f"$.{f}[{n}]", MISSING)
        for f in fields
        for n, mark_id in enumerate(config.get(f) or ())
        if mark_id in missing
    ]


# --- trigger -------------------------------------------------------------------------------------------------


def _side_matches(ids: Sequence[int] | None, no_mark: bool, value: Any) -> bool:
    if not ids and not no_mark:
        return True  # nothing chosen: any mark, or none
    return (value is None and no_mark) or (value is not None and value in set(ids or ()))


def mark_changed_matches(config: Mapping[str, Any], event: DomainEvent) -> bool:
    """The change went to one of the chosen marks (or to none) from one of the chosen marks (or from none)."""
    if event.name != MARK_CHANGED or "to_mark_id" not in event.data:
        return False
    return _side_matches(
        config.get("to_mark_ids"), bool(config.get("to_no_mark")), event.data.get("to_mark_id")
    ) and _side_matches(config.get("from_mark_ids"), bool(config.get("from_no_mark")), event.data.get("from_mark_id"))


async def check_mark_changed(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    return await _missing_at(ctx, config, "to_mark_ids", "from_mark_ids")


mark_changed = TriggerType(
    name="mark_changed",
    permission="core.search_friends",
    label=Text("対応マークが変わったとき", "When a response mark changes"),
    description=Text(
        "友だちの対応マークが変わったときに開始します。変更後・変更前のマークで絞り込めます"
        "(同じマークを付け直しても開始しません)。",
        "Starts when a friend's response mark changes, optionally only to or from certain marks "
        "(setting the same mark again does not start it).",
    ),
    config_schema=MARK_CHANGED_CONFIG,
    ui_schema={"to_mark_ids": MARK_PICKER, "from_mark_ids": MARK_PICKER},
    listens_to=(MARK_CHANGED,),
    matches=mark_changed_matches,
    check_config=check_mark_changed,
)


# --- action --------------------------------------------------------------------------------------------------


async def _mark_exists(ctx: WorkspaceContext, mark_id: int | None) -> bool:
    return mark_id is None or await ctx.session.get(Mark, mark_id) is not None


async def run_set_mark(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    # The scoped session does not find another workspace's friend, exactly like a missing one.
    if await ctx.session.get(Friend, friend_id) is None:
        raise LookupError(f"friend {friend_id} is not in workspace {ctx.workspace_id}")
    mark_id = config.get("mark_id")
    if not await _mark_exists(ctx, mark_id):
        # Deleted since the scenario was saved: skipped (and said so) rather than failing the whole step.
        return {"changed": False, "skipped": "mark_not_found"}
    one = select(literal(friend_id, Friend.id.type))
    change = await service.set_friend_marks(ctx, one, mark_id, source=ctx.source)
    return {"changed": change.friends > 0, "mark_id": mark_id}


async def run_set_mark_bulk(ctx: WorkspaceContext, friend_ids: Select[Any], config: Mapping[str, Any]) -> int:
    """How many friends' marks changed; a mark deleted meanwhile changes nobody."""
    mark_id = config.get("mark_id")
    if not await _mark_exists(ctx, mark_id):
        return 0
    return (await service.set_friend_marks(ctx, friend_ids, mark_id, source=getattr(ctx, "source", "bulk"))).friends


async def check_set_mark(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    mark_id = config.get("mark_id")
    if isinstance(mark_id, int) and not await _mark_exists(ctx, mark_id):
        return [SchemaProblem("$.mark_id", MISSING)]
    return []


set_mark = ActionType(
    name="set_mark",
    permission="response_marks.assign",
    label=Text("対応マークを設定", "Set response mark"),
    description=Text(
        "友だちの対応マークを指定したマークにします。空にするとマークを外します。",
        "Sets the friend's response mark; empty clears it.",
    ),
    config_schema=SET_MARK_CONFIG,
    ui_schema={"mark_id": MARK_PICKER},
    run=run_set_mark,
    run_bulk=run_set_mark_bulk,
    check_config=check_set_mark,
)


# --- condition -----------------------------------------------------------------------------------------------


def compile_mark_is(ctx: WorkspaceContext, config: Mapping[str, Any]) -> ColumnElement[bool]:
    """Correlated with ``friends.id``: one expression for a single friend's branch and for a whole segment.

    Answered from the friend's one mark row (primary key friend_id); no workspace filter is needed since friend
    ids are unique across workspaces and the outer query is scoped.
    """
    mark_ids = sorted(set(config.get("mark_ids") or ()))
    match = config.get("match", "any")
    if match not in ("any", "none"):
        raise ValueError(f"match must be any or none, not {match!r}")
    parts: list[ColumnElement[bool]] = []
    if mark_ids:
        parts.append(exists().where(FriendMark.friend_id == Friend.id, FriendMark.mark_id.in_(mark_ids)))
    if config.get("no_mark"):
        parts.append(~exists().where(FriendMark.friend_id == Friend.id))
    is_one = or_(*parts) if parts else false()
    return is_one if match == "any" else not_(is_one)


async def check_mark_is(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    return await _missing_at(ctx, config, "mark_ids")


mark_is = ConditionType(
    name="mark_is",
    permission="core.search_friends",
    label=Text("対応マーク", "Response mark"),
    description=Text(
        "対応マークが指定したマークのいずれか(またはマークなし)である友だち、またはどれでもない友だち。",
        "Friends whose response mark is one of the marks (or who have none), or is none of them.",
    ),
    config_schema=MARK_IS_CONFIG,
    ui_schema={"mark_ids": MARK_PICKER, "match": {"ui:widget": "radio"}},
    compile=compile_mark_is,
    check_config=check_mark_is,
)
