"""How the app serves the builder UI: its files, index.html for client routes, 404 for what is not the UI's,
and a page saying how to build it when there is no build."""

from __future__ import annotations

from pathlib import Path

import httpx
from litestar import Litestar

from enishi.app import ui_handlers


def client(dist: Path) -> httpx.AsyncClient:
    app = Litestar(route_handlers=ui_handlers(dist))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ui.test")


async def test_a_build_is_served_with_index_html_for_client_routes(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>Enishi</title>", encoding="utf-8")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path / "logo.svg").write_text("<svg/>", encoding="utf-8")
    (tmp_path.parent / "secret.txt").write_text("top secret", encoding="utf-8")
    async with client(tmp_path) as http:
        for path in ("/", "/login", "/w/3/scenarios/12", "/w/1/reports/inflow.routes", "/w/1/settings/tags/tags"):
            response = await http.get(path)
            assert response.status_code == 200, path
            assert response.text.startswith("<!doctype html>")
            assert response.headers["cache-control"] == "no-cache"
        asset = await http.get("/assets/index-abc123.js")
        assert asset.status_code == 200 and "max-age=31536000" in asset.headers["cache-control"]
        assert (await http.get("/logo.svg")).headers["content-type"].startswith("image/svg")
        # Not the UI's: unknown API paths, missing files, and nothing outside the build.
        for path in ("/api/nothing", "/emulator/nothing", "/webhook/x", "/missing.png", "/assets/gone.js", "/x/a.js"):
            assert (await http.get(path)).status_code == 404, path
        for path in ("/..%2Fsecret.txt", "/assets/..%2F..%2Fsecret.txt"):
            assert "top secret" not in (await http.get(path)).text, path


async def test_without_a_build_the_root_says_how_to_build_it(tmp_path: Path) -> None:
    async with client(tmp_path / "dist") as http:
        response = await http.get("/")
        assert response.status_code == 200
        assert "npm ci" in response.text and "npm run build" in response.text
        assert (await http.get("/w/1/scenarios")).status_code == 404
