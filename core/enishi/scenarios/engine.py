"""Durable execution of step scenarios: starting runs on events, and advancing them (see :mod:`.stepper`).

A run is a row: the node it is at, its status and when it resumes. Runs advance in batches (the runs of one
version due at one node together, one transaction per batch, see :mod:`enishi.scenarios.stepper`), recording
each step under its unique (run, node, visit) key with what it sends, so a worker killed mid-batch leaves nothing
half done and nothing happens twice.

Jobs only wake workers up (``core.advance_scenario_run`` with a stable job id per scenario and due time,
deferred with the queue's ``defer_until``); ``core.sweep_scenario_runs`` wakes whatever is due, so a lost job
loses nothing. Events reach the engine in batches too (``WorkspaceContext.emit_events``): triggers are matched
once per batch and runs are started with one INSERT per scenario.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, insert, literal, select, update
from sqlalchemy.exc import OperationalError

from enishi.context import JobContext, WorkspaceContext
from enishi.db.base import utcnow
from enishi.db.statistics import note_growth
from enishi.events import FRIEND_FOLLOWED, FRIEND_UNFOLLOWED
from enishi.jobs.after_commit import enqueue_quietly
from enishi.jobs.workspace_state import WorkspaceState
from enishi.models import Friend
from enishi.models.scenarios import (
    LIVE_RUN_STATUSES,
    Scenario,
    ScenarioRun,
    ScenarioTrigger,
)
from enishi.registry import Registered, Registry, Unavailable
from enishi.scenarios.document import Graph
from enishi.scenarios.graphs import graph_of
from enishi.scenarios.quiet_hours import in_quiet_hours
from enishi.scenarios.stepper import (
    ADVANCE_JOB,
    TAKEN,
    BatchFailed,
    Scope,
    batch_size,
    due_job_id,
    due_status,
    record_failure,
    step_batch,
    wake_after_commit,
)
from enishi.types import DomainEvent, JobType, Schedule, TriggerType, WaitType

log = logging.getLogger("enishi.scenarios")

SWEEP_SCHEDULE = "core.sweep_scenario_runs"
MAX_JOB_SECONDS = 120.0  # then the job hands over to a fresh one, so one busy scenario cannot hold a worker
SWEEP_BATCH = 1000

FOLLOWED, UNFOLLOWED = FRIEND_FOLLOWED, FRIEND_UNFOLLOWED


# ---- events: start runs, resume waits, pause and unpause --------------------------------------------------------


async def on_event(ctx: WorkspaceContext, event: DomainEvent) -> None:
    """One domain event (see :func:`on_events`)."""
    await on_events(ctx, [event])


async def on_events(ctx: WorkspaceContext, events: Sequence[DomainEvent]) -> None:
    """Called for every batch of domain events, in the transaction of the change behind them.

    Consecutive events of the same name are handled as a set: blocked friends' runs pause with one UPDATE,
    triggers are matched once per distinct event data, and each scenario's new runs start with one INSERT.
    """
    run: list[DomainEvent] = []
    for event in events:
        if event.friend_id is None:
            continue
        if run and run[-1].name != event.name:
            await _on_same_name(ctx, run)
            run = []
        run.append(event)
    if run:
        await _on_same_name(ctx, run)


async def _on_same_name(ctx: WorkspaceContext, events: list[DomainEvent]) -> None:
    name = events[0].name
    friend_ids = [e.friend_id for e in events if e.friend_id is not None]
    if name == UNFOLLOWED:
        await pause_friends(ctx, friend_ids)
        return
    if name == FOLLOWED:
        unblocked = [e.friend_id for e in events if e.data.get("unblocked") and e.friend_id is not None]
        if unblocked:
            await unpause_friends(ctx, unblocked)
    await _resume_waits(ctx, events)
    await _start_triggered(ctx, events)


async def _start_triggered(ctx: WorkspaceContext, events: list[DomainEvent]) -> None:
    name = events[0].name
    key = ("scenario_triggers", name)
    if key not in ctx.memo:
        ctx.memo[key] = await _triggers_of(ctx, name)
    triggers: list[tuple[int, int, str]] = ctx.memo[key]
    if not triggers:
        return
    # Scenario → (version, entry node, friends in event order). Events with equal data match alike, so a set
    # of a thousand "tag 5 added" events is matched once.
    chosen: dict[int, tuple[int, str, list[int]]] = {}
    by_data: dict[str, list[DomainEvent]] = defaultdict(list)
    for event in events:
        by_data[_data_key(event.data)].append(event)
    for same in by_data.values():
        sample = same[0]
        matched: set[int] = set()
        for scenario_id, version_id, node_id in triggers:
            if scenario_id in matched:
                continue  # two triggers of one scenario matching one event start it once
            graph = await graph_of(ctx, version_id)
            trigger = _usable(ctx, "triggers", graph.nodes[node_id])
            if not isinstance(trigger, TriggerType) or not trigger.matches(graph.nodes[node_id]["config"], sample):
                continue
            matched.add(scenario_id)
            entry = chosen.setdefault(scenario_id, (version_id, node_id, []))
            entry[2].extend(e.friend_id for e in same if e.friend_id is not None)
    for scenario_id, (version_id, node_id, friend_ids) in chosen.items():
        graph = await graph_of(ctx, version_id)
        await enrol_many(ctx, scenario_id, version_id, friend_ids, node_id, reentry_of(graph), "trigger")


def _data_key(data: Mapping[str, Any]) -> str:
    try:
        return repr(sorted(data.items()))
    except TypeError:
        return repr(data)


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


async def _resume_waits(ctx: WorkspaceContext, events: list[DomainEvent]) -> None:
    if "event_waits" not in ctx.memo:  # most workspaces, most of the time, have no run waiting for an event
        ctx.memo["event_waits"] = await ctx.session.scalar(
            select(ScenarioRun.id).where(ScenarioRun.status == "waiting", ScenarioRun.wait_event.is_not(None)).limit(1)
        )
    if ctx.memo["event_waits"] is None:
        return
    by_friend = {e.friend_id: e for e in events if e.friend_id is not None}
    waiting = (
        await ctx.session.execute(
            select(
                ScenarioRun.id,
                ScenarioRun.scenario_id,
                ScenarioRun.version_id,
                ScenarioRun.node_id,
                ScenarioRun.friend_id,
            ).where(
                ScenarioRun.friend_id.in_(list(by_friend)),
                ScenarioRun.status == "waiting",
                ScenarioRun.wait_event.is_not(None),
            )
        )
    ).all()
    resumed: dict[int, list[int]] = defaultdict(list)  # scenario → runs
    for run_id, scenario_id, version_id, node_id, friend_id in waiting:
        graph = await graph_of(ctx, version_id)
        wait = _usable(ctx, "waits", graph.nodes[node_id])
        if not isinstance(wait, WaitType) or wait.event_of is None:
            continue
        awaited = wait.event_of(graph.nodes[node_id]["config"])
        if awaited is None:
            continue
        key, version, config = awaited
        try:
            trigger = ctx.host.registry.usable("triggers", key, version, ctx.enabled_plugins).item
        except Unavailable:
            continue
        event = by_friend[friend_id]
        if event.name in trigger.listens_to and trigger.matches(config, event):
            resumed[scenario_id].append(run_id)
    for scenario_id, run_ids in resumed.items():
        await ctx.session.execute(
            update(ScenarioRun)
            .where(ScenarioRun.id.in_(run_ids), ScenarioRun.status == "waiting")
            .values(resume_port="event", resume_at=ctx.now, wait_event=None, updated_at=ctx.now)
            .execution_options(synchronize_session=False)
        )
        wake_after_commit(ctx, scenario_id, None)


async def pause_friend(ctx: WorkspaceContext, friend_id: int) -> None:
    await pause_friends(ctx, [friend_id])


async def pause_friends(ctx: WorkspaceContext, friend_ids: Sequence[int]) -> None:
    """The friends blocked the account: their runs stop where they are until they unblock."""
    await ctx.session.execute(
        update(ScenarioRun)
        .where(ScenarioRun.friend_id.in_(list(friend_ids)), ScenarioRun.status.in_(("active", "waiting")))
        .values(status="paused", paused_from=ScenarioRun.status, updated_at=ctx.now)
        .execution_options(synchronize_session=False)
    )


async def unpause_friend(ctx: WorkspaceContext, friend_id: int) -> None:
    await unpause_friends(ctx, [friend_id])


async def unpause_friends(ctx: WorkspaceContext, friend_ids: Sequence[int]) -> None:
    """The friends unblocked: each run goes back to what it was doing; a wait that ended meanwhile ends now."""
    runs = (
        await ctx.session.execute(
            update(ScenarioRun)
            .where(ScenarioRun.friend_id.in_(list(friend_ids)), ScenarioRun.status == "paused")
            .values(
                status=func.coalesce(ScenarioRun.paused_from, "active"),
                paused_from=None,
                updated_at=ctx.now,
            )
            .returning(ScenarioRun.scenario_id, ScenarioRun.resume_at)
            .execution_options(synchronize_session=False)
        )
    ).all()
    for scenario_id, due in {(s, d if d and d > ctx.now else None) for s, d in runs}:
        wake_after_commit(ctx, scenario_id, due)


# ---- starting and stopping --------------------------------------------------------------------------------------


def reentry_of(graph: Graph) -> bool:
    return bool(graph.settings["reentry"])


async def enrol(
    ctx: WorkspaceContext,
    scenario_id: int,
    version_id: int,
    friend_id: int,
    entry_node_id: str,
    reentry: bool,
    source: str,
) -> int | None:
    """Start one run at ``entry_node_id``; its id, or None when the friend is blocked, already in it, or may not
    re-enter."""
    started = await enrol_many(ctx, scenario_id, version_id, [friend_id], entry_node_id, reentry, source)
    if not started:
        return None
    return await ctx.session.scalar(
        select(ScenarioRun.id).where(
            ScenarioRun.scenario_id == scenario_id, ScenarioRun.friend_id == friend_id, ScenarioRun.ended_at.is_(None)
        )
    )


async def enrol_many(
    ctx: WorkspaceContext,
    scenario_id: int,
    version_id: int,
    friend_ids: Sequence[int] | Select[Any],
    entry_node_id: str,
    reentry: bool,
    source: str,
) -> int:
    """Start runs at ``entry_node_id`` for the following friends among ``friend_ids``, in one INSERT … SELECT.

    Friends already in the scenario (or who ever were, without re-entry) are left out. One job wakes a worker
    for the scenario's due runs, however many started.
    """
    chosen = friend_ids if isinstance(friend_ids, Select) else None
    already = select(ScenarioRun.id).where(ScenarioRun.scenario_id == scenario_id, ScenarioRun.friend_id == Friend.id)
    if reentry:
        already = already.where(ScenarioRun.ended_at.is_(None))
    values = _run_values(ctx, scenario_id, version_id, entry_node_id, source)
    columns = list(values)
    ids = Friend.id.in_(select(chosen.subquery().c[0])) if chosen is not None else Friend.id.in_(list(friend_ids))  # type: ignore[arg-type]
    rows = select(*(literal(v, ScenarioRun.__table__.c[k].type) for k, v in values.items()), Friend.id).where(
        ids,
        Friend.workspace_id == ctx.workspace_id,
        Friend.status == "following",
        ~exists(already),
    )
    result = await ctx.session.execute(
        insert(ScenarioRun).from_select([*columns, "friend_id"], rows).execution_options(synchronize_session=False)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        await note_growth(ctx.session, ctx.jobs, ScenarioRun.__tablename__, count)
        wake_after_commit(ctx, scenario_id, None)
    return count


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
    return await enrol(ctx, scenario_id, scenario.current_version_id, friend_id, entry, reentry_of(graph), source)


async def start_for_friends(ctx: WorkspaceContext, scenario_id: int, friend_ids: Select[Any], *, source: str) -> int:
    """Start a published scenario for every following friend ``friend_ids`` yields, in one INSERT … SELECT."""
    found = await _published(ctx, scenario_id)
    if found is None:
        return 0
    scenario, graph = found
    entry = graph.entry(ctx.host.registry)
    if entry is None or scenario.current_version_id is None:
        return 0
    return await enrol_many(ctx, scenario_id, scenario.current_version_id, friend_ids, entry, reentry_of(graph), source)


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


async def stop_for_friends(ctx: WorkspaceContext, scenario_id: int, friend_ids: Select[Any]) -> int:
    """End the friends' runs of a scenario, in one UPDATE."""
    result = await ctx.session.execute(
        update(ScenarioRun)
        .where(
            ScenarioRun.scenario_id == scenario_id,
            ScenarioRun.ended_at.is_(None),
            ScenarioRun.friend_id.in_(friend_ids.correlate(None)),
        )
        .values(status="stopped", ended_at=ctx.now, updated_at=ctx.now, error=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def end_runs(ctx: WorkspaceContext, scenario_id: int) -> int:
    """Stop every running enrolment of a scenario, in one UPDATE."""
    result = await ctx.session.execute(
        update(ScenarioRun)
        .where(ScenarioRun.scenario_id == scenario_id, ScenarioRun.ended_at.is_(None))
        .values(status="stopped", ended_at=ctx.now, updated_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---- advancing runs ----------------------------------------------------------------------------------------------


def _usable(ctx: WorkspaceContext, kind: str, node: Mapping[str, Any]) -> Any:
    try:
        return ctx.host.registry.usable(kind, node["type"], node["type_version"], ctx.enabled_plugins).item
    except Unavailable:
        return None


async def advance_run(
    ctx: JobContext, run_id: int | None = None, scenario_id: int | None = None, now: datetime | None = None
) -> int:
    """Job: advance every due run (of a scenario, or one run) batch by batch as far as it can go now.

    Returns the steps taken. A job that has worked for ``MAX_JOB_SECONDS`` hands over to a fresh job, so a
    worker is never held for long; the database says what is left, so nothing is lost between the two.
    """
    scope = Scope(scenario_id=scenario_id, run_id=run_id)
    limit = batch_size(ctx)
    states: dict[int, WorkspaceState] = {}
    steps = 0
    deadline = time.monotonic() + MAX_JOB_SECONDS
    while time.monotonic() < deadline:
        taken = await _batch_with_retry(ctx, scope, now or utcnow(), states, limit)
        if taken is None or taken == TAKEN:  # nothing due, or another job is on it (rather than spin beside it)
            return steps
        steps += taken
    await enqueue_quietly(
        ctx.jobs,
        ADVANCE_JOB,
        f"scenario_more:{scenario_id}:{run_id}:{utcnow().timestamp()}",
        None,
        run_id=run_id,
        scenario_id=scenario_id,
    )
    return steps


async def _batch_with_retry(
    ctx: JobContext, scope: Scope, now: datetime, states: dict[int, WorkspaceState], limit: int
) -> int | None:
    # SQLite refuses a second writer with OperationalError: that attempt changed nothing, so it simply runs again.
    for attempt in range(5):
        try:
            return await step_batch(ctx, scope, now, states, limit)
        except OperationalError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.05 * (attempt + 1) * (1 + random.random()))
        except BatchFailed as failed:
            if len(failed.run_ids) == 1:
                log.error("scenario run %s: step failed", failed.run_ids[0], exc_info=failed.cause)
                await record_failure(ctx, failed.run_ids[0], now, failed.cause)
                return 0
            log.warning(
                "a batch of %d scenario runs failed (%r); retrying them one by one", len(failed.run_ids), failed.cause
            )
            for rid in failed.run_ids:
                await advance_run(ctx, run_id=rid, now=now)
            return 0
    return None


# ---- the sweeper ------------------------------------------------------------------------------------------------


async def sweep_runs(ctx: JobContext) -> int:
    """Schedule: wake a worker for every scenario with due runs (a lost job, a killed worker, a wait that ended)."""
    now = utcnow()
    async with ctx.db.session() as session:
        due = (
            await session.scalars(
                select(ScenarioRun.scenario_id)
                .where(due_status(), ScenarioRun.resume_at <= now)
                .group_by(ScenarioRun.scenario_id)
                .limit(SWEEP_BATCH)
            )
        ).all()
    slot = int(now.timestamp()) // 15  # one wake-up per scenario per sweep, however often it is asked
    for scenario_id in due:
        await enqueue_quietly(ctx.jobs, ADVANCE_JOB, f"scenario_sweep:{scenario_id}:{slot}", scenario_id=scenario_id)
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
    "due_job_id",
    "end_runs",
    "enrol",
    "enrol_many",
    "in_quiet_hours",
    "on_event",
    "on_events",
    "start_for_friend",
    "start_for_friends",
    "stop_for_friend",
    "stop_for_friends",
    "sweep_runs",
]
