"""`enishi demo` gives the demo workspace a LINE Login channel: a route's URL logs a demo friend in through the
emulator's consent page, and the visit is theirs."""

from __future__ import annotations

import html
import os
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.test_demo import ENISHI, _free_port

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
OPTION = re.compile(r'<option value="(U[0-9a-f]{32})">')


@pytest.mark.slow
def test_a_demo_route_url_logs_a_friend_in_end_to_end(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "ENISHI_DATA_DIR": str(tmp_path), "ENISHI_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [str(ENISHI), "demo", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert proc.stdout is not None
        printed = ""
        deadline = time.monotonic() + 120
        while "ログイン" not in printed and time.monotonic() < deadline:
            printed += proc.stdout.readline()
        email, password = printed.split("ログイン:", 1)[1].split("\n", 1)[0].strip().split(" / ")
        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        with (
            httpx.Client(base_url=base, timeout=30) as staff,
            httpx.Client(base_url=base, timeout=30, follow_redirects=True) as browser,
        ):
            login = staff.post("/api/auth/login", json={"email": email, "password": password})
            staff.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            ws = f"/api/workspaces/{staff.get('/api/workspaces').json()[0]['id']}"
            assert staff.get(ws).json()["workspace"]["line_login_channel_id"]
            route = staff.post(f"{ws}/inflow/routes", json={"name": "デモのチラシ"})
            assert route.status_code == 201, route.text

            # Wait for the demo's simulated friends, then open the route as one of them.
            while time.monotonic() < deadline:
                if len(staff.get(f"{ws}/friends", params={"limit": 100}).json()["items"]) == 30:
                    break
                time.sleep(0.3)
            page = browser.get(f"/p/inflow/r/{route.json()['code']}")
            assert page.url.path == "/emulator/oauth2/v2.1/authorize", page.text
            form = {name: html.unescape(value) for name, value in HIDDEN.findall(page.text)}
            user_id = OPTION.findall(page.text)[0]
            done = browser.post(
                "/emulator/oauth2/v2.1/authorize", data={**form, "user_id": user_id, "decision": "allow"}
            )
            assert done.status_code == 200, done.text
            assert 'id="welcome"' in done.text
            shown = staff.get(f"{ws}/inflow/routes/{route.json()['id']}").json()
            assert shown["visits"] >= 1
    finally:
        proc.terminate()
        proc.wait(timeout=30)
