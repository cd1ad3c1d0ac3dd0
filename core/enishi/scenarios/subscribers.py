"""A scenario's subscribers (購読者): who is at which node since when, and what staff do to many at once.

Stopping and moving are one statement each over the chosen runs, however many. A move ends the run and starts
a new one at the chosen node on the same version: the new run has no steps yet, so a node it already went
through runs (and sends) again, which is what moving someone back means; its history stays with the old run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, case, func, insert, literal, or_, select, update

from enishi.context import WorkspaceContext
from enishi.db.statistics import note_growth
from enishi.models import Friend
from enishi.models.scenarios import ScenarioRun, ScenarioVersion
from enishi.scenarios.engine import wake_after_commit

# What the list filters on: a run's status, plus "held" (waiting out quiet hours before a send).
HELD = "held"


def subscribers_query(scenario_id: int, *, node_id: str | None, status: str | None, text: str | None) -> Select[Any]:
    query: Select[Any] = (
        select(ScenarioRun, Friend)  # type: ignore[assignment]
        .join(Friend, Friend.id == ScenarioRun.friend_id)
        .where(ScenarioRun.scenario_id == scenario_id)
    )
    if node_id:
        query = query.where(ScenarioRun.node_id == node_id)
    if status == HELD:
        query = query.where(ScenarioRun.status == "waiting", ScenarioRun.wait_reason == "quiet_hours")
    elif status == "live":
        query = query.where(ScenarioRun.ended_at.is_(None))
    elif status:
        query = query.where(ScenarioRun.status == status)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Friend.display_name.ilike(pattern, escape="\\"),
                Friend.name_override.ilike(pattern, escape="\\"),
            )
        )
    return query


async def stop_runs(ctx: WorkspaceContext, scenario_id: int, run_ids: Sequence[int]) -> int:
    """End the chosen live runs of the scenario, in one UPDATE."""
    result = await ctx.session.execute(
        update(ScenarioRun)
        .where(
            ScenarioRun.scenario_id == scenario_id,
            ScenarioRun.id.in_(list(run_ids)),
            ScenarioRun.ended_at.is_(None),
        )
        .values(status="stopped", ended_at=ctx.now, updated_at=ctx.now, error=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def versions_with_node(ctx: WorkspaceContext, scenario_id: int, node_id: str) -> list[int]:
    """The scenario's published versions that have the node (a scenario has few versions: read them all)."""
    rows = await ctx.session.execute(
        select(ScenarioVersion.id, ScenarioVersion.document).where(ScenarioVersion.scenario_id == scenario_id)
    )
    return [vid for vid, document in rows if any(n["id"] == node_id for n in document.get("nodes", []))]


async def move_runs(ctx: WorkspaceContext, scenario_id: int, run_ids: Sequence[int], node_id: str) -> int:
    """The chosen live runs continue from ``node_id`` now (those whose version lacks the node are left)."""
    versions = await versions_with_node(ctx, scenario_id, node_id)
    if not versions:
        return 0
    ended = await _end_for_restart(
        ctx,
        ScenarioRun.id.in_(list(run_ids)),
        ScenarioRun.ended_at.is_(None),
        ScenarioRun.version_id.in_(versions),
        scenario_id=scenario_id,
    )
    return await _continue(ctx, scenario_id, ended, node_id=node_id, source="moved")


async def resume_run(ctx: WorkspaceContext, scenario_id: int, run_id: int) -> int | None:
    """A stopped run starts again at the node it stopped at, as a new run (the friend must follow the account and
    not be in the scenario already). The new run's id, or None when it cannot."""
    run = await ctx.session.get(ScenarioRun, run_id)
    if run is None or run.scenario_id != scenario_id or run.status != "stopped":
        return None
    live = await ctx.session.scalar(
        select(func.count())
        .select_from(ScenarioRun)
        .where(
            ScenarioRun.scenario_id == scenario_id,
            ScenarioRun.friend_id == run.friend_id,
            ScenarioRun.ended_at.is_(None),
        )
    )
    following = await ctx.session.scalar(select(Friend.status).where(Friend.id == run.friend_id))
    if live or following != "following":
        return None
    if not await _continue(ctx, scenario_id, [run_id], node_id=None, source="restarted"):
        return None
    return await ctx.session.scalar(
        select(ScenarioRun.id).where(
            ScenarioRun.scenario_id == scenario_id,
            ScenarioRun.friend_id == run.friend_id,
            ScenarioRun.ended_at.is_(None),
        )
    )


async def _end_for_restart(ctx: WorkspaceContext, *where: Any, scenario_id: int) -> list[int]:
    rows = await ctx.session.execute(
        update(ScenarioRun)
        .where(ScenarioRun.scenario_id == scenario_id, *where)
        .values(status="stopped", ended_at=ctx.now, updated_at=ctx.now)
        .returning(ScenarioRun.id)
        .execution_options(synchronize_session=False)
    )
    return [r[0] for r in rows.all()]


async def _continue(
    ctx: WorkspaceContext, scenario_id: int, ended: Sequence[int], *, node_id: str | None, source: str
) -> int:
    """New runs, in one INSERT … SELECT, for the ended runs: at ``node_id`` (or where each stood), due now.

    A friend who blocked the account gets a paused run, to go on when they unblock."""
    if not ended:
        return 0
    old = ScenarioRun.__table__.alias("old")
    now = literal(ctx.now, ScenarioRun.__table__.c.started_at.type)
    paused = Friend.status != "following"
    values: dict[str, Any] = {
        "workspace_id": old.c.workspace_id,
        "scenario_id": old.c.scenario_id,
        "version_id": old.c.version_id,
        "friend_id": old.c.friend_id,
        "status": case((paused, literal("paused")), else_=literal("active")),
        "paused_from": case((paused, literal("active")), else_=None),
        "node_id": literal(node_id) if node_id is not None else old.c.node_id,
        "entry_node_id": old.c.entry_node_id,
        "resume_at": now,
        "source": literal(source),
        "failures": literal(0),
        "started_at": now,
        "updated_at": now,
    }
    rows = (
        select(*values.values())
        .join(Friend, Friend.id == old.c.friend_id)
        .where(
            old.c.id.in_(list(ended)),
            old.c.workspace_id == ctx.workspace_id,
            old.c.scenario_id == scenario_id,
        )
    )
    result = await ctx.session.execute(
        insert(ScenarioRun).from_select(list(values), rows).execution_options(synchronize_session=False)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        await note_growth(ctx.session, ctx.jobs, ScenarioRun.__tablename__, count)
        wake_after_commit(ctx, scenario_id, None)
    return count
