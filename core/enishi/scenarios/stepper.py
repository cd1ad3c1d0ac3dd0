"""Advancing scenario runs in batches: the runs of one version that are due at one node move together.

A batch is one transaction. It takes up to ``batch_size`` due runs of one (version, node) — on PostgreSQL with
``FOR UPDATE SKIP LOCKED``, so several workers share the work — and, in set-based SQL: pauses the runs of
friends who blocked the account, ends those whose exit condition holds, splits a condition's runs into yes and
no with one query, applies an action through its set-based form (sends become outbox rows in batched INSERTs),
computes waits together, records every step in one INSERT and moves the runs with one UPDATE per target node.
A worker killed mid-batch leaves nothing half done: the transaction rolls back and the runs are due again.
Steps are unique per (run, node, visit), and a send's idempotency key is that step's key, so nothing happens
twice.

When a batch fails (a plugin's action raised), it is rolled back and its runs are retried one at a time, so one
friend's failure is recorded on that friend's run (with backoff) and holds nobody else up.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, func, insert, literal_column, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.context import BulkActionContext, JobContext, WorkspaceContext
from enishi.db.engine import dialect_of
from enishi.db.statistics import note_growth
from enishi.jobs.after_commit import enqueue_after_commit, pending_after_commit
from enishi.jobs.queue import ahead_of_queue
from enishi.jobs.workspace_state import WorkspaceState, workspace_context, workspace_state
from enishi.models import Friend
from enishi.models.scenarios import ScenarioRun, ScenarioStep, ScenarioVersion
from enishi.nodes import run_action
from enishi.registry import Unavailable
from enishi.scenarios.document import Graph, find_type
from enishi.scenarios.graphs import graph_of
from enishi.scenarios.quiet_hours import effective_quiet_hours, in_quiet_hours
from enishi.schema_validation import validate
from enishi.settings import env_int
from enishi.types import ActionType, ConditionType, TriggerType, WaitType

log = logging.getLogger("enishi.scenarios")

ADVANCE_JOB = "core.advance_scenario_run"
NOW_JOB_PREFIX = "scenario_now:"
MAX_FAILURES = 5
DUE = ("active", "waiting")
TAKEN = -1  # step_batch: the due runs it found are being stepped by another job
MAX_WAKE_TIMES = 50  # distinct resume times woken by jobs per batch; the sweeper catches any others


def due_status() -> Any:
    """``status IN ('active', 'waiting')`` written out, not bound: the due-run indexes are partial on exactly this,
    and a planner can only use them when it sees the values (with bound values SQLite sorted every live run of
    the scenario before each batch, and a prepared statement's generic plan on PostgreSQL would do the same)."""
    return ScenarioRun.status.in_([literal_column(f"'{status}'") for status in DUE])


def batch_size(ctx: JobContext) -> int:
    """Runs per transaction: SQLite has one writer, so its batches stay shorter to let webhooks in between."""
    default = 2000 if ctx.db.dialect == "postgresql" else 500
    return env_int(ctx.settings.extra, "ENISHI_SCENARIO_BATCH", default, 1, 20000)


def due_job_id(scenario_id: int, due: datetime | None) -> str:
    """One wake-up job per scenario and due time, however many runs are due then."""
    micros = 0 if due is None else (due.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return f"scenario_due:{scenario_id}:{micros}"


def wake_after_commit(ctx: WorkspaceContext, scenario_id: int, due: datetime | None) -> None:
    """Wake a worker for the scenario's due runs once the transaction commits (at ``due``, or now).

    A wake-up for now is one per transaction and scenario, under an id of its own: a shared id would be refused
    while a job of that id is still running, and runs committed after that job's last look would wait for the
    sweeper. A second job finding the runs taken does nothing.
    """
    if due is None:
        if any(
            job.name == ADVANCE_JOB
            and (job.job_id or "").startswith(NOW_JOB_PREFIX)
            and job.kwargs.get("scenario_id") == scenario_id
            for job in pending_after_commit(ctx.session)
        ):
            return
        # Runs due now are a friend waiting (a keyword's answer, a greeting): ahead of the queue, not behind the
        # rest of a burst of webhooks.
        job_id, due = f"{NOW_JOB_PREFIX}{scenario_id}:{uuid.uuid4().hex}", ahead_of_queue()
    else:
        job_id = due_job_id(scenario_id, due)
    enqueue_after_commit(ctx.session, ctx.jobs, ADVANCE_JOB, job_id=job_id, defer_until=due, scenario_id=scenario_id)


@dataclass(frozen=True, slots=True)
class Group:
    """Due runs that can move together: same workspace, version and node."""

    workspace_id: int
    scenario_id: int
    version_id: int
    node_id: str
    published_at: datetime


@dataclass(slots=True)
class DueRun:
    id: int
    friend_id: int
    status: str
    wait_reason: str | None
    resume_port: str | None
    following: bool = True  # the friend still follows the account (read with the lock, in the same statement)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which due runs a job looks at: all, one scenario's, or one run."""

    scenario_id: int | None = None
    run_id: int | None = None

    def where(self, now: datetime) -> list[Any]:
        clauses: list[Any] = [due_status(), ScenarioRun.resume_at <= now]
        if self.scenario_id is not None:
            clauses.append(ScenarioRun.scenario_id == self.scenario_id)
        if self.run_id is not None:
            clauses.append(ScenarioRun.id == self.run_id)
        return clauses


class BatchFailed(Exception):
    """A batch raised; it was rolled back and its runs are to be retried one at a time."""

    def __init__(self, run_ids: list[int], cause: BaseException) -> None:
        super().__init__(str(cause))
        self.run_ids = run_ids
        self.cause = cause


async def step_batch(
    ctx: JobContext, scope: Scope, now: datetime, states: dict[int, WorkspaceState], limit: int
) -> int | None:
    """Take one batch of due runs through their node; the steps taken, None when nothing in scope is due, or
    ``TAKEN`` when the earliest due runs are all another job's batch (that job carries on after it)."""
    group = await _peek_group(ctx, scope, now)
    if group is None:
        return None
    if group.workspace_id not in states:
        states[group.workspace_id] = await workspace_state(ctx, group.workspace_id)
    state = states[group.workspace_id]
    taken: list[int] = []
    try:
        async with ctx.db.transaction(group.workspace_id) as session:
            runs = await _lock_batch(session, group, scope, now, limit)
            if not runs:
                return TAKEN  # another job has them, and goes on to what is due after them
            taken = [r.id for r in runs]
            wctx = workspace_context(ctx, session, group.workspace_id, state, now)
            return await Batch(
                wctx, group, state, runs, await graph_of(wctx, group.version_id, group.published_at)
            ).run()
    except OperationalError:
        raise  # SQLite busy: nothing was written; the caller tries again
    except Exception as exc:
        if not taken:
            raise
        raise BatchFailed(taken, exc) from exc


async def _peek_group(ctx: JobContext, scope: Scope, now: datetime) -> Group | None:
    """The (version, node) of the earliest due run in scope, read without locking (the batch locks)."""
    async with ctx.db.session() as session:
        row = (
            await session.execute(
                select(
                    ScenarioRun.workspace_id,
                    ScenarioRun.scenario_id,
                    ScenarioRun.version_id,
                    ScenarioRun.node_id,
                    ScenarioVersion.published_at,
                )
                .join(ScenarioVersion, ScenarioVersion.id == ScenarioRun.version_id)
                .where(*scope.where(now))
                .order_by(ScenarioRun.resume_at)
                .limit(1)
            )
        ).one_or_none()
    if row is None:
        return None
    return Group(*row)


async def _lock_batch(session: AsyncSession, group: Group, scope: Scope, now: datetime, limit: int) -> list[DueRun]:
    query = (
        select(
            ScenarioRun.id,
            ScenarioRun.friend_id,
            ScenarioRun.status,
            ScenarioRun.wait_reason,
            ScenarioRun.resume_port,
            Friend.status == "following",
        )
        .outerjoin(Friend, and_(Friend.id == ScenarioRun.friend_id, Friend.workspace_id == ScenarioRun.workspace_id))
        .where(
            *scope.where(now),
            ScenarioRun.version_id == group.version_id,
            ScenarioRun.node_id == group.node_id,
        )
        .order_by(ScenarioRun.resume_at, ScenarioRun.id)
        .limit(limit)
    )
    if dialect_of(session) == "postgresql":
        query = query.with_for_update(skip_locked=True, of=ScenarioRun)  # the runs only: friends stay free
    return [DueRun(*row[:5], following=bool(row[5])) for row in (await session.execute(query)).all()]


class Batch:
    """One batch's work, in its transaction."""

    def __init__(
        self, ctx: WorkspaceContext, group: Group, state: WorkspaceState, runs: list[DueRun], graph: Graph
    ) -> None:
        self.ctx = ctx
        self.group = group
        self.state = state
        self.runs = runs
        self.graph = graph
        self.now = ctx.now
        self.steps: list[dict[str, Any]] = []
        self.moves: dict[str, list[int]] = defaultdict(list)  # output port → runs leaving through it
        self.waiting = {r.id for r in runs if r.status != "active"}  # runs whose status moves to active

    @property
    def session(self) -> AsyncSession:
        return self.ctx.session

    async def run(self) -> int:
        runs = await self._pause_blocked(self.runs)
        node = self.graph.nodes.get(self.group.node_id)
        if node is None:
            await self._finish([r.id for r in runs], "failed", f"node {self.group.node_id} is not in the version")
            return 0
        runs = await self._exit(runs)
        ending = [r for r in runs if r.status == "waiting" and r.wait_reason == "node"]
        if ending:
            await self._end_waits(node, ending)
        to_run = [r for r in runs if not (r.status == "waiting" and r.wait_reason == "node")]
        if to_run:
            await self._run_node(node, to_run)
        if self.steps:
            await self.session.execute(insert(ScenarioStep), self.steps)
            await note_growth(self.session, self.ctx.jobs, ScenarioStep.__tablename__, len(self.steps))
        await self._move(node)
        return len(self.steps) + len(ending)

    # ---- who goes on ---------------------------------------------------------------------------------------

    async def _pause_blocked(self, runs: list[DueRun]) -> list[DueRun]:
        """Runs of friends who blocked the account (or were deleted) stop where they are, in one UPDATE."""
        stopped = [r.id for r in runs if not r.following]
        if stopped:
            await self.session.execute(
                update(ScenarioRun)
                .where(ScenarioRun.id.in_(stopped))
                .values(status="paused", paused_from=ScenarioRun.status, updated_at=self.now)
                .execution_options(synchronize_session=False)
            )
        return [r for r in runs if r.following]

    async def _exit(self, runs: list[DueRun]) -> list[DueRun]:
        condition = self.graph.settings.get("exit_condition")
        if not condition or not runs:
            return runs
        holding = await self._holding(condition["type"], condition["type_version"], condition["config"], runs)
        if holding is None:
            return runs  # a condition of a plugin switched off since cannot end anyone's run
        exited = [r.id for r in runs if r.friend_id in holding]
        if exited:
            await self._finish(exited, "exited")
        return [r for r in runs if r.friend_id not in holding]

    async def _holding(
        self, key: str, version: int | None, config: Mapping[str, Any], runs: Iterable[DueRun]
    ) -> set[int] | None:
        """The friends among the runs' for whom the condition holds: one query for the whole batch."""
        try:
            item = self.ctx.host.registry.usable("conditions", key, version, self.ctx.enabled_plugins).item
        except Unavailable:
            return None
        assert isinstance(item, ConditionType)
        expression = item.compile(self.ctx, config)
        found = await self.session.scalars(
            select(Friend.id).where(Friend.id.in_({r.friend_id for r in runs}), expression)
        )
        return set(found.all())

    # ---- the node's work -------------------------------------------------------------------------------------

    async def _end_waits(self, node: Mapping[str, Any], runs: list[DueRun]) -> None:
        """Waits that ended (their time came, or their event did): the wait's open step gets its port."""
        by_port: dict[str, list[int]] = defaultdict(list)
        for run in runs:
            by_port[run.resume_port or "next"].append(run.id)
        for port, ids in by_port.items():
            await self.session.execute(
                update(ScenarioStep)
                .where(ScenarioStep.run_id.in_(ids), ScenarioStep.node_id == node["id"], ScenarioStep.port.is_(None))
                .values(port=port, finished_at=self.now)
                .execution_options(synchronize_session=False)
            )
            self.moves[port].extend(ids)

    async def _run_node(self, node: Mapping[str, Any], runs: list[DueRun]) -> None:
        found = find_type(self.ctx.host.registry, node["type"], node["type_version"])
        try:
            item = (
                self.ctx.host.registry.usable(
                    found[0], node["type"], node["type_version"], self.ctx.enabled_plugins
                ).item
                if found
                else None
            )
        except Unavailable:
            item = None
        if found is None or item is None:
            error = f"{node['type']} v{node['type_version']} is not available in this workspace"
            await self._finish([r.id for r in runs], "failed", error)
            return
        visits = await self._visits(node["id"], runs)
        if isinstance(item, TriggerType):
            self._record(node, runs, visits, item.outputs[0].name)
        elif isinstance(item, ConditionType):
            holding = await self._holding(node["type"], node["type_version"], node["config"], runs) or set()
            self._record(node, [r for r in runs if r.friend_id in holding], visits, "yes")
            self._record(node, [r for r in runs if r.friend_id not in holding], visits, "no")
        elif isinstance(item, ActionType):
            await self._act(node, item, runs, visits)
        else:
            assert isinstance(item, WaitType)
            await self._wait(node, item, runs, visits)

    async def _visits(self, node_id: str, runs: list[DueRun]) -> dict[int, int]:
        """Each run's visit number for this node (a loop through a wait reaches a node again)."""
        if node_id not in self.graph.looped:
            return {r.id: 1 for r in runs}
        rows = await self.session.execute(
            select(ScenarioStep.run_id, func.max(ScenarioStep.visit))
            .where(ScenarioStep.run_id.in_([r.id for r in runs]), ScenarioStep.node_id == node_id)
            .group_by(ScenarioStep.run_id)
        )
        last = dict(rows.all())
        return {r.id: int(last.get(r.id) or 0) + 1 for r in runs}

    async def _act(self, node: Mapping[str, Any], item: ActionType, runs: list[DueRun], visits: dict[int, int]) -> None:
        if item.sends_messages:
            runs = await self._hold_for_quiet_hours(runs)
            if not runs:
                return
        problems = validate(dict(item.config_schema), node["config"])
        if problems:
            raise ValueError("; ".join(f"{p.path}: {p.message}" for p in problems))
        keys = {r.friend_id: f"scenario:{r.id}:{node['id']}:{visits[r.id]}" for r in runs}
        results: Mapping[int, Mapping[str, Any]] = {}
        if item.run_bulk is not None:
            bulk_ctx = self.ctx.as_(BulkActionContext, source="scenario", idempotency_keys=keys)
            friends: Select[Any] = select(Friend.id).where(Friend.id.in_(list(keys)))
            answer = await item.run_bulk(bulk_ctx, friends, node["config"])
            if isinstance(answer, Mapping):
                results = answer
        else:  # no set-based form: correct, one friend at a time
            results = {
                r.friend_id: await run_action(
                    self.ctx,
                    node["type"],
                    node["type_version"],
                    r.friend_id,
                    node["config"],
                    idempotency_key=keys[r.friend_id],
                    source="scenario",
                )
                for r in runs
            }
        self._record(node, runs, visits, item.outputs[0].name, results)

    async def _hold_for_quiet_hours(self, runs: list[DueRun]) -> list[DueRun]:
        """In quiet hours only pushes wait: a friend whose reply token is still fresh is answered now, for free."""
        quiet = effective_quiet_hours(self.graph.settings, self.state.quiet_hours)
        until = in_quiet_hours(self.now, self.ctx.tz, quiet)
        if until is None:
            return runs
        from enishi.line.outbox import OutboxSettings  # lazily: the LINE layer builds on the engine's models only

        fresh_since = self.now - OutboxSettings.from_settings(self.ctx.settings).reply_max_age
        answerable = set(
            (
                await self.session.scalars(
                    select(Friend.id).where(
                        Friend.id.in_({r.friend_id for r in runs}),
                        Friend.reply_token.is_not(None),
                        Friend.reply_token_at >= fresh_since,
                    )
                )
            ).all()
        )
        held = [r.id for r in runs if r.friend_id not in answerable]
        if held:
            await self.session.execute(
                update(ScenarioRun)
                .where(ScenarioRun.id.in_(held))
                .values(status="waiting", wait_reason="quiet_hours", resume_at=until, updated_at=self.now)
                .execution_options(synchronize_session=False)
            )
            wake_after_commit(self.ctx, self.group.scenario_id, until)
        return [r for r in runs if r.friend_id in answerable]

    async def _wait(self, node: Mapping[str, Any], item: WaitType, runs: list[DueRun], visits: dict[int, int]) -> None:
        friend_ids = [r.friend_id for r in runs]
        if item.resume_at_many is not None:
            dues = await item.resume_at_many(self.ctx, friend_ids, node["config"], self.now)
        else:
            dues = {f: await item.resume_at(self.ctx, f, node["config"], self.now) for f in friend_ids}
        passed_on = [r for r in runs if dues.get(r.friend_id) is None]
        if passed_on:  # nothing to wait for (e.g. no date in the field): the last port, at once
            self._record(node, passed_on, visits, item.outputs[-1].name)
        waiting = [r for r in runs if dues.get(r.friend_id) is not None]
        if not waiting:
            return
        event = item.event_of(node["config"]) if item.event_of else None
        for run in waiting:
            self.steps.append(self._step(node, run, visits[run.id], None, {"until": _iso(dues[run.friend_id])}))
        by_due: dict[datetime, list[int]] = defaultdict(list)
        for run in waiting:
            due = dues[run.friend_id]
            assert due is not None
            by_due[due].append(run.id)
        values = {
            "status": "waiting",
            "wait_reason": "node",
            "resume_port": item.outputs[0].name,
            "wait_event": event[0] if event else None,
            "updated_at": self.now,
        }
        if len(by_due) == 1:
            [(due, ids)] = by_due.items()
            await self.session.execute(
                update(ScenarioRun)
                .where(ScenarioRun.id.in_(ids))
                .values(resume_at=due, **values)
                .execution_options(synchronize_session=False)
            )
        else:  # a date per friend: one executemany UPDATE
            table = cast(Table, ScenarioRun.__table__)
            await self.session.execute(
                update(table).where(table.c.id == bindparam("run_id")).values(resume_at=bindparam("due"), **values),
                [{"run_id": rid, "due": due} for due, ids in by_due.items() for rid in ids],
                execution_options={"synchronize_session": False},
            )
        for due in sorted(by_due)[:MAX_WAKE_TIMES]:
            wake_after_commit(self.ctx, self.group.scenario_id, due if due > self.now else None)

    # ---- recording and moving on ----------------------------------------------------------------------------

    def _record(
        self,
        node: Mapping[str, Any],
        runs: list[DueRun],
        visits: dict[int, int],
        port: str,
        results: Mapping[int, Mapping[str, Any]] | None = None,
    ) -> None:
        for run in runs:
            result = (results or {}).get(run.friend_id) or {}
            self.steps.append(self._step(node, run, visits[run.id], port, result))
            self.moves[port].append(run.id)

    def _step(
        self, node: Mapping[str, Any], run: DueRun, visit: int, port: str | None, result: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {
            "workspace_id": self.ctx.workspace_id,
            "run_id": run.id,
            "node_id": node["id"],
            "visit": visit,
            "node_type": node["type"],
            "port": port,
            "result": dict(result),
            "started_at": self.now,
            "finished_at": self.now,
        }

    async def _move(self, node: Mapping[str, Any]) -> None:
        """One UPDATE per target node; runs leaving through an unconnected port are completed."""
        for port, ids in self.moves.items():
            target = self.graph.next_of.get((node["id"], port))
            if target is None:
                await self._finish(ids, "completed")
                continue
            # Most runs moving on are active already: leaving status out of their UPDATE spares the indexes on it
            # (an UPDATE naming a column rewrites every index with that column, changed or not).
            waiting = self.waiting & set(ids)
            for chosen, values in (
                ([i for i in ids if i not in waiting], {}),
                ([i for i in ids if i in waiting], {"status": "active"}),
            ):
                if not chosen:
                    continue
                await self.session.execute(
                    update(ScenarioRun)
                    .where(ScenarioRun.id.in_(chosen))
                    .values(
                        node_id=target,
                        resume_at=self.now,
                        resume_port=None,
                        wait_event=None,
                        wait_reason=None,
                        updated_at=self.now,
                        **values,
                    )
                    .execution_options(synchronize_session=False)
                )

    async def _finish(self, run_ids: Sequence[int], status: str, error: str | None = None) -> None:
        await self.session.execute(
            update(ScenarioRun)
            .where(ScenarioRun.id.in_(list(run_ids)))
            .values(
                status=status,
                ended_at=self.now,
                updated_at=self.now,
                error=error,
                resume_at=None,
                resume_port=None,
                wait_event=None,
                wait_reason=None,
            )
            .execution_options(synchronize_session=False)
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def record_failure(ctx: JobContext, run_id: int, now: datetime, exc: BaseException) -> None:
    """A run whose step raised: counted, retried later with backoff, failed after MAX_FAILURES."""
    async with ctx.db.transaction() as session:
        run = await session.get(ScenarioRun, run_id)
        if run is None or run.status not in DUE:
            return
        session.info["workspace_id"] = run.workspace_id
        run.failures += 1
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.updated_at = now
        if run.failures >= MAX_FAILURES:
            run.status, run.ended_at, run.resume_at = "failed", now, None
            return
        run.resume_at = now + timedelta(seconds=min(3600, 10 * 4 ** (run.failures - 1)) * (1 + random.random() / 4))
        due, scenario_id = run.resume_at, run.scenario_id
        wctx = WorkspaceContext(
            workspace_id=run.workspace_id,
            session=session,
            host=ctx.host,
            settings=ctx.settings,
            jobs=ctx.jobs,
            enabled_plugins=frozenset(),
        )
        wake_after_commit(wctx, scenario_id, due)


__all__ = [
    "ADVANCE_JOB",
    "BatchFailed",
    "Scope",
    "batch_size",
    "due_job_id",
    "record_failure",
    "step_batch",
    "wake_after_commit",
]
