"""The test kit plugin authors use (enishi.testing, pytest plugin ``enishi``), on a built-in plugin."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from enishi.models import Friend, Message, ScenarioRun
from enishi.plugin_host import PluginHost
from enishi.testing import Clock, EnishiWorkspace, Jobs, LineFriends, document, node

pytestmark = pytest.mark.enishi_plugins("tags")


def test_only_the_plugins_under_test_are_loaded(enishi_host: PluginHost) -> None:
    assert [p.name for p in enishi_host.loaded] == ["tags"]
    assert enishi_host.registry.get("actions", "tags.add_tag") is not None


async def test_friends_arrive_through_signed_webhooks(
    enishi_workspace: EnishiWorkspace, enishi_line: LineFriends
) -> None:
    hanako = await enishi_line.follow("花子")
    await enishi_line.say(hanako, "こんにちは")
    async with enishi_workspace.context() as ctx:
        assert ctx.enabled_plugins == {"tags"}
        assert (await ctx.session.get_one(Friend, hanako)).status == "following"
        assert list(await ctx.session.scalars(select(Message.text))) == ["こんにちは"]
    await enishi_line.block(hanako)
    async with enishi_workspace.context() as ctx:
        assert (await ctx.session.get_one(Friend, hanako)).status == "blocked"


async def test_the_client_is_signed_in_as_the_owner(
    enishi_workspace: EnishiWorkspace, enishi_client: httpx.AsyncClient
) -> None:
    response = await enishi_client.post(enishi_workspace.url("/tags"), json={"name": "VIP"})
    assert response.status_code == 201, response.text


@pytest.mark.enishi_role("viewer")
async def test_the_role_marker_picks_the_staff_member(
    enishi_workspace: EnishiWorkspace, enishi_client: httpx.AsyncClient
) -> None:
    assert (await enishi_client.post(enishi_workspace.url("/tags"), json={"name": "VIP"})).status_code == 403
    assert (await enishi_client.get(enishi_workspace.url("/tags"))).status_code == 200


async def test_the_clock_moves_and_schedules_run(enishi_clock: Clock, enishi_jobs: Jobs) -> None:
    enishi_clock.move_to(datetime(2030, 1, 1, tzinfo=UTC))
    enishi_clock.shift(days=1)
    assert datetime.now(UTC).date().isoformat() == "2030-01-02"
    await enishi_jobs.run_schedules(["core.sweep_scenario_runs"])
    with pytest.raises(KeyError):
        await enishi_jobs.run_schedules(["tags.no_such_schedule"])


async def test_a_wait_passes_when_the_clock_moves_past_it(
    enishi_workspace: EnishiWorkspace,
    enishi_client: httpx.AsyncClient,
    enishi_line: LineFriends,
    enishi_jobs: Jobs,
    enishi_clock: Clock,
) -> None:
    tag = (await enishi_client.post(enishi_workspace.url("/tags"), json={"name": "翌日"})).json()["id"]
    steps = [
        node("core.manual_start"),
        node("core.wait_delay", {"hours": 20}),
        node("tags.add_tag", {"tag_ids": [tag]}),
    ]
    scenario = await enishi_workspace.publish_scenario(enishi_client, document(*steps))
    hanako = await enishi_line.follow("花子")
    started = await enishi_client.post(
        enishi_workspace.url(f"/scenarios/{scenario}/runs"), json={"friend_ids": [hanako]}
    )
    assert started.json() == {"started": 1}
    await enishi_jobs.drain()

    async def status() -> str:
        async with enishi_workspace.context() as ctx:
            return str(await ctx.session.scalar(select(ScenarioRun.status)))

    assert await status() == "waiting"
    enishi_clock.shift(hours=19)
    await enishi_jobs.run_schedules(["core.sweep_scenario_runs"])
    assert await status() == "waiting"
    enishi_clock.shift(hours=2)
    await enishi_jobs.run_schedules(["core.sweep_scenario_runs"])
    assert await status() == "completed"
