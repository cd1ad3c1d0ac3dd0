"""A broadcast worker as its own process, for the kill test: runs one broadcast until it is completed.

Run as ``python -m tests.delivery.broadcast_worker <broadcast_id>`` with the ENISHI_* variables of the database and
of the LINE API (the emulator). It does what the jobs and sweepers of a deployment do for a broadcast: start it,
write and send its batches (``core.run_broadcast``), and send whatever of it the outbox still holds (retries, and
requests a killed worker had claimed, once their lease is over), and runs the broadcasts' sweeper, whose safety
net marks a broadcast completed when its last requests settled side by side (on PostgreSQL two transactions
settling the last ones each see only their own count, so neither completes it). Its job queue wakes nothing: the
loop looks for the work again itself.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from datetime import datetime
from typing import Any

from sqlalchemy import select

from enishi.context import JobContext
from enishi.db.base import utcnow
from enishi.db.engine import Database
from enishi.delivery.engine import run_broadcast, sweep_broadcasts
from enishi.line.gateway import close_gateways, gateway_for
from enishi.line.outbox import deliver
from enishi.models import LineRequest
from enishi.models.broadcasts import Broadcast
from enishi.plugin_host import discover
from enishi.settings import load_settings


class NoQueue:
    async def enqueue(
        self, name: str, *, job_id: str | None = None, defer_until: datetime | None = None, **kwargs: Any
    ) -> bool:
        return True

    async def close(self) -> None:
        return None


async def main(broadcast_id: int) -> None:
    settings = load_settings(dict(os.environ))
    logging.basicConfig(level=settings.log_level)
    db = Database(settings.database_url)
    ctx = JobContext(settings=settings, db=db, host=discover(settings), jobs=NoQueue())
    gateway = gateway_for(settings)
    try:
        while True:
            await run_broadcast(ctx, broadcast_id)
            async with db.session() as s:
                due = (
                    await s.scalars(
                        select(LineRequest.id).where(
                            LineRequest.broadcast_id == broadcast_id,
                            LineRequest.status.in_(("pending", "sending")),
                            LineRequest.next_attempt_at <= utcnow(),
                        )
                    )
                ).all()
            await asyncio.gather(*(deliver(db, gateway, request_id) for request_id in due))
            await sweep_broadcasts(ctx)
            async with db.session() as s:
                status = await s.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
            if status == "completed":
                return
            await asyncio.sleep(0.1)
    finally:
        await close_gateways()
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
