"""The plugin template's screens in a real browser, built and installed the way a third party would.

The template is copied out of the repository, its console module built there with its own ``npm run build``
(``ui/``: the @enishi/plugin-ui preset; the checkout's ``builder_ui/node_modules`` stands in for ``npm install``,
so nothing is downloaded), and the copy pip-installed as its own distribution (``install_plugin``, as
``tests/test_template_plugin.py`` does). The app then runs with it: its declarative settings page (a ``Resource``)
lists and adds a friend's birthday, its coded panel shows that birthday on the friend's page, and with the plugin
switched off in the workspace neither is there.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from enishi import migrate
from enishi.app import create_app
from enishi.db import Database
from tests.conftest import Env, make_host, settings_for, unavailable
from tests.line.emulator.test_simulator_browser import Shop
from tests.live_server import listening_socket, serve
from tests.template_plugin import forget_the_template_plugin
from tests.test_template_plugin import TEMPLATE, install_plugin
from tests.ui.antd import choose
from tests.ui.test_friends_browser import follower, log_in

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=10_000)

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "builder_ui" / "node_modules"


@pytest.fixture(scope="module")
def template_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The template copied outside the repository, its UI built there and the copy installed: the site folder."""
    npm = shutil.which("npm")
    if npm is None or not (NODE_MODULES / "vite").is_dir():
        unavailable("npm and the console's node_modules (cd builder_ui && npm ci)")
    assert npm is not None
    work = tmp_path_factory.mktemp("template")
    copy = work / "enishi-plugin-birthday"
    shutil.copytree(TEMPLATE, copy, ignore=shutil.ignore_patterns("node_modules", "dist", "__pycache__", ".*_cache"))
    (copy / "ui" / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    built = subprocess.run(
        [npm, "run", "build"], cwd=copy / "ui", capture_output=True, text=True, timeout=120, check=False
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert (copy / "src" / "enishi_birthday" / "ui" / "dist" / "module.js").is_file()
    site = work / "site"
    install_plugin(copy, site)
    # The wheel carries the built module inside the package.
    assert (site / "enishi_birthday" / "ui" / "dist" / "module.js").is_file()
    yield site


@pytest.fixture
async def live(
    database_url: str, tmp_path: Path, template_site: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Env]:
    """The app on a live server (as tests/line/test_inbox.py's ``live``) with the installed template among its
    plugins and its branch migrated; the shop's workspace then has it on (its plan allows every tier)."""
    monkeypatch.syspath_prepend(str(template_site))
    sock = listening_socket()
    port = sock.getsockname()[1]
    settings = settings_for(
        tmp_path, database_url, ENISHI_PUBLIC_URL=f"http://127.0.0.1:{port}", ENISHI_EMULATOR="true"
    )
    host = make_host(settings)
    assert host.plugins["birthday"].status == "loaded", host.plugins["birthday"].error
    assert str(template_site) in str(host.plugins["birthday"].module.__file__)  # the installed copy
    db = Database(settings.database_url)
    try:
        await migrate.upgrade(db.engine, host)  # installed after the database was made: its branch is added
    finally:
        await db.dispose()
    app = create_app(settings, host)
    try:
        async with serve(app, lifespan="on", sock=sock):
            client = httpx.AsyncClient(base_url=settings.public_url, timeout=10)
            env = Env(settings=settings, host=host, db=app.state["enishi"].db, app=app, client=client)
            try:
                yield env
            finally:
                for c in [client, *env.clients]:
                    await c.aclose()
    finally:
        forget_the_template_plugin()


async def test_the_templates_settings_page_and_friend_panel(page: Page, shop: Shop) -> None:
    _, hanako = await follower(shop, "花子")
    catalog = (await shop.staff.get(f"{shop.api}/catalog")).json()
    assert any(m["plugin"] == "birthday" for m in catalog["ui_modules"]), catalog["ui_modules"]
    loaded: list[str] = []
    page.on("response", lambda response: loaded.append(response.url) if "/ui/plugins/" in response.url else None)
    await log_in(page, shop)

    # The declarative page: listed in the settings menu, drawn from the Resource, adds a row through POST.
    settings = f"{shop.env.settings.public_url}/w/{shop.workspace.id}/settings"
    await page.goto(settings)
    await page.get_by_role("link", name="誕生日", exact=True).click()
    await expect(page).to_have_url(f"{settings}/birthday/birthdays")
    await expect(page.get_by_role("heading", name="誕生日", exact=True)).to_be_visible()
    await expect(page.get_by_text("誕生日が登録されている友だちです。")).to_be_visible()
    await page.get_by_role("button", name="追加", exact=True).click()
    form = page.get_by_role("form", name="誕生日を追加")
    await choose(page, form.get_by_label("友だち"), "花子")
    await form.get_by_label("誕生日").fill("1990-04-01")
    await form.get_by_label("誕生日").press("Escape")  # the date picker takes what was typed as it closes
    await form.get_by_role("button", name="作成").click()
    row = page.locator('tr[data-row="花子"]')
    await expect(row).to_contain_text("1990-04-01")
    stored = (await shop.staff.get(f"{shop.api}/birthday/birthdays/{hanako['id']}")).json()
    assert stored == {"friend_id": hanako["id"], "birthday": "1990-04-01"}

    # The coded panel: the module, served by the app, reads the plugin's route on the friend's page.
    friend_page = f"{shop.env.settings.public_url}/w/{shop.workspace.id}/friends/{hanako['id']}"
    await page.goto(friend_page)
    await expect(page.get_by_role("heading", name="花子")).to_be_visible()
    panel = page.get_by_role("region", name="誕生日")
    await expect(panel).to_contain_text("1990年4月1日")
    await expect(panel.locator("time")).to_have_attribute("datetime", "1990-04-01")
    assert any("/ui/plugins/birthday/" in url for url in loaded), loaded
    # (Other plugins' modules are not this test's business: only this one must not be reported.)
    # (The notice may be absent altogether: count the notices that name this plugin, by its title.)
    await expect(page.locator(".plugin-problem", has_text="「誕生日」")).to_have_count(0)

    # Switched off in the workspace: no settings page, no panel.
    off = await shop.staff.put(f"{shop.api}/plugins/birthday", json={"enabled": False})
    assert off.status_code == 200, off.text
    await page.goto(friend_page)
    await expect(page.get_by_role("heading", name="花子")).to_be_visible()
    await expect(page.get_by_role("region", name="誕生日")).to_have_count(0)
    await page.goto(settings)
    await expect(page.get_by_role("heading", name="設定")).to_be_visible()
    await expect(page.get_by_role("link", name="誕生日", exact=True)).to_have_count(0)
    await page.goto(f"{settings}/birthday/birthdays")
    await expect(page.get_by_role("form", name="誕生日を追加")).to_have_count(0)
    await expect(page.get_by_role("heading", name="誕生日", exact=True)).to_have_count(0)
