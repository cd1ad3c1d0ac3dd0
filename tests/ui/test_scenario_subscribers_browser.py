"""A scenario's people in a real browser, as a shop's staff member handles them: the subscriber list stops one
friend and moves another on to a later step, publishing a change asks first with what changes, and a friend's
page stops and restarts the friend's scenario. Screenshots are kept in ``test-artifacts/``."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from enishi.models.scenarios import ScenarioRun
from enishi.scenarios.engine import advance_run
from tests.line.emulator.test_simulator_browser import Shop, add_friend, open_simulator
from tests.line.test_inbox import _until
from tests.ui.antd import choose
from tests.ui.conftest import ARTIFACTS
from tests.ui.test_builder_browser import canvas_node, job_context
from tests.ui.test_friends_browser import follower, log_in, tag_named, tags_of

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=10_000)


def _node(type_: str, config: dict[str, Any], label: str | None = None) -> dict[str, Any]:
    node = {"id": str(uuid.uuid4()), "type": type_, "type_version": 1, "config": config}
    if label:
        node["label"] = label
    return node


def _chain(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"id": str(uuid.uuid4()), "source": a["id"], "source_port": "next", "target": b["id"], "target_port": "in"}
        for a, b in itertools.pairwise(nodes)
    ]


async def _scenario(shop: Shop, friends: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """「二日目のご案内」: start → wait a day → tag, published, with the friends in it (waiting out the day)."""
    tag = await tag_named(shop, "二日目")
    nodes = [
        _node("core.manual_start", {}),
        _node("core.wait_delay", {"days": 1}, "1日待つ"),
        _node("tags.add_tag", {"tag_ids": [tag]}, "二日目のタグ"),
    ]
    document = {"schema_version": 1, "nodes": nodes, "edges": _chain(nodes)}
    response = await shop.staff.post(f"{shop.api}/scenarios", json={"name": "二日目のご案内", "document": document})
    assert response.status_code == 201, response.text
    scenario_id = int(response.json()["scenario"]["id"])
    assert (await shop.staff.post(f"{shop.api}/scenarios/{scenario_id}/publish")).status_code == 200
    response = await shop.staff.post(
        f"{shop.api}/scenarios/{scenario_id}/runs", json={"friend_ids": [f["id"] for f in friends]}
    )
    assert response.json()["started"] == len(friends)
    return scenario_id, document


async def _live_runs(shop: Shop, scenario_id: int) -> dict[str, str]:
    """Friend name → the step they are at, for those still in the scenario."""
    response = await shop.staff.get(f"{shop.api}/scenarios/{scenario_id}/subscribers", params={"status": "live"})
    return {i["friend_name"]: i["node_title"]["ja"] for i in response.json()["items"]}


async def test_subscribers_are_stopped_and_moved_and_publishing_asks_first(page: Page, shop: Shop) -> None:
    friends = [(await follower(shop, name))[1] for name in ("あおい", "れん", "ゆい")]
    scenario_id, document = await _scenario(shop, friends)
    await _until(lambda: _wait_for(shop, scenario_id, 3))

    await log_in(page, shop)
    await page.get_by_role("navigation", name="メニュー").get_by_role("link", name="シナリオ").click()
    await page.get_by_role("link", name="二日目のご案内").click()
    await expect(canvas_node(page, "core.wait_delay")).to_contain_text("ここで待機中 3人")
    await page.get_by_role("button", name="購読者一覧").click()
    drawer = page.get_by_role("dialog", name="購読者一覧")
    rows = drawer.get_by_role("table").get_by_role("row")
    await expect(rows).to_have_count(4)  # the header and the three friends, all at the wait
    await expect(drawer.get_by_role("table")).to_contain_text("1日待つ")

    # Stop あおい.
    await drawer.get_by_role("checkbox", name="あおい を選ぶ").check()
    await drawer.get_by_role("button", name="選んだ友だちを停止").click()
    confirm = page.get_by_role("dialog", name="1人をこのシナリオから停止しますか？")
    await confirm.get_by_role("button", name="選んだ友だちを停止").click()
    await expect(drawer.get_by_role("status")).to_have_text("1人を停止しました")
    await expect(rows).to_have_count(3)

    # Move れん on to the tag step: it runs for him now; ゆい still waits.
    await drawer.get_by_role("checkbox", name="れん を選ぶ").check()
    await choose(page, drawer.get_by_label("移動先のステップ"), "二日目のタグ")
    await drawer.get_by_role("button", name="選んだ友だちを移動").click()
    confirm = page.get_by_role("dialog", name="1人を「二日目のタグ」へ移動しますか？")
    await confirm.get_by_role("button", name="選んだ友だちを移動").click()
    await expect(drawer.get_by_role("status")).to_have_text("1人を「二日目のタグ」へ移動しました")
    await page.screenshot(path=ARTIFACTS / "scenario-subscribers.png")
    ren = friends[1]
    assert await _until(lambda: _has_tag(shop, ren, "二日目"))
    assert await _live_runs(shop, scenario_id) == {"ゆい": "1日待つ"}
    assert await tags_of(shop, friends[2]) == set()
    await drawer.get_by_role("button", name="閉じる").click()
    await expect(canvas_node(page, "core.wait_delay")).to_contain_text("ここで待機中 1人")

    # A change to the wait, then publish: the dialog says what changes and whom it concerns.
    changed = {**document, "nodes": [{**document["nodes"][1], "config": {"days": 2}}, *document["nodes"][::2]]}
    assert (await shop.staff.put(f"{shop.api}/scenarios/{scenario_id}/draft", json=changed)).status_code == 200
    await page.reload()
    await page.get_by_role("button", name="公開", exact=True).click()
    dialog = page.get_by_role("dialog", name="公開の確認")
    await expect(dialog).to_contain_text("設定が変わるステップ: 1日待つ")
    await expect(dialog).to_contain_text("いま参加中の 1人は、始めたときのバージョンのまま進みます。")
    await page.screenshot(path=ARTIFACTS / "scenario-publish-confirm.png")
    await dialog.get_by_role("button", name="公開する").click()
    await expect(page.get_by_role("status")).to_contain_text("公開しました(v2)")

    # A dry run of the unchanged published scenario leaves no draft to publish.
    await page.get_by_role("tab", name="テスト実行").click()
    await page.get_by_role("button", name="テスト実行", exact=True).click()
    await expect(page.get_by_role("list", name="たどる道筋").get_by_role("listitem")).to_have_count(3)
    listed = (await shop.staff.get(f"{shop.api}/scenarios/{scenario_id}")).json()["scenario"]
    assert listed["draft_changed"] is False


async def test_a_friends_page_stops_and_restarts_their_scenario(page: Page, shop: Shop) -> None:
    _, aoi = await follower(shop, "あおい")
    scenario_id, _ = await _scenario(shop, [aoi])
    await _until(lambda: _wait_for(shop, scenario_id, 1))

    await log_in(page, shop)
    await page.goto(f"{shop.env.settings.public_url}/w/{shop.workspace.id}/friends/{aoi['id']}")
    panel = page.get_by_role("region", name="参加中のシナリオ")
    entry = panel.get_by_role("listitem", name="二日目のご案内")
    await expect(entry).to_contain_text("待機中")
    await expect(entry).to_contain_text("1日待つ")
    await expect(entry).to_contain_text(re.compile("次の予定二日目のタグ"))

    await entry.get_by_role("button", name="停止").click()
    await page.get_by_role("tooltip").get_by_role("button", name="停止").click()
    await expect(entry.get_by_role("button", name="再開")).to_be_visible()
    await expect(entry).not_to_contain_text("次の予定")
    assert await _live_runs(shop, scenario_id) == {}

    await entry.get_by_role("button", name="再開").click()
    await expect(entry.get_by_role("button", name="停止")).to_be_visible()
    await expect(entry).to_contain_text("次の予定")
    await page.screenshot(path=ARTIFACTS / "friend-scenarios.png")
    assert await _until(lambda: _live(shop, scenario_id, "あおい"))


async def test_a_send_held_by_quiet_hours_says_so_in_the_simulator_the_builder_and_the_friend_page(
    page: Page, shop: Shop
) -> None:
    await open_simulator(page, shop)
    friend = await add_friend(page, shop, "はな")
    nodes = [
        _node("core.manual_start", {}),
        _node("core.wait_until_time", {"days_after": 0, "time": "23:00"}, "夜まで待つ"),
        _node("messages.send_messages", {"messages": [{"type": "text", "text": "おやすみ前のご案内"}]}, "夜のご案内"),
    ]
    quiet = {"enabled": True, "start": "22:00", "end": "08:00"}
    document = {
        "schema_version": 1,
        "nodes": nodes,
        "edges": _chain(nodes),
        "settings": {"reentry": False, "exit_condition": None, "quiet_hours": quiet},
    }
    response = await shop.staff.post(f"{shop.api}/scenarios", json={"name": "夜のシナリオ", "document": document})
    scenario_id = int(response.json()["scenario"]["id"])
    assert (await shop.staff.post(f"{shop.api}/scenarios/{scenario_id}/publish")).status_code == 200
    await shop.staff.post(f"{shop.api}/scenarios/{scenario_id}/runs", json={"friend_ids": [friend["id"]]})

    async def run_waiting() -> ScenarioRun | None:
        async with shop.env.db.session() as s:
            run = await s.scalar(select(ScenarioRun).where(ScenarioRun.scenario_id == scenario_id))
        return run if run is not None and run.status == "waiting" else None

    run = await _until(run_waiting)
    assert run is not None and run.resume_at is not None
    # 23:01: the wait is over, and the message waits for the end of the quiet hours.
    await advance_run(job_context(shop.env), run.id, now=run.resume_at + timedelta(minutes=1))
    held = "08:00 に送信予定: 配信しない時間帯"
    await expect(page.get_by_role("note")).to_contain_text("「夜のシナリオ」のメッセージ")
    await expect(page.get_by_role("note")).to_contain_text(held)
    await page.screenshot(path=ARTIFACTS / "simulator-held.png")

    console = await page.context.new_page()
    await console.goto(f"{shop.env.settings.public_url}/w/{shop.workspace.id}/scenarios/{scenario_id}")
    send = canvas_node(console, "messages.send_messages")
    await expect(send.get_by_role("note")).to_have_text(re.compile(r"^1人が .*08:00 まで保留中: 配信しない時間帯$"))
    await console.screenshot(path=ARTIFACTS / "builder-held.png")

    await console.goto(f"{shop.env.settings.public_url}/w/{shop.workspace.id}/friends/{friend['id']}")
    entry = console.get_by_role("region", name="参加中のシナリオ").get_by_role("listitem", name="夜のシナリオ")
    await expect(entry).to_contain_text("配信しない時間帯で保留中")
    await expect(entry.get_by_role("note")).to_contain_text(held)


async def _wait_for(shop: Shop, scenario_id: int, count: int) -> bool:
    response = await shop.staff.get(f"{shop.api}/scenarios/{scenario_id}/subscribers", params={"status": "waiting"})
    return len(response.json()["items"]) == count


async def _has_tag(shop: Shop, friend: dict[str, Any], tag: str) -> bool:
    return tag in await tags_of(shop, friend)


async def _live(shop: Shop, scenario_id: int, name: str) -> bool:
    return name in await _live_runs(shop, scenario_id)
