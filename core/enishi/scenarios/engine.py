"""Durable execution of step scenarios.

A run is a row: the node it is at, its status and when it resumes. Each step runs in one transaction that also
records the step under its unique (run, node, visit) key and moves the run on, so a worker killed mid-step
leaves nothing half done: the transaction rolls back, the sweeper finds the run due again, and the step runs
once more. What a step sends goes through the LINE outbox in that same transaction (with the step's key as
idempotency key), so a send happens exactly once too.

Jobs only wake runs up (``core.advance_scenario_run`` with a stable job id per due time, deferred with the queue's
``defer_until``); ``core.sweep_scenario_runs`` re-enqueues whatever is due, so a lost job loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, insert, literal, select, update
from sqlalchemy.exc import OperationalError

from enishi.context import JobContext, WorkspaceContext
from enishi.db.base import utcnow
from enishi.db.engine import upsert_insert
from enishi.jobs.after_commit import enqueue_after_commit, enqueue_quietly
from enishi.jobs.workspace_state import WorkspaceState, workspace_context, workspace_state
from enishi.models import Friend
from enishi.models.scenarios import (
    LIVE_RUN_STATUSES,
    Scenario,
    ScenarioRun,
    ScenarioStep,
    ScenarioTrigger,
    ScenarioVersion,
)
from enishi.nodes import evaluate_condition, run_action
from enishi.registry import Registered, Registry, Unavailable
from enishi.scenarios.core_nodes import parse_time
from enishi.scenarios.document import Graph, find_type
from enishi.types import ActionType, ConditionType, DomainEvent, JobType, Schedule, TriggerType, WaitType

log = logging.getLogger("enishi.scenarios")

ADVANCE_JOB = "core.advance_scenario_run"
SWEEP_SCHEDULE = "core.sweep_scenario_runs"
MAX_STEPS_PER_JOB = 100  # then the job re-enqueues itself, so one busy run cannot hold a worker
MAX_FAILURES = 5
SWEEP_BATCH = 1000

# Published versions never change, so their graphs are cached per process (keyed by database too).
_graphs: dict[tuple[str, int], Graph] = {}


async def graph_of(ctx: WorkspaceContext, version_id: int) -> Graph:
    key = (str(ctx.session.get_bind().engine.url), version_id)
    graph = _graphs.get(key)
    if graph is None:
        version = await ctx.session.get_one(ScenarioVersion, version_id)
        graph = Graph.of(version.document, ctx.host.registry)
        if len(_graphs) > 2000:
            _graphs.clear()
        _graphs[key] = graph
    return graph


def run_job_id(run_id: int, due: datetime | None) -> str:
    micros = 0 if due is None else (due.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return f"scenario_run:{run_id}:{micros}"


def wake_after_commit(ctx: WorkspaceContext, run_id: int, due: datetime | None) -> None:
    enqueue_after_commit(
        ctx.session, ctx.jobs, ADVANCE_JOB, job_id=run_job_id(run_id, due), defer_until=due, run_id=run_id
    )


# ---- events: start runs, resume waits, pause and unpause --------------------------------------------------------


async def on_event(ctx: WorkspaceContext, event: DomainEvent) -> None:
    """Called for every domain event, in the transaction of the change behind it."""
    if event.friend_id is None:
        return
    if event.name == "core.friend_unfollowed":
        await pause_friend(ctx, event.friend_id)
        return
    if event.name == "core.friend_followed" and event.data.get("unblocked"):
        await unpause_friend(ctx, event.friend_id)
    await _resume_waits(ctx, event)
    await _start_triggered(ctx, event)


async def _start_triggered(ctx: WorkspaceContext, event: DomainEvent) -> None:
    key = ("scenario_triggers", event.name)
    if key not in ctx.memo:
        ctx.memo[key] = await _triggers_of(ctx, event.name)
    started: set[int] = set()
    for scenario_id, version_id, node_id in ctx.memo[key]:
        if scenario_id in started:
            continue  # two triggers of one scenario matching one event start it once
        graph = await graph_of(ctx, version_id)
        node = graph.nodes[node_id]
        trigger = _usable(ctx, "triggers", node)
        if not isinstance(trigger, TriggerType) or not trigger.matches(node["config"], event):
            continue
        run_id = await enrol(
            ctx, scenario_id, version_id, event.friend_id or 0, node_id, graph.settings["reentry"], "trigger"
        )
        if run_id is not None:
            started.add(scenario_id)


async def _triggers_of(ctx: WorkspaceContext, event_name: str) -> list[tuple[int, int, str]]:
    rows = (
        await ctx.session.execute(
            select(ScenarioTrigger.scenario_id, ScenarioTrigger.version_id, ScenarioTrigger.node_id)
            .join(Scenario, Scenario.id == ScenarioTrigger.scenario_id)
            .where(
                ScenarioTrigger.event_name == event_name,
                Scenario.status == "active",
                Scenario.current_version_id == ScenarioTrigger.version_id,
            )
            .order_by(ScenarioTrigger.scenario_id, ScenarioTrigger.id)
        )
    ).all()
    return [(int(a), int(b), str(c)) for a, b, c in rows]


async def _resume_waits(ctx: WorkspaceContext, event: DomainEvent) -> None:
    if "event_waits" not in ctx.memo:  # most workspaces, most of the time, have no run waiting for an event
        ctx.memo["event_waits"] = await ctx.session.scalar(
            select(ScenarioRun.id).where(ScenarioRun.status == "waiting", ScenarioRun.wait_event.is_not(None)).limit(1)
        )
    if ctx.memo["event_waits"] is None:
        return
    waiting = (
        await ctx.session.scalars(
            select(ScenarioRun).where(
                ScenarioRun.friend_id == event.friend_id,
                ScenarioRun.status == "waiting",
                ScenarioRun.wait_event.is_not(None),
            )
        )
    ).all()
    for run in waiting:
        graph = await graph_of(ctx, run.version_id)
        wait = _usable(ctx, "waits", graph.nodes[run.node_id])
        if not isinstance(wait, WaitType) or wait.event_of is None:
            continue
        awaited = wait.event_of(graph.nodes[run.node_id]["config"])
        if awaited is None:
            continue
        key, version, config = awaited
        try:
            trigger = ctx.host.registry.usable("triggers", key, version, ctx.enabled_plugins).item
        except Unavailable:
            continue
        if event.name in trigger.listens_to and trigger.matches(config, event):
            run.resume_port, run.resume_at, run.wait_event = "event", ctx.now, None
            run.updated_at = ctx.now
            wake_after_commit(ctx, run.id, None)


async def pause_friend(ctx: WorkspaceContext, friend_id: int) -> None:
    """The friend blocked the account: their runs stop where they are until they unblock."""
    await ctx.session.execute(
        update(ScenarioRun)
        .where(ScenarioRun.friend_id == friend_id, ScenarioRun.status.in_(("active", "waiting")))
        .values(status="paused", paused_from=ScenarioRun.status, updated_at=ctx.now)
        .execution_options(synchronize_session=False)
    )


async def unpause_friend(ctx: WorkspaceContext, friend_id: int) -> None:
    """The friend unblocked: each run goes back to what it was doing; a wait that ended meanwhile ends now."""
    runs = (
        await ctx.session.execute(
            update(ScenarioRun)
            .where(ScenarioRun.friend_id == friend_id, ScenarioRun.status == "paused")
            .values(
                status=func.coalesce(ScenarioRun.paused_from, "active"),
                paused_from=None,
                updated_at=ctx.now,
            )
            .returning(ScenarioRun.id, ScenarioRun.resume_at)
            .execution_options(synchronize_session=False)
        )
    ).all()
    for run_id, due in runs:
        wake_after_commit(ctx, run_id, due if due and due > ctx.now else None)


# ---- starting and stopping --------------------------------------------------------------------------------------


async def enrol(
    ctx: WorkspaceContext,
    scenario_id: int,
    version_id: int,
    friend_id: int,
    entry_node_id: str,
    reentry: bool,
    source: str,
) -> int | None:
    """Start one run at ``entry_node_id``; None when the friend is blocked, already in it, or may not re-enter."""
    friend = await ctx.session.execute(
        select(Friend.status).where(Friend.id == friend_id, Friend.workspace_id == ctx.workspace_id)
    )
    status = friend.scalar_one_or_none()
    if status != "following":
        return None
    if not reentry:
        ran = await ctx.session.scalar(
            select(ScenarioRun.id).where(ScenarioRun.scenario_id == scenario_id, ScenarioRun.friend_id == friend_id)
        )
        if ran is not None:
            return None
    run_id: int | None = await ctx.session.scalar(
        upsert_insert(ctx.session, ScenarioRun)
        .values(_run_values(ctx, scenario_id, version_id, entry_node_id, source) | {"friend_id": friend_id})
        .on_conflict_do_nothing(index_elements=["scenario_id", "friend_id"], index_where=ScenarioRun.ended_at.is_(None))
        .returning(ScenarioRun.id)
    )
    if run_id is not None:
        wake_after_commit(ctx, run_id, None)
    return run_id


def _run_values(ctx: WorkspaceContext, scenario_id: int, version_id: int, node_id: str, source: str) -> dict[str, Any]:
    return {
        "workspace_id": ctx.workspace_id,
        "scenario_id": scenario_id,
        "version_id": version_id,
        "status": "active",
        "node_id": node_id,
        "entry_node_id": node_id,
        "resume_at": ctx.now,
        "source": source,
        "failures": 0,
        "started_at": ctx.now,
        "updated_at": ctx.now,
    }


async def _published(ctx: WorkspaceContext, scenario_id: int) -> tuple[Scenario, Graph] | None:
    scenario = await ctx.session.get(Scenario, scenario_id)
    if scenario is None or scenario.status != "active" or scenario.current_version_id is None:
        return None
    return scenario, await graph_of(ctx, scenario.current_version_id)


async def start_for_friend(ctx: WorkspaceContext, scenario_id: int, friend_id: int, *, source: str) -> int | None:
    """Start a published scenario for one friend at its entry (manual start, else its first trigger)."""
    found = await _published(ctx, scenario_id)
    if found is None:
        return None
    scenario, graph = found
    entry = graph.entry(ctx.host.registry)
    if entry is None or scenario.current_version_id is None:
        return None
    return await enrol(
        ctx, scenario_id, scenario.current_version_id, friend_id, entry, graph.settings["reentry"], source
    )


async def start_for_friends(ctx: WorkspaceContext, scenario_id: int, friend_ids: Select[Any], *, source: str) -> int:
    """Start a published scenario for every following friend ``friend_ids`` yields, in one INSERT … SELECT.

    Friends already in it (or who were, without re-entry) are left out. The runs are picked up by one job that
    works through the scenario's due runs, not by one job per friend.
    """
    found = await _published(ctx, scenario_id)
    if found is None:
        return 0
    scenario, graph = found
    entry = graph.entry(ctx.host.registry)
    if entry is None or scenario.current_version_id is None:
        return 0
    chosen = friend_ids.subquery()
    already = select(ScenarioRun.id).where(ScenarioRun.scenario_id == scenario_id, ScenarioRun.friend_id == Friend.id)
    if graph.settings["reentry"]:
        already = already.where(ScenarioRun.ended_at.is_(None))
    values = _run_values(ctx, scenario_id, scenario.current_version_id, entry, source)
    columns = list(values)
    rows = select(*(literal(v, ScenarioRun.__table__.c[k].type) for k, v in values.items()), Friend.id).where(
        Friend.id.in_(select(chosen.c[0])),
        Friend.workspace_id == ctx.workspace_id,
        Friend.status == "following",
        ~exists(already),
    )
    result = await ctx.session.execute(
        insert(ScenarioRun).from_select([*columns, "friend_id"], rows).execution_options(synchronize_session=False)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        enqueue_after_commit(
            ctx.session,
            ctx.jobs,
            ADVANCE_JOB,
            job_id=f"scenario_due:{scenario_id}:{ctx.now.timestamp()}",
            run_id=None,
            scenario_id=scenario_id,
        )
    return count


async def stop_for_friend(ctx: WorkspaceContext, scenario_id: int, friend_id: int) -> bool:
    result = await ctx.session.execute(
        update(ScenarioRun)
        .where(
            ScenarioRun.scenario_id == scenario_id,
            ScenarioRun.friend_id == friend_id,
            ScenarioRun.ended_at.is_(None),
        )
        .values(status="stopped", ended_at=ctx.now, updated_at=ctx.now, error=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def end_runs(ctx: WorkspaceContext, scenario_id: int) -> int:
    """Stop every running enrolment of a scenario, in one UPDATE."""
    result = await ctx.session.execute(
        update(ScenarioRun)
        .where(ScenarioRun.scenario_id == scenario_id, ScenarioRun.ended_at.is_(None))
        .values(status="stopped", ended_at=ctx.now, updated_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---- advancing a run, step by step ------------------------------------------------------------------------------


def _usable(ctx: WorkspaceContext, kind: str, node: Mapping[str, Any]) -> Any:
    try:
        return ctx.host.registry.usable(kind, node["type"], node["type_version"], ctx.enabled_plugins).item
    except Unavailable:
        return None


def in_quiet_hours(at: datetime, tz: Any, quiet: Mapping[str, Any]) -> datetime | None:
    """When the quiet period around ``at`` ends, or None when ``at`` is not in one."""
    if not quiet.get("enabled"):
        return None
    start, end = parse_time(quiet["start"]), parse_time(quiet["end"])
    if start == end:
        return None
    local = at.astimezone(tz)
    now: time = local.time()
    inside = start <= now < end if start < end else now >= start or now < end
    if not inside:
        return None
    day = local.date() if now < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz)


async def advance_run(
    ctx: JobContext, run_id: int | None = None, scenario_id: int | None = None, now: datetime | None = None
) -> int:
    """Job: take a run (or every due run of a scenario) as far as it can go now; returns the steps taken."""
    if run_id is None:
        return await _advance_due(ctx, scenario_id=scenario_id, now=now)
    states: dict[int, WorkspaceState] = {}
    steps = 0
    for _ in range(MAX_STEPS_PER_JOB):
        outcome = await _step_with_retry(ctx, run_id, now or utcnow(), states)
        if outcome != "stepped":
            return steps
        steps += 1
    await enqueue_quietly(ctx.jobs, ADVANCE_JOB, f"scenario_run:{run_id}:more:{utcnow().timestamp()}", run_id=run_id)
    return steps


async def _advance_due(ctx: JobContext, *, scenario_id: int | None, now: datetime | None) -> int:
    at = now or utcnow()
    async with ctx.db.session() as session:
        query = select(ScenarioRun.id).where(ScenarioRun.status.in_(("active", "waiting")), ScenarioRun.resume_at <= at)
        if scenario_id is not None:
            query = query.where(ScenarioRun.scenario_id == scenario_id)
        due = (await session.scalars(query.order_by(ScenarioRun.resume_at).limit(SWEEP_BATCH))).all()
    steps = 0
    for rid in due:
        steps += await advance_run(ctx, rid, now=now)
    return steps


async def _step_with_retry(ctx: JobContext, run_id: int, now: datetime, states: dict[int, WorkspaceState]) -> str:
    # SQLite refuses a second writer with OperationalError: that attempt changed nothing, so it simply runs again.
    for attempt in range(5):
        try:
            return await _step(ctx, run_id, now, states)
        except OperationalError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.05 * (attempt + 1) * (1 + random.random()))
    return "busy"


async def _step(ctx: JobContext, run_id: int, now: datetime, states: dict[int, WorkspaceState]) -> str:
    async with ctx.db.session() as session:
        workspace_id = await session.scalar(select(ScenarioRun.workspace_id).where(ScenarioRun.id == run_id))
    if workspace_id is None:
        return "gone"
    if workspace_id not in states:
        states[workspace_id] = await workspace_state(ctx, workspace_id)
    try:
        async with ctx.db.transaction(workspace_id) as session:
            wctx = workspace_context(ctx, session, workspace_id, states[workspace_id], now)
            query = select(ScenarioRun).where(ScenarioRun.id == run_id)
            if ctx.db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            run = await session.scalar(query)
            if run is None:
                return "busy"
            return await _take_step(wctx, run)
    except OperationalError:
        raise
    except Exception as exc:
        log.exception("scenario run %s: step failed", run_id)
        await _record_failure(ctx, workspace_id, run_id, now, exc)
        return "failed"


async def _record_failure(ctx: JobContext, workspace_id: int, run_id: int, now: datetime, exc: Exception) -> None:
    async with ctx.db.transaction(workspace_id) as session:
        run = await session.get_one(ScenarioRun, run_id)
        run.failures += 1
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.updated_at = now
        if run.failures >= MAX_FAILURES:
            run.status, run.ended_at = "failed", now
            return
        run.resume_at = now + timedelta(seconds=min(3600, 10 * 4 ** (run.failures - 1)) * (1 + random.random() / 4))
        due = run.resume_at
    await enqueue_quietly(ctx.jobs, ADVANCE_JOB, run_job_id(run_id, due), due, run_id=run_id)


async def _take_step(ctx: WorkspaceContext, run: ScenarioRun) -> str:
    now = ctx.now
    if run.status not in ("active", "waiting"):
        return "idle"
    if run.resume_at is not None and run.resume_at > now:
        return "not due"
    friend_status = await ctx.session.scalar(select(Friend.status).where(Friend.id == run.friend_id))
    if friend_status != "following":
        run.status, run.paused_from, run.updated_at = "paused", run.status, now
        return "paused"
    graph = await graph_of(ctx, run.version_id)
    node = graph.nodes.get(run.node_id)
    if node is None:
        return _finish(run, "failed", now, f"node {run.node_id} is not in the version")
    exit_condition = graph.settings.get("exit_condition")
    if exit_condition and await _holds(ctx, exit_condition, run.friend_id):
        return _finish(run, "exited", now)

    if run.status == "waiting" and run.wait_reason == "node":
        return await _end_wait(ctx, run, graph, node)

    found = find_type(ctx.host.registry, node["type"], node["type_version"])
    item = _usable(ctx, found[0], node) if found else None
    if found is None or item is None:
        return _finish(run, "failed", now, f"{node['type']} v{node['type_version']} is not available in this workspace")
    kind = found[0]
    visit = await _next_visit(ctx, run)
    result: Mapping[str, Any] = {}
    if kind == "triggers":
        port = item.outputs[0].name
    elif kind == "conditions":
        assert isinstance(item, ConditionType)
        port = (
            "yes"
            if await evaluate_condition(ctx, node["type"], node["type_version"], run.friend_id, node["config"])
            else "no"
        )
    elif kind == "actions":
        assert isinstance(item, ActionType)
        quiet_end = in_quiet_hours(now, ctx.tz, graph.settings["quiet_hours"]) if item.sends_messages else None
        if quiet_end is not None:
            run.status, run.wait_reason, run.resume_at, run.updated_at = "waiting", "quiet_hours", quiet_end, now
            wake_after_commit(ctx, run.id, quiet_end)
            return "waiting"
        result = await run_action(
            ctx,
            node["type"],
            node["type_version"],
            run.friend_id,
            node["config"],
            idempotency_key=f"scenario:{run.id}:{node['id']}:{visit}",
            source="scenario",
        )
        port = item.outputs[0].name
    else:
        assert isinstance(item, WaitType)
        due = await item.resume_at(ctx, run.friend_id, node["config"], now)
        if due is None:
            port = item.outputs[-1].name
        else:
            _record(ctx, run, node, visit, None, {"until": due.isoformat()}, now)
            event = item.event_of(node["config"]) if item.event_of else None
            run.status, run.wait_reason, run.resume_at = "waiting", "node", due
            run.resume_port, run.wait_event, run.updated_at = item.outputs[0].name, event[0] if event else None, now
            wake_after_commit(ctx, run.id, due)
            return "stepped" if due <= now else "waiting"
    _record(ctx, run, node, visit, port, result, now)
    return _move(ctx, run, graph, port)


async def _end_wait(ctx: WorkspaceContext, run: ScenarioRun, graph: Graph, node: Mapping[str, Any]) -> str:
    port = run.resume_port or "next"
    await ctx.session.execute(
        update(ScenarioStep)
        .where(ScenarioStep.run_id == run.id, ScenarioStep.node_id == node["id"], ScenarioStep.port.is_(None))
        .values(port=port, finished_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    return _move(ctx, run, graph, port)


async def _holds(ctx: WorkspaceContext, condition: Mapping[str, Any], friend_id: int) -> bool:
    try:
        return await evaluate_condition(
            ctx, condition["type"], condition["type_version"], friend_id, condition["config"]
        )
    except Unavailable:
        return False  # a condition of a plugin switched off since cannot end anyone's run


async def _next_visit(ctx: WorkspaceContext, run: ScenarioRun) -> int:
    last = await ctx.session.scalar(
        select(func.max(ScenarioStep.visit)).where(ScenarioStep.run_id == run.id, ScenarioStep.node_id == run.node_id)
    )
    return int(last or 0) + 1


def _record(
    ctx: WorkspaceContext,
    run: ScenarioRun,
    node: Mapping[str, Any],
    visit: int,
    port: str | None,
    result: Mapping[str, Any],
    now: datetime,
) -> None:
    ctx.session.add(
        ScenarioStep(
            workspace_id=ctx.workspace_id,
            run_id=run.id,
            node_id=node["id"],
            visit=visit,
            node_type=node["type"],
            port=port,
            result=dict(result),
            started_at=now,
            finished_at=now,
        )
    )


def _move(ctx: WorkspaceContext, run: ScenarioRun, graph: Graph, port: str) -> str:
    target = graph.next_of.get((run.node_id, port))
    run.updated_at = ctx.now
    run.resume_port = run.wait_event = run.wait_reason = None
    if target is None:
        return _finish(run, "completed", ctx.now)
    run.node_id, run.status, run.resume_at = target, "active", ctx.now
    return "stepped"


def _finish(run: ScenarioRun, status: str, now: datetime, error: str | None = None) -> str:
    run.status, run.ended_at, run.updated_at, run.error = status, now, now, error
    run.resume_at = run.resume_port = run.wait_event = run.wait_reason = None
    return status


# ---- the sweeper ------------------------------------------------------------------------------------------------


async def sweep_runs(ctx: JobContext) -> int:
    """Schedule: re-enqueue every run that is due (a lost job, a killed worker, a wait that ended)."""
    now = utcnow()
    async with ctx.db.session() as session:
        due = (
            await session.execute(
                select(ScenarioRun.id, ScenarioRun.resume_at)
                .where(ScenarioRun.status.in_(("active", "waiting")), ScenarioRun.resume_at <= now)
                .order_by(ScenarioRun.resume_at)
                .limit(SWEEP_BATCH)
            )
        ).all()
    for run_id, at in due:
        await enqueue_quietly(ctx.jobs, ADVANCE_JOB, run_job_id(run_id, at), run_id=run_id)
    return len(due)


def register_scenario_jobs(registry: Registry) -> None:
    from enishi.version import CORE_API_VERSION

    items: tuple[JobType | Schedule, ...] = (
        JobType(name="advance_scenario_run", fn=advance_run, timeout=timedelta(minutes=10)),
        Schedule(name="sweep_scenario_runs", fn=sweep_runs, every=timedelta(seconds=15)),
    )
    for item in items:
        registry.add(
            "jobs", Registered(key=f"core.{item.name}", plugin="core", plugin_version=CORE_API_VERSION, item=item)
        )


__all__ = [
    "ADVANCE_JOB",
    "LIVE_RUN_STATUSES",
    "advance_run",
    "end_runs",
    "enrol",
    "on_event",
    "start_for_friend",
    "start_for_friends",
    "stop_for_friend",
    "sweep_runs",
]
