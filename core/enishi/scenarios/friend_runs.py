"""The scenarios one friend is in (or was last in): the step they are at, what was sent last, what comes next and
when, and why it waits when quiet hours hold it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from enishi.context import WorkspaceContext
from enishi.models.scenarios import Scenario, ScenarioRun, ScenarioStep
from enishi.scenarios.graphs import graph_of
from enishi.scenarios.titles import node_title, sends_messages


@dataclass(frozen=True, slots=True)
class Moment:
    node_id: str
    title: dict[str, str]
    at: datetime | None
    reason: str | None = None  # "quiet_hours": held until quiet hours end; "wait": a wait step ends then


@dataclass(frozen=True, slots=True)
class FriendRun:
    run_id: int
    scenario_id: int
    scenario_name: str
    status: str
    step: Moment
    last_sent: Moment | None
    next: Moment | None
    started_at: datetime
    ended_at: datetime | None


async def friend_runs(ctx: WorkspaceContext, friend_id: int) -> list[FriendRun]:
    """The newest run of each scenario the friend was ever in, live ones first."""
    rows = (
        await ctx.session.execute(
            select(ScenarioRun, Scenario.name)
            .join(Scenario, Scenario.id == ScenarioRun.scenario_id)
            .where(ScenarioRun.friend_id == friend_id)
            .order_by(ScenarioRun.id.desc())
        )
    ).all()
    newest: dict[int, tuple[ScenarioRun, str]] = {}
    for run, name in rows:
        newest.setdefault(run.scenario_id, (run, name))
    out = [await _describe(ctx, run, name) for run, name in newest.values()]
    return sorted(out, key=lambda r: (r.ended_at is not None, -r.run_id))


async def _describe(ctx: WorkspaceContext, run: ScenarioRun, name: str) -> FriendRun:
    registry = ctx.host.registry
    graph = await graph_of(ctx, run.version_id)
    node = graph.nodes.get(run.node_id)
    step = Moment(run.node_id, node_title(registry, node), run.updated_at)
    return FriendRun(
        run_id=run.id,
        scenario_id=run.scenario_id,
        scenario_name=name,
        status=run.status,
        step=step,
        last_sent=await _last_sent(ctx, run, graph.nodes),
        next=_next(ctx, run, graph.nodes, graph.next_of) if run.ended_at is None else None,
        started_at=run.started_at,
        ended_at=run.ended_at,
    )


async def _last_sent(ctx: WorkspaceContext, run: ScenarioRun, nodes: dict[str, dict[str, Any]]) -> Moment | None:
    steps = await ctx.session.execute(
        select(ScenarioStep.node_id, ScenarioStep.finished_at)
        .where(ScenarioStep.run_id == run.id)
        .order_by(ScenarioStep.id.desc())
    )
    for node_id, at in steps:
        if sends_messages(ctx.host.registry, nodes.get(node_id)):
            return Moment(node_id, node_title(ctx.host.registry, nodes.get(node_id)), at)
    return None


def _next(
    ctx: WorkspaceContext,
    run: ScenarioRun,
    nodes: dict[str, dict[str, Any]],
    next_of: dict[tuple[str, str], str],
) -> Moment | None:
    registry = ctx.host.registry
    if run.status == "paused":
        return None
    if run.status == "waiting" and run.wait_reason == "node":
        # A wait step: what follows it happens when it ends (or earlier, on the event it waits for).
        after = next_of.get((run.node_id, run.resume_port or ""))
        if after is None:
            return None
        return Moment(after, node_title(registry, nodes.get(after)), run.resume_at, "wait")
    reason = "quiet_hours" if run.status == "waiting" and run.wait_reason == "quiet_hours" else None
    return Moment(run.node_id, node_title(registry, nodes.get(run.node_id)), run.resume_at, reason)
