"""Will a broadcast fit? LINE's monthly quota (as a job last fetched it) and the plan's message limit.

LINE counts one message per recipient reached by a push or multicast (up to 5 message objects each), by the
Japanese calendar month. Its quota and this month's consumption are fetched by the job
``core.refresh_line_quota`` and cached per workspace in ``line_quotas``: a web request never calls LINE. When the
cached value is older than ``ENISHI_QUOTA_MAX_AGE_MINUTES`` (default 10) a refresh is queued and the answer uses
the cached value, saying how old it is. What broadcasts still have to send (scheduled this month, sending or
paused) is reserved, so two broadcasts estimated one after the other do not both count on the same messages.

The plan's ``monthly_messages`` (None: no limit) is checked against the same consumption: each workspace has its
own channel, so what LINE counted for the channel is what the workspace sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from enishi.context import JobContext, WorkspaceContext
from enishi.db.base import utcnow
from enishi.db.engine import upsert_insert
from enishi.jobs.after_commit import enqueue_after_commit
from enishi.line.channels import load_channel
from enishi.line.errors import LineError
from enishi.line.outbox import QUOTA_TIMEZONE
from enishi.line.outbox.writing import forget_line_quota
from enishi.models import Plan, Workspace
from enishi.models.broadcasts import Broadcast, BroadcastCount, LineQuota
from enishi.settings import Settings, env_int

log = logging.getLogger("enishi.delivery")

REFRESH_JOB = "core.refresh_line_quota"
_REFRESH_AGAIN_AFTER = timedelta(seconds=30)  # a refresh asked for this recently is not asked for again


def max_age(settings: Settings) -> timedelta:
    return timedelta(minutes=env_int(settings.extra, "ENISHI_QUOTA_MAX_AGE_MINUTES", 10, 1, 24 * 60))


@dataclass(frozen=True)
class QuotaView:
    """LINE's quota for this month as last fetched, minus what broadcasts have reserved."""

    known: bool  # fetched at least once this month
    type: str | None  # "none" (unlimited) or "limited"
    limit: int | None
    consumption: int | None
    reserved: int
    remaining: int | None  # None: unlimited, or not known
    fetched_at: datetime | None
    age_seconds: float | None
    stale: bool
    refreshing: bool  # a refresh is queued (or was just asked for)
    error: str | None
    held: bool  # LINE answered "monthly limit reached": sending is on hold until the month turns or staff lift it


@dataclass(frozen=True)
class PlanView:
    key: str
    name_ja: str
    name_en: str
    monthly_messages: int | None  # None: no limit
    used: int | None  # this month's consumption, as LINE counted it
    reserved: int
    remaining: int | None


@dataclass(frozen=True)
class Warning:
    code: str
    message: str


@dataclass
class Estimate:
    recipients: int
    delivery: str  # multicast or push
    requests: int  # calls to LINE it takes
    quota: QuotaView
    plan: PlanView
    sendable: int  # how many recipients fit within both limits
    fits: bool
    warnings: list[Warning] = field(default_factory=list)


def requests_for(recipients: int, delivery: str) -> int:
    return recipients if delivery == "push" else -(-recipients // 500)


async def reserved(ctx: WorkspaceContext, *, besides: int | None = None, now: datetime | None = None) -> int:
    """Recipients that broadcasts of this quota month still have to send (scheduled, sending, paused)."""
    now = now or utcnow()
    month_end = _month_end(now)
    settled = (
        select(func.coalesce(func.sum(BroadcastCount.sent + BroadcastCount.failed), 0))
        .where(BroadcastCount.broadcast_id == Broadcast.id)
        .scalar_subquery()
    )
    left = Broadcast.total - settled - Broadcast.skipped - Broadcast.cancelled
    query = select(
        func.coalesce(
            func.sum(
                func.coalesce(left, Broadcast.estimated_recipients),
            ),
            0,
        )
    ).where(
        or_(
            Broadcast.status.in_(("sending", "paused")),
            (Broadcast.status == "scheduled") & (Broadcast.send_at < month_end),
        )
    )
    if besides is not None:
        query = query.where(Broadcast.id != besides)
    return max(int(await ctx.session.scalar(query) or 0), 0)


async def quota_view(
    ctx: WorkspaceContext, *, refresh: bool = True, besides: int | None = None, now: datetime | None = None
) -> QuotaView:
    """The cached quota, and (``refresh``) a refresh queued after commit when it is missing or stale."""
    now = now or utcnow()
    row = await ctx.session.scalar(select(LineQuota))
    held = await ctx.session.scalar(select(Workspace.quota_exhausted_at).where(Workspace.id == ctx.workspace_id))
    taken = await reserved(ctx, besides=besides, now=now)
    fetched = row.fetched_at if row is not None else None
    this_month = fetched is not None and _month(fetched) == _month(now)
    age = (now - fetched).total_seconds() if fetched is not None else None
    stale = not this_month or age is None or age > max_age(ctx.settings).total_seconds()
    refreshing = row is not None and row.requested_at is not None and now - row.requested_at < max_age(ctx.settings)
    if refresh and stale:
        refreshing = await request_refresh(ctx, now) or refreshing
    if row is None or not this_month:
        # Not known; but LINE's "monthly limit reached" leaves nothing to send whatever the numbers.
        unknown_left = 0 if held is not None else None
        return QuotaView(
            False, None, None, None, taken, unknown_left, fetched, age, True, refreshing, _error(row), held is not None
        )
    consumption = row.consumption or 0
    remaining = None
    if row.quota_type == "limited" and row.monthly_limit is not None:
        remaining = max(row.monthly_limit - consumption - taken, 0)
    if held is not None:
        remaining = 0
    return QuotaView(
        True,
        row.quota_type,
        row.monthly_limit,
        consumption,
        taken,
        remaining,
        fetched,
        age,
        stale,
        refreshing,
        _error(row),
        held is not None,
    )


async def plan_view(ctx: WorkspaceContext, quota: QuotaView) -> PlanView:
    plan = await ctx.session.scalar(
        select(Plan).join(Workspace, Workspace.plan_id == Plan.id).where(Workspace.id == ctx.workspace_id)
    )
    assert plan is not None  # every workspace has a plan (RESTRICT)
    remaining = None
    if plan.monthly_messages is not None:
        remaining = max(plan.monthly_messages - (quota.consumption or 0) - quota.reserved, 0)
    return PlanView(
        plan.key, plan.name_ja, plan.name_en, plan.monthly_messages, quota.consumption, quota.reserved, remaining
    )


async def estimate(
    ctx: WorkspaceContext,
    recipients: int,
    delivery: str,
    *,
    refresh: bool = True,
    besides: int | None = None,
    now: datetime | None = None,
) -> Estimate:
    """Whether ``recipients`` fit this month's LINE quota and plan limit, with warnings for what stands out."""
    quota = await quota_view(ctx, refresh=refresh, besides=besides, now=now)
    plan = await plan_view(ctx, quota)
    limits = [r for r in (quota.remaining, plan.remaining) if r is not None]
    sendable = min([recipients, *limits])
    warnings: list[Warning] = []
    if recipients == 0:
        warnings.append(Warning("no_recipients", "配信対象の友だちがいません / no friend matches the target"))
    if quota.held:
        warnings.append(
            Warning(
                "quota_held",
                "LINEの今月の上限に達したため送信を止めています / LINE said this month's message limit is reached; "
                "sending is on hold until the month turns or staff lift the hold",
            )
        )
    elif quota.remaining is not None and recipients > quota.remaining:
        warnings.append(
            Warning(
                "quota_exceeded",
                f"LINEの今月の残り通数({quota.remaining:,})を超えます / more than the {quota.remaining:,} messages "
                "left in LINE's monthly quota",
            )
        )
    if plan.remaining is not None and recipients > plan.remaining:
        warnings.append(
            Warning(
                "plan_limit_exceeded",
                f"プランの今月の残り通数({plan.remaining:,})を超えます / more than the {plan.remaining:,} messages "
                f"left in the plan's monthly limit ({plan.monthly_messages:,})",
            )
        )
    if not quota.known:
        warnings.append(
            Warning(
                "quota_unknown",
                "LINEの残り通数を確認中です / LINE's remaining quota is not known yet; it is being fetched",
            )
        )
    elif quota.stale:
        minutes = int((quota.age_seconds or 0) // 60)
        warnings.append(
            Warning("quota_stale", f"残り通数は{minutes}分前の値です / the quota was fetched {minutes} min ago")
        )
    return Estimate(
        recipients=recipients,
        delivery=delivery,
        requests=requests_for(recipients, delivery),
        quota=quota,
        plan=plan,
        sendable=max(sendable, 0),
        fits=sendable >= recipients,
        warnings=warnings,
    )


# The cached quota, treated as unknown until fetched again (a hold lifted, the plan or channel changed, staff asked).
forget = forget_line_quota


async def request_refresh(ctx: WorkspaceContext, now: datetime | None = None) -> bool:
    """Queue a refresh of the cached quota when the transaction commits (unless one was asked for just now)."""
    now = now or utcnow()
    stmt = upsert_insert(ctx.session, LineQuota).values(workspace_id=ctx.workspace_id, requested_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["workspace_id"],
        set_={"requested_at": now},
        where=or_(LineQuota.requested_at.is_(None), LineQuota.requested_at < now - _REFRESH_AGAIN_AFTER),
    )
    result = await ctx.session.execute(stmt.returning(LineQuota.id))
    if result.first() is None:
        return True  # asked for a moment ago: that refresh is on its way
    enqueue_after_commit(
        ctx.session, ctx.jobs, REFRESH_JOB, job_id=f"line_quota:{ctx.workspace_id}", workspace_id=ctx.workspace_id
    )
    return True


async def refresh_line_quota(ctx: JobContext, workspace_id: int) -> str:
    """Job: fetch the channel's quota and this month's consumption from LINE into ``line_quotas``."""
    async with ctx.db.session() as s:
        channel = await load_channel(s, workspace_id)
    if channel is None:
        return "missing"
    from enishi.line.gateway import gateway_for  # the LINE SDK loads when it is first needed

    gateway = gateway_for(ctx.settings)
    now = utcnow()
    values: dict[str, Any]
    try:
        quota = await gateway.quota(channel)
        usage = await gateway.quota_consumption(channel)
    except LineError as exc:
        log.warning("workspace %s: could not fetch LINE's quota: %s", workspace_id, exc)
        values = {"error": str(exc)[:1000], "error_at": now}
        status = "failed"
    else:
        kind = getattr(quota.type, "value", quota.type)
        values = {
            "quota_type": str(kind),
            "monthly_limit": quota.value if kind == "limited" else None,
            "consumption": int(usage.total_usage or 0),
            "fetched_at": now,
            "error": None,
            "error_at": None,
        }
        status = "fetched"
    async with ctx.db.transaction() as s:
        stmt = upsert_insert(s, LineQuota).values(workspace_id=workspace_id, **values)
        await s.execute(stmt.on_conflict_do_update(index_elements=["workspace_id"], set_=values))
    return status


def _error(row: LineQuota | None) -> str | None:
    return row.error if row is not None else None


def _month(at: datetime) -> str:
    return at.astimezone(QUOTA_TIMEZONE).strftime("%Y-%m")


def _month_end(at: datetime) -> datetime:
    local = at.astimezone(QUOTA_TIMEZONE)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)
