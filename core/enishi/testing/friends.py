"""Friends made through the built-in LINE emulator: signed webhooks, processed by the app under test."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from enishi.testing.app import EnishiApp, EnishiWorkspace


class LineFriends:
    """Friends made the way LINE makes them: simulated users of the built-in emulator follow the workspace's
    account and talk to it, and the app receives signed webhooks and processes them."""

    def __init__(self, app: EnishiApp, workspace: EnishiWorkspace) -> None:
        emulator = app.emulator
        if emulator is None:
            raise RuntimeError("the built-in LINE emulator is off (ENISHI_EMULATOR=1 turns it on)")
        self.app, self.workspace, self.emulator = app, workspace, emulator
        self.channel = workspace.row.line_channel_id
        self.user_ids: dict[int, str] = {}  # friend id -> LINE user id

    def of(self, workspace: EnishiWorkspace) -> LineFriends:
        """The simulated users of another workspace's account (e.g. ``enishi_other_workspace``)."""
        return LineFriends(self.app, workspace)

    async def follow(self, name: str | None = None) -> int:
        """A new LINE user adds the account as a friend; returns the friend's id once the webhook is processed."""
        from enishi.models import Friend

        user = self.emulator.add_user(self.channel, name)
        await self._ok(await self.emulator.follow(self.channel, user.user_id))
        async with self.app.db.session(self.workspace.id) as s:
            friend_id = await s.scalar(select(Friend.id).where(Friend.line_user_id == user.user_id))
        assert friend_id is not None, f"no friend for {user.user_id} after the follow webhook"
        self.user_ids[friend_id] = user.user_id
        return friend_id

    async def say(self, friend_id: int, text: str) -> None:
        """The friend sends a text message."""
        await self._ok(await self.emulator.send_text(self.channel, self.user_ids[friend_id], text))

    async def postback(self, friend_id: int, data: str) -> None:
        await self._ok(await self.emulator.postback(self.channel, self.user_ids[friend_id], data))

    async def block(self, friend_id: int) -> None:
        await self._ok(await self.emulator.unfollow(self.channel, self.user_ids[friend_id]))

    async def unblock(self, friend_id: int) -> None:
        await self._ok(await self.emulator.follow(self.channel, self.user_ids[friend_id]))

    def deliveries(self, friend_id: int) -> list[Any]:
        """What LINE delivered to the friend (replies and pushes that reached the emulator)."""
        return list(self.emulator.deliveries(self.channel, self.user_ids[friend_id]))

    async def _ok(self, action: Any) -> None:
        assert action.webhook.ok, f"the webhook failed: {action.webhook.as_dict()}"
        await self.app.settle()
