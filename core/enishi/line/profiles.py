"""Fetching friends' LINE profiles (display name, picture, language) in the background, with retries.

A batch of webhook events asks for its new friends' profiles with one job: the profiles are fetched a few at a
time (LINE has no bulk profile API) and stored with one statement. A friend whose fetch should be tried again
gets a job of their own, with growing, jittered delays.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from enishi.context import JobContext
from enishi.db.base import utcnow
from enishi.line.channels import load_channel
from enishi.line.errors import LineError, RetryLater
from enishi.models import Friend

log = logging.getLogger("enishi.line.profiles")
FETCH_PROFILE_JOB = "core.fetch_profile"
FETCH_PROFILES_JOB = "core.fetch_profiles"
MAX_ATTEMPTS = 6
CONCURRENCY = 8  # profile requests of one job in flight at once


def _profile_values(profile: Any) -> dict[str, Any]:
    return {
        "display_name": (profile.display_name or "")[:200],
        "picture_url": profile.picture_url,
        "status_message": (profile.status_message or None) and profile.status_message[:1000],
        "language": profile.language,
        "profile_fetched_at": utcnow(),
    }


async def fetch_profiles(ctx: JobContext, workspace_id: int, friend_ids: list[int]) -> int:
    """Store the profiles of a set of friends; returns how many were stored."""
    async with ctx.db.session(workspace_id) as session:
        rows = (
            await session.execute(
                select(Friend.id, Friend.line_user_id).where(Friend.id.in_(friend_ids), Friend.status == "following")
            )
        ).all()
        channel = await load_channel(session, workspace_id)
    if channel is None or not rows:
        return 0
    from enishi.line.gateway import gateway_for  # the LINE SDK loads when it is first needed

    gateway = gateway_for(ctx.settings)
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(friend_id: int, line_user_id: str) -> tuple[int, Any, Any]:
        async with slots:
            try:
                return friend_id, await gateway.get_profile(channel, line_user_id), None
            except LineError as exc:
                return friend_id, None, exc.outcome

    results = await asyncio.gather(*(one(int(f), str(u)) for f, u in rows))
    stored = [{"id": friend_id, **_profile_values(profile)} for friend_id, profile, _ in results if profile]
    if stored:
        async with ctx.db.transaction(workspace_id) as session:
            await session.execute(update(Friend), stored)  # one UPDATE by primary key, executed for the set
    for friend_id, profile, outcome in results:
        if profile is None:
            await _retry_later(ctx, workspace_id, friend_id, 1, outcome)
    return len(stored)


async def _retry_later(ctx: JobContext, workspace_id: int, friend_id: int, attempt: int, outcome: Any) -> None:
    if isinstance(outcome, RetryLater) and attempt < MAX_ATTEMPTS:
        delay = max(outcome.delay, min(300.0, 2.0**attempt) * (0.5 + random.random()))
        await ctx.jobs.enqueue(
            FETCH_PROFILE_JOB,
            job_id=f"profile:{friend_id}:{attempt + 1}",
            defer_until=utcnow() + timedelta(seconds=delay),
            workspace_id=workspace_id,
            friend_id=friend_id,
            attempt=attempt + 1,
        )
    else:
        log.warning("workspace %s: no profile for friend %s: %s", workspace_id, friend_id, outcome)


async def fetch_profile(ctx: JobContext, workspace_id: int, friend_id: int, attempt: int = 1) -> bool:
    """Store the profile; on a transient failure try again later with growing, jittered delays."""
    async with ctx.db.session(workspace_id) as session:
        friend = await session.get(Friend, friend_id)
        channel = await load_channel(session, workspace_id)
    if friend is None or channel is None or friend.status != "following":
        return False  # gone, or blocked: LINE would not give the profile anyway
    try:
        from enishi.line.gateway import gateway_for  # the LINE SDK loads when it is first needed

        profile = await gateway_for(ctx.settings).get_profile(channel, friend.line_user_id)
    except LineError as exc:
        await _retry_later(ctx, workspace_id, friend_id, attempt, exc.outcome)
        return False
    async with ctx.db.transaction(workspace_id) as session:
        await session.execute(update(Friend).where(Friend.id == friend_id).values(**_profile_values(profile)))
    return True


async def sweep_profiles(ctx: JobContext) -> int:
    """Friends still without a profile a minute after they appeared (a lost job): ask again."""
    cutoff = utcnow() - timedelta(minutes=1)
    async with ctx.db.session() as session:
        rows = (
            await session.execute(
                select(Friend.workspace_id, Friend.id)
                .where(Friend.profile_fetched_at.is_(None), Friend.status == "following", Friend.created_at < cutoff)
                .order_by(Friend.id)
                .limit(500)
            )
        ).all()
    by_workspace: dict[int, list[int]] = {}
    for workspace_id, friend_id in rows:
        by_workspace.setdefault(int(workspace_id), []).append(int(friend_id))
    slot = int(utcnow().timestamp()) // 300
    for workspace_id, friend_ids in by_workspace.items():
        await ctx.jobs.enqueue(
            FETCH_PROFILES_JOB,
            job_id=f"profiles:{workspace_id}:sweep:{slot}",
            workspace_id=workspace_id,
            friend_ids=friend_ids,
        )
    return len(rows)
