"""The reports area (分析) in a real browser: the inflow report's table and time series for seeded visits and new
friends, its CSV download, and the cross analysis as a heat map with row and column totals and percentages.
Screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from enishi_inflow.models import FirstRoute, Route, Visit
from playwright.async_api import Locator, Page, expect

from enishi import Friend
from tests.line.emulator.test_simulator_browser import Shop
from tests.ui.antd import choose
from tests.ui.conftest import ARTIFACTS
from tests.ui.test_builder_browser import log_in, tag_named

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=10_000)
TOKYO = ZoneInfo("Asia/Tokyo")


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), TOKYO).astimezone(UTC)


async def add_friends(shop: Shop, names: list[str], followed: datetime) -> list[int]:
    async with shop.env.db.transaction(shop.workspace.id) as s:
        friends = [
            Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name=n, status="following", followed_at=followed)
            for n in names
        ]
        s.add_all(friends)
        await s.flush()
        return [f.id for f in friends]


async def open_report(page: Page, shop: Shop, name: str) -> None:
    await log_in(page, shop)
    await page.get_by_role("navigation", name="メニュー").get_by_role("link", name="分析").click()
    await expect(page.get_by_role("heading", name="分析", exact=True)).to_be_visible()
    await page.get_by_role("link", name=name, exact=True).click()
    await expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def table_row(page: Page, *texts: str) -> Locator:
    rows = page.get_by_role("table", name="集計表").locator("tbody tr")
    for text in texts:
        rows = rows.filter(has=page.get_by_role("cell", name=text, exact=True))
    return rows


async def test_inflow_report_shows_the_routes_per_day_as_table_and_line_chart_and_downloads_csv(
    page: Page, shop: Shop
) -> None:
    today = datetime.now(TOKYO).date()
    busy, quiet = today - timedelta(days=3), today - timedelta(days=1)
    friends = await add_friends(shop, ["葵", "蓮", "結衣"], at_noon(busy))
    async with shop.env.db.transaction(shop.workspace.id) as s:
        flyer, pop = Route(name="チラシ", code=uuid.uuid4().hex[:12]), Route(name="店頭POP", code=uuid.uuid4().hex[:12])
        s.add_all([flyer, pop])
        await s.flush()
        # A new friend is one whose follow came through the route: their visit (before the follow) is recorded.
        came: list[int | None] = [friends[0], friends[1], None, None, None]
        visits = [(flyer, busy, f) for f in came] + [(flyer, quiet, None)] * 2
        visits += [(pop, busy, f) for f in [friends[2], None, None, None]]
        s.add_all(
            Visit(route_id=r.id, ref=uuid.uuid4().hex[:8], visited_at=at_noon(d), friend_id=f) for r, d, f in visits
        )
        s.add_all(FirstRoute(friend_id=f, route_id=flyer.id, at=at_noon(busy)) for f in friends[:2])
        s.add(FirstRoute(friend_id=friends[2], route_id=pop.id, at=at_noon(busy)))

    await open_report(page, shop, "流入経路分析")
    # The period comes filled in (the last 30 days); only the flyer's route is picked.
    await expect(page.locator("#params_to")).to_have_value(today.isoformat())
    await page.get_by_role("group", name="流入経路").get_by_label("チラシ").check()
    await page.get_by_role("button", name="集計する").click()

    busy_row = table_row(page, "チラシ", busy.isoformat())
    await expect(busy_row.locator("td")).to_have_text(
        [str(flyer.id), "チラシ", "–", busy.isoformat(), "5", "2", "0", "0", "0%"]
    )
    await expect(table_row(page, "チラシ", quiet.isoformat()).locator("td").nth(4)).to_have_text("2")
    await expect(table_row(page, "店頭POP")).to_have_count(0)
    # One row per day of the period for the one route, and the time series drawn as lines.
    await expect(page.get_by_role("table", name="集計表").locator("tbody tr")).to_have_count(30)
    chart = page.get_by_role("figure", name="グラフ")
    # The four totals and the picked route's visits; a series can be switched off.
    await expect(chart.locator(".recharts-line")).to_have_count(5)
    await expect(chart.locator(".recharts-legend-wrapper")).to_contain_text("チラシ 訪問")
    await chart.get_by_role("checkbox", name="ブロック").uncheck()
    await expect(chart.locator(".recharts-line")).to_have_count(4)
    await chart.scroll_into_view_if_needed()
    await page.screenshot(path=ARTIFACTS / "reports-inflow.png")

    async with page.expect_download() as info:
        await page.get_by_role("button", name="CSVダウンロード").click()
    download = await info.value
    assert download.suggested_filename == "inflow-routes.csv"
    path = await download.path()
    assert path is not None
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "経路ID,流入経路,フォルダ,期間,訪問数,新規友だち,ブロック,コンバージョン,コンバージョン率"
    assert f"{flyer.id},チラシ,,{busy.isoformat()},5,2,0,0,0.0" in lines
    assert len(lines) == 31 and not any("店頭POP" in line for line in lines)


async def test_inflow_report_shows_the_servers_objection_on_the_field(page: Page, shop: Shop) -> None:
    await open_report(page, shop, "流入経路分析")
    # (a date picker takes what was typed as its calendar closes)
    await page.locator("#params_from").fill("2026-02-01")
    await page.locator("#params_from").press("Escape")
    await page.locator("#params_to").fill("2026-01-01")
    await page.locator("#params_to").press("Escape")
    await page.get_by_role("button", name="集計する").click()
    await expect(page.get_by_role("alert")).to_contain_text("条件に誤りがあります")
    field = page.locator("#params_to").locator("xpath=ancestor::div[contains(@class,'ant-form-item ')][1]")
    await expect(field).to_contain_text("終了日は開始日以降にしてください")


async def test_cross_analysis_draws_a_heat_map_with_totals_and_percentages(page: Page, shop: Shop) -> None:
    seminar, buyer = await tag_named(shop, "セミナー"), await tag_named(shop, "購入")
    january = datetime(2026, 1, 15, 3, tzinfo=UTC)
    february = datetime(2026, 2, 15, 3, tzinfo=UTC)
    aoi, ren, _yui = await add_friends(shop, ["葵", "蓮", "結衣"], january)
    (kai,) = await add_friends(shop, ["海"], february)
    for friend, tags in {aoi: (seminar, buyer), ren: (seminar,), kai: (buyer,)}.items():
        for tag_id in tags:
            response = await shop.staff.put(f"{shop.api}/tags/friends/{friend}/{tag_id}")
            assert response.status_code == 200, response.text

    await open_report(page, shop, "クロス分析")
    await choose(page, page.locator("#params_rows_kind"), "タグ")
    rows = page.locator("#params_rows_tag_ids")
    await rows.get_by_label("セミナー").check()
    await rows.get_by_label("購入").check()
    # The dimension's own default shows: a bucket for friends in none of the tags.
    await expect(page.locator("#params_rows_include_none")).to_be_checked()
    await choose(page, page.locator("#params_columns_kind"), "友だち追加の月")
    await page.get_by_role("button", name="集計する").click()

    heat = page.get_by_role("table", name="ヒートマップ")
    await expect(heat.locator("thead th")).to_have_text(["区分", "2026-01", "2026-02", "該当なし", "合計"])
    body = heat.locator("tbody tr")
    # セミナー: aoi and ren (January); 購入: aoi (January), kai (February); yui has neither. Each cell shows its
    # share of the row, each row total its share of all four friends.
    await expect(body.locator("th")).to_have_text(["セミナー", "購入", "該当なし"])
    await expect(body.nth(0).locator("td .count")).to_have_text(["2", "0", "0", "2"])
    await expect(body.nth(0).locator("td .pct")).to_have_text(["100%", "0%", "0%", "50%"])
    await expect(body.nth(1).locator("td .count")).to_have_text(["1", "1", "0", "2"])
    await expect(body.nth(1).locator("td .pct")).to_have_text(["50%", "50%", "0%", "50%"])
    await expect(body.nth(2).locator("td .count")).to_have_text(["1", "0", "0", "1"])
    await expect(body.nth(2).locator("td .pct")).to_have_text(["100%", "0%", "0%", "25%"])
    await expect(heat.locator("tfoot td .count")).to_have_text(["3", "1", "0", "4"])
    await expect(heat.locator("tfoot td .pct")).to_have_text(["75%", "25%", "0%"])
    # The busiest cell is the darkest.
    await expect(body.nth(0).locator("td").first).to_have_class(re.compile(r"(^|\s)strong(\s|$)"))
    await expect(body.nth(0).locator("td.strong")).to_have_count(1)
    await heat.scroll_into_view_if_needed()
    await page.screenshot(path=ARTIFACTS / "reports-cross-analysis.png")


async def test_funnel_built_from_conditions_shows_each_stage_with_conversion_and_drop_off(
    page: Page, shop: Shop
) -> None:
    seminar, buyer = await tag_named(shop, "セミナー"), await tag_named(shop, "購入")
    aoi, ren, yui, _kai = await add_friends(shop, ["葵", "蓮", "結衣", "海"], datetime.now(UTC) - timedelta(days=2))
    for friend, tags in {aoi: (seminar, buyer), ren: (seminar,), yui: (seminar,)}.items():
        for tag_id in tags:
            response = await shop.staff.put(f"{shop.api}/tags/friends/{friend}/{tag_id}")
            assert response.status_code == 200, response.text

    await open_report(page, shop, "ファネル分析")
    # Each stage is a registered condition chosen from the catalog, configured through its own schema's form.
    for i, (name, tag) in enumerate([("セミナー参加", "セミナー"), ("購入", "購入")]):
        await page.locator("fieldset#params_stages").get_by_role("button", name="追加", exact=True).click()
        await page.locator(f"#params_stages_{i}_label").fill(name)
        await choose(page, page.locator(f"#params_stages_{i}_type"), "タグ")
        await page.locator(f"#params_stages_{i}_config_tag_ids").get_by_label(tag).check()
    await page.get_by_role("button", name="集計する").click()

    funnel = page.get_by_role("figure", name="ファネル")
    await expect(funnel.locator(".funnel-steps li")).to_have_text(
        ["セミナー参加 3人", "購入 1人 (前の段階から 33.3% · 2人離脱)"]
    )
    await expect(funnel.locator(".recharts-bar-rectangle")).not_to_have_count(0)
    # The table: stage, name, friends, conversion from the previous stage and from the first, share of the
    # population (the four friends), drop-off and its rate.
    await expect(table_row(page, "購入").locator("td")).to_have_text(
        ["2", "購入", "1", "33.3%", "33.3%", "25%", "2", "66.7%"]
    )
    await expect(table_row(page, "セミナー参加").locator("td")).to_have_text(
        ["1", "セミナー参加", "3", "75%", "100%", "75%", "1", "25%"]
    )
    await funnel.scroll_into_view_if_needed()
    await page.screenshot(path=ARTIFACTS / "reports-funnel.png")


async def test_a_report_of_another_plugin_runs_with_no_ui_code_of_its_own(page: Page, shop: Shop) -> None:
    await add_friends(shop, ["葵", "蓮"], datetime.now(UTC))
    await log_in(page, shop)
    await page.get_by_role("navigation", name="メニュー").get_by_role("link", name="分析").click()
    # Reports are grouped under their plugin's Japanese title.
    group = page.get_by_role("region", name="テスト用プラグイン")
    await expect(group.get_by_role("link")).to_have_text(["状態別"])
    await expect(page.get_by_role("region", name="流入経路分析").get_by_role("link")).to_have_text(["流入経路分析"])
    await group.get_by_role("link", name="状態別").click()
    await page.get_by_role("button", name="集計する").click()
    table = page.get_by_role("table", name="集計表")
    await expect(table.get_by_role("columnheader")).to_have_text(["状態", "人数"])
    await expect(table.locator("tbody tr td")).to_have_text(["following", "2"])
    await expect(page.get_by_role("figure")).to_have_count(0)  # a table report draws no chart
