"""Scenario and segment building blocks: the ``assigned`` trigger, the ``assign`` and ``notify_staff`` actions and
the ``assignee_is`` condition.

Configs name staff by user id and pools by id. ``check_config`` refuses users who are not staff of the workspace
(any more) and pools that were deleted, so the builder flags such a node and the engine does not run it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, literal, select

from enishi import (
    ActionContext,
    ActionType,
    BulkActionContext,
    ConditionType,
    DomainEvent,
    Friend,
    InvalidConfig,
    SchemaProblem,
    Text,
    TriggerType,
    User,
    WorkspaceContext,
    choices,
)
from enishi_assignment import notifications, service, staff
from enishi_assignment.events import ASSIGNED
from enishi_assignment.models import Assignee, Pool

MAX_USERS_PER_NODE = 100

USER_IDS_SCHEMA: Mapping[str, Any] = {
    "type": "array",
    "title": "スタッフ / Staff",
    "items": {"type": "integer", "minimum": 1},
    "minItems": 1,
    "maxItems": MAX_USERS_PER_NODE,
    "uniqueItems": True,
}

ASSIGNED_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "title": "担当者が決まったとき / When an assignee is set",
    "properties": {
        "to_user_ids": {
            **USER_IDS_SCHEMA,
            "title": "担当者(空欄ならだれでも) / Assignees (empty: anyone)",
        },
    },
    "additionalProperties": False,
}

ASSIGN_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "title": "担当者を設定 / Set the assignee",
    "properties": {
        "user_id": {"type": "integer", "minimum": 1, "title": "担当スタッフ / Staff member"},
        "pool_id": {"type": "integer", "minimum": 1, "title": "振り分けグループ / Round-robin pool"},
        "unassign": {"type": "boolean", "const": True, "title": "担当者を外す / Unassign"},
        "keep_existing": {
            "type": "boolean",
            "default": False,
            "title": "担当者がいる友だちはそのまま / Keep an existing assignee",
        },
    },
    "additionalProperties": False,
    # Exactly one of the three ways; keeping an existing assignee makes no sense when unassigning.
    "oneOf": [
        {"title": "スタッフを指定 / A staff member", "required": ["user_id"]},
        {"title": "グループで順番に振り分け / Round-robin over a pool", "required": ["pool_id"]},
        {
            "title": "担当者を外す / Unassign",
            "required": ["unassign"],
            "not": {"required": ["keep_existing"], "properties": {"keep_existing": {"const": True}}},
        },
    ],
}

ASSIGNEE_IS_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "title": "担当者 / Assignee",
    "properties": {
        "match": {
            "type": "string",
            "title": "条件 / Match",
            **choices(
                ("any_of", "指定したスタッフのいずれかが担当 / Assigned to one of them"),
                ("not_any_of", "指定したスタッフ以外(未割り当てを含む) / Anyone else, or nobody"),
                ("anybody", "担当者あり / Has an assignee"),
                ("nobody", "未割り当て / Unassigned"),
            ),
            "default": "any_of",
        },
        "user_ids": USER_IDS_SCHEMA,
    },
    "required": ["match"],
    "additionalProperties": False,
    "if": {"properties": {"match": {"enum": ["any_of", "not_any_of"]}}},
    "then": {"required": ["user_ids"]},
}

NOTIFY_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "title": "スタッフに通知 / Notify staff",
    "properties": {
        "to": {
            "type": "string",
            "title": "通知先 / Recipients",
            **choices(
                ("assignee", "担当者(いなければ下のスタッフ) / The assignee (or the staff below if nobody)"),
                ("user_ids", "下のスタッフ / The staff below"),
            ),
            "default": "assignee",
        },
        "user_ids": USER_IDS_SCHEMA,
        "message": {
            "type": "string",
            "title": "メッセージ / Message",
            "minLength": 1,
            "maxLength": 1000,
            "pattern": r"\S",
            "description": "{{friend.display_name}} で友だちの名前を入れられます / inserts the friend's name",
        },
    },
    "required": ["to", "message"],
    "additionalProperties": False,
    "if": {"properties": {"to": {"const": "user_ids"}}},
    "then": {"required": ["user_ids"]},
}

# The builder offers the workspace's staff (GET …/assignment/staff) and pools (GET …/assignment/pools).
STAFF_PICKER = {"ui:options": {"lookup": "assignment.staff"}}
POOL_PICKER = {"ui:options": {"lookup": "assignment.pools"}}


# --- checks against the workspace ---------------------------------------------------------------------------


async def _non_staff_problems(ctx: WorkspaceContext, ids: Sequence[int], path: str) -> list[SchemaProblem]:
    gone = await staff.non_staff(ctx, ids)
    return [
        SchemaProblem(f"{path}[{i}]", "このワークスペースのスタッフではありません / not a staff member here")
        for i, user_id in enumerate(ids)
        if user_id in gone
    ]


async def check_user_ids(ctx: WorkspaceContext, config: Mapping[str, Any], key: str) -> list[SchemaProblem]:
    return await _non_staff_problems(ctx, list(config.get(key) or ()), f"$.{key}")


async def check_assigned(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    return await check_user_ids(ctx, config, "to_user_ids")


async def check_assign(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    if "user_id" in config and await staff.non_staff(ctx, [config["user_id"]]):
        return [SchemaProblem("$.user_id", "このワークスペースのスタッフではありません / not a staff member here")]
    if "pool_id" in config and await ctx.session.get(Pool, config["pool_id"]) is None:
        return [SchemaProblem("$.pool_id", "振り分けグループが見つかりません / no such pool (deleted?)")]
    return []


async def check_assignee_is(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    if config.get("match") in ("anybody", "nobody"):
        return []  # user_ids are not used then
    return await check_user_ids(ctx, config, "user_ids")


async def check_notify(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    problems = await check_user_ids(ctx, config, "user_ids")
    unknown = notifications.unknown_variables(str(config.get("message", "")))
    if unknown:
        problems.append(
            SchemaProblem(
                "$.message",
                f"使えない変数です / unknown variable: {', '.join(sorted(set(unknown)))} "
                f"(使えるもの / allowed: {', '.join(sorted(notifications.VARIABLES))})",
            )
        )
    return problems


# --- trigger -----------------------------------------------------------------------------------------------


def assigned_matches(config: Mapping[str, Any], event: DomainEvent) -> bool:
    """Someone became the friend's assignee (one of ``to_user_ids`` when given); unassigning does not match."""
    to_user_id = event.data.get("to_user_id")
    if to_user_id is None:
        return False
    wanted = config.get("to_user_ids")
    return not wanted or to_user_id in set(wanted)


assigned = TriggerType(
    name="assigned",
    permission="core.search_friends",
    label=Text("担当者が決まったとき", "When an assignee is set"),
    description=Text(
        "友だちの担当者が設定・変更されたときに開始します(指定したスタッフが担当になったときだけにもできます)。",
        "Starts when a friend gets an assignee or a new one (optionally only when it is one of the staff given).",
    ),
    config_schema=ASSIGNED_CONFIG,
    ui_schema={"to_user_ids": STAFF_PICKER},
    listens_to=(ASSIGNED,),
    matches=assigned_matches,
    check_config=check_assigned,
)


# --- actions -----------------------------------------------------------------------------------------------


async def _one_friend(ctx: WorkspaceContext, friend_id: int) -> Friend:
    # The scoped session does not find another workspace's friend, exactly like a missing one.
    friend = await ctx.session.get(Friend, friend_id)
    if friend is None:
        raise LookupError(f"friend {friend_id} is not in workspace {ctx.workspace_id}")
    return friend


async def _refuse_non_staff(ctx: WorkspaceContext, config: Mapping[str, Any]) -> None:
    """The engine checks configs before running them; this keeps a direct call from assigning a non-member."""
    problems = list(await check_assign(ctx, config))
    if problems:
        raise InvalidConfig(problems)


async def change(ctx: WorkspaceContext, friend_ids: Select[Any], config: Mapping[str, Any], source: str) -> int:
    """Apply an ``assign`` config to every friend ``friend_ids`` yields; how many friends changed."""
    await _refuse_non_staff(ctx, config)
    keep = bool(config.get("keep_existing", False))
    if config.get("unassign"):
        result = await service.unassign(ctx, friend_ids, source=source)
    elif "pool_id" in config:
        result = await service.assign_from_pool(ctx, friend_ids, config["pool_id"], source=source, keep_existing=keep)
    else:
        result = await service.assign(ctx, friend_ids, config["user_id"], source=source, keep_existing=keep)
    return result.friends


async def run_assign(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    await _one_friend(ctx, friend_id)
    changed = await change(ctx, select(literal(friend_id, Friend.id.type)), config, ctx.source)
    current = await service.assignee_of(ctx, friend_id)
    return {"changed": changed > 0, "user_id": current.user_id if current else None}


async def run_assign_bulk(ctx: WorkspaceContext, friend_ids: Select[Any], config: Mapping[str, Any]) -> int:
    """How many friends got a different assignee (a pool gives each friend the next turn, in friend-id order)."""
    return await change(ctx, friend_ids, config, "bulk")


assign = ActionType(
    name="assign",
    permission="assignment.assign",
    label=Text("担当者を設定", "Set the assignee"),
    description=Text(
        "友だちの担当者を指定したスタッフにする、振り分けグループから順番に決める、または外します。",
        "Assigns the friend to a staff member, to the next one of a round-robin pool, or unassigns them.",
    ),
    config_schema=ASSIGN_CONFIG,
    ui_schema={"user_id": STAFF_PICKER, "pool_id": POOL_PICKER},
    run=run_assign,
    run_bulk=run_assign_bulk,
    check_config=check_assign,
)


async def run_notify(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    return await _notify(ctx, friend_id, config, ctx.idempotency_key)


async def run_notify_bulk(
    ctx: BulkActionContext, friend_ids: Select[Any], config: Mapping[str, Any]
) -> Mapping[int, Mapping[str, Any]]:
    """The set-based form for a batch of scenario steps. Each notification names its own friend (and may go to
    that friend's own assignee), so they are written friend by friend, in the batch's transaction."""
    return {f: await _notify(ctx, f, config, ctx.key_for(f)) for f in (await ctx.session.scalars(friend_ids)).all()}


async def _notify(ctx: WorkspaceContext, friend_id: int, config: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    friend = await _one_friend(ctx, friend_id)
    listed: list[int] = list(config.get("user_ids") or ())
    recipients: Select[Any]
    if config["to"] == "assignee":
        recipients = notifications.assignee_ids(ctx, friend_id)
        if listed and await ctx.session.scalar(recipients) is None:
            recipients = _users(listed)  # nobody assigned: the staff listed instead
    else:
        recipients = _users(listed)
    notified = await notifications.notify(
        ctx,
        recipients,
        friend_id=friend_id,
        text=notifications.render(config["message"], friend),
        source=getattr(ctx, "source", "scenario"),
        idempotency_key=key,
    )
    return {"notified": notified}


def _users(ids: Sequence[int]) -> Select[Any]:
    return select(User.id).where(User.id.in_(set(ids)))


notify_staff = ActionType(
    name="notify_staff",
    permission="assignment.assign",
    label=Text("スタッフに通知", "Notify staff"),
    description=Text(
        "担当者または指定したスタッフに管理画面の通知を送ります(友だちにはなにも送りません)。",
        "Leaves a notification in the admin screen for the assignee or the given staff (the friend gets nothing).",
    ),
    config_schema=NOTIFY_CONFIG,
    ui_schema={"user_ids": STAFF_PICKER, "message": {"ui:widget": "textarea"}},
    run=run_notify,
    run_bulk=run_notify_bulk,
    check_config=check_notify,
)


# --- condition ---------------------------------------------------------------------------------------------


def compile_assignee_is(ctx: WorkspaceContext, config: Mapping[str, Any]) -> ColumnElement[bool]:
    """Correlated with ``friends.id``: one expression for a single friend's branch and for a whole segment.

    An assignee who is no longer staff counts as nobody, everywhere.
    """
    match = config.get("match", "any_of")
    active = service.active_assignee(ctx)
    if match == "anybody":
        return exists().where(*active)
    if match == "nobody":
        return ~exists().where(*active)
    if match in ("any_of", "not_any_of"):
        one_of = exists().where(*active, Assignee.user_id.in_(sorted(set(config["user_ids"]))))
        return one_of if match == "any_of" else ~one_of
    raise ValueError(f"match must be any_of, not_any_of, anybody or nobody, not {match!r}")


assignee_is = ConditionType(
    name="assignee_is",
    permission="core.search_friends",
    label=Text("担当者", "Assignee"),
    description=Text(
        "担当者が指定したスタッフのいずれか/それ以外、担当者あり、または未割り当ての友だち。",
        "Friends assigned to one of the staff or to anyone else, with any assignee, or unassigned.",
    ),
    config_schema=ASSIGNEE_IS_CONFIG,
    ui_schema={"user_ids": STAFF_PICKER, "match": {"ui:widget": "radio"}},
    compile=compile_assignee_is,
    check_config=check_assignee_is,
)
