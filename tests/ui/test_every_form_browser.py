"""Every form the plugins' schemas draw opens as a form a person can fill in: each registered node type's config
form in the builder and each report's parameter form, with no "Unsupported field schema", no "Unknown field type",
no schema dumped as JSON, and no error in the browser's console.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.async_api import ConsoleMessage, Page, expect

from tests.line.emulator.test_simulator_browser import Shop
from tests.ui.conftest import ARTIFACTS
from tests.ui.test_builder_browser import log_in

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=10_000)

BROKEN = re.compile(r"Unsupported field|Unknown field type|\{\s*\"|\"type\"\s*:|undefined|\[object Object\]")


def console_errors(page: Page) -> list[str]:
    errors: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", seen)
    return errors


async def catalog(shop: Shop) -> dict[str, Any]:
    response = await shop.staff.get(f"{shop.api}/catalog")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_every_node_types_config_form_opens_in_the_builder(page: Page, shop: Shop) -> None:
    types = [t for t in (await catalog(shop))["node_types"] if not t["deprecated"]]
    assert len(types) > 20 and "assignment.assign" in {
        t["key"] for t in types
    }  # every built-in plugin's, 担当者を設定 too
    nodes = [{"id": str(uuid.uuid4()), "type": t["key"], "type_version": t["version"], "config": {}} for t in types]
    layout = {n["id"]: {"x": (i % 8) * 300, "y": (i // 8) * 160} for i, n in enumerate(nodes)}
    document = {"schema_version": 1, "nodes": nodes, "edges": [], "layout": layout}
    response = await shop.staff.post(f"{shop.api}/scenarios", json={"name": "すべてのノード", "document": document})
    assert response.status_code == 201, response.text
    scenario_id = response.json()["scenario"]["id"]

    await log_in(page, shop)
    errors = console_errors(page)  # (signed out, the console's first question is answered 401: not a form's)
    await page.goto(f"{shop.env.settings.public_url}/w/{shop.workspace.id}/scenarios/{scenario_id}")
    await expect(page.locator(".react-flow__node")).to_have_count(len(nodes), timeout=30_000)
    panel = page.get_by_role("region", name="ノード設定")
    for node, node_type in zip(nodes, types, strict=True):
        # A click on the node selects it (as a person's does), wherever the canvas has it.
        await page.locator(f'.react-flow__node[data-id="{node["id"]}"]').dispatch_event("click")
        await expect(panel.get_by_role("heading", level=2)).to_have_text(node_type["label"]["ja"])
        text = await panel.inner_text()
        assert not BROKEN.search(text), (node_type["key"], text)
    await page.screenshot(path=ARTIFACTS / "every-node-form.png")
    assert errors == []


async def test_every_reports_parameter_form_opens(page: Page, shop: Shop) -> None:
    reports = (await catalog(shop))["reports"]
    assert reports
    await log_in(page, shop)
    errors = console_errors(page)
    for report in reports:
        name = report["label"]["ja"]
        await page.get_by_role("navigation", name="メニュー").get_by_role("link", name="分析").click()
        await expect(page.get_by_role("heading", name="分析", exact=True)).to_be_visible()
        await page.get_by_role("link", name=name, exact=True).click()
        await expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
        text = await page.get_by_role("main").inner_text()
        assert not BROKEN.search(text), (report["key"], text)
    assert errors == []
