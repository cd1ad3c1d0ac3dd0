"""`enishi demo` gives the demo workspace a LINE Login channel: a route's URL logs a demo friend in through the
emulator's consent page, and the visit is theirs."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import httpx
import pytest

from tests.test_demo import running_demo

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
OPTION = re.compile(r'<option value="(U[0-9a-f]{32})">')


@pytest.mark.slow
def test_a_demo_route_url_logs_a_friend_in_end_to_end(tmp_path: Path) -> None:
    with running_demo(tmp_path) as demo:
        base, deadline = demo.base, demo.deadline
        with (
            httpx.Client(base_url=base, timeout=30) as staff,
            httpx.Client(base_url=base, timeout=30, follow_redirects=True) as browser,
        ):
            login = staff.post("/api/auth/login", json={"email": demo.email, "password": demo.password})
            staff.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            # The emulator's consent page, where a simulated LINE user is picked, is for signed-in staff (the demo
            # prints its login); the page's form carries the session's CSRF token back.
            signed_in = browser.post("/api/auth/login", json={"email": demo.email, "password": demo.password})
            assert signed_in.status_code == 200, signed_in.text
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
