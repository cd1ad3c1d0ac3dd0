"""A scenario worker as its own process, for the kill tests: advances every due run until none is left.

Run as ``python -m tests.scenarios.step_worker`` with the ENISHI_* variables of the database to work on. Its job
queue wakes nothing: the loop itself looks for due runs again, as the sweeper would.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from typing import Any

from enishi.context import JobContext
from enishi.db.engine import Database
from enishi.plugin_host import discover
from enishi.scenarios.engine import advance_run
from enishi.settings import load_settings


class NoQueue:
    async def enqueue(
        self, name: str, *, job_id: str | None = None, defer_until: datetime | None = None, **kwargs: Any
    ) -> bool:
        return True

    async def close(self) -> None:
        return None


async def main() -> None:
    settings = load_settings(dict(os.environ))
    db = Database(settings.database_url)
    ctx = JobContext(settings=settings, db=db, host=discover(settings), jobs=NoQueue())
    try:
        while await advance_run(ctx, None):
            pass
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
