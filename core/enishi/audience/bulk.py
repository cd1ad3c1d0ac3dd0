"""Bulk operations (一括操作): one action applied to a set of friends in the background, with progress.

An operation is a row. Its job first freezes the target (a segment, a saved segment or a selection of friends)
into ``bulk_operation_friends`` with one INSERT … SELECT, so the audience does not change under it and progress
has a denominator. Then it works through the frozen friends in chunks, in friend-id order: each chunk is one
transaction that locks the operation, calls the action's ``run_bulk`` with a SELECT of the chunk's ids, deletes
those ids and adds to the counters. A worker killed mid-chunk rolls the whole chunk back; what is left in the
table is exactly what is still to do, so the next worker resumes with the next chunk and no chunk is applied
twice, even for actions that are not idempotent by themselves (adding a note, adding to a number).

Jobs only wake operations up; ``core.sweep_bulk_operations`` re-enqueues queued ones whose job was lost and
running ones whose heartbeat stopped. Two workers on one operation take turns on its row lock.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, insert, literal, not_, select
from sqlalchemy.exc import OperationalError

from enishi.context import BulkActionContext, JobContext, WorkspaceContext
from enishi.db.base import BigId, utcnow
from enishi.db.engine import upsert_insert
from enishi.jobs.after_commit import enqueue_after_commit, enqueue_quietly
from enishi.jobs.workspace_state import WorkspaceState, workspace_context, workspace_state
from enishi.models import Friend
from enishi.models.audience_bulk import FINAL_BULK_STATUSES, BulkOperation, BulkOperationFriend
from enishi.nodes import check_node_config
from enishi.registry import Registered, Registry, Unavailable
from enishi.schema_validation import SchemaProblem
from enishi.types import ActionType, BulkResult, JobType, Schedule

log = logging.getLogger("enishi.audience")

RUN_JOB = "core.run_bulk_operation"
SWEEP_SCHEDULE = "core.sweep_bulk_operations"
CHUNK_SIZE = 1000
MAX_FRIEND_IDS = 10_000
SLICE_SECONDS = 30.0  # then the job hands over to a fresh one, so one big operation cannot hold a worker
CHUNK_ATTEMPTS = 3  # a chunk that hits a transient database error is tried again before it counts as failed
STALE_AFTER = timedelta(minutes=2)  # a running operation without a heartbeat this long is picked up again
QUEUED_GRACE = timedelta(seconds=10)  # a queued operation's own job normally starts well within this
KEPT_ERRORS = 50  # failed chunks described in the report; the counters count them all
SWEEP_BATCH = 500
FRIEND_STATUSES = ("following", "blocked", "all")

BulkFn = Callable[[BulkActionContext, Select[Any], Mapping[str, Any]], Awaitable[BulkResult]]


def bulk_function(entry: Registered[Any]) -> BulkFn | None:
    """How an action type runs on a set of friends, or None when it cannot in a bulk operation: it has no
    ``run_bulk``, or it sends messages (a send to many friends is a broadcast, with its quota and pacing)."""
    item = entry.item
    if not isinstance(item, ActionType) or item.sends_messages:
        return None
    return item.run_bulk


def bulk_actions(registry: Registry, enabled: frozenset[str]) -> list[Registered[Any]]:
    """The action types (every registered version) a workspace can apply in bulk."""
    return [e for e in registry.all("actions", enabled) if bulk_function(e) is not None]


# ---- making an operation -----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BulkRequest:
    action_type: str
    action_version: int | None
    config: Any
    segment: Any = None
    exclude: Any = None
    friend_ids: list[int] | None = None
    saved_segment_id: int | None = None
    status: str | None = None  # following / blocked / all, for segment targets

    def fingerprint(self) -> str:
        """Tells a replay of this request (same Idempotency-Key, same body) from a different one."""
        body = json.dumps(
            [
                self.action_type,
                self.action_version,
                self.config,
                self.segment,
                self.exclude,
                self.friend_ids,
                self.saved_segment_id,
                self.status,
            ],
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(body.encode()).hexdigest()


class InvalidBulkRequest(ValueError):
    def __init__(self, problems: list[SchemaProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))


class IdempotencyKeyReused(ValueError):
    """The Idempotency-Key was used before for a different request."""


async def existing_operation(ctx: WorkspaceContext, idempotency_key: str, request: BulkRequest) -> BulkOperation | None:
    """The operation an earlier request with this key made; IdempotencyKeyReused if it asked for something else."""
    found = await ctx.session.scalar(select(BulkOperation).where(BulkOperation.idempotency_key == idempotency_key))
    if found is not None and found.request_hash != request.fingerprint():
        raise IdempotencyKeyReused(idempotency_key)
    return found


async def create_operation(
    ctx: WorkspaceContext, request: BulkRequest, *, idempotency_key: str | None = None
) -> tuple[BulkOperation, bool]:
    """Check the request (every problem at once, with paths) and queue the operation; True when it is new.

    With an ``idempotency_key`` that was used before for the same request, the earlier operation is returned
    instead (also when two such requests race). Raises InvalidBulkRequest or IdempotencyKeyReused.
    """
    if idempotency_key is not None:
        found = await existing_operation(ctx, idempotency_key, request)
        if found is not None:
            return found, False
    version, target = await _check(ctx, request)
    values = {
        "workspace_id": ctx.workspace_id,
        "action_type": request.action_type,
        "action_version": version,
        "config": request.config,
        "target": target,
        "status": "queued",
        "cancel_requested": False,
        "done": 0,
        "failed": 0,
        "changed": 0,
        "chunks_done": 0,
        "chunks_failed": 0,
        "errors": [],
        "idempotency_key": idempotency_key,
        "request_hash": request.fingerprint(),
        "created_by": ctx.actor_user_id,
        "created_at": ctx.now,
        "updated_at": ctx.now,
    }
    statement = upsert_insert(ctx.session, BulkOperation).values(values)
    if idempotency_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["workspace_id", "idempotency_key"])
    new_id = await ctx.session.scalar(statement.returning(BulkOperation.id))
    if new_id is None:  # a concurrent request with the same key won
        found = await existing_operation(ctx, idempotency_key or "", request)
        assert found is not None
        return found, False
    operation = await ctx.session.get_one(BulkOperation, new_id)
    enqueue_after_commit(ctx.session, ctx.jobs, RUN_JOB, job_id=job_id(operation), operation_id=operation.id)
    return operation, True


async def _check(ctx: WorkspaceContext, request: BulkRequest) -> tuple[int, dict[str, Any]]:
    """The pinned action version and the target as stored, or InvalidBulkRequest with every problem."""
    from enishi.audience.segments import check_segment

    problems: list[SchemaProblem] = []
    version = request.action_version
    try:
        entry = ctx.host.registry.usable("actions", request.action_type, version, ctx.enabled_plugins)
    except Unavailable as exc:
        known = ctx.host.registry.get("actions", request.action_type) is not None
        path = "$.action.type_version" if version is not None and known else "$.action.type"
        problems.append(SchemaProblem(path, f"この操作は使えません / {exc}"))
    else:
        version = entry.version
        if bulk_function(entry) is None:
            problems.append(
                SchemaProblem("$.action.type", "この操作は一括では実行できません / this action cannot run in bulk")
            )
        else:
            problems += await check_node_config(
                ctx, "actions", request.action_type, version, request.config, "$.action.config"
            )
            if not problems and request.action_type == "core.start_scenario":
                problems += await _check_scenario_running(ctx, request.config)

    target: dict[str, Any] = {}
    chosen = [k for k in ("segment", "friend_ids", "saved_segment_id") if getattr(request, k) is not None]
    if len(chosen) != 1:
        problems.append(
            SchemaProblem(
                "$.target",
                "segment・friend_ids・saved_segment_id のどれか一つを指定してください / "
                "give exactly one of segment, friend_ids, saved_segment_id",
            )
        )
    if request.friend_ids is not None:
        if request.status is not None:
            problems.append(
                SchemaProblem("$.target.status", "選んだ友だちには指定できません / not used with friend_ids")
            )
        problems += await _check_friend_ids(ctx, request.friend_ids)
        target["friend_ids"] = sorted(set(request.friend_ids))
    else:
        status = request.status or "following"
        if status not in FRIEND_STATUSES:
            problems.append(SchemaProblem("$.target.status", "following / blocked / all"))
        target["status"] = status
        if request.saved_segment_id is not None:
            saved = await _saved_segment(ctx, request.saved_segment_id)
            if saved is None:
                problems.append(
                    SchemaProblem("$.target.saved_segment_id", "保存した条件がありません / no such saved segment")
                )
            else:
                target["saved_segment_id"] = request.saved_segment_id
                # Copied now: editing the tab later does not change what this operation does.
                target["segment"], saved_exclude, saved_status = saved
                if request.status is None:
                    target["status"] = saved_status
                if request.exclude is None and saved_exclude is not None:
                    target["exclude"] = saved_exclude
        elif request.segment is not None:
            problems += await check_segment(ctx, request.segment, "$.target.segment")
            target["segment"] = request.segment
    if request.exclude is not None:
        problems += await check_segment(ctx, request.exclude, "$.target.exclude")
        target["exclude"] = request.exclude
    if problems:
        raise InvalidBulkRequest(problems)
    assert version is not None
    return version, target


async def _check_scenario_running(ctx: WorkspaceContext, config: Mapping[str, Any]) -> list[SchemaProblem]:
    from enishi.models.scenarios import Scenario

    status = await ctx.session.scalar(select(Scenario.status).where(Scenario.id == config["scenario_id"]))
    if status != "active":
        return [
            SchemaProblem("$.action.config.scenario_id", "公開中のシナリオではありません / the scenario is not running")
        ]
    return []


async def _check_friend_ids(ctx: WorkspaceContext, friend_ids: list[int]) -> list[SchemaProblem]:
    wanted = set(friend_ids)
    found = set((await ctx.session.scalars(select(Friend.id).where(Friend.id.in_(wanted)))).all())
    missing = [
        SchemaProblem(f"$.target.friend_ids[{i}]", f"友だち {fid} はいません / no friend {fid} in this workspace")
        for i, fid in enumerate(friend_ids)
        if fid not in found
    ]
    return missing[:20]  # enough to see what went wrong, without answering with thousands of lines


async def _saved_segment(ctx: WorkspaceContext, saved_id: int) -> tuple[Any, Any, str] | None:
    """A saved segment this staff member can see: (segment, exclude, status)."""
    from enishi.models.audience import SavedSegment

    saved = await ctx.session.get(SavedSegment, saved_id)
    if saved is None or (saved.owner_user_id is not None and saved.owner_user_id != ctx.actor_user_id):
        return None
    return saved.segment, saved.exclude, saved.status


# ---- cancelling --------------------------------------------------------------------------------------------------


class NotCancellable(ValueError):
    pass


async def request_cancel(ctx: WorkspaceContext, operation_id: int) -> BulkOperation | None:
    """A queued operation is cancelled at once; a running one stops after the chunk it is doing."""
    operation = await ctx.session.scalar(
        select(BulkOperation)
        .where(BulkOperation.id == operation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if operation is None:
        return None
    if operation.status in FINAL_BULK_STATUSES:
        raise NotCancellable(operation.status)
    if operation.status == "queued":
        await _finish(ctx, operation, "cancelled")
    else:
        operation.cancel_requested = True
        # Wakes the operation should its worker be gone; with a live one it takes turns on the row lock.
        enqueue_after_commit(ctx.session, ctx.jobs, RUN_JOB, job_id=job_id(operation), operation_id=operation.id)
    await ctx.session.flush()
    return operation


# ---- doing the work ----------------------------------------------------------------------------------------------


def job_id(operation: BulkOperation) -> str:
    """A stable id per position: a lost job is replaced by the sweeper, a running one is not doubled."""
    position = operation.chunks_done + operation.chunks_failed + (0 if operation.status == "queued" else 1)
    return f"bulk_operation:{operation.id}:{position}"


async def run_operation(ctx: JobContext, operation_id: int) -> str:
    """Job: freeze the target, then apply the action chunk by chunk; safe to run any number of times."""
    async with ctx.db.session() as session:
        row = (
            await session.execute(
                select(BulkOperation.workspace_id, BulkOperation.status).where(BulkOperation.id == operation_id)
            )
        ).one_or_none()
    if row is None or row.status in FINAL_BULK_STATUSES:
        return "finished"
    workspace_id = int(row.workspace_id)
    state = await workspace_state(ctx, workspace_id)
    deadline = time.monotonic() + SLICE_SECONDS
    while True:
        outcome, continuation = await _step(ctx, workspace_id, state, operation_id)
        if outcome != "more":
            return outcome
        if time.monotonic() > deadline:
            await enqueue_quietly(ctx.jobs, RUN_JOB, continuation, operation_id=operation_id)
            return "continued"


async def _step(ctx: JobContext, workspace_id: int, state: WorkspaceState, operation_id: int) -> tuple[str, str]:
    """One transaction: freeze the target, apply one chunk, or finish. Returns what happened and the job id
    that would continue from here."""
    async with ctx.db.transaction(workspace_id) as session:
        operation = await session.scalar(
            select(BulkOperation).where(BulkOperation.id == operation_id).with_for_update()
        )
        if operation is None or operation.status in FINAL_BULK_STATUSES:
            return "finished", ""
        wctx = workspace_context(ctx, session, workspace_id, state)
        wctx.actor_user_id = operation.created_by  # what the action records is attributed to who asked
        operation.updated_at = wctx.now
        if operation.cancel_requested:
            return await _finish(wctx, operation, "cancelled"), ""
        try:
            entry = ctx.host.registry.usable("actions", operation.action_type, operation.action_version, state.enabled)
        except Unavailable as exc:
            return await _finish(wctx, operation, "failed", f"この操作は使えなくなりました / {exc}"), ""
        run_bulk = bulk_function(entry)
        if run_bulk is None:
            return await _finish(wctx, operation, "failed", "一括では実行できません / cannot run in bulk"), ""
        if operation.status == "queued":
            try:
                async with session.begin_nested():
                    operation.total = await _freeze(wctx, operation)
            except Exception as exc:
                # E.g. a condition of the segment belongs to a plugin switched off since the request. Retrying
                # would fail the same way, so the operation ends here and says why.
                log.warning("bulk operation %s: the target could not be frozen", operation.id, exc_info=True)
                return await _finish(wctx, operation, "failed", f"対象を決められません / {_describe(exc)}"), ""
            operation.status, operation.started_at = "running", wctx.now
            return "more", job_id(operation)
        remaining = _next_chunk(operation.id)
        first, last, count = (
            await session.execute(
                select(func.min(remaining.c.friend_id), func.max(remaining.c.friend_id), func.count()).select_from(
                    remaining
                )
            )
        ).one()
        if not count:
            return await _finish(wctx, operation, "failed" if operation.chunks_failed else "done"), ""
        chunk = select(BulkOperationFriend.friend_id).where(
            BulkOperationFriend.operation_id == operation.id, BulkOperationFriend.friend_id <= last
        )
        changed, error = await _apply(wctx, run_bulk, chunk, operation.config)
        await _record_chunk(wctx, operation, Chunk(int(first), int(last), int(count)), changed, error)
        return "more", job_id(operation)


@dataclass(frozen=True, slots=True)
class Chunk:
    first_friend_id: int
    last_friend_id: int
    friends: int


def _next_chunk(operation_id: int) -> Any:
    """The next chunk: the first CHUNK_SIZE friends the operation still has to do, in friend-id order."""
    return (
        select(BulkOperationFriend.friend_id)
        .where(BulkOperationFriend.operation_id == operation_id)
        .order_by(BulkOperationFriend.friend_id)
        .limit(CHUNK_SIZE)
        .subquery()
    )


def target_select(ctx: WorkspaceContext, target: Mapping[str, Any]) -> Select[Any]:
    """The ids of the friends a stored target names, as they are now: one SELECT."""
    from enishi.audience.segments import compile_segment, friends_in

    if "friend_ids" in target:
        query = select(Friend.id).where(Friend.workspace_id == ctx.workspace_id, Friend.id.in_(target["friend_ids"]))
        if target.get("exclude") is not None:
            query = query.where(not_(compile_segment(ctx, target["exclude"])))
        return query
    status = target.get("status", "following")
    query = friends_in(ctx, target.get("segment"), exclude=target.get("exclude"), following_only=status == "following")
    if status == "blocked":
        query = query.where(Friend.status == "blocked")
    return query


async def _freeze(ctx: WorkspaceContext, operation: BulkOperation) -> int:
    chosen = target_select(ctx, operation.target).subquery()
    await ctx.session.execute(
        insert(BulkOperationFriend).from_select(
            ["operation_id", "friend_id"], select(literal(operation.id, BigId), chosen.c[0])
        )
    )
    total = await ctx.session.scalar(
        select(func.count()).select_from(BulkOperationFriend).where(BulkOperationFriend.operation_id == operation.id)
    )
    return int(total or 0)


async def _apply(
    ctx: WorkspaceContext, run_bulk: BulkFn, chunk: Select[Any], config: Mapping[str, Any]
) -> tuple[int, str | None]:
    """The action on one chunk, in a savepoint: what it changed, or why it failed (its effects then undone)."""
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        try:
            async with ctx.session.begin_nested():
                answer = await run_bulk(_bulk_context(ctx), chunk, config)
                return (len(answer) if isinstance(answer, Mapping) else int(answer or 0)), None
        except OperationalError as exc:  # a deadlock or a lock time-out: worth another try
            if attempt == CHUNK_ATTEMPTS:
                return 0, _describe(exc)
        except Exception as exc:
            log.warning("bulk action failed on a chunk", exc_info=True)
            return 0, _describe(exc)
    raise AssertionError("unreachable")


def _bulk_context(ctx: WorkspaceContext) -> BulkActionContext:
    return ctx.as_(BulkActionContext, source="bulk")


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


async def _record_chunk(
    ctx: WorkspaceContext, operation: BulkOperation, chunk: Chunk, changed: int, error: str | None
) -> None:
    """The chunk is done (or failed): its friends leave the to-do table in the same transaction as its effects."""
    await ctx.session.execute(
        delete(BulkOperationFriend).where(
            BulkOperationFriend.operation_id == operation.id,
            BulkOperationFriend.friend_id <= chunk.last_friend_id,
        )
    )
    if error is None:
        operation.done += chunk.friends
        operation.changed += changed
        operation.chunks_done += 1
        return
    operation.failed += chunk.friends
    operation.chunks_failed += 1
    if len(operation.errors) < KEPT_ERRORS:
        operation.errors = [
            *operation.errors,
            {
                "first_friend_id": chunk.first_friend_id,
                "last_friend_id": chunk.last_friend_id,
                "friends": chunk.friends,
                "error": error,
            },
        ]


async def _finish(ctx: WorkspaceContext, operation: BulkOperation, status: str, error: str | None = None) -> str:
    await ctx.session.execute(delete(BulkOperationFriend).where(BulkOperationFriend.operation_id == operation.id))
    operation.status, operation.finished_at, operation.updated_at = status, ctx.now, ctx.now
    operation.cancel_requested = False
    if error is not None:
        operation.error = error
    return status


# ---- the sweeper -------------------------------------------------------------------------------------------------


async def sweep_operations(ctx: JobContext, now: datetime | None = None) -> int:
    """Schedule: wake queued operations whose job was lost and running ones whose worker stopped."""
    now = now or utcnow()
    async with ctx.db.session() as session:
        found = (
            await session.scalars(
                select(BulkOperation)
                .where(
                    ((BulkOperation.status == "queued") & (BulkOperation.updated_at < now - QUEUED_GRACE))
                    | ((BulkOperation.status == "running") & (BulkOperation.updated_at < now - STALE_AFTER))
                )
                .order_by(BulkOperation.updated_at)
                .limit(SWEEP_BATCH)
            )
        ).all()
    for operation in found:
        await enqueue_quietly(ctx.jobs, RUN_JOB, job_id(operation), operation_id=operation.id)
    return len(found)


def register_bulk_jobs(registry: Registry) -> None:
    from enishi.version import CORE_API_VERSION

    items: tuple[JobType | Schedule, ...] = (
        JobType(name="run_bulk_operation", fn=run_operation, timeout=timedelta(minutes=10)),
        Schedule(name="sweep_bulk_operations", fn=sweep_operations, every=timedelta(seconds=30)),
    )
    for item in items:
        registry.add(
            "jobs", Registered(key=f"core.{item.name}", plugin="core", plugin_version=CORE_API_VERSION, item=item)
        )
