"""The fixtures come from Enishi's test kit (enishi.testing, the ``enishi_*`` fixtures); pyproject.toml names the
plugin under test (``enishi_plugins``). Here only the friends these tests share, made by LINE webhooks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from enishi.testing import EnishiWorkspace, LineFriends


@dataclass
class World:
    workspace: EnishiWorkspace
    friends: dict[str, int]  # name -> id: aoi and ren follow the account, yui blocked it
    other: EnishiWorkspace
    stranger: int  # a friend of the other workspace


@pytest.fixture
async def world(
    enishi_workspace: EnishiWorkspace, enishi_other_workspace: EnishiWorkspace, enishi_line: LineFriends
) -> World:
    friends = {name: await enishi_line.follow(name) for name in ("aoi", "ren", "yui")}
    await enishi_line.block(friends["yui"])
    stranger = await enishi_line.of(enishi_other_workspace).follow("stranger")
    return World(enishi_workspace, friends, enishi_other_workspace, stranger)
