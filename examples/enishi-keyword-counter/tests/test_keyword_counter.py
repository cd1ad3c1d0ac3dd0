"""The keyword counter in the running app: a scenario counts, friends say the keyword through LINE."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from enishi.testing import Clock, EnishiWorkspace, LineFriends, document, node


async def count_thanks(client: httpx.AsyncClient, workspace: EnishiWorkspace) -> None:
    """A scenario: when a friend says ありがとう, count it (every time: reentry)."""
    said = node("keyword_counter.keyword_said", {"keyword": "ありがとう"})
    await workspace.publish_scenario(
        client, document(said, node("keyword_counter.count", {"keyword": "ありがとう"}), reentry=True)
    )


async def test_friends_who_say_it_twice(
    enishi_workspace: EnishiWorkspace, enishi_client: httpx.AsyncClient, enishi_line: LineFriends
) -> None:
    await count_thanks(enishi_client, enishi_workspace)
    hanako, taro = await enishi_line.follow("花子"), await enishi_line.follow("太郎")
    for friend, text in [(hanako, "ありがとう!"), (hanako, "本当にありがとう"), (taro, "ありがとう"), (taro, "またね")]:
        await enishi_line.say(friend, text)

    segment = {"all": [{"type": "keyword_counter.at_least", "config": {"count": 2}}]}
    search = {"segment": segment, "columns": ["keyword_counter.counts.count"]}
    found = (await enishi_client.post(enishi_workspace.url("/friends/search"), json=search)).json()["items"]
    assert [(f["id"], f["columns"]["keyword_counter.counts.count"]) for f in found] == [(hanako, 2)]


async def test_the_report_counts_per_day_in_the_workspace(
    enishi_workspace: EnishiWorkspace, enishi_client: httpx.AsyncClient, enishi_line: LineFriends, enishi_clock: Clock
) -> None:
    enishi_clock.move_to(datetime(2025, 3, 1, 23, 50, tzinfo=ZoneInfo("Asia/Tokyo")))
    await count_thanks(enishi_client, enishi_workspace)
    hanako = await enishi_line.follow("花子")
    await enishi_line.say(hanako, "ありがとう")
    enishi_clock.shift(minutes=20)  # past midnight in Tokyo
    await enishi_line.say(hanako, "ありがとう")
    await enishi_line.say(hanako, "ありがとう")

    report = await enishi_client.post(enishi_workspace.url("/reports/keyword_counter.per_day/run"), json={})
    assert report.json()["rows"] == [{"day": "2025-03-01", "hits": 1}, {"day": "2025-03-02", "hits": 2}]
