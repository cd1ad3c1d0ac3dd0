"""What a broadcast sends and to whom: messages checked as scenario messages are, targets as segments are.

Messages: 1 to 5 LINE message objects, checked by LINE's rules (``check_messages``) with their variables in place
(a URL that starts with a variable is checked with a sample address), and every variable must exist in the
workspace (``{{friend.display_name}}``, ``{{field.<key>|default}}``, ``{{<plugin>.<key>}}``). Messages with
variables are personalised, so they go by push, one friend at a time; the others go by multicast, 500 friends a
request. Buttons that run actions or reply on a tap belong to the messages plugin's sends, not to broadcasts.

Targets, shaped as the bulk operations' are: ``{}`` (every friend), ``{"segment": <segment>}`` or
``{"saved_segment_id": n}`` (a tab of the friend list, read when sending starts), each with an optional
``exclude`` segment. Blocked friends are never targeted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from enishi.audience.segments import check_segment, friends_in
from enishi.context import WorkspaceContext
from enishi.line import variables
from enishi.line.channels import MAX_MESSAGES
from enishi.line.message_check import check_messages
from enishi.models.audience import SavedSegment
from enishi.schema_validation import SchemaProblem

MAX_NESTING = 48  # levels of objects and lists; LINE's deepest flex messages stay well below
TAP_KEYS = ("enishi_actions", "reply", "enishi_once")  # the messages plugin's buttons that act when tapped


@dataclass(frozen=True)
class Audience:
    """Which friends, resolved: the include and exclude segments (None: everyone / nobody excluded)."""

    include: Mapping[str, Any] | None
    exclude: Mapping[str, Any] | None


async def message_problems(
    ctx: WorkspaceContext, messages: Any, prefix: str = "$.messages", catalog: variables.Catalog | None = None
) -> list[SchemaProblem]:
    """Everything wrong with a broadcast's messages as written, each with its path; [] when they can be sent."""
    if not isinstance(messages, list):
        return [SchemaProblem(prefix, "メッセージの配列が必要です / must be an array of messages")]
    if not 1 <= len(messages) <= MAX_MESSAGES:
        return [
            SchemaProblem(
                prefix, f"メッセージは1〜{MAX_MESSAGES}件です / 1 to {MAX_MESSAGES} messages ({len(messages)} given)"
            )
        ]
    if _nesting(messages) > MAX_NESTING:
        return [SchemaProblem(prefix, "入れ子が深すぎます / nested too deeply")]
    problems = check_messages(variables.with_sample_urls(messages), prefix)
    problems += await variables.problems(ctx, messages, prefix, catalog or variables.Catalog(ctx))
    problems += _tap_problems(messages, prefix)
    unique = {(p.path, p.message): p for p in problems}
    return sorted(unique.values(), key=lambda p: _natural(p.path))


def personalised(messages: Any) -> bool:
    """Whether the messages use variables, so each friend gets their own (push instead of multicast)."""
    return bool(variables.used(messages))


def delivery_of(messages: Any) -> str:
    return "push" if personalised(messages) else "multicast"


async def target_problems(ctx: WorkspaceContext, target: Any, prefix: str = "$.target") -> list[SchemaProblem]:
    """Every problem of a target: its shape, its segments (conditions usable here, references that exist)."""
    if not isinstance(target, Mapping):
        return [SchemaProblem(prefix, "オブジェクトが必要です / must be an object")]
    problems = [
        SchemaProblem(f"{prefix}.{key}", "不明な項目です / unknown field")
        for key in sorted(set(target) - {"segment", "exclude", "saved_segment_id"})
    ]
    segment, saved_id = target.get("segment"), target.get("saved_segment_id")
    if segment is not None and saved_id is not None:
        problems.append(
            SchemaProblem(
                f"{prefix}.saved_segment_id",
                "segment と saved_segment_id はどちらか一方だけ / give segment or saved_segment_id, not both",
            )
        )
    if segment is not None:
        problems += await check_segment(ctx, segment, f"{prefix}.segment")
    if saved_id is not None:
        problems += await _saved_segment_problems(ctx, saved_id, f"{prefix}.saved_segment_id")
    if target.get("exclude") is not None:
        problems += await check_segment(ctx, target["exclude"], f"{prefix}.exclude")
    return problems


def normalised(target: Mapping[str, Any]) -> dict[str, Any]:
    """The target as stored: only the parts given (none: every friend)."""
    return {k: target[k] for k in ("segment", "exclude", "saved_segment_id") if target.get(k) is not None}


async def audience_of(ctx: WorkspaceContext, target: Mapping[str, Any]) -> Audience:
    """The segments a (checked) target stands for; a saved segment is read now, as it is at this moment."""
    exclude = target.get("exclude")
    if target.get("saved_segment_id") is not None:
        saved = await ctx.session.get(SavedSegment, target["saved_segment_id"])
        if saved is None:
            raise LookupError(f"saved segment {target['saved_segment_id']} not found")
        excluded = [e for e in (saved.exclude, exclude) if e is not None]
        return Audience(saved.segment, excluded[0] if len(excluded) == 1 else ({"any": excluded} if excluded else None))
    return Audience(target.get("segment"), exclude)


def recipients_query(ctx: WorkspaceContext, audience: Audience) -> Select[Any]:
    """The ids of the following friends in the audience: one SELECT (blocked friends are never in it)."""
    return friends_in(ctx, audience.include, exclude=audience.exclude, following_only=True)


async def count_recipients(ctx: WorkspaceContext, audience: Audience) -> int:
    """How many friends the audience holds right now: one COUNT query."""
    query = recipients_query(ctx, audience).subquery()
    return int(await ctx.session.scalar(select(func.count()).select_from(query)) or 0)


async def _saved_segment_problems(ctx: WorkspaceContext, saved_id: Any, path: str) -> list[SchemaProblem]:
    if not isinstance(saved_id, int) or isinstance(saved_id, bool) or saved_id < 1:
        return [SchemaProblem(path, "保存した絞り込みのIDが必要です / must be the id of a saved segment")]
    saved = await ctx.session.get(SavedSegment, saved_id)
    if saved is None or (saved.owner_user_id is not None and saved.owner_user_id != ctx.actor_user_id):
        return [SchemaProblem(path, "保存した絞り込みが見つかりません / no such saved segment")]
    if saved.status == "blocked":
        return [
            SchemaProblem(
                path, "ブロック中の友だちの絞り込みには配信できません / it lists blocked friends, who get nothing"
            )
        ]
    # It may have gone stale since it was saved (a tag deleted, a plugin switched off).
    inner = await check_segment(ctx, saved.segment, "$.segment")
    if saved.exclude is not None:
        inner += await check_segment(ctx, saved.exclude, "$.exclude")
    return [SchemaProblem(path, f"「{saved.name}」: {p.path[2:]}: {p.message}") for p in inner]


def _tap_problems(messages: Any, prefix: str) -> list[SchemaProblem]:
    found = []
    stack: list[tuple[Any, str]] = [(messages, prefix)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in TAP_KEYS:
                    found.append(
                        SchemaProblem(
                            f"{path}.{key}",
                            "タップで動くボタンは一斉配信では使えません / buttons that run actions or reply on a tap "
                            "are not available in broadcasts (use a scenario, or a postback with data)",
                        )
                    )
                else:
                    stack.append((value, f"{path}.{key}"))
        elif isinstance(node, list):
            stack.extend((value, f"{path}[{i}]") for i, value in enumerate(node))
    return found


def too_deep(value: Any) -> bool:
    """Nested deeper than any message or target needs (a draft's shape is checked with this before it is stored)."""
    return _nesting(value) > MAX_NESTING


def _nesting(node: Any) -> int:
    """How deep objects and lists nest, without recursion (input is untrusted)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if depth <= MAX_NESTING:
                stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return deepest


def _natural(path: str) -> list[tuple[int, Any]]:
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", path)]
