"""Dry run: the path a friend would take through a scenario, with the time of every step, sending nothing.

It runs the real node types inside a savepoint that is always rolled back: conditions are the same SQL, actions
other than sends really change the friend (so a later branch sees the tag an earlier step added), and then it
all disappears. Sends are only described. A hypothetical friend is a friend row created in that savepoint and
prepared with actions (tags, fields …) the caller lists.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from enishi.context import WorkspaceContext
from enishi.models import Friend
from enishi.nodes import evaluate_condition, run_action
from enishi.registry import Unavailable
from enishi.scenarios.document import Graph, find_type
from enishi.scenarios.quiet_hours import effective_quiet_hours, in_quiet_hours, workspace_quiet_hours
from enishi.types import ActionType, WaitType

MAX_STEPS = 500


@dataclass(frozen=True, slots=True)
class DryStep:
    node_id: str
    node_type: str
    kind: str  # trigger, action, condition, wait, exit
    at: datetime
    port: str | None
    detail: Mapping[str, Any]
    # Why the step waited before ``at`` ("quiet_hours": a push held until the quiet hours end), and since when.
    held_reason: str | None = None
    held_from: datetime | None = None


@dataclass(frozen=True, slots=True)
class HypotheticalFriend:
    display_name: str
    setup: Sequence[Mapping[str, Any]]  # actions applied first: [{type, type_version, config}]


class DryRunError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(message)


async def dry_run(
    ctx: WorkspaceContext,
    document: Mapping[str, Any],
    *,
    friend_id: int | None,
    hypothetical: HypotheticalFriend | None,
    start_at: datetime,
    entry_node_id: str | None = None,
    events: frozenset[str] = frozenset(),
) -> tuple[list[DryStep], str]:
    """(steps, how it ended: completed / exited / waiting forever / step limit)."""
    graph = Graph.of(document, ctx.host.registry)
    entry = entry_node_id or graph.entry(ctx.host.registry)
    if entry is None or entry not in graph.nodes:
        raise DryRunError("$.entry_node_id", "開始ノードがありません / no such trigger to start from")
    savepoint = await ctx.session.begin_nested()
    try:
        sim = dataclasses.replace(ctx, jobs=None, now=start_at)  # nothing is enqueued, nothing leaves
        fid = await _friend_for(sim, friend_id, hypothetical)
        return await _walk(sim, graph, entry, fid, start_at, events)
    finally:
        await savepoint.rollback()


async def _can_reply(ctx: WorkspaceContext, friend_id: int, at: datetime) -> bool:
    """Whether a send at ``at`` would be a free reply (quiet hours never hold those)."""
    from enishi.line.outbox import OutboxSettings  # lazily: the LINE layer is not needed to read scenarios

    friend = await ctx.session.get(Friend, friend_id)
    fresh_since = at - OutboxSettings.from_settings(ctx.settings).reply_max_age
    return bool(friend and friend.reply_token and friend.reply_token_at and friend.reply_token_at >= fresh_since)


async def _friend_for(ctx: WorkspaceContext, friend_id: int | None, hypothetical: HypotheticalFriend | None) -> int:
    if friend_id is not None:
        if await ctx.session.get(Friend, friend_id) is None:
            raise DryRunError("$.friend_id", "友だちが見つかりません / no such friend")
        return friend_id
    assert hypothetical is not None
    friend = Friend(
        workspace_id=ctx.workspace_id,
        line_user_id=("U" + uuid.uuid4().hex)[:33],
        display_name=hypothetical.display_name,
        status="following",
        followed_at=ctx.now,
    )
    ctx.session.add(friend)
    await ctx.session.flush()
    for i, action in enumerate(hypothetical.setup):
        try:
            await run_action(
                ctx,
                action["type"],
                action.get("type_version"),
                friend.id,
                action.get("config") or {},
                idempotency_key=f"dry_run:setup:{i}",
                source="dry_run",
            )
        except Unavailable as exc:
            raise DryRunError(f"$.friend.setup[{i}].type", str(exc)) from exc
    return friend.id


async def _walk(
    ctx: WorkspaceContext, graph: Graph, entry: str, friend_id: int, clock: datetime, events: frozenset[str]
) -> tuple[list[DryStep], str]:
    steps: list[DryStep] = []
    node_id: str | None = entry
    exit_condition = graph.settings.get("exit_condition")
    while node_id is not None:
        if len(steps) >= MAX_STEPS:
            return steps, "step_limit"
        node = graph.nodes[node_id]
        ctx.now = clock
        if exit_condition and await evaluate_condition(
            ctx, exit_condition["type"], exit_condition["type_version"], friend_id, exit_condition["config"]
        ):
            steps.append(DryStep(node_id, node["type"], "exit", clock, None, {"reason": "exit_condition"}))
            return steps, "exited"
        found = find_type(ctx.host.registry, node["type"], node["type_version"])
        if found is None:
            raise DryRunError("$.document", f"unknown node type {node['type']}")
        kind, entry_type = found
        item = entry_type.item
        detail: dict[str, Any] = {}
        held_from: datetime | None = None
        if kind == "triggers":
            port = item.outputs[0].name
        elif kind == "conditions":
            holds = await evaluate_condition(ctx, node["type"], node["type_version"], friend_id, node["config"])
            port = "yes" if holds else "no"
        elif kind == "actions":
            assert isinstance(item, ActionType)
            if item.sends_messages:
                quiet = effective_quiet_hours(graph.settings, await workspace_quiet_hours(ctx))
                quiet_end = None if await _can_reply(ctx, friend_id, clock) else in_quiet_hours(clock, ctx.tz, quiet)
                if quiet_end is not None:
                    detail["quiet_hours_until"] = quiet_end.isoformat()
                    held_from, clock = clock, quiet_end
                    ctx.now = quiet_end
                detail["would_send"] = node["config"]
            else:
                detail["result"] = dict(
                    await run_action(
                        ctx,
                        node["type"],
                        node["type_version"],
                        friend_id,
                        node["config"],
                        idempotency_key=f"dry_run:{node_id}:{len(steps)}",
                        source="dry_run",
                    )
                )
            port = item.outputs[0].name
        else:
            assert isinstance(item, WaitType)
            due = await item.resume_at(ctx, friend_id, node["config"], clock)
            if due is None:
                port = item.outputs[-1].name
            elif node_id in events and item.event_of is not None:
                port, detail["event"] = "event", True
            else:
                port, detail["until"] = item.outputs[0].name, due.isoformat()
                steps.append(DryStep(node_id, node["type"], "wait", clock, port, detail))
                clock = due
                node_id = graph.next_of.get((node_id, port))
                continue
        held = "quiet_hours" if held_from is not None else None
        steps.append(DryStep(node_id, node["type"], kind.rstrip("s"), clock, port, detail, held, held_from))
        node_id = graph.next_of.get((node_id, port))
    return steps, "completed"
