"""What every part of the LINE layer shares without loading LINE's SDK: LINE's request limits, a workspace's
channel as the gateway needs it, and the retry keys of split sends. (The SDK takes about a second to import;
the web process and the CLI need it only when they actually call LINE.)"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.models import Workspace

MAX_MESSAGES = 5  # message objects per request
MAX_MULTICAST = 500  # user ids per multicast request
FOLLOWERS_PAGE = 1000  # the most /v2/bot/followers/ids returns at once
_PART_NAMESPACE = uuid.UUID("6f2b2c1e-6d0b-4a8e-9d2a-2f3c8e1b7a10")


@dataclass(frozen=True)
class Channel:
    """What the gateway needs of a workspace: its channel (the rate-limit key) and its encrypted access token."""

    workspace_id: int
    channel_id: str
    access_token: bytes  # encrypted with SecretBox, as stored in workspaces.line_access_token

    @classmethod
    def of(cls, workspace: Workspace) -> Channel:
        return cls(workspace.id, workspace.line_channel_id, workspace.line_access_token)


async def load_channel(session: AsyncSession, workspace_id: int) -> Channel | None:
    row = (
        await session.execute(
            select(Workspace.id, Workspace.line_channel_id, Workspace.line_access_token).where(
                Workspace.id == workspace_id
            )
        )
    ).one_or_none()
    return None if row is None else Channel(row[0], row[1], row[2])


def part_key(retry_key: str, index: int) -> str:
    """The retry key of part ``index`` of a split send: the key itself for part 0, a UUIDv5 of it after that."""
    if index == 0:
        return retry_key
    return str(uuid.uuid5(_PART_NAMESPACE, f"{retry_key}:{index}"))


def message_parts(messages: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [list(messages[i : i + MAX_MESSAGES]) for i in range(0, len(messages), MAX_MESSAGES)]
