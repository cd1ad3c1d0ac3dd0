"""Servers for bench/webhook_ack.py: `setup`, `bare` (a Litestar endpoint that only answers 200) or `enishi`."""

from __future__ import annotations

import asyncio
import sys

import uvicorn
from litestar import Litestar, get, post


def bare_app() -> Litestar:
    @post("/webhook/{token:str}", status_code=200)
    async def webhook(token: str) -> dict[str, str]:
        return {}

    @get("/api/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar([webhook, health])


async def setup() -> None:
    from sqlalchemy import select

    from enishi import migrate
    from enishi.crypto import SecretBox
    from enishi.db.engine import Database
    from enishi.models import Agency, Plan
    from enishi.plugin_host import discover
    from enishi.settings import load_settings
    from enishi.tenancy.workspaces import ChannelCredentials, create_workspace

    settings = load_settings()
    host = discover(settings)
    db = Database(settings.database_url)
    await migrate.upgrade(db.engine, host)
    secret = "0123456789abcdef0123456789abcdef"  # noqa: S105 - a throwaway benchmark channel
    async with db.transaction() as s:
        agency = Agency(name="bench")
        s.add(agency)
        await s.flush()
        plan = await s.scalar(select(Plan).where(Plan.key == "pro"))
        ws = await create_workspace(
            s,
            host=host,
            settings=settings,
            secrets_box=SecretBox(settings.secret_keys),
            agency=agency,
            name="bench",
            credentials=ChannelCredentials("1999999999", secret, "t" * 40),
            plan=plan,
        )
        token = ws.webhook_token
    await db.dispose()
    print(token, secret)


def main() -> None:
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "setup":
        asyncio.run(setup())
        return
    if mode == "bare":
        app = bare_app()
    else:
        from enishi.app import create_app

        app = create_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


if __name__ == "__main__":
    main()
