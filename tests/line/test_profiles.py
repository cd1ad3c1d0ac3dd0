"""Friends' LINE profiles: fetched in the background for a whole batch of new friends, retried when LINE fails."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from enishi.line.embedded import emulator_of, register_channels
from enishi.models import Friend
from enishi_line_emulator.state import Faults
from tests.conftest import Env
from tests.line.test_inbox import live

__all__ = ["live"]  # the live server with the embedded emulator, as in the inbox tests


async def _names(env: Env, workspace_id: int, want: int, seconds: float = 20) -> dict[str, str]:
    deadline = time.monotonic() + seconds
    while True:
        async with env.db.session(workspace_id) as s:
            rows = (await s.execute(select(Friend.line_user_id, Friend.display_name))).all()
        names = {u: n for u, n in rows if n}
        if len(names) >= want or time.monotonic() > deadline:
            return names
        await asyncio.sleep(0.1)


async def test_new_friends_get_their_names_and_a_failed_fetch_is_tried_again(live: Env) -> None:
    workspace = await live.workspace(await live.agency())
    emulator = emulator_of(live.app.state)
    assert emulator is not None
    await register_channels(live.app.state["enishi"], emulator)
    channel = workspace.line_channel_id
    users = [emulator.add_user(channel, name) for name in ("葵", "蓮", "陽菜", "湊")]
    for user in users[:2]:
        await emulator.follow(channel, user.user_id)
    assert await _names(live, workspace.id, 2) == {users[0].user_id: "葵", users[1].user_id: "蓮"}

    # LINE fails every profile request for a while: the friends are there, nameless, and get their names after.
    emulator.set_faults(Faults(error_rate=1.0, endpoints=frozenset({"profile"})))
    for user in users[2:]:
        await emulator.follow(channel, user.user_id)
    await asyncio.sleep(1.0)
    async with live.db.session(workspace.id) as s:
        nameless = (await s.scalars(select(Friend.line_user_id).where(Friend.display_name == ""))).all()
    assert set(nameless) == {users[2].user_id, users[3].user_id}
    emulator.set_faults(Faults())
    names = await _names(live, workspace.id, 4)
    assert names == {users[0].user_id: "葵", users[1].user_id: "蓮", users[2].user_id: "陽菜", users[3].user_id: "湊"}
