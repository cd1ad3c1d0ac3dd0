"""Scenario and segment building blocks: tag triggers, tag actions and the has-tags condition.

Configs name tags by id, never by name, so renaming a tag keeps every scenario and segment that uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, literal, select

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
)
from enishi_tags import service
from enishi_tags.events import TAG_ADDED, TAG_REMOVED
from enishi_tags.models import FriendTag, Tag

MAX_TAGS_PER_NODE = 100

TAG_IDS_SCHEMA: Mapping[str, Any] = {
    "type": "array",
    "title": "タグ / Tags",
    "items": {"type": "integer", "minimum": 1},
    "minItems": 1,
    "maxItems": MAX_TAGS_PER_NODE,
    "uniqueItems": True,
}

TAG_IDS_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {"tag_ids": TAG_IDS_SCHEMA},
    "required": ["tag_ids"],
    "additionalProperties": False,
}

HAS_TAGS_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "tag_ids": TAG_IDS_SCHEMA,
        "match": {
            "type": "string",
            "title": "条件 / Match",
            "oneOf": [
                {"const": "any", "title": "いずれかを持つ / Has any"},
                {"const": "all", "title": "すべて持つ / Has all"},
                {"const": "none", "title": "どれも持たない / Has none"},
            ],
            "default": "any",
        },
    },
    "required": ["tag_ids"],
    "additionalProperties": False,
}


async def check_tag_ids(ctx: WorkspaceContext, config: Mapping[str, Any]) -> list[SchemaProblem]:
    """Tags the config names that do not exist in this workspace (deleted since, or copied from another one)."""
    wanted = list(config.get("tag_ids") or ())
    found = set((await ctx.session.scalars(select(Tag.id).where(Tag.id.in_(wanted)))).all())
    return [
        SchemaProblem(f"$.tag_ids[{i}]", f"タグ {tag_id} は存在しません(削除済み?) / tag {tag_id} does not exist")
        for i, tag_id in enumerate(wanted)
        if tag_id not in found
    ]


# --- triggers ----------------------------------------------------------------------------------------------


def tag_matches(config: Mapping[str, Any], event: DomainEvent) -> bool:
    """The event concerns one of the configured tags."""
    return event.data.get("tag_id") in set(config.get("tag_ids") or ())


tag_added = TriggerType(
    name="tag_added",
    permission="core.search_friends",
    label=Text("タグが付いたとき", "When a tag is added"),
    description=Text(
        "指定したタグのいずれかが友だちに付いたときに開始します(既に付いていた場合は開始しません)。",
        "Starts when one of the tags is added to a friend (not when the friend already had it).",
    ),
    config_schema=TAG_IDS_CONFIG,
    listens_to=(TAG_ADDED,),
    matches=tag_matches,
    check_config=check_tag_ids,
)

tag_removed = TriggerType(
    name="tag_removed",
    permission="core.search_friends",
    label=Text("タグが外れたとき", "When a tag is removed"),
    description=Text(
        "指定したタグのいずれかが友だちから外れたときに開始します。",
        "Starts when one of the tags is removed from a friend.",
    ),
    config_schema=TAG_IDS_CONFIG,
    listens_to=(TAG_REMOVED,),
    matches=tag_matches,
    check_config=check_tag_ids,
)


# --- actions -----------------------------------------------------------------------------------------------


async def _one_friend(ctx: ActionContext, friend_id: int) -> Select[Any]:
    # The scoped session does not find another workspace's friend, exactly like a missing one.
    if await ctx.session.get(Friend, friend_id) is None:
        raise LookupError(f"friend {friend_id} is not in workspace {ctx.workspace_id}")
    return select(literal(friend_id, Friend.id.type))


async def run_add_tag(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    # A tag deleted since the scenario was saved is skipped rather than failing the whole step.
    change = await service.add_tags(ctx, await _one_friend(ctx, friend_id), config["tag_ids"], source=ctx.source)
    return {"changed": change.links}


async def run_add_tag_bulk(ctx: WorkspaceContext, friend_ids: Select[Any], config: Mapping[str, Any]) -> int:
    """How many friends gained at least one of the tags (the core counts friends, not links)."""
    return (await service.add_tags(ctx, friend_ids, config["tag_ids"], source=getattr(ctx, "source", "bulk"))).friends


async def run_remove_tag(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    change = await service.remove_tags(ctx, await _one_friend(ctx, friend_id), config["tag_ids"], source=ctx.source)
    return {"changed": change.links}


async def run_remove_tag_bulk(ctx: WorkspaceContext, friend_ids: Select[Any], config: Mapping[str, Any]) -> int:
    """How many friends lost at least one of the tags."""
    return (
        await service.remove_tags(ctx, friend_ids, config["tag_ids"], source=getattr(ctx, "source", "bulk"))
    ).friends


add_tag = ActionType(
    name="add_tag",
    permission="tags.assign",
    label=Text("タグを付ける", "Add tags"),
    description=Text("友だちに指定したタグを付けます。", "Adds the tags to the friend."),
    config_schema=TAG_IDS_CONFIG,
    run=run_add_tag,
    run_bulk=run_add_tag_bulk,
    check_config=check_tag_ids,
)

remove_tag = ActionType(
    name="remove_tag",
    permission="tags.assign",
    label=Text("タグを外す", "Remove tags"),
    description=Text("友だちから指定したタグを外します。", "Removes the tags from the friend."),
    config_schema=TAG_IDS_CONFIG,
    run=run_remove_tag,
    run_bulk=run_remove_tag_bulk,
    check_config=check_tag_ids,
)


# --- condition ---------------------------------------------------------------------------------------------


def compile_has_tags(ctx: WorkspaceContext, config: Mapping[str, Any]) -> ColumnElement[bool]:
    """Correlated with ``friends.id``: one expression for a single friend's branch and for a whole segment.

    No workspace filter is needed: friend ids are unique across workspaces and the outer query is scoped. Each
    form is answered from the primary key (friend_id, tag_id) without touching other friends' links.
    """
    tag_ids = sorted(set(config["tag_ids"]))
    match = config.get("match", "any")
    links = (FriendTag.friend_id == Friend.id, FriendTag.tag_id.in_(tag_ids))
    if match == "any":
        return exists().where(*links)
    if match == "none":
        return ~exists().where(*links)
    if match == "all":
        # One row per (friend, tag), so the friend has them all when it has as many rows as there are tags.
        held = select(func.count()).select_from(FriendTag).where(*links).correlate(Friend).scalar_subquery()
        return held == len(tag_ids)
    raise ValueError(f"match must be any, all or none, not {match!r}")


has_tags = ConditionType(
    name="has_tags",
    permission="core.search_friends",
    label=Text("タグ", "Tags"),
    description=Text(
        "指定したタグのいずれか/すべてを持つ、またはどれも持たない友だち。",
        "Friends who have any or all of the tags, or none of them.",
    ),
    config_schema=HAS_TAGS_CONFIG,
    compile=compile_has_tags,
    check_config=check_tag_ids,
)
