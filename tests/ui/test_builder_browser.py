"""The scenario builder in a real browser, as a shop's staff member uses it.

Log in, build a scenario by dragging node types from the palette and connecting their ports, configure each
node through the form generated from its schema (a tag picker inside a button of the message editor),
publish, and watch a simulated LINE user who adds the account get the messages in the simulator page and the
tag when they tap the button. Also: problems shown on the nodes, keyboard editing, the step list, dry run,
and how long a 300-node scenario takes to open and validate. Screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from typing import Any

import pytest
from playwright.async_api import Locator, Page, expect
from sqlalchemy import select

from enishi.context import JobContext
from enishi.models.scenarios import ScenarioRun
from enishi.scenarios.engine import advance_run
from tests.conftest import Env
from tests.line.emulator.test_simulator_browser import Shop, add_friend, bot_says, open_simulator
from tests.line.test_inbox import _until
from tests.ui.antd import choose, chosen, press
from tests.ui.conftest import ARTIFACTS

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=10_000)
OWNER = "owner@shop.example"


# -- what the person does in the builder ------------------------------------------------------------------------


async def log_in(page: Page, shop: Shop) -> None:
    from tests.conftest import PASSWORD

    await page.goto(shop.env.settings.public_url + "/")
    await page.get_by_label("メールアドレス").fill(OWNER)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    # The console opens on the friend list; the builder is one click away in the menu.
    await expect(page.get_by_role("heading", name="友だち", exact=True)).to_be_visible()
    await page.get_by_role("navigation", name="メニュー").get_by_role("link", name="シナリオ").click()
    await expect(page.get_by_role("heading", name="シナリオ")).to_be_visible()
    await expect(chosen(page.get_by_label("ワークスペース"))).to_have_text(shop.workspace.name)


def canvas_node(page: Page, node_type: str) -> Locator:
    return page.locator(f'.react-flow__node:has([data-node-type="{node_type}"])')


async def drag_from_palette(page: Page, label: str, x: float, y: float) -> None:
    """Drag a node type from the palette and drop it at (x, y) of the canvas."""
    item = page.get_by_role("complementary", name="ノード").get_by_role("button", name=label, exact=True)
    await item.drag_to(page.locator(".react-flow__pane"), target_position={"x": x, "y": y})


async def connect(page: Page, source: str, target: str, port: str | None = None) -> None:
    """Draw an edge from a node's output port to the next node's input with the mouse."""
    handles = canvas_node(page, source).locator(".react-flow__handle.source")
    handle = handles.first if port is None else canvas_node(page, source).locator(f'[data-handleid="{port}"]')
    start = await handle.bounding_box()
    inputs = canvas_node(page, target).locator(".react-flow__handle.target")
    # (a trigger has no input: aim at its top edge)
    end = await (inputs.first if await inputs.count() else canvas_node(page, target)).bounding_box()
    assert start and end
    if not await inputs.count():
        end = {**end, "height": 8}
    await page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    await page.mouse.down()
    await page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    await page.mouse.up()


async def connect_until(page: Page, source: str, target: str, edges: int) -> None:
    """Draw an edge and see ``edges`` edges; a drag the browser dropped under load is drawn again (at most three
    times), a refused one still fails."""
    for _ in range(2):
        await connect(page, source, target)
        try:
            await expect(page.locator(".react-flow__edge")).to_have_count(edges, timeout=3000)
            return
        except AssertionError:
            continue
    await connect(page, source, target)
    await expect(page.locator(".react-flow__edge")).to_have_count(edges)


async def select_node(page: Page, node_type: str) -> Locator:
    await canvas_node(page, node_type).locator(".node-title").click()
    panel = page.get_by_role("region", name="ノード設定")
    await expect(panel).to_be_visible()
    return panel


def job_context(env: Env) -> JobContext:
    services = env.app.state["enishi"]
    return JobContext(settings=services.settings, db=services.db, host=services.host, jobs=services.jobs)


async def tag_named(shop: Shop, name: str) -> int:
    response = await shop.staff.post(f"{shop.api}/tags", json={"name": name})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


# -- the tests ----------------------------------------------------------------------------------------------------


async def test_a_three_step_scenario_built_by_drag_and_drop_greets_a_new_friend(page: Page, shop: Shop) -> None:
    tag_id = await tag_named(shop, "購入希望")
    await log_in(page, shop)

    await page.get_by_label("新しいシナリオの名前").fill("友だち追加のあいさつ")
    await page.get_by_role("button", name="作成").click()
    await expect(page.get_by_role("heading", name="友だち追加のあいさつ")).to_be_visible()

    # The palette comes from the catalog, grouped by plugin, in Japanese, and searchable.
    palette = page.get_by_role("complementary", name="ノード")
    await expect(palette.get_by_role("region", name="タグ")).to_be_visible()
    await palette.get_by_label("ノードを検索").fill("メッセージ")
    await expect(palette.get_by_role("button", name="メッセージを送る", exact=True)).to_be_visible()
    await expect(palette.get_by_role("button", name="時間をおく", exact=True)).to_be_hidden()
    await palette.get_by_label("ノードを検索").fill("")

    await drag_from_palette(page, "友だち追加されたとき", 250, 80)
    await drag_from_palette(page, "時間をおく", 250, 250)
    await drag_from_palette(page, "メッセージを送る", 250, 420)
    await expect(page.locator(".react-flow__node")).to_have_count(3)

    # A trigger takes no input: dragging into it draws nothing.
    await connect(page, "core.wait_delay", "core.friend_followed")
    await expect(page.locator(".react-flow__edge")).to_have_count(0)
    await connect_until(page, "core.friend_followed", "core.wait_delay", 1)  # seen before the next one is drawn
    await connect_until(page, "core.wait_delay", "messages.send_messages", 2)
    # One edge per output port: a second edge from the trigger is refused.
    await connect(page, "core.friend_followed", "messages.send_messages")
    await expect(page.locator(".react-flow__edge")).to_have_count(2)

    # Nodes whose config is not complete yet show it (the server's validation, as you edit).
    await expect(canvas_node(page, "messages.send_messages").locator(".enishi-node.has-problems")).to_be_visible()

    panel = await select_node(page, "core.wait_delay")
    await panel.get_by_label("分", exact=True).fill("1")
    await expect(canvas_node(page, "core.wait_delay").locator(".node-summary")).to_have_text("1分後")

    panel = await select_node(page, "messages.send_messages")
    await panel.get_by_role("button", name="テキスト", exact=True).click()
    await panel.get_by_label("本文", exact=True).fill("ご登録ありがとうございます！")
    await panel.get_by_role("button", name="ボタン", exact=True).click()
    second = panel.get_by_role("group", name="メッセージ2")
    await second.get_by_label("通知に表示される文(代替テキスト)").fill("ご案内")
    await second.get_by_label("本文", exact=True).fill("気になる商品はありますか？")
    button = second.get_by_role("group", name="ボタン1")
    await button.get_by_label("ボタンの文字").fill("購入希望")
    await choose(page, button.get_by_label("実行することを追加"), "タグを付ける")
    await button.get_by_role("group", name="タグ").get_by_label("購入希望").check()
    # The LINE-like preview shows both messages as the server renders them.
    preview = panel.get_by_role("region", name="プレビュー")
    await expect(preview.locator(".line-bubble")).to_have_text(["ご登録ありがとうございます！"])
    await expect(preview.get_by_role("group", name="ご案内").locator("li")).to_have_text(["購入希望"])

    # Pushes in quiet hours would wait for the morning: this scenario sets its own quiet hours, off.
    await page.get_by_role("tab", name="シナリオ設定").click()
    await expect(page.get_by_label("ワークスペースの設定に従う")).to_be_checked()
    await page.get_by_label("ワークスペースの設定に従う").uncheck()
    await page.get_by_label("この時間帯はプッシュを送らず、終わるまで待つ").uncheck()

    await page.get_by_role("tab", name="問題").click()
    await expect(page.get_by_text("問題はありません。公開できます。")).to_be_visible()
    await expect(page.locator(".enishi-node.has-problems")).to_have_count(0)

    # The same graph as a step list: one step, a minute after the start.
    await press(page.get_by_role("radio", name="ステップ一覧"))
    steps = page.locator(".step-list li.step")
    await expect(steps).to_have_count(2)
    await expect(chosen(steps.nth(1).get_by_label("タイミング"))).to_have_text("経過時間")
    await expect(steps.nth(1)).to_contain_text("ご登録ありがとうございます！")
    await press(page.get_by_role("radio", name="キャンバス"))

    await page.get_by_role("button", name="公開").click()
    # Publishing asks first: the first version, with its steps.
    confirm = page.get_by_role("dialog", name="公開の確認")
    await expect(confirm).to_contain_text("初めての公開です")
    await confirm.get_by_role("button", name="公開する").click()
    await expect(page.get_by_role("status")).to_have_text(re.compile("公開しました\\(v1\\)"))
    await page.screenshot(path=ARTIFACTS / "builder-three-step-scenario.png")

    scenarios = (await shop.staff.get(f"{shop.api}/scenarios")).json()["items"]
    assert [(s["name"], s["status"], s["current_version"]["number"]) for s in scenarios] == [
        ("友だち追加のあいさつ", "active", 1)
    ]
    version = (await shop.staff.get(f"{shop.api}/scenarios/{scenarios[0]['id']}/versions/1")).json()
    assert sorted(n["type"] for n in version["nodes"]) == [
        "core.friend_followed",
        "core.wait_delay",
        "messages.send_messages",
    ]
    assert set(version["layout"]) == {n["id"] for n in version["nodes"]}
    assert all("layout" not in n and "position" not in n for n in version["nodes"])

    # A LINE user adds the account in the simulator page: the scenario starts and waits a minute.
    simulator = await page.context.new_page()
    await open_simulator(simulator, shop)
    friend = await add_friend(simulator, shop, "花子")

    async def waiting_run() -> ScenarioRun | None:
        async with shop.env.db.session() as s:
            run = await s.scalar(select(ScenarioRun).where(ScenarioRun.friend_id == friend["id"]))
        return run if run is not None and run.status == "waiting" else None

    run = await _until(waiting_run)
    assert run is not None and run.resume_at is not None
    await advance_run(job_context(shop.env), run.id, now=run.resume_at)  # the minute has passed

    await expect(bot_says(simulator).locator(".bubble").first).to_have_text("ご登録ありがとうございます！")
    card = simulator.get_by_role("group", name="ご案内")
    await expect(card.get_by_role("button")).to_have_text(["購入希望"])
    await card.get_by_role("button", name="購入希望").click()

    async def tagged() -> list[Any]:
        response = await shop.staff.get(f"{shop.api}/tags/friends/{friend['id']}")
        return [t for t in response.json() if t["tag_id"] == tag_id]

    assert await _until(tagged), "the tap did not add the tag"
    await simulator.screenshot(path=ARTIFACTS / "builder-simulator-after-scenario.png", full_page=True)
    await simulator.close()

    # The staff member finds the friend in the friend list and sees the tag on the friend's page.
    await page.get_by_role("navigation", name="メニュー").get_by_role("link", name="友だち").click()
    await page.get_by_role("link", name="花子").click()
    await expect(page.get_by_role("heading", name="花子", level=1)).to_be_visible()
    await expect(page.get_by_role("region", name="タグ").locator(".friend-tag")).to_have_text([re.compile("購入希望")])
    await page.screenshot(path=ARTIFACTS / "builder-friend-page-after-scenario.png")


def _node(type_: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": type_, "type_version": 1, "config": config}


def _chain(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"id": str(uuid.uuid4()), "source": a["id"], "source_port": "next", "target": b["id"], "target_port": "in"}
        for a, b in itertools.pairwise(nodes)
    ]


async def test_nodes_say_what_they_do_in_words_not_ids_or_raw_values(page: Page, shop: Shop) -> None:
    tag = await shop.staff.post(f"{shop.api}/tags", json={"name": "常連"})
    assert tag.status_code == 201, tag.text
    trigger = _node("core.friend_followed", {"when": "new"})
    add = _node("tags.add_tag", {"tag_ids": [tag.json()["id"]]})
    nodes = [trigger, add]
    document = {"schema_version": 1, "nodes": nodes, "edges": _chain(nodes)}
    response = await shop.staff.post(f"{shop.api}/scenarios", json={"name": "常連タグ", "document": document})
    assert response.status_code == 201, response.text

    await log_in(page, shop)
    await page.get_by_role("link", name="常連タグ").click()
    await expect(canvas_node(page, "core.friend_followed")).to_contain_text("対象: 新規の友だち追加のみ")
    await expect(canvas_node(page, "tags.add_tag")).to_contain_text("タグ: 常連")
    await expect(canvas_node(page, "core.friend_followed")).not_to_contain_text("new")
    # The form offers the same labels, and a choice there changes the summary.
    await canvas_node(page, "core.friend_followed").locator(".node-title").click()
    await choose(page, page.get_by_label("対象"), "ブロック解除のみ")
    await expect(canvas_node(page, "core.friend_followed")).to_contain_text("対象: ブロック解除のみ")
    # The step list says the same.
    await press(page.get_by_role("radio", name="ステップ一覧"))
    await expect(page.get_by_role("listitem", name="ステップ1")).to_contain_text("タグ: 常連")
    await page.screenshot(path=ARTIFACTS / "builder-node-summaries.png")


async def test_problems_show_on_their_nodes_and_the_keyboard_edits_the_graph(page: Page, shop: Shop) -> None:
    trigger = _node("core.friend_followed", {"when": "both"})
    wait = _node("core.wait_until_time", {"days_after": 1, "time": "10:00"})
    send = _node("messages.send_messages", {"messages": []})  # too few messages
    nodes = [trigger, wait, send]
    document = {"schema_version": 1, "nodes": nodes, "edges": _chain(nodes)}
    response = await shop.staff.post(f"{shop.api}/scenarios", json={"name": "問題のあるシナリオ", "document": document})
    assert response.status_code == 201, response.text
    scenario_id = response.json()["scenario"]["id"]

    await log_in(page, shop)
    await page.get_by_role("link", name="問題のあるシナリオ").click()
    await expect(page.locator(".react-flow__node")).to_have_count(3)
    broken = canvas_node(page, "messages.send_messages")
    await expect(broken.locator(".enishi-node")).to_have_class(re.compile("has-problems"))
    await page.get_by_role("tab", name="問題").click()
    problems = page.get_by_role("list", name="問題の一覧")
    await expect(problems.get_by_role("listitem")).to_have_count(1)
    await expect(problems).to_contain_text("メッセージを送る")

    # Publishing is refused by the server; its problems stay on the node.
    await page.get_by_role("button", name="公開").click()
    await expect(page.get_by_role("alert")).to_contain_text("公開できません")
    await expect(broken.locator(".enishi-node")).to_have_class(re.compile("has-problems"))

    # Copy and paste a node, undo and redo it, delete it with the keyboard, save with Ctrl+S.
    await canvas_node(page, "core.wait_until_time").locator(".node-title").click()
    await page.keyboard.press("Control+c")
    await page.keyboard.press("Control+v")
    await expect(page.locator(".react-flow__node")).to_have_count(4)
    await page.keyboard.press("Control+z")
    await expect(page.locator(".react-flow__node")).to_have_count(3)
    await page.keyboard.press("Control+y")
    await expect(page.locator(".react-flow__node")).to_have_count(4)
    await page.keyboard.press("Delete")
    await expect(page.locator(".react-flow__node")).to_have_count(3)
    await page.keyboard.press("Control+z")
    await expect(page.locator(".react-flow__node")).to_have_count(4)
    await page.keyboard.press("Delete")
    await expect(page.locator(".react-flow__node")).to_have_count(3)

    # The step list edits the same graph: day 1 at 10:00 becomes day 3 at 20:00.
    await press(page.get_by_role("radio", name="ステップ一覧"))
    step = page.get_by_role("listitem", name="ステップ1")
    await expect(chosen(step.get_by_label("タイミング"))).to_have_text("日時指定")
    await step.get_by_label("日目").fill("3")
    await step.get_by_label("時刻").fill("20:00")
    await step.get_by_label("時刻").press("Enter")  # the time picker takes what was typed
    await press(page.get_by_role("radio", name="キャンバス"))
    await expect(canvas_node(page, "core.wait_until_time").locator(".node-summary")).to_have_text("3日後 20:00")

    await page.keyboard.press("Control+s")
    await expect(page.get_by_role("status")).to_contain_text("下書きを保存しました")
    detail = (await shop.staff.get(f"{shop.api}/scenarios/{scenario_id}")).json()
    assert len(detail["draft"]["nodes"]) == 3
    waits = [n for n in detail["draft"]["nodes"] if n["type"] == "core.wait_until_time"]
    assert [w["config"] for w in waits] == [{"days_after": 3, "time": "20:00"}]

    # Fix the message in the form, then a dry run shows the path with the time of each step.
    await canvas_node(page, "messages.send_messages").locator(".node-title").click()
    panel = page.get_by_role("region", name="ノード設定")
    await panel.get_by_role("button", name="テキスト", exact=True).click()
    await panel.get_by_label("本文", exact=True).fill("3日目のご案内です")
    await page.get_by_role("tab", name="テスト実行").click()
    await page.get_by_role("button", name="テスト実行", exact=True).click()
    path = page.get_by_role("list", name="たどる道筋")
    await expect(path.get_by_role("listitem")).to_have_count(3)
    await expect(path.get_by_role("listitem").nth(2)).to_contain_text("20:00")
    await expect(page.locator(".enishi-node.on-path")).to_have_count(3)
    await expect(page.locator(".react-flow__edge.on-path")).to_have_count(2)
    await page.screenshot(path=ARTIFACTS / "builder-dry-run.png")

    # English on request.
    await choose(page, page.get_by_label("表示言語"), "English")
    await expect(page.get_by_role("button", name="Publish")).to_be_visible()
    await expect(page.get_by_role("radiogroup", name="View").get_by_text("Step list", exact=True)).to_be_visible()


async def test_opening_and_validating_a_300_node_scenario(page: Page, shop: Shop) -> None:
    tag_id = await tag_named(shop, "常連")
    nodes = [_node("core.friend_followed", {"when": "both"})]
    while len(nodes) < 300:
        nodes.append(_node("core.wait_delay", {"hours": 1}))
        nodes.append(_node("tags.add_tag", {"tag_ids": [tag_id]}))
    nodes = nodes[:300]
    layout = {n["id"]: {"x": (i % 20) * 280, "y": (i // 20) * 160} for i, n in enumerate(nodes)}
    document = {"schema_version": 1, "nodes": nodes, "edges": _chain(nodes), "layout": layout}
    response = await shop.staff.post(f"{shop.api}/scenarios", json={"name": "大きなシナリオ", "document": document})
    assert response.status_code == 201, response.text
    scenario_id = response.json()["scenario"]["id"]

    await log_in(page, shop)
    started = time.perf_counter()
    await page.goto(f"{shop.env.settings.public_url}/w/{shop.workspace.id}/scenarios/{scenario_id}")
    await expect(page.locator(".react-flow__node")).to_have_count(300, timeout=60_000)
    await page.wait_for_function("window.enishiBuilder && window.enishiBuilder.nodes === 300", timeout=60_000)
    opened = time.perf_counter() - started
    in_page = await page.evaluate("window.enishiBuilder.openedAt")

    started = time.perf_counter()
    await page.get_by_role("button", name="下書き保存").click()  # stores and validates the whole document
    await expect(page.get_by_role("status")).to_have_text(re.compile("下書きを保存しました"), timeout=60_000)
    saved = time.perf_counter() - started

    started = time.perf_counter()
    await page.get_by_role("button", name="自動整列").click()
    await expect(page.locator(".save-state.dirty")).to_be_visible()
    laid_out = time.perf_counter() - started

    report = (
        f"300-node scenario: opened and shown in {opened * 1000:.0f} ms "
        f"(load + validation + render in the page: {in_page:.0f} ms); "
        f"saved and validated in {saved * 1000:.0f} ms; auto-layout in {laid_out * 1000:.0f} ms"
    )
    print(report)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "builder-300-nodes.txt").write_text(report + "\n", encoding="utf-8")
