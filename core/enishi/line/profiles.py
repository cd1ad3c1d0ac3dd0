"""Fetching a friend's LINE profile (display name, picture, language) in the background, with retries."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from sqlalchemy import select, update

from enishi.context import JobContext
from enishi.db.base import utcnow
from enishi.line.channels import load_channel
from enishi.line.errors import LineError, RetryLater
from enishi.models import Friend

log = logging.getLogger("enishi.line.profiles")
FETCH_PROFILE_JOB = "core.fetch_profile"
MAX_ATTEMPTS = 6


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
        outcome = exc.outcome
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
        return False
    async with ctx.db.transaction(workspace_id) as session:
        await session.execute(
            update(Friend)
            .where(Friend.id == friend_id)
            .values(
                display_name=(profile.display_name or "")[:200],
                picture_url=profile.picture_url,
                status_message=(profile.status_message or None) and profile.status_message[:1000],
                language=profile.language,
                profile_fetched_at=utcnow(),
            )
        )
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
    for workspace_id, friend_id in rows:
        await ctx.jobs.enqueue(
            FETCH_PROFILE_JOB, job_id=f"profile:{friend_id}:sweep", workspace_id=workspace_id, friend_id=friend_id
        )
    return len(rows)
